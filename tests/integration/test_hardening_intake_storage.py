"""A database that refuses writes is named as such to the sender and to ops (issue 18, finding 13)."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient
from httpx import Response

from services.api.app import create_app
from shared import migrate
from shared.config import OrganisationConfig
from shared.db import Database
from shared.settings import Settings

CONFIG = {"connectors": [{"name": "webform", "kind": "webform", "min_fill_seconds": 0}]}
VALID = {"name": "Jan de Vries", "email": "j.devries@example.nl", "message": "De container is niet geleegd."}


def submit(database: Database) -> Response:
    """One valid JSON-form submission to an app on `database`."""
    app = create_app(
        Settings(secret_key="test-secret-" + "x" * 32),
        database,
        config=OrganisationConfig.model_validate(CONFIG),
    )
    try:
        with TestClient(app, base_url="http://127.0.0.1") as client:
            return client.post("/api/v1/intake/webform", json=VALID)
    finally:
        database.dispose()


def test_a_submission_to_a_read_only_database_says_so_and_asks_for_a_retry(tmp_path: Path) -> None:
    path = tmp_path / "signaal.db"
    writable = Database(f"sqlite:///{path}")
    migrate.upgrade(writable.engine)
    writable.dispose()
    # Opened read-only, as on a full or read-only mount: every write is refused, for root too.
    answer = submit(Database(f"sqlite:///file:{path}?mode=ro&uri=true"))
    assert answer.status_code == 503
    assert "read-only or the disk is full" in answer.json()["detail"]
    assert "did not answer" not in answer.json()["detail"]
    assert answer.headers["Retry-After"]


def test_a_submission_to_an_unreachable_database_still_says_it_did_not_answer(tmp_path: Path) -> None:
    # A folder where the database file should be: SQLite cannot open it at all.
    (tmp_path / "signaal.db").mkdir()
    answer = submit(Database(f"sqlite:///{tmp_path / 'signaal.db'}"))
    assert answer.status_code == 503
    assert "did not answer" in answer.json()["detail"]
