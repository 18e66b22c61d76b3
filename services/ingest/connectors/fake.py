"""A connector fed from memory, for tests and demos: real storage, no real source."""

from __future__ import annotations

from collections.abc import Iterable

from services.ingest.connectors.base import ConnectorFailure
from services.ingest.sink import Sink
from shared.normalise import Incoming


class FakeConnector:
    kind = "fake"

    def __init__(self, name: str, messages: Iterable[Incoming] = (), poll_interval: float = 0.05) -> None:
        self.name = name
        self.poll_interval = poll_interval
        self.pending: list[Incoming] = list(messages)
        self.failure: str | None = None  # set to make polls fail with this reason
        self.polls = 0

    def add(self, *messages: Incoming) -> None:
        self.pending.extend(messages)

    def poll(self, sink: Sink) -> int:
        self.polls += 1
        if self.failure:
            raise ConnectorFailure(self.failure)
        batch, self.pending = self.pending, []
        position = sink.cursor("inbox").get("count", 0) + len(batch)
        stored = sink.store(batch, {"inbox": {"count": position}})
        return sum(1 for s in stored if s.created)

    def close(self) -> None:
        pass
