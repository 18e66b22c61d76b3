"""Routing explanations without a database: parts rendered in Dutch and English, old rows kept."""

from __future__ import annotations

import string

import pytest

from services.router import explain

RULE = explain.part(
    "route.rule",
    rule="afval",
    description="Afval naar Afval.",
    department="Afval",
    conditions=[
        explain.part("condition.keywords", keyword="container"),
        explain.part("condition.channel", channel="webform"),
    ],
)
HANDLER = explain.part("route.handler", handler="Anna Smit", load=2, capacity=10)


def _placeholders(template: explain.Template) -> set[str]:
    forms = template if isinstance(template, explain.Plural) else (template,)
    return {name for form in forms for _, name, _, _ in string.Formatter().parse(form) if name}


@pytest.mark.parametrize("key", sorted(explain.TEMPLATES))
def test_every_part_has_dutch_and_english_words_with_the_same_placeholders(key: str) -> None:
    dutch, english = explain.TEMPLATES[key]
    assert _placeholders(dutch) == _placeholders(english)


def test_the_same_parts_render_in_dutch_and_in_english() -> None:
    assert explain.render([RULE, HANDLER], "nl") == (
        "Regel 'afval' (Afval naar Afval.) is van toepassing: het bericht bevat 'container'; "
        "het kanaal is webformulier. Doorgestuurd naar Afval. Behandelaar: Anna Smit, de minst "
        "belaste beschikbare (2 van 10 open opvolgingen)."
    )
    assert explain.render([RULE, HANDLER], "en") == (
        "Rule 'afval' (Afval naar Afval.) matched: the message contains 'container'; the channel is "
        "webform. Sent to Afval. Handler: Anna Smit, the least loaded available (2 of 10 open follow-ups)."
    )


def test_an_unknown_language_reads_in_dutch() -> None:
    assert explain.render([HANDLER], "de") == explain.render([HANDLER], "nl")


def test_scores_use_a_decimal_comma_in_dutch_and_a_point_in_english() -> None:
    hint = [explain.part("route.hint", department="Parkeren", score=0.8, threshold=0.6)]
    assert "zekerheid 0,80 (drempel 0,60)" in explain.render(hint, "nl")
    assert "confidence 0.80 (threshold 0.60)" in explain.render(hint, "en")


def test_counts_of_handlers_passed_over_agree_in_number_in_dutch() -> None:
    def waits(count: int) -> str:
        passed = [explain.part("passed.language", count=count, language="tr")]
        return explain.render([explain.part("route.waits", department="Afval", passed_over=passed)], "nl")

    assert "(1 spreekt geen 'tr')" in waits(1) and "(2 spreken geen 'tr')" in waits(2)


def test_a_waiting_time_is_shown_in_amsterdam_time() -> None:
    waited = explain.part(
        "route.waited",
        department="Afval",
        since="2026-11-29T09:30:00+00:00",
        handler="Anna Smit",
        load=0,
        capacity=5,
    )
    assert explain.render([waited], "en").startswith("Waited in the queue of Afval since 29-11-2026 10:30;")


def test_a_reassignment_note_is_kept_verbatim_and_ends_one_sentence() -> None:
    with_note = explain.part(
        "manual.to_handler", actor="fo", handler="Bram Visser", note="Bram kent de buurt."
    )
    without = explain.part("manual.to_queue", actor="fo", department="Afval", note="")
    assert explain.render([with_note, without], "en") == (
        "Reassigned by fo to Bram Visser: Bram kent de buurt. Reassigned by fo to the waiting queue of Afval."
    )
    assert (
        explain.render([with_note], "nl") == "Opnieuw toegewezen door fo aan Bram Visser: Bram kent de buurt."
    )


def test_an_assignment_without_explanation_shows_its_stored_reason() -> None:
    stored = "Handler: Anna Smit, the least loaded available (2 of 10 open follow-ups)."
    assert explain.describe([], "nl", fallback=stored) == stored


def test_an_explanation_this_version_cannot_read_shows_the_stored_reason() -> None:
    unknown = [{"key": "route.something_new", "params": {}}]
    assert explain.describe(unknown, "en", fallback="Opgeslagen reden.") == "Opgeslagen reden."


def test_a_part_with_an_unknown_key_is_refused_when_written() -> None:
    with pytest.raises(explain.UnknownPart):
        explain.part("route.typo")
