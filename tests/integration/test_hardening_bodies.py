"""Unauthenticated memory and disk: body limits before parsing, rate limits before validation, short 422s."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from services.api import bodylimit
from services.api.app import create_app
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Message
from shared.settings import Settings

MiB = 1024 * 1024
VALID = {"name": "Jan de Vries", "email": "j.devries@example.nl", "message": "De container is niet geleegd."}


def build(database: Database, **webform: Any) -> FastAPI:
    connectors = [{"name": "webform", "kind": "webform", **webform}]
    config = OrganisationConfig.model_validate({"connectors": connectors})
    return create_app(Settings(secret_key="test-secret-" + "x" * 32), database, config=config)


@pytest.fixture
def app(sqlite_database: Database) -> FastAPI:
    return build(sqlite_database)


@pytest.fixture
def client(app: FastAPI) -> Iterator[TestClient]:
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def stored(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


class Upload:
    """An ASGI request body sent in chunks, counting how many the app asked for."""

    def __init__(self, chunks: int, size: int = MiB) -> None:
        self.left = chunks
        self.size = size
        self.read = 0

    async def receive(self) -> dict[str, Any]:
        if self.left == 0:
            return {"type": "http.disconnect"}
        self.left -= 1
        self.read += 1
        return {"type": "http.request", "body": b"a" * self.size, "more_body": self.left > 0}


def call(app: FastAPI, path: str, upload: Upload, headers: dict[str, str]) -> tuple[int, bytes]:
    """One request straight through the ASGI app, so the test sees how much of the body was read."""
    answer: dict[str, Any] = {"body": b""}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            answer["status"] = message["status"]
        elif message["type"] == "http.response.body":
            answer["body"] += message.get("body", b"")

    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "POST",
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": [(k.lower().encode(), v.encode()) for k, v in headers.items()],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 80),
    }
    asyncio.run(app(scope, upload.receive, send))  # type: ignore[arg-type]
    return answer["status"], answer["body"]


FORM = {"content-type": "application/x-www-form-urlencoded"}


@pytest.mark.parametrize("path", ["/login", "/logout", "/language"])
def test_a_10_mib_staff_form_post_is_refused_before_a_byte_is_read(app: FastAPI, path: str) -> None:
    upload = Upload(10)
    status, body = call(app, path, upload, {**FORM, "content-length": str(10 * MiB)})
    assert status == 413 and f"{bodylimit.SMALL_LIMIT // 1024} kB".encode() in body
    assert upload.read == 0


def test_a_chunked_staff_form_post_over_the_limit_is_cut_off_while_streaming(app: FastAPI) -> None:
    upload = Upload(64, size=16 * 1024)  # 1 MiB, no Content-Length: counted as it arrives
    status, body = call(app, "/login", upload, FORM)
    assert status == 413 and len(body) < 2000
    assert upload.read <= bodylimit.SMALL_LIMIT // (16 * 1024) + 1


def test_a_staff_json_call_over_the_limit_is_refused(client: TestClient) -> None:
    response = client.post("/api/v1/tokens", content=b"{" + b" " * bodylimit.SMALL_LIMIT + b"}")
    assert response.status_code == 413
    assert f"larger than {bodylimit.SMALL_LIMIT} bytes" in response.json()["detail"]


def test_a_small_staff_form_post_still_reaches_the_form(client: TestClient) -> None:
    response = client.post("/login", data={"username": "x", "password": "y"})
    assert response.status_code == 403  # no CSRF token: refused by the form, not by the size


def test_a_25_mib_body_of_unknown_fields_gets_a_short_answer(
    client: TestClient, sqlite_database: Database
) -> None:
    fields = {f"field{n}": "x" * 200 for n in range(25 * MiB // 215)}
    body = json.dumps({**VALID, **fields}).encode()
    assert len(body) > 24 * MiB
    response = client.post(
        "/api/v1/intake/webform", content=body, headers={"content-type": "application/json"}
    )
    assert response.status_code in (413, 422)
    assert len(response.content) < 8 * 1024
    assert b"xxxxxxxxxx" not in response.content
    assert stored(sqlite_database) == 0


def test_a_422_names_fields_without_their_input(client: TestClient) -> None:
    body = {**VALID, "email": "secret-not-an-address", **{f"extra{n}": "SECRET" for n in range(50)}}
    response = client.post("/api/v1/intake/webform", json=body)
    assert response.status_code == 422
    answer = response.json()
    assert "SECRET" not in response.text and "secret-not-an-address" not in response.text
    assert len(answer["detail"]) == 20 and answer["more"] == 31
    assert ["body", "email"] in [error["loc"] for error in answer["detail"]]


def test_the_rate_limit_counts_invalid_json_too(sqlite_database: Database) -> None:
    app = build(sqlite_database, rate_limit_per_minute=2)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        statuses = [
            client.post(
                "/api/v1/intake/webform", content=b"{not json", headers={"content-type": "application/json"}
            ).status_code
            for _ in range(3)
        ]
        statuses.append(client.post("/api/v1/intake/webform", json={"colour": "blue"}).status_code)
    assert statuses == [422, 422, 429, 429]
