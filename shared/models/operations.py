"""Operating Signaal: connector cursors and health, users and tokens, notifications, the audit log."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, ForeignKey, Index, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, CreatedMixin, IdMixin, Json, UTCDateTime, utcnow


class ConnectorCursor(IdMixin, Base):
    """How far a connector has read one of its feeds (IMAP folder UIDs, Mastodon since_id).

    Written in the same transaction as the messages it covers (invariant 1).
    """

    __tablename__ = "connector_cursors"
    __table_args__ = (UniqueConstraint("connector", "feed"),)

    connector: Mapped[str] = mapped_column(String(200))
    feed: Mapped[str] = mapped_column(String(400))  # e.g. folder name, "notifications"
    position: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)


class ConnectorHealth(IdMixin, Base):
    __tablename__ = "connector_health"

    connector: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(20), default="ok")  # ok, degraded, down, disabled
    last_attempt_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_success_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    last_error: Mapped[str | None] = mapped_column(Text)
    last_error_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    consecutive_failures: Mapped[int] = mapped_column(Integer, default=0)
    messages_total: Mapped[int] = mapped_column(Integer, default=0)
    last_message_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    warnings: Mapped[list[str]] = mapped_column(Json, default=list)


class User(IdMixin, CreatedMixin, Base):
    __tablename__ = "users"

    username: Mapped[str] = mapped_column(String(150), unique=True)
    display_name: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))  # argon2
    role: Mapped[str] = mapped_column(String(20))  # frontoffice, handler, ops, admin
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    last_login_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class ApiToken(IdMixin, CreatedMixin, Base):
    __tablename__ = "api_tokens"

    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(200))
    token_hash: Mapped[str] = mapped_column(String(128), unique=True)  # sha256 of the token
    # The token's first characters, so people can tell tokens apart without seeing them again.
    prefix: Mapped[str] = mapped_column(String(16), default="")
    last_used_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class StaffSession(IdMixin, CreatedMixin, Base):
    """A browser login, named by the signed cookie; revoking it ends that login at once.

    Only a hash of the session id is stored, so a copy of the table opens no sessions.
    """

    __tablename__ = "staff_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), unique=True)  # sha256 of the cookie's session id
    user_id: Mapped[int] = mapped_column(BigId, ForeignKey("users.id", ondelete="CASCADE"), index=True)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    expires_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    revoked: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginThrottle(IdMixin, Base):
    """Failed logins per username and per client address, shared by every API process."""

    __tablename__ = "login_throttle"

    key: Mapped[str] = mapped_column(String(300), unique=True)  # "user:<name>" or "ip:<address>"
    failures: Mapped[int] = mapped_column(Integer, default=0)
    last_failure_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    locked_until: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class Notification(IdMixin, CreatedMixin, Base):
    """An outgoing email (receipt, assignment, digest, escalation): an outbox row, retried until sent."""

    __tablename__ = "notifications"
    __table_args__ = (
        Index("ix_notifications_status_next", "status", "next_attempt_at"),
        # Receipts look up "did this sender get one within the window?" for every new message.
        Index("ix_notifications_recipient_kind_created", "recipient", "kind", "created_at"),
    )

    kind: Mapped[str] = mapped_column(String(40))
    recipient: Mapped[str] = mapped_column(String(320))
    subject: Mapped[str] = mapped_column(Text)
    body: Mapped[str] = mapped_column(Text)
    message_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("messages.id", ondelete="SET NULL"))
    signal_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("signals.id", ondelete="SET NULL"))
    status: Mapped[str] = mapped_column(String(20), default="pending")  # pending, sent, failed
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow)
    last_error: Mapped[str | None] = mapped_column(Text)
    sent_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class AuditEntry(IdMixin, Base):
    """Who changed what, and when; never updated, never deleted by the application."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, index=True)
    actor: Mapped[str] = mapped_column(String(200))  # username or "system:<stage>"
    action: Mapped[str] = mapped_column(String(100))
    object_type: Mapped[str] = mapped_column(String(40))
    object_id: Mapped[int | None] = mapped_column(BigId)
    detail: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
