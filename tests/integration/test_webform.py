"""The public web form and its JSON API on a real database: storage, validation, abuse limits."""

from __future__ import annotations

import asyncio
import base64
import json
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from html.parser import HTMLParser
from typing import Any

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY, generate_latest
from sqlalchemy import select, text

from services.api.app import create_app
from services.api.intake import config as intake_config
from services.api.intake.limits import BodyTooLarge, counting_receive
from shared.config import OrganisationConfig
from shared.db import Database
from shared.exceptions import ConfigError
from shared.models import ConnectorHealth, Message, Notification
from shared.settings import Settings

SECRET_KEY = "test-secret-" + "x" * 32
PDF = b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


class Clock:
    """Wall-clock time the test moves forward, so fill-time checks need no sleeping."""

    def __init__(self) -> None:
        self.now = 1_900_000_000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class Form:
    """A browser filling in /form: fetches the page (token and cookie), waits, posts."""

    def __init__(self, client: TestClient, clock: Clock) -> None:
        self.client = client
        self.clock = clock

    def token(self, lang: str = "nl") -> str:
        page = self.client.get("/form", params={"lang": lang} if lang != "nl" else None)
        match = re.search(r'name="form_token" value="([^"]+)"', page.text)
        assert match, "the form page carries no token"
        return match.group(1)

    def post(
        self,
        fields: dict[str, str] | None = None,
        *,
        files: list[tuple[str, bytes]] | None = None,
        token: str | None = None,
        wait: float = 5,
        lang: str = "nl",
    ) -> Any:
        token = self.token(lang) if token is None else token
        self.clock.advance(wait)
        data = {"form_token": token, "website": "", **(fields or {})}
        multipart = [
            ("attachments", (name, content, "application/octet-stream")) for name, content in files or []
        ]
        url = "/form" if lang == "nl" else f"/form?lang={lang}"
        return self.client.post(url, data=data, files=multipart or None)


@pytest.fixture
def make_form(database: Database) -> Iterator[Callable[..., Form]]:
    """Build an app whose webform entry has the given options; returns a Form for it."""
    with ExitStack() as stack:

        def build(**options: Any) -> Form:
            connectors = [{"name": options.pop("name", "webform"), "kind": "webform", **options}]
            config = OrganisationConfig.model_validate(
                {"organisation": "Gemeente Test", "connectors": connectors}
            )
            app = create_app(Settings(secret_key=SECRET_KEY), database, config=config)
            clock = Clock()
            app.state.intake.clock = clock
            client = stack.enter_context(TestClient(app, base_url="http://127.0.0.1"))
            return Form(client, clock)

        yield build


@pytest.fixture
def form(make_form: Callable[..., Form]) -> Form:
    return make_form()


def messages(database: Database) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).order_by(Message.id)))


VALID = {
    "name": "Jan de Vries",
    "email": "j.devries@example.nl",
    "phone": "06 12345678",
    "subject": "Container",
    "message": "Voor de derde keer is onze container niet geleegd.",
}


# --- the page -----------------------------------------------------------------------


