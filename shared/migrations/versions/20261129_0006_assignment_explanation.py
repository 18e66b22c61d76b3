"""assignment explanation: routing explanations as parts, rendered in the reader's language

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 03:30:00

Assignments keep their sentence (`reason`) and gain `explanation`, the same as a
list of `{"key", "params"}` parts. Existing rows get an empty list: the UI shows
their stored sentence.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql, sqlite

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

# Frozen copy of shared.models.base.Json, so this file never changes meaning.
JSON = sa.JSON().with_variant(postgresql.JSONB(), "postgresql").with_variant(sqlite.JSON(), "sqlite")


def upgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        # The server default fills existing rows; new rows get theirs from the model.
        batch_op.add_column(sa.Column("explanation", JSON, nullable=False, server_default="[]"))


def downgrade() -> None:
    with op.batch_alter_table("assignments", schema=None) as batch_op:
        batch_op.drop_column("explanation")
