"""Checking attachments: count and size limits, and the type by extension AND by content.

The extension alone is what a citizen's computer claims; the first bytes are
what the file is. Both must agree with an allowed type, so a renamed
executable is refused and staff can open what they receive.
"""

from __future__ import annotations

import io
import re
import unicodedata
import zipfile
from dataclasses import dataclass

from services.api.intake.config import FileType, WebformOptions
from services.api.intake.exceptions import AttachmentRejected
from shared.normalise import IncomingAttachment

EXTENSIONS: dict[FileType, tuple[str, ...]] = {
    "pdf": (".pdf",),
    "png": (".png",),
    "jpeg": (".jpg", ".jpeg"),
    "docx": (".docx",),
    "txt": (".txt",),
}
MEDIA_TYPES: dict[FileType, str] = {
    "pdf": "application/pdf",
    "png": "image/png",
    "jpeg": "image/jpeg",
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "txt": "text/plain",
}
# Named by extension: what citizens see in their file browser, in any language.
LABELS: dict[FileType, str] = {"pdf": "PDF", "png": "PNG", "jpeg": "JPG", "docx": "DOCX", "txt": "TXT"}

_UNSAFE_NAME = re.compile(r"[\x00-\x1f\x7f/\\]+")


@dataclass(frozen=True)
class Upload:
    filename: str
    content: bytes


def safe_filename(name: str) -> str:
    """The last path component, without control characters, at most 200 characters."""
    name = unicodedata.normalize("NFC", name).replace("\\", "/").rsplit("/", 1)[-1]
    name = _UNSAFE_NAME.sub("_", name).strip(" .") or "bijlage"
    if len(name) > 200:
        stem, dot, ext = name.rpartition(".")
        name = f"{stem[: 200 - len(ext) - 1]}.{ext}" if dot and len(ext) <= 10 else name[:200]
    return name


def type_by_extension(filename: str) -> FileType | None:
    lower = filename.lower()
    for kind, extensions in EXTENSIONS.items():
        if lower.endswith(extensions):
            return kind
    return None


def content_is(kind: FileType, content: bytes) -> bool:
    """Whether the bytes really are a file of `kind` (magic numbers; structure for docx and text)."""
    if kind == "pdf":
        # Some producers put a few bytes of junk before the header; readers accept up to 1 KB.
        return b"%PDF-" in content[:1024]
    if kind == "png":
        return content.startswith(b"\x89PNG\r\n\x1a\n")
    if kind == "jpeg":
        return content.startswith(b"\xff\xd8\xff")
    if kind == "docx":
        return content.startswith(b"PK\x03\x04") and _is_word_document(content)
    return _is_text(content)


def _is_word_document(content: bytes) -> bool:
    # Only the central directory is read; nothing is decompressed, so a zip bomb costs nothing.
    try:
        with zipfile.ZipFile(io.BytesIO(content)) as archive:
            names = set(archive.namelist())
    except (zipfile.BadZipFile, ValueError, OSError, EOFError):
        return False
    return "[Content_Types].xml" in names and "word/document.xml" in names


def _is_text(content: bytes) -> bool:
    if b"\x00" in content:
        return False
    for encoding in ("utf-8", "cp1252"):
        try:
            content.decode(encoding)
        except UnicodeDecodeError:
            continue
        return True
    return False


def allowed_labels(options: WebformOptions) -> str:
    return ", ".join(LABELS[kind] for kind in options.allowed_types)


def accept_attribute(options: WebformOptions) -> str:
    """The file input's `accept`: a hint for the file picker, never a check."""
    return ",".join(ext for kind in options.allowed_types for ext in EXTENSIONS[kind])


def check(uploads: list[Upload], options: WebformOptions) -> list[IncomingAttachment]:
    """Refuse the first attachment that breaks a limit; otherwise the attachments as ingest stores them."""
    if uploads and options.max_attachments == 0:
        raise AttachmentRejected("att_none")
    if len(uploads) > options.max_attachments:
        raise AttachmentRejected("att_count", max=options.max_attachments)
    accepted = []
    total = 0
    for index, upload in enumerate(uploads):
        filename = safe_filename(upload.filename)
        size = len(upload.content)
        if size == 0:
            raise AttachmentRejected("att_empty", index=index, filename=filename)
        kind = type_by_extension(filename)
        if kind is None or kind not in options.allowed_types:
            raise AttachmentRejected(
                "att_type", index=index, filename=filename, types=allowed_labels(options)
            )
        if size > options.max_attachment_bytes:
            raise AttachmentRejected(
                "att_size", index=index, filename=filename, size=size, max=options.max_attachment_bytes
            )
        if not content_is(kind, upload.content):
            raise AttachmentRejected("att_content", index=index, filename=filename, type=LABELS[kind])
        total += size
        accepted.append(IncomingAttachment(filename, MEDIA_TYPES[kind], size, upload.content))
    if total > options.max_total_bytes:
        raise AttachmentRejected("att_total", size=total, max=options.max_total_bytes)
    return accepted
