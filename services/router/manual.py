"""Manual reassignment: staff override the router's choice; recorded and audited like any assignment."""

from __future__ import annotations

from sqlalchemy.orm import Session

from services.router import explain, names
from services.router.assign import record_assignment
from services.router.exceptions import Conflict, NotFound
from services.router.route import own_words
from shared.models import Assignment, Department, Handler, Signal

MANUAL_RULE = "manual"


def reassign(
    *,
    db_session: Session,
    signal_id: int,
    department_id: int | None,
    handler_id: int | None,
    note: str,
    actor: str,
    base_url: str,
) -> Assignment:
    """Give a signal to another department and/or handler (no handler: the department's waiting queue)."""
    signal = db_session.get(Signal, signal_id)
    if signal is None:
        raise NotFound(f"There is no signal {signal_id}.")
    department = db_session.get(
        Department, department_id if department_id is not None else signal.department_id
    )
    if department is None:
        raise NotFound(f"There is no department {department_id}.")
    handler = None
    if handler_id is not None:
        handler = db_session.get(Handler, handler_id)
        if handler is None:
            raise NotFound(f"There is no handler {handler_id}.")
        if not handler.active:
            raise Conflict(f"{handler.name} is not active; choose someone else or reactivate them first.")
        if department.id not in {d.id for d in handler.departments}:
            raise Conflict(
                f"{handler.name} does not work in {department.name}; choose one of its handlers, "
                "or add them to the department first."
            )
    if handler is not None:
        target = explain.part("manual.to_handler", actor=actor, handler=handler.name, note=note.strip())
    else:
        target = explain.part("manual.to_queue", actor=actor, department=department.name, note=note.strip())
    explanation = [target]
    if handler is not None and names.is_named(handler.name, own_words(signal.message)):
        # A person may know better than the name check; say it loudly rather than refuse.
        explanation.append(explain.part("manual.named", handler=handler.name))
    return record_assignment(
        db_session,
        signal=signal,
        department=department,
        handler=handler,
        rule=MANUAL_RULE,
        explanation=explanation,
        base_url=base_url,
        actor=actor,
    )
