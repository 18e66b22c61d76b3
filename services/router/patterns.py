"""Patterns a team lead should see: persistent contact, and several citizens with the same problem.

`on_routed()` runs in the route stage's transaction for each new signal: it keeps
the sender's normalised key and the text's vector (`SignalPattern`) and marks
persistent contact at once. Grouping runs as a separate pass (`group_pending()`,
every `SIGNAAL_GROUP_CHECK_SECONDS` in the route worker) because it compares a
signal with every signal of the last D days: done per batch under one lock, it
reads that window once per batch instead of once per signal, and two workers
never group the same signals two ways. Nothing here blocks or drops a message.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import structlog
from sqlalchemy import func, select, text, update
from sqlalchemy.exc import DataError
from sqlalchemy.orm import Session

from services.router import similarity
from shared import audit, runner
from shared.db import Database
from shared.models import Message, Signal, SignalGroup, SignalPattern, utcnow
from shared.settings import Settings

log = structlog.get_logger(__name__)

ACTOR = "system:patterns"
GROUP_BATCH = 200
# The vector kind of a row the grouping pass set aside: never compared, so never read again.
SET_ASIDE = "set-aside"
LABEL_CHARS = 120
_PHONE = re.compile(r"^\+?[\d\s().-]{6,}$")


@dataclass(frozen=True)
class Policy:
    """The organisation's thresholds (from SIGNAAL_PERSISTENT_CONTACT_* and SIGNAAL_GROUP_*)."""

    contact_messages: int = 3
    contact_days: int = 30
    group_threshold: float = 0.30
    group_days: int = 30

    @classmethod
    def from_settings(cls, settings: Settings) -> Policy:
        return cls(
            contact_messages=settings.persistent_contact_messages,
            contact_days=settings.persistent_contact_days,
            group_threshold=settings.group_threshold,
            group_days=settings.group_days,
        )


def sender_key(address: str) -> str:
    """One spelling per sender: email and handles lower-cased, phone numbers as Dutch digits."""
    address = address.strip()
    if _PHONE.match(address):
        digits = re.sub(r"\D", "", address)
        for prefix in ("0031", "31"):
            if address.lstrip().startswith(("+", "00")) and digits.startswith(prefix):
                return "0" + digits[len(prefix) :]
        return digits
    return address.lower()


def lock(session: Session, name: str) -> None:
    """Serialise work on `name` across processes until the transaction ends.

    PostgreSQL: a transaction-scoped advisory lock. SQLite needs none: write
    transactions start with BEGIN IMMEDIATE, so there is one writer at a time.
    """
    if session.get_bind().dialect.name != "postgresql":
        return
    digest = hashlib.sha256(b"signaal-patterns:" + name.encode()).digest()
    session.execute(
        text("SELECT pg_advisory_xact_lock(:key)"), {"key": int.from_bytes(digest[:8], "big", signed=True)}
    )


# --- per signal, in the route stage's transaction ---


def on_routed(session: Session, *, signal: Signal, message: Message, policy: Policy) -> None:
    """Remember the signal's sender and text vector; mark persistent contact when the sender reached K."""
    if session.get(SignalPattern, signal.id) is not None:
        return  # already recorded (the stage ran again): nothing changes
    key = sender_key(message.sender_address or "")
    vector = similarity.ngram_vector(f"{message.subject}\n{message.text}")
    session.add(
        SignalPattern(
            signal_id=signal.id,
            sender_key=key,
            received_at=message.received_at,
            vector=None if similarity.is_empty(vector) else similarity.pack(vector),
            vector_kind=similarity.NGRAM,
            grouped=False,
        )
    )
    session.flush()
    if key:
        mark_persistent_contact(session, key=key, until=message.received_at, policy=policy)


def mark_persistent_contact(session: Session, *, key: str, until: dt.datetime, policy: Policy) -> int:
    """Mark the sender's signals of the D days up to `until` when there are at least K; returns how many."""
    lock(session, "sender:" + key)  # two workers routing the same sender's messages count each other
    since = until - dt.timedelta(days=policy.contact_days)
    ids = session.scalars(
        select(SignalPattern.signal_id).where(
            SignalPattern.sender_key == key,
            SignalPattern.received_at >= since,
            SignalPattern.received_at <= until,
        )
    ).all()
    if len(ids) < policy.contact_messages:
        return 0
    newly = session.scalars(
        select(Signal.id).where(Signal.id.in_(ids), Signal.persistent_contact.is_(False))
    ).all()
    if newly:
        session.execute(
            update(Signal)
            .where(Signal.id.in_(newly))
            .values(persistent_contact=True)
            .execution_options(synchronize_session="fetch")
        )
        audit.record(
            session,
            actor=ACTOR,
            action="signal.persistent_contact",
            object_type="signals",
            object_id=max(ids),
            detail={"signals": sorted(ids), "window_days": policy.contact_days},
        )
    return len(newly)


