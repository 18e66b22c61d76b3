"""Login throttling, API tokens and the users API."""

from __future__ import annotations

import datetime as dt
import hashlib
import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.api.access import throttle
from services.api.app import create_app
from shared.db import Database
from shared.models import ApiToken, LoginThrottle, utcnow
from shared.settings import Settings
from tests.staff import PASSWORD, csrf_from, log_in, login_attempt, seed_signals, staff_client


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        yield test_client


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def make_token(client: TestClient, name: str, username: str) -> dict:
    log_in(client, "admin")
    token = csrf_from(client.get("/admin").text)
    response = client.post(
        "/api/v1/tokens", json={"name": name, "username": username}, headers={"X-CSRF-Token": token}
    )
    assert response.status_code == 201, response.text
    return response.json()


# --- throttling -------------------------------------------------------------------------


def test_a_username_is_locked_after_five_failures_even_for_the_right_password(client: TestClient) -> None:
    assert [login_attempt(client, "handler", "wrong-password") for _ in range(5)] == [401] * 5
    assert login_attempt(client, "handler", "wrong-password") == 401  # the sixth failure starts the lock
    assert login_attempt(client, "handler", PASSWORD) == 429
    page = client.post(
        "/login",
        data={
            "username": "handler",
            "password": PASSWORD,
            "csrf_token": csrf_from(client.get("/login").text),
        },
    )
    assert "Te veel mislukte pogingen" in page.text and "min opnieuw" in page.text


def test_the_lock_holds_in_another_api_process_on_the_same_database(
    client: TestClient, database: Database
) -> None:
    for _ in range(6):
        login_attempt(client, "handler", "wrong-password")
    other_app = create_app(Settings(secret_key="test-secret-" + "y" * 32), database)
    with TestClient(other_app, base_url="http://127.0.0.1") as other:
        assert login_attempt(other, "handler", PASSWORD) == 429


def test_the_lock_ends_when_its_time_is_up_and_a_success_forgets_the_failures(
    client: TestClient, database: Database
) -> None:
    for _ in range(6):
        login_attempt(client, "handler", "wrong-password")
    with database.transaction() as session:
        session.execute(update(LoginThrottle).values(locked_until=utcnow() - dt.timedelta(seconds=1)))
    assert login_attempt(client, "handler", PASSWORD) == 303
    with database.session() as session:
        assert session.scalars(select(LoginThrottle.key)).all() == ["ip:testclient"]


def test_each_failure_past_the_free_ones_doubles_the_lock_up_to_the_cap(database: Database) -> None:
    lengths = []
    for _ in range(16):
        with database.transaction() as session:
            throttle.record_failure(db_session=session, username="eve", address=None)
        with database.session() as session:
            row = session.scalars(select(LoginThrottle)).one()
            lengths.append(
                round((row.locked_until - row.last_failure_at).total_seconds()) if row.locked_until else 0
            )
    assert lengths[:8] == [0, 0, 0, 0, 0, 30, 60, 120]
    assert lengths[-1] == 15 * 60


def test_one_address_is_locked_after_many_usernames_fail(client: TestClient) -> None:
    for n in range(21):
        login_attempt(client, f"guess{n}", "wrong-password")
    assert login_attempt(client, "frontoffice", PASSWORD) == 429


# --- API tokens -------------------------------------------------------------------------


def test_a_token_is_shown_once_and_stored_only_as_its_hash(client: TestClient, database: Database) -> None:
    created = make_token(client, "crm", "frontoffice")
    secret = created["token"]
    assert secret.startswith("sgl_") and len(secret) > 40
    listed = client.get("/api/v1/tokens").json()
    assert listed[0]["prefix"] == secret[:10] and "token" not in listed[0]
    assert secret not in client.get("/admin").text
    with database.session() as session:
        row = session.scalars(select(ApiToken)).one()
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()


