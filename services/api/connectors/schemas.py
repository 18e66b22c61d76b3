"""What `GET /api/v1/connectors` answers."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field


class ConnectorHealthOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    name: str
    kind: str
    enabled: bool
    status: Literal["ok", "degraded", "down", "disabled"]
    last_attempt_at: dt.datetime | None
    last_success_at: dt.datetime | None
    last_error: str | None = Field(description="Written for ops, e.g. 'login refused for user …'")
    last_error_at: dt.datetime | None
    consecutive_failures: int
    messages_total: int
    messages_last_hour: int
    newest_message_at: dt.datetime | None
    lag_seconds: float | None = Field(description="Age of the newest stored message")
    quarantined: int
    oversized: int
    auth_failing: bool
    warnings: list[str]


class OutboxOut(BaseModel):
    sending_enabled: bool = Field(description="False while SIGNAAL_SMTP_HOST is empty: mail waits")
    smtp_server: str | None
    pending: int
    failed: int
    sent_last_24h: int
    oldest_pending_at: dt.datetime | None
    oldest_pending_age_seconds: float | None
    last_error: str | None
    warnings: list[str]


class ConnectorOverview(BaseModel):
    checked_at: dt.datetime
    connectors: list[ConnectorHealthOut]
    outbox: OutboxOut
