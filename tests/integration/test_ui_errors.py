"""Invalid input on a staff page answers with a page in the user's language; the API stays JSON."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from shared.db import Database
from tests.staff import csrf_from, log_in, staff_client


@pytest.fixture
def client(sqlite_database: Database) -> Iterator[TestClient]:
    with staff_client(sqlite_database) as test_client:
        log_in(test_client, "admin")
        yield test_client


def test_an_invalid_query_value_on_a_page_gives_a_readable_page_naming_the_field(client: TestClient) -> None:
    response = client.get("/ops", params={"state": "bogus"})
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("text/html")
    assert "Deze waarde klopt niet: state." in response.text


def test_the_page_error_follows_the_chosen_language(client: TestClient) -> None:
    token = csrf_from(client.get("/queue").text)
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/queue"})
    response = client.get("/queue", params={"per_page": 5000})
    assert response.status_code == 422 and "This value is not valid: per_page." in response.text


def test_the_same_mistake_on_the_api_stays_json(client: TestClient) -> None:
    response = client.get("/api/v1/ops/items", params={"state": "bogus"})
    assert response.status_code == 422
    assert response.json()["detail"][0]["loc"] == ["query", "state"]


def test_the_role_check_still_comes_before_validation(sqlite_database: Database) -> None:
    with staff_client(sqlite_database) as anonymous:
        response = anonymous.get("/ops", params={"state": "bogus"}, follow_redirects=False)
    assert response.status_code == 303 and response.headers["location"].startswith("/login")
