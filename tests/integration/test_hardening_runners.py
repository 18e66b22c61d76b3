"""Loops that survive their database going away: connector threads, health that says so, pipeline workers."""

from __future__ import annotations

import contextlib
import datetime as dt
import threading
from collections.abc import Iterator
from typing import Any

import pytest
from prometheus_client import REGISTRY
from sqlalchemy import create_engine, select, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from services.ingest import health, runner
from services.ingest.connectors.fake import FakeConnector
from services.ingest.sink import Sink
from shared import migrate, pipeline
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import ConnectorHealth, Message, utcnow
from shared.pipeline import StageBase, Worker, WorkerConfig
from shared.states import Stage, State
from tests import servers
from tests.conftest import make_incoming
from tests.processes import wait_until

REFUSED = "cannot connect to imap.example.nl:993: connection refused"


class Outage:
    """Cuts a scratch PostgreSQL database off (no new connections, open ones ended) and restores it."""

    def __init__(self, url: str) -> None:
        self.name = make_url(url).database
        self.admin = create_engine(servers.POSTGRES_URL, isolation_level="AUTOCOMMIT")

    def begin(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS false'))
            self.terminate_all(conn)

    def end(self) -> None:
        with self.admin.connect() as conn:
            conn.execute(text(f'ALTER DATABASE "{self.name}" ALLOW_CONNECTIONS true'))

    def terminate_all(self, conn: Any) -> None:
        conn.execute(
            text("SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = :name"),
            {"name": self.name},
        )

    def terminate(self, pid: int) -> None:
        with self.admin.connect() as conn:
            conn.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})


@pytest.fixture
def own_postgres() -> Iterator[tuple[Database, Outage]]:
    """A database of this test's own, so cutting it off touches no other test."""
    with servers.scratch_postgres_database() as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        outage = Outage(url)
        try:
            yield database, outage
        finally:
            outage.end()
            database.dispose()
            outage.admin.dispose()


def health_row(database: Database, name: str) -> ConnectorHealth | None:
    with database.session() as session:
        return session.scalars(select(ConnectorHealth).where(ConnectorHealth.connector == name)).one_or_none()


# --- connector threads ------------------------------------------------------------------


def test_a_connector_thread_survives_a_database_outage_and_records_it_afterwards(
    own_postgres: tuple[Database, Outage],
) -> None:
    database, outage = own_postgres
    connector = FakeConnector("mailbox-info", poll_interval=0.02)
    assert runner.poll_once(connector, database) == 0
    assert health_row(database, "mailbox-info").status == "ok"  # type: ignore[union-attr]

    connector.failure = REFUSED
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_connector, args=(connector, database, stop))
    outage.begin()
    try:
        thread.start()
        # Each failed poll also fails to write health; the old loop died on the first.
        wait_until(lambda: connector.polls >= 4, timeout=30, what="failed polls during the outage")
        assert thread.is_alive()
        outage.end()

        def failure_recorded() -> bool:
            row = health_row(database, "mailbox-info")
            return row is not None and row.consecutive_failures >= 3

        wait_until(
            failure_recorded, timeout=30, what="the outage's failures written once the database is back"
        )
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()
    row = health_row(database, "mailbox-info")
    assert row is not None and row.status == "down" and row.last_error == REFUSED


def test_a_poll_whose_store_and_health_write_both_fail_returns_a_failure_instead_of_raising(
    own_postgres: tuple[Database, Outage],
) -> None:
    database, outage = own_postgres
    connector = FakeConnector("mailbox-info")
    pending = runner.PendingHealth()
    outage.begin()
    assert runner.poll_once(connector, database, pending=pending) == -1
    assert pending.unrecorded == 1
    outage.end()
    connector.add(make_incoming(source="mailbox-info"))
    assert runner.poll_once(connector, database, pending=pending) == 1
    assert pending.unrecorded == 0
    row = health_row(database, "mailbox-info")
    assert row is not None and row.status == "ok" and row.messages_total == 1
    assert row.last_error and row.last_error.startswith("the database did not answer")
    assert "[SQL" not in row.last_error