class _Inputs(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.html_lang: str | None = None
        self.controls: list[str] = []
        self.labelled: set[str] = set()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag in ("input", "textarea", "select") and a.get("type") not in ("hidden", "submit"):
            self.controls.append(a.get("id") or f"<{tag} name={a.get('name')} without id>")
        elif tag == "label" and a.get("for"):
            self.labelled.add(a["for"] or "")


@pytest.mark.parametrize("lang", ["nl", "en"])
def test_the_form_page_labels_every_input_and_declares_its_language(form: Form, lang: str) -> None:
    page = form.client.get("/form", params={"lang": lang})
    parsed = _Inputs()
    parsed.feed(page.text)
    assert page.status_code == 200
    assert parsed.html_lang == lang
    assert set(parsed.controls) >= {"name", "email", "phone", "subject", "message", "attachments"}
    assert [c for c in parsed.controls if c not in parsed.labelled] == []
    assert ("Uw bericht" if lang == "nl" else "Your message") in page.text
    assert 'href="/static/form.css"' in page.text and "<script" not in page.text and "style=" not in page.text


def test_the_form_page_works_under_the_content_security_policy_and_is_not_cached(form: Form) -> None:
    page = form.client.get("/form")
    assert "script-src 'self'" in page.headers["content-security-policy"]
    assert page.headers["cache-control"] == "no-store"
    assert form.client.get("/static/form.css").status_code == 200


# --- storing ------------------------------------------------------------------------


def test_a_valid_submission_is_stored_once_and_shows_its_reference(form: Form, database: Database) -> None:
    token = form.token()
    response = form.post(VALID, token=token)
    assert response.status_code == 200
    [message] = messages(database)
    assert message.reference in response.text
    assert (message.channel, message.source, message.state) == ("webform", "webform", "received")
    assert message.sender_name == "Jan de Vries" and message.sender_address == "j.devries@example.nl"
    assert message.meta["phone"] == "+31612345678"
    assert json.loads(message.raw)["message"] == VALID["message"]

    # The same rendered form sent again (double click, refresh) is the same message.
    again = form.post(VALID, token=token)
    assert message.reference in again.text
    assert len(messages(database)) == 1


def test_attachments_are_stored_with_their_recognised_type(form: Form, database: Database) -> None:
    response = form.post(VALID, files=[("brief.pdf", PDF), ("foto.PNG", PNG)])
    assert response.status_code == 200, response.text
    [message] = messages(database)
    assert [(a.filename, a.content_type, a.content) for a in message.attachments] == [
        ("brief.pdf", "application/pdf", PDF),
        ("foto.PNG", "image/png", PNG),
    ]
    raw = json.loads(message.raw)
    assert [a["filename"] for a in raw["attachments"]] == ["brief.pdf", "foto.PNG"]
    assert "content" not in raw["attachments"][0]


def test_a_stored_submission_is_recorded_in_connector_health(
    make_form: Callable[..., Form], database: Database
) -> None:
    make_form(name="contactformulier").post(VALID)
    with database.session() as session:
        row = session.scalars(select(ConnectorHealth)).one()
    assert (row.connector, row.kind, row.status, row.messages_total) == (
        "contactformulier",
        "webform",
        "ok",
        1,
    )
    assert messages(database)[0].source == "contactformulier"


def test_with_acknowledge_a_receipt_in_the_forms_language_is_queued_with_the_message(
    make_form: Callable[..., Form], database: Database
) -> None:
    form = make_form(acknowledge=True)
    form.post(VALID, lang="en")
    form.post({**VALID, "email": "", "message": "Alleen telefoon"})  # no address: no receipt
    with database.session() as session:
        [receipt] = session.scalars(select(Notification)).all()
    [first, _second] = messages(database)
    assert (receipt.recipient, receipt.message_id) == ("j.devries@example.nl", first.id)
    assert first.reference in receipt.body and "We have received your message" in receipt.subject


def test_a_database_failure_keeps_the_text_on_screen_and_marks_the_connector_degraded(
    form: Form, database: Database
) -> None:
    with database.engine.begin() as conn:
        conn.execute(text("ALTER TABLE messages RENAME TO messages_away"))
    try:
        response = form.post(VALID)
    finally:
        with database.engine.begin() as conn:
            conn.execute(text("ALTER TABLE messages_away RENAME TO messages"))
    assert response.status_code == 503 and response.headers["retry-after"]
    assert VALID["message"] in response.text and 'role="alert"' in response.text
    with database.session() as session:
        row = session.scalars(select(ConnectorHealth)).one()
    assert row.status == "degraded" and "could not store" in (row.last_error or "")


# --- validation -----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("email", "niet-een-adres", "Vul een geldig e-mailadres in"),
        ("phone", "12", "Vul een geldig telefoonnummer in"),
        ("message", "   ", "Vul uw bericht in"),
    ],
)
def test_invalid_input_is_shown_beside_its_field_and_keeps_what_was_typed(
    form: Form, database: Database, field: str, value: str, error: str
) -> None:
    response = form.post({**VALID, field: value})
    assert response.status_code == 422
    assert error in response.text
    assert f'id="{field}-error"' in response.text
    assert re.search(rf'id="{field}"[^>]*aria-describedby="[^"]*{field}-error"', response.text)
    assert 'class="error-summary" role="alert"' in response.text
    assert "Jan de Vries" in response.text  # nothing the citizen typed is lost
    assert messages(database) == []


def test_a_message_of_10000_characters_is_accepted_and_10001_refused(form: Form, database: Database) -> None:
    # Line breaks arrive as CRLF but count as one character, as the browser shows them.
    assert form.post({**VALID, "message": "a\r\n" * 3333 + "a"}).status_code == 200
    response = form.post({**VALID, "message": "a" * 10_001})
    assert response.status_code == 422
    assert "10.001 tekens" in response.text and "1 tekens korter" in response.text
    assert len(messages(database)) == 1


def test_errors_on_the_english_form_are_in_english(form: Form) -> None:
    response = form.post({**VALID, "email": "nope"}, lang="en")
    assert response.status_code == 422 and "Enter a valid email address" in response.text
    assert '<html lang="en">' in response.text


