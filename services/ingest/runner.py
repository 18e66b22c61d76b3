"""Runs every connector on its own thread, so one failing source never holds up another."""

from __future__ import annotations

import random
import threading
from collections.abc import Sequence

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
        stored = connector.poll(Sink(database, connector.name))
    except ConnectorFailure as exc:
        log.warning("connector failed", connector=connector.name, reason=exc.reason)
        health.record_failure(database, name=connector.name, kind=connector.kind, reason=exc.reason)
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
    while not stop.is_set():
        stored = poll_once(connector, database)
        failures = failures + 1 if stored < 0 else 0
        stop.wait(backoff_delay(failures, connector.poll_interval) if failures else connector.poll_interval)
    connector.close()


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
