"""What every connector is: a named source that, when polled, stores what is new."""

from __future__ import annotations

from typing import Protocol

from services.ingest.sink import Sink


class ConnectorFailure(Exception):
    """A connector could not do its work; `reason` is written for ops (e.g. "login refused")."""

    def __init__(self, reason: str, *, status: str = "down") -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status


class Connector(Protocol):
    name: str
    kind: str
    # Seconds between polls when the connector has no push mechanism of its own.
    poll_interval: float

    def poll(self, sink: Sink) -> int:
        """Fetch what is new, store it through `sink`, then acknowledge it at the source.

        Returns how many new messages were stored. Raises ConnectorFailure (or
        any exception) when the source cannot be read; the runner records it
        and backs off.
        """
        ...

    def close(self) -> None:
        """Release connections; called when the runner stops."""
        ...
