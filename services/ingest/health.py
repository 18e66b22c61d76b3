"""Connector health as ops sees it: status, last success, last error, counts, warnings.

The runner records each poll's outcome in `connector_health`; `report()`
joins that with the configuration and with counts from the messages table
(the truth, whichever process stored them) for the API, metrics and CLI.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, case, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import ConnectorHealth, Message, utcnow
from shared.states import State

# Failures in a row before a connector counts as down rather than degraded.
DOWN_AFTER = 3
STATUSES = ("ok", "degraded", "down", "disabled")
# Stored in ConnectorHealth.warnings while the source refuses our credentials.
AUTH_FAILING = "auth"
# For connectors that do not flag ConnectorFailure(auth=True): reasons that plainly mean credentials.
_AUTH_REASON = re.compile(
    r"login refused|authenticat|credential|no password|no (access )?token|token was refused|"
    r"access token may not|HTTP 401",
    re.IGNORECASE,
)
# No poll for this long (or STALE_POLLS poll intervals, if longer) means nothing is running the connector.
STALE_AFTER = dt.timedelta(minutes=15)
STALE_POLLS = 3
RECENT = dt.timedelta(hours=24)  # quarantined / oversized warnings look this far back


def _ensure_row(session: Session, name: str, kind: str) -> None:
    """Create the connector's row if missing; a concurrent creator winning is fine."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(
        insert(ConnectorHealth)
        .values(connector=name, kind=kind, status="ok", consecutive_failures=0, messages_total=0, warnings=[])
        .on_conflict_do_nothing(index_elements=["connector"])
    )


def _update(session: Session, name: str, **values: Any) -> None:
    # One UPDATE computing counters from their stored values, so concurrent recorders never lose a count.
    session.execute(
        update(ConnectorHealth)
        .where(ConnectorHealth.connector == name)
        .values(**values)
        .execution_options(synchronize_session=False)
    )


def record_success(database: Database, *, name: str, kind: str, stored: int) -> None:
    now = utcnow()
    values: dict[str, Any] = {
        "status": "ok",
        "last_attempt_at": now,
        "last_success_at": now,
        "consecutive_failures": 0,
        "warnings": [],
        "messages_total": func.coalesce(ConnectorHealth.messages_total, 0) + stored,
    }
    if stored:
        values["last_message_at"] = now
    with database.transaction() as session:
        _ensure_row(session, name, kind)
        _update(session, name, **values)


def record_failure(
    database: Database,
    *,
    name: str,
    kind: str,
    reason: str,
    status: str | None = None,
    auth: bool = False,
    count: int = 1,
    at: dt.datetime | None = None,
) -> None:
    """Count `count` failed polls (the last at `at`); `status="degraded"` (asked to wait) never turns down."""
    now = at or utcnow()
    failures = func.coalesce(ConnectorHealth.consecutive_failures, 0) + count
    new_status: Any = "degraded"
    if status != "degraded":
        new_status = case((failures >= DOWN_AFTER, "down"), else_="degraded")
    with database.transaction() as session:
        _ensure_row(session, name, kind)
        _update(
            session,
            name,
            consecutive_failures=failures,
            status=new_status,
            warnings=[AUTH_FAILING] if auth or looks_like_auth_failure(reason) else [],
            last_attempt_at=now,
            last_error=reason,
            last_error_at=now,
        )


def record_disabled(database: Database, *, name: str, kind: str) -> None:
    with database.transaction() as session:
        _ensure_row(session, name, kind)
        _update(session, name, status="disabled")


def looks_like_auth_failure(reason: str) -> bool:
    return bool(_AUTH_REASON.search(reason))


# --- the report ops reads ------------------------------------------------------


@dataclass(frozen=True)
class MessageCounts:
    total: int = 0
    last_hour: int = 0
    newest_at: dt.datetime | None = None
    quarantined: int = 0
    quarantined_recent: int = 0
    oversized: int = 0
    oversized_recent: int = 0


@dataclass(frozen=True)
class ConnectorReport:
    name: str
    kind: str
    enabled: bool
    status: str  # ok, degraded, down, disabled
    last_attempt_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None
    last_error_at: dt.datetime | None
    consecutive_failures: int
    messages_total: int
    messages_last_hour: int
    newest_message_at: dt.datetime | None
    lag_seconds: float | None  # age of the newest stored message
    quarantined: int
    oversized: int
    auth_failing: bool
    warnings: list[str] = field(default_factory=list)


def message_counts(
    session: Session, sources: Collection[str], *, now: dt.datetime
) -> dict[str, MessageCounts]:
    """Per source, in one pass over its messages: totals, last hour, newest, quarantined, oversized."""
    if not sources:
        return {}
    hour_ago, recent = now - dt.timedelta(hours=1), now - RECENT
    quarantined = Message.state == State.quarantined
    oversized = Message.raw_truncated.is_(True)

    def count_if(condition):  # type: ignore[no-untyped-def]
        return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)

    rows = session.execute(
        select(
            Message.source,
            func.count(),
            count_if(Message.ingested_at >= hour_ago),
            func.max(Message.ingested_at),
            count_if(quarantined),
            count_if(and_(quarantined, Message.ingested_at >= recent)),
            count_if(oversized),
            count_if(and_(oversized, Message.ingested_at >= recent)),
        )
        .where(Message.source.in_(list(sources)))
        .group_by(Message.source)
    ).all()
    return {
        source: MessageCounts(int(total), int(hour), newest, int(q), int(q_recent), int(big), int(big_recent))
        for source, total, hour, newest, q, q_recent, big, big_recent in rows
    }


