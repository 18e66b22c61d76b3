"""Fixtures shared by every test: real databases (SQLite and PostgreSQL), factories."""

from __future__ import annotations

import datetime as dt
import itertools
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import text

from shared import migrate
from shared.db import Database
from shared.models import Base
from shared.normalise import Incoming
from tests import servers

_counter = itertools.count(1)

TESTS = Path(__file__).parent
# What a test needs, read from what it uses, so `pytest -m "not needs_postgres"` and the like select
# by need (README, "Tests"). A test that starts a server or loads the model some other way carries
# the marker itself (`@pytest.mark.needs_model`, or `pytestmark` for a whole module).
NEEDS_BY_FIXTURE = {
    "imap_server": "needs_dovecot",  # make_imap_connector uses it too
    "live_app": "needs_model",  # the browser tests' app is seeded through the real classifier
    "classifier": "needs_model",  # the shipped model, loaded once per module
}


def _needs(item: pytest.Item) -> set[str]:
    fixtures = set(getattr(item, "fixturenames", ()))
    needs = {NEEDS_BY_FIXTURE[name] for name in fixtures & NEEDS_BY_FIXTURE.keys()}
    # Every PostgreSQL fixture has "postgres" in its name; `database` and its kin are parametrised
    # with "postgres" for the same test on both databases.
    params = getattr(getattr(item, "callspec", None), "params", {})
    if any("postgres" in name for name in fixtures) or "postgres" in params.values():
        needs.add("needs_postgres")
    if TESTS / "browser" in item.path.parents:
        needs.add("needs_browser")
    return needs


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        for marker in sorted(_needs(item)):
            item.add_marker(marker)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    """A migrated scratch PostgreSQL database shared by the session's tests."""
    with servers.scratch_postgres_database() as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        database.dispose()
        yield url


def _truncate_all(database: Database) -> None:
    tables = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    with database.engine.begin() as conn:
        conn.execute(text(f"TRUNCATE {tables} RESTART IDENTITY CASCADE"))


@pytest.fixture
def sqlite_database(tmp_path: Path) -> Iterator[Database]:
    database = Database(f"sqlite:///{tmp_path / 'signaal.db'}")
    migrate.upgrade(database.engine)
    yield database
    database.dispose()


@pytest.fixture
def postgres_database(postgres_url: str) -> Iterator[Database]:
    database = Database(postgres_url)
    _truncate_all(database)
    yield database
    database.dispose()


@pytest.fixture(params=["sqlite", "postgres"])
def database(request: pytest.FixtureRequest) -> Database:
    """The same test on both supported databases."""
    return request.getfixturevalue(f"{request.param}_database")


def make_incoming(text: str = "Ik wacht nog steeds op een reactie.", **overrides: object) -> Incoming:
    """An incoming web-form message with a unique dedupe key unless one is given."""
    n = next(_counter)
    values: dict[str, object] = {
        "channel": "webform",
        "source": "test",
        "dedupe_key": f"test-{n}",
        "raw": text.encode(),
        "text": text,
        "subject": f"Bericht {n}",
        "sender_address": f"burger{n}@example.nl",
        "received_at": dt.datetime.now(dt.UTC),
    }
    values.update(overrides)
    return Incoming(**values)  # type: ignore[arg-type]
