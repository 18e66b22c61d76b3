"""notifications patterns: router notifications, persistent contact, same-problem groups

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 02:30:00

Schema changes for this area go here (empty if it needs none).
"""

from __future__ import annotations

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
