"""Reading the signal queue."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from services.api.signals.schemas import SignalFilter, SignalPage, SignalRead
from shared.models import FollowUp, Message, Signal


def _filtered(query: Select, filters: SignalFilter) -> Select:  # type: ignore[type-arg]
    if filters.status:
        query = query.where(Signal.status == filters.status)
    if filters.band:
        query = query.where(Signal.band == filters.band)
    if filters.department_id is not None:
        query = query.where(Signal.department_id == filters.department_id)
    if filters.channel:
        query = query.where(Message.channel == filters.channel)
    if filters.q:
        pattern = f"%{filters.q.strip()}%"
        query = query.where(or_(Message.subject.ilike(pattern), Message.text.ilike(pattern)))
    return query


def get_page(*, db_session: Session, filters: SignalFilter) -> SignalPage:
    """One page of signals matching `filters`, newest first, with the total count."""
    base = select(Signal).join(Signal.message)
    total = (
        db_session.scalar(_filtered(select(func.count()).select_from(Signal).join(Signal.message), filters))
        or 0
    )
    signals = db_session.scalars(
        _filtered(base, filters)
        .order_by(Signal.created_at.desc(), Signal.id.desc())
        .offset((filters.page - 1) * filters.per_page)
        .limit(filters.per_page)
    ).all()
    due = _open_due_dates(db_session, [s.id for s in signals])
    items = [
        SignalRead(
            id=s.id,
            reference=s.message.reference,
            status=s.status,
            band=s.band,
            score=s.score,
            channel=s.message.channel,
            subject=s.message.subject,
            snippet=s.message.text[:200],
            department=s.department.name if s.department else None,
            handler=s.handler.name if s.handler else None,
            created_at=s.created_at,
            due_at=due.get(s.id),
        )
        for s in signals
    ]
    return SignalPage(items=items, total=total, page=filters.page, per_page=filters.per_page)


def _open_due_dates(db_session: Session, signal_ids: list[int]) -> dict[int, object]:
    if not signal_ids:
        return {}
    rows = db_session.execute(
        select(FollowUp.signal_id, func.min(FollowUp.due_at))
        .where(FollowUp.signal_id.in_(signal_ids), FollowUp.status.in_(["open", "contacted"]))
        .group_by(FollowUp.signal_id)
    ).all()
    return dict(rows)
