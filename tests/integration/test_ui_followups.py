"""Follow-ups in the staff UI: the signal page's timeline and forms, and the "my follow-ups" page."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from shared import workdays
from shared.db import Database
from shared.models import AuditEntry, FollowUp, FollowUpEvent, Handler, Signal, User, utcnow
from tests.staff import csrf_from, log_in, seed_signals, staff_client, status_codes


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    with staff_client(database) as test_client:
        log_in(test_client, "frontoffice")
        yield test_client


def follow_up_of(database: Database, signal_id: int) -> FollowUp:
    with database.session() as session:
        return session.scalars(select(FollowUp).where(FollowUp.signal_id == signal_id)).one()


def assign_to_the_handler_user(database: Database, signal_id: int) -> None:
    """Link a handler record to the user 'handler' and give them the signal."""
    with database.transaction() as session:
        user = session.scalars(select(User).where(User.username == "handler")).one()
        handler = Handler(name="Henk Handler", email="henk@gemeente.nl", user_id=user.id)
        session.add(handler)
        session.flush()
        session.get_one(Signal, signal_id).handler_id = handler.id


def post(client: TestClient, path: str, signal_id: int, **data: str):  # type: ignore[no-untyped-def]
    token = csrf_from(client.get(f"/signals/{signal_id}").text)
    return client.post(path, data={"csrf_token": token, **data}, follow_redirects=False)


@pytest.mark.needs_model
def test_the_signal_page_shows_the_informal_follow_up_with_its_due_date(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    page = client.get(f"/signals/{ids['Afval']}").text
    assert f'data-followup="{follow_up.id}"' in page and "Informele aanpak" in page
    # Shown as staff read it: 17:00 Amsterdam time, the end of the office day.
    assert follow_up.due_at.astimezone(workdays.AMSTERDAM).strftime("%Y-%m-%d 17:00") in page
    assert "Nog geen contact vastgelegd." in page


@pytest.mark.needs_model
def test_after_a_follow_up_action_the_pages_back_link_still_leads_to_the_filtered_queue(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    page = client.get(f"/signals/{ids['Afval']}", params={"back": "/queue?channel=email"}).text
    assert 'name="back" value="/queue?channel=email"' in page
    response = post(
        client, f"/followups/{follow_up.id}/contact", ids["Afval"], kind="note", back="/queue?channel=email"
    )
    location = response.headers["location"]
    assert location == f"/signals/{ids['Afval']}?fu=note&back=%2Fqueue%3Fchannel%3Demail#followups"
    assert '<a href="/queue?channel=email" id="back">' in client.get(location).text


@pytest.mark.needs_model
def test_recording_a_phone_call_moves_the_follow_up_to_contacted_and_shows_it_in_the_timeline(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    response = post(
        client, f"/followups/{follow_up.id}/contact", ids["Afval"], kind="phone", note="Teruggebeld, excuses."
    )
    assert response.status_code == 303
    assert response.headers["location"] == f"/signals/{ids['Afval']}?fu=contact#followups"
    assert follow_up_of(database, ids["Afval"]).status == "contacted"
    page = client.get(response.headers["location"]).text
    assert "Contact vastgelegd." in page and "Telefoongesprek" in page and "Teruggebeld, excuses." in page
    with database.session() as session:
        event = session.scalars(select(FollowUpEvent)).one()
    assert (event.kind, event.actor, event.to_status) == ("phone", "frontoffice", "contacted")


@pytest.mark.needs_model
def test_a_note_is_recorded_without_changing_the_status(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    post(client, f"/followups/{follow_up.id}/contact", ids["Afval"], kind="note", note="Niet bereikbaar.")
    assert follow_up_of(database, ids["Afval"]).status == "open"


@pytest.mark.needs_model
def test_resolving_before_any_contact_is_refused_with_a_readable_message(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    response = post(client, f"/followups/{follow_up.id}/transition", ids["Afval"], to="resolved")
    assert response.status_code == 303 and "fu_error=contact_first" in response.headers["location"]
    page = client.get(response.headers["location"]).text
    assert "leg eerst het contact met de burger vast" in page
    assert follow_up_of(database, ids["Afval"]).status == "open"


@pytest.mark.needs_model
def test_resolving_after_contact_closes_the_follow_up_and_audits_it(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    post(client, f"/followups/{follow_up.id}/contact", ids["Afval"], kind="visit", note="Langsgegaan.")
    post(client, f"/followups/{follow_up.id}/transition", ids["Afval"], to="resolved", note="Geleegd.")
    assert follow_up_of(database, ids["Afval"]).status == "resolved"
    with database.session() as session:
        actions = session.scalars(
            select(AuditEntry.action).where(AuditEntry.action == "followup.transition")
        ).all()
    assert len(actions) == 2


@pytest.mark.needs_model
def test_moving_to_the_formal_procedure_adds_a_formal_follow_up_that_can_be_extended_once(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    informal = follow_up_of(database, ids["Parking"])
    post(client, f"/followups/{informal.id}/transition", ids["Parking"], to="formal")
    with database.session() as session:
        formal = session.scalars(
            select(FollowUp).where(FollowUp.signal_id == ids["Parking"], FollowUp.kind == "formal")
        ).one()
    page = client.get(f"/signals/{ids['Parking']}").text
    assert "Formele klachtprocedure" in page and f'action="/followups/{formal.id}/extend"' in page
    first = post(client, f"/followups/{formal.id}/extend", ids["Parking"], note="Advies nodig.")
    assert first.headers["location"].endswith("fu=extended#followups")
    second = post(client, f"/followups/{formal.id}/extend", ids["Parking"], note="Nog eens.")
    assert "fu_error=extended_once" in second.headers["location"]
    with database.session() as session:
        extended = session.get_one(FollowUp, formal.id)
    assert extended.extended and extended.due_at > formal.due_at


@pytest.mark.needs_model
def test_marking_not_a_complaint_closes_the_follow_up(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    post(client, f"/followups/{follow_up.id}/transition", ids["Afval"], to="not_a_complaint")
    assert follow_up_of(database, ids["Afval"]).status == "not_a_complaint"
    assert "Vastgelegd: geen klacht." not in client.get(f"/signals/{ids['Afval']}").text  # only right after


@pytest.mark.needs_model
def test_a_form_post_without_the_csrf_token_is_refused(client: TestClient, database: Database) -> None:
    ids = seed_signals(database)
    follow_up = follow_up_of(database, ids["Afval"])
    response = client.post(
        f"/followups/{follow_up.id}/contact", data={"kind": "phone"}, follow_redirects=False
    )
    assert response.status_code == 403
    assert follow_up_of(database, ids["Afval"]).status == "open"


@pytest.mark.needs_model
def test_a_handler_acts_only_on_their_own_signals(database: Database) -> None:
    ids = seed_signals(database)
    with staff_client(database) as handler:
        assign_to_the_handler_user(database, ids["Afval"])
        log_in(handler, "handler")
        other = follow_up_of(database, ids["Parking"])
        refused = post(handler, f"/followups/{other.id}/contact", ids["Parking"], kind="phone")
        assert refused.status_code == 403
        assert "aan iemand anders toegewezen" in handler.get(f"/signals/{ids['Parking']}").text
        own = follow_up_of(database, ids["Afval"])
        assert post(handler, f"/followups/{own.id}/contact", ids["Afval"], kind="phone").status_code == 303
    assert follow_up_of(database, ids["Afval"]).status == "contacted"


@pytest.mark.needs_model
def test_my_follow_ups_lists_a_handlers_own_open_follow_ups_soonest_first_overdue_highlighted(
    database: Database,
) -> None:
    ids = seed_signals(database)
    with staff_client(database) as handler:
        assign_to_the_handler_user(database, ids["Afval"])
        with database.transaction() as session:
            follow_up = session.scalars(select(FollowUp).where(FollowUp.signal_id == ids["Afval"])).one()
            follow_up.due_at = utcnow() - dt.timedelta(days=1)
        log_in(handler, "handler")
        page = handler.get("/followups").text
    assert f'href="/signals/{ids["Afval"]}' in page and f'href="/signals/{ids["Parking"]}' not in page
    assert 'class="due overdue"' in page and "te laat" in page and "1 open, waarvan 1 te laat." in page


@pytest.mark.needs_model
def test_the_front_office_sees_all_follow_ups_sorted_by_due_date_and_filters_by_handler(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    assign_to_the_handler_user(database, ids["Parking"])
    with database.transaction() as session:
        parking = session.scalars(select(FollowUp).where(FollowUp.signal_id == ids["Parking"])).one()
        parking.due_at = utcnow() - dt.timedelta(hours=1)
        handler_id = session.get_one(Signal, ids["Parking"]).handler_id
    page = client.get("/followups").text
    assert page.index(f"/signals/{ids['Parking']}") < page.index(f"/signals/{ids['Afval']}")
    filtered = client.get("/followups", params={"handler_id": handler_id}).text
    assert f"/signals/{ids['Parking']}" in filtered and f"/signals/{ids['Afval']}" not in filtered


@pytest.mark.needs_model
def test_the_api_lists_the_same_due_follow_ups_for_integrations(
    client: TestClient, database: Database
) -> None:
    ids = seed_signals(database)
    due = client.get("/api/v1/followups/due").json()
    assert (due["total"], due["overdue"]) == (2, 0)
    assert {item["signal_id"] for item in due["items"]} == {ids["Afval"], ids["Parking"]}
    assert [item["due_at"] for item in due["items"]] == sorted(item["due_at"] for item in due["items"])


def test_a_handler_without_a_handler_record_is_told_what_to_do(database: Database) -> None:
    with staff_client(database) as handler:
        log_in(handler, "handler")
        assert "niet gekoppeld aan een behandelaar" in handler.get("/followups").text


def test_ops_is_refused(database: Database) -> None:
    assert status_codes(database, "ops", "/followups") == [403]


def test_the_anonymous_user_is_sent_to_log_in(database: Database) -> None:
    assert status_codes(database, None, "/followups") == [303]
