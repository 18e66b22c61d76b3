"""One signal up close (the message, why it was flagged, where it went) and the verdicts on it."""

from __future__ import annotations

import nh3
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.signals import service
from services.api.signals.schemas import (
    AssignmentRead,
    AttachmentRead,
    AuditRead,
    ClassificationRead,
    ExplanationPart,
    Phrase,
    Related,
    RelatedSignal,
    SignalDetail,
    Verdict,
)
from services.router import patterns, verdicts
from shared import audit, states
from shared.models import (
    Assignment,
    Attachment,
    AuditEntry,
    Department,
    FeedbackLabel,
    Handler,
    Signal,
    SignalGroup,
    User,
)

STATUS_FOR = {"confirm": states.SignalStatus.confirmed, "dismiss": states.SignalStatus.dismissed}


class SignalNotFound(LookupError):
    """There is no signal with this id."""


def get(*, db_session: Session, signal_id: int) -> Signal:
    """The signal, or SignalNotFound."""
    signal = db_session.get(Signal, signal_id)
    if signal is None:
        raise SignalNotFound(signal_id)
    return signal


def detail(*, db_session: Session, signal_id: int) -> SignalDetail:
    """Everything the signal page shows, also served by `GET /api/v1/signals/{id}`."""
    signal = get(db_session=db_session, signal_id=signal_id)
    message = signal.message
    base = service.to_read(signal, service.due_date(db_session=db_session, signal_id=signal.id))
    return SignalDetail(
        **base.model_dump(),
        text=message.text,
        quoted_text=message.quoted_text,
        has_html=bool(message.html),
        sender_name=message.sender_name,
        sender_address=message.sender_address,
        received_at=message.received_at,
        classification=_classification(db_session, message.id),
        assignment=_assignment(db_session, signal.id),
        attachments=[
            AttachmentRead(filename=a.filename, content_type=a.content_type, size=a.size)
            for a in db_session.scalars(
                select(Attachment).where(Attachment.message_id == message.id).order_by(Attachment.id)
            )
        ],
        related=related(db_session=db_session, signal=signal),
        audit=[
            AuditRead(at=e.at, actor=e.actor, action=e.action, detail=e.detail)
            for e in db_session.scalars(
                select(AuditEntry)
                .where(AuditEntry.object_type == "signals", AuditEntry.object_id == signal.id)
                .order_by(AuditEntry.at, AuditEntry.id)
            )
        ],
    )


RELATED_LIMIT = 50  # a page, not a report: the insights page lists whole groups


def related(*, db_session: Session, signal: Signal) -> Related:
    """Persistent-contact and same-problem links: the signals a team lead should see together."""
    same_problem: list[RelatedSignal] = []
    group_label = None
    if signal.group_id is not None:
        group_label = db_session.scalar(select(SignalGroup.label).where(SignalGroup.id == signal.group_id))
        same_problem = [
            _related(other)
            for other in db_session.scalars(
                select(Signal)
                .where(Signal.group_id == signal.group_id, Signal.id != signal.id)
                .order_by(Signal.created_at, Signal.id)
                .limit(RELATED_LIMIT)
            )
        ]
    same_sender = patterns.same_sender(db_session=db_session, signal_id=signal.id)[:RELATED_LIMIT]
    return Related(
        persistent_contact=signal.persistent_contact,
        same_sender=[_related(other) for other in same_sender],
        group_label=group_label,
        same_problem=same_problem,
    )


def _related(signal: Signal) -> RelatedSignal:
    message = signal.message
    return RelatedSignal(
        id=signal.id,
        reference=message.reference,
        subject=message.subject,
        status=signal.status,
        created_at=signal.created_at,
    )


def _classification(db_session: Session, message_id: int) -> ClassificationRead | None:
    row = verdicts.latest_classification(db_session, message_id)
    if row is None:
        return None
    return ClassificationRead(
        model_version=row.model_version,
        score=row.score,
        threshold=row.threshold,
        band=row.band,
        language=row.language,
        phrases=[Phrase.model_validate(p) for p in row.phrases if _is_phrase(p)],
    )


def _is_phrase(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("text"), str)
        and isinstance(value.get("start"), int)
        and isinstance(value.get("end"), int)
    )


def _assignment(db_session: Session, signal_id: int) -> AssignmentRead | None:
    row = db_session.scalars(
        select(Assignment).where(Assignment.signal_id == signal_id).order_by(Assignment.id.desc()).limit(1)
    ).first()
    if row is None:
        return None
    handler = db_session.get(Handler, row.handler_id) if row.handler_id else None
    department = db_session.get(Department, row.department_id) if row.department_id else None
    return AssignmentRead(
        rule=row.rule,
        reason=row.reason,
        explanation=[ExplanationPart.model_validate(p) for p in row.explanation or [] if _is_part(p)],
        department=department.name if department else None,
        handler=handler.name if handler else None,
        assigned_by=row.assigned_by,
        created_at=row.created_at,
    )


def _is_part(value: object) -> bool:
    return (
        isinstance(value, dict)
        and isinstance(value.get("key"), str)
        and isinstance(value.get("params"), dict)
    )


def highlighted(text: str, phrases: list[Phrase]) -> list[tuple[str, bool]]:
    """The text cut into (piece, is_driving_phrase) runs; the template escapes every piece."""
    merged: list[list[int]] = []
    for start, end in sorted(
        (p.start, p.end) for p in phrases if p.field == "text" and 0 <= p.start < p.end <= len(text)
    ):
        if merged and start <= merged[-1][1]:  # overlapping or touching phrases read as one mark
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    runs: list[tuple[str, bool]] = []
    position = 0
    for start, end in merged:
        if start > position:
            runs.append((text[position:start], False))
        runs.append((text[start:end], True))
        position = end
    if position < len(text):
        runs.append((text[position:], False))
    return runs


def sanitised_html(*, db_session: Session, signal_id: int) -> str:
    """The message's HTML with scripts, handlers, links' javascript: and remote content removed."""
    signal = get(db_session=db_session, signal_id=signal_id)
    html = signal.message.html or ""
    return nh3.clean(
        html,
        # No <style>, no style attributes: CSS can overlay, hide or fetch; plain structure is enough.
        tags=nh3.ALLOWED_TAGS - {"img"},
        attributes={"a": {"href", "title"}, "td": {"colspan", "rowspan"}, "th": {"colspan", "rowspan"}},
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
        strip_comments=True,
    )


def decide(*, db_session: Session, signal_id: int, verdict: Verdict, user: User, source: str) -> bool:
    """Confirm or dismiss a signal: status, a feedback label for retraining, an audit entry.

    Returns False when the signal already had that status (nothing is written twice).
    """
    signal = get(db_session=db_session, signal_id=signal_id)
    status = STATUS_FOR[verdict]
    if signal.status == status:
        return False
    previous = signal.status
    signal.status = status
    db_session.add(
        FeedbackLabel(
            message_id=signal.message_id, label=verdict == "confirm", user_id=user.id, source=source
        )
    )
    audit.record(
        db_session,
        actor=user.username,
        action=f"signal.{verdict}",
        obj=signal,
        detail={"from": previous, "to": status, "source": source},
    )
    return True
