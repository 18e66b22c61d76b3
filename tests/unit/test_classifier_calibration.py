"""Thresholds per language come from the calibration part; the retrain guard compares that part."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from services.classifier import calibration
from services.classifier.data import Example


def _examples(code: str, n: int, rng: np.random.Generator) -> tuple[list[Example], np.ndarray]:
    labels = np.array([i % 2 for i in range(n)])
    scores = np.clip(labels * 0.5 + rng.normal(0.25, 0.15, n), 0, 1)
    return [Example(text=f"{code} {i}", label=int(y), language=code) for i, y in enumerate(labels)], scores


def test_each_language_gets_the_threshold_that_keeps_its_recall() -> None:
    rng = np.random.default_rng(3)
    dutch, dutch_scores = _examples("nl", 100, rng)
    english, english_scores = _examples("en", 60, rng)
    english_scores = english_scores * 0.5  # a language the model scores lower overall
    examples, scores = dutch + english, np.concatenate([dutch_scores, english_scores])

    points = calibration.operating_points(examples, scores, recall_target=0.95, high_precision=0.9)

    assert set(points) == {"nl", "en"}
    for code, part_scores, part in (("nl", dutch_scores, dutch), ("en", english_scores, english)):
        y = np.array([e.label for e in part])
        recall = (part_scores[y == 1] >= points[code]["threshold"]).mean()
        assert recall >= 0.95
        assert points[code]["high_threshold"] >= points[code]["threshold"]
    assert points["en"]["threshold"] < points["nl"]["threshold"]


def test_few_complaints_allow_no_misses_and_many_allow_nearly_five_percent() -> None:
    def misses(n: int) -> int:
        scores, labels = np.linspace(0.01, 1, n), np.ones(n, dtype=int)
        return int((scores < calibration.threshold_for_recall_bound(labels, scores, 0.95, 0.8)).sum())

    assert misses(34) == 0
    assert 1 <= misses(78) < 0.05 * 78
    assert 0.04 * 1000 < misses(1000) < 0.05 * 1000


def test_a_language_with_too_few_rows_keeps_the_global_threshold() -> None:
    examples = [Example(text=str(i), label=i % 2, language="en") for i in range(8)]
    assert (
        calibration.operating_points(examples, np.linspace(0, 1, 8), recall_target=0.95, high_precision=0.9)
        == {}
    )


def test_the_guard_refuses_a_version_that_loses_precision_or_recall_in_a_language() -> None:
    before = {
        "language": {"nl": {"recall": 0.96, "precision": 0.80}, "en": {"recall": 0.97, "precision": 0.82}}
    }
    same = {
        "language": {"nl": {"recall": 0.958, "precision": 0.80}, "en": {"recall": 0.97, "precision": 0.83}}
    }
    worse_precision = {"language": {**same["language"], "en": {"recall": 0.97, "precision": 0.78}}}
    worse_recall = {"language": {**same["language"], "nl": {"recall": 0.93, "precision": 0.90}}}
    assert calibration.no_worse(before, same, tolerance=0.005)
    assert not calibration.no_worse(before, worse_precision, tolerance=0.005)
    assert not calibration.no_worse(before, worse_recall, tolerance=0.005)
    assert not calibration.no_worse(before, {"language": {"nl": same["language"]["nl"]}}, tolerance=0.005)


def test_the_independent_set_is_what_its_parts_make() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "data/eval/build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
