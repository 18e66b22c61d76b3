"""Classifier throughput on 2 cores: the classify stage's path vs plain `SentenceTransformer.encode` + head.

    .venv/bin/python bench/classifier_throughput.py [--short 1000] [--long 150] [--json]

Texts come from the project's seed data (data/seed/messages.csv): *short* are the
messages of at most 280 characters, *long* are five seed emails joined into one
(≈1,500–2,500 characters, like a long email thread's new part). Every text is distinct,
so the stage's text-hash cache gives no free hits.

- plain: all-MiniLM-L6-v2 through `SentenceTransformer.encode` (PyTorch, 2 threads, its
  default batch of 32, final-layer sentence embedding, inputs truncated at 256 tokens)
  plus a logistic-regression head over [that embedding ‖ the same hashed n-grams].
- stage: `Classifier.score` as the classify stage calls it: first pass, sentence
  windows, ONNX Runtime int8 of layers 1–4, length-sorted batches of 64, language
  detection and explanations included.
Both heads are trained on the seed train split; macro-F1 is measured on the held-out split.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.metrics import f1_score  # noqa: E402

from services.classifier import data, encoder, registry  # noqa: E402
from services.classifier.features import Ngrams  # noqa: E402
from services.classifier.model import Classifier  # noqa: E402
from services.classifier.train import fit_head  # noqa: E402
from shared.settings import Settings  # noqa: E402

SEED = ROOT / "data/seed/messages.csv"


def texts_for_bench(n_short: int, n_long: int) -> tuple[list[str], list[str]]:
    rows = data.read_csv(SEED)
    short = [r.text for r in rows if len(r.text) <= 280][:n_short]
    emails = [r.text for r in rows if r.channel == "email"]
    long = ["\n\n".join(emails[(i * 5 + k) % len(emails)] for k in range(5)) for i in range(n_long)]
    return short, long


class Plain:
    """The obvious implementation: SentenceTransformer.encode + a head over [embedding ‖ n-grams]."""

    def __init__(self, train: list[data.Example], c: float) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(2)
        self.model = SentenceTransformer(encoder.resolve_path(encoder.DEFAULT_ENCODER), device="cpu")
        texts = [e.text for e in train]
        self.ngrams = Ngrams.fit(texts)
        y = np.array([e.label for e in train])
        self.head = fit_head(self.ngrams.transform(texts), self.encode(texts), y, c)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode(texts, batch_size=32, show_progress_bar=False)

    def score(self, texts: list[str]) -> np.ndarray:
        features = sparse.hstack([self.ngrams.transform(texts), sparse.csr_matrix(self.encode(texts))])
        return self.head.predict_proba(features.tocsr())[:, 1]


def rate(function, texts: list[str]) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    function(texts)
    return len(texts) / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--short", type=int, default=1000)
    parser.add_argument("--long", type=int, default=150)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    model_dir = registry.resolve(settings.model_dir)
    short, long = texts_for_bench(args.short, args.long)
    train = data.read_csv(SEED, split="train")
    heldout = data.read_csv(SEED, split="heldout")
    y = np.array([e.label for e in heldout])

    def stage_path() -> Classifier:  # a fresh instance: empty cache
        return Classifier.load(model_dir, threads=2)

    plain = Plain(train, c=float(stage_path().artefact.manifest["head"]["C"]))
    plain.score(short[:64])  # warm-up
    stage_path().score(short[:64])

    results: dict[str, object] = {"cores": os.cpu_count(), "model": stage_path().version}
    for name, texts in (("short", short), ("long", long)):
        plain_rate = rate(plain.score, texts)
        stage_rate = rate(lambda t: stage_path().score(t, batch_size=settings.classifier_batch_size), texts)
        no_first_pass = stage_path()
        no_first_pass.first_pass_cutoff = None
        encoder_only_rate = rate(no_first_pass.score, texts)
        results[name] = {
            "n": len(texts),
            "mean_chars": round(float(np.mean([len(t) for t in texts]))),
            "plain_msgs_per_s": round(plain_rate, 1),
            "stage_msgs_per_s": round(stage_rate, 1),
            "stage_without_first_pass_msgs_per_s": round(encoder_only_rate, 1),
            "ratio": round(stage_rate / plain_rate, 2),
        }
        print(
            f"{name:>5}: n={len(texts)}  plain {plain_rate:7.1f} msg/s   stage {stage_rate:7.1f} msg/s   "
            f"ratio {stage_rate / plain_rate:4.2f}x   (without first pass {encoder_only_rate:.1f} msg/s)",
            flush=True,
        )

    texts = [e.text for e in heldout]
    plain_p = plain.score(texts)
    classifier = stage_path()
    stage_p = np.array([s.probability for s in classifier.probabilities(texts)])
    classifier.first_pass_cutoff = None
    classifier._cache.clear()  # score again, without the first pass
    full_p = np.array([s.probability for s in classifier.probabilities(texts)])
    scores = {
        "plain_macro_f1_at_0.5": f1_score(y, plain_p >= 0.5, average="macro"),
        "stage_macro_f1_at_0.5": f1_score(y, stage_p >= 0.5, average="macro"),
        "stage_without_first_pass_macro_f1_at_0.5": f1_score(y, full_p >= 0.5, average="macro"),
        "stage_macro_f1_at_threshold": f1_score(y, stage_p >= classifier.threshold, average="macro"),
        "stage_without_first_pass_macro_f1_at_threshold": f1_score(
            y, full_p >= classifier.threshold, average="macro"
        ),
    }
    results["heldout"] = {k: round(float(v), 4) for k, v in scores.items()} | {"n": len(y)}
    for key, value in results["heldout"].items():  # type: ignore[union-attr]
        print(f"held-out {key}: {value}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
