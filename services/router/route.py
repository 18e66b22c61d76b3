"""Routing one signal: a department by the rules, then a handler by load (stage and waiting pass)."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.router import choice, explain, rules
from services.router.assign import record_assignment
from shared.models import Assignment, Classification, Department, Message, Signal

WAITING_RULE = "waiting-queue"


def facts_for(message: Message, classification: Classification) -> rules.Facts:
    return rules.Facts(
        channel=message.channel,
        subject=message.subject,
        text=message.text,
        sender=message.sender_address,
        language=classification.language or message.language,
        band=classification.band,
        hints=classification.department_hints or [],
    )


def own_words(message: Message) -> str:
    """The text the sender wrote; quoted replies are left out (they carry staff's own signatures)."""
    return f"{message.subject}\n{message.text}"


def assign(
    session: Session,
    *,
    signal: Signal,
    department: Department,
    message: Message,
    rule: str,
    explanation: list[explain.Part],
    language: str | None,
    base_url: str,
) -> Assignment:
    """Give `signal` to the best available handler in `department`, or let it wait there, and say why."""
    picked = choice.choose_handler(
        session, department_id=department.id, language=language, text=own_words(message)
    )
    handler = picked.handler
    if handler is not None:
        chosen = explain.part(
            "route.handler", handler=handler.name, load=picked.load, capacity=handler.capacity
        )
        explanation = [*explanation, chosen, *picked.handler_notes()]
    else:
        waits = explain.part("route.waits", department=department.name, passed_over=picked.passed_over())
        explanation = [*explanation, waits]
    return record_assignment(
        session,
        signal=signal,
        department=department,
        handler=handler,
        rule=rule,
        explanation=explanation,
        base_url=base_url,
    )


def route(
    session: Session,
    *,
    signal: Signal,
    message: Message,
    facts: rules.Facts,
    hint_threshold: float,
    base_url: str,
) -> Assignment:
    """Decide the department for a new signal and assign it."""
    decision = rules.decide(session, facts, hint_threshold=hint_threshold)
    department = session.get_one(Department, decision.department_id)
    return assign(
        session,
        signal=signal,
        department=department,
        message=message,
        rule=decision.rule,
        explanation=decision.explanation,
        language=facts.language,
        base_url=base_url,
    )
