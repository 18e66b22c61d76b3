"""Which department a signal goes to: named rules in order, then the classifier's hint, then the default team.

Mailman-style: each rule has a `name`, a `description` and `check()`, which
returns why it matched (the conditions that held, as `explain` parts) or None.
The first rule that matches decides, and its explanation starts the assignment's.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

import regex
import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.router import explain, names
from services.router.departments import default_department
from shared.models import Department, RoutingRule

log = structlog.get_logger(__name__)

# Backtracking guard: a rule's regex sees at most this much text, and all of a signal's regex rules
# together give up after this long (RegexBudget). Per signal, not per rule: with a box per rule, two
# catastrophic rules held a signal 0.2 s and ten a whole second.
REGEX_MAX_TEXT = 20_000
REGEX_TIMEOUT_SECONDS = 0.1

HINT_RULE = "department-hint"
DEFAULT_RULE = "default-team"


@dataclass
class RegexBudget:
    """The regex time one signal has left: the clock starts at its first regex."""

    seconds: float = REGEX_TIMEOUT_SECONDS
    clock: Callable[[], float] = time.monotonic
    started: float | None = None

    def remaining(self) -> float:
        now = self.clock()
        if self.started is None:
            self.started = now
        return max(0.0, self.seconds - (now - self.started))


@dataclass(frozen=True)
class Facts:
    """What rules look at: the message and the classifier's verdict on it."""

    channel: str
    subject: str
    text: str
    sender: str
    language: str | None = None
    band: str = "possible"
    # [{"department": "Afval", "score": 0.61}], best first.
    hints: Sequence[dict[str, Any]] = field(default_factory=list)
    # Shared by every rule checked for these facts: one signal, one regex time box.
    regex_budget: RegexBudget = field(default_factory=RegexBudget, compare=False, repr=False)

    @property
    def sender_domain(self) -> str:
        return self.sender.rpartition("@")[2].lower() if "@" in self.sender else ""

    @property
    def best_hint(self) -> tuple[str, float] | None:
        if not self.hints:
            return None
        best = max(self.hints, key=lambda h: float(h.get("score", 0)))
        return str(best.get("department", "")), float(best.get("score", 0))


@dataclass(frozen=True)
class Decision:
    department_id: int
    department: str
    rule: str
    explanation: list[explain.Part]


class Rule(Protocol):
    name: str
    description: str

    def check(self, facts: Facts) -> list[explain.Part] | None:
        """Why this rule matches `facts` (one part per condition), or None when it does not."""


@functools.lru_cache(maxsize=256)
def _compiled(pattern: str) -> regex.Pattern[str]:
    return regex.compile(pattern, regex.IGNORECASE)


def regex_search(pattern: str, text: str, *, budget: RegexBudget | None = None) -> str | None:
    """The matched text, or None; a pattern that runs past the budget's time counts as no match."""
    timeout = (budget or RegexBudget()).remaining()
    if timeout <= 0:
        log.warning("routing regex skipped: the signal's regex time is spent; treated as no match")
        return None
    try:
        found = _compiled(pattern).search(text[:REGEX_MAX_TEXT], timeout=timeout)
    except TimeoutError:
        log.warning("routing regex timed out; treated as no match", pattern=pattern[:100])
        return None
    except regex.error:
        # Config and API validate patterns; a row written around them must not fail every signal.
        log.error("invalid routing regex in the database; treated as no match", pattern=pattern[:100])
        return None
    return found.group(0) if found else None


def _keyword(keywords: Sequence[str], text: str) -> str | None:
    """The first keyword found at the start of a word (so 'container' also finds 'containers')."""
    haystack = names.normalise(text)
    for keyword in keywords:
        if " " + names.normalise(keyword).strip() in haystack:
            return keyword
    return None


