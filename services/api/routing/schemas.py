"""What the routing API reads and returns; the write models reuse the YAML config's validation."""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from services.api.deps import MAX_ID
from services.api.signals.schemas import ExplanationPart
from shared import config

# Creating takes the same fields as the YAML file, validated the same way.
DepartmentCreate = config.Department


class DepartmentUpdate(config.Strict):
    description: str | None = None
    keywords: list[str] | None = None
    lead_email: EmailStr | None = None
    mailbox: EmailStr | None = None
    followup_days: int | None = Field(default=None, ge=1, le=30)


class DepartmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    name: str
    description: str
    keywords: list[str]
    lead_email: str | None
    mailbox: str | None
    followup_days: int
    is_default: bool


class HandlerCreate(config.Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    departments: list[str] = Field(min_length=1, description="Department names")
    capacity: int = Field(default=10, ge=0, le=10_000)
    languages: list[str] = Field(default=["nl"], min_length=1)
    user_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The staff account that acts as this handler"
    )

    @field_validator("languages")
    @classmethod
    def _lower(cls, languages: list[str]) -> list[str]:
        return [language.strip().lower() for language in languages]


class HandlerUpdate(config.Strict):
    name: str | None = Field(default=None, min_length=1, max_length=200)
    departments: list[str] | None = Field(default=None, min_length=1)
    capacity: int | None = Field(default=None, ge=0, le=10_000)
    languages: list[str] | None = Field(default=None, min_length=1)
    active: bool | None = None
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID)

    @field_validator("languages")
    @classmethod
    def _lower(cls, languages: list[str] | None) -> list[str] | None:
        return None if languages is None else [language.strip().lower() for language in languages]


class HandlerRead(BaseModel):
    id: int
    name: str
    email: str
    departments: list[str]
    capacity: int
    languages: list[str]
    active: bool
    user_id: int | None
    open_follow_ups: int
    absent_today: bool


class AbsenceCreate(config.Absence):
    @model_validator(mode="after")
    def _ends_after_start(self) -> AbsenceCreate:
        if self.end < self.start:
            raise ValueError(f"the absence ends ({self.end}) before it starts ({self.start})")
        return self


class AbsenceRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    handler_id: int
    start: dt.date
    end: dt.date


class RuleWrite(config.Rule):
    """A rule as in the YAML file, plus its place in the order and whether it is used."""

    position: int | None = Field(default=None, ge=0, description="Lower goes first; default: last")
    enabled: bool = True


class RuleRead(BaseModel):
    id: int
    position: int
    name: str
    description: str
    department: str
    conditions: dict[str, Any]
    enabled: bool


class Reassign(config.Strict):
    department_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="Default: the signal's current department"
    )
    handler_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="None: the department's waiting queue"
    )
    note: str = Field(default="", max_length=2000)


class AssignmentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    signal_id: int
    department_id: int | None
    handler_id: int | None
    rule: str
    reason: str = Field(description="Why, as a sentence in the organisation's language (Dutch)")
    explanation: list[ExplanationPart] = Field(
        default_factory=list, description="Why, as parts to render in any language; empty on old assignments"
    )
    assigned_by: str
    created_at: dt.datetime


class WaitingRead(BaseModel):
    signal_id: int
    reference: str
    department: str
    waiting_since: dt.datetime
    reason: str = Field(description="Why nobody could take it, from the newest assignment (Dutch)")
    explanation: list[ExplanationPart] = Field(
        default_factory=list,
        description="The same as parts to render in any language; empty on old assignments",
    )


class FollowUpRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    signal_id: int
    kind: str
    status: str
    due_at: dt.datetime
    extended: bool
    closed_at: dt.datetime | None
    created_at: dt.datetime


class EventCreate(config.Strict):
    kind: Literal["phone", "email", "visit", "note"]
    note: str = Field(default="", max_length=10_000)


class Transition(EventCreate):
    to: Literal["contacted", "resolved", "formal", "not_a_complaint"]


class Extension(config.Strict):
    note: str = Field(min_length=1, max_length=10_000, description="Why: the citizen must be told")


class EventRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    follow_up_id: int
    kind: str
    note: str
    actor: str
    from_status: str | None
    to_status: str | None
    created_at: dt.datetime
