"""Reading one IMAP folder by UID: new mail in batches, stored with its cursor, then acknowledged.

A folder's cursor is `{"uidvalidity": V, "last_uid": U, "earlier_uidvalidities": [...]}`,
committed with the messages it covers (invariant 1). The dedupe key is
`folder:uidvalidity:uid`, but a UID is only new to its folder: mail moved back
into a watched folder, refiled between two watched folders, or seen again after
a UIDVALIDITY change (the folder is then walked from the start) gets a new UID.
So every batch is also checked against what the account already stored, in any
folder, by Message-ID or by the exact bytes; such mail is acknowledged but not
stored twice.

The acknowledgement (`after_store`: \\Seen or MOVE) owed for a batch is noted in
the batch's own transaction and removed once the server has it; what a lost
connection left owed is done first on the next poll of the folder.
"""

from __future__ import annotations

import dataclasses
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
from services.ingest.sink import Ack, Sink
from shared import mail
from shared.db import Database
from shared.models import Message
from shared.normalise import Incoming, content_hash

log = structlog.get_logger(__name__)

AfterStore = Literal["nothing", "seen", "move"]
Progress = Callable[[int, int], None]  # (messages done, messages to do) within one folder
# Called between a batch's commit and its acknowledgement (tests cut the connection there).
BeforeAcknowledge = Callable[[IMAPClient], None]


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
    client: IMAPClient,
    sink: Sink,
    folder: str,
    policy: FolderPolicy,
    *,
    progress: Progress | None = None,
    before_acknowledge: BeforeAcknowledge | None = None,
) -> FolderResult:
    """Store the folder's mail newer than its cursor; acknowledge each batch after its commit."""
    info = client.select_folder(folder, readonly=policy.after_store == "nothing")
    uidvalidity = int(info[b"UIDVALIDITY"])
    result = FolderResult(uidnext=info.get(b"UIDNEXT"))
    acknowledge_pending(client, sink, folder, uidvalidity, policy)
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
        _sync_batch(client, sink, folder, uidvalidity, earlier, batch, policy, result, before_acknowledge)
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
    before_acknowledge: BeforeAcknowledge | None = None,
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

    fresh = not_stored_yet(sink.database, source=policy.source, incomings=incomings)
    result.duplicates += len(incomings) - len(fresh)
    owed = [Ack(folder, uidvalidity, uid, policy.after_store) for uid in present]
    if policy.after_store == "nothing":
        owed = []
    stored = _store(sink, fresh, {folder: _cursor(uidvalidity, batch[-1], earlier)}, owed)
    result.stored += sum(1 for s in stored if s.created)
    result.duplicates += sum(1 for s in stored if not s.created)
    # Invariant 1: the batch is committed; only now touch the source. Should the connection drop
    # here, the acknowledgements noted with the batch are retried on the next poll.
    if before_acknowledge is not None:
        before_acknowledge(client)
    acknowledge(client, present, policy)
    sink.acknowledged(owed)


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


def _store(
    sink: Sink, incomings: list[Incoming], cursors: dict[str, dict[str, Any]], acks: list[Ack]
) -> list[store.Stored]:
    """Store the batch with its cursor and owed acks; a message the database refuses is quarantined."""
    try:
        return sink.store(incomings, cursors, acks)
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
    sink.store([], cursors, acks)
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


def acknowledge_pending(
    client: IMAPClient, sink: Sink, folder: str, uidvalidity: int, policy: FolderPolicy
) -> None:
    """Do what earlier polls stored but could not acknowledge (the connection dropped after the commit)."""
    pending = sink.pending_acks(folder)
    if not pending:
        return
    current = [a for a in pending if a.uidvalidity == uidvalidity and policy.after_store != "nothing"]
    if len(current) < len(pending):
        # A rebuilt folder's old UIDs name other mail now, and "nothing" owes nothing: drop those.
        log.info("imap pending acknowledgements dropped", connector=policy.source, folder=folder,
                 count=len(pending) - len(current))  # fmt: skip
    if not current:
        sink.acknowledged(pending)
        return
    # Mail moved or expunged since (by us before the drop, or by someone else) is no longer there.
    still_here = set(_fetch(client, [a.uid for a in current], ["FLAGS"]))
    for action in ("seen", "move"):
        uids = [a.uid for a in current if a.action == action and a.uid in still_here]
        owed_policy = policy if action == policy.after_store else _with_action(policy, action)
        acknowledge(client, uids, owed_policy)
    log.info("imap acknowledgements retried", connector=policy.source, folder=folder,
             count=len(current), still_here=len(still_here))  # fmt: skip
    sink.acknowledged(pending)


def _with_action(policy: FolderPolicy, action: str) -> FolderPolicy:
    # Owed from before a configuration change: a move without a target folder becomes seen.
    if action == "move" and policy.move_to is None:
        action = "seen"
    return dataclasses.replace(policy, after_store=action)  # type: ignore[arg-type]


def not_stored_yet(database: Database, *, source: str, incomings: Sequence[Incoming]) -> list[Incoming]:
    """`incomings` less mail this account already stored from any folder (same Message-ID or bytes).

    Bytes are compared only where there are some: mail the server could not deliver
    is stored empty (quarantined), and two such mails are not the same mail.
    """
    if not incomings:
        return []
    message_ids = {i.message_id_header for i in incomings if i.message_id_header}
    hashes = {content_hash(i.raw) for i in incomings if i.raw}
    known_ids: set[str] = set()
    known_hashes: set[str] = set()
    with database.session() as session:
        for batch_ids, batch_hashes in _chunks(message_ids, hashes):
            rows = session.execute(
                select(Message.message_id_header, Message.content_hash).where(
                    Message.source == source,
                    or_(Message.message_id_header.in_(batch_ids), Message.content_hash.in_(batch_hashes)),
                )
            ).all()
            known_ids.update(r.message_id_header for r in rows if r.message_id_header)
            known_hashes.update(r.content_hash for r in rows if r.content_hash)
    fresh = []
    for incoming in incomings:
        digest = content_hash(incoming.raw) if incoming.raw else None
        if (incoming.message_id_header and incoming.message_id_header in known_ids) or (
            digest is not None and digest in known_hashes
        ):
            continue
        fresh.append(incoming)
        # Two copies in one batch (delivered twice, or the same mail in a rebuilt folder): store one.
        if incoming.message_id_header:
            known_ids.add(incoming.message_id_header)
        if digest is not None:
            known_hashes.add(digest)
    return fresh


def _chunks(
    message_ids: set[str], hashes: set[str], size: int = 500
) -> Iterable[tuple[list[str], list[str]]]:
    # Bounded IN lists: a batch is usually far smaller, but batch_size is the operator's choice.
    ids, digests = sorted(message_ids), sorted(hashes)
    for start in range(0, max(len(ids), len(digests), 1), size):
        yield ids[start : start + size], digests[start : start + size]
