"""The organisation's YAML configuration: connectors, departments, handlers, routing rules.

Named by `SIGNAAL_CONFIG`. Validated strictly (unknown keys are errors, so a typo
never silently disables something), and every error names the file and the field.
Connector kinds register their own option models (see `services.ingest.connectors`).
"""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    EmailStr,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from shared.exceptions import ConfigError


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Department(Strict):
    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    keywords: list[str] = []
    lead_email: EmailStr | None = None
    mailbox: EmailStr | None = None
    # Working days within which a citizen should get a personal contact.
    followup_days: int = Field(default=2, ge=1, le=30)


class Absence(Strict):
    start: dt.date
    end: dt.date


class Handler(Strict):
    name: str = Field(min_length=1, max_length=200)
    email: EmailStr
    departments: list[str] = Field(min_length=1)
    # Open follow-ups at most; 0 keeps the handler out of automatic routing.
    capacity: int = Field(default=10, ge=0, le=10_000)
    languages: list[str] = Field(default=["nl"], min_length=1)
    absences: list[Absence] = []

    @field_validator("languages")
    @classmethod
    def _lower_case_languages(cls, languages: list[str]) -> list[str]:
        return [language.strip().lower() for language in languages]

    @field_validator("absences")
    @classmethod
    def _absences_end_after_start(cls, absences: list[Absence]) -> list[Absence]:
        for absence in absences:
            if absence.end < absence.start:
                raise ValueError(f"an absence ends ({absence.end}) before it starts ({absence.start})")
        return absences


# Long patterns are where catastrophic backtracking hides; matching is also time-boxed (router.rules).
REGEX_MAX_PATTERN = 500


class RuleConditions(Strict):
    """What a rule looks at; every condition given must hold, any value in a list will do."""

    channel: list[str] | None = None
    language: list[str] | None = None
    department_hint: str | None = None
    keywords: list[str] | None = None
    regex: str | None = Field(default=None, max_length=REGEX_MAX_PATTERN)
    sender: list[str] | None = None
    sender_domain: list[str] | None = None
    band: list[Literal["high", "possible", "none", "unreadable"]] | None = None

    @field_validator("regex")
    @classmethod
    def _valid_regex(cls, pattern: str | None) -> str | None:
        if pattern is not None:
            check_regex(pattern)
        return pattern

    @field_validator("channel", "language", "sender", "sender_domain")
    @classmethod
    def _lower_case(cls, values: list[str] | None) -> list[str] | None:
        return None if values is None else [v.strip().lower().lstrip("@") for v in values]

    @field_validator("keywords")
    @classmethod
    def _no_empty_keywords(cls, keywords: list[str] | None) -> list[str] | None:
        if keywords is not None and not all(k.strip() for k in keywords):
            raise ValueError("keywords must not be empty")
        return keywords


def check_regex(pattern: str) -> None:
    """ValueError naming the problem when `pattern` does not compile (`regex` module syntax)."""
    import regex

    try:
        regex.compile(pattern)
    except regex.error as exc:
        raise ValueError(f"not a valid regular expression: {exc}") from None


class Rule(RuleConditions):
    """A named routing rule: if every condition given holds, the signal goes to `department`."""

    name: str = Field(min_length=1, max_length=200)
    description: str = ""
    department: str = Field(min_length=1)

    def conditions(self) -> dict[str, Any]:
        """The conditions as stored in the database (only those given)."""
        return self.model_dump(include=set(RuleConditions.model_fields), exclude_none=True)


class Routing(Strict):
    """How the router decides when no rule matches, and how often it retries the waiting queue."""

    # The classifier's department hint decides only at or above this score.
    hint_threshold: float = Field(default=0.5, gt=0, le=1)
    # Seconds between passes that give waiting signals to handlers who became available.
    waiting_check_seconds: float = Field(default=60, ge=1, le=3600)


class ConnectorEntry(BaseModel):
    """Common fields of every connector; each kind validates its own options."""

    model_config = ConfigDict(extra="allow")

    name: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_.:@-]+$")
    kind: str
    enabled: bool = True
    # Fields every kind has but that ingest itself reads; excluded from model_dump(), so a
    # kind's own options model (extra="forbid") never sees them.
    # Send each new sender a receipt email with the reference number (see `receipts`).
    acknowledge: bool = Field(default=False, exclude=True)
    # Health warns when an enabled connector stores nothing for this long.
    quiet_warning_minutes: int = Field(default=60, ge=1, exclude=True)


# What a receipt template may use; {name} and {subject} echo what the sender wrote.
RECEIPT_PLACEHOLDERS = ("reference", "organisation", "name", "subject")


class ReceiptText(Strict):
    """A receipt's subject and body in one language, with {placeholders}."""

    subject: str = Field(min_length=1, max_length=300)
    body: str = Field(min_length=1, max_length=20_000)

    @field_validator("subject", "body")
    @classmethod
    def _known_placeholders(cls, template: str) -> str:
        unknown = sorted(placeholders(template) - set(RECEIPT_PLACEHOLDERS))
        if unknown:
            allowed = ", ".join(f"{{{p}}}" for p in RECEIPT_PLACEHOLDERS)
            raise ValueError(f"unknown placeholder {{{unknown[0]}}}; use {allowed}")
        return template


