"""What the routing API reads and returns; the write models reuse the YAML config's validation.

Every write model is `bodies.Checked` (no NUL, no out-of-range numbers) and bounds
each field, and a PATCH field without an empty value refuses an explicit null:
stored, such a null broke every later read of the list and routing to the row.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, EmailStr, Field, field_validator, model_validator

from services.api.bodies import Checked, Omittable, omitted
from services.api.deps import MAX_ID
from services.api.signals.schemas import ExplanationPart
from shared import config

Name = Annotated[str, Field(min_length=1, max_length=200)]
Description = Annotated[str, Field(max_length=10_000)]
Keywords = Annotated[list[Annotated[str, Field(max_length=100)]], Field(max_length=200)]
DepartmentNames = Annotated[list[Name], Field(min_length=1, max_length=100, description="Department names")]
# Language codes as messages carry them (`nl`, `en`, `pt-br`).
Languages = Annotated[
    list[Annotated[str, Field(min_length=1, max_length=8)]], Field(min_length=1, max_length=50)
]
FollowupDays = Annotated[int, Field(ge=1, le=30)]
Capacity = Annotated[int, Field(ge=0, le=10_000)]
# Wide enough for any absence worth entering; outside it, date arithmetic (next working day) overflows.
EARLIEST_DATE = dt.date(1990, 1, 1)
LATEST_DATE = dt.date(2200, 12, 31)


class DepartmentCreate(Checked, config.Department):
    """The same fields as a department in the YAML file, validated the same way, and bounded."""

    description: Description = ""
    keywords: Keywords = Field(default_factory=list)


class DepartmentUpdate(Checked, config.Strict):
    description: Omittable[Description] = omitted()
    keywords: Omittable[Keywords] = omitted()
    lead_email: EmailStr | None = Field(default=None, description="null: no lead any more")
    mailbox: EmailStr | None = Field(default=None, description="null: no team mailbox any more")
    followup_days: Omittable[FollowupDays] = omitted()


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


class HandlerCreate(Checked, config.Strict):
    name: Name
    email: EmailStr
    departments: DepartmentNames
    capacity: Capacity = 10
    languages: Languages = Field(default_factory=lambda: ["nl"])
    user_id: int | None = Field(
        default=None, ge=1, le=MAX_ID, description="The staff account that acts as this handler"
    )

    @field_validator("languages")
    @classmethod
    def _lower(cls, languages: list[str]) -> list[str]:
        return [language.strip().lower() for language in languages]


class HandlerUpdate(Checked, config.Strict):
    name: Omittable[Name] = omitted()
    departments: Omittable[DepartmentNames] = omitted()
    capacity: Omittable[Capacity] = omitted()
    languages: Omittable[Languages] = omitted()
    active: Omittable[bool] = omitted()
    user_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="null: no staff account")

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


class AbsenceCreate(Checked, config.Absence):
    start: dt.date = Field(ge=EARLIEST_DATE, le=LATEST_DATE)
    end: dt.date = Field(ge=EARLIEST_DATE, le=LATEST_DATE)

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


class RuleWrite(Checked, config.Rule):
    """A rule as in the YAML file, plus its place in the order and whether it is used."""

    description: Description = ""
    position: int | None = Field(
        default=None, ge=0, le=1_000_000, description="Lower goes first; default: last"
    )
    enabled: bool = True


class RuleRead(BaseModel):
    id: int
    position: int
    name: str
    description: str
    department: str
    conditions: dict[str, Any]
    enabled: bool


class Reassign(Checked, config.Strict):
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


class EventCreate(Checked, config.Strict):
    kind: Literal["phone", "email", "visit", "note"]
    note: str = Field(default="", max_length=10_000)


class Transition(EventCreate):
    to: Literal["contacted", "resolved", "formal", "not_a_complaint"]


class Extension(Checked, config.Strict):
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
