"""Connector health as ops sees it: status, last success, last error, counts."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from shared.db import Database
from shared.models import ConnectorHealth, utcnow

# Failures in a row before a connector counts as down rather than degraded.
DOWN_AFTER = 3


def _row(session: Session, name: str, kind: str) -> ConnectorHealth:
    row = session.scalars(select(ConnectorHealth).where(ConnectorHealth.connector == name)).one_or_none()
    if row is None:
        row = ConnectorHealth(
            connector=name, kind=kind, status="ok", consecutive_failures=0, messages_total=0, warnings=[]
        )
        session.add(row)
    return row


def record_success(database: Database, *, name: str, kind: str, stored: int) -> None:
    now = utcnow()
    with database.transaction() as session:
        row = _row(session, name, kind)
        row.status = "ok"
        row.last_attempt_at = now
        row.last_success_at = now
        row.consecutive_failures = 0
        row.messages_total = (row.messages_total or 0) + stored
        if stored:
            row.last_message_at = now


def record_failure(database: Database, *, name: str, kind: str, reason: str) -> None:
    now = utcnow()
    with database.transaction() as session:
        row = _row(session, name, kind)
        row.consecutive_failures = (row.consecutive_failures or 0) + 1
        row.status = "down" if row.consecutive_failures >= DOWN_AFTER else "degraded"
        row.last_attempt_at = now
        row.last_error = reason
        row.last_error_at = now


def record_disabled(database: Database, *, name: str, kind: str) -> None:
    with database.transaction() as session:
        _row(session, name, kind).status = "disabled"
