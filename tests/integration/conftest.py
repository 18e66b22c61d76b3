"""Fixtures several integration modules share: the API on the test database with role tokens, and a
real Dovecot with IMAP connectors built from config."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from services.api import users
from services.api.access import tokens
from services.api.app import create_app
from services.ingest import connectors
from services.ingest.connectors.imap import ImapConnector
from shared.config import ConnectorEntry
from shared.db import Database
from shared.settings import Settings
from tests import dovecot
from tests.dovecot import MakeImapConnector
from tests.staff import PASSWORD


@pytest.fixture
def api(database: Database) -> Iterator[TestClient]:
    """The real app on the test database, without a login (send `as_role` headers)."""
    with TestClient(create_app(Settings(secret_key="test-secret-" + "x" * 32), database)) as client:
        yield client


@pytest.fixture
def as_role(database: Database) -> Any:
    """Request headers with an API token for a fresh user of the given role."""

    def headers(role: str, username: str | None = None) -> dict[str, str]:
        with database.transaction() as session:
            user = users.create(
                db_session=session, username=username or role, password=PASSWORD, role=users.Role(role)
            )
            _, token = tokens.create(db_session=session, owner=user, name="test", actor="test")
        return {"Authorization": f"Bearer {token}"}

    return headers


@pytest.fixture
def imap_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dovecot.Dovecot]:
    """A Dovecot of its own on a free loopback port, with the test mail user's password set."""
    monkeypatch.setenv("SIGNAAL_TEST_IMAP_PASSWORD", dovecot.PASSWORD)
    with dovecot.running() as running:
        yield running


@pytest.fixture
def make_imap_connector(imap_server: dovecot.Dovecot) -> Iterator[MakeImapConnector]:
    """Build connectors the way `signaal ingest` does: from a config entry, through KINDS."""
    built: list[ImapConnector] = []

    def make(**options: Any) -> ImapConnector:
        entry = ConnectorEntry.model_validate(imap_server.connector_options(**options))
        connector = connectors.KINDS["imap"](entry, 0)
        assert isinstance(connector, ImapConnector)
        built.append(connector)
        return connector

    yield make
    for connector in built:
        connector.close()
