"""What every connector is: a named source that, when polled, stores what is new."""

from __future__ import annotations

import threading
from typing import Protocol

from services.ingest.sink import Sink


class ConnectorFailure(Exception):
    """A connector could not do its work; `reason` is written for ops (e.g. "login refused")."""

    def __init__(self, reason: str, *, status: str = "down", auth: bool = False) -> None:
        super().__init__(reason)
        self.reason = reason
        self.status = status
        # The source refused our credentials: health shows "authentication failing", not just an error.
        self.auth = auth


class Connector(Protocol):
    name: str
    kind: str
    # Seconds between polls when the connector has no push mechanism of its own.
    poll_interval: float
    # Optional (the runner reads it with getattr, default False): the entry's `acknowledge`,
    # i.e. send each new sender a receipt (services.ingest.receipts).
    acknowledge: bool

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


class PushConnector(Connector, Protocol):
    """A connector the source can wake (IMAP IDLE); the runner waits with it instead of sleeping."""

    def wait_for_news(self, stop: threading.Event, timeout: float) -> None:
        """Return when the source has news, `stop` is set, or `timeout` seconds pass; should not raise."""
        ...
