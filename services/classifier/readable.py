"""Whether a text is readable language at all, before anyone scores it.

Text decoded with the wrong charset, random strings and binary read as text are far
from anything the model was trained on, and such input used to score *high*. A person
has to look at it instead: the classifier gives it the verdict `unreadable` (its own
band), never a score-based flag. Light mojibake ("cafÃ©") stays readable: the words
around it are still words, and a complaint in it must still be found.

The test is on words, not characters: a text is unreadable when fewer than half of its
word-like tokens look like words of some script (letters of one script; for Latin
script a vowel and no long consonant run). Numbers, dates, addresses, handles and links
count for neither side, so a short reference like "zaak 2026-0042" is not unreadable.
"""

from __future__ import annotations

import functools
import itertools
import re
import unicodedata

MIN_CHARACTERS = 12  # shorter texts ("ok", "👍") are too short to judge; they are scored as usual
MIN_TOKENS = 3
READABLE_SHARE = 0.5
MAX_CONTROL_SHARE = 0.02
MIN_LETTER_SHARE = 0.5
MAX_WORD_CHARS = 30  # longer Latin "words" are base64, hashes or keyboard mashing
MIN_VOWEL_SHARE, MAX_VOWEL_SHARE = 0.2, 0.8  # Dutch and English words: about 0.3–0.5

# The 300 most frequent letter pairs inside words of the project's seed messages (Dutch and English),
# 98% of all pairs there. Text in Latin-script European languages keeps 80–99% of its pairs in
# this set (German, French, Spanish, Polish, Turkish, Somali were checked); random letters about 45%.
_COMMON_PAIRS = frozenset(
    """
    aa ab ac ad af ag ai ak al am an ap ar as at au av ay ba bb be bi bj bl bo br bu bz ca ce ch ci
    ck co ct cu da dd de di dl do dr ds dt du ea eb ec ed ee ef eg eh ei ek el em en ep er es et eu
    ev ew ex ey ez fa fd fe ff fi fo fr fs ft fv ga gd ge gg gh gi go gr gs gt gu ha he hi ho hr ht
    hu ia ib ic id ie if ig ij ik il im in io ip ir is it iv ja jd je jg jk jn js ju ka ke ki kk kl
    kn ko kr ks kt ku la ld le lf lg li lk ll lo lp ls lt lu lv ly ma mb me mi mm mo mp ms mu my na
    nb nc nd ne ng nh ni nk nl nm nn no ns nt nu nv ny nz ob oc od oe of og oi ok ol om on oo op or
    os ot ou ov ow pa pe pg ph pi pl po pp pr pt pu qu ra rb rd re rg rh ri rk rl rm rn ro rp rr rs
    rt ru rv rw ry rz sa sc se sh si sk sl sm sn so sp ss st su sw ta tc te th ti tj tk tl tm to tr
    ts tt tu tv tw ty ua ub ud ue ug ui uk ul um un up ur us ut uu uw va ve vi vo vr wa we wh wi wm
    wo wr wv ye yo ys yt za ze zi zo zw
    """.split()  # noqa: SIM905 (a block of pairs reads better than 300 quoted strings)
)
MIN_PAIRS = 20
MIN_COMMON_PAIR_SHARE = 0.65

_TOKEN = re.compile(r"\S+")
_NEUTRAL = re.compile(
    r"^(?:[@#]\w+|https?://\S+|www\.\S+|\S+@\S+\.\w+|[\d\W_]+|\d+[a-z]{0,3})$", re.IGNORECASE
)  # handles, links, addresses, numbers, dates, amounts and punctuation say nothing either way
_EDGE_PUNCTUATION = "\"'()[]{}<>.,;:!?¿¡«»“”‘’„-–—…*_/\\|"
_VOWELS = set("aeiouyàáâãäåèéêëìíîïòóôõöùúûüýÿæøœ")
_CONSONANT_RUN = re.compile(r"[bcdfghjklmnpqrstvwxz]{5,}")
_MOJIBAKE = re.compile(r"[ÃÂ][\x80-\xbf\u0152-\u02dc\u2013-\u203a]|â€|Ã")


