"""Helpers for tests of the staff UI and API: users of every role, logging in, seeded signals."""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager

from fastapi.testclient import TestClient
from sqlalchemy import select

from services.api import users
from services.api.app import create_app
from services.classifier.stage import ClassifyStage
from services.ingest.sink import Sink
from services.router.departments import sync_departments
from services.router.stage import RouteStage
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import Message, Signal
from shared.normalise import Incoming
from shared.pipeline import Worker
from shared.settings import Settings, get_settings
from tests.conftest import make_incoming

PASSWORD = "correct horse battery"

# Markup that must stay inert wherever a message is shown.
HOSTILE_TEXT = (
    "Al weken geen reactie, dit is belachelijk! <script>window.__pwned = 1; alert(1)</script>"
    ' <img src=x onerror="window.__pwned = 2"> <a href="javascript:window.__pwned = 3">klik</a>'
)
HOSTILE_HTML = (
    "<p>Al weken geen reactie, dit is belachelijk!</p><script>window.parent.__pwned = 1; alert(1)</script>"
    '<img src=x onerror="window.parent.__pwned = 2"><a href="javascript:window.parent.__pwned = 3">klik</a>'
    '<div style="position:fixed;top:0;left:0;width:100%;height:100%;background:red" '
    'onmouseover="window.parent.__pwned = 4">overlay</div>'
    "<style>body { background: url(https://tracker.example/pixel) }</style>"
    '<svg><script>window.parent.__pwned = 5</script></svg><iframe src="javascript:alert(1)"></iframe>'
    '<form action="https://evil.example"><input name=p></form>'
)


def create_users(database: Database) -> None:
    """One user per role, named after the role, all with PASSWORD."""
    with database.transaction() as session:
        for role in users.Role:
            users.create(db_session=session, username=role.value, password=PASSWORD, role=role)


@contextmanager
def staff_client(database: Database, config: OrganisationConfig | None = None) -> Iterator[TestClient]:
    """A test client of the real app on `database` (and `config`), with one user per role."""
    create_users(database)
    app = create_app(Settings(secret_key="test-secret-" + "x" * 32), database, config=config)
    with TestClient(app, base_url="http://127.0.0.1") as client:
        yield client


def csrf_from(html: str) -> str:
    match = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert match, "page has no CSRF token"
    return match.group(1)


def login_attempt(client: TestClient, username: str, password: str = PASSWORD) -> int:
    """Post the login form as a browser would; returns the answer's status (303 when logged in)."""
    token = csrf_from(client.get("/login").text)
    response = client.post(
        "/login",
        data={"username": username, "password": password, "csrf_token": token},
        follow_redirects=False,
    )
    return response.status_code


def log_in(client: TestClient, username: str, password: str = PASSWORD) -> None:
    assert login_attempt(client, username, password) == 303


def seed(database: Database, *incoming: Incoming) -> dict[str, int]:
    """Store, classify and route messages through the real pipeline; signal ids by message subject."""
    Sink(database, "test").store(list(incoming))
    sync_departments(database, OrganisationConfig())
    Worker(ClassifyStage(get_settings()), database).drain()
    Worker(RouteStage(get_settings()), database).drain()
    with database.session() as session:
        rows = session.execute(
            select(Message.subject, Signal.id).join(Signal, Signal.message_id == Message.id)
        )
        return {subject: signal_id for subject, signal_id in rows}


def seed_signals(database: Database) -> dict[str, int]:
    """Two complaints (email, social) and one question that is not flagged."""
    return seed(
        database,
        make_incoming("Al weken geen reactie, dit is belachelijk.", channel="email", subject="Afval"),
        make_incoming("Third time I'm asking: still no answer.", channel="social", subject="Parking"),
        make_incoming("Wat zijn de openingstijden?", channel="webform", subject="Vraag"),
    )


def status_codes(database: Database, role: str | None, *paths: str) -> list[int]:
    """The status of a GET of each path as a user of `role` (None: anonymous), redirects not followed."""
    with staff_client(database) as client:
        if role is not None:
            log_in(client, role)
        return [client.get(path, follow_redirects=False).status_code for path in paths]
