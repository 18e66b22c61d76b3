"""INTERIM classifier: a transparent lexicon of dissatisfaction cues (Dutch and English).

This is the simplest honest rule until the trained encoder + head lands: it
flags a message when it contains phrases that commonly express dissatisfaction
("nog steeds geen reactie", "third time", "onacceptabel") and reports exactly
which phrases matched. It misses sarcasm and implicit complaints without cue
words, and does not understand negation. Its version string says "interim" so
every classification it made stays recognisable.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

VERSION = "interim-lexicon-1"
THRESHOLD = 0.5
HIGH = 0.8

# (pattern, weight): weight is how strongly the phrase alone suggests dissatisfaction.
_CUES: list[tuple[str, float]] = [
    # Dutch
    (r"\bklacht(en)?\b", 0.7),
    (r"\bklagen\b", 0.6),
    (r"\bontevreden\b", 0.8),
    (r"\bteleurgesteld\b", 0.7),
    (r"\b(on)?acceptabel\b", 0.6),
    (r"\bbelachelijk\b", 0.7),
    (r"\bschandalig\b|\bschande\b", 0.8),
    (r"\bwaardeloos\b|\bslecht(e)?\b", 0.5),
    (r"\bnog (steeds|altijd) (geen|niet|niets)\b", 0.8),
    (r"\b(al|alweer) (weken|maanden|dagen)\b", 0.5),
    (r"\bgeen (reactie|antwoord|bericht)\b", 0.6),
    (r"\bniet (teruggebeld|gereageerd|opgelost|opgehaald|geleegd)\b", 0.7),
    (r"\b(derde|vierde|zoveelste|tweede) keer\b", 0.7),
    (r"\bkastje naar de muur\b", 0.9),
    (r"\bbezwaar\b", 0.5),
    (r"\b(ik ben het|ben het) zat\b", 0.8),
    (r"\bboos\b|\bwoedend\b|\bgefrustreerd\b", 0.7),
    (r"\bniemand (reageert|belt|doet)\b", 0.7),
    # English
    (r"\bcomplain(t|ts|ing)?\b", 0.7),
    (r"\bunacceptable\b", 0.8),
    (r"\bridiculous\b|\bdisgrace(ful)?\b|\boutrageous\b", 0.7),
    (r"\bdisappointed\b|\bfrustrat(ed|ing)\b|\bannoyed\b|\bangry\b", 0.7),
    (r"\bstill (no|not|waiting|nothing)\b", 0.7),
    (r"\bno (response|reply|answer)\b", 0.6),
    (r"\b(second|third|fourth|umpteenth) time\b", 0.7),
    (r"\bfed up\b|\bsick of\b", 0.8),
    (r"\buseless\b|\bterrible\b|\bawful\b|\bworst\b", 0.6),
    (r"\bnobody (answers|responds|calls)\b", 0.7),
]
_COMPILED = [(re.compile(pattern, re.IGNORECASE), weight) for pattern, weight in _CUES]


@dataclass
class Verdict:
    score: float
    flagged: bool
    band: str
    phrases: list[dict[str, object]] = field(default_factory=list)


def score(text: str, threshold: float = THRESHOLD) -> Verdict:
    """Noisy-OR of the matched cues' weights; the matched spans are the explanation."""
    phrases: list[dict[str, object]] = []
    miss = 1.0
    for pattern, weight in _COMPILED:
        for match in pattern.finditer(text):
            phrases.append(
                {"text": match.group(0), "start": match.start(), "end": match.end(), "weight": weight}
            )
            miss *= 1.0 - weight
    probability = round(1.0 - miss, 4)
    flagged = probability >= threshold
    band = "high" if probability >= HIGH else "possible" if flagged else "none"
    phrases.sort(key=lambda p: p["start"])  # type: ignore[arg-type,return-value]
    return Verdict(probability, flagged, band, phrases)
