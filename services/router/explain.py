"""Why a signal went where it went, as data, and that data in Dutch or English words.

The router records an explanation as a list of parts, `{"key": ..., "params": {...}}`
(`Assignment.explanation`), and `render(parts, language)` turns it into sentences.
These templates live here rather than in the UI's catalogue (`services/api/i18n.py`)
because the router writes records and mails without any request, in the
organisation's language (`Assignment.reason`, the handler's mail), while the UI
renders the same parts again in the reader's language.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

from services.router import mailtexts
from shared import workdays

# The organisation's language: the stored `reason`, the audit trail and the handler's mail use it.
ORGANISATION_LANGUAGE = "nl"
LANGUAGES = ("nl", "en")

Part = dict[str, Any]


class UnknownPart(ValueError):
    """This explanation has a part this version of Signaal cannot put into words."""


class Plural(NamedTuple):
    """A template with a singular and a plural form, chosen by the `count` parameter."""

    one: str
    other: str


Template = str | Plural

# key: (Dutch, English). Placeholders are the part's params, plus `about` (a rule's description in
# brackets) and `note` (a staff note after a colon), which `_values` derives.
TEMPLATES: dict[str, tuple[Template, Template]] = {
    # Department: the first matching rule, else the classifier's hint, else the default team.
    "route.rule": (
        "Regel '{rule}'{about} is van toepassing: {conditions}. Doorgestuurd naar {department}.",
        "Rule '{rule}'{about} matched: {conditions}. Sent to {department}.",
    ),
    "route.hint": (
        "Geen regel van toepassing; de classificatie stelde {department} voor met zekerheid {score} "
        "(drempel {threshold}). Doorgestuurd naar {department}.",
        "No rule matched; the classifier suggested {department} with confidence {score} "
        "(threshold {threshold}). Sent to {department}.",
    ),
    "route.default.no_hint": (
        "Geen regel van toepassing en de classificatie gaf geen afdelingssuggestie. "
        "Doorgestuurd naar het standaardteam {team}.",
        "No rule matched and the classifier gave no department hint. Sent to the default team {team}.",
    ),
    "route.default.below_threshold": (
        "Geen regel van toepassing en de beste afdelingssuggestie, {department} met {score}, lag onder "
        "de drempel {threshold}. Doorgestuurd naar het standaardteam {team}.",
        "No rule matched and the best department hint ({department}, {score}) was below the threshold "
        "{threshold}. Sent to the default team {team}.",
    ),
    "route.default.unknown_department": (
        "Geen regel van toepassing en de voorgestelde afdeling {department} bestaat hier niet. "
        "Doorgestuurd naar het standaardteam {team}.",
        "No rule matched and the suggested department {department} does not exist here. "
        "Sent to the default team {team}.",
    ),
    # A rule's conditions, joined inside "route.rule".
    "condition.channel": ("het kanaal is {channel}", "the channel is {channel}"),
    "condition.language": ("de taal is {language}", "the language is {language}"),
    "condition.band": ("de scoreband is {band}", "the score band is {band}"),
    "condition.sender": ("de afzender staat op de lijst van de regel", "the sender is a listed address"),
    "condition.sender_domain": ("het domein van de afzender is {domain}", "the sender's domain is {domain}"),
    "condition.department_hint": (
        "de beste afdelingssuggestie van de classificatie is {department} ({score})",
        "the classifier's best department hint is {department} ({score})",
    ),
    "condition.keywords": ("het bericht bevat '{keyword}'", "the message contains '{keyword}'"),
    "condition.regex": (
        "het bericht past bij het patroon ('{match}')",
        "the message matches the pattern ('{match}')",
    ),
    "condition.any": (
        "de regel heeft geen voorwaarden en neemt dus elk signaal",
        "it has no conditions, so it takes every signal",
    ),
    # Handler: who got it, who was passed over, or why it waits.
    "route.handler": (
        "Behandelaar: {handler}, de minst belaste beschikbare ({load} van {capacity} open opvolgingen).",
        "Handler: {handler}, the least loaded available ({load} of {capacity} open follow-ups).",
    ),
    "route.conflict": (
        "{handler} wordt in het bericht genoemd (Awb 9:7) en behandelt het dus niet.",
        "{handler} is named in the message (Awb 9:7), so not them.",
    ),
    "route.language_fallback": (
        "Niemand die beschikbaar is spreekt '{language}'.",
        "Nobody available speaks '{language}'.",
    ),
    "route.waits": (
        "Niemand in {department} kan het nu aannemen ({passed_over}); het wacht in de wachtrij van het team.",
        "Nobody in {department} can take it now ({passed_over}); it waits in the team's queue.",
    ),
    "route.waited": (
        "Wachtte sinds {since} in de wachtrij van {department}; {handler} kan het nu aannemen "
        "({load} van {capacity} open opvolgingen).",
        "Waited in the queue of {department} since {since}; {handler} can take it now "
        "({load} of {capacity} open follow-ups).",
    ),
    # Why handlers were passed over, joined inside "route.waits".
    "passed.absent": (
        Plural("{count} vandaag afwezig", "{count} vandaag afwezig"),
        Plural("{count} absent today", "{count} absent today"),
    ),
    "passed.at_capacity": (
        Plural("{count} heeft geen ruimte meer", "{count} hebben geen ruimte meer"),
        Plural("{count} at capacity", "{count} at capacity"),
    ),
    "passed.language": (
        Plural("{count} spreekt geen '{language}'", "{count} spreken geen '{language}'"),
        Plural("{count} not speaking '{language}'", "{count} not speaking '{language}'"),
    ),
    "passed.named": (
        "{handler} wordt in het bericht genoemd (Awb 9:7)",
        "{handler} is named in the message (Awb 9:7)",
    ),
    "passed.no_handlers": (
        "de afdeling heeft geen actieve behandelaars",
        "the department has no active handlers",
    ),
    # Staff and admin actions.
    "manual.to_handler": (
        "Opnieuw toegewezen door {actor} aan {handler}{note}",
        "Reassigned by {actor} to {handler}{note}",
    ),
    "manual.to_queue": (
        "Opnieuw toegewezen door {actor} aan de wachtrij van {department}{note}",
        "Reassigned by {actor} to the waiting queue of {department}{note}",
    ),
    "manual.named": (
        "Let op: {handler} wordt in het bericht genoemd (Awb 9:7).",
        "Note: {handler} is named in the message (Awb 9:7).",
    ),
    "handler.deactivated": (
        "{handler} is niet meer actief; het signaal wacht in de wachtrij van {department}.",
        "{handler} is no longer active; the signal waits in the queue of {department}.",
    ),
    "returned.absent": (
        "{handler} is afwezig tot en met {until}, ook op de termijn van de opvolging ({due}); "
        "het signaal gaat terug naar de wachtrij van {department}.",
        "{handler} is away until {until} inclusive, over the follow-up's due date ({due}); "
        "the signal goes back to the queue of {department}.",
    ),
}

# Values the router records as codes, in words (English keeps the codes staff configure rules with).
_LABELS: dict[str, dict[str, str]] = {"channel": mailtexts.CHANNELS, "band": mailtexts.BANDS}


def part(key: str, **params: Any) -> Part:
    """One part of an explanation; `params` must be JSON values (it is stored as JSON)."""
    if key not in TEMPLATES:
        raise UnknownPart(key)
    return {"key": key, "params": params}


def render(parts: Sequence[Part], language: str) -> str:
    """The explanation as sentences in `language` (Dutch when unknown); UnknownPart if a part isn't known."""
    return " ".join(_sentence(p, language) for p in parts)


