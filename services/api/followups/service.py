"""Reading follow-ups for the pages: a signal's timeline, and what is due per handler."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.api.followups.schemas import DueOut
from services.api.signals import service as signal_service
from services.router import followups
from shared import states
from shared.models import FollowUp, FollowUpEvent, Handler, Message, Signal, User, utcnow

# Steps the forms offer; "contacted" comes from recording a contact, not from a button.
STEPS = states.CLOSED_FOLLOW_UP_STATES


@dataclass(frozen=True)
class TimelineEntry:
    """One follow-up with its events and what the current user may do with it."""

    follow_up: FollowUp
    events: list[FollowUpEvent]
    overdue: bool
    steps: tuple[str, ...]  # of STEPS, those the procedure allows now
    can_extend: bool


@dataclass(frozen=True)
class Timeline:
    entries: list[TimelineEntry]
    may_act: bool


@dataclass(frozen=True)
class DuePage:
    rows: list[DueOut]
    total: int
    overdue: int
    page: int
    per_page: int


def handler_of(*, db_session: Session, user: User) -> Handler | None:
    """The handler record linked to a user account, if any."""
    return db_session.scalars(select(Handler).where(Handler.user_id == user.id)).first()


def may_act(*, db_session: Session, signal: Signal, user: User) -> bool:
    """Whether the user may work on the signal's follow-ups (the signals' one rule)."""
    return signal_service.may_act(db_session=db_session, signal=signal, user=user)


def timeline(*, db_session: Session, signal: Signal, user: User, now: dt.datetime | None = None) -> Timeline:
    """The signal's follow-ups, oldest first, each with its events (two queries in all)."""
    now = now or utcnow()
    items = followups.get_all_for_signal(db_session=db_session, signal_id=signal.id)
    by_follow_up: dict[int, list[FollowUpEvent]] = {item.id: [] for item in items}
    if items:
        for event in db_session.scalars(
            select(FollowUpEvent)
            .where(FollowUpEvent.follow_up_id.in_(list(by_follow_up)))
            .order_by(FollowUpEvent.id)
        ):
            by_follow_up[event.follow_up_id].append(event)
    acting = may_act(db_session=db_session, signal=signal, user=user)
    entries = []
    for item in items:
        allowed = followups.TRANSITIONS.get(item.kind, {}).get(item.status, ())
        is_open = item.status in states.OPEN_FOLLOW_UP_STATES
        entries.append(
            TimelineEntry(
                follow_up=item,
                # Contacts and notes belong to those who may act, as the API's events route decides.
                events=by_follow_up[item.id] if acting else [],
                overdue=is_open and item.due_at < now,
                steps=tuple(step for step in STEPS if step in allowed),
                can_extend=item.kind == states.FollowUpKind.formal and is_open and not item.extended,
            )
        )
    return Timeline(entries=entries, may_act=acting)


def get_due(
    *,
    db_session: Session,
    handler_id: int | None,
    page: int = 1,
    per_page: int = 50,
    now: dt.datetime | None = None,
) -> DuePage:
    """Open follow-ups (of one handler, or all), soonest due first, one page of them."""
    now = now or utcnow()
    where = [FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES)]
    if handler_id is not None:
        where.append(Signal.handler_id == handler_id)
    base = select(FollowUp).join(Signal, Signal.id == FollowUp.signal_id).where(*where)
    counts = db_session.execute(
        select(func.count(), func.coalesce(func.sum(case((FollowUp.due_at < now, 1), else_=0)), 0))
        .select_from(FollowUp)
        .join(Signal, Signal.id == FollowUp.signal_id)
        .where(*where)
    ).one()
    rows = db_session.execute(
        base.add_columns(Signal.id, Message.reference, Message.subject)
        .join(Message, Message.id == Signal.message_id)
        .order_by(FollowUp.due_at, FollowUp.id)
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    signals = {s.id: s for s in db_session.scalars(select(Signal).where(Signal.id.in_([r[1] for r in rows])))}
    result = []
    for follow_up, signal_id, reference, subject in rows:
        signal = signals[signal_id]
        result.append(
            DueOut(
                follow_up_id=follow_up.id,
                signal_id=signal_id,
                reference=reference,
                subject=subject,
                kind=follow_up.kind,
                status=follow_up.status,
                due_at=follow_up.due_at,
                extended=follow_up.extended,
                overdue=follow_up.due_at < now,
                department=signal.department.name if signal.department else None,
                handler=signal.handler.name if signal.handler else None,
            )
        )
    return DuePage(rows=result, total=int(counts[0]), overdue=int(counts[1]), page=page, per_page=per_page)
