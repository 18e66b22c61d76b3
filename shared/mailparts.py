"""The pieces of mail decoding that work on values, not on the MIME tree.

Charset fallbacks, RFC 2047 words, header parameters, addresses, dates, a
repair for stray lines in the header block, format=flowed, and splitting new
text from quoted replies and signatures.

Everything here works on bytes or strings already cut out of a message by
`shared.mail`, never raises on odd input, and stays linear in the input size
(a single 1.5 MB line must not slow it down).
"""

from __future__ import annotations

import binascii
import codecs
import datetime as dt
import email.message
import email.utils
import re

# WHATWG encoding standard: these labels mean windows-1252 in practice (old Outlook, webmail).
_READ_AS_CP1252 = {"iso8859-1", "ascii"}
_SINGLE_BYTE_PREFIXES = ("iso8859", "cp125", "latin", "koi8", "mac-")
_CHARSET = re.compile(r"charset\s*=\s*[\"']?([\w.:+-]+)", re.IGNORECASE)
_SURROGATES = re.compile("[\udc80-\udcff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _codec(label: str | None) -> str | None:
    """Python's codec name for a MIME charset label, or None when unknown or not a text encoding."""
    if not label:
        return None
    try:
        info = codecs.lookup(label.strip().strip("\"'"))
    except (LookupError, ValueError, TypeError):
        return None
    # Labels such as "base64" or "rot13" name codecs that are not text encodings.
    return None if getattr(info, "_is_text_encoding", None) is False else info.name


def decode_bytes(data: bytes, label: str | None) -> tuple[str, bool]:
    """Decode with the declared charset, falling back utf-8 → cp1252 → latin-1; returns (text, fell_back).

    A single-byte label is overruled by valid multi-byte UTF-8 (a common mislabel),
    and iso-8859-1 / us-ascii are read as windows-1252 as browsers do.
    """
    if not data:
        return "", False
    codec = _codec(label)
    declared = codec
    if codec is None or codec in _READ_AS_CP1252:
        codec = "cp1252"
    if codec.startswith(_SINGLE_BYTE_PREFIXES) and not data.isascii():
        try:
            return data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
    try:
        text = data.decode("utf-8-sig" if codec == "utf-8" else codec)
        # Missing or unknown labels are guesses even when the guess decodes.
        return text, (declared is None and not data.isascii())
    except (UnicodeDecodeError, LookupError):
        pass
    for fallback in ("utf-8", "cp1252"):
        try:
            return data.decode(fallback), True
        except UnicodeDecodeError:
            continue
    return data.decode("latin-1"), True


def unescape_8bit(value: str) -> str:
    """Text the bytes parser left with raw 8-bit bytes as surrogates, decoded with the fallback chain."""
    if not _SURROGATES.search(value):
        return value
    return decode_bytes(value.encode("utf-8", "surrogateescape"), "utf-8")[0]


_ENCODED_WORD = re.compile(r"=\?([^?\s]+?)\?([QqBb])\?([^?\s]*)\?=")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/]")


def _word_bytes(encoding: str, payload: str) -> bytes | None:
    raw = payload.encode("utf-8", "surrogateescape")
    if encoding in "Qq":
        return binascii.a2b_qp(raw, header=True)
    # Lenient base64: drop what is not in the alphabet and repair the padding.
    cleaned = _NOT_BASE64.sub("", payload)
    if len(cleaned) % 4 == 1:
        cleaned = cleaned[:-1]
    try:
        return binascii.a2b_base64(cleaned + "=" * (-len(cleaned) % 4))
    except binascii.Error:
        return None


