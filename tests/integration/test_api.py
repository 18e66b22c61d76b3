"""The API on a real database: health, readiness, metrics, login, roles and CSRF."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from shared.db import Database
from shared.settings import Settings
from tests.staff import PASSWORD, csrf_from, log_in, seed_signals, staff_client


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        yield test_client


def test_healthz_answers_without_login(client: TestClient) -> None:
    assert client.get("/healthz").json() == {"status": "ok"}


def test_readyz_is_ready_on_a_migrated_database(client: TestClient) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200 and response.json()["status"] == "ready"


def test_readyz_is_503_with_a_reason_before_migrations(tmp_path: Path) -> None:
    database = Database(f"sqlite:///{tmp_path / 'empty.db'}")
    with TestClient(create_app(Settings(), database)) as client:
        response = client.get("/readyz")
    assert response.status_code == 503
    assert "signaal db upgrade" in response.json()["reason"]


@pytest.mark.needs_model
def test_metrics_count_messages_per_state(client: TestClient, database: Database) -> None:
    seed_signals(database)
    # /metrics answers loopback peers only (no SIGNAAL_METRICS_TOKEN); TestClient's peer is "testclient".
    body = TestClient(client.app, client=("127.0.0.1", 50000)).get("/metrics").text
    assert 'signaal_messages{state="routed"} 2.0' in body
    assert 'signaal_messages{state="not_flagged"} 1.0' in body
    assert "signaal_stage_items_total" in body


def test_the_queue_redirects_anonymous_users_to_login(client: TestClient) -> None:
    response = client.get("/queue", follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")


def test_the_signals_api_refuses_anonymous_users(client: TestClient) -> None:
    assert client.get("/api/v1/signals").status_code == 401


def test_a_wrong_password_is_refused(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login", data={"username": "admin", "password": "wrong-password", "csrf_token": token}
    )
    assert response.status_code == 401
    assert client.get("/api/v1/signals").status_code == 401


def test_a_login_post_without_csrf_token_is_refused(client: TestClient) -> None:
    client.get("/login")
    response = client.post("/login", data={"username": "admin", "password": PASSWORD})
    assert response.status_code == 403


@pytest.mark.needs_model
def test_front_office_sees_the_flagged_signals_in_queue_and_api(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    log_in(client, "frontoffice")

    page = client.get("/queue")
    assert page.status_code == 200
    assert "belachelijk" in page.text and "openingstijden" not in page.text

    listing = client.get("/api/v1/signals", params={"channel": "social"}).json()
    assert listing["total"] == 1
    assert listing["items"][0]["channel"] == "social"
    assert listing["items"][0]["department"] == "Frontoffice"
    assert listing["items"][0]["due_at"] is not None


def test_ops_users_may_not_read_the_queue(client: TestClient) -> None:
    log_in(client, "ops")
    assert client.get("/api/v1/signals").status_code == 403
    assert client.get("/queue").status_code == 403


def test_pages_carry_a_content_security_policy(client: TestClient) -> None:
    headers = client.get("/login").headers
    assert "script-src 'self'" in headers["content-security-policy"]
    assert headers["x-frame-options"] == "DENY"


def test_the_session_cookie_is_http_only_and_same_site(client: TestClient) -> None:
    cookie = client.get("/login").headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie


def test_logout_ends_the_session(client: TestClient) -> None:
    log_in(client, "admin")
    token = csrf_from(client.get("/queue").text)
    client.post("/logout", data={"csrf_token": token}, follow_redirects=False)
    assert client.get("/api/v1/signals").status_code == 401


def test_login_never_redirects_to_another_site(client: TestClient) -> None:
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": "admin", "password": PASSWORD, "csrf_token": token, "next": "//evil.example/"},
        follow_redirects=False,
    )
    assert response.headers["location"] == "/queue"
