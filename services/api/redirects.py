"""Redirect and link targets taken from user input: same-site paths only."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

# What the WHATWG URL parser does before parsing, so we judge the URL the browser will follow:
# it removes every ASCII tab and newline, and trims C0 controls and spaces at both ends.
_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(chr(c) for c in range(0x21))
_END_OF_PATH = re.compile(r"[?#]")


def safe_path(target: str | None, fallback: str) -> str:
    """`target` if, as a browser reads it, it is a path on this site; else `fallback`."""
    if not target:
        return fallback
    normalised = _TAB_OR_NEWLINE.sub("", target).strip(_C0_OR_SPACE)
    # Browsers read a backslash in an http(s) path as a slash, so `/\\host` is `//host`;
    # in the query and fragment it stays a backslash.
    split = _END_OF_PATH.search(normalised)
    cut = split.start() if split else len(normalised)
    normalised = normalised[:cut].replace("\\", "/") + normalised[cut:]
    if not normalised.startswith("/") or normalised.startswith("//"):
        return fallback
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in normalised):
        return fallback  # a control character left inside: nothing we link to has one
    try:
        parts = urlsplit(normalised)
    except ValueError:
        return fallback
    if parts.scheme or parts.netloc:
        return fallback
    return normalised
