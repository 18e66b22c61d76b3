"""The routing API on a real database: admin-only changes, audit, reassignment, follow-up steps."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api import users
from shared.db import Database
from shared.models import AuditEntry, FollowUp, Handler, Signal
from tests.routing import around_today, classified, handler, organise, route

NEW_DEPARTMENT = {"name": "Wonen", "description": "Woningtoewijzing", "followup_days": 3}


def test_anonymous_users_cannot_read_or_change_routing(api: TestClient) -> None:
    assert api.get("/api/v1/rules").status_code == 401
    assert api.post("/api/v1/departments", json=NEW_DEPARTMENT).status_code == 401


@pytest.mark.parametrize("role", ["frontoffice", "handler", "ops"])
def test_only_admins_may_change_routing(api: TestClient, as_role: Any, role: str) -> None:
    headers = as_role(role)
    assert api.post("/api/v1/departments", json=NEW_DEPARTMENT, headers=headers).status_code == 403
    assert api.get("/api/v1/rules", headers=headers).status_code == 403


def test_an_admin_sets_up_a_department_handler_absence_and_rule_all_audited(
    api: TestClient, as_role: Any, database: Database
) -> None:
    organise(database)
    admin = as_role("admin")
    department = api.post("/api/v1/departments", json=NEW_DEPARTMENT, headers=admin)
    person = {"name": "Anna Smit", "email": "a.smit@example.nl", "departments": ["Wonen"], "capacity": 4}
    created = api.post("/api/v1/handlers", json=person, headers=admin)
    absence = api.post(
        f"/api/v1/handlers/{created.json()['id']}/absences",
        json={"start": "2027-01-04", "end": "2027-01-08"},
        headers=admin,
    )
    rule = api.post(
        "/api/v1/rules",
        json={"name": "huur", "department": "Wonen", "keywords": ["huur"], "channel": ["EMAIL"]},
        headers=admin,
    )
    changed = api.patch(f"/api/v1/handlers/{created.json()['id']}", json={"capacity": 6}, headers=admin)

    assert [r.status_code for r in (department, created, absence, rule, changed)] == [201, 201, 201, 201, 200]
    assert rule.json()["conditions"] == {"keywords": ["huur"], "channel": ["email"]}
    assert changed.json()["capacity"] == 6 and changed.json()["departments"] == ["Wonen"]
    with database.session() as session:
        actions = session.scalars(select(AuditEntry.action).where(AuditEntry.actor == "admin")).all()
    assert {"department.create", "handler.create", "absence.create", "rule.create", "handler.update"} <= set(
        actions
    )


def test_a_rule_with_an_invalid_regex_is_refused_naming_the_field(api: TestClient, as_role: Any) -> None:
    response = api.post(
        "/api/v1/rules",
        json={"name": "kapot", "department": "Frontoffice", "regex": "(huur"},
        headers=as_role("admin"),
    )
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"][-1] == "regex"


def test_the_default_team_cannot_be_deleted(api: TestClient, as_role: Any, database: Database) -> None:
    organise(database)
    admin = as_role("admin")
    [team] = api.get("/api/v1/departments", headers=admin).json()
    response = api.delete(f"/api/v1/departments/{team['id']}", headers=admin)
    assert response.status_code == 409 and "default team" in response.json()["detail"]


@pytest.fixture
def signal_id(database: Database) -> int:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice"), handler("Bram Visser", "Frontoffice")])
    classified(database)
    route(database)
    with database.session() as session:
        return session.scalars(select(Signal.id)).one()


def test_front_office_reassigns_a_signal_with_a_reason(
    api: TestClient, as_role: Any, database: Database, signal_id: int
) -> None:
    with database.session() as session:
        bram = session.scalars(select(Handler.id).where(Handler.name == "Bram Visser")).one()
    response = api.post(
        f"/api/v1/signals/{signal_id}/assignment",
        json={"handler_id": bram, "note": "Bram kent de buurt."},
        headers=as_role("frontoffice", "fo"),
    )
    assert response.status_code == 200
    assert (response.json()["rule"], response.json()["assigned_by"]) == ("manual", "fo")
    assert response.json()["reason"] == "Opnieuw toegewezen door fo aan Bram Visser: Bram kent de buurt."
    assert response.json()["explanation"] == [
        {
            "key": "manual.to_handler",
            "params": {"actor": "fo", "handler": "Bram Visser", "note": "Bram kent de buurt."},
        }
    ]


def test_a_handler_may_not_act_on_someone_elses_signal(api: TestClient, as_role: Any, signal_id: int) -> None:
    response = api.get(f"/api/v1/signals/{signal_id}/followups", headers=as_role("handler", "iemand"))
    assert response.status_code == 403 and "not assigned to you" in response.json()["detail"]


def test_the_assigned_handler_records_the_call_and_closes_the_follow_up(
    api: TestClient, as_role: Any, database: Database, signal_id: int
) -> None:
    headers = as_role("handler", "anna")
    with database.transaction() as session:
        signal = session.get_one(Signal, signal_id)
        assert signal.handler is not None
        signal.handler.user_id = users.get_by_username(db_session=session, username="anna").id  # type: ignore[union-attr]
        follow_up = session.scalars(select(FollowUp.id).where(FollowUp.signal_id == signal_id)).one()

    called = api.post(
        f"/api/v1/followups/{follow_up}/transition",
        json={"to": "contacted", "kind": "phone", "note": "Gebeld."},
        headers=headers,
    )
    too_far = api.post(f"/api/v1/followups/{follow_up}/extend", json={"note": "Meer tijd."}, headers=headers)
    resolved = api.post(
        f"/api/v1/followups/{follow_up}/transition", json={"to": "resolved", "kind": "note"}, headers=headers
    )
    events = api.get(f"/api/v1/followups/{follow_up}/events", headers=headers).json()

    assert (called.status_code, too_far.status_code, resolved.status_code) == (200, 409, 200)
    assert [(e["from_status"], e["to_status"]) for e in events] == [
        ("open", "contacted"),
        ("contacted", "resolved"),
    ]


def test_an_invalid_step_is_refused_with_a_clear_error(api: TestClient, as_role: Any, signal_id: int) -> None:
    headers = as_role("frontoffice")
    [follow_up] = api.get(f"/api/v1/signals/{signal_id}/followups", headers=headers).json()
    response = api.post(
        f"/api/v1/followups/{follow_up['id']}/transition",
        json={"to": "resolved", "kind": "note"},
        headers=headers,
    )
    assert response.status_code == 409
    assert "Record the contact with the citizen first" in response.json()["detail"]


def test_deactivating_a_handler_puts_their_open_signals_back_in_the_queue(
    api: TestClient, as_role: Any, database: Database, signal_id: int
) -> None:
    with database.session() as session:
        holder = session.get_one(Signal, signal_id).handler_id
    response = api.patch(f"/api/v1/handlers/{holder}", json={"active": False}, headers=as_role("admin"))

    assert response.status_code == 200
    with database.session() as session:
        signal = session.get_one(Signal, signal_id)
        assert (signal.handler_id, signal.waiting_since is not None) == (None, True)


def test_front_office_sees_the_waiting_signals_and_why(
    api: TestClient, as_role: Any, database: Database
) -> None:
    organise(database, handlers=[handler("Anna Smit", "Frontoffice", absences=[around_today()])])
    classified(database)
    route(database)

    [waiting] = api.get("/api/v1/waiting", headers=as_role("frontoffice")).json()
    assert waiting["department"] == "Frontoffice"
    assert "Niemand in Frontoffice kan het nu aannemen (1 vandaag afwezig)" in waiting["reason"]
    assert waiting["explanation"][-1] == {
        "key": "route.waits",
        "params": {
            "department": "Frontoffice",
            "passed_over": [{"key": "passed.absent", "params": {"count": 1}}],
        },
    }
