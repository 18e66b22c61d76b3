"""Connector health for ops: statuses, counts, lag and warnings; the API, metrics and `signaal connectors`."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from services.api import users
from services.api.app import create_app
from services.api.connectors import table
from services.ingest import health, runner
from services.ingest.connectors.base import ConnectorFailure
from services.ingest.connectors.fake import FakeConnector
from services.ingest.sink import Sink
from shared import outbox
from shared.config import OrganisationConfig, load_config
from shared.db import Database
from shared.models import ConnectorHealth, Message, utcnow
from shared.settings import Settings
from tests import processes
from tests.conftest import make_incoming

PASSWORD = "correct horse battery"
CONFIG = """
organisation: Gemeente Voorbeeld
connectors:
  - {name: mailbox-info, kind: fake, quiet_warning_minutes: 10}
  - {name: mastodon, kind: fake}
  - {name: oude-mailbox, kind: fake, enabled: false}
"""


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    path = tmp_path / "signaal.yaml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


@pytest.fixture
def config(config_file: Path) -> OrganisationConfig:
    return load_config(config_file)


def by_name(database: Database, config: OrganisationConfig, now: dt.datetime | None = None):  # type: ignore[no-untyped-def]
    with database.session() as session:
        return {r.name: r for r in health.report(session, config, now=now)}


def store(database: Database, source: str, count: int = 1, **overrides: object) -> None:
    Sink(database, source).store([make_incoming(source=source, **overrides) for _ in range(count)])


def age_messages(database: Database, source: str, age: dt.timedelta) -> None:
    with database.transaction() as session:
        session.execute(update(Message).where(Message.source == source).values(ingested_at=utcnow() - age))


class RefusingConnector(FakeConnector):
    """Fails like a source that refuses us, flagging it the way the IMAP connector can."""

    def poll(self, sink: Sink) -> int:
        raise ConnectorFailure("server said: [AUTHENTICATIONFAILED] no", auth=True)


# --- status -------------------------------------------------------------------------


def test_a_failing_connector_goes_degraded_then_down_and_recovers_to_ok(
    database: Database, config: OrganisationConfig
) -> None:
    connector = FakeConnector("mailbox-info")
    connector.failure = "cannot connect to imap.example.nl:993: Connection refused"

    runner.poll_once(connector, database)
    assert by_name(database, config)["mailbox-info"].status == "degraded"
    runner.poll_once(connector, database)
    runner.poll_once(connector, database)
    down = by_name(database, config)["mailbox-info"]
    assert (down.status, down.consecutive_failures) == ("down", 3)
    assert down.last_error == "cannot connect to imap.example.nl:993: Connection refused"
    assert down.last_error_at is not None and not down.auth_failing

    connector.failure = None
    connector.add(make_incoming(source="mailbox-info"))
    runner.poll_once(connector, database)
    recovered = by_name(database, config)["mailbox-info"]
    assert (recovered.status, recovered.consecutive_failures, recovered.messages_total) == ("ok", 0, 1)
    assert recovered.last_success_at is not None and recovered.last_success_at >= down.last_error_at


def test_refused_credentials_show_plainly_as_authentication_failing(
    database: Database, config: OrganisationConfig
) -> None:
    worded = FakeConnector("mailbox-info")
    worded.failure = "login refused for user info@example.nl at imap.example.nl:993: check the password"
    runner.poll_once(worded, database)
    runner.poll_once(RefusingConnector("mastodon"), database)

    reports = by_name(database, config)
    for name in ("mailbox-info", "mastodon"):
        assert reports[name].auth_failing, name
        assert reports[name].warnings[0].startswith("authentication failing"), reports[name].warnings


def test_a_source_asking_us_to_wait_stays_degraded_however_often(
    database: Database, config: OrganisationConfig
) -> None:
    for _ in range(health.DOWN_AFTER + 2):
        health.record_failure(
            database, name="mastodon", kind="fake", reason="rate limited (HTTP 429)", status="degraded"
        )
    assert by_name(database, config)["mastodon"].status == "degraded"


def test_a_disabled_connector_is_reported_disabled_without_nagging(
    database: Database, config: OrganisationConfig
) -> None:
    disabled = by_name(database, config)["oude-mailbox"]
    assert (disabled.status, disabled.enabled, disabled.warnings) == ("disabled", False, [])


def test_a_connector_never_polled_warns_that_ingest_may_not_be_running(
    database: Database, config: OrganisationConfig
) -> None:
    assert any("never polled" in w for w in by_name(database, config)["mastodon"].warnings)


def test_a_connector_not_polled_for_a_long_time_warns(database: Database, config: OrganisationConfig) -> None:
    health.record_success(database, name="mastodon", kind="fake", stored=0)
    later = utcnow() + dt.timedelta(minutes=40)
    assert any("no poll for 40 min" in w for w in by_name(database, config, later)["mastodon"].warnings)


# --- counts and warnings ---------------------------------------------------------------


def test_messages_are_counted_per_source_with_last_hour_and_lag(
    database: Database, config: OrganisationConfig
) -> None:
    store(database, "mailbox-info", 3)
    age_messages(database, "mailbox-info", dt.timedelta(hours=2))
    store(database, "mailbox-info", 1)
    age_messages(database, "mastodon", dt.timedelta(0))
    store(database, "mastodon", 2)
    now = utcnow() + dt.timedelta(minutes=5)

    reports = by_name(database, config, now)

    mailbox = reports["mailbox-info"]
    assert (mailbox.messages_total, mailbox.messages_last_hour) == (4, 1)
    assert mailbox.lag_seconds is not None and 300 <= mailbox.lag_seconds < 330
    assert reports["mastodon"].messages_total == 2
    assert reports["oude-mailbox"].messages_total == 0 and reports["oude-mailbox"].lag_seconds is None


def test_an_active_connector_that_fetches_nothing_for_n_minutes_warns(
    database: Database, config: OrganisationConfig
) -> None:
    store(database, "mailbox-info")
    health.record_success(database, name="mailbox-info", kind="fake", stored=1)

    assert not [w for w in by_name(database, config)["mailbox-info"].warnings if "nothing fetched" in w]
    quiet = by_name(database, config, utcnow() + dt.timedelta(minutes=12))["mailbox-info"]
    assert "active but nothing fetched for 12 min (warns after 10 min)" in quiet.warnings


def test_quarantined_and_oversized_messages_are_counted_and_warned_about(
    database: Database, config: OrganisationConfig
) -> None:
    store(database, "mailbox-info", 2, parse_error="no header/body separator")
    store(database, "mailbox-info", 1, raw_truncated=True, raw_size=30_000_000)
    store(database, "mastodon", 1)

    reports = by_name(database, config)

    mailbox = reports["mailbox-info"]
    assert (mailbox.quarantined, mailbox.oversized) == (2, 1)
    assert any(w.startswith("2 message(s) quarantined in the last 24 h") for w in mailbox.warnings)
    assert any(w.startswith("1 oversized message(s) stored truncated") for w in mailbox.warnings)
    assert (reports["mastodon"].quarantined, reports["mastodon"].oversized) == (0, 0)


def test_a_connector_removed_from_the_configuration_still_shows_its_history(
    database: Database, config: OrganisationConfig
) -> None:
    health.record_success(database, name="verwijderd", kind="imap", stored=0)
    removed = by_name(database, config)["verwijderd"]
    assert removed.status == "disabled" and "no longer in the configuration" in removed.warnings[0]


# --- API and metrics --------------------------------------------------------------------


@pytest.fixture
def client(database: Database, config_file: Path) -> Iterator[TestClient]:
    with database.transaction() as session:
        for role in users.Role:
            users.create(db_session=session, username=role.value, password=PASSWORD, role=role)
    settings = Settings(secret_key="test-secret-" + "x" * 32, config=config_file)
    app = create_app(settings, database, config=load_config(config_file))
    with TestClient(app, base_url="http://127.0.0.1") as test_client:
        yield test_client


def log_in(client: TestClient, username: str) -> None:
    client.cookies.clear()
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text)
    assert token
    response = client.post(
        "/login",
        data={"username": username, "password": PASSWORD, "csrf_token": token.group(1)},
        follow_redirects=False,
    )
    assert response.status_code == 303


def test_connector_health_is_for_ops_and_admins_only(client: TestClient) -> None:
    assert client.get("/api/v1/connectors").status_code == 401
    for role, expected in [("frontoffice", 403), ("handler", 403), ("ops", 200), ("admin", 200)]:
        log_in(client, role)
        assert client.get("/api/v1/connectors").status_code == expected, role


def test_the_api_shows_each_connectors_health_and_the_outbox(client: TestClient, database: Database) -> None:
    connector = FakeConnector("mailbox-info")
    connector.failure = "login refused for user info@example.nl: check the password"
    for _ in range(3):
        runner.poll_once(connector, database)
    store(database, "mastodon", 2)
    with database.transaction() as session:
        outbox.enqueue(session, kind=outbox.RECEIPT, recipient="a@example.nl", subject="s", body="b")
    log_in(client, "ops")

    body = client.get("/api/v1/connectors").json()

    connectors = {c["name"]: c for c in body["connectors"]}
    assert list(connectors) == ["mailbox-info", "mastodon", "oude-mailbox"]
    mailbox = connectors["mailbox-info"]
    assert (mailbox["status"], mailbox["consecutive_failures"], mailbox["auth_failing"]) == ("down", 3, True)
    assert mailbox["last_error"].startswith("login refused") and mailbox["last_error_at"]
    assert connectors["mastodon"]["messages_total"] == 2 and connectors["mastodon"]["lag_seconds"] >= 0
    assert connectors["oude-mailbox"]["status"] == "disabled"
    mail = body["outbox"]
    assert (mail["sending_enabled"], mail["pending"], mail["failed"]) == (False, 1, 0)
    assert "SIGNAAL_SMTP_HOST is empty" in mail["warnings"][0]


def test_metrics_expose_connector_status_failures_messages_and_lag(
    client: TestClient, database: Database
) -> None:
    connector = FakeConnector("mailbox-info")
    connector.failure = "timed out"
    for _ in range(3):
        runner.poll_once(connector, database)
    store(database, "mastodon", 2)

    # /metrics answers loopback peers only (no SIGNAAL_METRICS_TOKEN); TestClient's peer is "testclient".
    body = TestClient(client.app, client=("127.0.0.1", 50000)).get("/metrics").text

    assert 'signaal_connector_status{connector="mailbox-info",kind="fake",status="down"} 1.0' in body
    assert 'signaal_connector_status{connector="mailbox-info",kind="fake",status="ok"} 0.0' in body
    assert 'signaal_connector_status{connector="oude-mailbox",kind="fake",status="disabled"} 1.0' in body
    assert 'signaal_connector_consecutive_failures{connector="mailbox-info"} 3.0' in body
    assert 'signaal_connector_messages{connector="mastodon"} 2.0' in body
    assert re.search(r'signaal_connector_lag_seconds\{connector="mastodon"\} \d', body)
    assert 'signaal_outbox_notifications{status="pending"} 0.0' in body
    assert "signaal_outbox_sending_enabled 0.0" in body


# --- the CLI ----------------------------------------------------------------------------


def test_signaal_connectors_prints_a_readable_table(database: Database, config_file: Path) -> None:
    connector = FakeConnector("mailbox-info")
    connector.failure = "login refused for user info@example.nl: check the password"
    for _ in range(3):
        runner.poll_once(connector, database)
    store(database, "mastodon", 2)
    health.record_success(database, name="mastodon", kind="fake", stored=2)
    with database.session() as session:
        assert session.get(ConnectorHealth, 1) is not None

    done = processes.run(
        [processes.SIGNAAL, "connectors"],
        processes.signaal_env(database.url, config=str(config_file), log_level="WARNING"),
    )

    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    assert re.split(r"\s{2,}", lines[0]) == list(table.HEADERS)
    mailbox = next(line for line in lines if line.startswith("mailbox-info"))
    assert mailbox.split()[:3] == ["mailbox-info", "fake", "DOWN"]
    assert "    last error " in done.stdout and "login refused for user info@example.nl" in done.stdout
    assert "    ! authentication failing" in done.stdout
    assert next(line for line in lines if line.startswith("mastodon")).split()[2] == "ok"
    assert next(line for line in lines if line.startswith("oude-mailbox")).split()[2] == "disabled"
    assert "Outbox: sending is OFF; 0 waiting, 0 failed, 0 sent in 24 h" in done.stdout


def test_signaal_connectors_json_matches_the_api(database: Database, config_file: Path) -> None:
    done = processes.run(
        [processes.SIGNAAL, "connectors", "--json"],
        processes.signaal_env(database.url, config=str(config_file)),
    )
    assert done.returncode == 0, done.stderr
    assert '"name": "mailbox-info"' in done.stdout and '"outbox"' in done.stdout
