"""Changing routing objects: set what differs, and record who changed what in the audit log."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from shared import audit as audit_log


def audit(session: Session, *, actor: str, action: str, obj: Any, detail: dict[str, Any]) -> None:
    """Record one change to a routing object in the audit log."""
    audit_log.record(session, actor=actor, action=action, obj=obj, detail=detail)


def apply_changes(obj: Any, values: dict[str, Any]) -> dict[str, Any]:
    """Set `values` on `obj`; returns the ones that changed."""
    changed = {k: v for k, v in values.items() if getattr(obj, k) != v}
    for key, value in changed.items():
        setattr(obj, key, value)
    return changed
