"""Where connectors hand messages over: messages and the source cursor commit together.

Invariant 1: a connector stores a batch and its new cursor in one transaction,
and only after that commit touches the source (mark seen, move). A crash in
between means the batch is fetched again and recognised as duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.ingest import receipts, store
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import ConnectorCursor, utcnow
from shared.normalise import Incoming

log = structlog.get_logger(__name__)


class Sink:
    def __init__(
        self,
        database: Database,
        connector: str,
        acknowledge: bool = False,
        organisation: OrganisationConfig | None = None,
    ) -> None:
        self.database = database
        self.connector = connector
        # Receipts for newly stored messages; texts and window from `organisation`
        # (default: the file named by SIGNAAL_CONFIG).
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
        self, messages: Sequence[Incoming], cursors: Mapping[str, dict[str, Any]] | None = None
    ) -> list[store.Stored]:
        """Store messages (duplicates skipped) and advance cursors, all in one transaction.

        With `acknowledge`, receipts are enqueued in the same transaction: never
        lost, and never sent for a message that was not stored.
        """
        with self.database.transaction() as session:
            results = [store.store(session, incoming) for incoming in messages]
            if self.acknowledge:
                self._enqueue_receipts(session, messages, results)
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

    def _enqueue_receipts(
        self, session: Session, messages: Sequence[Incoming], results: Sequence[store.Stored]
    ) -> None:
        organisation = self.organisation or receipts.configured_organisation()
        for incoming, stored in zip(messages, results, strict=True):
            if not stored.created:
                continue
            try:
                with session.begin_nested():
                    receipts.acknowledge(session, incoming, stored, organisation)
            except Exception:
                # A receipt bug must not stop ingest: the message is stored, only its receipt is lost.
                log.exception("could not queue a receipt", message=stored.message_id)
