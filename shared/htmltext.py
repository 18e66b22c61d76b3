"""Readable plain text from HTML (mail bodies, Mastodon statuses), for classifying and searching.

inscriptis renders block structure (paragraphs, lists, tables) the way a reader
sees it; scripts, styles and comments never reach the text. The original HTML is
kept separately and sanitised only when shown.
"""

from __future__ import annotations

import html as htmllib
import re

import lxml.html
from inscriptis import Inscriptis
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig
from lxml.etree import ParserError

from shared.normalise import clean_text

_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=False, display_images=False)
# One message's HTML costs ~0.6 s per MB to render; whatever a caller passes, at most this much is read.
MAX_HTML_CHARS = 2 * 1024 * 1024
# Elements whose content a reader never sees. Opening and closing tags are found separately, each
# scan starting where the last ended: one `<tag .*? </tag>` pattern rescans to the end of the
# document from every unclosed `<script` (128 KB of them held ingest 23 s).
_HIDDEN = ("script", "style", "head", "title")
_OPEN = re.compile(r"<(script|style|head|title)\b", re.IGNORECASE)
_CLOSE = {name: re.compile(rf"</{name}\s*+>", re.IGNORECASE) for name in _HIDDEN}
_TAG = re.compile(r"<[^<>]+>")
_XML_DECLARATION = re.compile(r"^<\?xml [^>]+?\?>")


def html_to_text(html: str) -> str:
    """The text a reader of `html` would see, cleaned; never raises on malformed markup."""
    if not html or not html.strip():
        return ""
    stripped = _XML_DECLARATION.sub("", drop_hidden(html[:MAX_HTML_CHARS]).strip(), count=1)
    # huge_tree: libxml2 otherwise stops at 256 nested elements (quoted replies nest that deep).
    # A parser per call: its error log is read below, and lxml parsers are not shared by threads.
    parser = lxml.html.HTMLParser(huge_tree=True)
    try:
        tree = _tree(stripped, parser)
    except (ParserError, ValueError):
        tree = None
    if tree is None or any(e.type_name == "ERR_RESOURCE_LIMIT" for e in parser.error_log):
        # Markup lxml cannot tokenise, or nested past libxml2's hard limit (2048) where it silently
        # drops the rest of the text: read the text between the tags instead.
        return clean_text(htmllib.unescape(_TAG.sub(" ", stripped)))
    try:
        text = Inscriptis(tree, _CONFIG).get_text()
    except RecursionError:
        # inscriptis walks the tree recursively; nesting deeper than Python allows keeps its text nodes.
        text = " ".join(tree.itertext())
    return clean_text(text)


def _tree(html: str, parser: lxml.html.HTMLParser) -> lxml.html.HtmlElement:
    try:
        return lxml.html.document_fromstring(html, parser=parser)
    except ParserError:  # text only, no element (inscriptis does the same)
        return lxml.html.document_fromstring(f"<pre>{html}</pre>", parser=parser)


def drop_hidden(html: str) -> str:
    """`html` without script, style, head and title elements; an unclosed one is left to the parser."""
    kept: list[str] = []
    position = 0  # everything before this is decided
    unclosed: set[str] = set()  # no closing tag after some point means none after any later one
    search_from = 0
    while match := _OPEN.search(html, search_from):
        name = match.group(1).lower()
        search_from = match.end()
        if name in unclosed:
            continue
        close = _CLOSE[name].search(html, match.end())
        if close is None:
            unclosed.add(name)
            continue
        kept.append(html[position : match.start()])
        kept.append(" ")
        position = search_from = close.end()
    kept.append(html[position:])
    return "".join(kept)
