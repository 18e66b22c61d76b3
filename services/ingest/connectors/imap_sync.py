"""Reading one IMAP folder by UID: new mail in batches, stored with its cursor, then acknowledged.

A folder's cursor is `{"uidvalidity": V, "last_uid": U, "earlier_uidvalidities": [...]}`,
committed with the messages it covers (invariant 1). The dedupe key is
`folder:uidvalidity:uid`. When the server's UIDVALIDITY changes, every UID is
new: the folder is walked again from the start, and a message already stored
from this folder under an earlier UIDVALIDITY (same Message-ID or same bytes)
is acknowledged but not stored twice. That check stays on for the folder from
then on, so a resynchronisation interrupted half-way, or mail re-appended after
it, still yields no duplicates.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import IMAPClientAbortError, IMAPClientError
from imapclient.imapclient import SEEN
from sqlalchemy import or_, select
from sqlalchemy.exc import InterfaceError, OperationalError, StatementError

from services.ingest import store
from services.ingest.sink import Sink
from shared import mail
from shared.db import Database
from shared.models import Message
from shared.normalise import Incoming, content_hash

log = structlog.get_logger(__name__)

AfterStore = Literal["nothing", "seen", "move"]
Progress = Callable[[int, int], None]  # (messages done, messages to do) within one folder


@dataclass(frozen=True)
class FolderPolicy:
    """How the connector reads and acknowledges mail; the same for each of its folders."""

    source: str
    batch_size: int
    max_message_bytes: int
    attachment_cap: int
    after_store: AfterStore = "nothing"
    move_to: str | None = None
    can_move: bool = True  # the server has MOVE; otherwise COPY and set \Seen


@dataclass
class FolderResult:
    uidnext: int | None = None  # as the server reported it when the folder was selected
    stored: int = 0  # new rows
    duplicates: int = 0  # already stored (a re-fetch, or the same mail before a UIDVALIDITY change)
    truncated: list[int] = field(default_factory=list)  # UIDs of oversized mail stored truncated
    quarantined: list[int] = field(default_factory=list)  # UIDs stored raw because they could not be read


def sync_folder(
    client: IMAPClient, sink: Sink, folder: str, policy: FolderPolicy, *, progress: Progress | None = None
) -> FolderResult:
    """Store the folder's mail newer than its cursor; acknowledge each batch after its commit."""
    info = client.select_folder(folder, readonly=policy.after_store == "nothing")
    uidvalidity = int(info[b"UIDVALIDITY"])
    result = FolderResult(uidnext=info.get(b"UIDNEXT"))
    cursor = sink.cursor(folder)
    earlier: list[int] = list(cursor.get("earlier_uidvalidities", []))
    last_uid = int(cursor.get("last_uid", 0))
    if cursor and cursor.get("uidvalidity") != uidvalidity:
        log.warning(
            "imap uidvalidity changed; resynchronising the folder",
            connector=policy.source,
            folder=folder,
            old=cursor.get("uidvalidity"),
            new=uidvalidity,
        )
        earlier.append(int(cursor["uidvalidity"]))
        last_uid = 0
        # Recorded at once, so a crash during the walk still knows the earlier UIDVALIDITY.
        sink.store([], {folder: _cursor(uidvalidity, 0, earlier)})
    if result.uidnext is not None and result.uidnext <= last_uid + 1:
        return result  # nothing new: the usual poll costs one SELECT
    # `UID n:*` also returns the highest message when none is newer than n; filter it out.
    uids = sorted(uid for uid in client.search(["UID", f"{last_uid + 1}:*"]) if uid > last_uid)
    for start in range(0, len(uids), policy.batch_size):
        batch = uids[start : start + policy.batch_size]
        _sync_batch(client, sink, folder, uidvalidity, earlier, batch, policy, result)
        if progress is not None:
            progress(start + len(batch), len(uids))
    return result


def _cursor(uidvalidity: int, last_uid: int, earlier: list[int]) -> dict[str, Any]:
    return {"uidvalidity": uidvalidity, "last_uid": last_uid, "earlier_uidvalidities": earlier}


