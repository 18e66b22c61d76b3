"""Schemas of what the intake endpoints accept and answer (no tables of their own: they store Messages)."""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, Literal

import phonenumbers
from pydantic import (
    AnyHttpUrl,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    EmailStr,
    Field,
    ValidationInfo,
    field_validator,
)
from pydantic_core import PydanticCustomError

from services.api.bodies import Checked

MESSAGE_MAX_CHARS = 10_000
NAME_MAX_CHARS = 200
SUBJECT_MAX_CHARS = 200
PHONE_REGION = "NL"
# A client-given time outside these bounds is a mistake or an attack: before 1990 nobody wrote to
# us online, and a clock may run ahead a little but not a day. Year 1 with a zone overflowed later.
EARLIEST_WRITTEN_AT = dt.datetime(1990, 1, 1, tzinfo=dt.UTC)
MAX_CLOCK_AHEAD = dt.timedelta(days=1)


def _blank_to_none(value: object) -> object:
    if isinstance(value, str):
        value = value.strip()
        return value or None
    return value


def _strip(value: object) -> object:
    return value.strip() if isinstance(value, str) else value


def _message_text(value: object) -> object:
    # Browsers send a textarea's line breaks as CRLF but count them as one character
    # when showing a limit; count them the way the citizen sees them.
    if isinstance(value, str):
        return value.replace("\r\n", "\n").replace("\r", "\n").strip()
    return value


class SubmissionFields(Checked):
    """What a citizen fills in, the same for the HTML form and the JSON API."""

    model_config = ConfigDict(extra="forbid")

    name: Annotated[str, BeforeValidator(_strip)] = Field(default="", max_length=NAME_MAX_CHARS)
    email: Annotated[EmailStr | None, BeforeValidator(_blank_to_none)] = None
    phone: Annotated[str | None, BeforeValidator(_blank_to_none)] = Field(default=None, max_length=40)
    subject: Annotated[str, BeforeValidator(_strip)] = Field(default="", max_length=SUBJECT_MAX_CHARS)
    message: Annotated[str, BeforeValidator(_message_text)] = Field(
        min_length=1, max_length=MESSAGE_MAX_CHARS
    )

    @field_validator("phone")
    @classmethod
    def _valid_phone(cls, value: str | None) -> str | None:
        """A dialable number in E.164 (+31…); national numbers are read as Dutch."""
        if value is None:
            return None
        try:
            number = phonenumbers.parse(value, PHONE_REGION)
        except phonenumbers.NumberParseException:
            number = None
        if number is None or not phonenumbers.is_valid_number(number):
            raise ValueError("not a valid phone number; write it like 06 12345678 or +31 20 123 4567")
        return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


class AttachmentIn(Checked):
    model_config = ConfigDict(extra="forbid")

    filename: str = Field(min_length=1, max_length=255)
    content_base64: str = Field(description="The file's bytes, base64-encoded (standard alphabet).")
    content_type: str | None = Field(
        default=None, description="Ignored: the server recognises the type from the content."
    )


class WebformRequest(SubmissionFields):
    """`POST /api/v1/intake/webform`: the form's fields, attachments base64-encoded."""

    language: Literal["nl", "en"] | None = None
    attachments: list[AttachmentIn] = Field(default_factory=list, max_length=50)


class Receipt(BaseModel):
    """What the sender gets back: the citizen's reference, and whether this was a repeat."""

    reference: str = Field(examples=["SG-7KQ4-9XMP"])
    duplicate: bool = Field(description="True when this submission was already stored (a retry).")


def _id_text(value: object) -> object:
    return str(value) if isinstance(value, int) and not isinstance(value, bool) else value


class WebhookEvent(Checked):
    """A message another platform forwards to `POST /api/v1/intake/webhook/{source}`.

    Validate with `context={"now": unix_seconds}` to bound `created_at` by that clock (default: now).
    """

    model_config = ConfigDict(extra="forbid")

    id: Annotated[str, BeforeValidator(_id_text)] = Field(
        min_length=1, max_length=400, description="Unique per event at the source; a repeat is stored once."
    )
    text: str = Field(min_length=1, max_length=100_000)
    author: str = Field(default="", max_length=400, description="Display name of the writer.")
    handle: str = Field(default="", max_length=400, description="Account or address, e.g. @name@host.")
    url: AnyHttpUrl | None = Field(default=None, description="Public link to the original.")
    created_at: dt.datetime | None = Field(
        default=None, description="When it was written (ISO 8601): from 1990 to at most a day ahead."
    )
    subject: str = Field(default="", max_length=1000)
    channel: Literal["social", "webhook"] | None = Field(
        default=None, description="Overrides the source's configured channel."
    )
    metadata: dict[str, Any] = Field(default_factory=dict)

    @field_validator("created_at")
    @classmethod
    def _plausible(cls, value: dt.datetime | None, info: ValidationInfo) -> dt.datetime | None:
        """In UTC (a time without a zone is read as UTC), from 1990 to a day ahead of our clock."""
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=dt.UTC)
        now = (info.context or {}).get("now")
        clock = dt.datetime.now(dt.UTC) if now is None else dt.datetime.fromtimestamp(now, dt.UTC)
        # Aware datetimes compare without converting, so `0001-01-01T00:00:00+14:00` cannot overflow here.
        if not EARLIEST_WRITTEN_AT <= value <= clock + MAX_CLOCK_AHEAD:
            raise PydanticCustomError(
                "datetime_out_of_range",
                "must be a time from 1990 up to one day from now (ISO 8601, with its zone)",
            )
        return value.astimezone(dt.UTC)
