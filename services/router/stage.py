"""The route stage: `classified → routed`.

Each flagged message becomes a signal, sent to a department by the routing
rules (then the classifier's department hint, then the default team) and to the
least loaded available handler there, or to the team's waiting queue. It gets an
informal follow-up: contact the citizen personally within the department's
number of working days. Re-running the stage on a routed message changes nothing.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from services.router import patterns, route, verdicts
from shared import workdays
from shared.config import OrganisationConfig, Routing
from shared.models import Department, FollowUp, Message, Signal, utcnow
from shared.pipeline import StageBase
from shared.settings import Settings
from shared.states import FollowUpKind, Stage, State


class RouteStage(StageBase):
    stage = Stage.route
    input_state = State.classified

    def __init__(self, settings: Settings, routing: Routing | None = None) -> None:
        self.routing = routing or Routing()
        self.policy = patterns.Policy.from_settings(settings)
        self.base_url = settings.base_url

    @classmethod
    def from_config(cls, config: OrganisationConfig, settings: Settings) -> RouteStage:
        return cls(settings, config.routing)

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if session.scalar(select(Signal.id).where(Signal.message_id == message.id)) is not None:
            return State.routed  # already routed (idempotent): never a second assignment
        classification = verdicts.latest_classification(session, message.id)
        if classification is None:
            raise LookupError(f"message {message.id} is in state classified but has no classification")
        signal = Signal(message_id=message.id, band=classification.band, score=classification.score)
        session.add(signal)
        session.flush()
        # Persistent contact; before the mail.
        patterns.on_routed(session, signal=signal, message=message, policy=self.policy)
        assignment = route.route(
            session,
            signal=signal,
            message=message,
            facts=route.facts_for(message, classification),
            hint_threshold=self.routing.hint_threshold,
            base_url=self.base_url,
        )
        department = session.get_one(Department, assignment.department_id)
        session.add(
            FollowUp(
                signal_id=signal.id,
                kind=FollowUpKind.informal,
                due_at=workdays.add_working_days(utcnow(), department.followup_days),
            )
        )
        return State.routed
