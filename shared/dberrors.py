"""Telling a database that is away (retry later) from a statement it refuses (the data's fault).

Loops use `is_transient` to decide between "put the work back and wait" and
"this item is bad"; `describe` gives ops one line without SQL, parameters or
the server's DETAIL (which can quote row values: personal data, hashes).
"""

from __future__ import annotations

import re

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError

# SQLite raises OperationalError for schema and syntax mistakes too; only these mean "try again later".
_SQLITE_TRANSIENT = re.compile(
    r"database is locked|database table is locked|database is busy|disk i/o error|unable to open database|"
    r"database or disk is full|readonly database|read-only",
    re.IGNORECASE,
)
_CANNOT_WRITE = re.compile(
    r"database or disk is full|disk full|no space left|readonly database|read-only|read only|"
    r"could not extend file",
    re.IGNORECASE,
)
CANNOT_WRITE = "database is read-only or the disk is full"
# Lines of a database error's text that quote values: the server's DETAIL (PostgreSQL's "Failing row
# contains (...)", "Key (x)=(y)") and SQLAlchemy's parameter list when parameters are not hidden.
_QUOTES_VALUES = re.compile(r"^\s*(DETAIL:|\[parameters:|Failing row contains).*$", re.MULTILINE)


def is_transient(exc: BaseException) -> bool:
    """Whether `exc` means the database is unreachable or busy, not that the statement is wrong."""
    if isinstance(exc, DBAPIError) and exc.connection_invalidated:
        return True
    if isinstance(exc, InterfaceError):
        return True
    if isinstance(exc, OperationalError):
        if _is_sqlite(exc):
            return bool(_SQLITE_TRANSIENT.search(reason(exc)))
        return True  # PostgreSQL: connection lost, shutdown, deadlock, lock or statement timeout, disk full
    return False


def cannot_write(exc: BaseException) -> bool:
    """Whether the database refused a write because it is read-only or out of space."""
    return isinstance(exc, DBAPIError) and bool(_CANNOT_WRITE.search(reason(exc)))


def reason(exc: BaseException) -> str:
    """The driver's first line (e.g. "database is locked"), without SQL, parameters or DETAIL."""
    original = getattr(exc, "orig", None) or exc
    lines = str(original).strip().splitlines()
    return (lines[0] if lines else type(original).__name__)[:300]


def describe(exc: BaseException) -> str:
    """One ops-readable line: the cause when known, the error's kind and the driver's first line."""
    prefix = f"{CANNOT_WRITE}: " if cannot_write(exc) else ""
    return f"{prefix}{type(exc).__name__}: {reason(exc)}"


def scrub(text: str) -> str:
    """`text` (a traceback, an error) without the lines in which a database quotes row values."""
    return _QUOTES_VALUES.sub("[values hidden]", text)


def _is_sqlite(exc: DBAPIError) -> bool:
    return type(exc.orig).__module__.startswith("sqlite3")
