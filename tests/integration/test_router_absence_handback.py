"""A long absence hands a handler's untouched signals back, on SQLite and PostgreSQL (the waiting pass)."""

from __future__ import annotations

import datetime as dt
import threading
from collections import Counter
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.api import users
from services.api.access import tokens
from services.api.app import create_app
from services.router import choice, explain, followups, waiting
from services.router.handback import HANDBACK_RULE
from shared import workdays
from shared.db import Database
from shared.models import Absence, Assignment, AuditEntry, FollowUp, Signal
from shared.settings import Settings
from tests.routing import (
    around_today,
    base_url,
    classified_messages,
    handler,
    handler_id,
    organise,
    route,
    routed,
)

DEPARTMENT = {"name": "Afval", "followup_days": 2}
RULES = [{"name": "alles", "department": "Afval"}]


def held_by_anna(database: Database, count: int = 1, *, colleagues: list[dict] | None = None) -> list[int]:
    """`count` signals routed to Anna Smit in Afval; then `colleagues` join the department."""
    anna = handler("Anna Smit", "Afval", capacity=50)
    organise(database, departments=[DEPARTMENT], handlers=[anna], rules=RULES)
    messages = classified_messages(database, [f"Al weken geen reactie ({n})." for n in range(count)])
    route(database)
    assert {routed(database, m)[2] for m in messages} == {"Anna Smit"}
    organise(database, departments=[DEPARTMENT], handlers=[anna, *(colleagues or [])], rules=RULES)
    return messages


def due_day(database: Database, message: int) -> dt.date:
    """The Amsterdam date the signal's informal follow-up is due."""
    signal = routed(database, message)[0]
    with database.session() as session:
        due_at = session.scalars(select(FollowUp.due_at).where(FollowUp.signal_id == signal.id)).one()
    return due_at.astimezone(workdays.AMSTERDAM).date()


def away(database: Database, name: str, start: dt.date, end: dt.date) -> None:
    with database.transaction() as session:
        session.add(Absence(handler_id=handler_id(database, name), start=start, end=end))


def today() -> dt.date:
    return choice.today()


def assignments(database: Database, message: int) -> list[Assignment]:
    signal = routed(database, message)[0]
    with database.session() as session:
        return list(
            session.scalars(
                select(Assignment).where(Assignment.signal_id == signal.id).order_by(Assignment.id)
            )
        )


def counts(database: Database) -> tuple[int, int]:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).select_from(Assignment)) or 0,
            session.scalar(select(func.count()).select_from(AuditEntry)) or 0,
        )


def test_an_absence_past_the_due_date_hands_the_signal_to_a_present_colleague(database: Database) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    due = due_day(database, message)
    away(database, "Anna Smit", today(), due + dt.timedelta(days=14))

    assert waiting.assign_waiting(database, base_url=base_url()) == 1

    signal, _, holder, _ = routed(database, message)
    assert (holder, signal.waiting_since) == ("Bram Visser", None)
    _, returned, taken = assignments(database, message)
    assert (returned.rule, returned.handler_id, returned.assigned_by) == (
        HANDBACK_RULE,
        None,
        "system:router",
    )
    assert returned.explanation[0]["key"] == "returned.absent"
    until = (due + dt.timedelta(days=14)).strftime("%d-%m-%Y")
    assert returned.reason == (
        f"Anna Smit is afwezig tot en met {until}, ook op de termijn van de opvolging ({due:%d-%m-%Y}); "
        "het signaal gaat terug naar de wachtrij van Afval."
    )
    assert explain.render(returned.explanation, "en").startswith(f"Anna Smit is away until {until} inclusive")
    assert taken.rule == "waiting-queue"
    with database.session() as session:
        audited = session.scalars(
            select(AuditEntry).where(AuditEntry.action == "signal.assign", AuditEntry.object_id == signal.id)
        ).all()
    [handed_back] = [a for a in audited if a.detail["rule"] == HANDBACK_RULE]
    assert handed_back.actor == "system:router"
    assert handed_back.detail["previous_handler_id"] == handler_id(database, "Anna Smit")
    assert handed_back.detail["handler"] is None


def test_an_absence_that_ends_on_the_due_date_hands_the_signal_back(database: Database) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    away(database, "Anna Smit", today(), due_day(database, message))

    assert waiting.assign_waiting(database, base_url=base_url()) == 1
    assert routed(database, message)[2] == "Bram Visser"


def test_a_handler_back_before_the_due_date_keeps_the_signal(database: Database) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    due = due_day(database, message)
    assert due - dt.timedelta(days=1) >= today()  # due in two working days: there is a day before it
    away(database, "Anna Smit", today(), due - dt.timedelta(days=1))

    assert waiting.assign_waiting(database, base_url=base_url()) == 0
    assert routed(database, message)[2] == "Anna Smit"
    assert len(assignments(database, message)) == 1


