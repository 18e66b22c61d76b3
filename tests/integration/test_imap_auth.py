"""Signing in to a real Dovecot: XOAUTH2 bearer tokens, implicit TLS and STARTTLS, and their failures."""

from __future__ import annotations

import json
import shlex
import sys
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from services.ingest import connectors, runner
from services.ingest.connectors.imap import ImapConnector
from services.ingest.sink import Sink
from shared.config import ConnectorEntry
from shared.db import Database
from shared.models import ConnectorHealth
from tests import dovecot
from tests.dovecot import complaint as mail

pytestmark = pytest.mark.needs_dovecot

GOOD_TOKEN = "ya29.good-test-token"
_issued: list[str] = []


def issue_token(username: str) -> str:
    """The token provider under test (configured as `tests.integration.test_imap_auth:issue_token`)."""
    _issued.append(username)
    return GOOD_TOKEN


class _TokenInfo(BaseHTTPRequestHandler):
    """What Dovecot's oauth2 passdb asks: is this bearer token valid, and for whom?"""

    def do_GET(self) -> None:
        good = self.headers.get("Authorization") == f"Bearer {GOOD_TOKEN}"
        body = json.dumps({"username": dovecot.USER, "active": "true"} if good else {"error": "invalid"})
        self.send_response(200 if good else 401)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body.encode())

    def log_message(self, format: str, *args: Any) -> None:
        pass


@pytest.fixture
def oauth_server() -> Iterator[dovecot.Dovecot]:
    tokeninfo = ThreadingHTTPServer(("127.0.0.1", 0), _TokenInfo)
    thread = threading.Thread(target=tokeninfo.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{tokeninfo.server_port}/tokeninfo?access_token="
        with dovecot.running(oauth2_tokeninfo_url=url) as server:
            yield server
    finally:
        tokeninfo.shutdown()
        tokeninfo.server_close()


@pytest.fixture
def tls_server(monkeypatch: pytest.MonkeyPatch) -> Iterator[dovecot.Dovecot]:
    monkeypatch.setenv("SIGNAAL_TEST_IMAP_PASSWORD", dovecot.PASSWORD)
    with dovecot.running(tls=True) as server:
        yield server


def build(server: dovecot.Dovecot, **options: Any) -> ImapConnector:
    entry = server.connector_options(**options)
    if "token_provider" in options or "token_command" in options:
        del entry["password_env"]
    connector = connectors.KINDS["imap"](ConnectorEntry.model_validate(entry), 0)
    assert isinstance(connector, ImapConnector)
    return connector


def last_error(database: Database) -> str:
    with database.session() as session:
        row = session.scalars(
            select(ConnectorHealth).where(ConnectorHealth.connector == "mailbox-test")
        ).one()
    return row.last_error or ""


def test_xoauth2_token_from_provider_hook_signs_in(
    oauth_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    oauth_server.append([mail(1)])
    connector = build(oauth_server, token_provider="tests.integration.test_imap_auth:issue_token")
    try:
        assert connector.poll(Sink(sqlite_database, "mailbox-test")) == 1
    finally:
        connector.close()
    assert _issued[-1] == dovecot.USER


def test_xoauth2_token_from_command_signs_in(
    oauth_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    oauth_server.append([mail(1)])
    command = shlex.join([sys.executable, "-c", f"print({GOOD_TOKEN!r})"])
    connector = build(oauth_server, token_command=command)
    try:
        assert connector.poll(Sink(sqlite_database, "mailbox-test")) == 1
    finally:
        connector.close()


def test_rejected_token_shows_login_refused_without_the_token(
    oauth_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    command = shlex.join([sys.executable, "-c", "print('expired-token')"])
    assert runner.poll_once(build(oauth_server, token_command=command), sqlite_database) == -1
    error = last_error(sqlite_database)
    assert f"login refused for user {dovecot.USER}" in error and "check the token" in error
    assert "expired-token" not in error


def test_failing_token_command_is_reported(oauth_server: dovecot.Dovecot, sqlite_database: Database) -> None:
    command = shlex.join([sys.executable, "-c", "import sys; sys.exit('refresh token revoked')"])
    assert runner.poll_once(build(oauth_server, token_command=command), sqlite_database) == -1
    assert "token command exited with 1: refresh token revoked" in last_error(sqlite_database)


def test_implicit_tls_with_the_organisations_ca_reads_mail(
    tls_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    tls_server.append([mail(1)])
    connector = build(tls_server, security="tls", port=tls_server.tls_port, ca_file=str(tls_server.ca_file))
    try:
        assert connector.poll(Sink(sqlite_database, "mailbox-test")) == 1
    finally:
        connector.close()


def test_starttls_with_the_organisations_ca_reads_mail(
    tls_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    tls_server.append([mail(1)])
    connector = build(tls_server, security="starttls", allow_plain=False, ca_file=str(tls_server.ca_file))
    try:
        assert connector.poll(Sink(sqlite_database, "mailbox-test")) == 1
    finally:
        connector.close()


def test_untrusted_certificate_is_reported_with_the_fix(
    tls_server: dovecot.Dovecot, sqlite_database: Database
) -> None:
    connector = build(tls_server, security="tls", port=tls_server.tls_port)
    assert runner.poll_once(connector, sqlite_database) == -1
    error = last_error(sqlite_database)
    assert f"TLS certificate of 127.0.0.1:{tls_server.tls_port} not trusted" in error
    assert "ca_file" in error
