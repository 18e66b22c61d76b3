"""Email normalisation: raw RFC 5322 bytes to an `Incoming`, best effort and never raising.

The stdlib parser builds the MIME tree (modern policy, compat32 when that
fails). Headers, parameters, charsets and transfer encodings are then read from
the raw values by hand, because on awkward mail the parser's own accessors raise
or produce mojibake. Every part is read under its own guard, so one bad part
costs a warning, not the message.
"""

from __future__ import annotations

import email
import email.message
import email.utils
import mimetypes
import re
from dataclasses import dataclass, field
from email import policy
from email.generator import BytesGenerator
from email.parser import BytesParser
from io import BytesIO
from typing import Any

import structlog

from shared import mailparts
from shared.htmltext import html_to_text
from shared.normalise import Incoming, IncomingAttachment, clean_text

log = structlog.get_logger(__name__)

Message = email.message.Message

_HTML_TEXT_LIMIT = 2 * 1024 * 1024  # converting HTML to text costs ~0.6 s per MB here
MAX_DEPTH = 200  # deeper MIME nesting is not walked (the raw message is kept)
_MAX_MULTIPARTS = 300
_MAX_BOUNDARY_CHECKS = 20_000_000  # multiparts × lines: a few seconds of parsing at most
_BOUNDARY_PARAM = re.compile(rb"boundary\s*=", re.IGNORECASE)
# Machine-readable halves of bounces and receipts: read as quoted text, not attachments.
_REPORT_PARTS = {f"message/{kind}" for kind in ("delivery-status", "disposition-notification")}
_REPORT_PARTS |= {f"message/global-{kind}" for kind in ("delivery-status", "disposition-notification")}
_REPORT_PARTS |= {"message/feedback-report", "text/rfc822-headers", "message/global-headers"}
_SIGNATURE_PARTS = {
    f"application/{kind}" for kind in ("pkcs7-signature", "x-pkcs7-signature", "pgp-signature")
}
_FORWARDED = {"message/rfc822", "message/global"}
_CONTENT_TYPE = re.compile(r"\s*([!#$%&'*+.^`|~\w-]+)\s*/\s*([!#$%&'*+.^`|~\w-]+)")
_BOUNDARY_LINE = re.compile(rb"^--([^\s\"]{1,70})[ \t]*\r?\n[A-Za-z][A-Za-z0-9-]*[ \t]*:", re.MULTILINE)
_MIME_FILLER = re.compile(r"^(--\S+|this is a multi-?part message in mime format\.?)$", re.IGNORECASE)
# An RFC 5322 comment, innermost first: `[^)]*` would rescan to the end from every unclosed `(`.
_COMMENT = re.compile(r"\([^()]*\)")
_COMMENT_DEPTH = 8  # nested comments peeled off per header at most (each pass is linear)


class _Unparseable(Exception):
    """Nothing sensible can be read from the message."""


@dataclass
class _Body:
    """What walking the MIME tree collects."""

    plain: list[str] = field(default_factory=list)
    html: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)  # forwarded messages, report parts: quoted text
    attachments: list[IncomingAttachment] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    defects: set[str] = field(default_factory=set)
    charset_fallback: bool = False


def _headers(part: Message) -> dict[str, list[str]]:
    """Raw header values by lower-case name, unfolded; never raises."""
    found: dict[str, list[str]] = {}
    try:
        items = list(part.raw_items())
    except Exception:
        return found
    for name, value in items:
        found.setdefault(str(name).strip().lower(), []).append(str(value).replace("\r", "").replace("\n", ""))
    return found


def _first(headers: dict[str, list[str]], name: str) -> str:
    values = headers.get(name)
    return values[0] if values else ""


def _content_type(part: Message, headers: dict[str, list[str]]) -> str:
    value = _first(headers, "content-type")
    match = _CONTENT_TYPE.match(value)
    if match:
        return f"{match.group(1)}/{match.group(2)}".lower()
    if value:
        return "text/plain"  # RFC 2045: an unreadable Content-Type means text/plain
    try:
        return part.get_default_type()
    except Exception:
        return "text/plain"


def _payload_bytes(part: Message) -> bytes:
    """The decoded payload of a leaf; falls back to the undecoded bytes."""
    try:
        data = part.get_payload(decode=True)
    except Exception:  # a transfer encoding the stdlib trips over: keep the bytes as sent
        data = None
    if isinstance(data, bytes):
        return data
    payload = _raw_payload(part)
    return payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""


def _raw_payload(part: Message) -> Any:
    """The payload as parsed: a list of parts, or text with 8-bit bytes as surrogates.

    `get_payload()` re-decodes 8-bit text with the declared charset (lossy, and it
    raises on odd labels), so the stored value is read directly.
    """
    return getattr(part, "_payload", None)


