"""Thresholds per language come from the calibration part; the retrain guard compares that part."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.classifier import artefact, calibration, train
from services.classifier.data import Example
from services.classifier.model import Classifier
from shared.settings import Settings


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


@pytest.mark.slow
def test_training_with_a_calibration_part_stores_operating_points_and_reports_the_test_part(
    tmp_path: Path,
) -> None:
    complaints = {
        "nl": [
            "Ik wacht al {n} weken op antwoord, onacceptabel.",
            "Voor de {n}e keer bel ik, niemand helpt.",
        ],
        "en": [
            "I have waited {n} weeks for a reply, unacceptable.",
            "This is call number {n} and nobody helps.",
        ],
    }
    neutral = {
        "nl": ["Wat zijn de openingstijden op dag {n}?", "De lantaarnpaal bij nummer {n} brandt niet."],
        "en": ["When are the bins collected in week {n}?", "Thank you for fixing lamp post {n} so quickly."],
    }

    def rows(code: str, numbers: range) -> list[Example]:
        return [
            Example(text=template.format(n=n), label=label, language=code)
            for n in numbers
            for label, templates in ((1, complaints[code]), (0, neutral[code]))
            for template in templates
        ]

    training = rows("nl", range(2, 30)) + rows("en", range(2, 30))
    calibration_part = rows("nl", range(40, 47)) + rows("en", range(40, 47))
    test_part = rows("nl", range(60, 64)) + rows("en", range(60, 64))
    config = train.TrainConfig(folds=2, progress=False)
    existing = Path(Settings().model_dir)

    train.train(
        training,
        tmp_path / "model",
        calibration=calibration_part,
        independent_test=test_part,
        config=config,
        version="calibrated-test",
        reuse_encoder_from=existing if (existing / "manifest.json").exists() else None,
    )

    manifest = artefact.load(tmp_path / "model").manifest
    assert set(manifest["operating_points"]) == {"nl", "en"}
    assert manifest["metrics"]["calibration"]["language"]["nl"]["recall"] >= 0.95
    assert manifest["metrics"]["independent_test"]["all"]["n"] == len(test_part)
    served = Classifier.load(tmp_path / "model")
    assert served.operating_point("nl")[0] == pytest.approx(manifest["operating_points"]["nl"]["threshold"])


def test_the_independent_set_is_what_its_parts_make() -> None:
    import subprocess
    import sys

    root = Path(__file__).resolve().parents[2]
    result = subprocess.run(
        [sys.executable, str(root / "data/eval/build.py"), "--check"], capture_output=True, text=True
    )
    assert result.returncode == 0, result.stderr
