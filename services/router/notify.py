"""Notification mails from the router: the handler on assignment, the department lead on escalation.

Mails are outbox rows written in the caller's transaction (`shared.outbox`), so a
mail exists exactly when its cause was committed and SMTP trouble never reaches
routing. A mail that cannot be made (an invalid address, no lead configured) never
fails the assignment either: it is recorded in the audit log, with ids only.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from services.router import explain, mailtexts, verdicts
from shared import audit, outbox, states, workdays
from shared.db import Database
from shared.models import (
    Assignment,
    Department,
    FollowUp,
    Handler,
    Message,
    Signal,
    utcnow,
)

log = structlog.get_logger(__name__)

ACTOR = "system:notify"
ESCALATION_BATCH = 100


def signal_link(base_url: str, signal_id: int) -> str:
    return f"{base_url.rstrip('/')}/signals/{signal_id}"


def unsent(session: Session, *, kind: str, signal_id: int | None, reason: str, **ids: int | None) -> None:
    """Make a mail that could not be queued visible: an audit entry and a log line, ids only."""
    audit.record(
        session,
        actor=ACTOR,
        action="notification.unsent",
        object_type="signals",
        object_id=signal_id,
        detail={"kind": kind, "reason": reason, **ids},
    )
    log.warning("notification not queued", kind=kind, reason=reason, signal=signal_id, **ids)


def queue(
    session: Session,
    mail: mailtexts.Mail,
    *,
    kind: str,
    recipient: str,
    values: dict[str, object],
    message_id: int | None = None,
    signal_id: int | None = None,
) -> None:
    """Fill in a mail from `mailtexts` and put it in the outbox (in the caller's transaction)."""
    subject, body = mail.fill(values)
    outbox.enqueue(
        session,
        kind=kind,
        recipient=recipient,
        subject=subject,
        body=body,
        message_id=message_id,
        signal_id=signal_id,
    )


# --- on assignment ---


def on_assignment(session: Session, *, assignment: Assignment, signal: Signal, base_url: str) -> None:
    """Queue the short summary mail for the handler an assignment names (none when it waits in a queue)."""
    if assignment.handler_id is None:
        return
    try:
        with session.begin_nested():  # whatever goes wrong here, the assignment itself stands
            _queue_assignment(session, assignment, signal, base_url)
    except Exception as exc:
        unsent(
            session,
            kind=outbox.ASSIGNMENT,
            signal_id=signal.id,
            reason=f"could not build the mail ({type(exc).__name__})",
            assignment_id=assignment.id,
            handler_id=assignment.handler_id,
        )


def _queue_assignment(session: Session, assignment: Assignment, signal: Signal, base_url: str) -> None:
    handler = session.get_one(Handler, assignment.handler_id)
    department = session.get(Department, assignment.department_id) if assignment.department_id else None
    message = session.get_one(Message, signal.message_id)
    if outbox.valid_address(handler.email or "") is None:
        unsent(
            session,
            kind=outbox.ASSIGNMENT,
            signal_id=signal.id,
            reason="the handler's email address is not valid",
            assignment_id=assignment.id,
            handler_id=handler.id,
        )
        return
    classification = verdicts.latest_classification(session, message.id)
    phrases = classification.phrases if classification else []
    due = _due(session, signal, department)
    values = {
        "reference": message.reference,
        "handler": handler.name,
        "channel": mailtexts.CHANNELS.get(message.channel, message.channel),
        "department": department.name if department else "-",
        "band": mailtexts.BANDS.get(signal.band, signal.band),
        "score": f"{signal.score:.2f}",
        "due": mailtexts.when(due),
        "phrases": mailtexts.phrase_lines(phrases or []),
        # The mail is Dutch like the rest of `mailtexts`, whatever language the staff UI is in.
        "reason": explain.describe(assignment.explanation, "nl", fallback=assignment.reason),
        "persistent": mailtexts.PERSISTENT if signal.persistent_contact else "",
        "link": signal_link(base_url, signal.id),
    }
    queue(
        session,
        mailtexts.ASSIGNMENT,
        kind=outbox.ASSIGNMENT,
        recipient=handler.email,
        values=values,
        message_id=message.id,
        signal_id=signal.id,
    )


def _due(session: Session, signal: Signal, department: Department | None) -> dt.datetime:
    """The open informal follow-up's due time; on first routing it is not written yet, so compute it."""
    due = session.scalar(
        select(FollowUp.due_at)
        .where(FollowUp.signal_id == signal.id, FollowUp.closed_at.is_(None))
        .order_by(FollowUp.due_at)
        .limit(1)
    )
    if due is not None:
        return due
    # Same rule as the route stage: the department's number of working days from now.
    return workdays.add_working_days(utcnow(), department.followup_days if department else 2)


# --- escalation ---


def overdue(session: Session, *, now: dt.datetime, limit: int) -> list[FollowUp]:
    """Follow-ups past their deadline and not escalated since it, locked for this run.

    Informal: nobody has contacted the citizen yet (status open). Formal: the
    procedure is not closed (its due date already includes an extension).
    """
    return list(
        session.scalars(
            select(FollowUp)
            .join(Signal, Signal.id == FollowUp.signal_id)
            .where(
                Signal.status != states.SignalStatus.dismissed,  # not a complaint after all: nothing to chase
                # Escalated before its current deadline means before an extension (Awb 9:11): again.
                or_(FollowUp.escalated_at.is_(None), FollowUp.escalated_at < FollowUp.due_at),
                FollowUp.closed_at.is_(None),
                FollowUp.due_at < now,
                or_(
                    (FollowUp.kind == states.FollowUpKind.informal)
                    & (FollowUp.status == states.FollowUpStatus.open),
                    FollowUp.kind == states.FollowUpKind.formal,
                ),
            )
            .order_by(FollowUp.due_at, FollowUp.id)
            .limit(limit)
            .with_for_update(of=FollowUp, skip_locked=True)  # PostgreSQL; SQLite has one writer
        )
    )


def escalate_overdue(database: Database, *, base_url: str, now: dt.datetime | None = None) -> int:
    """Mail the department lead once per overdue follow-up; returns how many follow-ups were escalated."""
    now = now or utcnow()
    total = 0
    while True:
        with database.transaction() as session:
            batch = overdue(session, now=now, limit=ESCALATION_BATCH)
            for follow_up in batch:
                _escalate(session, follow_up, base_url)
                follow_up.escalated_at = now
        total += len(batch)
        if len(batch) < ESCALATION_BATCH:
            return total


def _escalate(session: Session, follow_up: FollowUp, base_url: str) -> None:
    signal = session.get_one(Signal, follow_up.signal_id)
    department = signal.department
    lead = _lead(session, department)
    if lead is None:
        unsent(
            session,
            kind=outbox.ESCALATION,
            signal_id=signal.id,
            reason="no valid lead email for the signal's department or the default team",
            follow_up_id=follow_up.id,
            department_id=signal.department_id,
        )
        return
    values = {
        "reference": signal.message.reference,
        "department": department.name if department else "-",
        "kind": mailtexts.KINDS.get(follow_up.kind, follow_up.kind),
        "due": mailtexts.when(follow_up.due_at),
        "status": mailtexts.STATUSES.get(follow_up.status, follow_up.status),
        "handler": signal.handler.name if signal.handler else mailtexts.NOBODY,
        "link": signal_link(base_url, signal.id),
    }
    queue(
        session,
        mailtexts.ESCALATION,
        kind=outbox.ESCALATION,
        recipient=lead,
        values=values,
        message_id=signal.message_id,
        signal_id=signal.id,
    )
    audit.record(
        session,
        actor=ACTOR,
        action="follow_up.escalate",
        obj=follow_up,
        detail={"signal_id": signal.id, "kind": follow_up.kind, "department_id": signal.department_id},
    )


def _lead(session: Session, department: Department | None) -> str | None:
    """The department's lead, else the default team's: escalations must reach someone."""
    candidates = [department.lead_email if department else None]
    candidates.append(session.scalar(select(Department.lead_email).where(Department.is_default)))
    for address in candidates:
        if address and (valid := outbox.valid_address(address)):
            return valid
    return None
