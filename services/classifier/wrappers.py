"""What the citizen wrote for this message: the text without its wrappers.

An email carries much its writer did not write for it: a greeting and a sign-off, a
signature block, a confidentiality disclaimer, the quoted earlier mail, a forwarded
message's headers. None of it says whether the writer is dissatisfied, but every word of
it adds n-gram evidence, so a long neutral email used to collect a complaint score from
its wrappers alone. `own_text()` keeps the rest as a `View`: the kept text plus the map
back to the original, so the phrases that explain a score still point into Message.text.

When nearly nothing is left (a bare forward, a reply that only quotes), the quoted and
forwarded parts are kept after all: then they are what the sender brought to us.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Sequence
from dataclasses import dataclass

# At least this many letters must remain, or the quoted and forwarded parts come back.
MIN_OWN_LETTERS = 20
# Lines of a signature block are short; a long line after the sign-off is a postscript, kept.
SIGNATURE_LINE_CHARS = 70
MAX_SIGNATURE_LINES = 10

_I = re.IGNORECASE | re.MULTILINE

# The first line of a quoted reply ("Op 3 mrt. 2026 om 10:12 schreef X <x@y>:") or a forward.
# The attribution line may wrap once, so up to one newline is allowed before "schreef"/"wrote".
_QUOTE_HEADER = re.compile(
    r"^[^\S\n]*(?:op|on|am|le)\b[^\n]{0,200}(?:\n[^\n]{0,120})?\b"
    r"(?:schreef|wrote|schrieb|a écrit)\b[^\n]{0,80}:[^\S\n]*$"
    r"|^[^\S\n]*-{2,}[^\S\n]*(?:oorspronkelijk bericht|original message|doorgestuurd bericht|"
    r"forwarded message|begin forwarded message|begin doorgestuurd bericht)[^\n]*$"
    r"|^[^\S\n]*(?:begin forwarded message|begin doorgestuurd bericht)[^\n]*:[^\S\n]*$"
    r"|^[^\S\n]*_{5,}[^\S\n]*$",
    _I,
)
# An Outlook-style header block: "Van: …" followed within two lines by "Verzonden:/Datum:/Sent:".
_HEADER_BLOCK = re.compile(
    r"^[^\S\n]*\*?(?:van|from)\*?:[^\n]*\n(?:[^\n]*\n){0,2}?[^\S\n]*\*?"
    r"(?:verzonden|datum|sent|date|gesendet)\*?:",
    _I,
)
_QUOTED_LINE = re.compile(r"^[^\S\n]*>[^\n]*$", re.MULTILINE)
_SIGNATURE_DASHES = re.compile(r"^--[^\S\n]?$", re.MULTILINE)
_SENT_FROM = re.compile(
    r"^[^\S\n]*(?:verzonden|verstuurd|sent|gesendet)\s+(?:vanaf|van|from|met|with|von)\s+"
    r"(?:mijn|my|mein)\b[^\n]{0,40}$",
    _I,
)
_GREETING = re.compile(
    r"^[^\S\n]*(?:beste|geachte|hallo|hoi|hey|hi|hello|dear|goedemorgen|goedemiddag|goedenavond|"
    r"good morning|good afternoon|l\.s\.|aan wie het (?:aangaat|betreft)|to whom it may concern|"
    r"ter attentie van|t\.a\.v\.)\b[^\n]{0,60}$",
    _I,
)
_SIGN_OFF = re.compile(
    r"^[^\S\n]*(?:met\s+(?:vriendelijke|hartelijke|beleefde)\s+groet(?:en)?|(?:vriendelijke|hartelijke)\s+"
    r"groet(?:en)?|m\.?\s?v\.?\s?g\.?|mvg|groet(?:en|jes)?|gr\.?|vr\.?\s?gr\.?|hoogachtend|"
    r"met\s+de\s+meeste\s+hoogachting|(?:kind|best|warm|many\s+thanks\s+and)\s+regards|regards|"
    r"best\s+wishes|yours\s+(?:sincerely|faithfully|truly)|sincerely|cheers|"
    r"bij\s+voorbaat\s+dank|alvast\s+bedankt|thanks\s+in\s+advance)\b[^\n]{0,30}$",
    _I,
)
_DISCLAIMER = re.compile(
    r"uitsluitend bestemd voor|alleen bestemd voor de geadresseerde|niet de geadresseerde|"
    r"ten onrechte (?:heeft )?ontvangen|geen rechten (?:worden|kunnen) (?:ontleend|worden ontleend)|"
    r"vertrouwelijke informatie|intended (?:solely |only )?for the (?:use of the )?(?:addressee|"
    r"intended recipient|person)|not the intended recipient|received this (?:e-?mail|message) in error|"
    r"confidential(?:ity)? (?:notice|information)|disclaimer|denk aan het milieu|"
    r"think before you print|consider the environment",
    re.IGNORECASE,
)
_BLOCK = re.compile(r"\S(?:.|\n(?![^\S\n]*\n))*", re.MULTILINE)  # a paragraph: up to a blank line


@dataclass(frozen=True)
class View:
    """The kept text and where each kept piece starts in the original."""

    text: str
    view_starts: tuple[int, ...]  # where piece n starts in `text`
    original_starts: tuple[int, ...]  # where piece n starts in the original
    lengths: tuple[int, ...]

    def to_original(self, start: int, end: int) -> tuple[int, int]:
        """The original offsets of text[start:end] (an end is mapped from its last character)."""
        if not self.lengths:
            return start, end
        return self._position(start), self._position(max(end - 1, start)) + (1 if end > start else 0)

    def _position(self, offset: int) -> int:
        piece = max(bisect.bisect_right(self.view_starts, offset) - 1, 0)
        within = min(max(offset - self.view_starts[piece], 0), max(self.lengths[piece] - 1, 0))
        return self.original_starts[piece] + within

    @property
    def stripped(self) -> bool:
        return len(self.lengths) != 1 or self.original_starts[0] != 0 or self.lengths[0] != len(self.text)


def own_words(texts: Sequence[str]) -> list[str]:
    """Each text's own words: what training reads, as scoring does."""
    return [own_text(text).text for text in texts]


