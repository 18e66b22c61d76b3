"""What the signals API reads and returns."""

from __future__ import annotations

import datetime as dt

from pydantic import BaseModel, Field


class SignalFilter(BaseModel):
    status: str | None = Field(default=None, max_length=20)
    band: str | None = Field(default=None, max_length=16)
    channel: str | None = Field(default=None, max_length=32)
    department_id: int | None = None
    q: str | None = Field(default=None, max_length=200, description="Words to find in subject or text")
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)


class SignalRead(BaseModel):
    id: int
    reference: str
    status: str
    band: str
    score: float
    channel: str
    subject: str
    snippet: str
    department: str | None
    handler: str | None
    created_at: dt.datetime
    due_at: dt.datetime | None


class SignalPage(BaseModel):
    items: list[SignalRead]
    total: int
    page: int
    per_page: int