@pytest.mark.parametrize(
    ("files", "error"),
    [
        ([("virus.exe", b"MZ\x90\x00")], "virus.exe is een soort bestand dat we niet aannemen"),
        ([("brief.pdf", PNG)], "brief.pdf lijkt geen echt PDF-bestand"),
        ([("leeg.txt", b"")], "leeg.txt is leeg"),
        ([("groot.pdf", PDF + b"x" * 2048)], "groot.pdf is 2 kB; een bijlage mag maximaal 2 kB zijn"),
        ([(f"{n}.pdf", PDF) for n in range(4)], "maximaal 3 bijlagen"),
        ([("a.pdf", PDF + b"x" * 1500), ("b.pdf", PDF + b"x" * 1500)], "samen mogen ze maximaal 3 kB zijn"),
    ],
)
def test_attachments_outside_the_limits_are_refused_with_the_reason(
    make_form: Callable[..., Form], database: Database, files: list[tuple[str, bytes]], error: str
) -> None:
    form = make_form(max_attachments=3, max_attachment_bytes=2048, max_total_bytes=3072)
    response = form.post(VALID, files=files)
    assert response.status_code == 422
    assert error in response.text
    assert "voeg ze opnieuw toe" not in response.text  # the attachment's own error is shown instead
    assert messages(database) == []


def test_only_the_configured_attachment_types_are_accepted(
    make_form: Callable[..., Form], database: Database
) -> None:
    form = make_form(allowed_types=["pdf"])
    assert form.post(VALID, files=[("foto.png", PNG)]).status_code == 422
    assert 'accept=".pdf"' in form.client.get("/form").text
    assert messages(database) == []


# --- abuse ---------------------------------------------------------------------------


def test_a_filled_in_honeypot_looks_like_success_but_stores_nothing(form: Form, database: Database) -> None:
    before = REGISTRY.get_sample_value(
        "signaal_intake_refused_total", {"endpoint": "form", "reason": "discarded"}
    )
    response = form.post({**VALID, "website": "http://spam.example"})
    assert response.status_code == 200 and "uw bericht is ontvangen" in response.text
    assert "SG-" not in response.text
    assert messages(database) == []
    after = REGISTRY.get_sample_value(
        "signaal_intake_refused_total", {"endpoint": "form", "reason": "discarded"}
    )
    # Counted under a neutral name: the metrics must not tell a bot's author which check caught it.
    assert after == (before or 0) + 1
    assert "honeypot" not in generate_latest(REGISTRY).decode()


def test_a_submission_faster_than_the_minimum_fill_time_is_asked_again(
    form: Form, database: Database
) -> None:
    response = form.post(VALID, wait=1)
    assert response.status_code == 400
    assert "erg snel" in response.text and VALID["message"] in response.text
    assert messages(database) == []
    # The page it answered with carries a fresh token; sent after a pause, it goes through.
    token = re.search(r'name="form_token" value="([^"]+)"', response.text).group(1)  # type: ignore[union-attr]
    assert form.post(VALID, token=token, wait=4).status_code == 200


def test_a_post_without_the_form_token_is_refused(form: Form, database: Database) -> None:
    form.client.get("/form")
    response = form.client.post("/form", data={**VALID, "website": ""})
    assert response.status_code == 403
    assert "cookies" in response.text and VALID["message"] in response.text
    assert messages(database) == []


def test_a_token_from_another_browser_is_refused(form: Form, database: Database) -> None:
    token = form.token()
    form.client.cookies.clear()
    form.client.cookies.set("signaal_form", "someone-elses-browser", path="/form")
    assert form.post(VALID, token=token).status_code == 403
    assert messages(database) == []


def test_a_form_left_open_over_a_day_asks_to_send_again(form: Form, database: Database) -> None:
    response = form.post(VALID, wait=25 * 3600)
    assert response.status_code == 400 and "te lang open" in response.text
    assert messages(database) == []


def test_too_many_submissions_from_one_client_get_429_with_retry_after(
    make_form: Callable[..., Form], database: Database
) -> None:
    form = make_form(rate_limit_per_minute=2)
    statuses = [form.post({**VALID, "message": f"Bericht {n}"}, wait=5).status_code for n in range(3)]
    assert statuses == [200, 200, 429]
    response = form.post({**VALID, "message": "Nog een"}, wait=0)
    assert response.status_code == 429 and int(response.headers["retry-after"]) >= 1
    assert "Nog een" in response.text
    assert len(messages(database)) == 2


def test_a_body_over_the_limit_is_refused_before_reading_it(
    make_form: Callable[..., Form], database: Database
) -> None:
    form = make_form(max_total_bytes=1024)
    response = form.post(VALID, files=[("groot.pdf", PDF + b"x" * 400_000)])
    assert response.status_code == 413
    assert "te groot" in response.text
    assert messages(database) == []


def test_a_chunked_body_over_the_limit_is_cut_off_while_streaming(
    make_form: Callable[..., Form], database: Database
) -> None:
    form = make_form(max_total_bytes=1024)
    chunks = (b"x" * 65_536 for _ in range(8))  # no Content-Length: counted as it arrives
    response = form.client.post(
        "/api/v1/intake/webform", content=chunks, headers={"content-type": "application/json"}
    )
    assert response.status_code == 413 and "larger than" in response.json()["detail"]
    assert messages(database) == []