def _filename(headers: dict[str, list[str]]) -> str:
    return mailparts.attachment_filename(
        _first(headers, "content-disposition"), _first(headers, "content-type")
    )


def _leaf_text(part: Message, headers: dict[str, list[str]], body: _Body, *, html: bool = False) -> str:
    content_type = _first(headers, "content-type")
    data = _payload_bytes(part)
    charset = mailparts.charset_of(content_type) or (mailparts.html_charset(data) if html else None)
    text, fell_back = mailparts.decode_bytes(data, charset)
    body.charset_fallback |= fell_back
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    if (mailparts.header_param(content_type, "format") or "").lower() == "flowed":
        text = mailparts.unflow(
            text, delsp=(mailparts.header_param(content_type, "delsp") or "").lower() == "yes"
        )
    return text


def _attachment(content_type: str, filename: str, data: bytes, cap: int) -> IncomingAttachment:
    if not filename:
        extension = ".eml" if content_type in _FORWARDED else (mimetypes.guess_extension(content_type) or "")
        filename = ("forwarded" if content_type in _FORWARDED else "attachment") + extension
    keep = len(data) <= cap
    return IncomingAttachment(
        filename=filename,
        content_type=content_type[:200],
        size=len(data),
        content=data if keep else None,
        content_truncated=not keep,
    )


def _message_bytes(message: Message) -> bytes:
    """A nested message as bytes, headers and 8-bit content as received where the generator allows."""
    out = BytesIO()
    try:
        BytesGenerator(out, mangle_from_=False, policy=message.policy.clone(max_line_length=0)).flatten(
            message
        )
    except Exception:
        return b""
    return out.getvalue()


def _walk(part: Message, body: _Body, depth: int, cap: int) -> None:
    """Collect text, HTML, attachments and quoted extras from `part` and its children."""
    if depth > MAX_DEPTH:
        body.warnings.append("MIME nesting too deep: inner parts not read")
        return
    try:
        _read_part(part, body, depth, cap)
    except Exception as exc:  # one unreadable part must not cost the rest of the message
        body.warnings.append(f"a MIME part could not be read ({type(exc).__name__})")


def _read_part(part: Message, body: _Body, depth: int, cap: int) -> None:
    headers = _headers(part)
    content_type = _content_type(part, headers)
    body.defects.update(type(defect).__name__ for defect in getattr(part, "defects", []))
    payload = _raw_payload(part)
    disposition = (_first(headers, "content-disposition").split(";", 1)[0]).strip().lower()
    if content_type.startswith("multipart/"):
        if isinstance(payload, list):
            for child in payload:
                _walk(child, body, depth + 1, cap)
        else:
            _recover_multipart(payload, body, depth, cap)
    elif content_type in _FORWARDED:
        _forwarded(part, payload, disposition, headers, body, depth, cap)
    elif content_type in _REPORT_PARTS:
        body.extra.append(_report_text(part, payload, headers, body))
    elif content_type in _SIGNATURE_PARTS:
        return  # a signature, not something the sender attached; the raw message keeps it
    elif disposition != "attachment" and content_type in ("text/plain", "text/html"):
        if content_type == "text/html":
            body.html.append(_leaf_text(part, headers, body, html=True))
        else:
            body.plain.append(_leaf_text(part, headers, body))
    elif disposition != "attachment" and content_type == "text/calendar":
        return  # an invitation's machine-readable twin of the text part
    elif disposition != "attachment" and content_type.startswith("text/") and not _filename(headers):
        body.plain.append(_leaf_text(part, headers, body))
    else:
        body.attachments.append(_attachment(content_type, _filename(headers), _payload_bytes(part), cap))


def _recover_multipart(payload: Any, body: _Body, depth: int, cap: int) -> None:
    """A multipart the parser found no parts in: guess the real boundary, else read it as text."""
    body.warnings.append("broken MIME structure")
    data = payload.encode("utf-8", "surrogateescape") if isinstance(payload, str) else b""
    match = _BOUNDARY_LINE.search(data)
    if match:
        boundary = match.group(1).removesuffix(b"--")
        rebuilt = email.message_from_bytes(
            b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\r\n\r\n' + data,
            policy=policy.default,
        )
        children = rebuilt.get_payload()
        if isinstance(children, list) and children:
            for child in children:
                _walk(child, body, depth + 1, cap)
            return
    text, fell_back = mailparts.decode_bytes(data, None)
    body.charset_fallback |= fell_back
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    body.plain.append("\n".join(line for line in lines if not _MIME_FILLER.match(line.strip())))


