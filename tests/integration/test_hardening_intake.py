"""Intake on both databases: NUL bytes, NaN and far dates get 422 naming the field; idempotency per client."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api.app import create_app
from services.api.intake import signatures
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Message
from shared.settings import Settings

SECRET = "whsec-0123456789abcdef-test"
NOW = 1_900_000_000  # 2030-03-17T17:46:40Z
CONNECTORS = [
    {"name": "webform", "kind": "webform", "min_fill_seconds": 0},
    {"name": "partner", "kind": "webhook", "secret_env": "SIGNAAL_TEST_WEBHOOK_SECRET"},
    {"name": "other", "kind": "webhook", "secret_env": "SIGNAAL_TEST_WEBHOOK_SECRET"},
]
VALID = {"name": "Jan de Vries", "email": "j.devries@example.nl", "message": "De container is niet geleegd."}
EVENT = {
    "id": "evt-1",
    "text": "Al drie weken geen reactie op mijn melding.",
    "created_at": "2030-03-17T09:00:00Z",
}


@pytest.fixture
def app(database: Database, monkeypatch: pytest.MonkeyPatch) -> FastAPI:
    monkeypatch.setenv("SIGNAAL_TEST_WEBHOOK_SECRET", SECRET)
    config = OrganisationConfig.model_validate({"connectors": CONNECTORS})
    app = create_app(Settings(secret_key="test-secret-" + "x" * 32), database, config=config)
    app.state.intake.clock = lambda: float(NOW)
    return app


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def deliver(client: TestClient, body: bytes, source: str = "partner") -> Any:
    headers = {
        "Content-Type": "application/json",
        "X-Signaal-Timestamp": str(NOW),
        "X-Signaal-Signature": signatures.sign(SECRET.encode(), NOW, body),
    }
    return client.post(f"/api/v1/intake/webhook/{source}", content=body, headers=headers)


def messages(database: Database) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


def assert_names(response: Any, field: str) -> None:
    assert response.status_code == 422, response.text
    assert any(field in error["loc"] for error in response.json()["detail"]), response.json()


# --- NUL bytes and numbers no column takes ------------------------------------------------


@pytest.mark.parametrize("field", ["name", "subject", "message", "phone"])
def test_a_nul_byte_in_the_json_form_is_refused_naming_the_field(
    client: TestClient, database: Database, field: str
) -> None:
    response = client.post("/api/v1/intake/webform", json={**VALID, field: "Lindenstraat\u00003"})
    assert_names(response, field)
    assert messages(database) == []


def test_a_nul_byte_in_the_html_form_is_shown_beside_its_field(
    client: TestClient, database: Database
) -> None:
    page = client.get("/form")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token is not None
    response = client.post(
        "/form", data={**VALID, "message": "Geen\x00reactie", "form_token": token.group(1)}
    )
    assert response.status_code == 422 and 'id="message-error"' in response.text
    assert "onzichtbaar teken" in response.text
    assert messages(database) == []


@pytest.mark.parametrize(
    ("raw", "field"),
    [
        (b'"text": "Geen\\u0000reactie"', "text"),
        (b'"author": "\\u0000"', "author"),
        (b'"metadata": {"score": NaN}', "metadata"),
        (b'"metadata": {"score": Infinity}', "metadata"),
        (b'"metadata": {"score": 1e400}', "metadata"),
        (b'"metadata": {"n": 123456789012345678901234567890}', "metadata"),
        (b'"metadata": {"k\\u0000": 1}', "metadata"),
    ],
)
def test_nul_bytes_and_non_finite_numbers_in_a_webhook_are_refused_naming_the_field(
    client: TestClient, database: Database, raw: bytes, field: str
) -> None:
    event = {k: v for k, v in EVENT.items() if k != field}
    body = json.dumps(event).encode()[:-1] + b", " + raw + b"}"
    assert_names(deliver(client, body), field)
    assert messages(database) == []


# --- dates ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "created_at",
    [
        "0001-01-01T00:00:00-12:00",
        "0001-01-01T00:00:00+14:00",
        "9999-12-31T23:59:59-14:00",
        "1989-12-31T23:59:59Z",
        "2030-03-19T00:00:00Z",  # more than a day ahead of the server's clock
    ],
)
def test_a_webhook_date_before_1990_or_over_a_day_ahead_is_refused(
    client: TestClient, database: Database, created_at: str
) -> None:
    assert_names(deliver(client, json.dumps({**EVENT, "created_at": created_at}).encode()), "created_at")
    assert messages(database) == []


def test_a_webhook_date_with_a_zone_is_stored_in_utc(client: TestClient, database: Database) -> None:
    response = deliver(client, json.dumps({**EVENT, "created_at": "2024-05-01T14:00:00+14:00"}).encode())
    assert response.status_code == 201, response.text
    [message] = messages(database)
    assert message.received_at.isoformat() == "2024-05-01T00:00:00+00:00"


# --- idempotency per client --------------------------------------------------------------


def test_the_same_idempotency_key_from_two_clients_is_two_messages(app: FastAPI, database: Database) -> None:
    headers = {"Idempotency-Key": "order-1"}
    with (
        TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.10", 4000)) as first,
        TestClient(app, base_url="http://127.0.0.1", client=("192.0.2.20", 4000)) as second,
    ):
        answers = [
            first.post("/api/v1/intake/webform", json=VALID, headers=headers),
            second.post("/api/v1/intake/webform", json=VALID, headers=headers),
            first.post("/api/v1/intake/webform", json=VALID, headers=headers),
        ]
    assert [a.status_code for a in answers] == [201, 201, 200]
    assert answers[0].json()["reference"] != answers[1].json()["reference"]
    assert answers[2].json() == {"reference": answers[0].json()["reference"], "duplicate": True}
    assert len(messages(database)) == 2
    assert all("192.0.2" not in m.dedupe_key for m in messages(database))  # the address is kept hashed


def test_the_same_event_id_from_two_webhook_sources_is_two_messages(
    client: TestClient, database: Database
) -> None:
    body = json.dumps(EVENT).encode()
    statuses = [deliver(client, body, "partner").status_code, deliver(client, body, "other").status_code]
    assert statuses == [201, 201] and len(messages(database)) == 2
