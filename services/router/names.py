"""Is a handler named in a message? For Awb 9:7: nobody handles a complaint about themselves.

The choice, deliberately on the cautious side (a false alarm only means another
colleague gets the signal; a miss means someone judges a complaint about
themselves):

- text and names are compared case-, accent- and punctuation-insensitively
  ("Sánchez" = "sanchez", "El-Amrani" = "el amrani"), on whole words only, so
  "Jan" never matches inside "Janssen";
- the full name matches anywhere ("Pieter de Boer");
- the surname (the name without its first word, so with its particles:
  "de Boer", "van der Berg") matches after a form of address or title,
  optionally with initials: "meneer de Boer", "dhr. P. de Boer",
  "mevrouw El Amrani", "mw. F. El Amrani";
- a first name or a bare surname alone does not match: "Pieter" or "Boer" on its
  own names too many people (and "boer", "de Vries" are ordinary words or very common names).

Being named is treated as being the subject of the complaint: telling "Pieter de
Boer helped me well" from "Pieter de Boer was rude" is not reliable, and a
colleague taking over costs little.
"""

from __future__ import annotations

import re
import unicodedata

# Forms of address and titles, normalised (lower case, no dots).
TITLES = (
    "meneer", "mijnheer", "heer", "de heer", "dhr", "hr", "mevrouw", "mevr", "mw", "mr", "mrs", "ms",
    "miss", "dr", "drs", "ir", "ing", "prof", "juffrouw", "collega", "medewerker", "medewerkster",
)  # fmt: skip
# Up to three initials between the title and the surname: "P.", "P.J.", "p j".
_INITIALS = r"(?:[a-z] ){0,3}"


def normalise(text: str) -> str:
    """Lower case, accents removed, every run of non-letters one space, padded with spaces."""
    decomposed = unicodedata.normalize("NFKD", text)
    stripped = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold()
    return " " + " ".join(re.findall(r"[^\W\d_]+", stripped)) + " "


def name_patterns(name: str) -> list[re.Pattern[str]]:
    """Patterns that find `name` in normalised text (see the module docstring)."""
    words = normalise(name).split()
    if not words:
        return []
    patterns = [re.compile(" " + re.escape(" ".join(words)) + " ")]
    if len(words) > 1:
        surname = re.escape(" ".join(words[1:]))
        titles = "|".join(re.escape(t) for t in sorted(set(TITLES), key=len, reverse=True))
        patterns.append(re.compile(f" (?:{titles}) {_INITIALS}{surname} "))
    return patterns


def is_named(name: str, text: str) -> bool:
    """True when `text` names the person `name` (full name, or title and surname)."""
    haystack = normalise(text)
    return any(pattern.search(haystack) for pattern in name_patterns(name))
