"""Text vectors for "same problem, several citizens", and the rule that places a signal in a group.

The vector: signed feature hashing of a text's topic words and their character
3/4-grams (so Dutch compounds meet: "parkeervergunning" / "vergunning"), with function
words and the words every complaint uses ("weer", "nog steeds", "still") left out;
L2-normalised, stored as float16 bytes (2 KiB). It needs no model, so it works the
same with the trained classifier, the interim rule, or none.

Why not the classifier's ONNX encoder: measured on tests/data/patterns/same_problem.json
(`python -m bench.patterns_threshold`), its pooled layers group mostly by language and
style, not by problem (it is an English model cut after layer 4): no threshold keeps
pair precision above 0.5 while grouping anything, and mixing it into the n-gram vector
did not improve on the n-grams alone. A multilingual sentence encoder would likely do
better (Dutch and English paraphrases of one problem share few words); none ships yet.
With the n-grams and the default threshold 0.30 the fixture groups at pair precision 0.91
(recall 0.14; 39% of signals in a group); 0.35 gives precision 1.0 but groups 27%.
"""

from __future__ import annotations

import re
import unicodedata
import zlib
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

NGRAM = "ngram-v1"
NGRAM_DIM = 1024
CHAR_NGRAMS = (3, 4)
_WORD = re.compile(r"[a-z]+")

# Function words, and the words of dissatisfaction itself: every complaint shares those, so they
# say nothing about which problem it is.
STOPWORDS = frozenset(
    """
    de het een en of maar dat die dit deze er is zijn was waren wordt worden werd ben bent heb hebt
    heeft hebben had kan kunnen kon moet moeten mag mogen wil willen zal zullen zou ik je jij u hij
    zij ze wij we jullie mijn mij me ons onze uw hun haar zich in op aan bij met van voor naar om
    over uit tot door als dan ook nog al weer niet geen wel zo te toe af nu toch echt heel erg gewoon
    steeds maanden maand weken week dagen dag jaar keer twee drie eerste tweede hier daar waar
    wanneer waarom hoe wat wie welke graag eindelijk alweer opnieuw sinds vorige komende elke iedere
    hele alle niks niets niemand iemand nooit altijd meer veel zoveel even lukt gebeurt gebeurd
    the and but that this these those are was were been being have has had does did can could must
    may might will would shall should you she our your their his her its from with about than then
    also still again not never yes too now even very just really every all none nobody anyone
    anything nothing since last next week weeks month months day days year time times two three
    first second here there where when why how what who which please finally
    reactie antwoord gehoord gehad gereageerd geantwoord contact klacht klachten probleem bericht
    berichten belachelijk schandalig ontevreden response reply answer heard complaint problem message
    ridiculous
    """.split()  # noqa: SIM905 (a word list reads better as text)
)


# What a message is about shows in its opening; a megabyte of text would cost the route stage
# seconds per signal (bench/pathological.py) and group it by its quoted history, not its topic.
MAX_TOPIC_CHARS = 20_000


def words(text: str) -> list[str]:
    """Lower-cased, accent-free words of three letters or more, without stopwords or numbers."""
    text = unicodedata.normalize("NFKD", text.lower())
    text = "".join(c for c in text if not unicodedata.combining(c))
    return [w for w in _WORD.findall(text) if len(w) > 2 and w not in STOPWORDS]


def ngram_vector(text: str, dim: int = NGRAM_DIM) -> np.ndarray:
    """The hashed topic-word and character n-gram vector of `text` (all zeros when nothing is left)."""
    counts: Counter[str] = Counter()
    for word in words(text[:MAX_TOPIC_CHARS]):
        counts["w:" + word] += 1
        padded = f" {word} "
        for n in CHAR_NGRAMS:
            counts.update("c:" + padded[i : i + n] for i in range(len(padded) - n + 1))
    vector = np.zeros(dim, dtype=np.float32)
    for feature, count in counts.items():
        digest = zlib.crc32(feature.encode())
        # The sign bit makes hash collisions cancel out on average instead of adding up.
        vector[(digest >> 1) % dim] += (1.0 if digest & 1 else -1.0) * (1.0 + np.log(count))
    return normalised(vector)


def normalised(vector: np.ndarray) -> np.ndarray:
    norm = float(np.linalg.norm(vector))
    return (vector / norm).astype(np.float32) if norm > 0 else vector.astype(np.float32)


