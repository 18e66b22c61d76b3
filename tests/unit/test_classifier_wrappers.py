"""Wrapper stripping (greeting, sign-off, signature, disclaimer, quoted and forwarded mail) keeps offsets."""

from __future__ import annotations

import pytest

from services.classifier import wrappers

LONG_NEUTRAL = """Beste meneer/mevrouw,

Ik heb op 3 maart een vraag gesteld over mijn huurtoeslag. Kunt u mij laten weten wanneer ik iets hoor?

Met vriendelijke groet,
Jan Jansen
Kerkstraat 12
1234 AB Utrecht
06-12345678

Dit bericht is uitsluitend bestemd voor de geadresseerde. Aan dit bericht kunnen geen rechten worden ontleend.

Op 3 mrt. 2026 om 10:12 schreef Gemeente Utrecht <info@example.nl>:
> Geachte heer Jansen,
> Wij hebben uw klacht ontvangen en betreuren de vertraging.
"""


def test_greeting_signoff_signature_disclaimer_and_quote_are_left_out() -> None:
    view = wrappers.own_text(LONG_NEUTRAL)
    assert view.text == (
        "Ik heb op 3 maart een vraag gesteld over mijn huurtoeslag. "
        "Kunt u mij laten weten wanneer ik iets hoor?"
    )


def test_offsets_in_the_view_map_back_to_the_same_words_in_the_original() -> None:
    text = (
        "Hallo,\n\nEerste alinea met een vraag.\n\nTweede alinea: nog steeds geen antwoord.\n\nGroet,\nAnna"
    )
    view = wrappers.own_text(text)
    for phrase in ("Eerste alinea", "nog steeds geen antwoord", "vraag.", "Tweede"):
        start = view.text.index(phrase)
        original_start, original_end = view.to_original(start, start + len(phrase))
        assert text[original_start:original_end] == phrase


def test_plain_text_is_left_whole() -> None:
    text = "Waarom duurt het zo lang voordat mijn paspoort klaar is?"
    view = wrappers.own_text(text)
    assert view.text == text
    assert not view.stripped
    assert view.to_original(7, 12) == (7, 12)


def test_a_message_that_starts_with_a_forward_keeps_the_forwarded_body() -> None:
    text = (
        "---------- Doorgestuurd bericht ---------\nVan: Piet <piet@example.nl>\nDatum: ma 2 mrt 2026\n"
        "Onderwerp: afval\nAan: <info@example.nl>\n\nDe container is al drie weken niet geleegd.\n"
    )
    assert wrappers.own_text(text).text == "De container is al drie weken niet geleegd."


def test_a_reply_with_too_few_own_words_reads_the_quoted_mail_without_its_headers() -> None:
    text = (
        "zie hieronder.\n\nVan: Piet\nVerzonden: maandag 2 maart\nAan: gemeente\nOnderwerp: afval\n\n"
        "De container is al drie weken niet geleegd, belachelijk.\n"
    )
    view = wrappers.own_text(text)
    assert "belachelijk" in view.text
    assert "Verzonden" not in view.text


def test_quoted_lines_between_own_lines_are_left_out() -> None:
    text = "Ik reageer hieronder op uw vragen.\n> Wat is uw zaaknummer?\nHet zaaknummer is Z-2026-001.\n"
    view = wrappers.own_text(text)
    assert "Wat is uw zaaknummer" not in view.text
    assert "Z-2026-001" in view.text


@pytest.mark.parametrize(
    "text",
    [
        "Met vriendelijke groet aan iedereen die dit leest: ik ben woedend over hoe ik aan de balie "
        "behandeld ben en ik wil dat iemand mij vandaag nog terugbelt.",
        "Dear team, I have been waiting for six weeks and nobody answers my calls or my letters anymore.",
    ],
)
def test_a_long_line_that_starts_like_a_wrapper_is_kept(text: str) -> None:
    assert wrappers.own_text(text).text == text


def test_a_postscript_after_the_sign_off_is_kept() -> None:
    text = (
        "Kunt u mijn aanvraag bevestigen?\n\nGroet,\nAnna\n\nPS: dit is inmiddels de vierde keer dat ik "
        "hierover mail en ik heb nog nooit een antwoord gekregen, dat vind ik echt niet kunnen."
    )
    assert "vierde keer" in wrappers.own_text(text).text


def test_english_sign_off_and_phone_footer_are_left_out() -> None:
    text = (
        "Dear Sir or Madam,\n\nI applied for my residence permit in January. When can I expect a "
        "decision?\n\nKind regards,\nAnna Smith\nSent from my iPhone"
    )
    assert wrappers.own_text(text).text == (
        "I applied for my residence permit in January. When can I expect a decision?"
    )
