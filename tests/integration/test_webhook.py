"""Signed webhooks on a real database: authentication, the replay window, idempotent redelivery."""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
import structlog
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api.app import create_app
from services.api.intake import config as intake_config
from services.api.intake import signatures
from services.api.intake.exceptions import SignatureRejected
from shared.config import OrganisationConfig
from shared.db import Database
from shared.exceptions import ConfigError
from shared.models import ConnectorHealth, Message
from shared.settings import Settings

SECRET = "whsec-0123456789abcdef-test"
NOW = 1_900_000_000
URL = "/api/v1/intake/webhook/partner"

CONNECTORS = [
    {"name": "partner", "kind": "webhook", "secret_env": "SIGNAAL_TEST_WEBHOOK_SECRET", "channel": "social"},
    {"name": "asleep", "kind": "webhook", "secret_env": "SIGNAAL_TEST_UNSET", "enabled": False},
    {"name": "small", "kind": "webhook", "secret_env": "SIGNAAL_TEST_WEBHOOK_SECRET", "max_body_bytes": 2048},
]
EVENT = {
    "id": "evt-1001",
    "text": "@gemeente al drie weken geen reactie op mijn melding. Belachelijk.",
    "author": "Burger",
    "handle": "@burger@social.example",
    "url": "https://social.example/@burger/1001",
    "created_at": "2030-03-17T09:00:00Z",
    "metadata": {"platform": "example"},
}


