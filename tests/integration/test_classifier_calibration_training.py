"""Training with a calibration part stores per-language operating points and reports the test part."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.classifier import artefact, train
from services.classifier.data import Example
from services.classifier.model import Classifier
from shared.settings import Settings

pytestmark = pytest.mark.needs_model


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


def test_calibrating_a_copy_of_the_shipped_model_rewrites_only_its_operating_points(tmp_path: Path) -> None:
    import shutil

    model_dir = tmp_path / "model"
    shutil.copytree(Path(Settings().model_dir), model_dir)
    head_before = (model_dir / "head.npz").read_bytes()
    examples = [
        Example(
            text=f"Ik wacht al {n} weken op antwoord, dit is de derde keer dat ik bel.",
            label=1,
            language="nl",
        )
        for n in range(3, 16)
    ] + [
        Example(text=f"Wat zijn de openingstijden van het stadskantoor op dag {n}?", label=0, language="nl")
        for n in range(3, 16)
    ]

    saved = train.calibrate(model_dir, examples, examples[:4], config=train.TrainConfig(progress=False))

    assert (model_dir / "head.npz").read_bytes() == head_before
    assert set(saved.manifest["operating_points"]) == {"nl"}
    assert saved.manifest["operating_points"]["nl"]["n"] == len(examples)
    assert saved.manifest["metrics"]["independent_test"]["all"]["n"] == 4
    assert Classifier.load(model_dir).operating_point("nl")[0] == pytest.approx(
        saved.manifest["operating_points"]["nl"]["threshold"]
    )
