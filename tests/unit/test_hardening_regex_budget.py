"""One signal's regex rules share one time box of REGEX_TIMEOUT_SECONDS (issue 18, finding 12)."""

from __future__ import annotations

from collections.abc import Callable, Iterator

from services.router import rules


def clock(*readings: float) -> Callable[[], float]:
    """A clock that reads the given seconds, one per call (the last one from then on)."""
    values: Iterator[float] = iter(readings)
    last = [readings[0]]

    def read() -> float:
        last[0] = next(values, last[0])
        return last[0]

    return read


def regex_rule(name: str, pattern: str) -> rules.ConfiguredRule:
    return rules.ConfiguredRule(
        name=name, description="", department_id=1, department="Afval", conditions={"regex": pattern}
    )


def facts(budget: rules.RegexBudget) -> rules.Facts:
    return rules.Facts(
        channel="email",
        subject="Klacht",
        text="bezwaar naheffing 123",
        sender="b@example.nl",
        regex_budget=budget,
    )


def test_the_first_regex_gets_the_whole_documented_box() -> None:
    budget = rules.RegexBudget(clock=clock(50.0))
    assert budget.remaining() == rules.REGEX_TIMEOUT_SECONDS == 0.1


def test_later_regexes_get_what_earlier_ones_left() -> None:
    budget = rules.RegexBudget(clock=clock(50.0, 50.07, 50.1, 51.0))
    assert budget.remaining() == 0.1
    assert abs(budget.remaining() - 0.03) < 1e-9
    assert budget.remaining() == 0.0
    assert budget.remaining() == 0.0  # never negative, never refilled


def test_a_regex_after_the_signals_box_is_spent_counts_as_no_match() -> None:
    spent = rules.RegexBudget(clock=clock(10.0, 10.1))
    assert spent.remaining() == 0.1  # an earlier rule took the box
    assert rules.regex_search("naheffing", "naheffing 123", budget=spent) is None


def test_a_regex_within_the_signals_box_still_matches() -> None:
    budget = rules.RegexBudget(clock=clock(10.0, 10.05))
    assert budget.remaining() == 0.1
    assert rules.regex_search("naheffing", "naheffing 123", budget=budget) == "naheffing"


def test_every_rule_checked_for_one_signal_draws_on_the_same_box() -> None:
    # Readings: rule one starts the box at 0 s; rule two is asked at 0.1 s, when it is spent.
    the_facts = facts(rules.RegexBudget(clock=clock(0.0, 0.1)))
    assert regex_rule("eerste", "bezwaar").check(the_facts) is not None
    assert regex_rule("tweede", "naheffing").check(the_facts) is None


def test_each_signal_gets_a_box_of_its_own() -> None:
    one = rules.Facts(channel="email", subject="", text="x", sender="")
    other = rules.Facts(channel="email", subject="", text="x", sender="")
    assert one.regex_budget is not other.regex_budget
