"""The queue page and `GET /api/v1/signals`: filters, search, sort, pages, counts, bulk verdicts."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from shared.db import Database
from shared.models import FeedbackLabel, Signal
from tests.conftest import make_incoming
from tests.staff import csrf_from, log_in, seed, seed_signals, staff_client


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        log_in(test_client, "frontoffice")
        yield test_client


def listing(client: TestClient, **params: object) -> dict:
    response = client.get("/api/v1/signals", params=params)
    assert response.status_code == 200, response.text
    return response.json()


@pytest.mark.needs_model
def test_the_queue_shows_each_signals_status_band_channel_language_department_and_due_date(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    page = client.get("/queue").text
    assert "Afval" in page and "Parking" in page and "Vraag" not in page
    for shown in ("nieuw", "hoog", "e-mail", "sociale media", "Frontoffice", ">nl<", ">en<"):
        assert shown in page
    item = listing(client, channel="email")["items"][0]
    assert item["status"] == "new" and item["language"] == "nl" and item["due_at"] is not None


@pytest.mark.needs_model
def test_filters_narrow_the_listing_by_channel_band_language_and_department(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    assert [i["subject"] for i in listing(client, channel="social")["items"]] == ["Parking"]
    assert [i["subject"] for i in listing(client, language="nl")["items"]] == ["Afval"]
    assert listing(client, band="possible")["total"] == 0
    department_id = client.get("/queue").text.split('name="department_id"')[1].split('option value="')[2]
    assert listing(client, department_id=department_id.split('"')[0])["total"] == 2


@pytest.mark.needs_model
def test_search_finds_words_in_text_and_subject_and_the_sender_and_reference(
    client: TestClient, database: Database
) -> None:
    seed(
        database,
        make_incoming(
            "De container is weer niet geleegd.", subject="Container", sender_address="jan@example.nl"
        ),
    )
    seed_signals(database)
    reference = listing(client, q="container")["items"][0]["reference"]
    assert listing(client, q="CONTAINER geleegd")["total"] == 1
    assert listing(client, q="jan@example.nl")["total"] == 1
    assert listing(client, q=reference)["items"][0]["subject"] == "Container"
    assert listing(client, q="container parking")["total"] == 0  # every word must match
    assert listing(client, q="100%_")["total"] == 0  # LIKE wildcards are taken literally


@pytest.mark.needs_model
def test_counts_per_status_ignore_the_status_filter_but_follow_the_others(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    client.post(
        f"/api/v1/signals/{ids['Afval']}/dismiss",
        headers={"X-CSRF-Token": csrf_from(client.get("/queue").text)},
    )
    body = listing(client, status="new")
    assert body["counts"] == {"new": 1, "confirmed": 0, "dismissed": 1}
    assert body["total"] == 1
    assert listing(client, channel="email")["counts"] == {"new": 0, "confirmed": 0, "dismissed": 1}


@pytest.mark.needs_model
def test_sorting_by_score_puts_the_highest_first_and_pages_split_the_list(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    scores = [i["score"] for i in listing(client, sort="score")["items"]]
    assert scores == sorted(scores, reverse=True)
    first, second = listing(client, per_page=1, page=1), listing(client, per_page=1, page=2)
    assert first["total"] == 2 and first["items"][0]["id"] != second["items"][0]["id"]
    page = client.get("/queue", params={"per_page": 1}).text
    assert "pagina 1 van 2" in page and 'rel="next"' in page


@pytest.mark.needs_model
def test_sorting_by_due_date_works_on_both_databases(client: TestClient, database: Database) -> None:
    seed_signals(database)
    due = [i["due_at"] for i in listing(client, sort="due")["items"]]
    assert due == sorted(due)


@pytest.mark.needs_model
def test_bulk_confirm_sets_the_status_of_every_selected_signal_and_feeds_the_classifier(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    token = csrf_from(client.get("/queue").text)
    response = client.post(
        "/queue/bulk",
        data={"csrf_token": token, "verdict": "confirm", "ids": list(ids.values()), "next": "/queue"},
        follow_redirects=False,
    )
    assert response.status_code == 303 and response.headers["location"] == "/queue?updated=2"
    with database.session() as session:
        assert set(session.scalars(select(Signal.status))) == {"confirmed"}
        labels = session.execute(select(FeedbackLabel.label, FeedbackLabel.source)).all()
    assert sorted(labels) == [(True, "bulk"), (True, "bulk")]


@pytest.mark.needs_model
def test_bulk_verdicts_through_the_api_skip_unknown_ids(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    token = csrf_from(client.get("/queue").text)
    response = client.post(
        "/api/v1/signals/bulk",
        json={"verdict": "dismiss", "ids": [ids["Afval"], 999_999]},
        headers={"X-CSRF-Token": token},
    )
    assert response.json() == {"updated": [ids["Afval"]]}
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(FeedbackLabel)) == 1


@pytest.mark.needs_model
def test_the_queue_is_dutch_by_default_and_english_after_the_switch(
    client: TestClient, database: Database
) -> None:
    seed_signals(database)
    assert "Wachtrij" in client.get("/queue").text
    token = csrf_from(client.get("/queue").text)
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/queue"})
    page = client.get("/queue").text
    assert '<html lang="en">' in page and "Queue" in page and "Keys: j/k" in page


def test_an_invalid_filter_value_is_refused_with_422(client: TestClient) -> None:
    assert client.get("/api/v1/signals", params={"status": "bogus"}).status_code == 422
    assert client.get("/api/v1/signals", params={"per_page": 5000}).status_code == 422


def test_a_bulk_form_with_an_impossible_id_is_refused_not_a_server_error(client: TestClient) -> None:
    token = csrf_from(client.get("/queue").text)
    response = client.post("/queue/bulk", data={"csrf_token": token, "verdict": "confirm", "ids": str(2**70)})
    assert response.status_code == 422
