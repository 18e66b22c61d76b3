"""What the signals API reads and returns."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal
from urllib.parse import urlencode

from pydantic import BaseModel, Field, field_validator

from services.api.bodies import Checked
from services.api.deps import MAX_ID
from services.router import explain
from shared import states

SortKey = Literal["newest", "oldest", "score", "due"]
Verdict = Literal["confirm", "dismiss"]
STATUSES = tuple(states.SignalStatus)
BANDS = ("high", "possible", "unreadable")
CHANNELS = ("email", "webform", "social", "webhook")


class SignalFilter(Checked):
    """The queue's filters, shared by the page and `GET /api/v1/signals` (no NUL: `q` goes to SQL)."""

    status: Literal["new", "confirmed", "dismissed"] | None = None
    band: Literal["high", "possible", "unreadable"] | None = None
    channel: str | None = Field(default=None, max_length=32)
    language: str | None = Field(default=None, max_length=8)
    department_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    handler_id: int | None = Field(default=None, ge=1, le=MAX_ID)
    q: str | None = Field(
        default=None, max_length=200, description="Words to find in subject, text, sender or reference"
    )
    sort: SortKey = "newest"
    page: int = Field(default=1, ge=1, le=100_000)
    per_page: int = Field(default=50, ge=1, le=200)

    @field_validator("*", mode="before")
    @classmethod
    def _empty_is_unset(cls, value: Any) -> Any:
        # A form's "all" option sends an empty value.
        return None if value == "" else value

    def query_string(self, **changes: Any) -> str:
        """The filters as a URL query (empty values left out), with `changes` applied."""
        values = {**self.model_dump(), **changes}
        return urlencode({k: v for k, v in values.items() if v not in (None, "")})


class SignalRead(BaseModel):
    id: int
    reference: str
    status: str
    band: str
    score: float
    channel: str
    language: str | None
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
    counts: dict[str, int] = Field(description="Signals per status under the other filters")


class Phrase(BaseModel):
    """A phrase that drove the score, with offsets into the message's `field` (usually its text)."""

    text: str
    start: int
    end: int
    weight: float | None = None
    field: str = "text"


class ClassificationRead(BaseModel):
    model_version: str
    score: float
    threshold: float
    band: str
    language: str | None
    phrases: list[Phrase]


class ExplanationPart(BaseModel):
    """One part of a routing explanation; `services.router.explain` has its words in Dutch and English."""

    key: str = Field(description="What the part says, e.g. route.rule, route.handler, route.waits")
    params: dict[str, Any] = Field(description="The names and numbers the part's sentence fills in")


class AssignmentRead(BaseModel):
    rule: str
    reason: str = Field(description="Why, as a sentence in the organisation's language (Dutch)")
    explanation: list[ExplanationPart] = Field(
        default_factory=list, description="Why, as parts to render in any language; empty on old assignments"
    )
    department: str | None
    handler: str | None
    assigned_by: str
    created_at: dt.datetime

    def reason_in(self, language: str) -> str:
        """Why, in `language` (the staff UI's); assignments from before explanations keep their sentence."""
        parts = [p.model_dump() for p in self.explanation]
        return explain.describe(parts, language, fallback=self.reason)


class AttachmentRead(BaseModel):
    filename: str
    content_type: str
    size: int


class AuditRead(BaseModel):
    at: dt.datetime
    actor: str
    action: str
    detail: dict[str, Any]


class RelatedSignal(BaseModel):
    """Another signal linked to this one: same sender, or same problem."""

    id: int
    reference: str
    subject: str
    status: str
    created_at: dt.datetime


class Related(BaseModel):
    persistent_contact: bool = Field(description="The sender is in persistent contact (many signals lately)")
    same_sender: list[RelatedSignal] = Field(description="Other signals from the same sender, oldest first")
    group_label: str | None = Field(description="The same-problem group this signal belongs to, if any")
    same_problem: list[RelatedSignal] = Field(description="Other signals in that group, oldest first")


class SignalDetail(SignalRead):
    text: str
    quoted_text: str
    has_html: bool
    sender_name: str
    sender_address: str
    received_at: dt.datetime
    classification: ClassificationRead | None
    assignment: AssignmentRead | None
    attachments: list[AttachmentRead]
    audit: list[AuditRead]
    related: Related


class BulkVerdict(Checked):
    verdict: Verdict
    ids: list[Annotated[int, Field(ge=1, le=MAX_ID)]] = Field(min_length=1, max_length=200)


class VerdictResult(BaseModel):
    updated: list[int] = Field(description="The signals whose status changed")
