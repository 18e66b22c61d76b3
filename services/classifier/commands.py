"""What the classifier's CLI commands do (services/cli.py only parses arguments and prints)."""

from __future__ import annotations

import datetime as dt
import json
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
from sqlalchemy import select

from services.classifier import artefact, calibration, data, evaluate, registry, train, wrappers
from services.classifier.encoder import EncoderSpec
from services.classifier.exceptions import TrainingDataError
from services.classifier.finetune import FinetuneConfig
from services.classifier.model import Classifier, Verdict
from shared.settings import Settings

SEED_DATA = registry.PROJECT_ROOT / "data/seed/messages.csv"
EVAL_DATA = registry.PROJECT_ROOT / "data/eval/messages.csv"  # independent: never trained on
# A retrained version may lose this much recall or precision on the calibration part (about one
# message in 200) and still be activated; a real loss is larger, noise between versions is not.
GUARD_TOLERANCE = 0.005
FEEDBACK_WEIGHT = 3.0  # a staff decision on the organisation's own mail counts more than a seed row
# The shipped design fine-tunes the encoder for this many epochs (models/README.md: measured).
DESIGN_FINETUNE_EPOCHS = 0


def default_model(settings: Settings) -> Path:
    return registry.resolve(settings.model_dir)


def load(model: Path | None, settings: Settings) -> Classifier:
    return Classifier.load(
        model or default_model(settings),
        threads=settings.classifier_threads,
        allow_download=settings.classifier_allow_download,
    )


def describe(verdict: Verdict) -> str:
    """A verdict as the terminal shows it: decision, score, band, language, driving phrases."""
    decision = "FLAG: expression of dissatisfaction" if verdict.flagged else "pass: no dissatisfaction found"
    lines = [
        decision,
        f"score {verdict.probability:.3f} (threshold {verdict.threshold:.3f}), band {verdict.band}, "
        f"language {verdict.language or 'unknown'}, model {verdict.model_version}",
    ]
    if verdict.phrases:
        lines.append("driving phrases:")
        for phrase in sorted(verdict.phrases, key=lambda p: -float(p["weight"])):  # type: ignore[arg-type]
            lines.append(f"  [{phrase['start']}:{phrase['end']}] {phrase['kind']}: {phrase['text']!r}")
    return "\n".join(lines)


def training_config(
    settings: Settings,
    *,
    folds: int = 5,
    progress: bool = True,
    finetune_epochs: int | None = None,
    encoder: EncoderSpec | None = None,
) -> train.TrainConfig:
    """The shipped design's training settings; `finetune_epochs` 0 keeps the encoder as published."""
    epochs = DESIGN_FINETUNE_EPOCHS if finetune_epochs is None else finetune_epochs
    return train.TrainConfig(
        encoder=encoder or design_encoder(settings),
        finetune=FinetuneConfig(epochs=epochs) if epochs > 0 else None,
        folds=folds,
        threads=settings.classifier_threads,
        allow_download=settings.classifier_allow_download,
        progress=progress,
    )


def encoder_spec(encoder: str | None, layers: str, prefix: str) -> EncoderSpec | None:
    """The encoder named on the command line (None: the design's), e.g. layers '4,8,12'."""
    if encoder is None:
        return None
    try:
        chosen = tuple(int(layer) for layer in layers.split(","))
    except ValueError:
        raise TrainingDataError(
            f"--layers {layers!r}: give layer numbers separated by commas, e.g. 4,8,12."
        ) from None
    return EncoderSpec(id=encoder, layers=chosen, prefix=prefix)


def design_encoder(settings: Settings) -> EncoderSpec:
    """The encoder (and its layers and prefix) of the configured model, unless one is set explicitly.

    Retraining then reuses the model's own encoder.onnx (train.prepare_encoder copies it) and
    needs neither torch nor the encoder's package; SIGNAAL_CLASSIFIER_ENCODER picks another one.
    """
    existing = _existing_model(settings)
    if "classifier_encoder" in settings.model_fields_set or existing is None:
        return EncoderSpec(id=settings.classifier_encoder)
    return EncoderSpec.from_json(artefact.load(existing).manifest["encoder"])


@dataclass(frozen=True)
class IndependentParts:
    calibration: list[data.Example]
    test: list[data.Example]


def independent_parts(path: Path | None) -> IndependentParts:
    """The independent set's calibration rows (to choose thresholds) and test rows (to report)."""
    if path is None:
        return IndependentParts([], [])
    return IndependentParts(data.read_csv(path, split="calibration"), data.read_csv(path, split="test"))


def split_for_training(examples: Sequence[data.Example]) -> tuple[list[data.Example], list[data.Example]]:
    """Rows marked heldout verify; everything else trains."""
    return [e for e in examples if e.split != "heldout"], [e for e in examples if e.split == "heldout"]


def cross_validate(
    examples: Sequence[data.Example],
    folds: int,
    settings: Settings,
    *,
    progress: bool = True,
    finetune_epochs: int | None = None,
) -> dict[str, Any]:
    """K-fold CV of the shipped design on `examples`.

    With a published encoder its features are cached in var/; with fine-tuning each fold
    tunes its own encoder on its training rows.
    """
    data.require_both_classes(examples)
    config = training_config(settings, folds=folds, progress=progress, finetune_epochs=finetune_epochs)
    texts = wrappers.own_words([e.text for e in examples])
    y = np.array([e.label for e in examples])
    if config.finetune is not None:
        full, _ = train.out_of_fold(texts, None, y, config)
    else:
        with tempfile.TemporaryDirectory() as scratch:
            encoder = train.prepare_encoder(Path(scratch), config, reuse_from=_existing_model(settings))
            embeddings = train.embed(encoder, texts, progress=progress)
            full, _ = train.out_of_fold(texts, embeddings, y, config)
    at_half = evaluate.summary(y, full, 0.5)
    threshold = train.threshold_for_recall(y, full, config.recall_target)
    return {
        **at_half,
        "by": evaluate.breakdown(examples, y, full, 0.5),
        "folds": folds,
        "at_recall_target": evaluate.summary(y, full, threshold),
        "scores": full.tolist(),
    }