# --- health that says so -----------------------------------------------------------------


def test_a_connector_whose_last_poll_is_many_intervals_old_is_not_reported_ok(database: Database) -> None:
    config = OrganisationConfig.model_validate({"connectors": [{"name": "mailbox-info", "kind": "fake"}]})
    health.record_success(database, name="mailbox-info", kind="fake", stored=1)
    later = utcnow() + health.STALE_AFTER + dt.timedelta(minutes=5)
    with database.session() as session:
        (fresh,) = health.report(session, config)
        (stale,) = health.report(session, config, now=later)
        (passive,) = health.report(session, config, now=later, passive_kinds=("fake",))
    assert fresh.status == "ok"
    assert stale.status == "down"
    assert any("no poll for" in w for w in stale.warnings)
    assert passive.status == "ok", "the API serves passive kinds; there is no poll to go stale"


# --- pipeline workers ----------------------------------------------------------------------


class KillsItsBackendOnce(StageBase):
    """A stage whose first dispose has the database end its connection mid-transaction."""

    stage = Stage.classify
    input_state = State.received

    def __init__(self, outage: Outage) -> None:
        self.outage = outage
        self.kills = 0

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if self.kills == 0:
            self.kills += 1
            self.outage.terminate(session.execute(text("SELECT pg_backend_pid()")).scalar_one())
            session.execute(text("SELECT 1"))  # finds the connection gone
        return State.not_flagged


def test_a_worker_whose_connection_is_killed_mid_dispose_retries_the_item_instead_of_failing_it(
    own_postgres: tuple[Database, Outage],
) -> None:
    database, outage = own_postgres
    ids = [s.message_id for s in Sink(database, "test").store([make_incoming() for _ in range(3)])]
    stage = KillsItsBackendOnce(outage)
    worker = Worker(stage, database, WorkerConfig(poll_interval=0.02))
    lost_before = REGISTRY.get_sample_value("signaal_stage_database_lost_total", {"stage": "classify"}) or 0

    def states() -> dict[int, str]:
        with database.session() as session:
            return dict(session.execute(select(Message.id, Message.state).where(Message.id.in_(ids))).all())

    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,))
    thread.start()
    try:
        wait_until(
            lambda: set(states().values()) <= {State.not_flagged, State.failed} and stage.kills == 1,
            timeout=30,
            what="every item finished",
        )
    finally:
        stop.set()
        thread.join(timeout=10)
    assert set(states().values()) == {State.not_flagged}, "the database's fault, not the message's"
    assert stage.kills == 1
    lost = REGISTRY.get_sample_value("signaal_stage_database_lost_total", {"stage": "classify"}) or 0
    assert lost == lost_before + 1


class OneItemAlwaysTimesOut(StageBase):
    """A stage whose statement for one message always fails as a timed-out statement does."""

    stage = Stage.classify
    input_state = State.received

    def __init__(self, doomed: int) -> None:
        self.doomed = doomed

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if message.id == self.doomed:
            raise OperationalError(
                "SELECT …", {}, TimeoutError("canceling statement due to statement timeout")
            )
        return State.not_flagged


def test_an_item_that_always_loses_the_database_fails_alone_after_a_bounded_number_of_tries(
    postgres_database: Database,
) -> None:
    database = postgres_database
    ids = [s.message_id for s in Sink(database, "test").store([make_incoming() for _ in range(3)])]
    worker = Worker(OneItemAlwaysTimesOut(ids[0]), database, WorkerConfig(poll_interval=0.01))
    for _ in range(pipeline.MAX_ITEM_LOSSES):
        # The worker's loop would pause after each loss; the test goes on at once.
        with contextlib.suppress(Exception):
            worker.run_once(threading.Event())
    with database.session() as session:
        rows = dict(session.execute(select(Message.id, Message.state).where(Message.id.in_(ids))).all())
        error = session.get_one(Message, ids[0]).error
    assert rows == {ids[0]: State.failed, ids[1]: State.not_flagged, ids[2]: State.not_flagged}
    assert pipeline.TOO_MANY_LOSSES in error
