"""The ops page and `/api/v1/ops/...`: connectors, hourly intake, pipeline counts, failed items, retry."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from services.classifier import artefact, registry
from services.ingest.sink import Sink
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import AuditEntry, ConnectorHealth, Message, Notification, utcnow
from shared.settings import Settings
from tests.conftest import make_incoming
from tests.staff import csrf_from, log_in, staff_client, status_codes

ERROR = (
    'Traceback (most recent call last):\n  File "stage.py", line 1\nValueError: the head file is unreadable'
)


CONFIG = OrganisationConfig.model_validate(
    {"connectors": [{"name": "mailbox-info", "kind": "fake"}, {"name": "mastodon", "kind": "fake"}]}
)


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database, CONFIG) as test_client:
        log_in(test_client, "ops")
        yield test_client


def store(database: Database, count: int, *, source: str = "mailbox-info", hours_ago: float = 0) -> list[int]:
    """Store `count` messages from `source` (received `hours_ago`); their ids."""
    when = utcnow() - dt.timedelta(hours=hours_ago)
    Sink(database, source).store(
        [make_incoming(source=source, channel="email", received_at=when) for _ in range(count)]
    )
    with database.session() as session:
        return list(session.scalars(select(Message.id).where(Message.source == source).order_by(Message.id)))


def fail(database: Database, ids: list[int], *, stage: str = "classify") -> None:
    with database.transaction() as session:
        session.execute(
            update(Message).where(Message.id.in_(ids)).values(state="failed", failed_stage=stage, error=ERROR)
        )


def test_the_page_shows_each_connectors_status_last_success_and_last_error(
    client: TestClient, database: Database
) -> None:
    store(database, 2)
    with database.transaction() as session:
        session.add(
            ConnectorHealth(
                connector="mailbox-info",
                kind="imap",
                status="down",
                consecutive_failures=3,
                messages_total=2,
                warnings=[],
                last_success_at=utcnow() - dt.timedelta(hours=2),
                last_error="login refused for user info@gemeente.nl",
                last_error_at=utcnow(),
            )
        )
    page = client.get("/ops")
    assert page.status_code == 200
    assert 'data-connector="mailbox-info"' in page.text
    assert "storing" in page.text and "login refused for user info@gemeente.nl" in page.text
    assert "2 u geleden" in page.text  # last success, as an age


def test_the_hourly_chart_counts_messages_per_source_and_hour_in_the_database(
    client: TestClient, database: Database
) -> None:
    store(database, 3, source="mailbox-info")
    store(database, 2, source="mastodon", hours_ago=5)
    store(database, 4, source="old", hours_ago=30)  # outside the 24 hours
    hourly = client.get("/api/v1/ops/hourly").json()
    counts = {s["source"]: s["counts"] for s in hourly["sources"]}
    assert len(hourly["hours"]) == 24 and set(counts) == {"mailbox-info", "mastodon"}
    assert counts["mailbox-info"][-1] == 3 and sum(counts["mailbox-info"]) == 3
    assert counts["mastodon"][-6] == 2 and sum(counts["mastodon"]) == 2
    page = client.get("/ops").text
    assert "<svg" in page and "mailbox-info" in page and 'style="' not in page.split("<main>")[1]
    row = page.split('data-connector="mailbox-info"')[1].split("</tr>")[0]
    assert 'class="sparkline"' in row and "3 berichten in 24 uur" in row


def test_pipeline_counts_are_given_per_state_with_the_last_hours_changes(
    client: TestClient, database: Database
) -> None:
    ids = store(database, 3)
    fail(database, ids[:1])
    pipeline = client.get("/api/v1/ops/pipeline").json()
    states = {s["state"]: (s["count"], s["changed_last_hour"]) for s in pipeline["states"]}
    assert states["received"][0] == 2 and states["failed"][0] == 1 and states["routed"] == (0, 0)
    assert "mislukt" in client.get("/ops").text


def test_failed_items_are_listed_with_their_stage_and_error(client: TestClient, database: Database) -> None:
    ids = store(database, 2)
    fail(database, ids, stage="route")
    listing = client.get("/api/v1/ops/items", params={"state": "failed"}).json()
    assert listing["total"] == 2
    assert {(i["stage"], i["error"]) for i in listing["items"]} == {
        ("route", "ValueError: the head file is unreadable")
    }
    assert "ValueError: the head file is unreadable" in client.get("/ops").text


def test_failed_items_are_paged(client: TestClient, database: Database) -> None:
    ids = store(database, 30)
    fail(database, ids)
    first = client.get("/ops").text
    second = client.get("/ops", params={"page": 2}).text
    assert first.count('class="item"') == 25 and second.count('class="item"') == 5
    assert 'href="/ops?state=failed&amp;page=2#items"' in first


def test_the_retry_button_puts_a_failed_item_back_in_its_stages_input_state_and_audits_it(
    client: TestClient, database: Database
) -> None:
    ids = store(database, 2)
    fail(database, ids, stage="route")
    token = csrf_from(client.get("/ops").text)
    response = client.post(
        "/ops/retry", data={"csrf_token": token, "message_id": str(ids[0])}, follow_redirects=False
    )
    assert response.status_code == 303 and "moved=1" in response.headers["location"]
    with database.session() as session:
        states = dict(session.execute(select(Message.id, Message.state).where(Message.id.in_(ids))).all())
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "retry")).one()
    assert states == {ids[0]: "classified", ids[1]: "failed"}
    assert (audit.actor, audit.detail) == ("ops", {"stage": "route", "count": 1, "ids": [ids[0]]})


def test_retry_without_the_csrf_token_is_refused_and_changes_nothing(
    client: TestClient, database: Database
) -> None:
    ids = store(database, 1)
    fail(database, ids)
    response = client.post("/ops/retry", data={"message_id": str(ids[0])}, follow_redirects=False)
    assert response.status_code == 403
    with database.session() as session:
        assert session.get_one(Message, ids[0]).state == "failed"


def test_the_api_retries_one_item(client: TestClient, database: Database) -> None:
    ids = store(database, 1)
    fail(database, ids)
    token = csrf_from(client.get("/ops").text)
    response = client.post(f"/api/v1/ops/items/{ids[0]}/retry", headers={"X-CSRF-Token": token})
    assert response.json() == {"moved": 1}
    with database.session() as session:
        assert session.get_one(Message, ids[0]).state == "received"


def test_the_classifier_version_and_its_held_out_metrics_are_shown(client: TestClient) -> None:
    shipped = artefact.load(registry.resolve(Settings().model_dir)).version
    classifier = client.get("/api/v1/ops/classifier").json()
    assert classifier["version"] == shipped and classifier["origin"] == "model folder"
    page = client.get("/ops").text
    assert shipped in page
    assert str(classifier["metrics"]["heldout"]["recall"]) in page


@pytest.mark.parametrize("role", ["frontoffice", "handler"])
def test_other_roles_are_refused(database: Database, role: str) -> None:
    assert status_codes(database, role, "/ops", "/api/v1/ops/pipeline") == [403, 403]


def test_the_anonymous_user_is_sent_to_the_login_page_and_refused_by_the_api(database: Database) -> None:
    assert status_codes(database, None, "/ops", "/api/v1/ops/items") == [303, 401]


def test_an_ops_user_lands_on_the_ops_page(client: TestClient) -> None:
    assert client.get("/", follow_redirects=False).headers["location"] == "/ops"


def test_failed_outbox_mail_is_shown_and_put_back_by_the_retry_button(
    client: TestClient, database: Database
) -> None:
    with database.transaction() as session:
        session.add(
            Notification(
                kind="receipt",
                recipient="burger@example.nl",
                subject="Ontvangen",
                body="…",
                status="failed",
                attempts=5,
                last_error="550 mailbox unavailable",
            )
        )
    page = client.get("/ops").text
    assert "550 mailbox unavailable" in page and 'id="retry-outbox"' in page
    response = client.post("/ops/outbox/retry", data={"csrf_token": csrf_from(page)}, follow_redirects=False)
    assert response.status_code == 303 and "moved=1" in response.headers["location"]
    with database.session() as session:
        notification = session.scalars(select(Notification)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.retry")).one()
    assert (notification.status, notification.attempts) == ("pending", 0)
    assert (audit.actor, audit.detail) == ("ops", {"count": 1})


def test_the_page_is_available_in_english(client: TestClient) -> None:
    token = csrf_from(client.get("/ops").text)
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/ops"})
    page = client.get("/ops").text
    assert "Ops: connectors and pipeline" in page and "Messages per hour (last 24 hours)" in page