class ConfiguredRule:
    """A rule from the database: every condition it has must hold."""

    def __init__(
        self, *, name: str, description: str, department_id: int, department: str, conditions: dict[str, Any]
    ) -> None:
        self.name = name
        self.description = description
        self.department_id = department_id
        self.department = department
        self.conditions = conditions

    def check(self, facts: Facts) -> list[explain.Part] | None:
        because: list[explain.Part] = []
        for condition, value in self.conditions.items():
            found = _CONDITIONS[condition](value, facts)
            if found is None:
                return None
            because.append(found)
        return because or [explain.part("condition.any")]


def _in(values: Sequence[str], actual: str | None, name: str) -> explain.Part | None:
    return (
        explain.part(f"condition.{name}", **{name: actual}) if actual and actual.lower() in values else None
    )


def _hint_is(department: str, facts: Facts) -> explain.Part | None:
    best = facts.best_hint
    if best and best[0].lower() == department.lower():
        return explain.part("condition.department_hint", department=best[0], score=best[1])
    return None


def _keywords(keywords: Sequence[str], facts: Facts) -> explain.Part | None:
    found = _keyword(keywords, f"{facts.subject}\n{facts.text}")
    return explain.part("condition.keywords", keyword=found) if found else None


def _regex(pattern: str, facts: Facts) -> explain.Part | None:
    found = regex_search(pattern, f"{facts.subject}\n{facts.text}", budget=facts.regex_budget)
    return explain.part("condition.regex", match=found[:60]) if found is not None else None


def _domain(domains: Sequence[str], facts: Facts) -> explain.Part | None:
    domain = facts.sender_domain
    if any(domain == d or domain.endswith("." + d) for d in domains):
        return explain.part("condition.sender_domain", domain=domain)
    return None


_CONDITIONS: dict[str, Any] = {
    "channel": lambda v, f: _in(v, f.channel, "channel"),
    "language": lambda v, f: _in(v, f.language, "language"),
    "band": lambda v, f: _in(v, f.band, "band"),
    "sender": lambda v, f: explain.part("condition.sender") if f.sender.lower() in v else None,
    "sender_domain": _domain,
    "department_hint": _hint_is,
    "keywords": _keywords,
    "regex": _regex,
}


def configured_rules(session: Session) -> list[ConfiguredRule]:
    """The enabled rules in their order."""
    rows = session.execute(
        select(RoutingRule, Department.name)
        .join(Department, RoutingRule.department_id == Department.id)
        .where(RoutingRule.enabled)
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    return [
        ConfiguredRule(
            name=rule.name,
            description=rule.description,
            department_id=rule.department_id,
            department=department,
            conditions=rule.conditions,
        )
        for rule, department in rows
    ]


def decide(session: Session, facts: Facts, *, hint_threshold: float) -> Decision:
    """The department for `facts`, and which rule or hint decided it and why."""
    for rule in configured_rules(session):
        because = rule.check(facts)
        if because is not None:
            reason = explain.part(
                "route.rule",
                rule=rule.name,
                description=rule.description,
                department=rule.department,
                conditions=because,
            )
            return Decision(rule.department_id, rule.department, rule.name, [reason])
    best = facts.best_hint
    if best and best[1] >= hint_threshold:
        department = session.scalars(select(Department).where(Department.name == best[0])).one_or_none()
        if department is not None:
            reason = explain.part(
                "route.hint", department=department.name, score=best[1], threshold=float(hint_threshold)
            )
            return Decision(department.id, department.name, HINT_RULE, [reason])
    team = default_department(session)
    if best is None:
        reason = explain.part("route.default.no_hint", team=team.name)
    elif best[1] < hint_threshold:
        reason = explain.part(
            "route.default.below_threshold",
            team=team.name,
            department=best[0],
            score=best[1],
            threshold=float(hint_threshold),
        )
    else:
        reason = explain.part("route.default.unknown_department", team=team.name, department=best[0])
    return Decision(team.id, team.name, DEFAULT_RULE, [reason])