@pytest.fixture
def client(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[TestClient]:
    monkeypatch.setenv("SIGNAAL_TEST_WEBHOOK_SECRET", SECRET)
    config = OrganisationConfig.model_validate({"connectors": CONNECTORS})
    app = create_app(Settings(secret_key="test-secret-" + "x" * 32), database, config=config)
    app.state.intake.clock = lambda: float(NOW)
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def deliver(
    client: TestClient,
    event: dict[str, Any] | bytes = EVENT,
    *,
    timestamp: int = NOW,
    secret: str = SECRET,
    url: str = URL,
    signature: str | None = None,
) -> Any:
    body = event if isinstance(event, bytes) else json.dumps(event).encode()
    headers = {
        "Content-Type": "application/json",
        "X-Signaal-Timestamp": str(timestamp),
        "X-Signaal-Signature": signature or signatures.sign(secret.encode(), timestamp, body),
    }
    return client.post(url, content=body, headers=headers)


def stored(database: Database) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def test_a_validly_signed_event_is_stored(client: TestClient, database: Database) -> None:
    response = deliver(client)
    assert response.status_code == 201, response.text
    [message] = stored(database)
    assert response.json() == {"reference": message.reference, "duplicate": False}
    assert (message.channel, message.source, message.dedupe_key) == ("social", "partner", "evt-1001")
    assert (message.sender_name, message.sender_address) == ("Burger", "@burger@social.example")
    assert message.meta["url"] == EVENT["url"] and message.meta["metadata"] == {"platform": "example"}
    assert json.loads(message.raw) == EVENT
    with database.session() as session:
        health = session.scalars(select(ConnectorHealth)).one()
    assert (health.connector, health.kind, health.status, health.messages_total) == (
        "partner",
        "webhook",
        "ok",
        1,
    )


def test_the_events_channel_hint_overrides_the_sources_channel(
    client: TestClient, database: Database
) -> None:
    assert deliver(client, {**EVENT, "channel": "webhook"}).status_code == 201
    assert stored(database)[0].channel == "webhook"


def test_a_bad_signature_is_refused_with_401(client: TestClient, database: Database) -> None:
    response = deliver(client, secret="not-the-right-secret")
    assert response.status_code == 401
    assert "X-Signaal-Signature does not match" in response.json()["detail"]
    assert stored(database) == []


def test_a_delivery_without_signature_headers_is_refused(client: TestClient, database: Database) -> None:
    response = client.post(URL, json=EVENT)
    assert response.status_code == 401 and "Missing" in response.json()["detail"]
    assert stored(database) == []


@pytest.mark.parametrize("offset", [-301, 301])
def test_a_timestamp_outside_five_minutes_is_refused(
    client: TestClient, database: Database, offset: int
) -> None:
    response = deliver(client, timestamp=NOW + offset)
    assert response.status_code == 401
    assert "within 300 seconds" in response.json()["detail"]
    assert stored(database) == []


def test_a_replayed_delivery_is_stored_once(client: TestClient, database: Database) -> None:
    first = deliver(client)
    replay = deliver(client)  # the same signed request, byte for byte
    resigned = deliver(client, timestamp=NOW + 60)  # a sender's retry, signed afresh
    assert [r.status_code for r in (first, replay, resigned)] == [201, 200, 200]
    assert replay.json() == {"reference": first.json()["reference"], "duplicate": True}
    assert len(stored(database)) == 1


def test_a_replayed_signature_with_another_body_is_refused(client: TestClient, database: Database) -> None:
    signature = signatures.sign(SECRET.encode(), NOW, json.dumps(EVENT).encode())
    assert deliver(client, signature=signature).status_code == 201
    response = deliver(client, {**EVENT, "id": "evt-9999"}, signature=signature)
    assert response.status_code == 401
    assert len(stored(database)) == 1


def test_the_replay_guard_accepts_a_seen_signature_only_with_the_same_body() -> None:
    # With HMAC over the whole body this second lock is defence in depth, so test it on its own.
    guard = signatures.ReplayGuard(window=300)
    guard.check("partner", "sha256=ab", b'{"id": 1}', now=NOW)
    guard.check("partner", "sha256=ab", b'{"id": 1}', now=NOW + 10)
    with pytest.raises(SignatureRejected):
        guard.check("partner", "sha256=ab", b'{"id": 2}', now=NOW + 10)
    guard.check("partner", "sha256=ab", b'{"id": 2}', now=NOW + 601)  # long after the window: forgotten


def test_an_unknown_source_is_404(client: TestClient) -> None:
    response = deliver(client, url="/api/v1/intake/webhook/nobody")
    assert response.status_code == 404 and "Unknown webhook source 'nobody'" in response.json()["detail"]


def test_a_switched_off_source_is_404(client: TestClient) -> None:
    assert deliver(client, url="/api/v1/intake/webhook/asleep").status_code == 404


def test_a_signed_event_without_text_gets_422_naming_the_field(
    client: TestClient, database: Database
) -> None:
    response = deliver(client, {"id": "evt-2"})
    assert response.status_code == 422
    assert ["body", "text"] in [error["loc"] for error in response.json()["detail"]]
    assert stored(database) == []


def test_a_body_over_the_sources_limit_is_413(client: TestClient, database: Database) -> None:
    response = deliver(client, {**EVENT, "text": "x" * 4000}, url="/api/v1/intake/webhook/small")
    assert response.status_code == 413
    assert stored(database) == []


def test_logs_carry_neither_the_secret_nor_the_body(client: TestClient) -> None:
    with structlog.testing.capture_logs() as logs:
        deliver(client)
        deliver(client, {**EVENT, "id": "evt-2"}, secret="wrong-secret-wrong-secret")
    written = json.dumps(logs, default=str)
    assert logs and SECRET not in written and "Belachelijk" not in written and "burger" not in written


def test_a_webhook_whose_secret_variable_is_unset_stops_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SIGNAAL_TEST_WEBHOOK_SECRET", raising=False)
    config = OrganisationConfig.model_validate({"connectors": CONNECTORS})
    with pytest.raises(ConfigError) as error:
        intake_config.load(config)
    assert "connectors[0].secret_env" in str(error.value) and "SIGNAAL_TEST_WEBHOOK_SECRET" in str(
        error.value
    )


def test_a_short_secret_is_refused_without_showing_it(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_TEST_WEBHOOK_SECRET", "short-secret")
    config = OrganisationConfig.model_validate({"connectors": CONNECTORS[:1]})
    with pytest.raises(ConfigError) as error:
        intake_config.load(config)
    assert "shorter than 16" in str(error.value) and "short-secret" not in str(error.value)


def test_the_secret_stays_out_of_the_sources_repr(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_TEST_WEBHOOK_SECRET", SECRET)
    resolved = intake_config.load(OrganisationConfig.model_validate({"connectors": CONNECTORS[:1]}))
    assert SECRET not in repr(resolved)
