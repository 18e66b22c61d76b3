"""API fuzzing: Schemathesis calls every operation of the OpenAPI schema with generated input; no 5xx.

It calls as an admin with an API token (admins pass every role check, so the calls reach
the code behind it), on SQLite with a few signals from the real pipeline. The JSON bodies
are fuzzed once more, on SQLite and PostgreSQL, with what a schema-valid generator never
sends and what once answered 500: explicit nulls, integers past 64 bits, NUL bytes, NaN.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from fastapi import FastAPI
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select, text

from services.api.access import tokens
from services.api.app import create_app
from services.api.users import get_by_username
from services.router.departments import sync_departments
from shared import migrate
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Absence, Base, Department, FollowUp, Handler, RoutingRule, Signal
from shared.settings import Settings
from tests.staff import create_users, seed_signals

pytestmark = pytest.mark.needs_model


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[FastAPI, str]]:
    folder: Path = tmp_path_factory.mktemp("fuzz")
    database = Database(f"sqlite:///{folder / 'signaal.db'}")
    migrate.upgrade(database.engine)
    create_users(database)
    seed_signals(database)
    with database.transaction() as session:
        admin = get_by_username(db_session=session, username="admin")
        _, secret = tokens.create(db_session=session, owner=admin, name="fuzz", actor="test")
    yield create_app(Settings(secret_key="fuzz-" + "x" * 40), database), secret
    database.dispose()


ORGANISATION = {
    "departments": [{"name": "Wonen", "keywords": ["huur"]}],
    "handlers": [
        {
            "name": "Anna Smit",
            "email": "a.smit@example.nl",
            "departments": ["Wonen"],
            "absences": [{"start": "2030-01-01", "end": "2030-01-02"}],
        }
    ],
    "rules": [{"name": "huur", "department": "Wonen", "keywords": ["huur"]}],
}
# What once answered 500 from a body field: beyond any column, or no value at all.
HOSTILE_VALUES = [None, 2**63, -(2**63) - 1, 2**64, 10**30, [2**64], [None], "a\x00b", ["a\x00b"]]


def _prepare(database: Database) -> tuple[str, dict[str, int]]:
    """Users, signals and routing rows on a migrated database; an admin token and a real id per path name."""
    create_users(database)
    seed_signals(database)
    sync_departments(database, OrganisationConfig.model_validate(ORGANISATION))
    with database.transaction() as session:
        admin = get_by_username(db_session=session, username="admin")
        _, secret = tokens.create(db_session=session, owner=admin, name="fuzz", actor="test")
        # Real ids, so a body that passes validation reaches the code (and the database) behind it.
        ids = {
            name: session.scalar(select(column).order_by(column)) or 1
            for name, column in [
                ("department_id", Department.id),
                ("handler_id", Handler.id),
                ("rule_id", RoutingRule.id),
                ("signal_id", Signal.id),
                ("follow_up_id", FollowUp.id),
                ("absence_id", Absence.id),
            ]
        }
    return secret, ids


@pytest.fixture(scope="module")
def fuzzed_bodies(
    tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest
) -> Iterator[dict[str, tuple[FastAPI, str, dict[str, int]]]]:
    """The app on SQLite and on PostgreSQL, each with its token and ids."""
    sqlite = Database(f"sqlite:///{tmp_path_factory.mktemp('fuzz-bodies') / 'signaal.db'}")
    migrate.upgrade(sqlite.engine)
    postgres = Database(request.getfixturevalue("postgres_url"))
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with postgres.engine.begin() as connection:
        connection.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))
    apps = {}
    for name, database in (("sqlite", sqlite), ("postgres", postgres)):
        secret, ids = _prepare(database)
        apps[name] = (create_app(Settings(secret_key="fuzz-" + "x" * 40), database), secret, ids)
    yield apps
    sqlite.dispose()
    postgres.dispose()


def _operations() -> list[object]:
    """Every operation in the schema, read once at collection from an app on an empty database."""
    app = create_app(Settings(), Database("sqlite://"))
    params = []
    for result in schemathesis.openapi.from_asgi("/api/openapi.json", app).get_all_operations():
        label = result.ok().label
        if label == "POST /api/v1/tokens/{token_id}/revoke":
            continue  # revoking ids 1… would soon revoke the fuzzer's own token: every later call a 401
        params.append(pytest.param(label, id=label))
    return params


# Schemathesis's own pytest plugin does not run under pytest 9; Hypothesis is driven directly instead.
@pytest.mark.parametrize("label", _operations())
def test_no_generated_call_makes_the_server_fail(label: str, fuzzed: tuple[FastAPI, str]) -> None:
    app, secret = fuzzed
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", app).find_operation_by_label(label)

    @given(case=operation.as_strategy())
    @settings(
        max_examples=25,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def call(case: schemathesis.Case) -> None:
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code < 500, (
            f"{case.formatted_path}: {response.status_code} {response.text[:300]}"
        )

    call()


def _body_fields(operation: Any) -> list[str]:
    """The top-level property names of an operation's JSON body schema."""
    body = operation.definition.raw.get("requestBody", {})
    schema = body.get("content", {}).get("application/json", {}).get("schema", {})
    if "$ref" in schema:
        schema = operation.schema.raw_schema["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return sorted(schema.get("properties", {}))


def _body_operations() -> list[object]:
    app = create_app(Settings(), Database("sqlite://"))
    params = []
    for result in schemathesis.openapi.from_asgi("/api/openapi.json", app).get_all_operations():
        operation = result.ok()
        if operation.method.upper() in ("POST", "PUT", "PATCH") and _body_fields(operation):
            for database in ("sqlite", "postgres"):
                params.append(pytest.param(operation.label, database, id=f"{database}-{operation.label}"))
    return params


@pytest.mark.needs_postgres
@pytest.mark.parametrize(("label", "database_name"), _body_operations())
def test_no_null_huge_or_nul_body_field_makes_the_server_fail(
    label: str, database_name: str, fuzzed_bodies: dict[str, tuple[FastAPI, str, dict[str, int]]]
) -> None:
    app, secret, ids = fuzzed_bodies[database_name]
    operation = schemathesis.openapi.from_asgi("/api/openapi.json", app).find_operation_by_label(label)
    path_ids = {name: ids[name] for name in ids if "{" + name + "}" in operation.path}
    fields = _body_fields(operation)
    # Schema-valid bodies with one field made hostile, and Schemathesis' own schema-violating ones.
    valid = operation.as_strategy(path_parameters=path_ids)
    invalid = operation.as_strategy(schemathesis.GenerationMode.NEGATIVE, path_parameters=path_ids)

    @given(
        case=st.one_of(valid, invalid),
        field=st.sampled_from(fields),
        value=st.sampled_from(HOSTILE_VALUES),
        hostile=st.booleans(),
    )
    @settings(
        max_examples=10,
        deadline=None,
        suppress_health_check=list(HealthCheck),
        database=None,
        derandomize=True,
    )
    def call(case: schemathesis.Case, field: str, value: object, hostile: bool) -> None:
        if hostile and isinstance(case.body, dict):
            case.body = {**case.body, field: value}
        response = case.call(headers={"Authorization": f"Bearer {secret}"})
        assert response.status_code < 500, (
            f"{case.formatted_path} {case.body!r:.300}: {response.status_code} {response.text[:300]}"
        )

    call()
