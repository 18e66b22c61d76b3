"""routing: router core (rules, handler choice, follow-ups)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 02:30:00

Schema changes for this area go here (empty if it needs none).
"""

from __future__ import annotations

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
