"""Metrics for a classifier on labelled examples: the numbers, per language and channel, and a PR curve."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_curve, precision_score, recall_score
from tqdm import tqdm

from services.classifier.data import Example

BATCH = 256


def summary(y: np.ndarray, p: np.ndarray, threshold: float) -> dict[str, Any]:
    """precision, recall, f1 (complaint class), macro_f1, threshold, n and the confusion matrix."""
    predicted = (p >= threshold).astype(int)
    tn, fp, fn, tp = confusion_matrix(y, predicted, labels=[0, 1]).ravel().tolist()
    return {
        "precision": round(float(precision_score(y, predicted, zero_division=0)), 4),
        "recall": round(float(recall_score(y, predicted, zero_division=0)), 4),
        "f1": round(float(f1_score(y, predicted, zero_division=0)), 4),
        "macro_f1": round(float(f1_score(y, predicted, average="macro", zero_division=0)), 4),
        "threshold": round(float(threshold), 6),
        "n": len(y),
        "positives": int(np.sum(y)),
        "confusion": {"tp": tp, "fp": fp, "fn": fn, "tn": tn},
    }


def breakdown(
    examples: Sequence[Example], y: np.ndarray, p: np.ndarray, threshold: float
) -> dict[str, dict[str, Any]]:
    """The same numbers per language and per channel, where the data has those columns."""
    result: dict[str, dict[str, Any]] = {}
    for column in ("language", "channel"):
        values = np.array([getattr(e, column) for e in examples])
        if not any(values):
            continue
        result[column] = {
            str(value): summary(y[values == value], p[values == value], threshold)
            for value in sorted(set(values.tolist()))
        }
    return result


def score_examples(classifier: Any, examples: Sequence[Example], *, progress: bool = True) -> np.ndarray:
    texts = [e.text for e in examples]
    scores = []
    for start in tqdm(range(0, len(texts), BATCH), desc="scoring", unit="batch", disable=not progress):
        scores += [s.probability for s in classifier.probabilities(texts[start : start + BATCH])]
    return np.array(scores)


def evaluate(
    classifier: Any,
    examples: Sequence[Example],
    *,
    threshold: float | None = None,
    progress: bool = True,
    pr_curve: Path | None = None,
) -> dict[str, Any]:
    y = np.array([e.label for e in examples])
    p = score_examples(classifier, examples, progress=progress)
    cut = classifier.threshold if threshold is None else threshold
    report = {**summary(y, p, cut), "model_version": classifier.version, "by": breakdown(examples, y, p, cut)}
    if pr_curve is not None:
        plot_pr_curve(y, p, cut, pr_curve, title=classifier.version)
    return report


def plot_pr_curve(y: np.ndarray, p: np.ndarray, threshold: float, out: Path, *, title: str) -> None:
    """Write a precision–recall curve PNG with the decision threshold marked."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    precision, recall, _ = precision_recall_curve(y, p)
    at = summary(y, p, threshold)
    figure, axes = plt.subplots(figsize=(5, 4), dpi=120)
    axes.plot(recall, precision, label="precision–recall")
    axes.scatter(
        [at["recall"]], [at["precision"]], color="crimson", zorder=3, label=f"threshold {threshold:.3f}"
    )
    axes.set_xlabel("recall")
    axes.set_ylabel("precision")
    axes.set_xlim(0, 1.01)
    axes.set_ylim(0, 1.01)
    axes.set_title(f"{title} (n={len(y)})")
    axes.legend(loc="lower left")
    figure.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(out)
    plt.close(figure)


def format_report(report: dict[str, Any]) -> str:
    """The report as text for the terminal: totals, confusion matrix, breakdowns."""
    c = report["confusion"]
    lines = [
        f"n={report['n']}  threshold={report['threshold']:.4f}",
        f"precision={report['precision']:.4f}  recall={report['recall']:.4f}  f1={report['f1']:.4f}  "
        f"macro-F1={report['macro_f1']:.4f}",
        "confusion matrix (rows: actual, columns: predicted)",
        "                 complaint  not",
        f"  complaint      {c['tp']:>9}  {c['fn']:>3}",
        f"  not            {c['fp']:>9}  {c['tn']:>3}",
    ]
    for column, groups in report.get("by", {}).items():
        lines.append(f"by {column}:")
        for value, numbers in groups.items():
            lines.append(
                f"  {value or '(empty)':<10} n={numbers['n']:<5} precision={numbers['precision']:.3f}  "
                f"recall={numbers['recall']:.3f}  f1={numbers['f1']:.3f}  macro-F1={numbers['macro_f1']:.3f}"
            )
    return "\n".join(lines)
