"""The daily digest: each handler's follow-ups due today or overdue, once per working day.

"Once" holds across restarts and several processes: before queueing a handler's
digest the sender takes a lock on the recipient (PostgreSQL advisory lock; SQLite
has one writer) and looks for a digest already queued to that address since the
start of the day in Amsterdam, in the same transaction as the new row.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.router import mailtexts, notify
from shared import outbox, states, workdays
from shared.db import Database
from shared.models import Absence, Department, FollowUp, Handler, Message, Signal, utcnow

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Item:
    reference: str
    department: str
    kind: str
    due_at: dt.datetime
    signal_id: int


@dataclass
class Result:
    """What one digest run did."""

    queued: int = 0
    already_sent: int = 0
    nothing_due: int = 0


def start_of_day(now: dt.datetime) -> dt.datetime:
    """Midnight of `now`'s day in Amsterdam, in UTC."""
    local = now.astimezone(workdays.AMSTERDAM)
    return dt.datetime.combine(local.date(), dt.time(0), tzinfo=workdays.AMSTERDAM).astimezone(dt.UTC)


def end_of_day(now: dt.datetime) -> dt.datetime:
    return start_of_day(start_of_day(now) + dt.timedelta(hours=36))


def is_due(now: dt.datetime, send_at: dt.time) -> bool:
    """Whether today's digest may go out: a working day, at or after the configured time (Amsterdam)."""
    local = now.astimezone(workdays.AMSTERDAM)
    return workdays.is_working_day(local.date()) and local.time() >= send_at


def items_for(session: Session, *, handler_id: int, until: dt.datetime) -> list[Item]:
    """The handler's unfinished follow-ups due before `until`, earliest first."""
    rows = session.execute(
        select(Message.reference, Department.name, FollowUp.kind, FollowUp.due_at, Signal.id)
        .join(Signal, Signal.id == FollowUp.signal_id)
        .join(Message, Message.id == Signal.message_id)
        .outerjoin(Department, Department.id == Signal.department_id)
        .where(
            Signal.handler_id == handler_id,
            Signal.status != states.SignalStatus.dismissed,
            FollowUp.closed_at.is_(None),
            FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES),
            FollowUp.due_at < until,
        )
        .order_by(FollowUp.due_at, FollowUp.id)
    ).all()
    return [Item(r[0], r[1] or "-", r[2], r[3], r[4]) for r in rows]


def send_digests(database: Database, *, base_url: str, now: dt.datetime | None = None) -> Result:
    """Queue today's digest for every active handler with something due (each at most once a day)."""
    now = now or utcnow()
    result = Result()
    day = now.astimezone(workdays.AMSTERDAM).date()
    with database.session() as session:
        # Absent handlers get no digest; their overdue follow-ups reach the lead by escalation.
        absent = select(Absence.handler_id).where(Absence.start <= day, Absence.end >= day)
        handler_ids = session.scalars(
            select(Handler.id).where(Handler.active, Handler.id.not_in(absent)).order_by(Handler.id)
        ).all()
    for handler_id in handler_ids:
        with database.transaction() as session:
            outcome = _one(session, handler_id, now, base_url)
        setattr(result, outcome, getattr(result, outcome) + 1)
    log.info("daily digest run", **vars(result))
    return result


def _one(session: Session, handler_id: int, now: dt.datetime, base_url: str) -> str:
    handler = session.get_one(Handler, handler_id)
    items = items_for(session, handler_id=handler_id, until=end_of_day(now))
    if not items:
        return "nothing_due"
    address = outbox.valid_address(handler.email or "")
    if address is None:
        notify.unsent(
            session, kind=outbox.DIGEST, signal_id=None, reason="invalid address", handler_id=handler_id
        )
        return "nothing_due"
    outbox.lock_recipient(session, address)
    if outbox.enqueued_since(session, kind=outbox.DIGEST, recipient=address, since=start_of_day(now)):
        return "already_sent"
    overdue = [i for i in items if i.due_at < now]
    later_today = [i for i in items if i.due_at >= now]
    sections = ""
    for title, group in ((mailtexts.DIGEST_OVERDUE, overdue), (mailtexts.DIGEST_TODAY, later_today)):
        if group:
            sections += "\n" + title.format(count=len(group)) + "\n"
            sections += "\n".join(_line(item, base_url) for item in group) + "\n"
    values = {
        "handler": handler.name,
        "count": len(items),
        "date": mailtexts.day(now),
        "sections": sections,
        "queue_link": f"{base_url.rstrip('/')}/queue",
    }
    notify.queue(session, mailtexts.DIGEST, kind=outbox.DIGEST, recipient=address, values=values)
    return "queued"


def _line(item: Item, base_url: str) -> str:
    return mailtexts.DIGEST_LINE.format(
        reference=item.reference,
        department=item.department,
        kind="informeel" if item.kind == states.FollowUpKind.informal else "formeel",
        due=mailtexts.when(item.due_at),
        link=notify.signal_link(base_url, item.signal_id),
    )