def whole(text: str) -> View:
    return View(text, (0,), (0,), (len(text),))


def own_text(text: str) -> View:
    """`text` without greeting, sign-off, signature, disclaimers, quoted mail and forward headers."""
    if not text.strip():
        return whole(text)
    headers, quoted = _quoted(text)
    always = _boilerplate(text) | headers
    if not _drops_content(text, always | quoted):
        return whole(text)
    kept = _kept_spans(text, always | quoted)
    if _letters(text, kept) < MIN_OWN_LETTERS:
        kept = _kept_spans(text, always)  # only quoted or forwarded text to go on: read it
    if _letters(text, kept) < MIN_OWN_LETTERS:
        return whole(text)
    return _view(text, kept)


def _drops_content(text: str, dropped_lines: set[int]) -> bool:
    return any(text[start : _line_end(text, start)].strip() for start in dropped_lines)


def _quoted(text: str) -> tuple[set[int], set[int]]:
    """Line starts of reply/forward headers, and of the quoted or forwarded text below them.

    Everything from the first header that follows the writer's own words is quoted (top
    posting), and so is every '>' line. A message that *starts* with a forward has no own
    words above it: only its header lines go, and its body is read.
    """
    starts = _line_starts(text)
    headers: set[int] = set()
    cut = len(text)
    position = 0
    while position < len(text):
        match = _first_header(text, position)
        if match is None:
            break
        body = _forward_body_start(text, match.end())
        headers.update(s for s in starts if match.start() <= s < body)
        if text[: match.start()].strip() and not _all_in(text, headers, match.start()):
            cut = match.start()
            break
        position = body
    quoted = {s for s in starts if s >= cut} - headers
    quoted |= {m.start() for m in _QUOTED_LINE.finditer(text)}
    return headers, quoted


