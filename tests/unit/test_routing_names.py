"""Awb 9:7 name matching: who counts as named in a message (see services.router.names)."""

from __future__ import annotations

import pytest

from services.router.names import is_named

NAMED = [
    ("Pieter de Boer", "Pieter de Boer was onbeleefd aan de balie."),
    ("Pieter de Boer", "Ik sprak gisteren met dhr. P. de Boer."),
    ("Pieter de Boer", "Meneer De Boer heeft mij niet teruggebeld."),
    ("Fatima El Amrani", "Mevrouw El-Amrani luisterde niet."),
    ("Fatima El Amrani", "mw. F. el amrani"),
    ("José Sánchez", "jose sanchez was rude to me"),
    ("Anna van der Berg", "De heer van der Berg? Nee: mevrouw Van der Berg!"),
]
NOT_NAMED = [
    ("Pieter de Boer", "De boer op de markt verkoopt kaas."),  # surname without a title
    ("Pieter de Boer", "Pieter was heel behulpzaam."),  # first name only
    ("Jan Jansen", "Mevrouw Janssen belde mij."),  # another name that starts the same
    ("Anna Smit", "De smit aan de overkant."),
]


@pytest.mark.parametrize(("name", "text"), NAMED)
def test_a_full_name_or_a_title_with_the_surname_counts_as_named(name: str, text: str) -> None:
    assert is_named(name, text)


@pytest.mark.parametrize(("name", "text"), NOT_NAMED)
def test_a_first_name_bare_surname_or_similar_name_does_not_count(name: str, text: str) -> None:
    assert not is_named(name, text)
