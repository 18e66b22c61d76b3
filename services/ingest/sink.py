"""Where connectors hand messages over: messages and the source cursor commit together.

Invariant 1: a connector stores a batch and its new cursor in one transaction,
and only after that commit touches the source (mark seen, move). The cursor has
moved past the batch by then, so it is not fetched again: what the source is
still owed is written in the same transaction as pending acknowledgements, removed
once done, and retried first on the next poll if the connection drops in between.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import structlog
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from services.ingest import receipts, store
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import ConnectorCursor, utcnow
from shared.models.messages import PendingAck
from shared.normalise import Incoming

log = structlog.get_logger(__name__)


@dataclass(frozen=True)
class Ack:
    """An action owed to the source for one stored message (IMAP: `seen` or `move` of a UID)."""

    feed: str
    uidvalidity: int
    uid: int
    action: str


class Sink:
    def __init__(
        self,
        database: Database,
        connector: str,
        acknowledge: bool = False,
        organisation: OrganisationConfig | None = None,
    ) -> None:
        if acknowledge and organisation is None:
            raise ValueError("a sink that sends receipts needs the organisation (its receipt texts)")
        self.database = database
        self.connector = connector
        # Receipts for newly stored messages; texts and window from `organisation`.
        self.acknowledge = acknowledge
        self.organisation = organisation

    def cursor(self, feed: str) -> dict[str, Any]:
        """The stored position of one feed (empty when never read)."""
        with self.database.session() as session:
            position = session.scalar(
                select(ConnectorCursor.position).where(
                    ConnectorCursor.connector == self.connector, ConnectorCursor.feed == feed
                )
            )
        return dict(position or {})

    def store(
        self,
        messages: Sequence[Incoming],
        cursors: Mapping[str, dict[str, Any]] | None = None,
        acks: Iterable[Ack] = (),
    ) -> list[store.Stored]:
        """Store messages (duplicates skipped), advance cursors and note `acks` owed, in one transaction.

        With `acknowledge`, receipts are enqueued in the same transaction: never
        lost, and never sent for a message that was not stored.
        """
        with self.database.transaction() as session:
            results = [store.store(session, incoming) for incoming in messages]
            if self.acknowledge:
                self._enqueue_receipts(session, messages, results)
            self._note_acks(session, acks)
            for feed, position in (cursors or {}).items():
                row = session.scalars(
                    select(ConnectorCursor).where(
                        ConnectorCursor.connector == self.connector, ConnectorCursor.feed == feed
                    )
                ).one_or_none()
                if row is None:
                    session.add(ConnectorCursor(connector=self.connector, feed=feed, position=position))
                else:
                    row.position = position
                    row.updated_at = utcnow()
        return results

    def pending_acks(self, feed: str) -> list[Ack]:
        """Acknowledgements owed to the source for `feed`, oldest first."""
        with self.database.session() as session:
            rows = session.scalars(
                select(PendingAck)
                .where(PendingAck.connector == self.connector, PendingAck.feed == feed)
                .order_by(PendingAck.id)
            ).all()
        return [Ack(r.feed, r.uidvalidity, r.uid, r.action) for r in rows]

    def acknowledged(self, acks: Iterable[Ack]) -> None:
        """Forget acknowledgements the source now has (or that no longer apply)."""
        by_folder: dict[tuple[str, int], list[int]] = {}
        for ack in acks:
            by_folder.setdefault((ack.feed, ack.uidvalidity), []).append(ack.uid)
        if not by_folder:
            return
        with self.database.transaction() as session:
            for (feed, uidvalidity), uids in by_folder.items():
                session.execute(
                    delete(PendingAck).where(
                        PendingAck.connector == self.connector,
                        PendingAck.feed == feed,
                        PendingAck.uidvalidity == uidvalidity,
                        PendingAck.uid.in_(uids),
                    )
                )

    def _note_acks(self, session: Session, acks: Iterable[Ack]) -> None:
        acks = list(acks)
        if not acks:
            return
        # The same UID may be owed already (a batch stored again after a crash): note it once.
        owed = {
            (a.feed, a.uidvalidity, a.uid)
            for a in self._pending_in(session, {(a.feed, a.uidvalidity) for a in acks})
        }
        for ack in acks:
            if (ack.feed, ack.uidvalidity, ack.uid) in owed:
                continue
            owed.add((ack.feed, ack.uidvalidity, ack.uid))
            session.add(
                PendingAck(
                    connector=self.connector,
                    feed=ack.feed,
                    uidvalidity=ack.uidvalidity,
                    uid=ack.uid,
                    action=ack.action,
                )
            )

    def _pending_in(self, session: Session, folders: set[tuple[str, int]]) -> list[Ack]:
        found: list[Ack] = []
        for feed, uidvalidity in folders:
            rows = session.scalars(
                select(PendingAck).where(
                    PendingAck.connector == self.connector,
                    PendingAck.feed == feed,
                    PendingAck.uidvalidity == uidvalidity,
                )
            )
            found += [Ack(r.feed, r.uidvalidity, r.uid, r.action) for r in rows]
        return found

    def _enqueue_receipts(
        self, session: Session, messages: Sequence[Incoming], results: Sequence[store.Stored]
    ) -> None:
        organisation = self.organisation
        assert organisation is not None  # __init__ refuses to acknowledge without it
        for incoming, stored in zip(messages, results, strict=True):
            if not stored.created:
                continue
            try:
                with session.begin_nested():
                    receipts.acknowledge(session, incoming, stored, organisation)
            except Exception:
                # A receipt bug must not stop ingest: the message is stored, only its receipt is lost.
                log.exception("could not queue a receipt", message=stored.message_id)
