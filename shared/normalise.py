"""Turning what a channel delivers into one shape: `Incoming`, with clean text.

Every connector builds an `Incoming` and hands it to `services.ingest.store`.
Channel-specific parsing (MIME, status HTML) builds on `clean_text()` here.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")
_SPACES = re.compile(r"[ \t\u00a0\u2000-\u200b\u202f\u205f\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_text(text: str) -> str:
    """NFC-normalise, drop control characters, unify newlines and collapse runs of spaces."""
    text = unicodedata.normalize("NFC", text).replace("\r\n", "\n").replace("\r", "\n")
    text = _CONTROL.sub("", text)
    lines = [_SPACES.sub(" ", line).strip() for line in text.split("\n")]
    return _BLANK_LINES.sub("\n\n", "\n".join(lines)).strip()


def content_hash(raw: bytes) -> str:
    return hashlib.sha256(raw).hexdigest()


@dataclass
class IncomingAttachment:
    filename: str
    content_type: str
    size: int
    content: bytes | None
    content_truncated: bool = False


@dataclass
class Incoming:
    """A message as a connector hands it over, before it is stored."""

    channel: str
    source: str
    dedupe_key: str
    raw: bytes
    text: str
    subject: str = ""
    quoted_text: str = ""
    html: str | None = None
    sender_name: str = ""
    sender_address: str = ""
    received_at: dt.datetime | None = None
    message_id_header: str | None = None
    in_reply_to: str | None = None
    references: list[str] = field(default_factory=list)
    meta: dict[str, Any] = field(default_factory=dict)
    attachments: list[IncomingAttachment] = field(default_factory=list)
    is_automated: bool = False
    automated_reason: str | None = None
    raw_truncated: bool = False
    raw_size: int | None = None
    # Set when the input could not be parsed: stored raw as quarantined with this error.
    parse_error: str | None = None