def _forwarded(
    part: Message,
    payload: Any,
    disposition: str,
    headers: dict[str, list[str]],
    body: _Body,
    depth: int,
    cap: int,
) -> None:
    """A message inside the message: its text goes to quoted text; as an attachment it is also recorded."""
    inner = payload[0] if isinstance(payload, list) and payload else None
    if not isinstance(inner, Message):  # e.g. a base64-encoded forward: parse the decoded bytes
        inner = email.message_from_bytes(_payload_bytes(part), policy=policy.default)
    inner_body = _Body()
    _walk(inner, inner_body, depth + 1, cap)
    inner_headers = _headers(inner)
    summary = [
        f"{label}: {mailparts.header_text(_first(inner_headers, label.lower()))}"
        for label in ("From", "Date", "Subject")
        if _first(inner_headers, label.lower())
    ]
    text, quoted = _text_of(inner_body)
    body.extra.append("\n".join(["---------- Forwarded message ----------", *summary, "", text, "", quoted]))
    body.warnings.extend(inner_body.warnings)
    body.defects.update(inner_body.defects)
    body.charset_fallback |= inner_body.charset_fallback
    if disposition == "attachment":
        body.attachments.append(_attachment("message/rfc822", _filename(headers), _message_bytes(inner), cap))
    else:  # an inline forward is read as text, so what it carried is listed as attachments itself
        body.attachments.extend(inner_body.attachments)


def _report_text(part: Message, payload: Any, headers: dict[str, list[str]], body: _Body) -> str:
    """The machine-readable part of a bounce or receipt as text (the parser splits it into header blocks)."""
    if isinstance(payload, list):
        blocks = [
            "\n".join(f"{name}: {mailparts.header_text(str(value))}" for name, value in block.raw_items())
            for block in payload
            if isinstance(block, Message)
        ]
        return "\n\n".join(blocks)
    return _leaf_text(part, headers, body)


def _text_of(body: _Body) -> tuple[str, str]:
    """(new text, quoted text) from what a walk collected: text/plain first, else the HTML as text."""
    source = "\n\n".join(text for text in body.plain if text.strip())
    if not source.strip() and body.html:
        if sum(len(html) for html in body.html) > _HTML_TEXT_LIMIT:
            body.warnings.append("HTML too large: text read from its first 2 MB")
        source = "\n\n".join(html_to_text(html[:_HTML_TEXT_LIMIT]) for html in body.html)
    new, quoted = mailparts.split_reply(clean_text(source))
    extra = "\n\n".join(clean_text(text) for text in body.extra)
    if not new and extra:  # a forward without a comment: the forwarded text is what was sent
        return extra, quoted
    return new, clean_text("\n\n".join(text for text in (quoted, extra) if text))


def _reason(name: str, value: str) -> str:
    return f"{name}: {mailparts.header_text(value)[:60]}".strip()


def _without_comments(value: str) -> str:
    for _ in range(_COMMENT_DEPTH):
        value, removed = _COMMENT.subn("", value)
        if not removed:
            break
    return value


def automated_reason(message: Message) -> str | None:
    """Why the outer headers mark `message` as sent by a machine (RFC 3834 and friends); None for a person.

    Only the outer headers count: a person forwarding a newsletter is still a person.
    """
    headers = _headers(message)
    for value in headers.get("auto-submitted", []):
        keyword = _without_comments(value).strip().lower()
        if keyword and keyword != "no":
            return _reason("Auto-Submitted", value)
    if _content_type(message, headers) == "multipart/report":
        report_type = mailparts.header_param(_first(headers, "content-type"), "report-type") or "unknown"
        return _reason("Content-Type", f"multipart/report; report-type={report_type}")
    if any(re.fullmatch(r"\s*<\s*>\s*", value) for value in headers.get("return-path", [])):
        return "Return-Path: <> (null sender)"
    for name in ("X-Autoreply", "X-Autorespond", "X-Auto-Response-Suppress"):
        if name.lower() in headers:
            return _reason(name, _first(headers, name.lower()))
    for value in headers.get("precedence", []):
        if _without_comments(value).strip().lower() in ("bulk", "junk", "list", "auto_reply"):
            return _reason("Precedence", value)
    return None


def _parse(data: bytes, warnings: list[str], *, headers_only: bool = False) -> Message:
    """The message tree: modern policy, compat32 if that raises; a stray header line repaired."""
    if headers_only:
        return BytesParser(policy=policy.default).parsebytes(data, headersonly=True)
    try:
        message = email.message_from_bytes(data, policy=policy.default)
    except RecursionError:
        raise  # the same parser under compat32 would only fail the same way, slowly
    except Exception:
        message = email.message_from_bytes(data, policy=policy.compat32)
        warnings.append("read with the compat32 parser")
    if any(type(d).__name__ == "MissingHeaderBodySeparatorDefect" for d in message.defects):
        repaired = mailparts.repair_header_block(data)
        if repaired is not None:
            message = email.message_from_bytes(repaired, policy=policy.default)
            warnings.append("malformed header block repaired")
    return message


