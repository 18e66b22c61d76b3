"""Receipt emails (Awb 9:6): enqueued in the same transaction as the message they acknowledge.

A receipt goes only to a person: never to automated mail (bounces,
out-of-office replies, lists: RFC 3834), never to an address that by
convention is a machine's, and at most once per sender per window, so two
auto-responders cannot keep each other busy.
"""

from __future__ import annotations

import datetime as dt

import structlog
from sqlalchemy.orm import Session

from services.ingest.store import Stored
from shared import outbox
from shared.config import OrganisationConfig, ReceiptText
from shared.mailer import header_value
from shared.models import Notification, utcnow
from shared.normalise import Incoming
from shared.states import State

log = structlog.get_logger(__name__)

# Local parts that belong to machines and lists (RFC 3834 §2): answering them starts loops.
_MACHINE_LOCAL_PARTS = {
    "mailer-daemon",
    "postmaster",
    "noreply",
    "no-reply",
    "donotreply",
    "do-not-reply",
    "bounce",
    "bounces",
    "listserv",
    "majordomo",
}
# Channels whose sender address is not an email address (a Mastodon handle looks like one).
_NOT_EMAIL_CHANNELS = {"social"}


def skip_reason(incoming: Incoming, stored: Stored) -> str | None:
    """Why this message gets no receipt, or None when it should get one."""
    if not stored.created:
        return "already stored"
    if incoming.is_automated or stored.state is State.automated:
        return "automated mail"
    if stored.state is not State.received:
        return f"stored as {stored.state.value}"
    if incoming.channel in _NOT_EMAIL_CHANNELS:
        return f"{incoming.channel} has no email sender"
    address = outbox.valid_address(incoming.sender_address) if incoming.sender_address else None
    if address is None:
        return "no valid sender address"
    local = address.rpartition("@")[0].lower()
    if local in _MACHINE_LOCAL_PARTS or local.startswith("owner-") or local.endswith("-request"):
        return "machine address"
    return None


def acknowledge(
    session: Session,
    incoming: Incoming,
    stored: Stored,
    organisation: OrganisationConfig,
    *,
    now: dt.datetime | None = None,
) -> Notification | None:
    """Enqueue a receipt for a newly stored message when it should get one; returns the outbox row."""
    reason = skip_reason(incoming, stored)
    if reason is not None:
        log.debug("no receipt", message=stored.message_id, reason=reason)
        return None
    address = outbox.valid_address(incoming.sender_address)
    assert address is not None  # skip_reason checked it
    settings = organisation.receipts
    # Two connectors storing mail from one sender at once must not both decide "not yet sent".
    outbox.lock_recipient(session, address)
    since = (now or utcnow()) - dt.timedelta(hours=settings.window_hours)
    if outbox.enqueued_since(session, kind=outbox.RECEIPT, recipient=address, since=since):
        log.debug("no receipt", message=stored.message_id, reason="sender had one within the window")
        return None
    text = render(language_of(incoming, organisation), organisation, incoming, stored.reference)
    row = outbox.enqueue(
        session,
        kind=outbox.RECEIPT,
        recipient=address,
        subject=text.subject,
        body=text.body,
        message_id=stored.message_id,
    )
    log.info("receipt queued", message=stored.message_id, notification=row.id)
    return row


def language_of(incoming: Incoming, organisation: OrganisationConfig) -> str:
    """The channel's idea of the sender's language (e.g. the English web form), else the default."""
    language = str(incoming.meta.get("language") or "").lower()[:2]
    return language if language in {"nl", "en"} else organisation.receipts.language


def render(
    language: str, organisation: OrganisationConfig, incoming: Incoming, reference: str
) -> ReceiptText:
    """The receipt's subject and body with the placeholders filled in."""
    template = organisation.receipts.en if language == "en" else organisation.receipts.nl
    values = {
        "reference": reference,
        "organisation": organisation.organisation,
        # Decoded and flattened here too: the body shows them, and the subject must stay one line.
        "name": header_value(incoming.sender_name, limit=200),
        "subject": header_value(incoming.subject, limit=200),
    }
    return ReceiptText.model_construct(
        subject=template.subject.format(**values), body=template.body.format(**values)
    )
