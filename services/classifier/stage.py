"""The classify stage: `received → classified | not_flagged | automated`."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from services.classifier import interim
from shared.models import Classification, Message
from shared.pipeline import StageBase
from shared.states import Stage, State


class ClassifyStage(StageBase):
    stage = Stage.classify
    input_state = State.received

    def prepare(self, messages: Sequence[Message]) -> Sequence[Any]:
        return [None if m.is_automated else interim.score(_scored_text(m)) for m in messages]

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if message.is_automated:
            # Bounces and auto-replies are never complaints (and never acknowledged).
            return State.automated
        verdict: interim.Verdict = prepared
        session.add(
            Classification(
                message_id=message.id,
                model_version=interim.VERSION,
                score=verdict.score,
                threshold=interim.THRESHOLD,
                flagged=verdict.flagged,
                band=verdict.band,
                language=message.language,
                phrases=verdict.phrases,
                department_hints=[],
            )
        )
        return State.classified if verdict.flagged else State.not_flagged


def _scored_text(message: Message) -> str:
    # Phrase offsets refer to Message.text, so score the text alone; the subject adds
    # little the body does not say, and would shift every offset.
    return message.text
