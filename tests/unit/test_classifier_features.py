"""Features, windows, explanations and language detection: the pieces under the classifier."""

from __future__ import annotations

import numpy as np
from sklearn.feature_extraction.text import HashingVectorizer

from services.classifier import chunks, language
from services.classifier.features import WORD_PATTERN, NgramConfig, Ngrams


def test_explanations_find_the_same_columns_as_the_vectoriser() -> None:
    ngrams = Ngrams.fit(["klacht over afval", "afval ophalen"], NgramConfig(n_features=2**12))
    vectoriser = HashingVectorizer(
        analyzer="word",
        ngram_range=(1, 2),
        n_features=2**12,
        alternate_sign=False,
        token_pattern=WORD_PATTERN,
    )
    expected = sorted(vectoriser.transform(["klacht over"]).indices.tolist())
    assert sorted(ngrams.word_column(g) - 2**12 for g in ("klacht", "over", "klacht over")) == expected


def test_ngram_blocks_are_unit_length() -> None:
    ngrams = Ngrams.fit(["een twee drie", "vier vijf"], NgramConfig(n_features=2**10))
    row = ngrams.transform(["een twee drie"]).toarray()[0]
    assert np.linalg.norm(row[: 2**10]) == np.float32(1.0) or abs(np.linalg.norm(row[: 2**10]) - 1) < 1e-5
    assert abs(np.linalg.norm(row[2**10 :]) - 1) < 1e-5


def test_sentences_cover_the_text_with_offsets() -> None:
    text = "Eerste zin. Tweede zin!  Derde zin?\n\nVierde"
    assert [s.of(text) for s in chunks.sentences(text)] == [
        "Eerste zin.",
        "Tweede zin!",
        "Derde zin?",
        "Vierde",
    ]


def test_long_texts_become_windows_of_whole_sentences_within_the_budget() -> None:
    text = " ".join(f"Dit is zin nummer {i} met wat woorden erin." for i in range(60))

    def count(parts: list[str]) -> list[int]:
        return [len(p.split()) for p in parts]

    windows = chunks.windows(text, 32, count)
    assert len(windows) > 1
    assert all(count([w.of(text)])[0] <= 30 for w in windows)
    assert all(w.of(text).endswith(".") for w in windows)
    assert windows[0].start == 0 and windows[-1].end == len(text)


def test_an_overlong_sentence_is_cut_at_word_boundaries() -> None:
    text = "woord " * 200

    def count(parts: list[str]) -> list[int]:
        return [len(p.split()) for p in parts]

    windows = chunks.windows(text.strip(), 50, count)
    assert len(windows) >= 4
    assert all(w.of(text).split() and all(x == "woord" for x in w.of(text).split()) for w in windows)


def test_language_detection_says_nl_en_other_or_unknown() -> None:
    assert language.detect("Ik wacht nog steeds op een reactie van de gemeente.") == "nl"
    assert language.detect("I am still waiting for a reply from the council.") == "en"
    assert language.detect("Ich warte immer noch auf eine Antwort von der Gemeinde.") == "other"
    assert language.detect("12345") is None


def test_the_encoder_reads_the_most_suspicious_windows_first() -> None:
    assert chunks.encoding_order([0.5, 0.2, 0.9, 0.7], screen=0.1, budget=3) == [2, 3, 0]


def test_windows_the_first_pass_settles_are_not_encoded() -> None:
    assert chunks.encoding_order([0.5, 0.05, 0.3, 0.01], screen=0.1, budget=3) == [0, 2]


def test_the_opening_window_is_always_within_the_budget() -> None:
    assert chunks.encoding_order([0.01, 0.9, 0.8, 0.7, 0.6], screen=0.1, budget=2) == [1, 0]


def test_a_texts_ngram_counts_are_its_windows_counts_but_for_word_pairs_across_windows() -> None:
    ngrams = Ngrams.fit(["een twee drie", "vier vijf"], NgramConfig(n_features=2**12))
    text = "Eerste zin hier. Tweede zin daar. Derde zin."
    windows = [chunks.Span(0, 16), chunks.Span(17, 33), chunks.Span(34, len(text))]
    parts = ngrams.counts([w.of(text) for w in windows]).toarray().sum(axis=0)
    whole = ngrams.counts([text]).toarray()[0]
    across = sorted({ngrams.word_column("hier tweede"), ngrams.word_column("daar derde")})
    assert np.flatnonzero(parts != whole).tolist() == across