def report(
    session: Session,
    config: OrganisationConfig,
    *,
    passive_kinds: Collection[str] = (),
    now: dt.datetime | None = None,
) -> list[ConnectorReport]:
    """Every configured connector (and any with health but no longer configured), in config order.

    `passive_kinds` (the web form, webhooks) are served by the API, not polled,
    so "not polled" does not apply to them.
    """
    now = now or utcnow()
    rows = {r.connector: r for r in session.scalars(select(ConnectorHealth))}
    entries = {e.name: e for e in config.connectors}
    names = list(entries) + sorted(set(rows) - set(entries))
    counts = message_counts(session, names, now=now)
    reports = []
    for name in names:
        entry, row = entries.get(name), rows.get(name)
        kind = entry.kind if entry else row.kind if row else "?"
        enabled = bool(entry and entry.enabled)
        found = counts.get(name, MessageCounts())
        recorded = row.status if row and row.status in STATUSES else "ok"
        status = "disabled" if not enabled else ("ok" if recorded == "disabled" else recorded)
        if status != "disabled" and kind not in passive_kinds and _stale(row, entry, now=now):
            # Nothing has finished a poll for many intervals (a dead thread, a stopped process,
            # health writes lost): whatever the row last said, the connector is not working.
            status = "down"
        auth = bool(row and enabled and status != "ok" and AUTH_FAILING in (row.warnings or []))
        report = ConnectorReport(
            name=name,
            kind=kind,
            enabled=enabled,
            status=status,
            last_attempt_at=row.last_attempt_at if row else None,
            last_success_at=row.last_success_at if row else None,
            last_error=row.last_error if row else None,
            last_error_at=row.last_error_at if row else None,
            consecutive_failures=(row.consecutive_failures or 0) if row else 0,
            messages_total=found.total,
            messages_last_hour=found.last_hour,
            newest_message_at=found.newest_at,
            lag_seconds=(now - found.newest_at).total_seconds() if found.newest_at else None,
            quarantined=found.quarantined,
            oversized=found.oversized,
            auth_failing=auth,
        )
        warnings = _warnings(report, found, entry=entry, polled=kind not in passive_kinds, now=now)
        reports.append(dataclasses.replace(report, warnings=warnings))
    return reports


def _warnings(
    report: ConnectorReport, found: MessageCounts, *, entry: object, polled: bool, now: dt.datetime
) -> list[str]:
    warnings = []
    if entry is None:
        warnings.append("no longer in the configuration (SIGNAAL_CONFIG); its history is kept")
    if report.auth_failing:
        warnings.append("authentication failing: the source refuses the credentials; see the last error")
    if report.enabled:
        quiet = dt.timedelta(minutes=getattr(entry, "quiet_warning_minutes", 60))
        if polled and report.last_attempt_at is None:
            warnings.append("never polled: is `signaal ingest` (or `signaal run`) running?")
        elif polled and report.last_attempt_at and now - report.last_attempt_at > stale_after(entry):
            warnings.append(
                f"no poll for {duration(now - report.last_attempt_at)}: "
                "is `signaal ingest` (or `signaal run`) running?"
            )
        if report.status == "ok" and (polled is False or report.last_success_at is not None):
            if found.newest_at is None:
                warnings.append("active but nothing fetched yet")
            elif now - found.newest_at > quiet:
                warnings.append(
                    f"active but nothing fetched for {duration(now - found.newest_at)} "
                    f"(warns after {duration(quiet)})"
                )
    if found.quarantined_recent:
        warnings.append(
            f"{found.quarantined_recent} message(s) quarantined in the last 24 h "
            f"({found.quarantined} in all): they could not be parsed; the raw mail is kept for review"
        )
    if found.oversized_recent:
        warnings.append(
            f"{found.oversized_recent} oversized message(s) stored truncated in the last 24 h "
            f"({found.oversized} in all)"
        )
    return warnings


def stale_after(entry: object) -> dt.timedelta:
    """How long without a poll before a connector counts as down: STALE_AFTER or N poll intervals."""
    return max(STALE_AFTER, STALE_POLLS * dt.timedelta(seconds=_poll_interval(entry)))


def _stale(row: ConnectorHealth | None, entry: object, *, now: dt.datetime) -> bool:
    last = (row.last_attempt_at or row.last_success_at) if row else None
    return last is not None and now - last > stale_after(entry)


def _poll_interval(entry: object) -> float:
    extra = getattr(entry, "model_extra", None) or {}
    value = extra.get("poll_interval")
    return float(value) if isinstance(value, int | float) else 0.0


def duration(delta: dt.timedelta) -> str:
    """`3 min`, `2 h 5 min`, `4 d 3 h`: how people say how long."""
    minutes = max(0, int(delta.total_seconds() // 60))
    if minutes < 1:
        return f"{max(0, int(delta.total_seconds()))} s"
    if minutes < 60:
        return f"{minutes} min"
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        return f"{hours} h {minutes} min" if minutes else f"{hours} h"
    days, hours = divmod(hours, 24)
    return f"{days} d {hours} h" if hours else f"{days} d"
