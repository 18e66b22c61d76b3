"""Which handler in a department gets a signal: the least loaded of those who can take it.

A handler can take a signal when they are active, present today (no absence
covers today's date in Amsterdam), speak the message's language, have room
(open follow-ups below capacity) and are not named in the message (Awb 9:7).
A message whose language is unknown may go to anyone; one in a language nobody
available speaks goes to someone available anyway (recorded in the explanation).
Among those: the lowest load relative to capacity; on a tie, whoever was given
a signal longest ago (round robin).

On PostgreSQL the department's handler rows are locked (`FOR UPDATE`, in id
order so two workers never deadlock) before their loads are counted, so two
route workers cannot both give the last free place to different signals. On
SQLite the single writer already serialises this.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from services.router import explain, names
from shared import states, workdays
from shared.models import Absence, FollowUp, Handler, Signal, utcnow
from shared.models.routing import handler_departments

_EPOCH = dt.datetime.min.replace(tzinfo=dt.UTC)


@dataclass
class Choice:
    handler: Handler | None
    load: int = 0
    # Handlers passed over because the message names them (Awb 9:7), for the explanation.
    conflicts: list[str] = field(default_factory=list)
    # How many were unavailable for each other reason ("absent", "at_capacity", "language").
    unavailable: Counter[str] = field(default_factory=Counter)
    members: int = 0
    language: str | None = None
    # Set when nobody available speaks the message's language, so someone who doesn't got it.
    language_fallback: str | None = None

    def passed_over(self) -> list[explain.Part]:
        """Who was passed over and why, as explanation parts (empty when nobody was)."""
        if self.members == 0:
            return [explain.part("passed.no_handlers")]
        parts = [explain.part("passed.named", handler=name) for name in self.conflicts]
        for reason in ("absent", "at_capacity", "language"):
            if self.unavailable[reason]:
                extra = {"language": self.language} if reason == "language" else {}
                parts.append(explain.part(f"passed.{reason}", count=self.unavailable[reason], **extra))
        return parts

    def handler_notes(self) -> list[explain.Part]:
        """What follows the chosen handler in the explanation: who was skipped, the language fallback."""
        notes = [explain.part("route.conflict", handler=name) for name in self.conflicts]
        if self.language_fallback:
            notes.append(explain.part("route.language_fallback", language=self.language_fallback))
        return notes


def today() -> dt.date:
    return utcnow().astimezone(workdays.AMSTERDAM).date()


def open_loads(session: Session, handler_ids: list[int]) -> dict[int, int]:
    """Open follow-up count per handler: signals they hold that still need something."""
    if not handler_ids:
        return {}
    rows = session.execute(
        select(Signal.handler_id, func.count(func.distinct(Signal.id)))
        .join(FollowUp, FollowUp.signal_id == Signal.id)
        .where(Signal.handler_id.in_(handler_ids), FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES))
        .group_by(Signal.handler_id)
    ).all()
    return {handler_id: count for handler_id, count in rows}


def absent_today(session: Session, handler_ids: list[int], day: dt.date) -> set[int]:
    if not handler_ids:
        return set()
    return set(
        session.scalars(
            select(Absence.handler_id).where(
                Absence.handler_id.in_(handler_ids), Absence.start <= day, Absence.end >= day
            )
        )
    )


def choose_handler(
    session: Session, *, department_id: int, language: str | None, text: str, day: dt.date | None = None
) -> Choice:
    """The handler who should get a signal in `department_id`, or none (it waits) and why."""
    members = list(
        session.scalars(
            select(Handler)
            .join(handler_departments, handler_departments.c.handler_id == Handler.id)
            .where(handler_departments.c.department_id == department_id, Handler.active)
            .order_by(Handler.id)
            .with_for_update(of=Handler)
        )
    )
    ids = [h.id for h in members]
    absent = absent_today(session, ids, day or today())
    loads = open_loads(session, ids)
    choice = Choice(handler=None, members=len(members), language=language)
    candidates: list[Handler] = []
    not_speaking: list[Handler] = []
    for handler in members:
        if handler.id in absent:
            choice.unavailable["absent"] += 1
        elif loads.get(handler.id, 0) >= handler.capacity:
            choice.unavailable["at_capacity"] += 1
        elif names.is_named(handler.name, text):
            choice.conflicts.append(handler.name)
        elif language and language.lower() not in [lang.lower() for lang in handler.languages]:
            choice.unavailable["language"] += 1
            not_speaking.append(handler)
        else:
            candidates.append(handler)
    if not candidates and not_speaking:
        # Language is a strong preference, not a reason to leave a citizen waiting: when nobody
        # available speaks it (an English web form, a message in Turkish), anyone available may
        # take it, and the explanation says so.
        candidates = not_speaking
        choice.language_fallback = language
    if candidates:
        best = min(
            candidates,
            key=lambda h: (loads.get(h.id, 0) / h.capacity, h.last_assigned_at or _EPOCH, h.id),
        )
        choice.handler = best
        choice.load = loads.get(best.id, 0)
    return choice