def decode_words(value: str) -> str:
    """Decode RFC 2047 encoded words leniently; malformed words are left as written."""
    if "=?" not in value:
        return value
    out: list[str] = []
    # Adjacent words are joined as bytes per charset first: clients split one
    # multi-byte character over two words.
    pending: list[tuple[str, bytes]] = []

    def flush() -> None:
        out.extend(decode_bytes(data, charset)[0] for charset, data in pending)
        pending.clear()

    position = 0
    for match in _ENCODED_WORD.finditer(value):
        between = value[position : match.start()]
        if not (pending and not between.strip()):  # whitespace between two words is dropped
            flush()
            out.append(between)
        position = match.end()
        charset = match.group(1).split("*", 1)[0]  # RFC 2231 language suffix
        data = _word_bytes(match.group(2), match.group(3))
        if data is None:
            flush()
            out.append(match.group(0))
        elif pending and pending[-1][0].lower() == charset.lower():
            pending[-1] = (charset, pending[-1][1] + data)
        else:
            pending.append((charset, data))
    flush()
    out.append(value[position:])
    return "".join(out)


def header_text(value: str) -> str:
    """A header value as readable one-line text: 8-bit bytes and encoded words decoded."""
    value = decode_words(unescape_8bit(value.replace("\r", "").replace("\n", "")))
    return " ".join(_CONTROL.sub("", value).split())


def header_param(value: str, name: str) -> str | None:
    """One parameter of a structured header (RFC 2231 continuations and charsets included)."""
    holder = email.message.Message()  # compat32: parameters only, no strict value parsing
    holder["x"] = value
    try:
        result = holder.get_param(name, header="x")
        if isinstance(result, tuple):
            result = email.utils.collapse_rfc2231_value(result, errors="replace")
    except Exception:
        return None
    return str(result) if result else None


def charset_of(content_type: str) -> str | None:
    """The charset parameter of a Content-Type value, even when the value is malformed."""
    charset = header_param(content_type, "charset")
    if charset is None:  # 'text/plain charset=utf-8' (missing ';') still names one
        match = _CHARSET.search(content_type)
        charset = match.group(1) if match else None
    return charset


def html_charset(data: bytes) -> str | None:
    """The charset an HTML document declares in its own <meta>, if any."""
    match = _CHARSET.search(data[:4096].decode("ascii", "replace"))
    return match.group(1) if match else None


def attachment_filename(disposition: str, content_type: str) -> str:
    """An attachment's file name (RFC 2231, encoded words, raw 8-bit), never a path; "" when none."""
    name = header_param(unescape_8bit(disposition), "filename")
    name = name or header_param(unescape_8bit(content_type), "name")
    if not name:
        return ""
    name = header_text(name)
    name = re.split(r"[\\/]", name)[-1].strip()  # never a path
    if len(name) > 400:
        stem, dot, extension = name.rpartition(".")
        name = (stem[: 399 - len(extension)] + dot + extension) if dot and len(extension) < 20 else name[:400]
    return name


# Tried only where a run of address characters starts (the lookbehind): from inside a long run
# without an `@` every start would rescan the rest of it.
_ADDRESS = re.compile(r"(?<![^\s<>\"',;:()\[\]])[^\s<>\"',;:()\[\]]+@[^\s<>\"',;:()\[\]]+")
_MESSAGE_ID = re.compile(r"<[^<>]+>")


def parse_address(value: str) -> tuple[str, str]:
    """(display name, lower-case address) from an address header, best effort on broken ones."""
    value = unescape_8bit(value.replace("\r", "").replace("\n", ""))
    try:
        pairs = email.utils.getaddresses([value])
    except Exception:
        pairs = []
    for name, address in pairs:
        if "@" in address:
            return header_text(name)[:400], _token(address)
    # Unparseable (unclosed bracket, no address at all): take what looks like an address.
    match = _ADDRESS.search(value)
    address = match.group(0) if match else ""
    name = value.replace(address, "") if address else value
    name = header_text(name.replace("<", " ").replace(">", " ").replace('"', " "))
    return name[:400], _token(address)


def _token(address: str) -> str:
    """An address as stored: lower case, no whitespace or control characters (PostgreSQL rejects NUL)."""
    return "".join(_CONTROL.sub("", address).split()).lower()[:400]


def address_list(values: list[str]) -> list[str]:
    """Lower-case addresses from To/Cc-style header values; broken entries are skipped."""
    try:
        pairs = email.utils.getaddresses([unescape_8bit(v) for v in values])
    except Exception:
        return []
    return [_token(address) for _, address in pairs if "@" in address]


