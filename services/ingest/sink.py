"""Where connectors hand messages over: messages and the source cursor commit together.

Invariant 1: a connector stores a batch and its new cursor in one transaction,
and only after that commit touches the source (mark seen, move). A crash in
between means the batch is fetched again and recognised as duplicates.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import select

from services.ingest import store
from shared.db import Database
from shared.models import ConnectorCursor, utcnow
from shared.normalise import Incoming


class Sink:
    def __init__(self, database: Database, connector: str) -> None:
        self.database = database
        self.connector = connector

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
        """Store messages (duplicates skipped) and advance cursors, all in one transaction."""
        with self.database.transaction() as session:
            results = [store.store(session, incoming) for incoming in messages]
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
