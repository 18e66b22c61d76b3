"""routing: router core (rules, handler choice, follow-ups)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 02:30:00

Signals record since when they wait for a handler; follow-up events record the
state change they made.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.add_column(sa.Column("waiting_since", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index("ix_signals_waiting_since", ["waiting_since"], unique=False)
    with op.batch_alter_table("follow_up_events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("from_status", sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column("to_status", sa.String(length=20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("follow_up_events", schema=None) as batch_op:
        batch_op.drop_column("to_status")
        batch_op.drop_column("from_status")
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_waiting_since")
        batch_op.drop_column("waiting_since")
