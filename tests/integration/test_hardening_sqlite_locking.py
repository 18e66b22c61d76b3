"""Logins and token calls hold while another connection keeps committing to SQLite (issue 18, finding 5).

A worker committing between a request's first read and its write used to make that write fail
with "database is locked": logins answered 500 and lost their throttle count.
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.api import users
from services.api.access import throttle, tokens
from services.api.app import create_app
from shared.db import Database
from shared.models import ApiToken, LoginThrottle, Signal, User
from shared.settings import Settings
from tests.staff import PASSWORD, create_users, csrf_from, log_in, login_attempt, seed_signals

# Enough commits to outlast the requests below; the writer stops itself after this many.
WRITER_COMMITS = 20_000


@contextmanager
def busy_writer(database: Database, *, pace_seconds: float = 0.0) -> Iterator[threading.Event]:
    """A second connection committing small write transactions in a loop, as a busy worker does.

    `pace_seconds` between commits stands for a worker's own work per item (0: back to back).
    """
    path = database.engine.url.database
    stop = threading.Event()
    started = threading.Event()
    connection = sqlite3.connect(path, timeout=30, isolation_level=None, check_same_thread=False)

    def run() -> None:
        try:
            for n in range(WRITER_COMMITS):
                if stop.is_set():
                    return
                connection.execute("BEGIN IMMEDIATE")
                connection.execute(
                    "INSERT INTO audit_log (at, actor, action, object_type, detail) "
                    "VALUES (CURRENT_TIMESTAMP, 'writer', 'probe', 'test', '{}')"
                )
                connection.execute("COMMIT")
                if pace_seconds:
                    stop.wait(pace_seconds)
                if n == 10:
                    started.set()
        finally:
            started.set()

    thread = threading.Thread(target=run, name="busy-writer", daemon=True)
    thread.start()
    started.wait(timeout=30)
    try:
        yield stop
    finally:
        stop.set()
        thread.join(timeout=60)
        connection.close()
    assert not thread.is_alive()


@contextmanager
def app_client(database: Database) -> Iterator[TestClient]:
    create_users(database)
    app = create_app(Settings(secret_key="test-secret-" + "x" * 32), database)
    with TestClient(app, base_url="http://127.0.0.1", raise_server_exceptions=False) as client:
        yield client


def failures(database: Database, username: str) -> int:
    key = throttle.keys(username=username, address=None)[0][0]
    with database.session() as session:
        row = session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one_or_none()
        return row.failures if row else 0


def test_logins_answer_and_every_wrong_password_counts_under_a_busy_writer(
    sqlite_database: Database,
) -> None:
    with app_client(sqlite_database) as client, busy_writer(sqlite_database):
        statuses = [login_attempt(client, "handler", "wrong password!") for _ in range(7)]
        right = login_attempt(client, "handler", PASSWORD)
    # Five free failures, the sixth locks the name, the seventh finds it locked.
    assert statuses == [401] * 6 + [429], statuses
    assert failures(sqlite_database, "handler") == 6
    assert right == 429  # the right password does not slip through a lost count


def test_correct_logins_succeed_under_a_busy_writer(sqlite_database: Database) -> None:
    with app_client(sqlite_database) as client, busy_writer(sqlite_database):
        statuses = [login_attempt(client, role.value, PASSWORD) for role in users.Role for _ in range(2)]
    assert statuses == [303] * len(statuses)
    with sqlite_database.session() as session:
        assert all(user.last_login_at is not None for user in session.scalars(select(User)))


def test_token_calls_succeed_and_note_their_use_under_a_busy_writer(sqlite_database: Database) -> None:
    with app_client(sqlite_database) as client:
        with sqlite_database.transaction() as session:
            owner = session.scalars(select(User).where(User.username == "frontoffice")).one()
            row, token = tokens.create(db_session=session, owner=owner, name="probe", actor="test")
            token_id = row.id
        headers = {"Authorization": f"Bearer {token}"}
        statuses = []
        with busy_writer(sqlite_database):
            for _ in range(10):
                # Forget the last use, so every call writes it again beside its reads.
                with sqlite_database.transaction() as session:
                    session.execute(update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=None))
                statuses.append(client.get("/api/v1/signals", headers=headers).status_code)
    assert statuses == [200] * 10
    with sqlite_database.session() as session:
        assert session.get_one(ApiToken, token_id).last_used_at is not None


@pytest.mark.needs_model
def test_staff_verdicts_answer_under_a_busy_pipeline(sqlite_database: Database) -> None:
    # A verdict reads the user, the session and the signal, then writes: the classic lost race.
    # 200 commits a second is faster than the all-in-one pipeline drains a backlog (bench/pipeline.py).
    ids = seed_signals(sqlite_database)
    with app_client(sqlite_database) as client:
        log_in(client, "frontoffice")
        token = csrf_from(client.get("/queue").text)
        statuses = []
        with busy_writer(sqlite_database, pace_seconds=0.005):
            for n in range(30):
                verdict = "confirm" if n % 2 else "dismiss"
                response = client.post(
                    f"/signals/{ids['Afval']}/{verdict}", data={"csrf_token": token}, follow_redirects=False
                )
                statuses.append(response.status_code)
    assert statuses == [303] * 30, statuses
    with sqlite_database.session() as session:
        assert session.get_one(Signal, ids["Afval"]).status == "confirmed"
