"""Head and encoder variants side by side: 10-fold CV on the reference data and the seed held-out split.

    .venv/bin/python bench/classifier_variants.py [--layers 1,2,3,4] [--folds 10] [VARIANT ...]

A VARIANT is a JSON object; without any, the table in models/README.md is rerun for the
given layers:
- {"kind": "concat", "C": 16, "alpha": 1}: the shipped design, one logistic regression over
  [hashed n-grams ‖ alpha × pooled encoder layers];
- {"kind": "ngrams", "C": 16} or {"kind": "embedding", "C": 4}: one part alone;
- {"kind": "average", "Cg": 16, "Ce": 4, "w": 0.5}: separate heads on each part, probabilities
  averaged with weight w on the n-gram head.

Each row prints macro-F1 at 0.5 for the reference data's out-of-fold predictions (the same
folds as `signaal cv`), and macro-F1 at 0.5 and average precision on the seed held-out split
(all, nl, en) for heads fitted on the seed train split. Encoder features of other layer sets
are exported once into var/cache/encoders/; all features are cached in var/cache/embeddings/.
The reference data is only read from ../shared (see its README); nothing of it is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, f1_score  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from services.classifier import data, registry, train  # noqa: E402
from services.classifier.encoder import EncoderSpec, OnnxEncoder, TorchEncoder  # noqa: E402
from services.classifier.features import Ngrams  # noqa: E402
from shared.settings import Settings  # noqa: E402

SEED = ROOT / "data/seed/messages.csv"
DEFAULT_VARIANTS = [
    {"kind": "concat", "C": 16},
    {"kind": "concat", "C": 4},
    {"kind": "concat", "C": 32},
    {"kind": "concat", "C": 16, "alpha": 0.5},
    {"kind": "concat", "C": 16, "alpha": 2},
    {"kind": "ngrams", "C": 16},
    {"kind": "embedding", "C": 4},
    {"kind": "average", "Cg": 16, "Ce": 1},
    {"kind": "average", "Cg": 16, "Ce": 4},
    {"kind": "average", "Cg": 16, "Ce": 4, "w": 0.6},
    {"kind": "average", "Cg": 16, "Ce": 4, "w": 0.7},
]


def encoder_for(layers: tuple[int, ...]) -> OnnxEncoder:
    """The shipped model's encoder for its own layers; otherwise one exported once into var/."""
    model_dir = registry.resolve(Settings().model_dir)
    spec = EncoderSpec(layers=layers)
    shipped = EncoderSpec.from_json(registry.classifier(model_dir, Settings()).artefact.manifest["encoder"])
    if shipped.layers == layers:
        return OnnxEncoder(model_dir / train.ENCODER_FILE, model_dir / train.TOKENIZER_FILE, spec)
    folder = ROOT / "var/cache/encoders" / "-".join(str(n) for n in layers)
    if not (folder / train.ENCODER_FILE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        TorchEncoder(spec).export_onnx(folder / train.ENCODER_FILE)
    return OnnxEncoder(folder / train.ENCODER_FILE, model_dir / train.TOKENIZER_FILE, spec)


def fit(features: Any, y: np.ndarray, c: float) -> LogisticRegression:
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(features, y)


def predict(
    variant: dict[str, Any],
    grams: tuple[sparse.csr_matrix, sparse.csr_matrix],
    embeddings: tuple[np.ndarray, np.ndarray],
    y: np.ndarray,
) -> np.ndarray:
    """Probabilities for the test rows of a head fitted on the train rows ((train, test) pairs)."""
    kind = variant["kind"]
    if kind == "ngrams":
        return fit(grams[0], y, variant["C"]).predict_proba(grams[1])[:, 1]
    if kind == "embedding":
        return fit(embeddings[0], y, variant["C"]).predict_proba(embeddings[1])[:, 1]
    if kind == "average":
        on_grams = fit(grams[0], y, variant["Cg"]).predict_proba(grams[1])[:, 1]
        on_embeddings = fit(embeddings[0], y, variant["Ce"]).predict_proba(embeddings[1])[:, 1]
        weight = variant.get("w", 0.5)
        return weight * on_grams + (1 - weight) * on_embeddings
    alpha = variant.get("alpha", 1.0)
    both = [
        sparse.hstack([g, sparse.csr_matrix(e * alpha)]).tocsr()
        for g, e in zip(grams, embeddings, strict=True)
    ]
    return fit(both[0], y, variant["C"]).predict_proba(both[1])[:, 1]


def reference_cv(
    variant: dict[str, Any], examples: list[data.Example], embeddings: np.ndarray, folds: int
) -> float:
    texts = np.array([e.text for e in examples], dtype=object)
    y = np.array([e.label for e in examples])
    oof = np.zeros(len(y))
    for train_rows, test_rows in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, y):
        ngrams = Ngrams.fit(list(texts[train_rows]))
        grams = (ngrams.transform(list(texts[train_rows])), ngrams.transform(list(texts[test_rows])))
        pair = (embeddings[train_rows], embeddings[test_rows])
        oof[test_rows] = predict(variant, grams, pair, y[train_rows])
    return float(f1_score(y, oof >= 0.5, average="macro"))


def heldout_scores(
    variant: dict[str, Any],
    seed: tuple[list[data.Example], list[data.Example]],
    embeddings: tuple[np.ndarray, np.ndarray],
) -> dict[str, float]:
    fitted, heldout = seed
    ngrams = Ngrams.fit([e.text for e in fitted])
    grams = (ngrams.transform([e.text for e in fitted]), ngrams.transform([e.text for e in heldout]))
    p = predict(variant, grams, embeddings, np.array([e.label for e in fitted]))
    y = np.array([e.label for e in heldout])
    languages = np.array([e.language for e in heldout])
    result = {}
    for name, rows in (("all", languages == languages), ("nl", languages == "nl"), ("en", languages == "en")):
        result[f"f1_{name}"] = float(f1_score(y[rows], p[rows] >= 0.5, average="macro"))
        result[f"ap_{name}"] = float(average_precision_score(y[rows], p[rows]))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("variants", nargs="*", type=json.loads)
    parser.add_argument("--layers", default="1,2,3,4")
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared/data/complaints-en-dev.csv")
    args = parser.parse_args()
    layers = tuple(int(n) for n in args.layers.split(","))
    encoder = encoder_for(layers)
    reference = data.read_csv(args.reference) if args.reference.exists() else []
    seed = (data.read_csv(SEED, split="train"), data.read_csv(SEED, split="heldout"))
    reference_embeddings = train.embed(encoder, [e.text for e in reference]) if reference else None
    seed_embeddings = (
        train.embed(encoder, [e.text for e in seed[0]]),
        train.embed(encoder, [e.text for e in seed[1]]),
    )
    print(
        f"layers {args.layers}: reference CV macro-F1 | held-out macro-F1 all/nl/en | held-out AP all/nl/en"
    )
    for variant in args.variants or DEFAULT_VARIANTS:
        started = time.perf_counter()
        cv = reference_cv(variant, reference, reference_embeddings, args.folds) if reference else float("nan")
        h = heldout_scores(variant, seed, seed_embeddings)
        print(
            f"{json.dumps(variant):52} {cv:.4f} | {h['f1_all']:.4f} {h['f1_nl']:.4f} {h['f1_en']:.4f} | "
            f"{h['ap_all']:.4f} {h['ap_nl']:.4f} {h['ap_en']:.4f}  ({time.perf_counter() - started:.0f} s)",
            flush=True,
        )


if __name__ == "__main__":
    main()
