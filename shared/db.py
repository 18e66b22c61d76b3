"""Engine and sessions for SQLite (embedded default) and PostgreSQL.

SQLite runs in WAL mode with a busy timeout so the API can read while one
worker writes. Pipeline writes on SQLite use `BEGIN IMMEDIATE`: a deferred
transaction that reads and then writes can fail with "database is locked"
instead of waiting, because WAL cannot upgrade a stale read snapshot. The API's
small writes beside its reads (login throttle, last login, a token's or a
session's last use) go through `Database.write` for the same reason.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import structlog
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

from shared.exceptions import DatabaseUnavailable

log = structlog.get_logger(__name__)

SQLITE_BUSY_TIMEOUT_MS = 30_000
# After the busy timeout, a few more tries a moment apart: a lock is never worth a 500.
WRITE_ATTEMPTS = 4
WRITE_RETRY_DELAY = 0.05

T = TypeVar("T")


def make_engine(url: str, *, pool_size: int = 5) -> Engine:
    """Create an engine with the right connection settings for its dialect."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        return _sqlite_engine(url, parsed.database)
    if parsed.drivername == "postgresql":
        # Plain postgresql:// means psycopg 3 here, the driver we install.
        url = parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)
    # hide_parameters: tracebacks and logs never show bound values (password hashes, citizens' text).
    return create_engine(
        url, pool_size=pool_size, max_overflow=pool_size, pool_pre_ping=True, hide_parameters=True
    )


def _sqlite_engine(url: str, database: str | None) -> Engine:
    if database and database != ":memory:":
        Path(database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_engine(url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True)

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        # Take transaction control from pysqlite so we can choose BEGIN's mode.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        mode = conn.get_execution_options().get("sqlite_begin", "DEFERRED")
        conn.exec_driver_sql(f"BEGIN {mode}")

    return engine


class Database:
    """One engine and its session factories, shared by a process."""

    def __init__(self, url: str, *, pool_size: int = 5) -> None:
        self.url = url
        self.engine = make_engine(url, pool_size=pool_size)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        writer = self.engine.execution_options(sqlite_begin="IMMEDIATE") if self.is_sqlite else self.engine
        self._write_sessions = sessionmaker(writer, expire_on_commit=False)

    def session(self) -> Session:
        """A session for reads and short user-driven writes."""
        return self._sessions()

    def writer_session(self) -> Session:
        """A session whose transactions take SQLite's write lock at BEGIN, so its writes wait, never fail."""
        session = self._write_sessions()
        session.info["write_lock"] = True
        return session

    @contextlib.contextmanager
    def transaction(self) -> Iterator[Session]:
        """A write transaction: committed on success, rolled back on error."""
        with self._write_sessions() as session, session.begin():
            yield session

    def write(
        self, work: Callable[[Session], T], *, beside: Session | None = None, attempts: int = WRITE_ATTEMPTS
    ) -> T:
        """Run `work` in its own short write transaction, again if SQLite says the database is locked.

        `work` must be safe to run twice: a locked attempt is rolled back whole. When `beside` (the
        caller's session) already holds the write lock, a second transaction would wait on it for
        ever, so `work` runs and commits there instead.
        """
        if beside is not None and beside.info.get("write_lock"):
            result = work(beside)
            beside.commit()
            return result
        for attempt in range(1, attempts + 1):
            try:
                with self.transaction() as session:
                    return work(session)
            except OperationalError as exc:
                if not (self.is_sqlite and is_locked(exc)) or attempt == attempts:
                    raise
                log.warning("database locked, retrying a write", attempt=attempt)
                time.sleep(WRITE_RETRY_DELAY * 2 ** (attempt - 1))
        raise AssertionError("unreachable")  # the loop returns or raises

    def ping(self) -> None:
        with self.engine.connect() as conn:
            conn.execute(text("SELECT 1"))

    def wait_until_reachable(self, timeout: float) -> None:
        """Retry with exponential backoff until the database answers or `timeout` passes."""
        deadline = time.monotonic() + timeout
        delay = 0.5
        attempt = 0
        while True:
            attempt += 1
            try:
                self.ping()
                if attempt > 1:
                    log.info("database reachable", attempts=attempt)
                return
            except OperationalError as exc:
                remaining = deadline - time.monotonic()
                reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
                if remaining <= 0:
                    raise DatabaseUnavailable(
                        f"Cannot reach the database at {safe_url(self.url)} after {attempt} "
                        f"attempts: {reason}. Check SIGNAAL_DATABASE_URL and that the server is running."
                    ) from None
                log.warning(
                    "database unreachable, retrying",
                    url=safe_url(self.url),
                    reason=reason,
                    retry_in=round(min(delay, remaining), 1),
                )
                time.sleep(min(delay, remaining))
                delay = min(delay * 2, 10.0)

    def dispose(self) -> None:
        self.engine.dispose()


def is_locked(exc: OperationalError) -> bool:
    """Whether SQLite refused for a lock held by another connection (worth a retry)."""
    reason = str(exc.orig if exc.orig is not None else exc).lower()
    return "database is locked" in reason or "database is busy" in reason


def safe_url(url: str) -> str:
    """The URL with its password masked, fit for logs."""
    return make_url(url).render_as_string(hide_password=True)