def message_ids(value: str) -> list[str]:
    """The <id> tokens of Message-ID / In-Reply-To / References, as written minus whitespace."""
    value = unescape_8bit(value)
    found = _MESSAGE_ID.findall(value) or value.split()
    return ["".join(_CONTROL.sub("", token).split())[:998] for token in found if token.strip()]


def parse_date(value: str) -> dt.datetime | None:
    """An aware UTC datetime from a Date header, or None when it means nothing parseable."""
    if not value.strip():
        return None
    try:
        parsed = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
    if parsed is None:
        return None
    if parsed.tzinfo is None:  # "-0000": time known, zone not; read as UTC
        parsed = parsed.replace(tzinfo=dt.UTC)
    try:
        return parsed.astimezone(dt.UTC)
    except (ValueError, OverflowError):
        return None


_HEADER_LINE = re.compile(rb"[!-9;-~]+[ \t]*:")
_KNOWN_HEADER = re.compile(
    rb"(x-[\w-]+|message-id|mime-version|content-[\w-]+|date|from|to|cc|subject|reply-to|sender"
    rb"|in-reply-to|references|received|return-path|auto-submitted|precedence|list-[\w-]+)[ \t]*:",
    re.IGNORECASE,
)
_BLANK_LINE = re.compile(rb"\r?\n\r?\n")
_CONTROL_BYTES = bytes([*range(9), *range(14, 32)])


def repair_header_block(raw: bytes) -> bytes | None:
    """Drop a stray line or two inside the header block, so the headers after it are not read as body.

    Only when what follows the stray line is unmistakably headers: otherwise it is
    the start of a body that lacks the blank separator line, and is kept.
    """
    end = _BLANK_LINE.search(raw, 0, 1024 * 1024)
    if end is None:
        return None
    lines = raw[: end.start()].splitlines(keepends=True)
    stray = [
        i for i, line in enumerate(lines) if not _HEADER_LINE.match(line) and line[:1] not in (b" ", b"\t")
    ]
    after = [line for i, line in enumerate(lines) if stray and i > stray[0] and i not in stray]
    if not 0 < len(stray) <= 2 or stray[0] < 2 or not after:
        return None
    if not all(_KNOWN_HEADER.match(line) or line[:1] in (b" ", b"\t") for line in after if line.strip()):
        return None
    return b"".join(line for i, line in enumerate(lines) if i not in stray) + raw[end.start() :]


def looks_binary(data: bytes) -> bool:
    """Mostly control bytes: a file, not the text of a message."""
    sample = data[:65536]
    return len(sample) - len(sample.translate(None, _CONTROL_BYTES)) > len(sample) * 0.05


def unflow(text: str, *, delsp: bool) -> str:
    """Undo RFC 3676 format=flowed: join soft-broken lines, drop space-stuffing."""
    out: list[str] = []
    carried: str | None = None
    carried_depth = 0
    for line in text.split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        if content.startswith(" "):
            content = content[1:]
        if carried is not None and depth == carried_depth:
            content = carried + content
        elif carried is not None:
            out.append(_quote(carried_depth, carried))
        carried = None
        if content.endswith(" ") and content != "-- ":
            carried, carried_depth = (content[:-1] if delsp else content), depth
            continue
        out.append(_quote(depth, content))
    if carried is not None:
        out.append(_quote(carried_depth, carried))
    return "\n".join(out)


def _quote(depth: int, content: str) -> str:
    return f"{'>' * depth} {content}" if depth else content


