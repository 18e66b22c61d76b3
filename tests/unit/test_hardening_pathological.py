"""1 MB pathological citizen text gives the right result at every stage (issue 18, finding 3).

These inputs took minutes with the backtracking patterns (40,000 dots: 73 s in
classify; 128 KB of unclosed `<script `: 23 s in ingest). The figures are in
bench/pathological.py; here only the results are checked.
"""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from services.classifier import chunks
from services.classifier import stage as classify_stage
from services.router import rules
from shared import htmltext, mail, mailparts
from shared.models import Message
from shared.settings import Settings

MB = 1_000_000


def fill(unit: str, size: int = MB) -> str:
    return (unit * (size // len(unit) + 1))[:size]


def words(texts: Sequence[str]) -> list[int]:
    return [len(text.split()) for text in texts]


@pytest.mark.parametrize(
    "run", [pytest.param(".", id="dots"), pytest.param("!?", id="!?"), pytest.param("…", id="ellipses")]
)
def test_a_megabyte_of_end_marks_is_one_sentence_between_its_neighbours(run: str) -> None:
    text = "Ik wacht al weken. " + fill(run) + " Nog steeds geen reactie."
    spans = chunks.sentences(text)
    assert spans[0].of(text) == "Ik wacht al weken."
    assert spans[-1].of(text) == "Nog steeds geen reactie."
    assert len(spans) == 3 and spans[1].end - spans[1].start == MB


def test_end_marks_that_never_meet_white_space_end_no_sentence() -> None:
    text = "Eerste zin. Tweede" + fill(".") + "x"
    assert [s.of(text) for s in chunks.sentences(text)] == ["Eerste zin.", text[12:]]


def test_long_runs_of_white_space_and_blank_lines_split_and_strip() -> None:
    text = "Begin." + fill(" \t") + "Midden\n" + fill(" ") + "\n" + fill("\n \n") + "Einde"
    assert [s.of(text) for s in chunks.sentences(text)] == ["Begin.", "Midden", "Einde"]


def test_a_megabyte_of_dots_is_cut_into_windows() -> None:
    text = "Mijn klacht. " + fill(". ")
    windows = chunks.windows(text, 256, words)
    assert len(windows) > 1
    assert windows[0].start == 0 and windows[-1].end == len(text.rstrip())


def test_unclosed_script_tags_do_not_hide_the_text_before_them() -> None:
    html = "<p>Mijn container is niet geleegd.</p>" + fill("<script ", 128 * 1024)
    assert htmltext.html_to_text(html) == "Mijn container is niet geleegd."


def test_a_megabyte_of_unclosed_script_tags_keeps_the_visible_text() -> None:
    html = "<p>Mijn container is niet geleegd.</p>" + fill("<SCRIPT ")
    assert htmltext.html_to_text(html) == "Mijn container is niet geleegd."


def test_closed_scripts_and_styles_are_dropped_however_many() -> None:
    unit = "<script>alert(1)</script><style>p{}</style>"
    html = unit * (MB // len(unit)) + "<p>Zichtbaar</p>"
    assert htmltext.html_to_text(html) == "Zichtbaar"


@pytest.mark.parametrize("tag", ["div", "b", "blockquote"])
def test_deeply_nested_tags_keep_their_text(tag: str) -> None:
    html = "<p>Begin</p>" + fill(f"<{tag}>", 200_000) + "Mijn container is niet geleegd &amp; vol."
    text = htmltext.html_to_text(html)
    assert text.startswith("Begin")
    assert text.endswith("Mijn container is niet geleegd & vol.")


def test_nesting_beyond_the_recursion_limit_keeps_its_text() -> None:
    html = "<div>" * 1500 + "Diep" + "</div>" * 1500 + "<p>Einde</p>"
    assert htmltext.html_to_text(html).split() == ["Diep", "Einde"]


def test_a_megabyte_of_white_space_in_html_collapses() -> None:
    assert htmltext.html_to_text("<p>" + fill(" \n\t") + "Mijn container.</p>") == "Mijn container."


def test_a_megabyte_of_open_angle_brackets_is_text() -> None:
    assert set(htmltext.html_to_text(fill("<"))) == {"<"}


def test_html_beyond_the_cap_is_not_read() -> None:
    html = "<p>Begin</p>" + fill(" ", htmltext.MAX_HTML_CHARS) + "<p>Voorbij de grens</p>"
    assert htmltext.html_to_text(html) == "Begin"


def test_a_mail_with_a_megabyte_of_unclosed_comments_in_auto_submitted_is_automated() -> None:
    raw = ("From: a@example.nl\r\nAuto-Submitted: " + fill("(") + "\r\n\r\nTekst").encode()
    assert mail.parse_email(raw, source="t", dedupe_key="1").is_automated


def test_comments_in_auto_submitted_are_still_ignored() -> None:
    raw = b"From: a@example.nl\r\nAuto-Submitted: no (a person (really))\r\n\r\nTekst"
    assert not mail.parse_email(raw, source="t", dedupe_key="1").is_automated


def test_a_megabyte_long_sender_without_an_address_has_none() -> None:
    name, address = mailparts.parse_address(fill("x"))
    assert address == "" and len(name) == 400


def test_an_address_is_still_found_in_a_broken_from_header() -> None:
    # The stdlib finds nothing in an unclosed comment; the fallback pattern finds the address.
    assert mailparts.parse_address("J. Jansen (j.jansen@example.nl")[1] == "j.jansen@example.nl"


def test_a_megabyte_of_dots_in_a_mail_body_is_stored_as_its_text() -> None:
    body = "Ik wacht al weken" + fill(".")
    raw = ("From: a@example.nl\r\nSubject: Klacht\r\nContent-Type: text/plain\r\n\r\n" + body).encode()
    assert mail.parse_email(raw, source="t", dedupe_key="1").text == body


def test_the_classify_stage_reads_a_bounded_prefix_of_a_long_text() -> None:
    opening = Message(id=1, text="Dit is onacceptabel. " + fill("."), subject="", is_automated=False)
    beyond = Message(
        id=2, text="Goedemorgen. " + fill(".") + " Dit is onacceptabel.", subject="", is_automated=False
    )
    assert classify_stage._scored_text(opening) == opening.text[: classify_stage.MAX_SCORED_CHARS]
    found, missed = classify_stage.ClassifyStage(Settings(model_dir="interim")).prepare([opening, beyond])
    assert found.flagged and found.phrases[0]["text"].lower() == "onacceptabel"
    assert not missed.flagged  # past the cap: not read


def test_a_catastrophic_rule_regex_on_a_megabyte_is_no_match() -> None:
    facts = rules.Facts(channel="email", subject="", text=fill("a" * 5000 + "!"), sender="")
    rule = rules.ConfiguredRule(
        name="r", description="", department_id=1, department="Afval", conditions={"regex": r"(a+)+$"}
    )
    assert rule.check(facts) is None