def _existing_model(settings: Settings) -> Path | None:
    path = default_model(settings)
    return path if (path / "manifest.json").exists() else None


def feedback_examples(database: Any) -> list[data.Example]:
    """The latest staff verdict per message, as training examples."""
    from shared.models import FeedbackLabel, Message

    with database.session() as session:
        rows = session.execute(
            select(
                FeedbackLabel.message_id, FeedbackLabel.label, Message.text, Message.subject, Message.channel
            )
            .join(Message, Message.id == FeedbackLabel.message_id)
            .order_by(FeedbackLabel.id)
        ).all()
    latest = {row.message_id: row for row in rows}
    return [
        data.Example(
            text=row.text if row.text.strip() else row.subject,
            label=int(row.label),
            channel=row.channel,
            source="feedback",
            weight=FEEDBACK_WEIGHT,
        )
        for row in latest.values()
    ]


def retrain_from_feedback(
    database: Any,
    settings: Settings,
    *,
    out: Path | None = None,
    folds: int = 5,
    progress: bool = True,
    finetune_epochs: int | None = None,
) -> dict[str, Any]:
    """Seed train split + feedback → a new version, activated only if held-out recall does not drop.

    The new version follows the active model's design (fine-tuned or not) unless
    `finetune_epochs` says otherwise.
    """
    from shared.models import FeedbackLabel

    seed_train = data.read_csv(SEED_DATA, split="train")
    heldout = data.read_csv(SEED_DATA, split="heldout")
    feedback = feedback_examples(database)
    if not feedback:
        raise TrainingDataError(
            "No feedback labels yet: staff confirm or dismiss signals in the queue first."
        )
    with database.session() as session:
        current_row = registry.active(session)
    current_path = registry.resolve(current_row.path) if current_row else default_model(settings)
    current = Classifier.load(current_path, threads=settings.classifier_threads)
    if finetune_epochs is None:
        tuned = FinetuneConfig.from_json(current.artefact.manifest["encoder"].get("finetune"))
        finetune_epochs = tuned.epochs if tuned is not None else 0
    before = evaluate.evaluate(current, heldout, progress=progress)
    independent = independent_parts(EVAL_DATA if EVAL_DATA.exists() else None)
    calibration_before = train.measured(current, independent.calibration, progress=progress)
    version = f"signaal-feedback-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    out = out or registry.PROJECT_ROOT / "var/models" / version
    note = f"seed train split ({len(seed_train)}) + {len(feedback)} feedback label(s)"
    model = train.train(
        [*seed_train, *feedback],
        out,
        heldout=heldout,
        calibration=independent.calibration,
        independent_test=independent.test,
        config=training_config(
            settings,
            folds=folds,
            progress=progress,
            finetune_epochs=finetune_epochs,
            encoder=EncoderSpec.from_json(current.artefact.manifest["encoder"]),  # the active design
        ),
        version=version,
        reuse_encoder_from=current_path,
        note=note,
    )
    after = model.manifest["metrics"]["heldout"]
    calibration_after = model.manifest["metrics"].get("calibration", {})
    reasons = []
    if after["recall"] < before["recall"]:
        reasons.append("held-out recall dropped")
    if independent.calibration and not calibration.no_worse(
        calibration_before, calibration_after, GUARD_TOLERANCE
    ):
        reasons.append("recall or precision on the independent calibration part dropped")
    accepted = not reasons
    metrics = {"heldout": {k: after[k] for k in ("precision", "recall", "f1", "macro_f1", "threshold", "n")}}
    with database.transaction() as session:
        if accepted:
            if current_row is None:
                registry.record(
                    session,
                    version=current.version,
                    path=current_path,
                    metrics=current.artefact.manifest.get("metrics", {}),
                    note="the configured model, recorded when the first retrained version replaced it",
                )
            registry.activate(session, version=version, path=out, metrics=metrics, note=note, actor="cli")
            session.query(FeedbackLabel).filter(FeedbackLabel.used_in_model.is_(None)).update(
                {"used_in_model": version}, synchronize_session=False
            )
        else:
            registry.record(
                session,
                version=version,
                path=out,
                metrics=metrics,
                note=f"not activated: {'; '.join(reasons)}; {note}",
            )
    return {
        "version": version,
        "path": str(out),
        "activated": accepted,
        "reason": "; ".join(reasons),
        "calibration_before": calibration_before.get("language", {}),
        "calibration_after": calibration_after.get("language", {}),
        "previous": current.version,
        "recall_before": before["recall"],
        "recall_after": after["recall"],
        **{k: after[k] for k in ("precision", "recall", "f1", "macro_f1", "threshold", "n")},
    }


def json_line(report: dict[str, Any]) -> str:
    """The one JSON object `--json` prints last (without per-row scores)."""
    return json.dumps({k: v for k, v in report.items() if k != "scores"}, ensure_ascii=False)
