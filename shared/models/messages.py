"""Messages as received, their attachments, and the classifier's verdicts on them."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import (
    BigInteger,
    Boolean,
    Float,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, BigId, CreatedMixin, IdMixin, Json, UTCDateTime, utcnow
from shared.states import State

MESSAGE_SEARCH_VECTOR = (
    "to_tsvector('simple'::regconfig, (((subject || ' '::text) || sender_name::text) || ' '::text) || text)"
)


class Message(IdMixin, Base):
    """One message from one channel, stored exactly once, carrying its pipeline state."""

    __tablename__ = "messages"
    __table_args__ = (
        # Invariant 2: one row per message per source, whatever the retries.
        UniqueConstraint("source", "dedupe_key"),
        # The claim query scans by state; partial/expression indexes stay portable this way.
        Index("ix_messages_state_id", "state", "id"),
        Index("ix_messages_sender_address", "sender_address"),
        Index("ix_messages_received_at", "received_at"),
        # The staff queue's full-text search (PostgreSQL only; SQLite searches with LIKE).
        # Written as PostgreSQL reflects it, so the migrations test sees no difference.
        Index("ix_messages_search", text(MESSAGE_SEARCH_VECTOR), postgresql_using="gin").ddl_if(
            dialect="postgresql"
        ),
    )

    # What the citizen sees as their reference number; random, so not guessable.
    reference: Mapped[str] = mapped_column(String(32), unique=True)
    channel: Mapped[str] = mapped_column(String(32))  # email, webform, social, webhook
    source: Mapped[str] = mapped_column(String(200))  # connector name, e.g. "mailbox-info"
    dedupe_key: Mapped[str] = mapped_column(String(512))
    content_hash: Mapped[str] = mapped_column(String(64), index=True)
    message_id_header: Mapped[str | None] = mapped_column(String(998), index=True)

    raw: Mapped[bytes] = mapped_column(LargeBinary)  # bytes exactly as received (or JSON)
    raw_truncated: Mapped[bool] = mapped_column(Boolean, default=False)
    raw_size: Mapped[int] = mapped_column(Integer, default=0)

    subject: Mapped[str] = mapped_column(Text, default="")
    text: Mapped[str] = mapped_column(Text, default="")  # normalised new text
    quoted_text: Mapped[str] = mapped_column(Text, default="")  # earlier replies, signatures
    html: Mapped[str | None] = mapped_column(Text)  # original HTML, sanitised only on display
    language: Mapped[str | None] = mapped_column(String(8))

    sender_name: Mapped[str] = mapped_column(String(400), default="")
    sender_address: Mapped[str] = mapped_column(String(400), default="")  # email, handle, phone
    in_reply_to: Mapped[str | None] = mapped_column(String(998))
    references: Mapped[list[str]] = mapped_column(Json, default=list)
    meta: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)  # channel specifics (URL, folder…)

    is_automated: Mapped[bool] = mapped_column(Boolean, default=False)
    automated_reason: Mapped[str | None] = mapped_column(String(200))

    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    ingested_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)

    # Pipeline state and lease (see shared.pipeline).
    state: Mapped[State] = mapped_column(String(20), default=State.received)
    state_changed_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    lease_owner: Mapped[str | None] = mapped_column(String(200))
    lease_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    failed_stage: Mapped[str | None] = mapped_column(String(20))
    error: Mapped[str | None] = mapped_column(Text)

    attachments: Mapped[list[Attachment]] = relationship(
        back_populates="message", cascade="all, delete-orphan", lazy="selectin"
    )


class PendingAck(IdMixin, CreatedMixin, Base):
    """A stored message its source has not been told about yet (IMAP: \\Seen or MOVE still owed).

    Written in the transaction that stores the message and removed once the source
    has it, so a connection lost between the commit and the acknowledgement only
    delays it to the next poll.
    """

    __tablename__ = "ingest_pending_acks"
    __table_args__ = (UniqueConstraint("connector", "feed", "uidvalidity", "uid"),)

    connector: Mapped[str] = mapped_column(String(200))
    feed: Mapped[str] = mapped_column(String(400))  # the IMAP folder
    # IMAP UIDs and UIDVALIDITY are unsigned 32-bit: beyond a signed INTEGER.
    uidvalidity: Mapped[int] = mapped_column(BigInteger)
    uid: Mapped[int] = mapped_column(BigInteger)
    action: Mapped[str] = mapped_column(String(20))  # the after_store owed: seen, move


class Attachment(IdMixin, Base):
    __tablename__ = "attachments"

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    filename: Mapped[str] = mapped_column(String(400), default="")
    content_type: Mapped[str] = mapped_column(String(200), default="application/octet-stream")
    size: Mapped[int] = mapped_column(Integer, default=0)
    content: Mapped[bytes | None] = mapped_column(LargeBinary)  # kept up to a configured cap
    content_truncated: Mapped[bool] = mapped_column(Boolean, default=False)

    message: Mapped[Message] = relationship(back_populates="attachments")


class Classification(IdMixin, CreatedMixin, Base):
    """One scoring of a message by one model version (re-scoring adds a row)."""

    __tablename__ = "classifications"

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    model_version: Mapped[str] = mapped_column(String(100))
    score: Mapped[float] = mapped_column(Float)
    threshold: Mapped[float] = mapped_column(Float)
    flagged: Mapped[bool] = mapped_column(Boolean)
    band: Mapped[str] = mapped_column(String(16))  # high, possible, none
    language: Mapped[str | None] = mapped_column(String(8))
    # [{"text": "...", "start": 12, "end": 40, "weight": 0.7}], offsets into Message.text.
    phrases: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    # [{"department": "Afval", "score": 0.61}], best first.
    department_hints: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)


class FeedbackLabel(IdMixin, CreatedMixin, Base):
    """A person's verdict on a message, used to retrain the classifier."""

    __tablename__ = "feedback_labels"

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), index=True)
    label: Mapped[bool] = mapped_column(Boolean)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    source: Mapped[str] = mapped_column(String(40), default="review")  # review, bulk, import
    used_in_model: Mapped[str | None] = mapped_column(String(100))


class ModelVersion(IdMixin, CreatedMixin, Base):
    """A trained classifier and whether it is the one in use; switches are recorded."""

    __tablename__ = "model_versions"

    version: Mapped[str] = mapped_column(String(100), unique=True)
    path: Mapped[str] = mapped_column(String(1000))
    metrics: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    active: Mapped[bool] = mapped_column(Boolean, default=False)
    activated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    note: Mapped[str] = mapped_column(Text, default="")
