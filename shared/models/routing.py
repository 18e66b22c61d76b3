"""Who handles what: departments, handlers, signals, assignments and follow-ups."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import Boolean, Column, Date, Float, ForeignKey, Index, Integer, String, Table, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from shared.models.base import Base, BigId, CreatedMixin, IdMixin, Json, UTCDateTime, utcnow

handler_departments = Table(
    "handler_departments",
    Base.metadata,
    Column("handler_id", BigId, ForeignKey("handlers.id", ondelete="CASCADE"), primary_key=True),
    Column("department_id", BigId, ForeignKey("departments.id", ondelete="CASCADE"), primary_key=True),
)


class Department(IdMixin, CreatedMixin, Base):
    __tablename__ = "departments"

    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    keywords: Mapped[list[str]] = mapped_column(Json, default=list)
    lead_email: Mapped[str | None] = mapped_column(String(320))
    mailbox: Mapped[str | None] = mapped_column(String(320))
    followup_days: Mapped[int] = mapped_column(Integer, default=2)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)

    handlers: Mapped[list[Handler]] = relationship(
        secondary=handler_departments, back_populates="departments"
    )


class Handler(IdMixin, CreatedMixin, Base):
    __tablename__ = "handlers"

    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(320), unique=True)
    capacity: Mapped[int] = mapped_column(Integer, default=10)
    languages: Mapped[list[str]] = mapped_column(Json, default=lambda: ["nl"])
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    user_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("users.id", ondelete="SET NULL"))
    # Round-robin tie-break: who was picked longest ago goes first.
    last_assigned_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)

    departments: Mapped[list[Department]] = relationship(
        secondary=handler_departments, back_populates="handlers"
    )
    absences: Mapped[list[Absence]] = relationship(back_populates="handler", cascade="all, delete-orphan")


class Absence(IdMixin, Base):
    __tablename__ = "absences"

    handler_id: Mapped[int] = mapped_column(BigId, ForeignKey("handlers.id", ondelete="CASCADE"), index=True)
    start: Mapped[dt.date] = mapped_column(Date)
    end: Mapped[dt.date] = mapped_column(Date)

    handler: Mapped[Handler] = relationship(back_populates="absences")


class RoutingRule(IdMixin, CreatedMixin, Base):
    """An ordered, named rule: if its conditions hold, the signal goes to its department."""

    __tablename__ = "routing_rules"

    position: Mapped[int] = mapped_column(Integer, default=0)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    description: Mapped[str] = mapped_column(Text, default="")
    department_id: Mapped[int] = mapped_column(BigId, ForeignKey("departments.id", ondelete="CASCADE"))
    conditions: Mapped[dict[str, Any]] = mapped_column(Json, default=dict)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)


class SignalGroup(IdMixin, CreatedMixin, Base):
    """Signals from several citizens about the same problem."""

    __tablename__ = "signal_groups"

    label: Mapped[str] = mapped_column(String(400), default="")


class Signal(IdMixin, CreatedMixin, Base):
    """A flagged message that people act on; one per message."""

    __tablename__ = "signals"
    __table_args__ = (
        Index("ix_signals_status_created", "status", "created_at"),
        # The queue, insights and ops pages filter and sort on created_at over every status.
        Index("ix_signals_created_at", "created_at"),
    )

    message_id: Mapped[int] = mapped_column(BigId, ForeignKey("messages.id", ondelete="CASCADE"), unique=True)
    # new → confirmed | dismissed; follow-up progress lives on FollowUp.
    status: Mapped[str] = mapped_column(String(20), default="new")
    band: Mapped[str] = mapped_column(String(16), default="possible")
    score: Mapped[float] = mapped_column(Float, default=0.0)
    department_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("departments.id"), index=True)
    handler_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("handlers.id"), index=True)
    group_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("signal_groups.id", ondelete="SET NULL"))
    persistent_contact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Set while the signal waits in its department's queue for an available handler (never NULL
    # handler without it, unless closed); the router's waiting pass assigns these oldest first.
    waiting_since: Mapped[dt.datetime | None] = mapped_column(UTCDateTime, index=True)
    updated_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, default=utcnow, onupdate=utcnow)

    message: Mapped[Any] = relationship("Message", lazy="joined")
    department: Mapped[Department | None] = relationship(lazy="joined")
    handler: Mapped[Handler | None] = relationship(lazy="joined")


class Assignment(IdMixin, CreatedMixin, Base):
    """Where a signal was sent and why, in words a person understands; the newest one counts."""

    __tablename__ = "assignments"

    signal_id: Mapped[int] = mapped_column(BigId, ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    department_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("departments.id"))
    handler_id: Mapped[int | None] = mapped_column(BigId, ForeignKey("handlers.id"))
    rule: Mapped[str] = mapped_column(String(200))  # rule name, "department-hint", "default", "manual"
    reason: Mapped[str] = mapped_column(Text)  # in the organisation's language (Dutch)
    # The same as parts, [{"key": ..., "params": {...}}], rendered in the reader's language by
    # services.router.explain; empty on rows from before it (those show `reason`).
    explanation: Mapped[list[dict[str, Any]]] = mapped_column(Json, default=list)
    assigned_by: Mapped[str] = mapped_column(String(200), default="system:router")


class FollowUp(IdMixin, CreatedMixin, Base):
    """A personal contact to make (informal) or the formal procedure's deadline."""

    __tablename__ = "follow_ups"
    __table_args__ = (Index("ix_follow_ups_status_due", "status", "due_at"),)

    signal_id: Mapped[int] = mapped_column(BigId, ForeignKey("signals.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(20), default="informal")  # informal, formal
    # open → contacted → resolved | formal | not_a_complaint
    status: Mapped[str] = mapped_column(String(20), default="open")
    due_at: Mapped[dt.datetime] = mapped_column(UTCDateTime)
    extended: Mapped[bool] = mapped_column(Boolean, default=False)
    closed_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)
    escalated_at: Mapped[dt.datetime | None] = mapped_column(UTCDateTime)


class FollowUpEvent(IdMixin, CreatedMixin, Base):
    """Something that happened on a follow-up: a phone call, an email, a note, a state change."""

    __tablename__ = "follow_up_events"

    follow_up_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("follow_ups.id", ondelete="CASCADE"), index=True
    )
    kind: Mapped[str] = mapped_column(String(20))  # phone, email, visit, note, extension
    note: Mapped[str] = mapped_column(Text, default="")
    # Set when the event moved the follow-up on (e.g. open → contacted).
    from_status: Mapped[str | None] = mapped_column(String(20))
    to_status: Mapped[str | None] = mapped_column(String(20))
    actor: Mapped[str] = mapped_column(String(200))
