"""ingest pending acks: stored IMAP mail whose \\Seen or MOVE is still owed to the server

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-02 12:00:00

A connection lost between the commit and the acknowledgement left that batch unread
and unmoved for good; the rows here are retried on the next poll.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None

# A frozen copy of shared.models.base.BigId, so this file never changes meaning.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    op.create_table(
        "ingest_pending_acks",
        sa.Column("connector", sa.String(length=200), nullable=False),
        sa.Column("feed", sa.String(length=400), nullable=False),
        sa.Column("uidvalidity", sa.BigInteger(), nullable=False),
        sa.Column("uid", sa.BigInteger(), nullable=False),
        sa.Column("action", sa.String(length=20), nullable=False),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_ingest_pending_acks")),
        sa.UniqueConstraint(
            "connector",
            "feed",
            "uidvalidity",
            "uid",
            name=op.f("uq_ingest_pending_acks_connector_feed_uidvalidity_uid"),
        ),
    )


def downgrade() -> None:
    op.drop_table("ingest_pending_acks")