def describe(parts: Sequence[Part] | None, language: str, *, fallback: str) -> str:
    """The explanation in `language`, or `fallback` (the stored reason) for rows from before explanations."""
    if not parts:
        return fallback
    try:
        return render(parts, language)
    except (UnknownPart, KeyError, TypeError, ValueError):
        # A row written by a newer or older router must still show something true: its stored sentence.
        return fallback


def _sentence(item: Part, language: str) -> str:
    key, params = item.get("key"), item.get("params") or {}
    if key not in TEMPLATES:
        raise UnknownPart(str(key))
    dutch, english = TEMPLATES[key]
    template = english if language == "en" else dutch
    if isinstance(template, Plural):
        template = template.one if params.get("count") == 1 else template.other
    return template.format(**_values(params, language))


def _values(params: dict[str, Any], language: str) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for name, value in params.items():
        formatter = _FORMATTERS.get(name)
        if formatter is not None:
            values[name] = formatter(value, language)
        elif isinstance(value, float):
            values[name] = _number(value, language)
        else:
            values[name] = value
    description = params.get("description")
    values["about"] = f" ({description})" if description else ""
    note = str(params.get("note") or "").strip()
    values["note"] = (": " + note if note else "") + ("" if note.endswith((".", "!", "?")) else ".")
    return values


def _number(value: float, language: str) -> str:
    text = f"{value:.2f}"
    return text if language == "en" else text.replace(".", ",")


def _since(value: str, language: str) -> str:
    """A stored UTC moment as staff read it: Amsterdam time, day first."""
    moment = dt.datetime.fromisoformat(value)
    moment = moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)  # the router stores UTC
    return moment.astimezone(workdays.AMSTERDAM).strftime("%d-%m-%Y %H:%M")


def _label(kind: str) -> Callable[[Any, str], Any]:
    return lambda value, language: value if language == "en" else _LABELS[kind].get(value, value)


def _joined(value: Sequence[Part], language: str) -> str:
    return "; ".join(_sentence(p, language) for p in value)


_FORMATTERS: dict[str, Callable[[Any, str], Any]] = {
    "since": _since,
    "channel": _label("channel"),
    "band": _label("band"),
    "conditions": _joined,
    "passed_over": _joined,
}
