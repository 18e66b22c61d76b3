"""Readable plain text from HTML (mail bodies, Mastodon statuses), for classifying and searching.

inscriptis renders block structure (paragraphs, lists, tables) the way a reader
sees it; scripts, styles and comments never reach the text. The original HTML is
kept separately and sanitised only when shown.
"""

from __future__ import annotations

import re

import lxml.html
from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml.etree import ParserError

from shared.normalise import clean_text

_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)
_DROP = re.compile(r"<(script|style|head|title)\b.*?</\1\s*>", re.IGNORECASE | re.DOTALL)


def html_to_text(html: str) -> str:
    """The text a reader of `html` would see, cleaned; never raises on malformed markup."""
    if not html or not html.strip():
        return ""
    stripped = _DROP.sub(" ", html)
    try:
        text = get_text(stripped, _CONFIG)
    except (ParserError, ValueError):
        # Markup lxml cannot even tokenise: fall back to the bare text nodes.
        try:
            text = lxml.html.fromstring(stripped).text_content()
        except (ParserError, ValueError):
            text = re.sub(r"<[^>]+>", " ", stripped)
    return clean_text(text)