def _fill(incoming: Incoming, data: bytes, cap: int, warnings: list[str]) -> None:
    """Read headers and body of `data` into `incoming`; raises only when nothing sensible can be read."""
    if not data.strip():
        raise _Unparseable("the message is empty")
    multiparts = len(_BOUNDARY_PARAM.findall(data))
    # The stdlib parser checks every line against every open boundary: deep nesting
    # in a big mail would stall the mailbox for minutes. Such a mail gets its headers read only.
    too_complex = multiparts > _MAX_MULTIPARTS or multiparts * data.count(b"\n") > _MAX_BOUNDARY_CHECKS
    message = _parse(data, warnings, headers_only=too_complex)
    headers = _headers(message)
    if not headers and mailparts.looks_binary(data):
        raise _Unparseable("this is not an email message: no header lines and binary content")
    incoming.subject = mailparts.header_text(_first(headers, "subject"))
    for name in ("from", "sender", "return-path"):
        if _first(headers, name).strip():
            incoming.sender_name, incoming.sender_address = mailparts.parse_address(_first(headers, name))
            if name != "from":
                warnings.append(f"no From header: sender taken from {name.title()}")
            break
    incoming.sender_name = incoming.sender_name[:400]
    incoming.received_at = mailparts.parse_date(_first(headers, "date"))
    ids = mailparts.message_ids(_first(headers, "message-id"))
    incoming.message_id_header = ids[0] if ids else None
    replied = mailparts.message_ids(_first(headers, "in-reply-to"))
    incoming.in_reply_to = replied[0] if replied else None
    incoming.references = mailparts.message_ids(" ".join(headers.get("references", [])))[:200]
    incoming.automated_reason = automated_reason(message)
    incoming.is_automated = incoming.automated_reason is not None
    for name in ("reply-to", "to", "cc"):
        addresses = mailparts.address_list(headers.get(name, []))
        if addresses:
            incoming.meta[name.replace("-", "_")] = addresses[0] if name == "reply-to" else addresses[:50]

    if too_complex:
        raise _Unparseable(f"the MIME structure is too complex to read safely ({multiparts} multipart parts)")
    body = _Body()
    _walk(message, body, 0, cap)
    incoming.text, incoming.quoted_text = _text_of(body)
    incoming.html = body.html[0].replace("\x00", "") if body.html else None
    incoming.attachments = body.attachments
    warnings.extend(body.warnings)
    if body.charset_fallback:
        incoming.meta["charset_fallback"] = True
    if body.defects:
        incoming.meta["mime_defects"] = sorted(body.defects)[:20]


def parse_email(
    raw: bytes,
    *,
    source: str,
    dedupe_key: str,
    max_bytes: int = 25 * 1024 * 1024,
    attachment_cap: int = 5 * 1024 * 1024,
    meta: dict[str, Any] | None = None,
) -> Incoming:
    """Normalise one raw email; never raises: what cannot be read at all comes back with `parse_error` set."""
    raw = bytes(raw)
    meta_out = dict(meta or {})
    warnings = (
        [str(w) for w in meta_out.get("warnings", [])] if isinstance(meta_out.get("warnings"), list) else []
    )
    data = raw
    if 0 < max_bytes < len(raw):
        data = raw[:max_bytes]
        warnings.append("oversized")
    incoming = Incoming(
        channel="email",
        source=source,
        dedupe_key=dedupe_key,
        raw=data,
        text="",
        meta=meta_out,
        raw_truncated=len(data) < len(raw),
        raw_size=len(raw),
    )
    try:
        _fill(incoming, data, attachment_cap, warnings)
    except _Unparseable as exc:
        incoming.parse_error = str(exc)
    except RecursionError:
        incoming.parse_error = "the MIME parts are nested too deeply to parse; the raw message is kept"
    except Exception as exc:  # the parser itself gave up: quarantine, keep the raw
        incoming.parse_error = (
            f"the message could not be parsed ({type(exc).__name__}); the raw message is kept"
        )
    if incoming.parse_error is not None:
        log.warning("mail_unparseable", source=source, dedupe_key=dedupe_key, error=incoming.parse_error)
    if warnings:
        meta_out["warnings"] = list(dict.fromkeys(warnings))
    return incoming
