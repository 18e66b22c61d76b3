"""Storing what the form, the JSON API and webhooks receive, through the same Sink as every connector."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import uuid
from typing import Any

import structlog
from prometheus_client import Counter
from sqlalchemy import select
from sqlalchemy.exc import SQLAlchemyError

from services.api.intake.config import WebhookSource
from services.api.intake.exceptions import IdempotencyConflict, StorageFailed
from services.api.intake.models import SubmissionFields, WebhookEvent
from services.ingest import health
from services.ingest.sink import Sink
from services.ingest.store import Stored
from shared import dberrors
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Message, utcnow
from shared.normalise import Incoming, IncomingAttachment, content_hash

log = structlog.get_logger(__name__)

REFUSED = Counter(
    "signaal_intake_refused_total",
    "Submissions the form, JSON API or webhooks refused or dropped, by endpoint and reason.",
    ["endpoint", "reason"],
)


def submission_document(
    fields: SubmissionFields, attachments: list[IncomingAttachment], *, language: str
) -> bytes:
    """The submission as stored raw: canonical JSON, attachments described but without their bytes.

    Canonical (sorted keys, fixed separators), so the same submission always gives
    the same bytes and an Idempotency-Key retry can be told from a changed body.
    """
    document: dict[str, Any] = {
        **fields.model_dump(mode="json"),
        "language": language,
        "attachments": [
            {
                "filename": a.filename,
                "content_type": a.content_type,
                "size": a.size,
                "sha256": content_hash(a.content or b""),
            }
            for a in attachments
        ],
    }
    return json.dumps(document, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def form_dedupe_key(form_id: str, raw: bytes) -> str:
    """One rendered form sent twice with the same content (double click, refresh) is one message."""
    return f"form:{form_id}:{content_hash(raw)[:16]}"


def api_dedupe_key(idempotency_key: str | None, *, client: str, secret_key: str) -> str:
    """The Idempotency-Key scoped to the client that sent it, else a server-made id (every call is new).

    Clients choose their keys, so two of them may choose the same one; scoping keeps their
    messages apart. The client (its address, personal data) is kept only as a keyed hash.
    Keys stored before the scoping (`idem:<key>`) never equal a scoped one (`idem@<client>:<key>`):
    a retry spanning the upgrade is stored once more, and nothing else changes.
    """
    if not idempotency_key:
        return f"api:{uuid.uuid4().hex}"
    scope = hmac.new(secret_key.encode(), b"idempotency-client:" + client.encode(), hashlib.sha256)
    return f"idem@{scope.hexdigest()[:16]}:{idempotency_key}"


def store_submission(
    database: Database,
    *,
    source: str,
    fields: SubmissionFields,
    attachments: list[IncomingAttachment],
    raw: bytes,
    dedupe_key: str,
    language: str,
    via: str,
    acknowledge: bool = False,
    organisation: OrganisationConfig | None = None,
) -> Stored:
    """Store one web-form submission (a duplicate returns the stored one); StorageFailed on a DB error.

    `raw` is `submission_document()` of the same submission, made by the caller for its dedupe key.
    """
    incoming = Incoming(
        channel="webform",
        source=source,
        dedupe_key=dedupe_key,
        raw=raw,
        text=fields.message,
        subject=fields.subject,
        sender_name=fields.name,
        # The email address when given (replies go there), else the phone number.
        sender_address=fields.email or fields.phone or "",
        received_at=utcnow(),
        meta={"via": via, "language": language, "email": fields.email, "phone": fields.phone},
        attachments=attachments,
    )
    return _store(database, source, "webform", incoming, acknowledge=acknowledge, organisation=organisation)


def ensure_same_body(database: Database, stored: Stored, raw: bytes) -> None:
    """Refuse (IdempotencyConflict) a repeated Idempotency-Key whose body differs from the stored one."""
    if stored.created:
        return
    with database.session() as session:
        stored_hash = session.scalar(select(Message.content_hash).where(Message.id == stored.message_id))
    if stored_hash != content_hash(raw):
        raise IdempotencyConflict()


def store_webhook_event(
    database: Database,
    *,
    source: WebhookSource,
    event: WebhookEvent,
    body: bytes,
    organisation: OrganisationConfig | None = None,
) -> Stored:
    """Store a verified webhook event under its own id, so a redelivery is stored once."""
    now = utcnow()
    written_at = min(event.created_at, now) if event.created_at else now
    incoming = Incoming(
        channel=event.channel or source.channel,
        source=source.name,
        dedupe_key=event.id,
        raw=body,
        text=event.text,
        subject=event.subject,
        sender_name=event.author,
        sender_address=event.handle,
        received_at=written_at.astimezone(dt.UTC),
        meta={"via": "webhook", "url": str(event.url) if event.url else None, "metadata": event.metadata},
    )
    return _store(
        database, source.name, "webhook", incoming, acknowledge=source.acknowledge, organisation=organisation
    )


def _store(
    database: Database,
    connector: str,
    kind: str,
    incoming: Incoming,
    *,
    acknowledge: bool,
    organisation: OrganisationConfig | None,
) -> Stored:
    # With `acknowledge`, the Sink queues the receipt in the message's own transaction.
    sink = Sink(database, connector, acknowledge=acknowledge, organisation=organisation)
    try:
        stored = sink.store([incoming])[0]
    except SQLAlchemyError as exc:
        log.error("intake could not store a message", connector=connector, error=dberrors.describe(exc))
        if dberrors.cannot_write(exc):
            cause = dberrors.CANNOT_WRITE
            reason = f"could not store a submission: {dberrors.describe(exc)}"
        else:
            cause = "the database did not answer"
            reason = f"could not store a submission: {type(exc).__name__} (is the database reachable?)"
        _quietly(health.record_failure, database, name=connector, kind=kind, reason=reason)
        raise StorageFailed(cause=cause) from exc
    _quietly(health.record_success, database, name=connector, kind=kind, stored=int(stored.created))
    log.info(
        "intake stored a message",
        connector=connector,
        message_id=stored.message_id,
        reference=stored.reference,
        duplicate=not stored.created,
    )
    return stored


def _quietly(record: Any, database: Database, **kwargs: Any) -> None:
    # Health is bookkeeping: its failure must not turn a stored message into an error for the sender.
    try:
        record(database, **kwargs)
    except SQLAlchemyError as exc:
        log.warning("could not record connector health", connector=kwargs["name"], error=type(exc).__name__)