def same_sender(*, db_session: Session, signal_id: int, days: int | None = None) -> Sequence[Signal]:
    """Other signals from this signal's sender (within `days` either side, if given), oldest first."""
    pattern = db_session.get(SignalPattern, signal_id)
    if pattern is None or not pattern.sender_key:
        return []
    query = (
        select(Signal)
        .join(SignalPattern, SignalPattern.signal_id == Signal.id)
        .where(SignalPattern.sender_key == pattern.sender_key, Signal.id != signal_id)
        .order_by(SignalPattern.received_at, Signal.id)
    )
    if days is not None:
        window = dt.timedelta(days=days)
        query = query.where(
            SignalPattern.received_at >= pattern.received_at - window,
            SignalPattern.received_at <= pattern.received_at + window,
        )
    return db_session.scalars(query).unique().all()


@dataclass(frozen=True)
class Contact:
    """A sender in persistent contact: their normalised address and their signals in the window."""

    sender: str
    signal_ids: list[int]
    last_at: dt.datetime


def persistent_contacts(*, db_session: Session, days: int, limit: int = 50) -> list[Contact]:
    """Senders marked as persistent contact with signals in the last `days` days, most signals first."""
    rows = db_session.execute(
        select(SignalPattern.sender_key, SignalPattern.signal_id, SignalPattern.received_at)
        .join(Signal, Signal.id == SignalPattern.signal_id)
        .where(
            Signal.persistent_contact.is_(True),
            SignalPattern.sender_key != "",
            SignalPattern.received_at >= utcnow() - dt.timedelta(days=days),
        )
        .order_by(SignalPattern.received_at, SignalPattern.signal_id)
    ).all()
    by_sender: dict[str, list[tuple[int, dt.datetime]]] = {}
    for sender, signal_id, received_at in rows:
        by_sender.setdefault(sender, []).append((signal_id, received_at))
    contacts = [Contact(k, [i for i, _ in v], v[-1][1]) for k, v in by_sender.items()]
    contacts.sort(key=lambda c: (-len(c.signal_ids), -c.last_at.timestamp(), c.sender))
    return contacts[:limit]


# --- grouping pass ---


def group_pending(database: Database, *, policy: Policy, limit: int = GROUP_BATCH) -> int:
    """Place up to `limit` signals not grouped yet (oldest first); returns how many were handled.

    A signal that cannot be placed (a date no arithmetic survives, an unreadable row) is
    set aside: marked grouped without a group, its vector kind SET_ASIDE (so no later
    window reads it) and logged by id, so the others are placed and the pass never
    fails on it again.
    """
    with database.transaction() as session:
        lock(session, "grouping")
        pending, unreadable = _pending(session, limit)
        batch: list[tuple[SignalPattern, tuple[int, float, np.ndarray], dt.datetime]] = []
        for pattern in pending:
            try:
                batch.append((pattern, _placeable(pattern), _earliest(pattern, policy)))
            except (ArithmeticError, ValueError, TypeError) as exc:
                unreadable.append(pattern.signal_id)
                _set_aside(pattern.signal_id, exc)
        if unreadable:
            session.execute(
                update(SignalPattern)
                .where(SignalPattern.signal_id.in_(unreadable))
                .values(grouped=True, vector_kind=SET_ASIDE)
                .execution_options(synchronize_session=False)
            )
        if not batch:
            return len(unreadable)
        window = _window(session, since=min(earliest for _, _, earliest in batch))

        members: dict[int, list[int]] = {}  # group id → signals that join it now

        def new_group(partner_id: int) -> int:
            group = SignalGroup(label=_label(session, partner_id))
            session.add(group)
            session.flush()
            members.setdefault(group.id, []).append(partner_id)
            return group.id

        placed = window.place_batch(
            [item for _, item, _ in batch],
            span=policy.group_days * 86400.0,
            threshold=policy.group_threshold,
            new_group=new_group,
        )
        for (pattern, _, _), group_id in zip(batch, placed, strict=True):
            if group_id is not None:
                members.setdefault(group_id, []).append(pattern.signal_id)
            pattern.grouped = True
        for group_id, signal_ids in members.items():
            session.execute(
                update(Signal)
                .where(Signal.id.in_(signal_ids))
                .values(group_id=group_id)
                .execution_options(synchronize_session=False)
            )
    log.info(
        "grouping pass",
        placed=len(batch),
        grouped=sum(g is not None for g in placed),
        set_aside=len(unreadable),
        window=window.size,
    )
    return len(batch) + len(unreadable)


# What a row's own bad values raise while it is read (PostgreSQL: a timestamp before year 1).
_UNREADABLE = (ArithmeticError, ValueError, TypeError, DataError)


def _pending(session: Session, limit: int) -> tuple[list[SignalPattern], list[int]]:
    """Up to `limit` rows not grouped yet, oldest first, and the ids of those that cannot be read."""
    ids = list(
        session.scalars(
            select(SignalPattern.signal_id)
            .where(SignalPattern.grouped.is_(False))
            .order_by(SignalPattern.signal_id)
            .limit(limit)
        )
    )
    try:
        return _patterns(session, ids), []
    except _UNREADABLE:
        pass  # one bad row spoils the batch's query: read them one by one to find it
    readable: list[SignalPattern] = []
    unreadable: list[int] = []
    for signal_id in ids:
        try:
            readable += _patterns(session, [signal_id])
        except _UNREADABLE as exc:
            unreadable.append(signal_id)
            _set_aside(signal_id, exc)
    return readable, unreadable


