"""Sentences and sentence windows with character offsets, so long texts are scored whole.

The encoder reads at most `max_tokens` tokens at a time. A longer text is cut into
windows of whole sentences that fit; a single sentence longer than that is cut at word
boundaries. The n-gram first pass reads every window; the encoder reads the windows the
first pass finds most suspicious, up to a budget, always including the opening window
(`encoding_order`). The message's score is the highest window score, so dissatisfaction
in the tenth paragraph counts as much as in the first, and nothing is silently dropped.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

# A sentence ends at . ! ? … (possibly repeated, possibly followed by quotes/brackets) or a blank line.
# Linear on any input: a run of end marks is tried once, from its first character (the lookbehind),
# and possessive quantifiers never give characters back, so 40,000 dots are one scan, not 40,000.
_SENTENCE_END = re.compile(
    r"(?<![.!?…])[.!?…]++[\"')\]]*+(?=\s)"  # end marks, closing quotes, then white space
    r"|\n(?:[^\S\n]*+\n)++"  # a blank line (or several)
    r"|\n(?=\s*+[-*•])"  # a list item starts
)


# Windows of one message that go through the encoder at most. Measured on long held-out texts
# (bench/classifier_throughput.py): 1 window loses recall on complaints deep in a text, 3 keep it.
MAX_ENCODED_WINDOWS = 3


@dataclass(frozen=True)
class Span:
    start: int
    end: int

    def of(self, text: str) -> str:
        return text[self.start : self.end]


def sentences(text: str) -> list[Span]:
    """Sentence spans (stripped of surrounding white space) covering every non-blank character."""
    spans: list[Span] = []
    start = 0
    for match in _SENTENCE_END.finditer(text):
        _add_stripped(text, start, match.end(), spans)
        start = match.end()
    _add_stripped(text, start, len(text), spans)
    return spans


def _add_stripped(text: str, start: int, end: int, spans: list[Span]) -> None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    if end > start:
        spans.append(Span(start, end))


def windows(
    text: str,
    max_tokens: int,
    count_tokens: Callable[[Sequence[str]], list[int]],
    *,
    total: int | None = None,
) -> list[Span]:
    """Windows of whole sentences, each within `max_tokens` (as counted by the encoder's tokenizer).

    `total` is the text's token count when the caller has it already (counted in a batch).
    """
    if not text.strip():
        return [Span(0, len(text))]
    budget = max_tokens - 2  # [CLS] and [SEP]
    if (count_tokens([text])[0] if total is None else total) <= budget:
        return [Span(0, len(text))]
    parts: list[tuple[Span, int]] = []
    spans = sentences(text)
    for span, tokens in zip(spans, count_tokens([s.of(text) for s in spans]), strict=True):
        if tokens <= budget:
            parts.append((span, tokens))
            continue
        pieces = _split_words(text, span, tokens, budget)
        parts.extend(zip(pieces, count_tokens([p.of(text) for p in pieces]), strict=True))
    result: list[Span] = []
    current: Span | None = None
    used = 0
    for span, tokens in parts:
        if current is not None and used + tokens <= budget:
            current, used = Span(current.start, span.end), used + tokens
            continue
        if current is not None:
            result.append(current)
        current, used = span, tokens
    if current is not None:
        result.append(current)
    return result


def _split_words(text: str, span: Span, tokens: int, budget: int) -> list[Span]:
    """An over-long sentence, cut at word boundaries into pieces of roughly `budget` tokens."""
    words = [m.span() for m in re.finditer(r"\S+", span.of(text))]
    per_piece = max(1, int(len(words) * budget / tokens * 0.9))  # 10% margin: tokens per word vary
    pieces = []
    for i in range(0, len(words), per_piece):
        group = words[i : i + per_piece]
        pieces.append(Span(span.start + group[0][0], span.start + group[-1][1]))
    return pieces


def encoding_order(first_pass: Sequence[float], screen: float | None, budget: int) -> list[int]:
    """Which windows to encode, in order: the most suspicious to the n-gram first pass first.

    `first_pass` holds each window's n-gram-only score. A window scoring below `screen` is
    settled as not dissatisfied and not encoded, except the opening window (the new part of
    an email), which always falls within the first `budget` windows.
    """
    budget = max(budget, 1)
    order = sorted(((float(score), n) for n, score in enumerate(first_pass)), reverse=True)
    ranked = [n for score, n in order if n == 0 or screen is None or score >= screen]
    if 0 in ranked[budget:]:
        ranked.remove(0)
        ranked.insert(budget - 1, 0)
    return ranked[:budget]
