"""One bad row never stops the same-problem grouping pass: it is set aside and the others are grouped."""

from __future__ import annotations

import itertools

import pytest
import structlog
from sqlalchemy import select, text

from services.router import patterns
from shared.db import Database
from shared.models import Signal, SignalPattern
from tests.routing import classified_messages, organise, route

POLICY = patterns.Policy(contact_messages=3, contact_days=30, group_threshold=0.30, group_days=30)
BINS = [
    "De groene container in de Lindenstraat is al twee weken niet geleegd. Het stinkt.",
    "Groene container Lindenstraat weer niet geleegd, al twee weken!",
    "Waarom wordt de groene container in de Lindenstraat niet geleegd?",
]
BAD = "De groene container in de Lindenstraat is niet geleegd, schrijft burger@example.nl."
# A date no arithmetic survives (year 1 minus the window), and one the driver cannot even read.
PATHOLOGICAL = {
    ("sqlite", "overflow"): "0001-01-01 00:00:00.000000",
    ("sqlite", "unreadable"): "not a date",
    ("postgresql", "overflow"): "0001-01-01 00:00:00-12:00",
    ("postgresql", "unreadable"): "0001-01-01 00:00:00+14:00",
}
_senders = itertools.count(1)


def routed_signals(database: Database, texts: list[str]) -> list[int]:
    ids = []
    for message in texts:
        ids += classified_messages(database, [message], sender_address=f"burger{next(_senders)}@example.nl")
    route(database)
    with database.session() as session:
        by_message = dict(session.execute(select(Signal.message_id, Signal.id)).all())
    return [by_message[i] for i in ids]


UPDATE = {
    "postgresql": (
        "UPDATE signal_patterns SET received_at = CAST(:value AS timestamptz) WHERE signal_id = :id"
    ),
    "sqlite": "UPDATE signal_patterns SET received_at = :value WHERE signal_id = :id",
}


def set_received_at(database: Database, signal_id: int, value: str) -> None:
    with database.engine.begin() as connection:
        connection.execute(text(UPDATE[database.engine.dialect.name]), {"value": value, "id": signal_id})


@pytest.mark.parametrize("kind", ["overflow", "unreadable"])
def test_a_signal_with_a_pathological_date_is_set_aside_and_the_others_are_grouped(
    database: Database, kind: str
) -> None:
    organise(database)
    bad, *bins = routed_signals(database, [BAD, *BINS])  # the bad one first: the oldest in the batch
    set_received_at(database, bad, PATHOLOGICAL[(database.engine.dialect.name, kind)])

    with structlog.testing.capture_logs() as logs:
        handled = patterns.group_pending(database, policy=POLICY)

    assert handled == 4
    with database.session() as session:
        groups = dict(session.execute(select(Signal.id, Signal.group_id)).all())
        grouped = dict(session.execute(select(SignalPattern.signal_id, SignalPattern.grouped)).all())
    assert groups[bins[0]] is not None and {groups[i] for i in bins} == {groups[bins[0]]}
    assert groups[bad] is None and grouped[bad] is True
    [warning] = [entry for entry in logs if entry["log_level"] == "warning"]
    assert warning["signal_id"] == bad and "burger" not in str(warning) and "container" not in str(warning)
    # Never retried, and later passes (whose window reaches back over it) still work.
    assert patterns.group_pending(database, policy=POLICY) == 0
    [later] = routed_signals(database, ["Groene container Lindenstraat: twee weken niet geleegd."])
    assert patterns.group_pending(database, policy=POLICY) == 1
    with database.session() as session:
        assert session.get(Signal, later).group_id == groups[bins[0]]  # type: ignore[union-attr]