def pack(vector: np.ndarray) -> bytes:
    """Compact storage: float16 (half the size; similarities change by less than 0.001)."""
    return np.asarray(vector, dtype="<f2").tobytes()


def unpack(data: bytes) -> np.ndarray:
    return np.frombuffer(data, dtype="<f2").astype(np.float32)


def is_empty(vector: np.ndarray) -> bool:
    """A text with no topic words left has nothing to compare on."""
    return not np.any(vector)


@dataclass(frozen=True)
class Placement:
    """Where a new signal goes: into `group_id`, into a new group with `partner_id`, or nowhere."""

    group_id: int | None = None
    partner_id: int | None = None
    similarity: float = 0.0


class Window:
    """The signals a new one may be compared with: one matrix, so placing a signal is one product."""

    def __init__(self, dim: int = NGRAM_DIM, capacity: int = 1024) -> None:
        self.vectors = np.zeros((capacity, dim), dtype=np.float32)
        self.times = np.zeros(capacity, dtype=np.float64)  # received, POSIX seconds
        self.groups = np.full(capacity, -1, dtype=np.int64)  # -1: in no group
        self.ids = np.zeros(capacity, dtype=np.int64)
        self.size = 0
        self._row: dict[int, int] = {}

    def add(self, signal_id: int, group_id: int | None, at: float, vector: np.ndarray) -> None:
        if self.size == len(self.ids):  # grow by doubling: adding stays cheap on average
            for name in ("vectors", "times", "groups", "ids"):
                old = getattr(self, name)
                grown = np.full((len(old) * 2, *old.shape[1:]), -1 if name == "groups" else 0, old.dtype)
                grown[: self.size] = old[: self.size]
                setattr(self, name, grown)
        row = self.size
        self.vectors[row] = vector
        self.times[row] = at
        self.groups[row] = -1 if group_id is None else group_id
        self.ids[row] = signal_id
        self._row[signal_id] = row
        self.size += 1

    def set_group(self, signal_id: int, group_id: int) -> None:
        self.groups[self._row[signal_id]] = group_id

    def place(self, vector: np.ndarray, *, at: float, span: float, threshold: float) -> Placement:
        """The best group above `threshold` within `span` seconds; else the nearest ungrouped neighbour."""
        if self.size == 0 or is_empty(vector):
            return Placement()
        return self._choose(self.vectors[: self.size] @ vector, at=at, span=span, threshold=threshold)

    def place_batch(
        self,
        signals: Sequence[tuple[int, float, np.ndarray]],
        *,
        span: float,
        threshold: float,
        new_group: Callable[[int], int],
    ) -> list[int | None]:
        """Place new (id, time, vector) signals in order, each seeing those before it; their group ids.

        Equivalent to `place` then `add` per signal, but with one matrix product for the
        whole batch instead of one pass over the window per signal. `new_group(partner_id)`
        makes the group a signal forms with its nearest neighbour.
        """
        if not signals:
            return []
        start = self.size
        batch = np.stack([vector for _, _, vector in signals])
        against_window = self.vectors[:start] @ batch.T
        among = batch @ batch.T
        groups: list[int | None] = []
        for j, (signal_id, at, vector) in enumerate(signals):
            placement = Placement()
            if not is_empty(vector):
                similarities = np.concatenate([against_window[:, j], among[:j, j]])
                placement = self._choose(similarities, at=at, span=span, threshold=threshold)
            group_id = placement.group_id
            if group_id is None and placement.partner_id is not None:
                group_id = new_group(placement.partner_id)
                self.set_group(placement.partner_id, group_id)
            self.add(signal_id, group_id, at, vector)  # empty vectors too: rows stay in batch order
            groups.append(group_id)
        return groups

    def _choose(self, similarities: np.ndarray, *, at: float, span: float, threshold: float) -> Placement:
        close = (similarities >= threshold) & (np.abs(self.times[: self.size] - at) <= span)
        if not close.any():
            return Placement()
        grouped = close & (self.groups[: self.size] >= 0)
        if grouped.any():
            best = int(np.argmax(np.where(grouped, similarities, -np.inf)))
            return Placement(group_id=int(self.groups[best]), similarity=round(float(similarities[best]), 4))
        best = int(np.argmax(np.where(close, similarities, -np.inf)))
        return Placement(partner_id=int(self.ids[best]), similarity=round(float(similarities[best]), 4))
