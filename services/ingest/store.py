"""Storing incoming messages exactly once (invariant 2: a unique index per source)."""

from __future__ import annotations

import secrets
from dataclasses import dataclass

import structlog
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import metrics
from shared.models import Attachment, Message, utcnow
from shared.normalise import Incoming, clean_text, content_hash
from shared.states import State

log = structlog.get_logger(__name__)

# Crockford's base32 without I, L, O, U: easy to read out over the phone.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def new_reference() -> str:
    """A citizen-facing reference like `SG-7KQ4-9XMP` (40 random bits)."""
    code = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(8))
    return f"SG-{code[:4]}-{code[4:]}"


@dataclass(frozen=True)
class Stored:
    message_id: int
    reference: str
    created: bool  # False: it was already stored (a duplicate delivery)
    state: State


def store(session: Session, incoming: Incoming) -> Stored:
    """Store `incoming` unless its (source, dedupe key) is already stored; never raises on duplicates.

    Runs inside the caller's transaction, so a connector can commit messages and
    its cursor together.
    """
    existing = _find(session, incoming)
    if existing is not None:
        metrics.DUPLICATES_SKIPPED.labels(incoming.source).inc()
        return existing
    for _ in range(3):
        message = _build(incoming)
        try:
            with session.begin_nested():
                session.add(message)
                session.flush()
        except IntegrityError:
            # A concurrent ingest of the same message won, or (rarely) the reference collided.
            existing = _find(session, incoming)
            if existing is not None:
                metrics.DUPLICATES_SKIPPED.labels(incoming.source).inc()
                return existing
            continue
        metrics.MESSAGES_INGESTED.labels(incoming.channel, incoming.source).inc()
        return Stored(message.id, message.reference, True, State(message.state))
    raise RuntimeError("could not allocate a unique reference after 3 attempts")


def _find(session: Session, incoming: Incoming) -> Stored | None:
    row = session.execute(
        select(Message.id, Message.reference, Message.state).where(
            Message.source == incoming.source, Message.dedupe_key == incoming.dedupe_key
        )
    ).first()
    return Stored(row.id, row.reference, False, State(row.state)) if row else None


def _initial_state(incoming: Incoming) -> State:
    if incoming.parse_error is not None:
        return State.quarantined
    if incoming.is_automated:
        return State.automated
    return State.received


def _build(incoming: Incoming) -> Message:
    now = utcnow()
    return Message(
        reference=new_reference(),
        channel=incoming.channel,
        source=incoming.source,
        dedupe_key=incoming.dedupe_key,
        content_hash=content_hash(incoming.raw),
        message_id_header=incoming.message_id_header,
        raw=incoming.raw,
        raw_truncated=incoming.raw_truncated,
        raw_size=incoming.raw_size if incoming.raw_size is not None else len(incoming.raw),
        subject=clean_text(incoming.subject),
        text=clean_text(incoming.text),
        quoted_text=clean_text(incoming.quoted_text),
        html=incoming.html,
        sender_name=incoming.sender_name,
        sender_address=incoming.sender_address,
        in_reply_to=incoming.in_reply_to,
        references=incoming.references,
        meta=incoming.meta,
        is_automated=incoming.is_automated,
        automated_reason=incoming.automated_reason,
        error=incoming.parse_error,
        received_at=incoming.received_at or now,
        ingested_at=now,
        state=_initial_state(incoming),
        state_changed_at=now,
        attachments=[
            Attachment(
                filename=a.filename,
                content_type=a.content_type,
                size=a.size,
                content=a.content,
                content_truncated=a.content_truncated,
            )
            for a in incoming.attachments
        ],
    )
