"""The database pipeline on SQLite and PostgreSQL: claim, lease, dispose, fail, retry, stop.

The worker's mechanics are exercised with `FakeClassifyStage`, a stand-in that needs no model; the
test of a message's way through the real stages loads the shipped classifier (`needs_model`).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Sequence
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.classifier.stage import ClassifyStage
from services.ingest.sink import Sink
from services.router.departments import sync_departments
from services.router.stage import RouteStage
from shared import claim
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Assignment, Classification, FollowUp, Message, Signal, utcnow
from shared.pipeline import StageBase, Worker, WorkerConfig, retry_failed
from shared.settings import get_settings
from shared.states import Band, Stage, State
from tests.conftest import make_incoming

COMPLAINT = "Dit is de derde keer dat ik mail en nog steeds geen reactie. Onacceptabel."
NEUTRAL = "Wat zijn de openingstijden van het stadskantoor?"


def store(database: Database, *texts: str) -> list[int]:
    return [s.message_id for s in Sink(database, "test").store([make_incoming(t) for t in texts])]


def states(database: Database) -> dict[str, int]:
    with database.session() as session:
        return dict(session.execute(select(Message.state, func.count()).group_by(Message.state)).all())


def count(database: Database, model: type) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(model)) or 0


class FakeClassifyStage(StageBase):
    """The classify stage's place in the pipeline without its model: flags a text that says "geen reactie"."""

    stage = Stage.classify
    input_state = State.received

    def prepare(self, messages: Sequence[Message]) -> Sequence[Any]:
        return ["geen reactie" in m.text.lower() for m in messages]

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        flagged = bool(prepared)
        session.add(
            Classification(
                message_id=message.id,
                model_version="fake-1",
                score=1.0 if flagged else 0.0,
                threshold=0.5,
                flagged=flagged,
                band=Band.high if flagged else Band.none,
                language="nl",
            )
        )
        return State.classified if flagged else State.not_flagged


class ExplodingStage(FakeClassifyStage):
    """The fake classify stage, except that it raises on messages containing 'BOOM'."""

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if "BOOM" in message.text:
            raise RuntimeError("simulated bug in the stage")
        return super().dispose(session, message, prepared)


@pytest.mark.needs_model
def test_a_message_moves_through_every_stage_and_is_routed(database: Database) -> None:
    store(database, COMPLAINT, NEUTRAL)
    sync_departments(database, OrganisationConfig(default_department="Frontoffice"))

    assert Worker(ClassifyStage(get_settings()), database).drain() == 2
    assert Worker(RouteStage(get_settings()), database).drain() == 1

    assert states(database) == {State.routed: 1, State.not_flagged: 1}
    with database.session() as session:
        signal = session.scalars(select(Signal)).one()
        assert signal.message.text == COMPLAINT
        assert signal.band in {"high", "possible"}
        assignment = session.scalars(select(Assignment)).one()
        assert assignment.department_id == signal.department_id
        assert assignment.rule == "default-team" and "standaardteam Frontoffice" in assignment.reason
        follow_up = session.scalars(select(FollowUp)).one()
        assert follow_up.due_at > utcnow()
        classification = session.scalars(
            select(Classification).where(Classification.message_id == signal.message_id)
        ).one()
        assert any("derde keer" in p["text"] for p in classification.phrases)


def test_storing_the_same_message_twice_keeps_one_row(database: Database) -> None:
    sink = Sink(database, "test")
    first = sink.store([make_incoming(COMPLAINT, dedupe_key="uid-7")])
    again = sink.store(
        [make_incoming(COMPLAINT, dedupe_key="uid-7"), make_incoming(NEUTRAL, dedupe_key="uid-8")]
    )

    assert first[0].created and not again[0].created and again[1].created
    assert again[0].message_id == first[0].message_id
    assert count(database, Message) == 2


def test_the_same_key_from_another_source_is_another_message(database: Database) -> None:
    Sink(database, "mailbox-a").store([make_incoming(COMPLAINT, dedupe_key="uid-1", source="mailbox-a")])
    Sink(database, "mailbox-b").store([make_incoming(COMPLAINT, dedupe_key="uid-1", source="mailbox-b")])
    assert count(database, Message) == 2


def test_automated_and_unparseable_messages_skip_classification(database: Database) -> None:
    Sink(database, "test").store(
        [
            make_incoming(
                "Out of office", is_automated=True, automated_reason="Auto-Submitted: auto-replied"
            ),
            make_incoming("", parse_error="could not parse MIME structure"),
        ]
    )
    assert Worker(ClassifyStage(get_settings()), database).drain() == 0
    assert states(database) == {State.automated: 1, State.quarantined: 1}


