"""Explicit nulls, huge integers and NUL bytes in staff API bodies: 422 naming the field, nothing stored."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared.db import Database
from shared.models import AuditEntry, Department, Handler, RoutingRule
from tests.routing import classified, handler, organise, route, routed


@pytest.fixture
def admin(as_role: Callable[[str], dict[str, str]]) -> dict[str, str]:
    return as_role("admin")


@pytest.fixture
def organisation(database: Database) -> None:
    organise(
        database,
        departments=[{"name": "Wonen", "keywords": ["huur"], "followup_days": 3}],
        handlers=[handler("Anna Smit", "Wonen")],
        rules=[{"name": "huur", "department": "Wonen", "keywords": ["huur"]}],
    )


def ids(database: Database) -> tuple[int, int]:
    with database.session() as session:
        department = session.scalars(select(Department.id).where(Department.name == "Wonen")).one()
        person = session.scalars(select(Handler.id).where(Handler.name == "Anna Smit")).one()
    return department, person


def assert_names(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert any(error["loc"][-1] == field for error in response.json()["detail"]), response.json()


@pytest.mark.parametrize(
    ("target", "field"),
    [
        ("department", "keywords"),
        ("department", "followup_days"),
        ("department", "description"),
        ("handler", "languages"),
        ("handler", "departments"),
        ("handler", "capacity"),
        ("handler", "name"),
        ("handler", "active"),
    ],
)
def test_an_explicit_null_is_refused_naming_the_field_and_nothing_changes(
    api: TestClient,
    admin: dict[str, str],
    database: Database,
    organisation: None,
    target: str,
    field: str,
) -> None:
    department_id, handler_id = ids(database)
    url = (
        f"/api/v1/departments/{department_id}" if target == "department" else f"/api/v1/handlers/{handler_id}"
    )

    assert_names(api.patch(url, json={field: None}, headers=admin), field)

    assert api.get("/api/v1/departments", headers=admin).status_code == 200
    assert api.get("/api/v1/handlers", headers=admin).status_code == 200
    with database.session() as session:
        assert session.scalars(select(AuditEntry).where(AuditEntry.actor == "admin")).all() == []
        department = session.get(Department, department_id)
        assert department is not None and department.keywords == ["huur"] and department.followup_days == 3
    message_id = classified(database, "Mijn huur is al weken verkeerd berekend en niemand reageert.")
    route(database)
    _, _, handler_name, department_name = routed(database, message_id)
    assert (department_name, handler_name) == ("Wonen", "Anna Smit")


def test_nullable_fields_still_take_null(
    api: TestClient, admin: dict[str, str], database: Database, organisation: None
) -> None:
    department_id, _ = ids(database)
    response = api.patch(f"/api/v1/departments/{department_id}", json={"lead_email": None}, headers=admin)
    assert response.status_code == 200 and response.json()["lead_email"] is None


@pytest.mark.parametrize(
    ("method", "url", "body", "field"),
    [
        ("post", "/api/v1/rules", {"name": "r", "department": "Wonen", "position": 2**64}, "position"),
        # Beyond PostgreSQL's INTEGER, which SQLite would have stored.
        ("post", "/api/v1/rules", {"name": "r", "department": "Wonen", "position": 2**31}, "position"),
        ("patch", "/api/v1/handlers/{handler}", {"capacity": 2**63}, "capacity"),
        ("patch", "/api/v1/handlers/{handler}", {"user_id": 2**70}, "user_id"),
        ("post", "/api/v1/signals/1/assignment", {"department_id": 2**64}, "department_id"),
        ("post", "/api/v1/signals/bulk", {"verdict": "dismiss", "ids": [2**64]}, 0),
        (
            "post",
            "/api/v1/handlers/{handler}/absences",
            {"start": "0001-01-01", "end": "9999-12-31"},
            "start",
        ),
        ("post", "/api/v1/departments", {"name": "Wo\u0000nen"}, "name"),
        ("post", "/api/v1/departments", {"name": "Afval", "keywords": ["a\u0000"]}, "keywords"),
        (
            "post",
            "/api/v1/rules",
            {"name": "r", "department": "Wonen", "description": "\u0000"},
            "description",
        ),
        ("post", "/api/v1/tokens", {"name": "\u0000"}, "name"),
    ],
)
def test_huge_integers_far_dates_and_nul_bytes_are_refused_naming_the_field(
    api: TestClient,
    admin: dict[str, str],
    database: Database,
    organisation: None,
    method: str,
    url: str,
    body: dict[str, Any],
    field: str | int,
) -> None:
    _, handler_id = ids(database)
    response = api.request(method.upper(), url.format(handler=handler_id), json=body, headers=admin)
    assert_names(response, field)
    with database.session() as session:
        assert session.scalars(select(RoutingRule.name)).all() == ["huur"]
        assert sorted(session.scalars(select(Department.name))) == ["Frontoffice", "Wonen"]
