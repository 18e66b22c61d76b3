"""Bulk assignment from the queue: the selected signals go to a department's queue or a handler."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared.db import Database
from shared.models import Assignment, AuditEntry, Department, Signal
from tests.routing import handler, handler_id, organise
from tests.staff import csrf_from, log_in, seed_signals, staff_client

pytestmark = pytest.mark.needs_model


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        yield test_client


def organised(database: Database) -> dict[str, int]:
    ids = seed_signals(database)
    organise(
        database,
        departments=[{"name": "Afval"}],
        handlers=[handler("Anna Smit", "Afval"), handler("Bram Visser", "Frontoffice")],
    )
    return ids


def department_id(database: Database, name: str) -> int:
    with database.session() as session:
        return session.scalars(select(Department.id).where(Department.name == name)).one()


def test_the_queue_offers_each_department_queue_and_its_handlers_as_targets(
    client: TestClient, database: Database
) -> None:
    organised(database)
    log_in(client, "frontoffice")
    page = client.get("/queue").text
    assert "Afval (wachtrij)" in page and "Afval — Anna Smit" in page and "Frontoffice — Bram Visser" in page


def test_bulk_assign_moves_every_selected_signal_to_the_handler_and_audits_it(
    client: TestClient, database: Database
) -> None:
    ids = organised(database)
    log_in(client, "frontoffice")
    token = csrf_from(client.get("/queue").text)
    target = f"{department_id(database, 'Afval')}:{handler_id(database, 'Anna Smit')}"
    response = client.post(
        "/queue/assign",
        data={"csrf_token": token, "target": target, "ids": list(ids.values()), "next": "/queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue?assigned=2"
    with database.session() as session:
        handlers = {s.handler.name for s in session.scalars(select(Signal))}
        newest = session.scalars(select(Assignment).order_by(Assignment.id.desc()).limit(2)).all()
        audited = session.scalars(select(AuditEntry.actor).where(AuditEntry.object_type == "signals")).all()
    assert handlers == {"Anna Smit"}
    assert {(a.rule, a.assigned_by) for a in newest} == {("manual", "frontoffice")}
    assert "frontoffice" in audited


def test_bulk_assign_skips_a_signal_it_cannot_move_and_moves_the_rest(
    client: TestClient, database: Database
) -> None:
    ids = organised(database)
    log_in(client, "admin")
    # Anna works in Afval, not in Frontoffice: that target cannot take a signal.
    wrong = {
        "department_id": department_id(database, "Frontoffice"),
        "handler_id": handler_id(database, "Anna Smit"),
    }
    token = csrf_from(client.get("/queue").text)
    headers = {"X-CSRF-Token": token}
    refused = client.post(
        "/api/v1/signals/bulk-assign", json={"ids": list(ids.values()), **wrong}, headers=headers
    )
    assert refused.status_code == 200
    assert refused.json()["assigned"] == [] and len(refused.json()["skipped"]) == 2

    queue_only = {"department_id": department_id(database, "Afval")}
    body = {"ids": [*ids.values(), 999_999], **queue_only}
    moved = client.post("/api/v1/signals/bulk-assign", json=body, headers=headers).json()
    assert sorted(moved["assigned"]) == sorted(ids.values()) and list(moved["skipped"]) == ["999999"]
    with database.session() as session:
        assert {(s.department.name, s.handler_id) for s in session.scalars(select(Signal))} == {
            ("Afval", None)
        }


def test_a_handler_may_not_bulk_assign(client: TestClient, database: Database) -> None:
    ids = organised(database)
    log_in(client, "handler")
    token = csrf_from(client.get("/queue").text)
    assert "assign-target" not in client.get("/queue").text
    response = client.post(
        "/queue/assign",
        data={
            "csrf_token": token,
            "target": str(department_id(database, "Afval")),
            "ids": list(ids.values()),
        },
        follow_redirects=False,
    )
    assert response.status_code == 403


def test_bulk_assign_without_the_csrf_token_is_refused(client: TestClient, database: Database) -> None:
    ids = organised(database)
    log_in(client, "frontoffice")
    response = client.post(
        "/queue/assign",
        data={"target": str(department_id(database, "Afval")), "ids": list(ids.values())},
        follow_redirects=False,
    )
    assert response.status_code == 403
