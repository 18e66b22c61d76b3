"""Why a message was flagged: the phrases (and the sentence) whose n-grams pushed the score up.

The head is linear, so each n-gram's share of the score is its weight times its
feature value. Word n-grams are spread over the words they contain and character
n-grams over the word they came from; runs of adjacent words that pushed the score up
become phrases with character offsets into the scored text, ready to highlight.
The embedding part of the score has no position; `context_weight` reports its share.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict

import numpy as np
from scipy import sparse

from services.classifier import chunks
from services.classifier.features import WORD_PATTERN, Ngrams

MAX_PHRASES = 3
MAX_PHRASE_WORDS = 8
_WORD = re.compile(WORD_PATTERN)
_WHITESPACE_TOKEN = re.compile(r"\S+")


def phrases(
    text: str, start: int, end: int, ngrams: Ngrams, coef: np.ndarray, row: sparse.csr_matrix | None = None
) -> list[dict[str, object]]:
    """Top phrases (and the strongest sentence when there are several) in text[start:end].

    `row` is text[start:end]'s n-gram features when the caller has them (computed in a batch).
    """
    piece = text[start:end]
    lowered = piece.lower()
    if len(lowered) != len(piece):  # case folding changed lengths (rare scripts): offsets would drift
        lowered = piece
    tokens = [m.span() for m in _WHITESPACE_TOKEN.finditer(piece)]
    if not tokens:
        return []
    row = ngrams.transform([piece]) if row is None else row
    value = dict(zip(row.indices.tolist(), row.data.tolist(), strict=True))
    scores = np.zeros(len(tokens))
    _char_ngrams(lowered, tokens, ngrams, coef, value, scores)
    _word_ngrams(lowered, tokens, ngrams, coef, value, scores)
    found = _runs(piece, tokens, scores, start)
    sentence = _strongest_sentence(piece, tokens, scores, start)
    if sentence is not None:
        found.append(sentence)
    return sorted(found, key=lambda p: (p["start"], -len(str(p["text"]))))  # type: ignore[arg-type]


def _char_ngrams(lowered, tokens, ngrams, coef, value, scores) -> None:  # type: ignore[no-untyped-def]
    low, high = ngrams.config.char_range
    grams_per_token = []
    totals: Counter[str] = Counter()
    for token_start, token_end in tokens:
        padded = f" {lowered[token_start:token_end]} "
        grams = [padded[i : i + n] for n in range(low, high + 1) for i in range(len(padded) - n + 1)]
        grams_per_token.append(grams)
        totals.update(grams)
    for position, grams in enumerate(grams_per_token):
        for gram in grams:
            column = ngrams.char_column(gram)
            scores[position] += coef[column] * value.get(column, 0.0) / totals[gram]


def _word_ngrams(lowered, tokens, ngrams, coef, value, scores) -> None:  # type: ignore[no-untyped-def]
    words = [m.span() for m in _WORD.finditer(lowered)]
    owner = [_token_of(tokens, w_start) for w_start, _ in words]
    low, high = ngrams.config.word_range
    grams: dict[str, list[list[int]]] = defaultdict(list)
    for n in range(low, high + 1):
        for i in range(len(words) - n + 1):
            key = " ".join(lowered[s:e] for s, e in words[i : i + n])
            grams[key].append(owner[i : i + n])
    for gram, occurrences in grams.items():
        column = ngrams.word_column(gram)
        share = coef[column] * value.get(column, 0.0) / len(occurrences)
        for owners in occurrences:
            for position in owners:
                scores[position] += share / len(owners)


def _token_of(tokens: list[tuple[int, int]], offset: int) -> int:
    for position, (start, end) in enumerate(tokens):
        if start <= offset < end:
            return position
    return len(tokens) - 1


def _runs(piece: str, tokens, scores: np.ndarray, base: int) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    positive = scores > max(0.02, 0.1 * float(scores.max(initial=0.0)))
    runs: list[tuple[float, int, int]] = []
    i = 0
    while i < len(tokens):
        if not positive[i]:
            i += 1
            continue
        j = i
        while j + 1 < len(tokens) and positive[j + 1] and j + 1 - i < MAX_PHRASE_WORDS:
            j += 1
        runs.append((float(scores[i : j + 1].sum()), i, j))
        i = j + 1
    runs.sort(reverse=True)
    result = []
    for weight, first, last in runs[:MAX_PHRASES]:
        start, end = _trim(piece, tokens[first][0], tokens[last][1])
        if end > start:
            result.append(_phrase(piece, start, end, base, weight, "phrase"))
    return result


def _strongest_sentence(piece: str, tokens, scores: np.ndarray, base: int) -> dict[str, object] | None:  # type: ignore[no-untyped-def]
    spans = chunks.sentences(piece)
    if len(spans) < 2:
        return None
    totals = [
        sum(score for (t_start, _), score in zip(tokens, scores, strict=True) if s.start <= t_start < s.end)
        for s in spans
    ]
    best = int(np.argmax(totals))
    if totals[best] <= 0:
        return None
    return _phrase(piece, spans[best].start, spans[best].end, base, totals[best], "sentence")


def _trim(piece: str, start: int, end: int) -> tuple[int, int]:
    """Drop punctuation at the edges of a phrase, so the highlight covers words."""
    while start < end and not piece[start].isalnum():
        start += 1
    while end > start and not piece[end - 1].isalnum():
        end -= 1
    return start, end


def _phrase(piece: str, start: int, end: int, base: int, weight: float, kind: str) -> dict[str, object]:
    return {
        "text": piece[start:end],
        "start": base + start,
        "end": base + end,
        "weight": round(float(weight), 3),
        "kind": kind,
    }
