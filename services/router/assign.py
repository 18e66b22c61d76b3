"""The one place every assignment goes through: routing, the waiting queue and manual reassignment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.router import explain, notify
from services.router.changes import audit
from services.router.departments import default_department
from shared.models import Assignment, Department, Handler, Signal, utcnow

SYSTEM_ACTOR = "system:router"


def record_assignment(
    session: Session,
    *,
    signal: Signal,
    department: Department,
    handler: Handler | None,
    rule: str,
    explanation: list[explain.Part],
    base_url: str | None = None,
    actor: str = SYSTEM_ACTOR,
) -> Assignment:
    """Give `signal` to `department` (and `handler`, or its waiting queue), recorded and audited.

    With a handler, `base_url` (the public address) is needed: the handler's mail links to the signal.

    Without a handler the signal waits, visibly (`Signal.waiting_since`), until the
    waiting pass finds someone; it is never silently left unassigned. The explanation is
    kept as parts (the UI renders them in the reader's language) and as a sentence in the
    organisation's language (`reason`: the API, the audit trail and the handler's mail).
    """
    now = utcnow()
    previous_handler_id = signal.handler_id
    signal.department_id = department.id
    signal.handler_id = handler.id if handler else None
    if handler is not None:
        handler.last_assigned_at = now
        signal.waiting_since = None
    elif signal.waiting_since is None:
        signal.waiting_since = now
    assignment = Assignment(
        signal_id=signal.id,
        department_id=department.id,
        handler_id=handler.id if handler else None,
        rule=rule,
        reason=explain.render(explanation, explain.ORGANISATION_LANGUAGE),
        explanation=explanation,
        assigned_by=actor,
    )
    session.add(assignment)
    session.flush()
    detail = {
        "department": department.name,
        "handler": handler.name if handler else None,
        "previous_handler_id": previous_handler_id,
        "rule": rule,
        "assignment_id": assignment.id,
    }
    audit(session, actor=actor, action="signal.assign", obj=signal, detail=detail)
    if handler is not None:
        if base_url is None:
            raise ValueError("an assignment to a handler needs base_url for the handler's mail")
        notify.on_assignment(session, assignment=assignment, signal=signal, base_url=base_url)  # via outbox
    return assignment


def return_to_queue(
    session: Session, signal: Signal, *, rule: str, reason: str, actor: str = SYSTEM_ACTOR, **values: str
) -> Assignment:
    """Take `signal` from its handler back to its department's waiting queue (the default team's if none).

    `reason` is an explanation key; it gets the department's name and `values`.
    """
    department = signal.department or default_department(session)
    return record_assignment(
        session,
        signal=signal,
        department=department,
        handler=None,
        rule=rule,
        explanation=[explain.part(reason, department=department.name, **values)],
        actor=actor,
    )
