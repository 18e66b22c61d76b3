"""Handing signals back from a long absence, so a citizen never waits for a handler who is away.

An informal follow-up is due within a few working days. When its handler is
absent today and stays away through that due date, the signal goes back to its
department's queue the same way a deactivated handler's signals do (an
assignment without a handler, recorded, explained and audited), and the
waiting pass that runs next gives it to a colleague who is present.

Only untouched signals move: the informal follow-up is still `open` and has no
event at all (a recorded call, mail, visit or note means the handler started,
and they keep it). Formal follow-ups are never handed back. Absences that touch
or overlap are one absence, also across a weekend or holiday between them
(the handler is not back on any working day in between); a handler back on a
working day up to and including the due date keeps the signal.

Safe in several route workers at once: each signal is locked (`FOR UPDATE SKIP
LOCKED` on PostgreSQL) and checked again before it moves, so it moves once.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

import structlog
from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session, aliased

from services.router import choice
from services.router.assign import return_to_queue
from shared import states, workdays
from shared.db import Database
from shared.models import Absence, FollowUp, FollowUpEvent, Handler, Signal

log = structlog.get_logger(__name__)

HANDBACK_RULE = "absence-handback"
_DAY_FORMAT = "%d-%m-%Y"  # as staff read a date, in both languages (like explain's `since`)


@dataclass(frozen=True)
class Stranded:
    """A signal whose handler is away through its follow-up's due date."""

    signal_id: int
    handler_id: int
    absent_until: dt.date
    due: dt.date


def absent_until(periods: Iterable[tuple[dt.date, dt.date]], day: dt.date) -> dt.date | None:
    """The last day of the absence covering `day` (periods that touch or overlap merged), or None."""
    periods = sorted(periods)
    end = max((stop for start, stop in periods if start <= day <= stop), default=None)
    if end is None:
        return None
    for start, stop in periods:  # by start, so each period that continues the absence is seen in turn
        if start <= _back_on(end):
            end = max(end, stop)
    return end


def _back_on(last_absent_day: dt.date) -> dt.date:
    """The first working day after an absence: an absence starting by then continues this one."""
    day = last_absent_day + dt.timedelta(days=1)
    while not workdays.is_working_day(day):
        day += dt.timedelta(days=1)
    return day


def _absences_from(session: Session, day: dt.date) -> dict[int, dt.date]:
    """Active handlers absent on `day`, with the last day of their (merged) absence."""
    away_today = select(Absence.handler_id).where(Absence.start <= day, Absence.end >= day)
    rows = session.execute(
        select(Absence.handler_id, Absence.start, Absence.end)
        .join(Handler, Handler.id == Absence.handler_id)
        .where(Handler.active, Absence.end >= day, Absence.handler_id.in_(away_today))
    ).all()
    periods: dict[int, list[tuple[dt.date, dt.date]]] = defaultdict(list)
    for handler_id, start, end in rows:
        periods[handler_id].append((start, end))
    until = {handler_id: absent_until(spans, day) for handler_id, spans in periods.items()}
    return {handler_id: end for handler_id, end in until.items() if end is not None}


def stranded(session: Session, *, day: dt.date | None = None, signal_id: int | None = None) -> list[Stranded]:
    """Signals to hand back today (or only `signal_id`, to check one again under its lock)."""
    day = day or choice.today()
    away = _absences_from(session, day)
    if not away:
        return []
    # Anything else still open on the signal (a contacted or formal follow-up) keeps it with its handler.
    other = aliased(FollowUp)
    started = exists().where(
        other.signal_id == Signal.id,
        other.status.in_(states.OPEN_FOLLOW_UP_STATES),
        or_(
            other.kind != states.FollowUpKind.informal,
            other.status != states.FollowUpStatus.open,
            exists().where(FollowUpEvent.follow_up_id == other.id),
        ),
    )
    query = (
        select(Signal.id, Signal.handler_id, FollowUp.due_at)
        .join(FollowUp, FollowUp.signal_id == Signal.id)
        .where(
            Signal.handler_id.in_(away),
            Signal.status != states.SignalStatus.dismissed,
            FollowUp.kind == states.FollowUpKind.informal,
            FollowUp.status == states.FollowUpStatus.open,
            ~exists().where(FollowUpEvent.follow_up_id == FollowUp.id),
            ~started,
        )
        .order_by(Signal.id, FollowUp.due_at)
    )
    if signal_id is not None:
        query = query.where(Signal.id == signal_id)
    found: dict[int, Stranded] = {}
    for sid, handler_id, due_at in session.execute(query).all():
        due = due_at.astimezone(workdays.AMSTERDAM).date()
        # Away on the due date itself counts: nobody would make contact in time.
        if sid not in found and handler_id is not None and away[handler_id] >= due:
            found[sid] = Stranded(sid, handler_id, away[handler_id], due)  # the earliest due counts
    return list(found.values())


def hand_back_one(session: Session, item: Stranded, *, day: dt.date | None = None) -> bool:
    """Put one stranded signal back in its department's queue; False if it no longer needs it."""
    signal = session.scalars(
        select(Signal)
        .where(Signal.id == item.signal_id, Signal.handler_id == item.handler_id)
        .with_for_update(of=Signal, skip_locked=True)
        .execution_options(populate_existing=True)
    ).one_or_none()
    still = stranded(session, day=day, signal_id=item.signal_id) if signal is not None else []
    if signal is None or not still:
        return False  # another worker moved it, or the handler started on it meanwhile
    item = still[0]  # as it stands now (an absence may have changed since the pass looked)
    return_to_queue(
        session,
        signal,
        rule=HANDBACK_RULE,
        reason="returned.absent",
        handler=session.get_one(Handler, item.handler_id).name,
        until=item.absent_until.strftime(_DAY_FORMAT),
        due=item.due.strftime(_DAY_FORMAT),
    )
    return True


def hand_back_absent(database: Database, *, day: dt.date | None = None) -> int:
    """Hand back every stranded signal, one transaction each; returns how many went back."""
    with database.session() as session:
        found = stranded(session, day=day)
    returned = 0
    for item in found:
        with database.transaction() as session:
            returned += int(hand_back_one(session, item, day=day))
    if returned:
        log.info("signals of absent handlers handed back", count=returned)
    return returned
