"""staff access: staff UI access (login throttling, API tokens, review)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:30:00

Schema changes for this area go here (empty if it needs none).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


# Frozen copies of shared.models.base.BigId and of the search expression, so this file never changes meaning.
BIG_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
SEARCH_VECTOR = (
    "to_tsvector('simple'::regconfig, (((subject || ' '::text) || sender_name::text) || ' '::text) || text)"
)


def upgrade() -> None:
    op.create_table(
        "login_throttle",
        sa.Column("key", sa.String(length=300), nullable=False),
        sa.Column("failures", sa.Integer(), nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", BIG_ID, autoincrement=True, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_login_throttle")),
        sa.UniqueConstraint("key", name=op.f("uq_login_throttle_key")),
    )
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.add_column(sa.Column("prefix", sa.String(length=16), nullable=False, server_default=""))
    if op.get_bind().dialect.name == "postgresql":
        # The queue's full-text search; SQLite has no tsvector and searches with LIKE instead.
        op.create_index("ix_messages_search", "messages", [sa.text(SEARCH_VECTOR)], postgresql_using="gin")


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.drop_index("ix_messages_search", table_name="messages")
    with op.batch_alter_table("api_tokens", schema=None) as batch_op:
        batch_op.drop_column("prefix")
    op.drop_table("login_throttle")
