"""The audit log: one way to record who changed what, in the caller's transaction."""

from __future__ import annotations

from typing import Any

from sqlalchemy import inspect
from sqlalchemy.orm import Session

from shared.models import AuditEntry


def record(
    session: Session,
    *,
    actor: str,
    action: str,
    obj: Any | None = None,
    object_type: str | None = None,
    object_id: int | None = None,
    detail: dict[str, Any] | None = None,
) -> AuditEntry:
    """Add an audit entry about `obj` (an ORM row) or about `object_type`/`object_id`; commits nothing.

    Entries that concern several rows or none in particular (a bulk retry, a model switch) give
    only `object_type`.
    """
    if obj is not None:
        if object_type is not None or object_id is not None:
            raise TypeError("give either obj or object_type/object_id, not both")
        object_type, object_id = obj.__tablename__, _id_of(session, obj)
    if object_type is None:
        raise TypeError("an audit entry needs obj or object_type")
    entry = AuditEntry(
        actor=actor,
        action=action,
        object_type=object_type,
        object_id=object_id,
        detail=detail if detail is not None else {},
    )
    session.add(entry)
    return entry


def _id_of(session: Session, obj: Any) -> int | None:
    # A row added in this transaction gets its id only on flush; an entry pointing nowhere is useless.
    if obj.id is None and inspect(obj).pending:
        session.flush()
    return obj.id
