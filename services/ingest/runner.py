"""Runs every connector on its own thread, so one failing source never holds up another."""

from __future__ import annotations

import random
import threading
from collections.abc import Callable, Sequence

import structlog

from services.ingest import health
from services.ingest.connectors.base import Connector, ConnectorFailure
from services.ingest.sink import Sink
from shared.db import Database

log = structlog.get_logger(__name__)

MAX_BACKOFF_SECONDS = 300.0


def backoff_delay(failures: int, base: float, *, cap: float = MAX_BACKOFF_SECONDS) -> float:
    """Exponential backoff with full jitter: a random delay up to base·2^failures, capped."""
    return random.uniform(base, min(cap, base * 2 ** min(failures, 16)))


def poll_once(connector: Connector, database: Database) -> int:
    """One poll with health recorded; returns the number stored, or -1 when it failed."""
    try:
        # `acknowledge` is optional on a connector: receipts only where its entry asks for them.
        sink = Sink(database, connector.name, acknowledge=getattr(connector, "acknowledge", False))
        stored = connector.poll(sink)
    except ConnectorFailure as exc:
        log.warning("connector failed", connector=connector.name, reason=exc.reason)
        health.record_failure(
            database,
            name=connector.name,
            kind=connector.kind,
            reason=exc.reason,
            status=exc.status,
            auth=exc.auth,
        )
        return -1
    except Exception as exc:
        log.exception("connector failed unexpectedly", connector=connector.name)
        reason = f"{type(exc).__name__}: {exc}"
        health.record_failure(database, name=connector.name, kind=connector.kind, reason=reason)
        return -1
    health.record_success(database, name=connector.name, kind=connector.kind, stored=stored)
    return stored


def run_connector(connector: Connector, database: Database, stop: threading.Event) -> None:
    failures = 0
    # A connector with a push mechanism (IMAP IDLE) waits for news itself instead of a fixed sleep.
    wait_for_news = getattr(connector, "wait_for_news", None)
    while not stop.is_set():
        stored = poll_once(connector, database)
        failures = failures + 1 if stored < 0 else 0
        if failures:
            stop.wait(backoff_delay(failures, connector.poll_interval))
        elif wait_for_news is not None:
            _wait_for_news(connector, wait_for_news, stop)
        else:
            stop.wait(connector.poll_interval)
    connector.close()


def _wait_for_news(
    connector: Connector, wait: Callable[[threading.Event, float], None], stop: threading.Event
) -> None:
    try:
        wait(stop, connector.poll_interval)
    except Exception:
        log.exception("connector failed while waiting for news", connector=connector.name)
        stop.wait(connector.poll_interval)


def run_all(
    connectors: Sequence[Connector], database: Database, stop: threading.Event
) -> list[threading.Thread]:
    """Start one thread per connector; they end when `stop` is set."""
    threads = []
    for connector in connectors:
        thread = threading.Thread(
            target=run_connector,
            args=(connector, database, stop),
            name=f"connector:{connector.name}",
            daemon=True,
        )
        thread.start()
        threads.append(thread)
    if not connectors:
        log.info(
            "no connectors configured; add some to the file named by SIGNAAL_CONFIG (see config.example.yaml)"
        )
    return threads
