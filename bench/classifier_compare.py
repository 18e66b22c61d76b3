"""Compare model folders on the seed data's held-out split, per language, with and without their thresholds.

    .venv/bin/python bench/classifier_compare.py MODEL_DIR [MODEL_DIR ...] [--data data/seed/messages.csv]

Per model and language: precision and recall at the model's stored threshold, average precision
(AP), the best precision at a recall of at least 0.95 (what a recall-first threshold could reach
there), and macro-F1 at 0.5. AP and P@R≥0.95 do not depend on where the stored threshold landed,
so they compare the models' ranking; the first two columns are what staff would see. Ends with
one JSON line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

import numpy as np
from sklearn.metrics import average_precision_score, f1_score, precision_recall_curve

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.classifier import data  # noqa: E402
from services.classifier.model import Classifier  # noqa: E402


def figures(y: np.ndarray, scores: np.ndarray, threshold: float) -> dict[str, float]:
    flagged = scores >= threshold
    precision, recall, _ = precision_recall_curve(y, scores)
    return {
        "n": len(y),
        "precision": round(float(y[flagged].mean()) if flagged.any() else 0.0, 4),
        "recall": round(float(flagged[y == 1].mean()), 4),
        "average_precision": round(float(average_precision_score(y, scores)), 4),
        "precision_at_recall_95": round(float(precision[recall >= 0.95].max()), 4),
        "macro_f1_at_half": round(float(f1_score(y, scores >= 0.5, average="macro")), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--data", type=Path, default=ROOT / "data/seed/messages.csv")
    args = parser.parse_args()
    heldout = data.read_csv(args.data, split="heldout")
    y = np.array([e.label for e in heldout])
    languages = np.array([e.language for e in heldout])
    groups = {"all": np.ones(len(y), bool), **{lang: languages == lang for lang in sorted(set(languages))}}
    result: dict[str, dict[str, dict[str, float]]] = {}
    for path in args.models:
        model = Classifier.load(path)
        scores = np.array([v.probability for v in model.score([e.text for e in heldout])])
        print(f"{model.version} ({path}), threshold {model.threshold:.4f}")
        result[model.version] = {}
        for name, rows in groups.items():
            numbers = figures(y[rows], scores[rows], model.threshold)
            result[model.version][name] = numbers
            print(
                f"  {name:<4} n={numbers['n']:<4} P {numbers['precision']:.3f} R {numbers['recall']:.3f} | "
                f"AP {numbers['average_precision']:.3f}  P@R≥0.95 {numbers['precision_at_recall_95']:.3f} | "
                f"macro-F1 at 0.5 {numbers['macro_f1_at_half']:.3f}"
            )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
