"""Pick the grouping threshold: run the incremental grouping on the fixture set and measure it.

    .venv/bin/python -m bench.patterns_threshold [--method ngram|encoder|both] [--orders 20]

The fixture (tests/data/patterns/same_problem.json) has 12 problems, each told by six
citizens (four in Dutch, two in English) in their own words. For each threshold the
signals arrive in random orders and are placed one by one with `similarity.place`
(exactly what the patterns pass does); we report pair precision (two signals in one
group really share the problem), pair recall, how many signals ended up in a group,
and how many groups mix problems.
"""

from __future__ import annotations

import argparse
import json
import random
from pathlib import Path

import numpy as np

from services.router import similarity

FIXTURE = Path(__file__).resolve().parents[1] / "tests" / "data" / "patterns" / "same_problem.json"


def fixture() -> tuple[list[str], list[str]]:
    problems = json.loads(FIXTURE.read_text(encoding="utf-8"))["problems"]
    texts, labels = [], []
    for label, items in problems.items():
        texts += items
        labels += [label] * len(items)
    return texts, labels


def simulate(vectors: np.ndarray, threshold: float, order: list[int]) -> dict[int, int]:
    """Place signals in `order`; returns signal index → group number (grouped signals only)."""
    window = similarity.Window(dim=vectors.shape[1])
    groups: dict[int, int] = {}
    next_group = 0
    for index in order:
        placement = window.place(vectors[index], at=0.0, span=1.0, threshold=threshold)
        if placement.group_id is not None:
            groups[index] = placement.group_id
        elif placement.partner_id is not None:
            groups[index] = groups[placement.partner_id] = next_group
            window.set_group(placement.partner_id, next_group)
            next_group += 1
        window.add(index, groups.get(index), 0.0, vectors[index])
    return groups


def score(groups: dict[int, int], labels: list[str]) -> dict[str, float]:
    members: dict[int, list[int]] = {}
    for index, group in groups.items():
        members.setdefault(group, []).append(index)
    together = correct = 0
    mixed = 0
    for items in members.values():
        mixed += len({labels[i] for i in items}) > 1
        for a in range(len(items)):
            for b in range(a + 1, len(items)):
                together += 1
                correct += labels[items[a]] == labels[items[b]]
    same = sum(labels[a] == labels[b] for a in range(len(labels)) for b in range(a + 1, len(labels)))
    return {
        "precision": correct / together if together else 1.0,
        "recall": correct / same,
        "grouped": len(groups) / len(labels),
        "groups": len(members),
        "mixed_groups": mixed,
    }


def vectors_for(method: str, texts: list[str]) -> np.ndarray:
    if method == "ngram":
        return np.stack([similarity.unpack(similarity.pack(similarity.ngram_vector(t))) for t in texts])
    # For comparison only: the classifier's encoder (last pooled layer, centred on the model's mean).
    from services.classifier import registry
    from services.classifier.model import Classifier
    from shared.settings import Settings

    classifier = Classifier.load(registry.resolve(Settings().model_dir))
    layer = slice(-classifier.encoder.dim // len(classifier.spec.layers), None)
    encoded = classifier.encoder.encode(texts)[:, layer] - classifier.embedding_mean[layer]
    return np.stack([similarity.unpack(similarity.pack(similarity.normalised(v))) for v in encoded])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--method", choices=["ngram", "encoder", "both"], default="both")
    parser.add_argument("--orders", type=int, default=20, help="random arrival orders per threshold")
    args = parser.parse_args()
    texts, labels = fixture()
    methods = ["ngram", "encoder"] if args.method == "both" else [args.method]
    for method in methods:
        vectors = vectors_for(method, texts)
        print(f"\n{method}: {len(texts)} signals, {len(set(labels))} problems, {args.orders} orders")
        print("threshold  precision  recall  grouped  groups  mixed")
        orders = [random.Random(seed).sample(range(len(texts)), len(texts)) for seed in range(args.orders)]
        for threshold in np.arange(0.10, 0.95, 0.05):
            runs = [score(simulate(vectors, float(threshold), order), labels) for order in orders]
            mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
            print(
                f"{threshold:9.2f}  {mean['precision']:9.3f}  {mean['recall']:6.3f}  {mean['grouped']:7.2f}"
                f"  {mean['groups']:6.1f}  {mean['mixed_groups']:5.1f}"
            )


if __name__ == "__main__":
    main()
