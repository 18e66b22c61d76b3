"""Follow-ups: the personal contact every signal gets, and the formal procedure's deadline.

Informal: open → contacted → resolved (informally) | formal | not_a_complaint.
A follow-up may also leave `open` straight for `formal` or `not_a_complaint`
(the citizen asks for the formal procedure at once; it was no complaint after
all); it cannot be resolved before anyone contacted the citizen.
Formal (Awb 9:11): due six weeks after the move, extendable once by four weeks;
open → contacted (heard, Awb 9:10) → resolved, or open → resolved.
Every step is a FollowUpEvent (phone, email, visit or note, with its note text)
and an audit entry.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.router.changes import audit
from services.router.exceptions import ExtensionRefused, InvalidTransition, NotFound, NotYours
from shared import states, workdays
from shared.models import FollowUp, FollowUpEvent, Handler, Signal, User, utcnow

Kind, Status, Event = states.FollowUpKind, states.FollowUpStatus, states.EventKind
TRANSITIONS: dict[str, dict[str, tuple[str, ...]]] = {
    Kind.informal: {
        Status.open: (Status.contacted, Status.formal, Status.not_a_complaint),
        Status.contacted: states.CLOSED_FOLLOW_UP_STATES,
    },
    Kind.formal: {Status.open: (Status.contacted, Status.resolved), Status.contacted: (Status.resolved,)},
}
STATE_WORDS = {
    Status.open: "open",
    Status.contacted: "contacted",
    Status.resolved: "resolved",
    Status.formal: "moved to the formal procedure",
    Status.not_a_complaint: "not a complaint",
}
FORMAL_TERM = dt.timedelta(weeks=6)  # Awb 9:11 lid 1
EXTENSION = dt.timedelta(weeks=4)  # Awb 9:11 lid 2, once


def deadline(start: dt.datetime, term: dt.timedelta) -> dt.datetime:
    """End of the office day `term` after `start`; a weekend or holiday moves it to the next working day.

    The move follows the Algemene termijnenwet: a statutory term that ends on a
    Saturday, Sunday or public holiday ends on the next working day.
    """
    day = (start.astimezone(workdays.AMSTERDAM) + term).date()
    while not workdays.is_working_day(day):
        day += dt.timedelta(days=1)
    return dt.datetime.combine(day, workdays.END_OF_DAY, tzinfo=workdays.AMSTERDAM).astimezone(dt.UTC)


def get(*, db_session: Session, follow_up_id: int) -> FollowUp:
    """The follow-up, or NotFound."""
    follow_up = db_session.get(FollowUp, follow_up_id)
    if follow_up is None:
        raise NotFound(f"There is no follow-up {follow_up_id}.")
    return follow_up


def get_all_for_signal(*, db_session: Session, signal_id: int) -> list[FollowUp]:
    """A signal's follow-ups, oldest first."""
    if db_session.get(Signal, signal_id) is None:
        raise NotFound(f"There is no signal {signal_id}.")
    return list(
        db_session.scalars(select(FollowUp).where(FollowUp.signal_id == signal_id).order_by(FollowUp.id))
    )


def events(*, db_session: Session, follow_up_id: int) -> list[FollowUpEvent]:
    """What happened on a follow-up, oldest first."""
    return list(
        db_session.scalars(
            select(FollowUpEvent).where(FollowUpEvent.follow_up_id == follow_up_id).order_by(FollowUpEvent.id)
        )
    )


def check_may_act(*, db_session: Session, signal: Signal, user: User) -> None:
    """NotYours unless `user` is front office or admin, or the handler the signal is assigned to."""
    if user.role in states.ANY_SIGNAL_ROLES:
        return
    handler = db_session.scalars(select(Handler).where(Handler.user_id == user.id)).first()
    if handler is None or signal.handler_id != handler.id:
        raise NotYours(
            "This signal is not assigned to you; ask the front office to reassign it if you should handle it."
        )


