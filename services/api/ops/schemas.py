"""What the ops endpoints answer (`/api/v1/ops/...`)."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, Field

ItemState = Literal["failed", "quarantined"]


class StateCount(BaseModel):
    state: str
    count: int = Field(description="Messages in this state now")
    changed_last_hour: int = Field(description="Messages that entered this state in the last hour")


class PipelineOut(BaseModel):
    checked_at: dt.datetime
    states: list[StateCount]
    processed_last_hour: int = Field(description="Messages a stage finished with in the last hour")


class ItemOut(BaseModel):
    id: int
    reference: str
    source: str
    channel: str
    state: str
    stage: str | None = Field(description="The stage it failed in (none for quarantined input)")
    error: str | None = Field(description="The error's last line; no message content")
    detail: str | None = Field(description="The full error with its traceback")
    attempts: int
    since: dt.datetime


class ItemPage(BaseModel):
    state: ItemState
    total: int
    page: int
    per_page: int
    items: list[ItemOut]


class RetryResult(BaseModel):
    moved: int = Field(description="Items put back in their stage's input state")


class SourceHours(BaseModel):
    source: str
    counts: list[int] = Field(description="Messages received per hour, oldest first")


class HourlyOut(BaseModel):
    hours: list[str] = Field(description="UTC hours 'YYYY-MM-DD HH:00', oldest first (last 24)")
    sources: list[SourceHours]


class ClassifierOut(BaseModel):
    version: str
    origin: Literal["database", "model folder", "interim"] = Field(
        description="Activated in the database, the configured model folder, or the interim lexicon rule"
    )
    activated_at: dt.datetime | None
    threshold: float | None
    metrics: dict[str, Any] = Field(description="As recorded at training (held-out set, cross-validation)")
    scored_last_24h: dict[str, int] = Field(description="Messages scored in the last 24 h, per model version")
