"""The classify stage with the shipped model on a real database: what it records, and retraining."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from services.classifier import artefact, commands, registry
from services.classifier.model import Classifier
from services.classifier.stage import ClassifyStage
from services.ingest.sink import Sink
from services.router.departments import sync_departments
from shared.config import Department, OrganisationConfig
from shared.db import Database
from shared.models import AuditEntry, Classification, FeedbackLabel, Message, ModelVersion
from shared.pipeline import Worker
from shared.settings import Settings, get_settings
from shared.states import State
from tests.conftest import make_incoming


def shipped_version() -> str:
    """The version in the configured model folder's manifest (the model the stage loads)."""
    return artefact.load(registry.resolve(Settings().model_dir)).version


COMPLAINT = (
    "Dit is de derde keer dat ik bel over de container die niet geleegd wordt. Nog steeds niets gebeurd!"
)
NEUTRAL = "Wat zijn de openingstijden van het stadskantoor?"
DEPARTMENTS = OrganisationConfig(
    default_department="Frontoffice",
    departments=[
        Department(
            name="Afval", description="Huisvuil, containers en ophalen", keywords=["container", "afval"]
        ),
        Department(name="Parkeren", description="Parkeervergunningen en boetes", keywords=["parkeren"]),
        Department(name="Belastingen", description="WOZ en gemeentelijke belastingen", keywords=["WOZ"]),
    ],
)


def classify(database: Database, *incoming: object) -> dict[int, Message]:
    stored = Sink(database, "test").store(list(incoming))  # type: ignore[arg-type]
    Worker(ClassifyStage(get_settings()), database).drain()
    with database.session() as session:
        messages = {s.message_id: session.get(Message, s.message_id) for s in stored}
        session.expunge_all()
    return messages  # type: ignore[return-value]


def classification(database: Database, message_id: int) -> Classification:
    with database.session() as session:
        row = session.scalars(select(Classification).where(Classification.message_id == message_id)).one()
        session.expunge(row)
        return row


@pytest.mark.needs_model
def test_the_stage_records_version_phrases_language_and_department_hints(database: Database) -> None:
    sync_departments(database, DEPARTMENTS)
    messages = classify(database, make_incoming(COMPLAINT), make_incoming(NEUTRAL))
    complaint_id, neutral_id = list(messages)
    assert messages[complaint_id].state == State.classified
    assert messages[neutral_id].state == State.not_flagged
    assert messages[complaint_id].language == "nl"

    row = classification(database, complaint_id)
    assert row.model_version == shipped_version()
    assert row.flagged and row.band in {"high", "possible"} and row.score >= row.threshold
    assert row.language == "nl"
    assert row.phrases
    for phrase in row.phrases:
        assert COMPLAINT[phrase["start"] : phrase["end"]] == phrase["text"]
    assert 1 <= len(row.department_hints) <= 3
    assert row.department_hints[0]["department"] == "Afval"

    neutral = classification(database, neutral_id)
    assert not neutral.flagged and neutral.band == "none" and neutral.phrases == []


def test_the_interim_rule_records_its_own_version_when_configured(sqlite_database: Database) -> None:
    Sink(sqlite_database, "test").store(
        [make_incoming("Dit is de derde keer, onacceptabel."), make_incoming("Hoe laat gaat het loket open?")]
    )
    Worker(ClassifyStage(Settings(model_dir="interim")), sqlite_database).drain()
    with sqlite_database.session() as session:
        rows = session.scalars(select(Classification).order_by(Classification.message_id)).all()
    assert [r.model_version for r in rows] == ["interim-lexicon-1", "interim-lexicon-1"]
    assert [r.flagged for r in rows] == [True, False]
    assert {p["text"] for p in rows[0].phrases} == {"derde keer", "onacceptabel"}


@pytest.mark.needs_model
def test_automated_mail_is_never_flagged(sqlite_database: Database) -> None:
    bounce = make_incoming(
        "Dit is de derde keer dat uw bericht niet kon worden afgeleverd. Onacceptabel!",
        is_automated=True,
        automated_reason="Auto-Submitted: auto-replied",
    )
    (message,) = classify(sqlite_database, bounce).values()
    assert message.state == State.automated
    with sqlite_database.session() as session:
        assert session.scalars(select(Classification)).all() == []


@pytest.mark.needs_model
def test_a_long_email_is_scored_whole(sqlite_database: Database) -> None:
    filler = "Wij hebben vorig jaar een nieuwe keuken laten plaatsen en de aannemer was op tijd klaar. " * 50
    text = (
        filler
        + "Maar nu wacht ik al drie maanden op de vergunning en niemand reageert. Dit is de derde keer."
    )
    (message,) = classify(sqlite_database, make_incoming(text, channel="email")).values()
    row = classification(sqlite_database, message.id)
    assert row.flagged
    assert any(p["start"] >= len(filler) for p in row.phrases)


@pytest.mark.needs_model
@pytest.mark.slow
def test_feedback_retraining_changes_a_decision_it_was_taught(
    sqlite_database: Database, tmp_path: Path
) -> None:
    settings = Settings()
    taught = "Zondagochtend om zeven uur bladblazers in het park."  # implicit: staff confirm it
    shipped = registry.classifier(registry.resolve(settings.model_dir), settings)
    assert not shipped.score([taught])[0].flagged  # the shipped model sees a neutral report

    messages = classify(sqlite_database, *[make_incoming(taught) for _ in range(3)])
    with sqlite_database.transaction() as session:
        session.add_all(FeedbackLabel(message_id=i, label=True, source="review") for i in messages)

    # Without encoder fine-tuning, which would take minutes here (tests/unit/test_classifier_finetune.py
    # covers it); the feedback path is the same either way.
    result = commands.retrain_from_feedback(
        sqlite_database, settings, out=tmp_path / "retrained", folds=2, progress=False, finetune_epochs=0
    )

    retrained = Classifier.load(Path(result["path"]))
    assert retrained.score([taught])[0].flagged
    with sqlite_database.session() as session:
        versions = {v.version: v for v in session.scalars(select(ModelVersion))}
        assert result["version"] in versions
        if result["activated"]:
            assert versions[result["version"]].active
            assert session.scalars(select(AuditEntry).where(AuditEntry.action == "model.activate")).one()
        else:
            assert result["reason"]  # held-out recall, or recall/precision on the calibration part, dropped
