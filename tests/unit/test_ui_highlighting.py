"""Cutting a message into plain and highlighted runs from the classifier's phrase offsets."""

from __future__ import annotations

from services.api.signals.review import highlighted
from services.api.signals.schemas import Phrase


def phrase(start: int, end: int, field: str = "text") -> Phrase:
    return Phrase(text="", start=start, end=end, field=field)


def test_phrases_become_marked_runs_between_plain_ones() -> None:
    assert highlighted("abcdef", [phrase(1, 3)]) == [("a", False), ("bc", True), ("def", False)]


def test_overlapping_and_touching_phrases_merge_into_one_mark() -> None:
    assert highlighted("abcdefgh", [phrase(4, 6), phrase(1, 3), phrase(2, 4)]) == [
        ("a", False),
        ("bcdef", True),
        ("gh", False),
    ]


def test_offsets_outside_the_text_or_into_the_subject_are_ignored() -> None:
    assert highlighted("abc", [phrase(2, 9), phrase(-1, 2), phrase(0, 1, field="subject")]) == [
        ("abc", False)
    ]


def test_the_runs_always_join_back_into_the_text() -> None:
    text = "Third time I'm asking: still no answer."
    runs = highlighted(text, [phrase(0, 10), phrase(23, 38)])
    assert "".join(piece for piece, _ in runs) == text
