"""notifications patterns: router notifications, persistent contact, same-problem groups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:30:00

Notifications need no schema of their own (the outbox has them; a follow-up's
`escalated_at` exists). Patterns keep one row per signal: the sender's normalised
key and the text's vector.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

# Frozen copy of shared.models.base.BigId, so this file never changes meaning.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "signal_patterns",
        sa.Column("signal_id", BIG_ID, autoincrement=False, nullable=False),
        sa.Column("sender_key", sa.String(length=400), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("vector", sa.LargeBinary(), nullable=True),
        sa.Column("vector_kind", sa.String(length=40), nullable=False),
        sa.Column("grouped", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["signal_id"],
            ["signals.id"],
            name=op.f("fk_signal_patterns_signal_id_signals"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("signal_id", name=op.f("pk_signal_patterns")),
    )
    with op.batch_alter_table("signal_patterns", schema=None) as batch_op:
        batch_op.create_index("ix_signal_patterns_grouped_signal_id", ["grouped", "signal_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_signal_patterns_received_at"), ["received_at"], unique=False)
        batch_op.create_index(
            "ix_signal_patterns_sender_key_received_at", ["sender_key", "received_at"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("signal_patterns", schema=None) as batch_op:
        batch_op.drop_index("ix_signal_patterns_sender_key_received_at")
        batch_op.drop_index(batch_op.f("ix_signal_patterns_received_at"))
        batch_op.drop_index("ix_signal_patterns_grouped_signal_id")
    op.drop_table("signal_patterns")
