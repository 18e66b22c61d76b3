"""The queue page says why each signal went where it is: the short routing reason, in the reader's words."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import event, select

from services.router import explain
from shared.db import Database
from shared.models import Assignment
from tests.conftest import make_incoming
from tests.staff import csrf_from, log_in, seed, staff_client

pytestmark = pytest.mark.needs_model


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        log_in(test_client, "frontoffice")
        yield test_client


def complaints(database: Database, count: int) -> dict[str, int]:
    return seed(
        database, *(make_incoming("Al weken geen reactie, dit is belachelijk.") for _ in range(count))
    )


def short_reason(database: Database, signal_id: int, language: str) -> str:
    with database.session() as session:
        parts = session.scalars(
            select(Assignment.explanation)
            .where(Assignment.signal_id == signal_id)
            .order_by(Assignment.id.desc())
        ).first()
    assert parts
    return explain.render(parts[:1], language)


def test_the_department_cell_carries_the_routing_reason_in_the_readers_language(
    client: TestClient, database: Database
) -> None:
    [signal_id] = complaints(database, 1).values()
    dutch, english = short_reason(database, signal_id, "nl"), short_reason(database, signal_id, "en")
    assert dutch != english

    assert f'title="{escape(dutch)}">Frontoffice</td>' in client.get("/queue").text

    token = csrf_from(client.get("/queue").text)
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/queue"})
    assert f'title="{escape(english)}">Frontoffice</td>' in client.get("/queue").text


def test_the_reasons_cost_no_query_per_row(client: TestClient, database: Database) -> None:
    statements: list[str] = []

    def count(*args: object) -> None:
        statements.append(str(args[2]))

    def queries_for_the_queue() -> int:
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert client.get("/queue").status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return len(statements)

    complaints(database, 2)
    with_two = queries_for_the_queue()
    complaints(database, 6)

    assert queries_for_the_queue() == with_two