def _sync_batch(
    client: IMAPClient,
    sink: Sink,
    folder: str,
    uidvalidity: int,
    earlier: list[int],
    batch: list[int],
    policy: FolderPolicy,
    result: FolderResult,
) -> None:
    limit = policy.max_message_bytes
    envelope = _fetch(client, batch, ["RFC822.SIZE", "INTERNALDATE"])
    # A UID missing from the answer was expunged by someone else in the meantime: nothing to store.
    present = [uid for uid in batch if uid in envelope]
    sizes = {uid: _size(envelope[uid]) for uid in present}
    whole = [uid for uid in present if sizes[uid] <= limit]
    oversized = [uid for uid in present if sizes[uid] > limit]
    bodies = _fetch_bodies(client, whole, "BODY.PEEK[]", b"BODY[]")
    bodies.update(_fetch_bodies(client, oversized, f"BODY.PEEK[]<0.{limit}>", b"BODY[]<0>"))

    incomings: list[Incoming] = []
    for uid in present:
        meta: dict[str, Any] = {"folder": folder, "uid": uid, "uidvalidity": uidvalidity}
        if uid in oversized:
            meta["warnings"] = ["oversized"]  # only the first max_message_bytes were fetched
        incoming = _incoming(bodies[uid], f"{folder}:{uidvalidity}:{uid}", meta, policy)
        if uid in oversized:
            incoming.raw_truncated = True
            incoming.raw_size = sizes[uid]
            result.truncated.append(uid)
            log.warning("imap message over the size limit stored truncated", connector=policy.source,
                        folder=folder, uid=uid, size=sizes[uid], limit=limit)  # fmt: skip
        received = envelope[uid].get(b"INTERNALDATE")
        if isinstance(received, dt.datetime) and received.tzinfo is not None:
            incoming.received_at = received  # when the organisation received it, not the sender's Date
        if incoming.parse_error is not None:
            result.quarantined.append(uid)
        incomings.append(incoming)

    if earlier:
        known = stored_under_earlier_uidvalidity(
            sink.database, source=policy.source, folder=folder, uidvalidity=uidvalidity, incomings=incomings
        )
        fresh = [i for i in incomings if not _matches(i, known)]
        result.duplicates += len(incomings) - len(fresh)
        incomings = fresh
    stored = _store(sink, incomings, {folder: _cursor(uidvalidity, batch[-1], earlier)})
    result.stored += sum(1 for s in stored if s.created)
    result.duplicates += sum(1 for s in stored if not s.created)
    # Invariant 1: the batch is committed; only now touch the source.
    acknowledge(client, present, policy)


def _size(data: dict[bytes, Any]) -> int:
    size = data.get(b"RFC822.SIZE")
    return int(size) if isinstance(size, int) else 0


def _fetch(client: IMAPClient, uids: Sequence[int], items: list[str]) -> dict[int, dict[bytes, Any]]:
    return client.fetch(uids, items) if uids else {}


def _fetch_bodies(client: IMAPClient, uids: list[int], item: str, key: bytes) -> dict[int, bytes | str]:
    """Message bytes per UID, or the server's error for a message it cannot deliver.

    One unreadable message (a corrupt file on the server) fails a whole FETCH;
    retrying one by one isolates it so it is quarantined instead of blocking the folder.
    """
    if not uids:
        return {}
    try:
        answer = client.fetch(uids, [item])
        return {uid: _body(answer.get(uid), key) for uid in uids}
    except IMAPClientAbortError:
        raise
    except IMAPClientError:
        if len(uids) == 1:
            raise
    bodies: dict[int, bytes | str] = {}
    for uid in uids:
        try:
            bodies[uid] = _body(client.fetch([uid], [item]).get(uid), key)
        except IMAPClientAbortError:
            raise
        except IMAPClientError as exc:
            bodies[uid] = f"the IMAP server could not deliver this message: {exc}"
    return bodies


def _body(data: dict[bytes, Any] | None, key: bytes) -> bytes | str:
    body = (data or {}).get(key)
    if isinstance(body, bytes):
        return body
    return "the IMAP server returned no content for this message"


