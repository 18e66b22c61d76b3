"""A real Signaal API process with seeded signals, and Debian's Chromium driven by Playwright."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, sync_playwright

from shared import migrate
from shared.db import Database
from tests import processes, servers
from tests.conftest import make_incoming
from tests.staff import HOSTILE_HTML, HOSTILE_TEXT, PASSWORD, create_users, seed

CHROMIUM = Path(os.environ.get("SIGNAAL_TEST_CHROMIUM", "/usr/bin/chromium"))
# Flags for a headless, offline, reproducible Chromium (`playwright install` cannot download here).
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTEFACTS = processes.ROOT / "var" / "test-artefacts"

# One signal per test that changes it, so the tests do not depend on their order.
MESSAGES = {
    "Afvalcontainer": (
        "Al weken geen reactie, dit is belachelijk. De container is nog steeds niet geleegd.",
        "email",
    ),
    "Parkeervergunning": ("Third time I'm asking: still no answer about my parking permit.", "social"),
    "Paspoort": (
        "Ik wacht al drie weken op mijn paspoort en niemand belt terug. Dit is echt schandalig.",
        "webform",
    ),
    "Lantaarnpaal": ("Voor de derde keer meld ik dat de lantaarnpaal kapot is en er gebeurt niets.", "email"),
    "Stoeptegel": (
        "Ik heb al drie keer gebeld over de losse stoeptegel en niemand doet iets. Echt schandalig.",
        "email",
    ),
}
CONFIG = "connectors:\n  - {name: mailbox-info, kind: fake}\n"


@dataclass
class LiveApp:
    base_url: str
    database: Database
    ids: dict[str, int] = field(default_factory=dict)


@pytest.fixture(scope="package")
def live_app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveApp]:
    """`signaal api` on a free loopback port, on a SQLite database seeded through the real pipeline."""
    folder = tmp_path_factory.mktemp("browser")
    url = f"sqlite:///{folder / 'signaal.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    create_users(database)
    incoming = [
        make_incoming(text, subject=subject, channel=channel) for subject, (text, channel) in MESSAGES.items()
    ]
    incoming.append(
        make_incoming(HOSTILE_TEXT, subject="Hostile <b>bericht</b>", channel="email", html=HOSTILE_HTML)
    )
    ids = seed(database, *incoming)
    port = servers.free_port()
    config = folder / "signaal.yaml"  # one connector, for the ops page's health table
    config.write_text(CONFIG, encoding="utf-8")
    log = folder / "api.log"
    secret_key = "browser-test-" + "x" * 32
    try:
        with processes.serving_api(url, port, log, secret_key=secret_key, config=str(config)) as base_url:
            yield LiveApp(base_url, database, ids)
    finally:
        database.dispose()


# Package scope, not session: Playwright's sync API keeps an asyncio loop marked as running on
# this thread until it stops, and every later test that calls asyncio.run() (the outbox sender,
# SMTP, Mastodon) would fail with "cannot be called from a running event loop".
@pytest.fixture(scope="package")
def browser() -> Iterator[Browser]:
    servers.require(CHROMIUM.exists(), f"Chromium is not installed at {CHROMIUM} (apt-get install chromium)")
    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def page(browser: Browser, live_app: LiveApp) -> Iterator[Page]:
    """A fresh browser context: no cookies, Dutch, a desktop-sized window."""
    context = browser.new_context(base_url=live_app.base_url, viewport={"width": 1400, "height": 1000})
    yield context.new_page()
    context.close()


@pytest.fixture
def dialogs(page: Page) -> list[str]:
    """Every alert/confirm/prompt the page opens (a script that ran), dismissed and recorded."""
    opened: list[str] = []
    page.on("dialog", lambda dialog: (opened.append(dialog.message), dialog.dismiss()))
    return opened


def screenshot(page: Page, name: str, *, full_page: bool = True) -> Path:
    """Save the page as a test artefact under var/test-artefacts/.

    Full-page captures leave sandboxed iframes (rendered in their own process) blank;
    pass full_page=False to see one.
    """
    ARTEFACTS.mkdir(parents=True, exist_ok=True)
    path = ARTEFACTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=full_page)
    return path


def log_in(page: Page, username: str, password: str = PASSWORD, *, then: str = "/queue") -> None:
    """Log in through the form and land on `then`."""
    page.goto(f"/login?next={then}")
    page.fill("#username", username)
    page.fill("#password", password)
    page.click("form[action='/login'] button[type=submit]")
    page.wait_for_url(f"**{then}")
