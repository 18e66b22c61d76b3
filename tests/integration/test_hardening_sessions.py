"""Sessions end on the server: logout, a password change and "log out everywhere" (issue 18, finding 10)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api import users
from shared.db import Database
from shared.models import StaffSession, User
from tests.staff import csrf_from, log_in, staff_client

COOKIE = "signaal_session"


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        yield test_client


def browser(client: TestClient) -> TestClient:
    """A second browser on the same app, with its own cookie jar."""
    return TestClient(client.app, base_url="http://127.0.0.1")


def copy_of(client: TestClient) -> TestClient:
    """Another client carrying a copy of `client`'s session cookie, as a thief would."""
    thief = browser(client)
    thief.cookies.set(COOKIE, client.cookies[COOKIE])
    return thief


def is_logged_in(client: TestClient) -> bool:
    page = client.get("/queue", follow_redirects=False)
    api = client.get("/api/v1/signals")
    assert (page.status_code == 200) == (api.status_code == 200)
    return page.status_code == 200


def post_form(client: TestClient, path: str) -> int:
    token = csrf_from(client.get("/queue").text)
    return client.post(path, data={"csrf_token": token}, follow_redirects=False).status_code


def test_a_copied_cookie_is_refused_after_logout(client: TestClient) -> None:
    log_in(client, "frontoffice")
    thief = copy_of(client)
    assert is_logged_in(thief)
    assert post_form(client, "/logout") == 303
    page = thief.get("/queue", follow_redirects=False)
    assert page.status_code == 303 and page.headers["location"].startswith("/login")
    assert thief.get("/api/v1/signals").status_code == 401


def test_a_password_change_ends_every_session_of_the_user(client: TestClient, database: Database) -> None:
    log_in(client, "handler")
    other = browser(client)
    log_in(other, "handler")
    bystander = browser(client)
    log_in(bystander, "frontoffice")
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.username == "handler")).one()
        users.set_password(db_session=session, user_id=user.id, password="a new long password", actor="test")
    assert not is_logged_in(client) and not is_logged_in(other)
    assert is_logged_in(bystander)
    log_in(client, "handler", "a new long password")
    assert is_logged_in(client)


def test_log_out_everywhere_ends_a_second_browsers_session(client: TestClient) -> None:
    log_in(client, "admin")
    second = browser(client)
    log_in(second, "admin")
    assert "/logout/everywhere" in client.get("/queue").text
    assert post_form(client, "/logout/everywhere") == 303
    assert not is_logged_in(second) and not is_logged_in(client)


def test_log_out_everywhere_needs_the_csrf_token(client: TestClient) -> None:
    log_in(client, "admin")
    second = browser(client)
    log_in(second, "admin")
    assert client.post("/logout/everywhere", follow_redirects=False).status_code == 403
    assert is_logged_in(second)


def test_the_database_keeps_only_a_hash_of_the_session_id(client: TestClient, database: Database) -> None:
    log_in(client, "ops")
    cookie = client.cookies[COOKIE]
    with database.session() as session:
        rows = session.scalars(select(StaffSession)).all()
    assert len(rows) == 1 and rows[0].token_hash not in cookie and not rows[0].revoked
    assert rows[0].expires_at - rows[0].created_at <= dt.timedelta(hours=8)
