"""Follow-ups on SQLite and PostgreSQL: states, events, the formal procedure and its one extension."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from services.router import followups, manual
from services.router.exceptions import ExtensionRefused, InvalidTransition
from shared import workdays
from shared.db import Database
from shared.models import AuditEntry, FollowUp, FollowUpEvent, Signal
from tests.routing import base_url, classified, handler, handler_id, organise, route, routed


@pytest.fixture
def follow_up_id(database: Database) -> int:
    organise(
        database,
        departments=[{"name": "Afval", "followup_days": 3}],
        handlers=[handler("Anna Smit", "Afval"), handler("Bram Visser", "Afval", capacity=0)],
        rules=[{"name": "alles", "department": "Afval"}],
    )
    message = classified(database)
    route(database)
    signal = routed(database, message)[0]
    with database.session() as session:
        return session.scalars(select(FollowUp.id).where(FollowUp.signal_id == signal.id)).one()


def step(database: Database, follow_up_id: int, to: str, kind: str = "phone", note: str = "") -> None:
    with database.transaction() as session:
        follow_up = followups.get(db_session=session, follow_up_id=follow_up_id)
        followups.transition(
            db_session=session, follow_up=follow_up, to=to, kind=kind, note=note, actor="anna"
        )


def test_every_routed_signal_gets_an_open_informal_follow_up(database: Database, follow_up_id: int) -> None:
    with database.session() as session:
        follow_up = session.get_one(FollowUp, follow_up_id)
        assert (follow_up.kind, follow_up.status) == ("informal", "open")
        # Afval's follow_up_days: 3 (the routing happened just before the follow-up was made).
        assert follow_up.due_at == workdays.add_working_days(follow_up.created_at, 3)


def test_contact_then_resolution_is_recorded_as_events_and_audited(
    database: Database, follow_up_id: int
) -> None:
    step(database, follow_up_id, "contacted", note="Burger gebeld, container wordt morgen geleegd.")
    step(database, follow_up_id, "resolved", kind="note", note="Bevestigd door burger.")

    with database.session() as session:
        follow_up = session.get_one(FollowUp, follow_up_id)
        events = session.scalars(select(FollowUpEvent).order_by(FollowUpEvent.id)).all()
        audited = session.scalars(
            select(AuditEntry.action).where(
                AuditEntry.object_type == "follow_ups", AuditEntry.object_id == follow_up_id
            )
        ).all()
    assert (follow_up.status, follow_up.closed_at is not None) == ("resolved", True)
    assert [(e.kind, e.from_status, e.to_status, e.actor) for e in events] == [
        ("phone", "open", "contacted", "anna"),
        ("note", "contacted", "resolved", "anna"),
    ]
    assert audited == ["followup.transition", "followup.transition"]


def test_resolving_before_any_contact_is_refused_with_a_clear_error(
    database: Database, follow_up_id: int
) -> None:
    with pytest.raises(InvalidTransition, match="Record the contact with the citizen first"):
        step(database, follow_up_id, "resolved")


def test_a_closed_follow_up_cannot_change_any_more(database: Database, follow_up_id: int) -> None:
    step(database, follow_up_id, "not_a_complaint", kind="note")
    with pytest.raises(InvalidTransition, match="already not a complaint"):
        step(database, follow_up_id, "contacted")


def test_moving_to_the_formal_procedure_opens_a_six_week_deadline(
    database: Database, follow_up_id: int
) -> None:
    step(database, follow_up_id, "contacted")
    step(database, follow_up_id, "formal", kind="email", note="Burger wil een formele behandeling.")

    with database.session() as session:
        formal = session.scalars(select(FollowUp).where(FollowUp.kind == "formal")).one()
        assert formal.status == "open"
        assert formal.due_at == followups.deadline(formal.created_at, followups.FORMAL_TERM)


def test_the_formal_deadline_extends_once_by_four_weeks(database: Database, follow_up_id: int) -> None:
    step(database, follow_up_id, "formal", kind="email")
    with database.transaction() as session:
        formal = session.scalars(select(FollowUp).where(FollowUp.kind == "formal")).one()
        first_due = formal.due_at
        followups.extend(db_session=session, follow_up=formal, note="Advies nodig.", actor="anna")
        assert formal.due_at == followups.deadline(first_due, followups.EXTENSION)
    with database.transaction() as session, pytest.raises(ExtensionRefused, match="extended once already"):
        formal = session.scalars(select(FollowUp).where(FollowUp.kind == "formal")).one()
        followups.extend(db_session=session, follow_up=formal, note="Nog meer tijd.", actor="anna")


def test_an_informal_follow_up_cannot_be_extended(database: Database, follow_up_id: int) -> None:
    with database.transaction() as session, pytest.raises(ExtensionRefused, match="Only the formal"):
        follow_up = session.get_one(FollowUp, follow_up_id)
        followups.extend(db_session=session, follow_up=follow_up, note="x", actor="anna")


def test_a_manual_reassignment_overrides_the_router_and_is_audited(
    database: Database, follow_up_id: int
) -> None:
    with database.transaction() as session:
        signal = session.scalars(select(Signal)).one()
        manual.reassign(
            db_session=session,
            signal_id=signal.id,
            department_id=None,
            handler_id=handler_id(database, "Bram Visser"),
            note="Bram kent deze straat.",
            actor="fo-medewerker",
            base_url=base_url(),
        )
    with database.session() as session:
        signal = session.scalars(select(Signal)).one()
        entry = session.scalars(select(AuditEntry).where(AuditEntry.actor == "fo-medewerker")).one()
    assert signal.handler is not None and signal.handler.name == "Bram Visser"
    assert (entry.action, entry.detail["rule"], entry.detail["handler"]) == (
        "signal.assign",
        "manual",
        "Bram Visser",
    )
