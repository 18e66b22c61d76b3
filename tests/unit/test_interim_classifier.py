"""The interim lexicon rule: flags cue phrases and reports exactly which matched."""

from __future__ import annotations

from services.classifier import interim


def test_repeated_contact_in_dutch_is_flagged_with_its_phrase() -> None:
    verdict = interim.score("Dit is de derde keer dat ik bel en nog steeds geen antwoord.")
    assert verdict.flagged and verdict.band == "high"
    assert [p["text"] for p in verdict.phrases] == ["derde keer", "nog steeds geen", "geen antwoord"]


def test_explicit_english_complaint_is_flagged() -> None:
    assert interim.score("I want to file a complaint, this is unacceptable.").flagged


def test_a_neutral_report_is_not_flagged() -> None:
    verdict = interim.score("De lantaarnpaal bij huisnummer 12 is kapot.")
    assert not verdict.flagged and verdict.band == "none" and verdict.phrases == []


def test_phrase_offsets_point_into_the_text() -> None:
    text = "Hallo, ik ben ontevreden."
    (phrase,) = interim.score(text).phrases
    assert text[phrase["start"] : phrase["end"]] == "ontevreden"
