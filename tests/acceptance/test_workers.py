"""Worker processes against real databases: scale-out, crashes, failures, retries."""

from __future__ import annotations

import signal
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.ingest.sink import Sink
from shared.db import Database
from shared.models import Assignment, Classification, Message, Signal
from shared.states import TERMINAL_STATES, State
from tests import processes
from tests.conftest import make_incoming

pytestmark = pytest.mark.slow

TEXTS = [
    "Voor de derde keer: de container is nog steeds niet geleegd.",
    "Wat zijn de openingstijden van het stadskantoor?",
    "Still no answer to my request, this is unacceptable.",
    "Bedankt voor de snelle hulp!",
]


def fill(database: Database, n: int, batch: int = 500) -> None:
    sink = Sink(database, "load")
    for start in range(0, n, batch):
        sink.store(
            [
                make_incoming(f"{TEXTS[i % len(TEXTS)]} (#{i})", source="load", dedupe_key=f"load-{i}")
                for i in range(start, min(start + batch, n))
            ]
        )


def state_counts(database: Database) -> dict[str, int]:
    with database.session() as session:
        return dict(session.execute(select(Message.state, func.count()).group_by(Message.state)).all())


def all_terminal(database: Database, n: int) -> bool:
    counts = state_counts(database)
    return sum(counts.get(s, 0) for s in TERMINAL_STATES) + counts.get(State.failed, 0) == n


def assert_each_stage_ran_exactly_once(database: Database, n: int) -> None:
    with database.session() as session:
        classifications = session.scalar(select(func.count()).select_from(Classification))
        classified_messages = session.scalar(select(func.count(func.distinct(Classification.message_id))))
        signals = session.scalar(select(func.count()).select_from(Signal))
        assignments = session.scalar(select(func.count()).select_from(Assignment))
        leased = session.scalar(select(func.count()).where(Message.lease_owner.is_not(None)))
    counts = state_counts(database)
    assert counts.get(State.failed, 0) == 0, counts
    assert classifications == classified_messages == n
    assert signals == assignments == counts[State.routed]
    assert counts[State.routed] + counts[State.not_flagged] == n
    assert leased == 0


@pytest.mark.needs_model
def test_four_worker_processes_drain_5000_messages_exactly_once(
    postgres_database: Database, tmp_path: Path
) -> None:
    n = 5000
    fill(postgres_database, n)
    env = processes.signaal_env(postgres_database.url, worker_batch_size="25", poll_interval="0.2")
    workers = [
        processes.start([processes.SIGNAAL, "work"], env, tmp_path / f"worker{i}.log") for i in range(4)
    ]
    try:
        processes.wait_until(
            lambda: all_terminal(postgres_database, n), timeout=300, interval=1, what="5000 messages drained"
        )
    finally:
        exit_codes = [processes.stop(w) for w in workers]
    assert_each_stage_ran_exactly_once(postgres_database, n)
    assert exit_codes == [0, 0, 0, 0], [(tmp_path / f"worker{i}.log").read_text()[-2000:] for i in range(4)]


@pytest.mark.needs_model
@pytest.mark.parametrize("db", ["postgres", "sqlite"])
def test_a_killed_workers_items_are_reclaimed_after_the_lease_and_finished_once(
    db: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    database: Database = request.getfixturevalue(f"{db}_database")
    n = 300
    fill(database, n)
    env = processes.signaal_env(database.url, lease_seconds="3", poll_interval="0.2")
    slow = processes.start([sys.executable, "-m", "tests.slow_worker"], env, tmp_path / "slow.log")

    def mid_batch() -> bool:
        with database.session() as session:
            done = session.scalar(select(func.count()).where(Message.state != State.received))
            leased = session.scalar(select(func.count()).where(Message.lease_owner.is_not(None)))
        return bool(done) and bool(leased)

    try:
        processes.wait_until(mid_batch, timeout=60, what="the slow worker to be mid-batch")
        slow.send_signal(signal.SIGKILL)
        slow.wait(timeout=10)
        with database.session() as session:
            orphaned = session.scalar(select(func.count()).where(Message.lease_owner.is_not(None)))
        assert orphaned, "the killed worker should have left leased items behind"

        rescuer = processes.start([processes.SIGNAAL, "work"], env, tmp_path / "rescuer.log")
        try:
            processes.wait_until(lambda: all_terminal(database, n), timeout=120, what="all items finished")
        finally:
            assert processes.stop(rescuer) == 0
    finally:
        if slow.poll() is None:
            slow.kill()
    assert_each_stage_ran_exactly_once(database, n)


def test_signaal_retry_puts_failed_items_back(sqlite_database: Database) -> None:
    ids = [s.message_id for s in Sink(sqlite_database, "t").store([make_incoming("a"), make_incoming("b")])]
    with sqlite_database.transaction() as session:
        for message in session.scalars(select(Message).where(Message.id.in_(ids))):
            message.state, message.failed_stage, message.error = State.failed, "classify", "boom"
    env = processes.signaal_env(sqlite_database.url)

    result = processes.run([processes.SIGNAAL, "retry", "--state", "failed", "--stage", "classify"], env)

    assert result.returncode == 0, result.stderr
    assert "2 item(s) put back" in result.stdout
    assert state_counts(sqlite_database) == {State.received: 2}


def test_an_unreachable_database_is_retried_then_reported_clearly(tmp_path: Path) -> None:
    env = processes.signaal_env("postgresql://postgres@127.0.0.1:1/nowhere", db_wait_seconds="2")
    result = processes.run([processes.SIGNAAL, "work"], env, timeout=60)
    assert result.returncode == 2
    assert "Cannot reach the database" in result.stderr
    assert "retrying" in result.stderr  # backoff attempts were logged


def test_invalid_config_stops_start_up_naming_the_field(sqlite_database: Database, tmp_path: Path) -> None:
    config = tmp_path / "org.yaml"
    config.write_text("departments:\n  - description: no name\n")
    env = processes.signaal_env(sqlite_database.url, config=str(config))
    result = processes.run([processes.SIGNAAL, "work"], env)
    assert result.returncode == 2
    assert "departments[0].name" in result.stderr and str(config) in result.stderr


def test_a_worker_refuses_to_start_on_an_unmigrated_database(tmp_path: Path) -> None:
    env = processes.signaal_env(f"sqlite:///{tmp_path / 'new.db'}")
    result = processes.run([processes.SIGNAAL, "classify"], env)
    assert result.returncode == 2 and "signaal db upgrade" in result.stderr


def test_sigterm_stops_a_worker_cleanly(sqlite_database: Database, tmp_path: Path) -> None:
    env = processes.signaal_env(sqlite_database.url)
    worker = processes.start([processes.SIGNAAL, "classify"], env, tmp_path / "w.log")
    processes.wait_until(
        lambda: "worker started" in (tmp_path / "w.log").read_text(), timeout=60, what="worker start"
    )
    assert processes.stop(worker, timeout=30) == 0
    assert "worker stopped" in (tmp_path / "w.log").read_text()
