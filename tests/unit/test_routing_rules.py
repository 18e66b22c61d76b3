"""Routing rules without a database: conditions, reasons in words, regex guards, config validation."""

from __future__ import annotations

import time
from typing import Any

import pytest

from services.router import explain, rules
from shared.config import OrganisationConfig, load_config
from shared.exceptions import ConfigError


def facts(**overrides: Any) -> rules.Facts:
    values: dict[str, Any] = {
        "channel": "email",
        "subject": "Klacht",
        "text": "De containers in onze straat worden niet geleegd.",
        "sender": "burger@mail.example.nl",
        "language": "nl",
        "band": "high",
        "hints": [{"department": "Afval", "score": 0.7}, {"department": "Parkeren", "score": 0.2}],
    }
    values.update(overrides)
    return rules.Facts(**values)


def rule(**conditions: Any) -> rules.ConfiguredRule:
    return rules.ConfiguredRule(
        name="test", description="", department_id=1, department="Afval", conditions=conditions
    )


def test_a_keyword_matches_the_start_of_a_word_case_and_accent_insensitively() -> None:
    assert rule(keywords=["Container"]).check(facts()) == [
        explain.part("condition.keywords", keyword="Container")
    ]
    assert rule(keywords=["ééntje"]).check(facts(text="Nog eentje dan.")) is not None
    assert rule(keywords=["tainer"]).check(facts()) is None


def test_every_condition_must_hold_and_each_is_explained() -> None:
    both = rule(channel=["email"], sender_domain=["example.nl"])
    because = both.check(facts())
    assert because == [
        explain.part("condition.channel", channel="email"),
        explain.part("condition.sender_domain", domain="mail.example.nl"),
    ]
    assert both.check(facts(channel="webform")) is None


def test_a_rule_without_conditions_matches_and_says_it_takes_every_signal() -> None:
    assert rule().check(facts()) == [explain.part("condition.any")]


def test_a_sender_domain_does_not_match_a_lookalike_domain() -> None:
    assert rule(sender_domain=["example.nl"]).check(facts(sender="x@notexample.nl")) is None


def test_the_department_hint_condition_looks_at_the_best_hint() -> None:
    assert rule(department_hint="afval").check(facts()) is not None
    assert rule(department_hint="Parkeren").check(facts()) is None


def test_a_catastrophic_regex_gives_up_quickly_and_does_not_match() -> None:
    started = time.perf_counter()
    assert rules.regex_search(r"(a+)+$", "a" * 5000 + "!") is None
    assert time.perf_counter() - started < 2


def test_a_regex_sees_only_the_first_part_of_a_very_long_text() -> None:
    text = "x" * rules.REGEX_MAX_TEXT + " bezwaar"
    assert rules.regex_search("bezwaar", text) is None


def test_an_invalid_regex_stops_the_configuration_naming_the_field(tmp_path: Any) -> None:
    path = tmp_path / "signaal.yaml"
    path.write_text(
        "departments: [{name: Afval}]\nrules:\n  - {name: kapot, department: Afval, regex: '(afval'}\n"
    )
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "rules[0].regex" in str(error.value) and "not a valid regular expression" in str(error.value)


def test_a_rule_to_an_unknown_department_is_refused() -> None:
    with pytest.raises(ValueError, match=r"rules\[0\].department: unknown department 'Afvl'"):
        OrganisationConfig.model_validate({"rules": [{"name": "x", "department": "Afvl"}]})


def test_rule_names_and_handler_emails_must_be_unique() -> None:
    with pytest.raises(ValueError, match="rules must be unique; repeated: x"):
        OrganisationConfig.model_validate(
            {
                "rules": [
                    {"name": "x", "department": "Frontoffice"},
                    {"name": "x", "department": "Frontoffice"},
                ]
            }
        )