@pytest.mark.needs_model
def test_a_token_acts_with_its_owners_role_and_needs_no_csrf(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    secret = make_token(client, "crm", "frontoffice")["token"]
    with TestClient(client.app, base_url="http://127.0.0.1") as integration:
        assert integration.get("/api/v1/signals", headers=bearer(secret)).json()["total"] == 2
        confirmed = integration.post(f"/api/v1/signals/{ids['Afval']}/confirm", headers=bearer(secret))
        assert confirmed.json() == {"updated": [ids["Afval"]]}
        assert integration.get("/api/v1/users", headers=bearer(secret)).status_code == 403
        assert integration.get("/api/v1/connectors", headers=bearer(secret)).status_code == 403


def test_a_token_notes_when_it_was_last_used(client: TestClient) -> None:
    secret = make_token(client, "crm", "frontoffice")["token"]
    assert client.get("/api/v1/tokens").json()[0]["last_used_at"] is None
    client.get("/api/v1/signals", headers=bearer(secret))
    assert client.get("/api/v1/tokens").json()[0]["last_used_at"] is not None


def test_a_revoked_token_is_refused(client: TestClient) -> None:
    created = make_token(client, "crm", "frontoffice")
    token = csrf_from(client.get("/admin").text)
    client.post(f"/api/v1/tokens/{created['id']}/revoke", headers={"X-CSRF-Token": token})
    response = client.get("/api/v1/signals", headers=bearer(created["token"]))
    assert response.status_code == 401 and "revoked" in response.json()["detail"]


def test_an_unknown_token_is_refused_even_with_a_logged_in_cookie(client: TestClient) -> None:
    log_in(client, "admin")
    assert client.get("/api/v1/signals", headers=bearer("sgl_not-a-token")).status_code == 401


def test_a_token_of_a_deactivated_user_is_refused(client: TestClient) -> None:
    secret = make_token(client, "crm", "frontoffice")["token"]
    frontoffice = next(u for u in client.get("/api/v1/users").json() if u["username"] == "frontoffice")
    token = csrf_from(client.get("/admin").text)
    client.post(f"/api/v1/users/{frontoffice['id']}/deactivate", headers={"X-CSRF-Token": token})
    assert client.get("/api/v1/signals", headers=bearer(secret)).status_code == 401


def test_a_token_does_not_open_the_pages(client: TestClient) -> None:
    secret = make_token(client, "crm", "admin")["token"]
    with TestClient(client.app, base_url="http://127.0.0.1") as integration:
        response = integration.get("/queue", headers=bearer(secret), follow_redirects=False)
    assert response.status_code == 303  # to the login page: tokens are for /api/v1 only


def test_the_admin_page_shows_a_new_token_once(client: TestClient) -> None:
    log_in(client, "admin")
    token = csrf_from(client.get("/admin").text)
    page = client.post("/admin/tokens", data={"csrf_token": token, "name": "crm", "username": "frontoffice"})
    secret = re.search(r'id="token-value">(sgl_[^<]+)<', page.text).group(1)
    assert page.headers["cache-control"] == "no-store"
    later = client.get("/admin").text
    assert secret not in later and secret[:10] in later  # only the prefix stays visible


# --- users API --------------------------------------------------------------------------


def test_an_admin_creates_a_user_who_can_then_log_in(client: TestClient) -> None:
    log_in(client, "admin")
    token = csrf_from(client.get("/admin").text)
    response = client.post(
        "/api/v1/users",
        json={"username": "anna", "password": "a long password", "role": "handler"},
        headers={"X-CSRF-Token": token},
    )
    assert response.status_code == 201 and response.json()["role"] == "handler"
    with TestClient(client.app, base_url="http://127.0.0.1") as anna:
        log_in(anna, "anna", "a long password")


def test_a_deactivated_user_can_no_longer_log_in(client: TestClient) -> None:
    log_in(client, "admin")
    ops = next(u for u in client.get("/api/v1/users").json() if u["username"] == "ops")
    token = csrf_from(client.get("/admin").text)
    response = client.post(f"/api/v1/users/{ops['id']}/deactivate", headers={"X-CSRF-Token": token})
    assert response.json()["active"] is False
    with TestClient(client.app, base_url="http://127.0.0.1") as other:
        assert login_attempt(other, "ops", PASSWORD) == 401


def test_admins_cannot_deactivate_themselves(client: TestClient) -> None:
    log_in(client, "admin")
    me = next(u for u in client.get("/api/v1/users").json() if u["username"] == "admin")
    token = csrf_from(client.get("/admin").text)
    assert (
        client.post(f"/api/v1/users/{me['id']}/deactivate", headers={"X-CSRF-Token": token}).status_code
        == 409
    )


def test_a_duplicate_or_weak_user_is_refused_with_a_reason(client: TestClient) -> None:
    log_in(client, "admin")
    token = csrf_from(client.get("/admin").text)
    duplicate = {"username": "ops", "password": "a long password", "role": "ops"}
    assert client.post("/api/v1/users", json=duplicate, headers={"X-CSRF-Token": token}).status_code == 409
    weak = {"username": "bob", "password": "short", "role": "ops"}
    assert client.post("/api/v1/users", json=weak, headers={"X-CSRF-Token": token}).status_code == 422
    page = client.post("/admin/users", data={"csrf_token": token, **weak})
    assert page.status_code == 400 and "password" in page.text