def test_a_leased_row_is_not_claimed_by_another_worker(database: Database) -> None:
    store(database, COMPLAINT, COMPLAINT, COMPLAINT)
    lease = dt.timedelta(minutes=5)
    with database.transaction() as session:
        first = claim.claim(session, state=State.received, owner="a", limit=2, now=utcnow(), lease=lease)
    with database.transaction() as session:
        second = claim.claim(session, state=State.received, owner="b", limit=10, now=utcnow(), lease=lease)
    assert len(first) == 2 and len(second) == 1
    assert not set(first) & set(second)


def test_an_expired_lease_is_reclaimed_and_the_item_finished_once(database: Database) -> None:
    (message_id,) = store(database, COMPLAINT)
    crashed = Worker(FakeClassifyStage(), database)
    with database.transaction() as session:
        # The crashed worker claimed an hour ago; its lease has long expired.
        claim.claim(
            session,
            state=State.received,
            owner=crashed.id,
            limit=10,
            now=utcnow() - dt.timedelta(hours=1),
            lease=dt.timedelta(seconds=30),
        )

    assert Worker(FakeClassifyStage(), database).drain() == 1
    # The crashed worker comes back to life and tries to finish: its lease is gone.
    crashed._process(message_id, None)

    assert states(database) == {State.classified: 1}
    assert count(database, Classification) == 1


def test_an_exception_fails_only_that_item_and_retry_brings_it_back(database: Database) -> None:
    store(database, COMPLAINT, "BOOM " + COMPLAINT, NEUTRAL)

    assert Worker(ExplodingStage(), database).drain() == 3

    assert states(database) == {State.classified: 1, State.failed: 1, State.not_flagged: 1}
    with database.session() as session:
        failed = session.scalars(select(Message).where(Message.state == State.failed)).one()
        assert failed.failed_stage == "classify"
        assert "simulated bug in the stage" in (failed.error or "")
        assert failed.lease_owner is None and failed.attempts == 1

    assert retry_failed(database, stage=Stage.classify) == 1
    assert states(database)[State.received] == 1
    assert Worker(FakeClassifyStage(), database).drain() == 1
    assert states(database) == {State.classified: 2, State.not_flagged: 1}


class PrepareFailsOnBoom(FakeClassifyStage):
    def prepare(self, messages: Sequence[Message]) -> Sequence[Any]:
        if any("BOOM" in m.text for m in messages):
            raise ValueError("cannot encode this batch")
        return super().prepare(messages)


def test_a_batch_preparation_error_fails_only_the_offending_item(database: Database) -> None:
    store(database, COMPLAINT, "BOOM", NEUTRAL)
    Worker(PrepareFailsOnBoom(), database).drain()
    assert states(database) == {State.classified: 1, State.failed: 1, State.not_flagged: 1}


class StopsAfterFirstItem(FakeClassifyStage):
    def __init__(self, stop: threading.Event) -> None:
        self.stop = stop

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        self.stop.set()  # as if SIGTERM arrived while this item was in hand
        return super().dispose(session, message, prepared)


def test_stopping_finishes_the_item_in_hand_and_releases_the_rest(database: Database) -> None:
    store(database, COMPLAINT, COMPLAINT, COMPLAINT)
    stop = threading.Event()
    Worker(StopsAfterFirstItem(stop), database, WorkerConfig(batch_size=10)).run_once(stop)

    assert states(database) == {State.classified: 1, State.received: 2}
    with database.session() as session:
        leased = session.scalar(select(func.count()).where(Message.lease_owner.is_not(None)))
    assert leased == 0  # released at once, not left to expire


def test_routing_twice_never_creates_a_second_assignment(database: Database) -> None:
    (message_id,) = store(database, COMPLAINT)
    sync_departments(database, OrganisationConfig())
    Worker(FakeClassifyStage(), database).drain()
    Worker(RouteStage(get_settings()), database).drain()
    with database.transaction() as session:  # e.g. an operator re-queues it by hand
        session.get(Message, message_id).state = State.classified

    Worker(RouteStage(get_settings()), database).drain()

    assert count(database, Signal) == 1 and count(database, Assignment) == 1
    assert states(database) == {State.routed: 1}


def test_routing_without_a_default_department_fails_visibly(database: Database) -> None:
    store(database, COMPLAINT)
    Worker(FakeClassifyStage(), database).drain()
    Worker(RouteStage(get_settings()), database).drain()
    with database.session() as session:
        failed = session.scalars(select(Message)).one()
    assert failed.state == State.failed and "No default department" in (failed.error or "")
