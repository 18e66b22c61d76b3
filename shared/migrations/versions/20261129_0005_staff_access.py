"""staff access: staff UI access (login throttling, API tokens, review)

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-29 02:30:00

Schema changes for this area go here (empty if it needs none).
"""

from __future__ import annotations

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
