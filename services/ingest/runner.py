"""Runs every connector on its own thread, so one failing source never holds up another.

A connector thread survives every error, including errors while recording an
error: the database that holds health may be the very thing that is down. A
failure that cannot be recorded is kept in memory and written once the
database answers again, so health never stays "ok" through an outage.
"""

from __future__ import annotations

import datetime as dt
import random
import threading
from collections.abc import Sequence
from dataclasses import dataclass

import structlog

from services.ingest import health
from services.ingest.connectors.base import Connector, ConnectorFailure
from services.ingest.sink import Sink
from shared import dberrors, runner
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import utcnow

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 300.0


def backoff_delay(failures: int, base: float, *, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential backoff with full jitter: a random delay up to base·2^failures, capped."""
    return random.uniform(base, min(cap, base * 2 ** min(failures, 16)))


@dataclass
class _Failure:
    reason: str
    status: str | None
    auth: bool
    at: dt.datetime
    count: int = 1


class PendingHealth:
    """Failed polls that could not be written to health yet; written before the next outcome."""

    def __init__(self) -> None:
        self._failure: _Failure | None = None

    @property
    def unrecorded(self) -> int:
        return self._failure.count if self._failure else 0

    def add_failure(self, reason: str, *, status: str | None, auth: bool) -> None:
        earlier = self.unrecorded
        self._failure = _Failure(reason, status, auth, utcnow(), earlier + 1)

    def flush(self, connector: Connector, database: Database) -> None:
        """Write the kept failures (raises while the database is still away; they stay kept)."""
        failure = self._failure
        if failure is None:
            return
        health.record_failure(
            database,
            name=connector.name,
            kind=connector.kind,
            reason=failure.reason,
            status=failure.status,
            auth=failure.auth,
            count=failure.count,
            at=failure.at,
        )
        self._failure = None


def poll_once(
    connector: Connector,
    database: Database,
    *,
    organisation: OrganisationConfig | None = None,
    pending: PendingHealth | None = None,
) -> int:
    """One poll with health recorded; returns the number stored, or -1 when it failed.

    Never raises for a failed poll or a failed health write: with `pending`,
    failures that could not be recorded are kept there for the next call.
    A connector that sends receipts needs `organisation` (their texts).
    """
    pending = pending if pending is not None else PendingHealth()
    try:
        # `acknowledge` is optional on a connector: receipts only where its entry asks for them.
        acknowledge = getattr(connector, "acknowledge", False)
        sink = Sink(database, connector.name, acknowledge=acknowledge, organisation=organisation)
        stored = connector.poll(sink)
    except ConnectorFailure as exc:
        log.warning("connector failed", connector=connector.name, reason=exc.reason)
        pending.add_failure(exc.reason, status=exc.status, auth=exc.auth)
        _record(connector, database, pending)
        return -1
    except Exception as exc:
        reason = _unexpected_reason(exc)
        if dberrors.is_transient(exc):
            # No traceback: SQLAlchemy's text adds only a help link; the reason says what happened.
            log.warning("connector could not reach the database", connector=connector.name, reason=reason)
        else:
            log.exception("connector failed unexpectedly", connector=connector.name)
        pending.add_failure(reason, status=None, auth=False)
        _record(connector, database, pending)
        return -1
    if _record(connector, database, pending):
        try:
            health.record_success(database, name=connector.name, kind=connector.kind, stored=stored)
        except Exception as exc:
            # The mail is stored (counts come from the messages table); only this poll's "ok" is lost.
            log.warning(
                "could not record connector health", connector=connector.name, reason=_unexpected_reason(exc)
            )
    return stored


def _record(connector: Connector, database: Database, pending: PendingHealth) -> bool:
    """Write kept failures; False (they stay kept) when the database does not take them."""
    try:
        pending.flush(connector, database)
        return True
    except Exception as exc:
        log.warning(
            "could not record connector health; kept until the database answers",
            connector=connector.name,
            unrecorded=pending.unrecorded,
            reason=_unexpected_reason(exc),
        )
        return False


def _unexpected_reason(exc: BaseException) -> str:
    # Database errors carry SQL and the server's DETAIL (row values); keep the first line only.
    if dberrors.is_transient(exc):
        return f"the database did not answer ({dberrors.describe(exc)})"
    return dberrors.describe(exc) if hasattr(exc, "orig") else f"{type(exc).__name__}: {exc}"[:500]


class _PollFailed(Exception):
    """The poll failed; `poll_once` logged it and kept it for health."""


class ConnectorRunner(runner.Runner):
    """Polls one connector until stopped, backing off while its polls fail."""

    def __init__(
        self, connector: Connector, database: Database, organisation: OrganisationConfig | None = None
    ) -> None:
        self.connector = connector
        self.database = database
        self.organisation = organisation
        self.name = f"connector:{connector.name}"
        self.interval = connector.poll_interval
        self.pending = PendingHealth()

    def tick(self) -> None:
        if poll_once(self.connector, self.database, organisation=self.organisation, pending=self.pending) < 0:
            raise _PollFailed

    def wait(self) -> None:
        # A connector with a push mechanism (IMAP IDLE) waits for news itself instead of a fixed sleep.
        wait_for_news = getattr(self.connector, "wait_for_news", None)
        if wait_for_news is None:
            self.stop.wait(self.interval)
            return
        try:
            wait_for_news(self.stop, self.interval)
        except Exception:
            log.exception("connector failed while waiting for news", connector=self.connector.name)
            self.stop.wait(self.interval)

    def failed(self, exc: Exception) -> None:
        if not isinstance(exc, _PollFailed):
            log.error(
                "connector loop error; backing off", connector=self.connector.name, error=type(exc).__name__
            )

    def backoff(self, failures: int) -> float:
        return backoff_delay(failures, self.interval)

    def stopping(self) -> None:
        try:
            self.connector.close()
        except Exception as exc:
            log.warning(
                "connector did not close cleanly", connector=self.connector.name, error=type(exc).__name__
            )


def run_connector(
    connector: Connector,
    database: Database,
    stop: threading.Event,
    organisation: OrganisationConfig | None = None,
) -> None:
    """Poll `connector` in this thread until `stop` is set."""
    ConnectorRunner(connector, database, organisation).run(stop)


def run_all(
    connectors: Sequence[Connector],
    database: Database,
    stop: threading.Event,
    *,
    organisation: OrganisationConfig,
) -> list[threading.Thread]:
    """Start one thread per connector; they end when `stop` is set."""
    threads = [ConnectorRunner(connector, database, organisation).start(stop) for connector in connectors]
    if not connectors:
        log.info(
            "no connectors configured; add some to the file named by SIGNAAL_CONFIG (see config.example.yaml)"
        )
    return threads