def placeholders(template: str) -> set[str]:
    """The `{names}` a format template uses; ValueError for a stray brace."""
    try:
        return {name for _, name, _, _ in string.Formatter().parse(template) if name is not None}
    except ValueError as exc:
        raise ValueError(f"not a valid template ({exc}); write a literal brace as {{{{ or }}}}") from None


RECEIPT_NL = ReceiptText(
    subject="Ontvangstbevestiging van uw bericht ({reference})",
    body=(
        "Geachte heer/mevrouw,\n\n"
        "Wij hebben uw bericht goed ontvangen. Uw referentienummer is {reference}.\n"
        "Wilt u dit nummer noemen als u contact met ons opneemt?\n\n"
        "Een medewerker leest uw bericht en neemt persoonlijk contact met u op.\n\n"
        "Dit is een automatisch verstuurde bevestiging.\n\n"
        "Met vriendelijke groet,\n{organisation}\n"
    ),
)
RECEIPT_EN = ReceiptText(
    subject="We have received your message ({reference})",
    body=(
        "Dear Sir or Madam,\n\n"
        "We have received your message. Your reference number is {reference}.\n"
        "Please mention this number whenever you contact us.\n\n"
        "A member of our staff will read your message and contact you personally.\n\n"
        "This confirmation was sent automatically.\n\n"
        "Kind regards,\n{organisation}\n"
    ),
)


class Receipts(Strict):
    """Receipt emails for connectors with `acknowledge: true` (Awb 9:6)."""

    # A sender gets at most one receipt per window, however many messages they send.
    window_hours: float = Field(default=24, gt=0, le=24 * 366)
    # Used unless the channel knows the sender's language (e.g. the English web form).
    language: Literal["nl", "en"] = "nl"
    nl: ReceiptText = RECEIPT_NL
    en: ReceiptText = RECEIPT_EN

    @field_validator("nl", "en")
    @classmethod
    def _gives_the_reference(cls, text: ReceiptText) -> ReceiptText:
        if "reference" not in placeholders(text.body):
            raise ValueError("the body must contain {reference}: the citizen needs their reference number")
        return text


class OrganisationConfig(Strict):
    organisation: str = "Signaal demo"
    default_department: str = "Frontoffice"
    connectors: list[ConnectorEntry] = []
    departments: list[Department] = []
    handlers: list[Handler] = []
    rules: list[Rule] = []
    routing: Routing = Routing()
    receipts: Receipts = Receipts()

    @field_validator("connectors")
    @classmethod
    def _unique_connector_names(cls, connectors: list[ConnectorEntry]) -> list[ConnectorEntry]:
        check_unique([c.name for c in connectors], "connector names")
        return connectors

    @field_validator("departments")
    @classmethod
    def _unique_department_names(cls, departments: list[Department]) -> list[Department]:
        check_unique([d.name for d in departments], "department names")
        return departments

    @model_validator(mode="after")
    def _routing_references(self) -> OrganisationConfig:
        known = {d.name for d in self.departments} | {self.default_department}
        for index, handler in enumerate(self.handlers):
            for name in handler.departments:
                if name not in known:
                    raise ValueError(f"handlers[{index}].departments: unknown department {name!r}")
        for index, rule in enumerate(self.rules):
            if rule.department not in known:
                raise ValueError(f"rules[{index}].department: unknown department {rule.department!r}")
        check_unique([h.email.lower() for h in self.handlers], "handlers")
        check_unique([r.name for r in self.rules], "rules")
        return self


def check_unique(names: list[str], what: str) -> None:
    """ValueError naming every repeated name (`what` says whose names they are)."""
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise ValueError(f"{what} must be unique; repeated: {', '.join(duplicates)}")


def load_config(path: Path | None) -> OrganisationConfig:
    """Load and validate the YAML file; no file means an empty organisation."""
    if path is None:
        return OrganisationConfig()
    try:
        raw: Any = yaml.safe_load(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ConfigError(f"{path}: file not found (set by SIGNAAL_CONFIG)") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{path}: not valid YAML: {exc}") from None
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        raise ConfigError(f"{path}: the top level must be a mapping (organisation, connectors, …)")
    try:
        return OrganisationConfig.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError.invalid(problems(exc), source=str(path)) from None


def problems(exc: ValidationError, *, within: tuple[int | str, ...] = ()) -> list[tuple[str, str]]:
    """Each error as (field path in the file, message); `within` is where the validated part sits."""
    return [(field_path((*within, *error["loc"])), error["msg"]) for error in exc.errors()]


def field_path(loc: tuple[int | str, ...]) -> str:
    """`('handlers', 0, 'email')` → `handlers[0].email`."""
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path or "(top level)"
