"""Connector kinds by name, and building them from the organisation's configuration."""

from __future__ import annotations

from collections.abc import Callable

from services.ingest.connectors.base import Connector, ConnectorFailure
from services.ingest.connectors.fake import FakeConnector
from shared.config import ConnectorEntry, OrganisationConfig
from shared.exceptions import ConfigError

# Each kind builds a connector from its config entry (validating its own options).
Builder = Callable[[ConnectorEntry], Connector]
KINDS: dict[str, Builder] = {
    "fake": lambda entry: FakeConnector(entry.name),
}


def build_all(config: OrganisationConfig, *, source: str = "SIGNAAL_CONFIG") -> list[Connector]:
    """Build every enabled connector; an unknown kind stops start-up with the field named."""
    connectors: list[Connector] = []
    for index, entry in enumerate(config.connectors):
        builder = KINDS.get(entry.kind)
        if builder is None:
            known = ", ".join(sorted(KINDS))
            raise ConfigError(
                f"Invalid configuration in {source}:\n  connectors[{index}].kind: "
                f"unknown connector kind {entry.kind!r} (known: {known})"
            )
        if entry.enabled:
            connectors.append(builder(entry))
    return connectors


__all__ = ["KINDS", "Connector", "ConnectorFailure", "FakeConnector", "build_all"]
