"""Storage faults that used to hide: a database refusing writes, racing health writes, values in errors."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.api.app import create_app
from services.ingest import health
from services.ingest.sink import Sink
from shared import dberrors, migrate
from shared.db import Database
from shared.models import ConnectorHealth, Message, User
from shared.pipeline import StageBase, Worker
from shared.settings import Settings
from shared.states import Stage, State
from tests import servers
from tests.conftest import make_incoming

HASH = "$argon2id$v=19$m=65536,t=3,p=4$c2VjcmV0LXNhbHQ$Z2VoZWltLWhhc2gtdmFuLWFsaWNl"
THREADS = 16


def readyz(database: Database) -> tuple[int, dict[str, Any]]:
    with TestClient(create_app(Settings(), database)) as client:
        answer = client.get("/readyz")
    return answer.status_code, answer.json()


# --- readiness checks a write -------------------------------------------------------------


def test_readyz_answers_503_naming_the_cause_when_sqlite_refuses_writes(tmp_path: Path) -> None:
    path = tmp_path / "signaal.db"
    writable = Database(f"sqlite:///{path}")
    migrate.upgrade(writable.engine)
    assert readyz(writable) == (200, {"status": "ready"})
    writable.dispose()

    # Opened read-only, as on a read-only mount: reads work, every write is refused (for root too).
    read_only = Database(f"sqlite:///file:{path}?mode=ro&uri=true")
    try:
        status, body = readyz(read_only)
    finally:
        read_only.dispose()
    assert status == 503
    assert body["reason"].startswith("database is read-only or the disk is full")


@pytest.fixture
def read_only_postgres() -> Iterator[Database]:
    """A migrated scratch PostgreSQL database whose new sessions are read-only (as a hot standby's are)."""
    with servers.scratch_postgres_database() as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        database.dispose()
        admin = create_engine(servers.POSTGRES_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            name = make_url(url).database
            conn.execute(text(f'ALTER DATABASE "{name}" SET default_transaction_read_only = on'))
        admin.dispose()
        database = Database(url)
        try:
            yield database
        finally:
            database.dispose()


def test_readyz_answers_503_naming_the_cause_when_postgres_refuses_writes(
    read_only_postgres: Database,
) -> None:
    status, body = readyz(read_only_postgres)
    assert status == 503
    assert body["reason"].startswith("database is read-only or the disk is full")


# --- health counters under concurrency ------------------------------------------------------


def test_concurrent_health_records_lose_no_count(database: Database) -> None:
    start = threading.Barrier(THREADS)
    errors: list[BaseException] = []

    def record(n: int) -> None:
        try:
            start.wait(timeout=30)
            if n % 2:
                health.record_success(database, name="webformulier", kind="webform", stored=1)
            else:
                health.record_failure(database, name="storingen", kind="webform", reason="timed out")
        except BaseException as exc:  # reported below; a thread's exception is otherwise lost
            errors.append(exc)

    threads = [threading.Thread(target=record, args=(n,)) for n in range(THREADS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert not errors, errors
    with database.session() as session:
        rows = {r.connector: r for r in session.scalars(select(ConnectorHealth))}
    assert rows["webformulier"].messages_total == THREADS // 2
    assert rows["storingen"].consecutive_failures == THREADS // 2
    assert rows["storingen"].status == "down"


# --- values never in error texts --------------------------------------------------------------


def test_an_integrity_error_does_not_quote_the_statement_s_values(database: Database) -> None:
    with database.transaction() as session:
        session.add(User(username="alice", display_name="Alice", password_hash="x", role="admin"))
    with pytest.raises(IntegrityError) as caught, database.transaction() as session:
        session.add(User(username="alice", display_name="Alice", password_hash=HASH, role="admin"))
    assert HASH not in str(caught.value)
    assert HASH not in dberrors.describe(caught.value)


class WritesARowWithoutARole(StageBase):
    """A stage bug: an insert the database refuses, with a password hash among its values."""

    stage = Stage.classify
    input_state = State.received

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        session.add(User(username="bob", display_name="Bob", password_hash=HASH, role=None))
        session.flush()
        raise AssertionError("the insert should have been refused")


def test_a_failed_item_s_stored_error_does_not_quote_the_statement_s_values(database: Database) -> None:
    (stored,) = Sink(database, "test").store([make_incoming()])
    assert Worker(WritesARowWithoutARole(), database).drain() == 1
    with database.session() as session:
        message = session.get(Message, stored.message_id)
    assert message is not None and message.state == "failed"
    assert "IntegrityError" in (message.error or "")
    assert HASH not in (message.error or "")


def test_a_scrubbed_traceback_keeps_the_error_but_not_the_row_it_quotes() -> None:
    text_ = (
        'psycopg.errors.NotNullViolation: null value in column "role" violates not-null constraint\n'
        f"DETAIL:  Failing row contains (2, bob, Bob, {HASH}, null, t, null).\n"
        f"[parameters: ('bob', 'Bob', '{HASH}')]\n"
    )
    scrubbed = dberrors.scrub(text_)
    assert "violates not-null constraint" in scrubbed
    assert HASH not in scrubbed
