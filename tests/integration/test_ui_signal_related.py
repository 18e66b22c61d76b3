"""The signal page links what a team lead should see together: persistent contact and the same problem."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from services.router import patterns
from shared.db import Database
from tests.conftest import make_incoming
from tests.staff import log_in, seed, staff_client

pytestmark = pytest.mark.needs_model

POLICY = patterns.Policy(contact_messages=3, contact_days=30, group_threshold=0.30, group_days=30)


def detail(client: TestClient, signal_id: int) -> dict:
    response = client.get(f"/api/v1/signals/{signal_id}")
    assert response.status_code == 200, response.text
    return response.json()["related"]


def test_a_persistent_contacts_signals_link_to_each_other_and_the_page_says_so(database: Database) -> None:
    texts = ["Al weken geen reactie op mijn vraag.", "Nog steeds niets gehoord, belachelijk.", "Derde keer!"]
    ids = seed(
        database,
        *[
            make_incoming(text, subject=f"Poging {n}", sender_address="Jan@Example.nl")
            for n, text in enumerate(texts, 1)
        ],
    )
    with staff_client(database) as client:
        log_in(client, "frontoffice")
        related = detail(client, ids["Poging 3"])
        page = client.get(f"/signals/{ids['Poging 3']}").text

    assert related["persistent_contact"] is True
    assert [o["subject"] for o in related["same_sender"]] == ["Poging 1", "Poging 2"]
    assert "Aanhoudend contact" in page and f'href="/signals/{ids["Poging 1"]}"' in page


def test_signals_about_the_same_problem_link_to_each_other(database: Database) -> None:
    ids = seed(
        database,
        make_incoming(
            "De lantaarnpaal in de Dorpsstraat is al weken kapot, het is er stikdonker. Belachelijk.",
            subject="Lantaarn A",
        ),
        make_incoming(
            "Lantaarnpaal Dorpsstraat al weken kapot en stikdonker, waarom doet niemand iets?",
            subject="Lantaarn B",
        ),
        make_incoming("Mijn paspoortaanvraag duurt veel te lang, niemand belt terug.", subject="Paspoort"),
    )
    while patterns.group_pending(database, policy=POLICY):
        pass
    with staff_client(database) as client:
        log_in(client, "handler")
        lantern = detail(client, ids["Lantaarn B"])
        passport = detail(client, ids["Paspoort"])
        page = client.get(f"/signals/{ids['Lantaarn B']}").text

    assert [o["subject"] for o in lantern["same_problem"]] == ["Lantaarn A"]
    assert passport["same_problem"] == [] and passport["group_label"] is None
    assert "Zelfde probleem, andere burgers (1)" in page


def test_a_signal_without_links_shows_no_related_panel(database: Database) -> None:
    ids = seed(database, make_incoming("Al weken geen reactie, dit is belachelijk.", subject="Alleen"))
    with staff_client(database) as client:
        log_in(client, "frontoffice")
        assert 'id="related"' not in client.get(f"/signals/{ids['Alleen']}").text