# Reply splitting. Lines are short in practice; the length guards keep a single
# enormous line from being scanned by every pattern.
_ATTRIBUTION_START = re.compile(r"(op|on|am|le)\s", re.IGNORECASE)
_ATTRIBUTION_VERB = re.compile(r"\b(schreef|geschreven|wrote|schrieb|a écrit)\b", re.IGNORECASE)
_SEPARATOR = re.compile(
    r"-{2,}\s*(oorspronkelijk bericht|origineel bericht|original message|doorgestuurd bericht"
    r"|forwarded message|ursprüngliche nachricht|weitergeleitete nachricht)\s*-{2,}"
    r"|(begin forwarded message|begin doorgestuurd bericht)\s*:",
    re.IGNORECASE,
)
_UNDERSCORES = re.compile(r"_{10,}")
_HEADER_FROM = re.compile(r"\*?(van|from|von)\s*:\*?\s*\S", re.IGNORECASE)
_HEADER_SENT = re.compile(r"\*?(verzonden|sent|datum|date|gesendet)\s*:", re.IGNORECASE)
_MOBILE = re.compile(
    r"((verzonden|verstuurd) (vanaf|vanuit|van|met|via) mijn|sent (from|with|via) my)( \S+){1,4}"
    r"|(verzonden|verstuurd) (vanaf|vanuit|met|via) (outlook|mail|gmail|yahoo mail)( \S+){0,3}"
    r"|sent (from|with|via) (outlook|mail|gmail|yahoo mail)( \S+){0,3}"
    r"|(get|download) outlook for (ios|android)|outlook voor (ios|android) (downloaden|ophalen)",
    re.IGNORECASE,
)
_SHORT = 200


def _next_content(lines: list[str], start: int) -> int | None:
    for index in range(start, len(lines)):
        if lines[index].strip():
            return index
    return None


def _is_header_block(lines: list[str], index: int | None) -> bool:
    """An Outlook-style "Van: … Verzonden: …" / "From: … Sent: …" block starts here."""
    if index is None or len(lines[index]) > _SHORT or not _HEADER_FROM.match(lines[index]):
        return False
    return any(_HEADER_SENT.match(line) for line in lines[index + 1 : index + 5] if len(line) < _SHORT)


def _is_cut(lines: list[str], index: int) -> bool:
    """Everything from this line on is an earlier message or a signature."""
    line = lines[index].strip()
    if len(line) > _SHORT:
        return False
    if line in ("--", "-- ") or _SEPARATOR.fullmatch(line) or _MOBILE.fullmatch(line):
        return True
    if _UNDERSCORES.fullmatch(line):
        return _is_header_block(lines, _next_content(lines, index + 1))
    return _is_header_block(lines, index)


def _attribution_span(lines: list[str], index: int) -> int:
    """How many lines an "Op … schreef X:" / "On … wrote:" attribution starting here spans (0: none)."""
    if len(lines[index]) > _SHORT or not _ATTRIBUTION_START.match(lines[index]):
        return 0
    window = ""
    for span in range(1, 4):  # clients wrap long attributions over two or three lines
        if index + span > len(lines):
            break
        window = f"{window} {lines[index + span - 1].strip()}".strip()
        if len(window) > 2 * _SHORT:
            break
        if window.endswith(":") and _ATTRIBUTION_VERB.search(window) and any(c.isdigit() for c in window):
            return span
    return 0


def split_reply(text: str) -> tuple[str, str]:
    """Split text into (new text, quoted replies and signature); keeps everything new if nothing would be."""
    lines = text.split("\n")
    new: list[str] = []
    quoted: list[str] = []
    index = 0
    while index < len(lines):
        line = lines[index]
        if _is_cut(lines, index):
            quoted.extend(lines[index:])
            break
        span = _attribution_span(lines, index)
        if span:
            quoted.extend(lines[index : index + span])
            index += span
            following = _next_content(lines, index)
            if following is None or not lines[following].startswith(">"):
                # Quoted without '>' (HTML mail turned into text): the rest is the earlier message.
                quoted.extend(lines[index:])
                break
            # A '>' block ends at the first unquoted line: bottom-posted new text resumes there.
            while index < len(lines) and (lines[index].startswith(">") or not lines[index].strip()):
                quoted.append(lines[index])
                index += 1
            continue
        (quoted if line.startswith(">") else new).append(line)
        index += 1
    new_text = "\n".join(new).strip()
    if not new_text:
        return text.strip(), ""
    return new_text, "\n".join(quoted).strip()
