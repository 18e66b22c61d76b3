"""Handlers read every signal but act only on their own departments' (issue 18, finding 9)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.api import users
from services.api.access import tokens
from services.router import followups
from shared.db import Database
from shared.models import Department, FeedbackLabel, FollowUp, Handler, Signal, User
from tests.staff import csrf_from, log_in, seed_signals, staff_client

pytestmark = pytest.mark.needs_model

SECRET_NOTE = "Geheime notitie van afdeling B"


@dataclass
class Setup:
    client: TestClient
    own: int  # a signal of the handler's department A
    other: int  # a signal of department B
    token: str  # an API token of the same handler user


@pytest.fixture
def setup(database: Database) -> Iterator[Setup]:
    """The user 'handler' works in department A; 'Afval' belongs to A, 'Parking' to B with a note."""
    ids = seed_signals(database)
    with staff_client(database) as client:
        with database.transaction() as session:
            user = session.scalars(select(User).where(User.username == "handler")).one()
            department_a = Department(name="Afdeling A")
            department_b = Department(name="Afdeling B")
            colleague = Handler(name="Bea B", email="bea@gemeente.nl", departments=[department_b])
            handler = Handler(
                name="Henk A", email="henk@gemeente.nl", user_id=user.id, departments=[department_a]
            )
            session.add_all([department_a, department_b, colleague, handler])
            session.flush()
            own = session.get_one(Signal, ids["Afval"])
            own.department_id, own.handler_id = department_a.id, None
            other = session.get_one(Signal, ids["Parking"])
            other.department_id, other.handler_id = department_b.id, colleague.id
            follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == other.id)).one()
            followups.add_event(
                db_session=session, follow_up=follow_up, kind="note", note=SECRET_NOTE, actor="bea"
            )
            _, token = tokens.create(db_session=session, owner=user, name="test", actor="test")
        log_in(client, "handler")
        yield Setup(client, ids["Afval"], ids["Parking"], token)


def labels(database: Database, signal_id: int) -> int:
    with database.session() as session:
        signal = session.get_one(Signal, signal_id)
        return session.scalar(
            select(func.count())
            .select_from(FeedbackLabel)
            .where(FeedbackLabel.message_id == signal.message_id)
        )


def status_of(database: Database, signal_id: int) -> str:
    with database.session() as session:
        return session.get_one(Signal, signal_id).status


def form(setup: Setup, path: str, signal_id: int, **data: object) -> int:
    token = csrf_from(setup.client.get(f"/signals/{signal_id}").text)
    response = setup.client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)
    return response.status_code


def test_a_handler_reads_another_departments_signal_page(setup: Setup) -> None:
    assert setup.client.get(f"/signals/{setup.other}").status_code == 200


def test_a_handler_confirms_their_own_departments_signal(setup: Setup, database: Database) -> None:
    assert form(setup, f"/signals/{setup.own}/confirm", setup.own) == 303
    assert status_of(database, setup.own) == "confirmed" and labels(database, setup.own) == 1


@pytest.mark.parametrize("verdict", ["confirm", "dismiss"])
def test_the_page_refuses_a_verdict_on_another_departments_signal(
    setup: Setup, database: Database, verdict: str
) -> None:
    token = csrf_from(setup.client.get(f"/signals/{setup.other}").text)
    response = setup.client.post(
        f"/signals/{setup.other}/{verdict}", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.status_code == 403 and "andere afdeling" in response.text
    assert status_of(database, setup.other) == "new" and labels(database, setup.other) == 0


def test_the_queue_refuses_a_bulk_dismissal_that_includes_another_departments_signal(
    setup: Setup, database: Database
) -> None:
    token = csrf_from(setup.client.get("/queue").text)
    response = setup.client.post(
        "/queue/bulk",
        data={"csrf_token": token, "verdict": "dismiss", "ids": [setup.own, setup.other]},
        follow_redirects=False,
    )
    assert response.status_code == 403
    assert labels(database, setup.other) == 0 and labels(database, setup.own) == 0


@pytest.mark.parametrize("path", ["/api/v1/signals/{id}/confirm", "/api/v1/signals/{id}/dismiss"])
def test_the_api_refuses_a_verdict_on_another_departments_signal(
    setup: Setup, database: Database, path: str
) -> None:
    headers = {"Authorization": f"Bearer {setup.token}"}
    response = setup.client.post(path.format(id=setup.other), headers=headers)
    assert response.status_code == 403 and "your department" in response.json()["detail"]
    assert status_of(database, setup.other) == "new" and labels(database, setup.other) == 0


def test_the_api_refuses_a_bulk_dismissal_that_includes_another_departments_signal(
    setup: Setup, database: Database
) -> None:
    headers = {"Authorization": f"Bearer {setup.token}"}
    body = {"ids": [setup.own, setup.other], "verdict": "dismiss"}
    response = setup.client.post("/api/v1/signals/bulk", json=body, headers=headers)
    assert response.status_code == 403
    assert labels(database, setup.other) == 0 and labels(database, setup.own) == 0


def test_a_handler_may_not_add_a_note_to_another_departments_follow_up(
    setup: Setup, database: Database
) -> None:
    with database.session() as session:
        follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == setup.other)).one()
    headers = {"Authorization": f"Bearer {setup.token}"}
    api = setup.client.post(
        f"/api/v1/followups/{follow_up.id}/events", json={"kind": "note", "note": "x"}, headers=headers
    )
    page = form(setup, f"/followups/{follow_up.id}/contact", setup.other, kind="note", note="x")
    assert (api.status_code, page) == (403, 403)


def test_the_signal_page_hides_another_departments_follow_up_notes_as_the_api_does(
    setup: Setup, database: Database
) -> None:
    with database.session() as session:
        follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == setup.other)).one()
    headers = {"Authorization": f"Bearer {setup.token}"}
    assert setup.client.get(f"/api/v1/followups/{follow_up.id}/events", headers=headers).status_code == 403
    assert SECRET_NOTE not in setup.client.get(f"/signals/{setup.other}").text


def test_the_front_office_still_sees_the_note_and_acts_on_every_signal(
    setup: Setup, database: Database
) -> None:
    with TestClient(setup.client.app, base_url="http://127.0.0.1") as front_office:
        log_in(front_office, "frontoffice")
        assert SECRET_NOTE in front_office.get(f"/signals/{setup.other}").text
        token = csrf_from(front_office.get(f"/signals/{setup.other}").text)
        response = front_office.post(
            f"/signals/{setup.other}/confirm", data={"csrf_token": token}, follow_redirects=False
        )
    assert response.status_code == 303 and labels(database, setup.other) == 1


def test_a_handler_without_a_department_acts_on_nothing_but_what_is_assigned_to_them(
    database: Database,
) -> None:
    ids = seed_signals(database)
    with database.transaction() as session:
        user = users.create(db_session=session, username="los", password="x" * 12, role=users.Role.handler)
        session.add(Handler(name="Los", email="los@gemeente.nl", user_id=user.id))
        _, token = tokens.create(db_session=session, owner=user, name="t", actor="test")
    with staff_client(database) as client:
        response = client.post(
            f"/api/v1/signals/{ids['Afval']}/confirm", headers={"Authorization": f"Bearer {token}"}
        )
    assert response.status_code == 403 and labels(database, ids["Afval"]) == 0