def _first_header(text: str, position: int) -> re.Match[str] | None:
    found = [m for p in (_QUOTE_HEADER, _HEADER_BLOCK) if (m := p.search(text, position)) is not None]
    return min(found, key=lambda m: m.start()) if found else None


def _all_in(text: str, lines: set[int], before: int) -> bool:
    """Whether every non-blank line before `before` is one of `lines` (only headers so far)."""
    return all(s in lines for s in _line_starts(text) if s < before and text[s : _line_end(text, s)].strip())


def _forward_body_start(text: str, after: int) -> int:
    # Header lines (Van:/Aan:/Onderwerp:/Date: …) run up to the first blank line.
    blank = re.compile(r"\n[^\S\n]*\n").search(text, after)
    return len(text) if blank is None else blank.end()


def _boilerplate(text: str) -> set[int]:
    """Line starts of the greeting, sign-off and signature, 'sent from my phone' lines and disclaimers."""
    drop: set[int] = set()
    starts = _line_starts(text)
    lines = [(s, _line_end(text, s)) for s in starts]
    content = [(s, e) for s, e in lines if text[s:e].strip()]
    if content and _GREETING.match(text, content[0][0], content[0][1]):
        drop.add(content[0][0])
    for index, (start, end) in enumerate(lines):
        if _SENT_FROM.match(text, start, end):
            drop.add(start)
        if _SIGN_OFF.match(text, start, end) and not _more_than_signature(text, lines[index + 1 :]):
            drop.update(s for s, _ in lines[index:])
            break
    dashes = _SIGNATURE_DASHES.search(text)
    if dashes is not None:
        drop.update(s for s in starts if s >= dashes.start())
    for block in _BLOCK.finditer(text):
        if _DISCLAIMER.search(block.group()):
            drop.update(s for s in starts if block.start() <= s < block.end())
    return drop


def _more_than_signature(text: str, rest: list[tuple[int, int]]) -> bool:
    """Whether what follows a sign-off is more than a name, an address and a phone number."""
    filled = [(s, e) for s, e in rest if text[s:e].strip()]
    if len(filled) > MAX_SIGNATURE_LINES:
        return not any(_QUOTE_HEADER.match(text, s, e) or _DISCLAIMER.search(text[s:e]) for s, e in filled)
    return any(e - s > SIGNATURE_LINE_CHARS and not _DISCLAIMER.search(text[s:e]) for s, e in filled[:4])


def _kept_spans(text: str, dropped_lines: set[int]) -> list[tuple[int, int]]:
    spans: list[tuple[int, int]] = []
    for start in _line_starts(text):
        if start in dropped_lines:
            continue
        end = _line_end(text, start)
        if not text[start:end].strip():
            continue
        if spans and _only_blank_between(text, spans[-1][1], start):
            spans[-1] = (spans[-1][0], end)
        else:
            spans.append((start, end))
    return spans


def _only_blank_between(text: str, end: int, start: int) -> bool:
    return not text[end:start].strip()


def _view(text: str, spans: list[tuple[int, int]]) -> View:
    pieces, view_starts, at = [], [], 0
    for start, end in spans:
        view_starts.append(at)
        pieces.append(text[start:end])
        at += end - start + 2  # joined by a blank line, so sentences never run across a cut
    return View(
        "\n\n".join(pieces),
        tuple(view_starts),
        tuple(s for s, _ in spans),
        tuple(e - s for s, e in spans),
    )


def _letters(text: str, spans: list[tuple[int, int]]) -> int:
    return sum(ch.isalpha() for start, end in spans for ch in text[start:end])


def _line_starts(text: str) -> list[int]:
    return [0, *(m.end() for m in re.finditer(r"\n", text))]


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end
