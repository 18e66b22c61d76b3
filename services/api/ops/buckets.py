"""Hour and week buckets of a UTC datetime column, as SQL both SQLite and PostgreSQL run."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, literal_column
from sqlalchemy.orm import Session

HOUR_FORMAT = "%Y-%m-%d %H:00"
WEEK_FORMAT = "%Y-%m-%d"


def _dialect(db_session: Session) -> str:
    return db_session.get_bind().dialect.name


def hour(db_session: Session, column: Any) -> Any:
    """The column's UTC hour; read the result with `key(value, HOUR_FORMAT)`."""
    if _dialect(db_session) == "postgresql":
        # Truncated, not formatted: to_char on every row costs more than the grouping itself.
        return func.date_trunc("hour", column.op("AT TIME ZONE")(literal_column("'UTC'")))
    return func.strftime(HOUR_FORMAT, column)  # SQLite stores naive UTC


def week(db_session: Session, column: Any) -> Any:
    """The Monday (UTC) of the column's ISO week; read the result with `key(value, WEEK_FORMAT)`."""
    if _dialect(db_session) == "postgresql":
        return func.date_trunc("week", column.op("AT TIME ZONE")(literal_column("'UTC'")))
    # 'weekday 0' moves to the coming Sunday (or stays on one); six days back is that week's Monday.
    return func.date(column, "weekday 0", "-6 days")


def key(value: str | dt.datetime, fmt: str) -> str:
    """A bucket as the text key of `last_hours`/`last_weeks` (PostgreSQL gives timestamps, SQLite text)."""
    return value.strftime(fmt) if isinstance(value, dt.datetime) else value


def last_hours(now: dt.datetime, count: int) -> list[str]:
    """The keys of the `count` hours up to and including `now`'s, oldest first."""
    top = now.astimezone(dt.UTC).replace(minute=0, second=0, microsecond=0)
    return [(top - dt.timedelta(hours=n)).strftime(HOUR_FORMAT) for n in range(count - 1, -1, -1)]


def last_weeks(now: dt.datetime, count: int) -> list[str]:
    """The keys (Mondays) of the `count` weeks up to and including `now`'s, oldest first."""
    today = now.astimezone(dt.UTC).date()
    monday = today - dt.timedelta(days=today.weekday())
    return [(monday - dt.timedelta(weeks=n)).strftime(WEEK_FORMAT) for n in range(count - 1, -1, -1)]


def start_of(key: str, fmt: str) -> dt.datetime:
    """The UTC instant a bucket key starts at."""
    return dt.datetime.strptime(key, fmt).replace(tzinfo=dt.UTC)
