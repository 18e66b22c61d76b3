"""The signal page and its API: the message, why it was flagged, routing, verdicts and their traces."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from markupsafe import escape
from sqlalchemy import select, update

from services.router import explain
from shared.db import Database
from shared.models import Assignment, AuditEntry, Classification, FeedbackLabel, Signal
from shared.normalise import IncomingAttachment
from tests.conftest import make_incoming
from tests.staff import HOSTILE_HTML, HOSTILE_TEXT, csrf_from, log_in, seed, seed_signals, staff_client


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        log_in(test_client, "frontoffice")
        yield test_client


@pytest.mark.needs_model
def test_the_driving_phrases_are_highlighted_in_the_text(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    page = client.get(f"/signals/{ids['Parking']}").text
    with database.session() as session:
        message_id = session.get_one(Signal, ids["Parking"]).message_id
        phrases = session.scalars(
            select(Classification.phrases).where(Classification.message_id == message_id)
        ).one()
    # Which words drive the score is the model's business; each phrase it names is highlighted.
    words = [p["text"] for p in phrases if p["kind"] == "phrase"]
    assert any("Third time" in w for w in words) and any("still no answer" in w for w in words)
    for word in words:
        assert f"<mark>{escape(word)}</mark>" in page


@pytest.mark.needs_model
def test_the_page_shows_score_threshold_model_version_and_the_routing_explanation(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    page = client.get(f"/signals/{ids['Afval']}").text
    detail = client.get(f"/api/v1/signals/{ids['Afval']}").json()
    classification, assignment = detail["classification"], detail["assignment"]
    assert f"{classification['score']:.2f}" in page and f"{classification['threshold']:.2f}" in page
    assert classification["model_version"] in page
    assert assignment["rule"] in page and assignment["reason"][:40] in page
    assert detail["department"] == "Frontoffice" and "Frontoffice" in page


@pytest.mark.needs_model
def test_the_routing_explanation_is_dutch_by_default_and_english_after_the_switch(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    assignment = client.get(f"/api/v1/signals/{ids['Afval']}").json()["assignment"]
    dutch, english = (explain.render(assignment["explanation"], language) for language in ("nl", "en"))
    assert assignment["explanation"] and assignment["reason"] == dutch != english
    assert str(escape(dutch)) in client.get(f"/signals/{ids['Afval']}").text

    token = csrf_from(client.get(f"/signals/{ids['Afval']}").text)
    client.post("/language", data={"csrf_token": token, "language": "en", "next": "/queue"})
    page = client.get(f"/signals/{ids['Afval']}").text
    assert str(escape(english)) in page and str(escape(dutch)) not in page


@pytest.mark.needs_model
def test_an_assignment_from_before_explanations_shows_its_stored_reason(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    stored = "Handler: Anna Smit, the least loaded available (1 of 10 open follow-ups)."
    with database.transaction() as session:
        session.execute(update(Assignment).values(reason=stored, explanation=[]))

    assert stored in client.get(f"/signals/{ids['Afval']}").text
    assignment = client.get(f"/api/v1/signals/{ids['Afval']}").json()["assignment"]
    assert (assignment["reason"], assignment["explanation"]) == (stored, [])


@pytest.mark.needs_model
def test_attachments_are_listed_by_name_type_and_size(client: TestClient, database: Database) -> None:
    attachment = IncomingAttachment(filename="foto.jpg", content_type="image/jpeg", size=2048, content=b"x")
    ids = seed(
        database,
        make_incoming("Al weken geen reactie, dit is belachelijk.", subject="Foto", attachments=[attachment]),
    )
    assert "foto.jpg" in client.get(f"/signals/{ids['Foto']}").text
    assert client.get(f"/api/v1/signals/{ids['Foto']}").json()["attachments"] == [
        {"filename": "foto.jpg", "content_type": "image/jpeg", "size": 2048}
    ]


@pytest.mark.needs_model
def test_confirming_sets_the_status_and_writes_a_feedback_label_and_an_audit_entry(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    token = csrf_from(client.get(f"/signals/{ids['Afval']}").text)
    response = client.post(
        f"/signals/{ids['Afval']}/confirm", data={"csrf_token": token}, follow_redirects=False
    )
    assert response.headers["location"] == f"/signals/{ids['Afval']}?done=confirm"
    with database.session() as session:
        signal = session.get(Signal, ids["Afval"])
        label = session.scalars(select(FeedbackLabel)).one()
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "signal.confirm")).one()
    assert signal.status == "confirmed"
    assert (label.message_id, label.label, label.source) == (signal.message_id, True, "review")
    assert (audit.actor, audit.object_id, audit.detail["from"]) == ("frontoffice", signal.id, "new")
    assert "signal.confirm" in client.get(f"/signals/{ids['Afval']}").text  # the audit trail shows it


@pytest.mark.needs_model
def test_dismissing_through_the_api_labels_the_message_as_not_a_complaint(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    token = csrf_from(client.get("/queue").text)
    response = client.post(f"/api/v1/signals/{ids['Parking']}/dismiss", headers={"X-CSRF-Token": token})
    assert response.json() == {"updated": [ids["Parking"]]}
    with database.session() as session:
        assert session.get(Signal, ids["Parking"]).status == "dismissed"
        assert session.scalars(select(FeedbackLabel.label)).one() is False


@pytest.mark.needs_model
def test_the_same_verdict_twice_writes_one_label(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    token = csrf_from(client.get("/queue").text)
    for _ in range(2):
        client.post(f"/api/v1/signals/{ids['Afval']}/confirm", headers={"X-CSRF-Token": token})
    with database.session() as session:
        assert len(session.scalars(select(FeedbackLabel)).all()) == 1


@pytest.mark.needs_model
def test_citizen_markup_in_the_text_is_shown_as_text(client: TestClient, database: Database) -> None:
    ids = seed(database, make_incoming(HOSTILE_TEXT, subject="<b onclick=x>Hostile</b>"))
    signal_id = next(iter(ids.values()))
    for page in (client.get(f"/signals/{signal_id}").text, client.get("/queue").text):
        assert "<script>window" not in page and "onerror=" not in page.replace("onerror=&#34;", "")
        assert "&lt;script&gt;" in page and "<b onclick" not in page


@pytest.mark.needs_model
def test_mail_html_is_sanitised_and_served_under_a_policy_that_allows_nothing(
    client: TestClient, database: Database
) -> None:
    ids = seed(database, make_incoming(HOSTILE_TEXT, subject="Html", channel="email", html=HOSTILE_HTML))
    page = client.get(f"/signals/{ids['Html']}").text
    assert f'<iframe class="mail-html" id="mail-html" sandbox src="/signals/{ids["Html"]}/html"' in page
    response = client.get(f"/signals/{ids['Html']}/html")
    body = response.text.lower()
    assert "belachelijk" in body
    for gone in (
        "<script",
        "onerror",
        "onmouseover",
        "javascript:",
        "style=",
        "<style",
        "<iframe",
        "<form",
        "<img",
    ):
        assert gone not in body
    policy = response.headers["content-security-policy"]
    assert policy.startswith("default-src 'none'") and "sandbox" in policy and "script-src" not in policy


def test_an_unknown_signal_answers_404_as_a_page_and_as_json(client: TestClient) -> None:
    page = client.get("/signals/424242")
    assert page.status_code == 404 and "bestaat niet" in page.text
    assert client.get("/api/v1/signals/424242").status_code == 404
