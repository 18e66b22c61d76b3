"""The email outbox: notifications are rows written in the caller's transaction, sent by `OutboxSender`.

Enqueueing in the same transaction as whatever caused the mail (a stored
message, an assignment) means a mail is never lost and never sent for
something that was rolled back; SMTP trouble never reaches the caller.

The sender claims due rows the way pipeline workers claim messages: one
UPDATE moves `next_attempt_at` past the send (a lease) and bumps `attempts`,
and that attempt number fences the outcome, so a row another sender took
over after the lease expired is not overwritten. Sending is at least once: a
crash between the server's 250 and the commit sends that mail again, with the
same Message-ID so mail programs can fold the copy.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
import random
from dataclasses import dataclass
from email.message import EmailMessage

import structlog
from email_validator import EmailNotValidError, validate_email
from sqlalchemy import func, select, text, update
from sqlalchemy.orm import Session

from shared import audit, mailer, runner, states
from shared.db import Database
from shared.models import Message, Notification, utcnow
from shared.settings import Settings

log = structlog.get_logger(__name__)

PENDING, SENT, FAILED = (
    states.NotificationStatus.pending,
    states.NotificationStatus.sent,
    states.NotificationStatus.failed,
)
# Kinds: receipts answer a citizen (RFC 3834 auto-replied); the router's mails are auto-generated.
RECEIPT = "receipt"
ASSIGNMENT = "assignment"
DIGEST = "digest"
ESCALATION = "escalation"

MAX_ATTEMPTS = 10  # then `failed`, shown to ops, back in the queue with `signaal outbox retry`
RETRY_BASE = dt.timedelta(minutes=1)
RETRY_CAP = dt.timedelta(hours=1)


def auto_submitted(kind: str) -> str:
    """The RFC 3834 Auto-Submitted value for a kind of notification."""
    return "auto-replied" if kind == RECEIPT else "auto-generated"


def valid_address(address: str) -> str | None:
    """The address normalised (domain lower-cased) if it is a syntactically valid email address."""
    try:
        normalized = validate_email(address.strip(), check_deliverability=False).normalized
    except EmailNotValidError:
        return None
    # `=` and `?` are legal in a local part, so an encoded word can pass as one; the stdlib would
    # decode it (CR LF and all) in the To header. No real mailbox is named like that.
    return normalized if mailer.header_value(normalized) == normalized else None


def enqueue(
    session: Session,
    *,
    kind: str,
    recipient: str,
    subject: str,
    body: str,
    message_id: int | None = None,
    signal_id: int | None = None,
    not_before: dt.datetime | None = None,
) -> Notification:
    """Add an email to the outbox in the caller's transaction.

    Threading headers come from `message_id`: a mail to the sender of that
    message is sent as a reply to it (In-Reply-To, References).
    """
    address = valid_address(recipient)
    if address is None:
        raise ValueError("the recipient is not a valid email address")
    row = Notification(
        kind=kind,
        recipient=address,
        subject=mailer.header_value(subject),
        body=body,
        message_id=message_id,
        signal_id=signal_id,
        status=PENDING,
        attempts=0,
        next_attempt_at=not_before or utcnow(),
    )
    session.add(row)
    session.flush()
    return row


def enqueued_since(
    session: Session, *, kind: str, recipient: str, since: dt.datetime, signal_id: int | None = None
) -> bool:
    """Whether a `kind` mail to `recipient` (about `signal_id`, if given) was enqueued since `since`."""
    query = select(Notification.id).where(
        Notification.kind == kind,
        func.lower(Notification.recipient) == recipient.strip().lower(),
        Notification.created_at >= since,
    )
    if signal_id is not None:
        query = query.where(Notification.signal_id == signal_id)
    return session.scalar(query.limit(1)) is not None


def lock_recipient(session: Session, recipient: str) -> None:
    """Serialise "already sent to this address?" checks across processes until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite needs none: write
    transactions start with BEGIN IMMEDIATE, so there is one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(b"signaal-outbox:" + recipient.strip().lower().encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )


def retry_delay(attempt: int) -> dt.timedelta:
    """How long to wait after failed attempt `attempt` (1-based): doubling from a minute, at most an hour."""
    delay = min(RETRY_CAP, RETRY_BASE * 2 ** min(attempt - 1, 20))
    return delay * random.uniform(0.8, 1.0)  # jitter, so a recovered server is not hit all at once


# --- the claim and its outcomes (kept together: this is the outbox's concurrency) ---


