"""What the pattern checks keep per signal: the sender's normalised key and the text's vector."""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Boolean, ForeignKey, Index, LargeBinary, String
from sqlalchemy.orm import Mapped, mapped_column

from shared.models.base import Base, BigId, UTCDateTime


class SignalPattern(Base):
    """One row per signal, written when it is routed; `grouped` once the grouping pass placed it."""

    __tablename__ = "signal_patterns"
    __table_args__ = (
        # "Other messages from this sender in the last D days" is one index range.
        Index("ix_signal_patterns_sender_key_received_at", "sender_key", "received_at"),
        # The grouping pass looks for rows it has not placed yet, oldest first.
        Index("ix_signal_patterns_grouped_signal_id", "grouped", "signal_id"),
    )

    signal_id: Mapped[int] = mapped_column(
        BigId, ForeignKey("signals.id", ondelete="CASCADE"), primary_key=True, autoincrement=False
    )
    # Email lower-cased, handle lower-cased, phone as digits; "" when the channel gave no sender.
    sender_key: Mapped[str] = mapped_column(String(400), default="")
    received_at: Mapped[dt.datetime] = mapped_column(UTCDateTime, index=True)
    # L2-normalised float16 text vector (services.router.similarity); kind says how it was made.
    vector: Mapped[bytes | None] = mapped_column(LargeBinary)
    vector_kind: Mapped[str] = mapped_column(String(40))
    grouped: Mapped[bool] = mapped_column(Boolean, default=False)