def _incoming(body: bytes | str, dedupe_key: str, meta: dict[str, Any], policy: FolderPolicy) -> Incoming:
    if isinstance(body, str):
        return _quarantined(b"", dedupe_key, meta, policy.source, body)
    try:
        return mail.parse_email(
            body,
            source=policy.source,
            dedupe_key=dedupe_key,
            max_bytes=policy.max_message_bytes,
            attachment_cap=policy.attachment_cap,
            meta=meta,
        )
    except Exception as exc:  # parse_email should never raise; if it does, the mail is kept raw anyway
        log.exception("email parser raised; message quarantined", connector=policy.source, key=dedupe_key)
        return _quarantined(body, dedupe_key, meta, policy.source, f"parser error: {type(exc).__name__}")


def _quarantined(raw: bytes, dedupe_key: str, meta: dict[str, Any], source: str, error: str) -> Incoming:
    return Incoming(
        channel="email", source=source, dedupe_key=dedupe_key, raw=raw, text="", meta=meta, parse_error=error
    )


def _store(sink: Sink, incomings: list[Incoming], cursors: dict[str, dict[str, Any]]) -> list[store.Stored]:
    """Store the batch with its cursor; a message the database refuses is quarantined, never blocking."""
    try:
        return sink.store(incomings, cursors)
    except (OperationalError, InterfaceError):
        raise  # the database is unreachable: the poll fails and is retried
    except (StatementError, ValueError) as exc:
        log.warning(
            "database refused a batch; storing one by one", connector=sink.connector, error=type(exc).__name__
        )
    results: list[store.Stored] = []
    for incoming in incomings:
        try:
            results += sink.store([incoming])
        except (OperationalError, InterfaceError):
            raise
        except (StatementError, ValueError) as exc:
            log.warning("message quarantined: the database refused it", connector=sink.connector,
                        key=incoming.dedupe_key, error=type(exc).__name__)  # fmt: skip
            fallback = _quarantined(
                incoming.raw, incoming.dedupe_key, incoming.meta, incoming.source,
                f"stored raw: the parsed message could not be saved ({type(exc).__name__})",
            )  # fmt: skip
            fallback.raw_truncated, fallback.raw_size = incoming.raw_truncated, incoming.raw_size
            results += sink.store([fallback])
    sink.store([], cursors)
    return results


def acknowledge(client: IMAPClient, uids: list[int], policy: FolderPolicy) -> None:
    """Apply `after_store` to stored mail. Never sets \\Deleted, never expunges."""
    if not uids or policy.after_store == "nothing":
        return
    if policy.after_store == "seen":
        client.add_flags(uids, [SEEN], silent=True)
        return
    assert policy.move_to is not None  # the options model requires it for "move"
    if policy.can_move:
        client.move(uids, policy.move_to)
    else:
        # Without MOVE a move is COPY + \Deleted + EXPUNGE; we never delete, so the original stays, seen.
        client.copy(uids, policy.move_to)
        client.add_flags(uids, [SEEN], silent=True)


@dataclass(frozen=True)
class KnownMail:
    message_ids: set[str]
    hashes: set[str]


def stored_under_earlier_uidvalidity(
    database: Database, *, source: str, folder: str, uidvalidity: int, incomings: Iterable[Incoming]
) -> KnownMail:
    """Which of `incomings` were stored from `folder` under another UIDVALIDITY (by Message-ID or hash)."""
    incomings = list(incomings)
    message_ids = {i.message_id_header for i in incomings if i.message_id_header}
    hashes = {content_hash(i.raw) for i in incomings}
    if not incomings:
        return KnownMail(set(), set())
    with database.session() as session:
        rows = session.execute(
            select(Message.dedupe_key, Message.message_id_header, Message.content_hash).where(
                Message.source == source,
                or_(Message.message_id_header.in_(message_ids), Message.content_hash.in_(hashes)),
            )
        ).all()
    known = KnownMail(set(), set())
    for row in rows:
        # Folder names may contain ":"; the last two parts are always UIDVALIDITY and UID.
        parts = row.dedupe_key.rsplit(":", 2)
        if len(parts) != 3 or parts[0] != folder or parts[1] == str(uidvalidity):
            continue
        if row.message_id_header in message_ids:
            known.message_ids.add(row.message_id_header)
        if row.content_hash in hashes:
            known.hashes.add(row.content_hash)
    return known


def _matches(incoming: Incoming, known: KnownMail) -> bool:
    if incoming.message_id_header and incoming.message_id_header in known.message_ids:
        return True
    return content_hash(incoming.raw) in known.hashes
