"""/metrics is internal, production sends HSTS, and the signal page's back link stays on the site.

Issue 18, findings 8 and 12.
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from services.api.app import create_app
from shared.db import Database
from shared.settings import Environment, Settings
from tests.staff import log_in, seed_signals, staff_client

SECRET = "test-secret-" + "x" * 32
HSTS = "max-age=31536000; includeSubDomains"


def client_for(database: Database, peer: str, **settings: object) -> TestClient:
    app = create_app(Settings(secret_key=SECRET, **settings), database)  # type: ignore[arg-type]
    return TestClient(app, base_url="http://127.0.0.1", client=(peer, 50000))


def test_metrics_answer_a_loopback_peer_without_a_token(sqlite_database: Database) -> None:
    response = client_for(sqlite_database, "127.0.0.1").get("/metrics")
    assert response.status_code == 200 and "signaal_messages" in response.text


@pytest.mark.parametrize("peer", ["192.0.2.7", "testclient"])
def test_metrics_refuse_another_machine_without_a_token(sqlite_database: Database, peer: str) -> None:
    response = client_for(sqlite_database, peer).get("/metrics")
    assert response.status_code == 403 and "signaal_" not in response.text


def test_metrics_refuse_what_a_trusted_proxy_here_forwards_for_another_machine(
    sqlite_database: Database,
) -> None:
    client = client_for(sqlite_database, "127.0.0.1", trusted_proxies="127.0.0.1")
    assert client.get("/metrics", headers={"X-Forwarded-For": "192.0.2.7"}).status_code == 403
    assert client.get("/metrics").status_code == 200


@pytest.mark.parametrize("peer", ["127.0.0.1", "192.0.2.7"])
def test_metrics_with_a_token_need_it_from_every_peer(sqlite_database: Database, peer: str) -> None:
    client = client_for(sqlite_database, peer, metrics_token="scrape-" + "y" * 20)
    assert client.get("/metrics").status_code == 401
    assert client.get("/metrics", headers={"Authorization": "Bearer wrong"}).status_code == 401
    good = client.get("/metrics", headers={"Authorization": "Bearer scrape-" + "y" * 20})
    assert good.status_code == 200 and "signaal_messages" in good.text


def test_production_answers_with_hsts(sqlite_database: Database) -> None:
    client = client_for(sqlite_database, "127.0.0.1", env=Environment.production)
    assert client.get("/healthz").headers["strict-transport-security"] == HSTS
    assert client.get("/login").headers["strict-transport-security"] == HSTS


@pytest.mark.parametrize("env", [Environment.development, Environment.test])
def test_outside_production_there_is_no_hsts(sqlite_database: Database, env: Environment) -> None:
    client = client_for(sqlite_database, "127.0.0.1", env=env)
    assert "strict-transport-security" not in client.get("/healthz").headers


@pytest.fixture
def reviewer(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as client:
        log_in(client, "frontoffice")
        yield client


@pytest.mark.needs_model
@pytest.mark.parametrize(
    "back",
    ["/\t/evil.example/", "/\n/evil.example", "/\\evil.example", "//evil.example", "https://evil.example"],
)
def test_the_signal_pages_back_link_never_leaves_the_site(
    reviewer: TestClient, database: Database, back: str
) -> None:
    signal_id = seed_signals(database)["Afval"]
    # `params` percent-encodes, so the server receives e.g. back=/%09/evil.example/.
    page = reviewer.get(f"/signals/{signal_id}", params={"back": back}).text
    assert '<a href="/queue" id="back">' in page
    # Links, and the follow-up forms that carry `back` on, never point off the site.
    targets = re.findall(r'(?:href|name="back" value)="([^"]*)"', page)
    assert targets and not [t for t in targets if "evil.example" in t]


def test_the_login_form_does_not_send_you_off_the_site(reviewer: TestClient) -> None:
    page = reviewer.get("/login", params={"next": "/\t/evil.example/"}).text
    # The login form's own target; the language switch's target is this login page itself.
    assert re.findall(r'name="next" value="([^"]*)"', page) == [
        "/login?next=%2F%09%2Fevil.example%2F",
        "/queue",
    ]
