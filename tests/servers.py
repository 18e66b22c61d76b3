"""Finding the real servers tests need: skip locally when absent, fail in CI (CI=true)."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sqlalchemy.engine import make_url

from tests import scratchdb

POSTGRES_URL = os.environ.get(
    "SIGNAAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}


def require(available: bool, reason: str) -> None:
    """Skip (locally) or fail (in CI) when a server the test needs is missing."""
    if available:
        return
    if IN_CI:
        pytest.fail(f"{reason} — required in CI (CI=true)", pytrace=False)
    pytest.skip(reason)


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def postgres_reachable() -> bool:
    url = make_url(POSTGRES_URL)
    try:
        with socket.create_connection((url.host or "127.0.0.1", url.port or 5432), timeout=2):
            return True
    except OSError:
        return False


@contextmanager
def scratch_postgres_database() -> Iterator[str]:
    """A new, empty PostgreSQL database for this test run, dropped afterwards."""
    require(postgres_reachable(), f"PostgreSQL not reachable at {make_url(POSTGRES_URL).render_as_string()}")
    with scratchdb.scratch_postgres_database(POSTGRES_URL) as url:
        yield url
