"""The insights page and `GET /api/v1/insights`: weekly volume, flag rate, first contact, patterns."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api.insights import service
from shared import workdays
from shared.db import Database
from shared.models import FollowUp, FollowUpEvent, Signal, SignalGroup, utcnow
from tests.conftest import make_incoming
from tests.staff import log_in, seed, seed_signals, staff_client, status_codes

COMPLAINT = "Al weken geen reactie, dit is belachelijk."


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        log_in(test_client, "frontoffice")
        yield test_client


def a_working_monday(weeks_ago: int) -> dt.date:
    """A Monday some weeks back that is, with the day after, a working day."""
    today = utcnow().date()
    day = today - dt.timedelta(days=today.weekday(), weeks=weeks_ago)
    while not (workdays.is_working_day(day) and workdays.is_working_day(day + dt.timedelta(days=1))):
        day -= dt.timedelta(weeks=1)
    return day


def at(day: dt.date, hour: int) -> dt.datetime:
    return dt.datetime.combine(day, dt.time(hour), tzinfo=workdays.AMSTERDAM).astimezone(dt.UTC)


def contact(database: Database, signal_id: int, *, created: dt.datetime, contacted: dt.datetime) -> None:
    """Backdate a signal and record its first phone call at `contacted`."""
    with database.transaction() as session:
        session.get_one(Signal, signal_id).created_at = created
        follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == signal_id)).one()
        session.add(FollowUpEvent(follow_up_id=follow_up.id, kind="phone", actor="t", created_at=contacted))


@pytest.mark.needs_model
def test_signals_are_counted_per_week_by_channel_and_department(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)  # Afval (email) and Parking (social) are signals this week
    with database.transaction() as session:
        session.get_one(Signal, ids["Parking"]).created_at = utcnow() - dt.timedelta(weeks=3)
        session.get_one(Signal, ids["Afval"]).created_at = utcnow() - dt.timedelta(weeks=20)  # too old
    data = client.get("/api/v1/insights").json()
    assert len(data["weeks"]) == 12
    assert data["by_channel"] == [{"name": "social", "counts": [0] * 8 + [1, 0, 0, 0]}]
    assert data["by_department"] == [{"name": "Frontoffice", "counts": [0] * 8 + [1, 0, 0, 0]}]


@pytest.mark.needs_model
def test_the_flag_rate_is_flagged_over_scored(client: TestClient, database: Database) -> None:
    seed_signals(database)  # two complaints flagged, one question not
    rate = client.get("/api/v1/insights").json()["flag_rate"]
    assert sum(rate["classified"]) == 3 and sum(rate["flagged"]) == 2
    assert rate["rate"] == pytest.approx(2 / 3)
    assert "66.7 %" in client.get("/insights").text


@pytest.mark.needs_model
def test_time_to_first_contact_counts_office_hours_on_working_days_only(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    monday = a_working_monday(3)
    contact(database, ids["Afval"], created=at(monday, 10), contacted=at(monday, 14))  # 4 h
    tuesday = monday + dt.timedelta(days=1)
    contact(database, ids["Parking"], created=at(monday, 16), contacted=at(tuesday, 11))  # 1 h + 2 h
    first = client.get("/api/v1/insights").json()["first_contact"]
    assert (first["contacted"], first["waiting"]) == (2, 0)
    assert first["median_hours"] == pytest.approx(3.5) and first["p90_hours"] == pytest.approx(3.9)


def test_a_weekend_in_between_does_not_count() -> None:
    friday = dt.date(2026, 11, 20)
    assert service.working_hours(at(friday, 16), at(friday + dt.timedelta(days=3), 10)) == pytest.approx(2)


@pytest.mark.needs_model
def test_largest_groups_and_persistent_contacts_are_listed(client: TestClient, database: Database) -> None:
    ids = seed(
        database,
        *(make_incoming(COMPLAINT, subject=f"Klacht {n}", sender_address="jan@example.nl") for n in range(3)),
    )
    with database.transaction() as session:
        group = SignalGroup(label="Container niet geleegd")
        session.add(group)
        session.flush()
        for signal_id in ids.values():
            session.get_one(Signal, signal_id).group_id = group.id
    data = client.get("/api/v1/insights").json()
    assert [(g["label"], g["size"]) for g in data["groups"]] == [("Container niet geleegd", 3)]
    assert [(c["sender"], len(c["signal_ids"])) for c in data["persistent_contacts"]] == [
        ("jan@example.nl", 3)
    ]
    page = client.get("/insights").text
    assert "Container niet geleegd" in page and "jan@example.nl" in page


@pytest.mark.needs_model
def test_the_page_draws_labelled_charts_with_a_legend_and_the_numbers_in_tables(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    page = client.get("/insights").text
    main = page.split("<main>")[1]
    assert main.count("<svg") >= 3 and 'role="img"' in main and "<title" in main
    assert "Week (maandag)" in main and 'class="legend"' in main
    assert 'id="table-channel"' in main and 'id="table-department"' in main and 'id="table-flag-rate"' in main
    assert 'style="' not in main  # the CSP forbids inline styles


@pytest.mark.parametrize("role", ["handler", "ops"])
def test_other_roles_are_refused(database: Database, role: str) -> None:
    assert status_codes(database, role, "/insights", "/api/v1/insights") == [403, 403]


def test_the_anonymous_user_is_sent_to_log_in(database: Database) -> None:
    assert status_codes(database, None, "/insights", "/api/v1/insights") == [303, 401]