def test_counting_receive_stops_at_the_limit_across_chunks() -> None:
    chunks = [{"type": "http.request", "body": b"x" * 600, "more_body": True} for _ in range(3)]

    async def receive() -> dict[str, Any]:
        return chunks.pop(0)

    limited = counting_receive(receive, 1000)  # type: ignore[arg-type]
    assert asyncio.run(limited())["body"] == b"x" * 600
    with pytest.raises(BodyTooLarge):
        asyncio.run(limited())


def test_a_switched_off_form_says_so(make_form: Callable[..., Form]) -> None:
    form = make_form(enabled=False)
    assert form.client.get("/form").status_code == 404
    assert form.client.post("/api/v1/intake/webform", json={"message": "x"}).status_code == 404


# --- the JSON API -----------------------------------------------------------------------


def test_the_api_stores_a_submission_and_answers_its_reference(form: Form, database: Database) -> None:
    body = {
        **VALID,
        "attachments": [{"filename": "brief.pdf", "content_base64": base64.b64encode(PDF).decode()}],
    }
    response = form.client.post("/api/v1/intake/webform", json=body)
    assert response.status_code == 201, response.text
    [message] = messages(database)
    assert response.json() == {"reference": message.reference, "duplicate": False}
    assert message.meta["via"] == "api" and message.attachments[0].content == PDF


def test_a_retry_with_the_same_idempotency_key_returns_the_same_reference(
    form: Form, database: Database
) -> None:
    headers = {"Idempotency-Key": "7d1f0c2e-retry"}
    first = form.client.post("/api/v1/intake/webform", json=VALID, headers=headers)
    second = form.client.post("/api/v1/intake/webform", json=VALID, headers=headers)
    assert (first.status_code, second.status_code) == (201, 200)
    assert second.json() == {"reference": first.json()["reference"], "duplicate": True}
    assert len(messages(database)) == 1


def test_the_same_idempotency_key_with_another_body_is_a_conflict(form: Form, database: Database) -> None:
    headers = {"Idempotency-Key": "key-1"}
    form.client.post("/api/v1/intake/webform", json=VALID, headers=headers)
    response = form.client.post(
        "/api/v1/intake/webform", json={**VALID, "message": "Iets anders"}, headers=headers
    )
    assert response.status_code == 409
    assert "already used for a different message" in response.json()["detail"]
    assert len(messages(database)) == 1


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"email": "not-an-address"}, "email"),
        ({"phone": "0612"}, "phone"),
        ({"message": ""}, "message"),
        ({"message": "x" * 10_001}, "message"),
        ({"attachments": [{"filename": "a.pdf", "content_base64": "***"}]}, "content_base64"),
        ({"attachments": [{"filename": "a.exe", "content_base64": "TVo="}]}, "attachments"),
        ({"colour": "blue"}, "colour"),
    ],
)
def test_invalid_api_input_gets_422_naming_the_field(
    form: Form, database: Database, change: dict[str, Any], field: str
) -> None:
    response = form.client.post("/api/v1/intake/webform", json={**VALID, **change})
    assert response.status_code == 422
    assert any(field in error["loc"] for error in response.json()["detail"]), response.json()
    assert messages(database) == []


def test_the_api_is_rate_limited_per_client(make_form: Callable[..., Form]) -> None:
    form = make_form(rate_limit_per_minute=1)
    assert form.client.post("/api/v1/intake/webform", json=VALID).status_code == 201
    response = form.client.post("/api/v1/intake/webform", json=VALID)
    assert response.status_code == 429 and int(response.headers["retry-after"]) == 60


# --- configuration --------------------------------------------------------------------


def test_webform_options_are_validated_naming_the_field() -> None:
    config = OrganisationConfig.model_validate(
        {"connectors": [{"name": "web", "kind": "webform", "allowed_types": ["exe"], "min_fill": 2}]}
    )
    with pytest.raises(ConfigError) as error:
        intake_config.load(config)
    assert "connectors[0].allowed_types[0]" in str(error.value) and "connectors[0].min_fill" in str(
        error.value
    )


def test_without_a_webform_entry_the_form_runs_on_defaults() -> None:
    resolved = intake_config.load(OrganisationConfig())
    assert resolved.webform.name == "webform" and resolved.webform.enabled
    assert resolved.webform.min_fill_seconds == 3


def test_a_text_field_over_a_megabyte_gets_the_too_large_page(form: Form, database: Database) -> None:
    response = form.post({**VALID, "message": "x" * 1_100_000}, files=[("brief.pdf", PDF)])
    assert response.status_code == 413 and "te groot" in response.text
    assert messages(database) == []