def _patterns(session: Session, ids: list[int]) -> list[SignalPattern]:
    query = select(SignalPattern).where(SignalPattern.signal_id.in_(ids)).order_by(SignalPattern.signal_id)
    return list(session.scalars(query))


def _placeable(pattern: SignalPattern) -> tuple[int, float, np.ndarray]:
    """What the window compares: id, time and vector (raises for values no arithmetic survives)."""
    vector = _vector(pattern)
    if vector.shape != (similarity.NGRAM_DIM,) or not np.all(np.isfinite(vector)):
        raise ValueError("not a text vector of this kind")
    return pattern.signal_id, pattern.received_at.timestamp(), vector


def _earliest(pattern: SignalPattern, policy: Policy) -> dt.datetime:
    """The oldest time this signal may be compared with."""
    return pattern.received_at - dt.timedelta(days=policy.group_days)


def _set_aside(signal_id: int, exc: Exception) -> None:
    # The id is enough to find the row; its values may be personal data.
    log.warning(
        "grouping pass set a signal aside: its stored values cannot be compared",
        signal_id=signal_id,
        error=type(exc).__name__,
    )


def _vector(pattern: SignalPattern) -> np.ndarray:
    return similarity.unpack(pattern.vector) if pattern.vector else np.zeros(similarity.NGRAM_DIM, np.float32)


def _window(session: Session, *, since: dt.datetime) -> similarity.Window:
    """Every placed signal received from `since` on, to compare pending ones with (read once per batch)."""
    rows = session.execute(
        select(SignalPattern.signal_id, Signal.group_id, SignalPattern.received_at, SignalPattern.vector)
        .join(Signal, Signal.id == SignalPattern.signal_id)
        .where(
            SignalPattern.grouped.is_(True),
            SignalPattern.vector.is_not(None),
            SignalPattern.vector_kind == similarity.NGRAM,
            SignalPattern.received_at >= since,
        )
    ).all()
    window = similarity.Window(capacity=max(len(rows) + GROUP_BATCH, 16))
    for row in rows:
        window.add(row.signal_id, row.group_id, row.received_at.timestamp(), similarity.unpack(row.vector))
    return window


def _label(session: Session, signal_id: int) -> str:
    """A group's working title: the first signal's subject, else the start of its text."""
    subject, body = session.execute(
        select(Message.subject, Message.text)
        .join(Signal, Signal.message_id == Message.id)
        .where(Signal.id == signal_id)
    ).one()
    title = " ".join((subject or body or "").split())
    return title if len(title) <= LABEL_CHARS else title[: LABEL_CHARS - 1].rstrip() + "…"


@dataclass(frozen=True)
class GroupSummary:
    id: int
    label: str
    size: int
    first_at: dt.datetime
    last_at: dt.datetime
    signal_ids: list[int]


def list_groups(
    *, db_session: Session, days: int | None = None, min_size: int = 2, limit: int = 50
) -> list[GroupSummary]:
    """Groups largest first (then most recent), counting signals received in the last `days` if given."""
    query = (
        select(
            SignalGroup.id,
            SignalGroup.label,
            func.count(Signal.id).label("size"),
            func.min(SignalPattern.received_at).label("first_at"),
            func.max(SignalPattern.received_at).label("last_at"),
        )
        .join(Signal, Signal.group_id == SignalGroup.id)
        .join(SignalPattern, SignalPattern.signal_id == Signal.id)
        .group_by(SignalGroup.id, SignalGroup.label)
        .having(func.count(Signal.id) >= min_size)
        .order_by(func.count(Signal.id).desc(), func.max(SignalPattern.received_at).desc(), SignalGroup.id)
        .limit(limit)
    )
    in_window = SignalPattern.received_at >= utcnow() - dt.timedelta(days=days or 0) if days else None
    if in_window is not None:
        query = query.where(in_window)
    rows = db_session.execute(query).all()
    members: dict[int, list[int]] = {row.id: [] for row in rows}
    if members:
        member_query = (
            select(Signal.id, Signal.group_id)
            .join(SignalPattern, SignalPattern.signal_id == Signal.id)
            .where(Signal.group_id.in_(list(members)))
            .order_by(Signal.id)
        )
        if in_window is not None:
            member_query = member_query.where(in_window)
        for signal_id, group_id in db_session.execute(member_query):
            members[group_id].append(signal_id)
    return [
        GroupSummary(row.id, row.label, row.size, row.first_at, row.last_at, members[row.id]) for row in rows
    ]


class GroupingPass(runner.Runner):
    """Groups new signals every `interval` seconds until stopped (one per route worker)."""

    name = "router:patterns"
    failed_event = "grouping pass failed; retrying next round"

    def __init__(self, database: Database, policy: Policy, interval: float) -> None:
        self.database = database
        self.policy = policy
        self.interval = interval

    def tick(self) -> bool:
        return group_pending(self.database, policy=self.policy) == GROUP_BATCH  # a full batch: more may wait
