"""Classifier throughput on 2 cores: the classify stage's path vs plain `SentenceTransformer.encode` + head.

    .venv/bin/python bench/classifier_throughput.py [--short 1000] [--long 150] [--max-windows N] [--json]

Texts come from the project's seed data (data/seed/messages.csv): *short* are the
messages of at most 280 characters, *long* are five seed emails joined into one
(≈1,300 characters, ≈500 tokens: longer than the plain path's 256-token limit). Every
text is distinct, so the stage's text-hash cache gives no free hits.

- plain: *the shipped model's own encoder* (its `encoder.id` folder, with its text prefix)
  through `SentenceTransformer.encode` (PyTorch, 2 threads, batches of 32, the model's own
  sentence embedding, inputs truncated at its maximum length) plus a logistic-regression
  head over [that embedding ‖ the same hashed n-grams].
- stage: `Classifier.score` as the classify stage calls it: wrappers stripped, first
  pass, sentence windows (at most `max_encoded_windows` of them through the encoder),
  ONNX Runtime int8 of the model's layers (one text per run), language detection and
  explanations included.

Both heads are trained on the seed train split. The independent test part
(data/eval/messages.csv, readable rows) shows the same comparison on mail from other writers.
At the end it runs bench/classifier_memory.py: the classify worker's peak RSS.
Macro-F1 is measured at 0.5 and at the model's threshold on the held-out split, and on
*long held-out* texts: each held-out message placed at a random position among three
neutral held-out messages of its language (its label is the message's label), to show
whether a complaint deep inside a long email is still found.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.metrics import f1_score, precision_recall_curve, recall_score  # noqa: E402

from services.classifier import data, encoder, registry  # noqa: E402
from services.classifier.features import Ngrams  # noqa: E402
from services.classifier.model import Classifier  # noqa: E402
from services.classifier.train import fit_head  # noqa: E402
from shared.settings import Settings  # noqa: E402

SEED = ROOT / "data/seed/messages.csv"
EVAL = ROOT / "data/eval/messages.csv"  # written apart from the training data: see its README


def texts_for_bench(n_short: int, n_long: int) -> tuple[list[str], list[str]]:
    rows = data.read_csv(SEED)
    short = [r.text for r in rows if len(r.text) <= 280][:n_short]
    emails = [r.text for r in rows if r.channel == "email"]
    long = ["\n\n".join(emails[(i * 5 + k) % len(emails)] for k in range(5)) for i in range(n_long)]
    return short, long


class Plain:
    """The obvious implementation: SentenceTransformer.encode + a head over [embedding ‖ n-grams]."""

    def __init__(self, train: list[data.Example], c: float, spec: encoder.EncoderSpec) -> None:
        import torch
        from sentence_transformers import SentenceTransformer

        torch.set_num_threads(2)
        self.prefix = spec.prefix
        self.model = SentenceTransformer(encoder.resolve_path(spec.id), device="cpu")
        texts = [e.text for e in train]
        self.ngrams = Ngrams.fit(texts)
        y = np.array([e.label for e in train])
        self.head = fit_head(self.ngrams.transform(texts), self.encode(texts), y, c)

    def encode(self, texts: list[str]) -> np.ndarray:
        return self.model.encode([self.prefix + t for t in texts], batch_size=32, show_progress_bar=False)

    def score(self, texts: list[str]) -> np.ndarray:
        features = sparse.hstack([self.ngrams.transform(texts), sparse.csr_matrix(self.encode(texts))])
        return self.head.predict_proba(features.tocsr())[:, 1]


NEUTRAL_CATEGORIES = {"neg_neutral_report", "neg_information_request", "neg_other"}


def long_heldout(heldout: list[data.Example], padding: int = 3) -> list[data.Example]:
    """Each held-out message inside a longer text of neutral held-out messages of its language."""
    rng = np.random.default_rng(0)
    result = []
    for example in heldout:
        pool = [
            e.text
            for e in heldout
            if e.language == example.language
            and e.extra.get("category") in NEUTRAL_CATEGORIES
            and e.text != example.text
        ]
        parts = [pool[i] for i in rng.choice(len(pool), padding, replace=False)]
        parts.insert(int(rng.integers(0, padding + 1)), example.text)
        result.append(data.Example(text="\n\n".join(parts), label=example.label, language=example.language))
    return result


def macro_f1(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, float]:
    return {
        "macro_f1": round(float(f1_score(y, p >= threshold, average="macro")), 4),
        "recall": round(float(recall_score(y, p >= threshold)), 4),
    }


def precision_at_recall(y: np.ndarray, p: np.ndarray, recall: float = 0.95) -> float:
    """The best precision any threshold reaches with recall ≥ `recall` (the recall-first operating point)."""
    precision, recalls, _ = precision_recall_curve(y, p)
    return round(float(precision[recalls >= recall].max()), 4)


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
    parser.add_argument("--max-windows", type=int, help="override the model's window budget per message")
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    settings = Settings()
    model_dir = registry.resolve(settings.model_dir)
    short, long = texts_for_bench(args.short, args.long)
    train = data.read_csv(SEED, split="train")
    heldout = data.read_csv(SEED, split="heldout")

    def stage_path() -> Classifier:  # a fresh instance: empty cache
        classifier = Classifier.load(model_dir, threads=2)
        if args.max_windows is not None:
            classifier.max_encoded_windows = args.max_windows
        return classifier

    manifest = stage_path().artefact.manifest
    plain = Plain(
        train, c=float(manifest["head"]["C"]), spec=encoder.EncoderSpec.from_json(manifest["encoder"])
    )
    plain.score(short[:64])  # warm-up
    stage_path().score(short[:64])

    results: dict[str, object] = {"cores": os.cpu_count(), "model": stage_path().version}
    for name, texts in (("short", short), ("long", long)):
        plain_rate = rate(plain.score, texts)
        stage_rate = rate(lambda t: stage_path().score(t, batch_size=settings.classifier_batch_size), texts)
        results[name] = {
            "n": len(texts),
            "mean_chars": round(float(np.mean([len(t) for t in texts]))),
            "plain_msgs_per_s": round(plain_rate, 1),
            "stage_msgs_per_s": round(stage_rate, 1),
            "ratio": round(stage_rate / plain_rate, 2),
        }
        print(
            f"{name:>5}: n={len(texts)}  plain {plain_rate:7.1f} msg/s   stage {stage_rate:7.1f} msg/s   "
            f"ratio {stage_rate / plain_rate:4.2f}x",
            flush=True,
        )

    classifier = stage_path()
    independent = [e for e in data.read_csv(EVAL, split="test") if e.language in ("nl", "en")]
    for name, examples in (
        ("heldout", heldout),
        ("long_heldout", long_heldout(heldout)),
        ("independent_test", independent),
    ):
        texts = [e.text for e in examples]
        y = np.array([e.label for e in examples])
        plain_p = plain.score(texts)
        stage_p = np.array([s.probability for s in classifier.probabilities(texts)])
        results[name] = {
            "n": len(y),
            "plain_at_0.5": macro_f1(y, plain_p, 0.5),
            "stage_at_0.5": macro_f1(y, stage_p, 0.5),
            "stage_at_threshold": macro_f1(y, stage_p, classifier.threshold),
            "plain_precision_at_recall_0.95": precision_at_recall(y, plain_p),
            "stage_precision_at_recall_0.95": precision_at_recall(y, stage_p),
        }
        for key, value in results[name].items():  # type: ignore[union-attr]
            print(f"{name} {key}: {value}")
    memory = subprocess.run(
        [sys.executable, str(ROOT / "bench/classifier_memory.py")], check=True, capture_output=True, text=True
    )
    results["classify_worker_rss_mb"] = json.loads(memory.stdout.strip().splitlines()[-1])
    print(memory.stdout.strip().splitlines()[0])
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