def unreadable(text: str) -> bool:
    """True when `text` is not readable language: binary, a wrong charset, random strings."""
    visible = [ch for ch in text if not ch.isspace()]
    if len(visible) < MIN_CHARACTERS:
        return False
    control = sum(1 for ch in visible if _is_control(ch))
    if control / len(visible) > MAX_CONTROL_SHARE:
        return True
    if sum(ch.isalpha() for ch in visible) / len(visible) < MIN_LETTER_SHARE and not _mostly_neutral(text):
        return True
    words = _words(text)
    if _rare_letter_pairs(words):
        return True
    judged = sum(len(word) for word in words)  # weighed by length: one 200-character "word" is base64
    if len(words) < MIN_TOKENS and judged < MIN_CHARACTERS * 2:
        return False
    readable = sum(len(word) for word in words if _is_word(word))
    return readable < judged * READABLE_SHARE


def _rare_letter_pairs(words: list[str]) -> bool:
    """Random letters: too many letter pairs that words of these languages seldom have."""
    pairs = [
        a + b
        for word in words
        for a, b in itertools.pairwise(word.lower())
        if "a" <= a <= "z" and "a" <= b <= "z"
    ]
    return (
        len(pairs) >= MIN_PAIRS
        and sum(p in _COMMON_PAIRS for p in pairs) < len(pairs) * MIN_COMMON_PAIR_SHARE
    )


def _is_control(ch: str) -> bool:
    return ch == "\ufffd" or unicodedata.category(ch) in ("Cc", "Cs", "Co", "Cn")


def _mostly_neutral(text: str) -> bool:
    tokens = _TOKEN.findall(text)
    return sum(bool(_NEUTRAL.match(t)) for t in tokens) * 2 >= len(tokens)


def _words(text: str) -> list[str]:
    words = []
    for token in _TOKEN.findall(text):
        if _NEUTRAL.match(token):
            continue
        stripped = token.strip(_EDGE_PUNCTUATION)
        if stripped and not _is_symbols(stripped):
            words.append(stripped)
    return words


def _is_symbols(token: str) -> bool:
    # Emoji and pictographs are how people write on social media, not noise.
    return all(unicodedata.category(ch).startswith("S") for ch in token)


def _is_word(token: str) -> bool:
    if _MOJIBAKE.search(token):
        return False
    letters = [ch for ch in token if ch.isalpha()]
    if len(letters) < len(token.replace("-", "").replace("'", "").replace("’", "")) * 0.8:
        return False  # letters mixed with symbols or digits inside a word: "x7$Qz", "Ø§Ù"
    scripts = {_script(ch) for ch in letters}
    if len(scripts) != 1:
        return False
    if scripts != {"LATIN"}:
        return True  # Arabic, Cyrillic, Greek, CJK … are languages too
    lowered = token.lower()
    if len(token) > MAX_WORD_CHARS or not any(ch in _VOWELS for ch in lowered):
        return len(token) <= 3  # short vowelless tokens are abbreviations: "vd", "mvg", "bsn"
    if _CONSONANT_RUN.search(lowered.replace("sch", "s").replace("ngst", "ns")):
        return False
    if len(letters) >= 6 and not MIN_VOWEL_SHARE <= _vowel_share(lowered) <= MAX_VOWEL_SHARE:
        return False
    return not _odd_case(token)


def _vowel_share(word: str) -> float:
    letters = [ch for ch in word if ch.isalpha()]
    return sum(ch in _VOWELS for ch in letters) / len(letters)


def _odd_case(token: str) -> bool:
    """Case switching inside a word ("xQzPkR"), as random strings have and words do not."""
    switches = sum(1 for a, b in itertools.pairwise(token) if a.islower() and b.isupper())
    return switches >= 2


@functools.lru_cache(maxsize=4096)
def _script(ch: str) -> str:
    if ch.isascii():
        return "LATIN"  # only letters reach here; the common case, without a name lookup
    try:
        name = unicodedata.name(ch)
    except ValueError:
        return "UNKNOWN"
    return name.split(" ", 1)[0]
