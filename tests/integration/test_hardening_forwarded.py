"""Forwarded headers count only from configured proxies (issue 18, finding 11).

The bug lived in uvicorn's configuration (it believed X-Forwarded-For from 127.0.0.1), so the
first tests go through a real `signaal api` process on a free loopback port.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api.access import throttle
from services.api.app import create_app
from shared import migrate
from shared.db import Database
from shared.models import LoginThrottle
from shared.settings import Settings
from tests import processes, servers
from tests.staff import create_users


@pytest.fixture(scope="module")
def live_api(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """`signaal api` with no trusted proxies, on SQLite; yields its base URL."""
    folder = tmp_path_factory.mktemp("forwarded")
    url = f"sqlite:///{folder / 'signaal.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    create_users(database)
    database.dispose()
    log = folder / "api.log"
    with processes.serving_api(url, servers.free_port(), log, secret_key="fwd-test-" + "x" * 32) as base_url:
        yield base_url


def _csrf(client: httpx.Client) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert match
    return match.group(1)


def test_rotating_x_forwarded_for_does_not_escape_the_login_throttle(live_api: str) -> None:
    with httpx.Client(base_url=live_api, timeout=30) as client:
        token = _csrf(client)
        statuses = []
        # Each guess a different name, so only the address throttle (20 free failures) can stop them.
        for n in range(throttle.ADDRESS_POLICY.free_failures + 2):
            response = client.post(
                "/login",
                data={"username": f"guess{n}", "password": "wrong password", "csrf_token": token},
                headers={"X-Forwarded-For": f"198.51.100.{n + 1}", "Forwarded": f"for=203.0.113.{n + 1}"},
            )
            statuses.append(response.status_code)
    assert statuses[-1] == 429, statuses


def test_rotating_x_forwarded_for_does_not_escape_the_intake_rate_limit(live_api: str) -> None:
    statuses = []
    with httpx.Client(base_url=live_api, timeout=30) as client:
        for n in range(15):  # the default limit is 10 a minute
            response = client.post(
                "/api/v1/intake/webform", json={}, headers={"X-Forwarded-For": f"192.0.2.{n + 1}"}
            )
            statuses.append(response.status_code)
    assert 429 in statuses, statuses


def test_metrics_ignore_a_forwarded_address_from_an_untrusted_peer(live_api: str) -> None:
    # The peer is this machine, so /metrics answers; a header cannot change who the peer is.
    response = httpx.get(f"{live_api}/metrics", headers={"X-Forwarded-For": "203.0.113.5"}, timeout=10)
    assert response.status_code == 200


@pytest.fixture
def behind_proxy(sqlite_database: Database) -> Iterator[TestClient]:
    """The app with 127.0.0.1 as trusted proxy, called from 127.0.0.1."""
    create_users(sqlite_database)
    settings = Settings(secret_key="test-secret-" + "x" * 32, trusted_proxies="127.0.0.1, 10.0.0.0/8")
    with TestClient(
        create_app(settings, sqlite_database), base_url="http://127.0.0.1", client=("127.0.0.1", 40000)
    ) as client:
        yield client


def test_behind_a_trusted_proxy_two_forwarded_clients_get_separate_intake_limits(
    behind_proxy: TestClient,
) -> None:
    def submit(address: str) -> int:
        # A spoofed left-most entry is ignored: the right-most untrusted hop is the client.
        forwarded = f"6.6.6.6, {address}, 10.1.2.3"
        return behind_proxy.post(
            "/api/v1/intake/webform", json={}, headers={"X-Forwarded-For": forwarded}
        ).status_code

    first = [submit("203.0.113.10") for _ in range(11)]
    assert first[-1] == 429 and 429 not in first[:-1]
    assert submit("203.0.113.20") != 429


def test_behind_a_trusted_proxy_the_login_throttle_counts_the_forwarded_client(
    behind_proxy: TestClient, sqlite_database: Database
) -> None:
    page = behind_proxy.get("/login").text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    behind_proxy.post(
        "/login",
        data={"username": "admin", "password": "wrong password", "csrf_token": token},
        headers={"Forwarded": 'for="[2001:db8::7]:4711";proto=https, for=10.0.0.9'},
    )
    with sqlite_database.session() as session:
        keys = set(session.scalars(select(LoginThrottle.key)))
    assert keys == {"user:admin", "ip:2001:db8::7"}


def test_a_bad_trusted_proxy_setting_is_refused_at_start() -> None:
    with pytest.raises(ValueError, match="SIGNAAL_TRUSTED_PROXIES"):
        Settings(trusted_proxies="10.0.0.1, proxy.example")
