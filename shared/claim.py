"""The SQL that moves work between stages, kept in one place.

A worker claims rows in its stage's input state by writing a lease (owner,
until) on them; the state itself changes only when the item is finished, so
an expired lease simply makes the row claimable again (invariant 3). On
PostgreSQL concurrent claimers skip each other's locked rows; on SQLite the
claim runs inside `BEGIN IMMEDIATE`, so the single writer makes it atomic.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from shared.models import Message
from shared.states import State


def claim(
    session: Session, *, state: State, owner: str, limit: int, now: dt.datetime, lease: dt.timedelta
) -> list[int]:
    """Lease up to `limit` unleased (or lease-expired) rows in `state`, oldest first."""
    claimable = (
        select(Message.id)
        .where(Message.state == state)
        .where(or_(Message.lease_until.is_(None), Message.lease_until < now))
        .order_by(Message.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL only; SQLite ignores it
    )
    claimed = session.execute(
        update(Message)
        .where(Message.id.in_(claimable.scalar_subquery()))
        .values(lease_owner=owner, lease_until=now + lease)
        .returning(Message.id)
        .execution_options(synchronize_session=False)
    )
    return sorted(claimed.scalars())


def lock_if_leased(session: Session, *, message_id: int, state: State, owner: str) -> Message | None:
    """The row, locked, if this owner still holds its lease in `state`; else None (someone took over)."""
    return session.scalars(
        select(Message)
        .where(Message.id == message_id, Message.state == state, Message.lease_owner == owner)
        .with_for_update()
    ).one_or_none()


def renew(session: Session, *, ids: list[int], owner: str, now: dt.datetime, lease: dt.timedelta) -> int:
    """Extend this owner's leases on rows it still holds; returns how many it still holds."""
    if not ids:
        return 0
    result = session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.lease_owner == owner)
        .values(lease_until=now + lease)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def release(session: Session, *, ids: list[int], owner: str) -> int:
    """Give back leases on rows not started, so another worker can take them at once."""
    if not ids:
        return 0
    result = session.execute(
        update(Message)
        .where(Message.id.in_(ids), Message.lease_owner == owner)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount


def mark_failed(
    session: Session, *, message_id: int, state: State, owner: str, stage: str, error: str, now: dt.datetime
) -> bool:
    """Move a leased row to `failed`, recording the stage and the error (fenced by the lease)."""
    result = session.execute(
        update(Message)
        .where(Message.id == message_id, Message.state == state, Message.lease_owner == owner)
        .values(
            state=State.failed,
            failed_stage=stage,
            error=error,
            attempts=Message.attempts + 1,
            lease_owner=None,
            lease_until=None,
            state_changed_at=now,
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1