def test_back_to_back_absences_count_as_one_absence(database: Database) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    due = due_day(database, message)
    away(database, "Anna Smit", today(), today())
    away(database, "Anna Smit", today() + dt.timedelta(days=1), due + dt.timedelta(days=3))

    waiting.assign_waiting(database, base_url=base_url())

    assert routed(database, message)[2] == "Bram Visser"
    assert f"tot en met {due + dt.timedelta(days=3):%d-%m-%Y}" in assignments(database, message)[1].reason


@pytest.mark.parametrize("started", ["call recorded", "contacted", "formal procedure"])
def test_a_signal_the_handler_started_on_stays_with_them(database: Database, started: str) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    signal = routed(database, message)[0]
    with database.transaction() as session:
        follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == signal.id)).one()
        if started == "call recorded":
            followups.add_event(db_session=session, follow_up=follow_up, kind="phone", note="", actor="anna")
        else:
            to = "contacted" if started == "contacted" else "formal"
            followups.transition(
                db_session=session, follow_up=follow_up, to=to, kind="phone", note="", actor="anna"
            )
    away(database, "Anna Smit", today(), today() + dt.timedelta(days=60))

    assert waiting.assign_waiting(database, base_url=base_url()) == 0
    assert routed(database, message)[2] == "Anna Smit"


def test_with_nobody_else_available_the_signal_waits_in_the_queue_with_the_reason(database: Database) -> None:
    [message] = held_by_anna(
        database, colleagues=[handler("Bram Visser", "Afval", absences=[around_today(30)])]
    )
    away(database, "Anna Smit", today(), today() + dt.timedelta(days=30))

    assert waiting.assign_waiting(database, base_url=base_url()) == 0

    signal, newest, holder, department = routed(database, message)
    assert (holder, department, signal.waiting_since is not None) == (None, "Afval", True)
    assert newest.explanation[0]["key"] == "returned.absent"
    before = counts(database)
    assert waiting.assign_waiting(database, base_url=base_url()) == 0
    assert counts(database) == before


def test_running_the_pass_twice_changes_nothing_more(database: Database) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    away(database, "Anna Smit", today(), today() + dt.timedelta(days=30))
    waiting.assign_waiting(database, base_url=base_url())
    before = counts(database)

    assert waiting.assign_waiting(database, base_url=base_url()) == 0
    assert counts(database) == before
    assert routed(database, message)[2] == "Bram Visser"


@pytest.fixture
def admin_api(database: Database) -> Iterator[tuple[TestClient, dict[str, str]]]:
    with database.transaction() as session:
        admin = users.create(db_session=session, username="admin", password="x" * 20, role=users.Role.admin)
        _, token = tokens.create(db_session=session, owner=admin, name="test", actor="test")
    with TestClient(create_app(Settings(secret_key="test-secret-" + "x" * 32), database)) as client:
        yield client, {"Authorization": f"Bearer {token}"}


def test_an_absence_added_through_the_api_from_today_is_handled_by_the_next_pass(
    database: Database, admin_api: tuple[TestClient, dict[str, str]]
) -> None:
    [message] = held_by_anna(database, colleagues=[handler("Bram Visser", "Afval")])
    client, headers = admin_api
    response = client.post(
        f"/api/v1/handlers/{handler_id(database, 'Anna Smit')}/absences",
        json={"start": str(today()), "end": str(today() + dt.timedelta(days=21))},
        headers=headers,
    )
    assert response.status_code == 201, response.text

    assert waiting.assign_waiting(database, base_url=base_url()) == 1
    assert routed(database, message)[2] == "Bram Visser"


def test_two_passes_at_once_hand_back_and_assign_each_signal_once(database: Database) -> None:
    colleagues = [handler("Bram Visser", "Afval", capacity=4), handler("Chris Jong", "Afval", capacity=4)]
    messages = held_by_anna(database, 12, colleagues=colleagues)
    away(database, "Anna Smit", today(), today() + dt.timedelta(days=30))
    start = threading.Barrier(2)

    def pass_() -> None:
        start.wait(timeout=30)
        waiting.assign_waiting(database, base_url=base_url())

    threads = [threading.Thread(target=pass_) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)

    with database.session() as session:
        rules = Counter(session.scalars(select(Assignment.rule)))
        holders = Counter(session.scalars(select(Signal.handler_id)))
    assert (rules[HANDBACK_RULE], rules["waiting-queue"]) == (12, 8)
    assert holders == {handler_id(database, "Bram Visser"): 4, handler_id(database, "Chris Jong"): 4, None: 4}
    assert all(
        routed(database, m)[0].waiting_since is not None for m in messages if routed(database, m)[2] is None
    )
