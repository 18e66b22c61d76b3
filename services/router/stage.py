"""The route stage: `classified → routed`.

INTERIM routing rule, until rules and load-aware handler choice land: every
signal goes to the default department's queue (no handler yet), with an
informal follow-up due in that department's number of working days. The
assignment says so in words, so nobody mistakes it for a routing decision.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.router.departments import default_department
from shared import workdays
from shared.models import Assignment, Classification, FollowUp, Message, Signal, utcnow
from shared.pipeline import StageBase
from shared.states import Stage, State

INTERIM_RULE = "interim-default-team"


class RouteStage(StageBase):
    stage = Stage.route
    input_state = State.classified

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if session.scalar(select(Signal.id).where(Signal.message_id == message.id)) is not None:
            return State.routed  # already routed (idempotent): never a second assignment
        classification = session.scalars(
            select(Classification)
            .where(Classification.message_id == message.id)
            .order_by(Classification.id.desc())
            .limit(1)
        ).one()
        department = default_department(session)
        signal = Signal(
            message_id=message.id,
            band=classification.band,
            score=classification.score,
            department_id=department.id,
        )
        session.add(signal)
        session.flush()
        session.add(
            Assignment(
                signal_id=signal.id,
                department_id=department.id,
                handler_id=None,
                rule=INTERIM_RULE,
                reason=(
                    f"Interim rule: every signal goes to the queue of the default team "
                    f"'{department.name}' until routing rules are configured."
                ),
            )
        )
        session.add(
            FollowUp(
                signal_id=signal.id,
                kind="informal",
                due_at=workdays.add_working_days(utcnow(), department.followup_days),
            )
        )
        return State.routed