def _event(
    db_session: Session, follow_up: FollowUp, *, kind: str, note: str, actor: str, to: str | None = None
) -> FollowUpEvent:
    if kind not in (*states.RECORDED_EVENT_KINDS, Event.extension):
        raise InvalidTransition(
            f"Unknown kind {kind!r}; use one of: {', '.join(states.RECORDED_EVENT_KINDS)}."
        )
    event = FollowUpEvent(
        follow_up_id=follow_up.id,
        kind=kind,
        note=note,
        actor=actor,
        from_status=follow_up.status if to else None,
        to_status=to,
    )
    db_session.add(event)
    db_session.flush()
    return event


def add_event(*, db_session: Session, follow_up: FollowUp, kind: str, note: str, actor: str) -> FollowUpEvent:
    """Record a contact or a note without changing the follow-up's state."""
    event = _event(db_session, follow_up, kind=kind, note=note, actor=actor)
    audit(db_session, actor=actor, action="followup.event", obj=follow_up, detail={"kind": kind})
    return event


def transition(
    *, db_session: Session, follow_up: FollowUp, to: str, kind: str, note: str, actor: str
) -> FollowUpEvent:
    """Move a follow-up to state `to`, recorded as an event of `kind`; refuses steps the procedure has not."""
    allowed = TRANSITIONS.get(follow_up.kind, {}).get(follow_up.status, ())
    if to not in allowed:
        if not allowed:
            raise InvalidTransition(
                f"This follow-up is already {STATE_WORDS.get(follow_up.status, follow_up.status)}; "
                "it cannot change any more."
            )
        options = ", ".join(f"'{s}'" for s in allowed)
        hint = " Record the contact with the citizen first." if to == Status.resolved else ""
        raise InvalidTransition(
            f"A {follow_up.kind} follow-up that is {STATE_WORDS.get(follow_up.status, follow_up.status)} "
            f"cannot become {to!r}; it can become {options}.{hint}"
        )
    event = _event(db_session, follow_up, kind=kind, note=note, actor=actor, to=to)
    previous, follow_up.status = follow_up.status, to
    now = utcnow()
    if to in states.CLOSED_FOLLOW_UP_STATES:
        follow_up.closed_at = now
    if to == Status.formal:
        formal = FollowUp(signal_id=follow_up.signal_id, kind=Kind.formal, due_at=deadline(now, FORMAL_TERM))
        db_session.add(formal)
        db_session.flush()
        audit(db_session, actor=actor, action="followup.create", obj=formal, detail={"kind": Kind.formal})
    _stop_waiting_when_done(db_session, follow_up.signal_id)
    detail = {"from": previous, "to": to, "kind": kind, "event_id": event.id}
    audit(db_session, actor=actor, action="followup.transition", obj=follow_up, detail=detail)
    return event


def extend(*, db_session: Session, follow_up: FollowUp, note: str, actor: str) -> FollowUpEvent:
    """Extend a formal deadline by four weeks (Awb 9:11 lid 2): once, and only while it is open."""
    if follow_up.kind != Kind.formal:
        raise ExtensionRefused("Only the formal procedure's deadline can be extended.")
    if follow_up.status in states.CLOSED_FOLLOW_UP_STATES:
        raise ExtensionRefused("This formal procedure is closed; its deadline cannot change any more.")
    if follow_up.extended:
        raise ExtensionRefused(
            "The deadline was extended once already; the Awb (art. 9:11) allows one extension of four weeks."
        )
    if not note.strip():
        raise ExtensionRefused("Say why the deadline is extended: the citizen must be told the reason.")
    previous = follow_up.due_at
    follow_up.due_at = deadline(previous, EXTENSION)
    follow_up.extended = True
    event = _event(db_session, follow_up, kind=Event.extension, note=note, actor=actor)
    detail = {"from": previous.isoformat(), "to": follow_up.due_at.isoformat()}
    audit(db_session, actor=actor, action="followup.extend", obj=follow_up, detail=detail)
    return event


def _stop_waiting_when_done(db_session: Session, signal_id: int) -> None:
    """A signal with nothing left open no longer waits for a handler."""
    still_open = db_session.scalar(
        select(FollowUp.id)
        .where(FollowUp.signal_id == signal_id, FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES))
        .limit(1)
    )
    if still_open is None:
        signal = db_session.get_one(Signal, signal_id)
        signal.waiting_since = None
