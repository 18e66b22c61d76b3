"""Connector kinds by name, and building them from the organisation's configuration.

A kind registers a builder in KINDS: `build(entry, index) -> Connector`. It
validates its own options with `options()`, so an error names the entry's
field (e.g. `connectors[2].port`) and the file.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from services.ingest.connectors import imap, mastodon
from services.ingest.connectors.base import Connector, ConnectorFailure
from services.ingest.connectors.fake import FakeConnector
from shared.config import ConnectorEntry, OrganisationConfig, problems
from shared.exceptions import ConfigError

Options = TypeVar("Options", bound=BaseModel)
Builder = Callable[[ConnectorEntry, int], Connector]

KINDS: dict[str, Builder] = {
    "fake": lambda entry, _index: FakeConnector(entry.name),
    "imap": imap.build,
    "mastodon": mastodon.build,
}
# Kinds configured in the same list but served by the API rather than polled
# (the web form, webhooks); build_all() skips them.
PASSIVE_KINDS: set[str] = {"webform", "webhook"}

CONFIG_SOURCE = "SIGNAAL_CONFIG"


def options(entry: ConnectorEntry, model: type[Options], index: int) -> Options:
    """Validate a connector entry's options against `model`; errors name `connectors[i].field`."""
    try:
        return model.model_validate(entry.model_dump())
    except ValidationError as exc:
        raise ConfigError.invalid(problems(exc, within=("connectors", index)), source=CONFIG_SOURCE) from None


def build_all(config: OrganisationConfig) -> list[Connector]:
    """Build every enabled polled connector; an unknown kind stops start-up with the field named."""
    connectors: list[Connector] = []
    for index, entry in enumerate(config.connectors):
        if entry.kind in PASSIVE_KINDS:
            continue
        builder = KINDS.get(entry.kind)
        if builder is None:
            known = ", ".join(sorted(set(KINDS) | PASSIVE_KINDS))
            problem = f"unknown connector kind {entry.kind!r} (known: {known})"
            raise ConfigError.invalid([(f"connectors[{index}].kind", problem)], source=CONFIG_SOURCE)
        connector = builder(entry, index)
        if entry.enabled:
            connectors.append(connector)
    return connectors


__all__ = ["KINDS", "PASSIVE_KINDS", "Connector", "ConnectorFailure", "FakeConnector", "build_all", "options"]
