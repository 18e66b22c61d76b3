"""The waiting queue: signals nobody could take yet, assigned as soon as someone can.

Someone becomes available when an absence ends, a follow-up closes (capacity
frees up) or a handler is added; rather than hook every one of those, the route
worker runs a pass every `routing.waiting_check_seconds`. Each department's
queue is served oldest first, until nobody there can take more. Each pass first
hands back the untouched signals of handlers who are away through their due date
(`handback`), so the same pass gives them to a colleague who is present.
"""

from __future__ import annotations

import structlog
from sqlalchemy import ColumnElement, and_, select
from sqlalchemy.orm import Session

from services.router import choice, explain, handback
from services.router.assign import record_assignment
from services.router.route import WAITING_RULE, own_words
from services.router.verdicts import language_of
from shared import runner, states
from shared.db import Database
from shared.models import Department, Signal

log = structlog.get_logger(__name__)

BATCH = 200


def _is_waiting() -> ColumnElement[bool]:
    return and_(Signal.waiting_since.is_not(None), Signal.status != states.SignalStatus.dismissed)


def waiting_departments(session: Session) -> list[int]:
    """Departments with signals waiting for a handler."""
    query = select(Signal.department_id).where(_is_waiting(), Signal.department_id.is_not(None)).distinct()
    return [department_id for department_id in session.scalars(query) if department_id is not None]


def waiting_in(session: Session, department_id: int, *, limit: int = BATCH) -> list[int]:
    """A department's waiting signals, longest waiting first."""
    return list(
        session.scalars(
            select(Signal.id)
            .where(_is_waiting(), Signal.department_id == department_id)
            .order_by(Signal.waiting_since, Signal.id)
            .limit(limit)
        )
    )


def assign_one(session: Session, signal_id: int, *, base_url: str) -> bool | None:
    """Try to give one waiting signal a handler: True if assigned, None if its department has nobody."""
    signal = session.scalars(
        select(Signal)
        .where(Signal.id == signal_id, Signal.waiting_since.is_not(None))
        .with_for_update(of=Signal, skip_locked=True)
    ).one_or_none()
    if signal is None or signal.department_id is None:
        return False  # someone else assigned it meanwhile
    picked = choice.choose_handler(
        session,
        department_id=signal.department_id,
        language=language_of(session, signal.message),
        text=own_words(signal.message),
    )
    if picked.handler is None:
        return False if picked.conflicts else None
    department = session.get_one(Department, signal.department_id)
    waited = explain.part(
        "route.waited",
        department=department.name,
        since=signal.waiting_since.isoformat(),
        handler=picked.handler.name,
        load=picked.load,
        capacity=picked.handler.capacity,
    )
    record_assignment(
        session,
        signal=signal,
        department=department,
        handler=picked.handler,
        rule=WAITING_RULE,
        explanation=[waited, *picked.handler_notes()],
        base_url=base_url,
    )
    return True


def assign_waiting(database: Database, *, base_url: str) -> int:
    """One pass over every department's waiting queue; returns how many signals got a handler."""
    handback.hand_back_absent(database)
    assigned = 0
    with database.session() as session:
        departments = waiting_departments(session)
    for department_id in departments:
        with database.session() as session:
            queue = waiting_in(session, department_id)
        for signal_id in queue:
            with database.transaction() as session:
                outcome = assign_one(session, signal_id, base_url=base_url)
            if outcome is None:
                break  # nobody in this department can take more now
            assigned += int(outcome)
    if assigned:
        log.info("waiting signals assigned", count=assigned)
    return assigned


class WaitingPass(runner.Runner):
    """Waiting passes every `interval` seconds until stopped; errors are logged, never fatal."""

    name = "router:waiting"
    failed_event = "waiting pass failed; trying again at the next interval"

    def __init__(self, database: Database, interval: float, *, base_url: str) -> None:
        self.database = database
        self.interval = interval
        self.base_url = base_url

    def tick(self) -> None:
        assign_waiting(self.database, base_url=self.base_url)