def claim(session: Session, *, now: dt.datetime, limit: int, lease: dt.timedelta) -> list[tuple[int, int]]:
    """Lease up to `limit` due pending rows; returns (id, attempt number) pairs."""
    due = (
        select(Notification.id)
        .where(Notification.status == PENDING, Notification.next_attempt_at <= now)
        .order_by(Notification.next_attempt_at, Notification.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # PostgreSQL; SQLite's single writer needs none
    )
    claimed = session.execute(
        update(Notification)
        .where(Notification.id.in_(due.scalar_subquery()))
        .values(attempts=Notification.attempts + 1, next_attempt_at=now + lease)
        .returning(Notification.id, Notification.attempts)
        .execution_options(synchronize_session=False)
    )
    return sorted((row.id, row.attempts) for row in claimed)


def _fenced(notification_id: int, attempt: int):  # type: ignore[no-untyped-def]
    return update(Notification).where(
        Notification.id == notification_id,
        Notification.attempts == attempt,
        Notification.status == PENDING,
    )


def mark_sent(session: Session, *, notification_id: int, attempt: int, now: dt.datetime) -> bool:
    result = session.execute(
        _fenced(notification_id, attempt)
        .values(status=SENT, sent_at=now, last_error=None)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def mark_attempt_failed(
    session: Session,
    *,
    notification_id: int,
    attempt: int,
    error: str,
    give_up: bool,
    now: dt.datetime,
) -> bool:
    """Record a failed attempt: retry later with backoff, or `failed` when giving up."""
    values: dict[str, object] = {"last_error": error[:2000]}
    if give_up:
        values["status"] = FAILED
    else:
        values["next_attempt_at"] = now + retry_delay(attempt)
    result = session.execute(
        _fenced(notification_id, attempt).values(**values).execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def retry_failed(
    session: Session, *, actor: str, ids: list[int] | None = None, now: dt.datetime | None = None
) -> int:
    """Put failed notifications back in the queue with a fresh set of attempts, audited; returns how many."""
    query = update(Notification).where(Notification.status == FAILED)
    if ids is not None:
        query = query.where(Notification.id.in_(ids))
    result = session.execute(
        query.values(status=PENDING, attempts=0, next_attempt_at=now or utcnow()).execution_options(
            synchronize_session=False
        )
    )
    moved = result.rowcount
    if moved:
        audit.record(
            session, actor=actor, action="outbox.retry", object_type="notifications", detail={"count": moved}
        )
    return moved


# --- what ops sees ---


@dataclass(frozen=True)
class Summary:
    pending: int
    failed: int
    sent_last_24h: int
    oldest_pending_at: dt.datetime | None
    last_error: str | None


def summary(session: Session, *, now: dt.datetime | None = None) -> Summary:
    """Counts by status, the oldest waiting mail, and the latest error."""
    now = now or utcnow()
    counts = dict(
        session.execute(
            select(Notification.status, func.count())
            .where(Notification.status.in_([PENDING, FAILED]))
            .group_by(Notification.status)
        ).all()
    )
    sent = session.scalar(
        select(func.count()).where(
            Notification.status == SENT, Notification.sent_at >= now - dt.timedelta(hours=24)
        )
    )
    oldest = session.scalar(select(func.min(Notification.created_at)).where(Notification.status == PENDING))
    last_error = session.scalar(
        select(Notification.last_error)
        .where(Notification.status.in_([PENDING, FAILED]), Notification.last_error.is_not(None))
        .order_by(Notification.id.desc())
        .limit(1)
    )
    return Summary(counts.get(PENDING, 0), counts.get(FAILED, 0), sent or 0, oldest, last_error)


# --- sending ---


@dataclass(frozen=True)
class Claimed:
    notification_id: int
    attempt: int
    kind: str
    outgoing: mailer.Outgoing


@dataclass
class Report:
    """What one round did: mails sent, put back for a retry, and given up on."""

    sent: int = 0
    retrying: int = 0
    failed: int = 0
    skipped: int = 0  # another sender had taken the row over (lease expired)

    @property
    def handled(self) -> int:
        return self.sent + self.retrying + self.failed + self.skipped


@dataclass
class OutboxSender(runner.Runner):
    """Sends due notifications; any number of senders may run against one database.

    As a runner, call it off any event loop: each round runs its own.
    """

    database: Database
    smtp: mailer.SmtpConfig
    batch_size: int = 20
    interval: float = 2.0
    max_attempts: int = MAX_ATTEMPTS
    name = "outbox"
    failed_event = "outbox round failed"

    @classmethod
    def from_settings(cls, database: Database, settings: Settings) -> OutboxSender:
        return cls(database, mailer.SmtpConfig.from_settings(settings))

    @property
    def lease(self) -> dt.timedelta:
        # Long enough for a whole batch at the SMTP timeout; a crashed sender's rows return after it.
        return dt.timedelta(seconds=self.smtp.timeout * (self.batch_size + 2) + 60)

    def starting(self) -> bool:
        if not self.smtp.enabled:
            log.warning("outgoing mail is off (SIGNAAL_SMTP_HOST is empty); notifications wait in the outbox")
            return False
        log.info("outbox sender started", smtp=self.smtp.where, security=self.smtp.security.value)
        return True

    def tick(self) -> bool:
        return self.send_due().handled >= self.batch_size

    def drain(self) -> Report:
        """Send everything due now, batch after batch (for `signaal ingest --once`)."""
        total = Report()
        while True:
            report = self.send_due()
            for name in ("sent", "retrying", "failed", "skipped"):
                setattr(total, name, getattr(total, name) + getattr(report, name))
            if report.handled < self.batch_size:
                return total

    def send_due(self, now: dt.datetime | None = None) -> Report:
        """Claim and send one batch of due mail; `now` can be moved forward by tests."""
        if not self.smtp.enabled:
            return Report()
        now = now or utcnow()
        with self.database.transaction() as session:
            claimed = claim(session, now=now, limit=self.batch_size, lease=self.lease)
            batch = self._load(session, dict(claimed))
        if not batch:
            return Report()
        return asyncio.run(self._deliver(batch, now))

    def _load(self, session: Session, attempts: dict[int, int]) -> list[Claimed]:
        if not attempts:
            return []
        rows = session.execute(
            select(
                Notification,
                Message.message_id_header,
                Message.references,
                Message.sender_address,
                Message.reference,
            )
            .outerjoin(Message, Message.id == Notification.message_id)
            .where(Notification.id.in_(list(attempts)))
            .order_by(Notification.id)
        ).all()
        batch = []
        for row, parent_message_id, parent_references, parent_sender, reference in rows:
            # Thread it under the citizen's message only when it goes back to that citizen.
            is_reply = bool(parent_message_id) and (parent_sender or "").lower() == row.recipient.lower()
            outgoing = mailer.Outgoing(
                recipient=row.recipient,
                subject=row.subject,
                body=row.body,
                message_id=f"<signaal.{row.id}.{row.created_at:%Y%m%d%H%M%S}@{self.smtp.domain}>",
                auto_submitted=auto_submitted(row.kind),
                in_reply_to=mailer.angle_bracketed(parent_message_id) if is_reply else None,
                references=tuple(mailer.angle_bracketed(r) for r in parent_references or [] if r)
                if is_reply
                else (),
                reference=reference,
            )
            batch.append(Claimed(row.id, attempts[row.id], row.kind, outgoing))
        return batch

    async def _deliver(self, batch: list[Claimed], now: dt.datetime) -> Report:
        report = Report()
        connection: mailer.Connection | None = None
        try:
            for index, item in enumerate(batch):
                if connection is None or not connection.usable:
                    connection = mailer.Connection(self.smtp)
                    try:
                        await connection.open()
                    except mailer.SendError as exc:
                        # The server is unreachable or refuses us: every mail in hand waits for the next try.
                        for waiting in batch[index:]:
                            self._record(report, waiting, exc, now)
                        break
                try:
                    await connection.send(self._build(item))
                except mailer.SendError as exc:
                    self._record(report, item, exc, now)
                else:
                    self._record(report, item, None, now)
        finally:
            if connection is not None:
                await connection.close()
        return report

    def _build(self, item: Claimed) -> EmailMessage:
        try:
            return mailer.build(self.smtp, item.outgoing, now=utcnow())
        except (ValueError, TypeError) as exc:  # a row no mail can be made of: retrying will not help
            raise mailer.SendError(f"cannot build the email: {exc}", permanent=True) from None

    def _record(
        self, report: Report, item: Claimed, error: mailer.SendError | None, now: dt.datetime
    ) -> None:
        """Write one outcome at once, so a crash later in the batch never resends this mail."""
        with self.database.transaction() as session:
            if error is None:
                done = mark_sent(session, notification_id=item.notification_id, attempt=item.attempt, now=now)
                give_up = False
            else:
                give_up = error.permanent or item.attempt >= self.max_attempts
                done = mark_attempt_failed(
                    session,
                    notification_id=item.notification_id,
                    attempt=item.attempt,
                    error=error.reason,
                    give_up=give_up,
                    now=now,
                )
        fields = {"notification": item.notification_id, "kind": item.kind, "attempt": item.attempt}
        if not done:
            report.skipped += 1
            log.warning("notification taken over by another sender (lease expired)", **fields)
        elif error is None:
            report.sent += 1
            log.info("notification sent", **fields)
        else:
            # Server replies can quote the address; log only the code for those (no personal data in logs).
            reason = error.reason if error.code is None else f"SMTP {error.code}"
            if give_up:
                report.failed += 1
                log.error("notification failed; not retrying", reason=reason, **fields)
            else:
                report.retrying += 1
                log.warning("notification not sent; will retry", reason=reason, **fields)
