"""Operating points per language, chosen on the calibration part of the independent set.

A threshold chosen on rows from the same generator as the training rows promised a
recall that mail from real writers did not get, and flagged most neutral mail on the
way (issue 11). So the thresholds are chosen on `data/eval/messages.csv`'s calibration
part — written by other writers, never trained on — one per language, where the recall
target holds with 80 % confidence given how few complaints a language has there; the
`high` band is where precision there reaches `high_precision`. The test
part of the same set is only ever reported (`report()`), never used to choose.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

from services.classifier.data import Example

LANGUAGES = ("nl", "en")
MIN_PER_CLASS = 10  # fewer rows of a class in a language: that language keeps the global threshold
# How sure the calibration part must make us that recall reaches the target (one-sided). With a few
# dozen complaints per language, "recall ≥ 0.95 on these rows" leaves a fair chance of less on the
# next ones; the lower confidence bound spends misses only as the sample size allows them.
RECALL_CONFIDENCE = 0.8


def threshold_for_recall_bound(y: np.ndarray, p: np.ndarray, target: float, confidence: float) -> float:
    """The highest threshold at which recall's lower confidence bound (Clopper–Pearson) is ≥ `target`.

    With k complaints below the threshold out of n, the bound is the `1 - confidence` quantile of
    Beta(n - k, k + 1). When not even zero misses reach the target (few complaints), the threshold
    misses none.
    """
    from scipy.stats import beta

    positives = np.sort(p[y == 1])
    if positives.size == 0:
        return 0.5
    misses = 0
    while misses + 1 < positives.size:
        kept = positives.size - (misses + 1)
        if beta.ppf(1 - confidence, kept, misses + 2) < target:
            break
        misses += 1
    return float(positives[misses])


def _split(examples: Sequence[Example], code: str) -> tuple[list[int], np.ndarray]:
    rows = [i for i, e in enumerate(examples) if e.language == code]
    return rows, np.array([examples[i].label for i in rows])


def operating_points(
    examples: Sequence[Example],
    scores: np.ndarray,
    *,
    recall_target: float,
    high_precision: float,
) -> dict[str, dict[str, Any]]:
    """{language: threshold, high_threshold, n, positives} from calibration rows and their scores."""
    from services.classifier.train import threshold_for_precision

    points: dict[str, dict[str, Any]] = {}
    for code in LANGUAGES:
        rows, y = _split(examples, code)
        if min(int(y.sum()), int(len(y) - y.sum())) < MIN_PER_CLASS:
            continue
        p = scores[rows]
        threshold = threshold_for_recall_bound(y, p, recall_target, RECALL_CONFIDENCE)
        high = threshold_for_precision(y, p, high_precision, floor=threshold)
        points[code] = {
            "threshold": math.floor(threshold * 1e6) / 1e6,  # rounding up could lose a complaint
            "high_threshold": round(high, 6),
            "n": len(y),
            "positives": int(y.sum()),
            "recall_target": recall_target,
            "high_precision": high_precision,
        }
    return points


def report(examples: Sequence[Example], flagged: Sequence[bool], scores: np.ndarray) -> dict[str, Any]:
    """Precision, recall, AP and precision at recall ≥ 0.95, overall and per language and channel."""
    from sklearn.metrics import average_precision_score, precision_recall_curve

    def numbers(rows: list[int]) -> dict[str, Any]:
        y = np.array([examples[i].label for i in rows])
        f = np.array([flagged[i] for i in rows], dtype=bool)
        p = scores[rows]
        tp = int((f & (y == 1)).sum())
        out: dict[str, Any] = {
            "n": len(rows),
            "positives": int(y.sum()),
            "precision": round(tp / f.sum(), 4) if f.sum() else None,
            "recall": round(tp / y.sum(), 4) if y.sum() else None,
        }
        if 0 < y.sum() < len(y):
            precision, recall, _ = precision_recall_curve(y, p)
            out["ap"] = round(float(average_precision_score(y, p)), 4)
            out["p_at_r95"] = round(float(precision[recall >= 0.95].max()), 4)
        return out

    everything = list(range(len(examples)))
    result: dict[str, Any] = {"all": numbers(everything)}
    for column in ("language", "channel"):
        values = sorted({getattr(e, column) for e in examples} - {""})
        result[column] = {
            value: numbers([i for i in everything if getattr(examples[i], column) == value])
            for value in values
        }
    return result


def no_worse(before: dict[str, Any], after: dict[str, Any], tolerance: float) -> bool:
    """Whether `after` keeps recall and precision on every language of `before` (within `tolerance`)."""
    for code, old in before.get("language", {}).items():
        new = after.get("language", {}).get(code)
        if new is None:
            return False
        for measure in ("recall", "precision"):
            if old.get(measure) is not None and (new.get(measure) or 0.0) < old[measure] - tolerance:
                return False
    return True
