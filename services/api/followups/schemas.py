"""What `GET /api/v1/followups/due` answers."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class DueOut(BaseModel):
    follow_up_id: int
    signal_id: int
    reference: str
    subject: str
    kind: str = Field(description="informal or formal")
    status: str
    due_at: dt.datetime
    extended: bool
    overdue: bool
    department: str | None
    handler: str | None


class DueList(BaseModel):
    total: int
    overdue: int
    page: int
    per_page: int
    items: list[DueOut]
    linked_to_handler: bool = Field(
        default=True, description="False for a handler account no handler record is linked to"
    )
