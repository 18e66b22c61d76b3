"""What `GET /api/v1/insights` answers."""

from __future__ import annotations

from pydantic import BaseModel, Field

from services.api.patterns.schemas import ContactOut, GroupOut


class Series(BaseModel):
    name: str
    counts: list[int] = Field(description="Per week, oldest first")


class FlagRate(BaseModel):
    classified: list[int] = Field(description="Messages scored per week")
    flagged: list[int] = Field(description="Of those, flagged as a possible complaint")
    rate: float | None = Field(description="Flagged / classified over all the weeks")


class FirstContact(BaseModel):
    contacted: int = Field(description="Signals of the period with a phone call, email or visit recorded")
    waiting: int = Field(description="Signals of the period still open without one")
    median_hours: float | None = Field(description="Working hours from signal to first contact")
    p90_hours: float | None
    hours_per_day: float = Field(description="Working hours in a working day, to read the hours as days")


class InsightsOut(BaseModel):
    weeks: list[str] = Field(description="Mondays (UTC) of the last 12 weeks, oldest first")
    by_channel: list[Series] = Field(description="Signals per week by channel")
    by_department: list[Series] = Field(description="Signals per week by department")
    flag_rate: FlagRate
    first_contact: FirstContact
    groups: list[GroupOut] = Field(description="Largest same-problem groups of the period")
    persistent_contacts: list[ContactOut]
