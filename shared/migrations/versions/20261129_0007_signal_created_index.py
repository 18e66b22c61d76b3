"""signal created index: the queue, insights and ops pages filter and sort signals by created_at

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 05:00:00

`ix_signals_status_created` leads with `status`, so it does not serve a filter or sort
on `created_at` alone (a date range over every status, newest first).
"""

from __future__ import annotations

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.create_index("ix_signals_created_at", ["created_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("signals", schema=None) as batch_op:
        batch_op.drop_index("ix_signals_created_at")
