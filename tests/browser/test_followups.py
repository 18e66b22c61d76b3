"""A handler records a contact on their signal in Chromium and sees it in the timeline; /followups."""

from __future__ import annotations

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared.models import FollowUp, Handler, Signal, User
from tests.browser.conftest import LiveApp, log_in, screenshot


def give_to_the_handler(live_app: LiveApp, subject: str) -> None:
    """Link a handler record to the user 'handler' (once) and assign them the signal."""
    with live_app.database.transaction() as session:
        user = session.scalars(select(User).where(User.username == "handler")).one()
        handler = session.scalars(select(Handler).where(Handler.user_id == user.id)).first()
        if handler is None:
            handler = Handler(name="Henk Handler", email="henk@gemeente.nl", user_id=user.id)
            session.add(handler)
            session.flush()
        session.get_one(Signal, live_app.ids[subject]).handler_id = handler.id


def test_a_handler_records_a_phone_call_and_sees_it_in_the_timeline(page: Page, live_app: LiveApp) -> None:
    give_to_the_handler(live_app, "Stoeptegel")
    log_in(page, "handler", then="/followups")
    expect(page.locator("table.followup-list")).to_contain_text("Stoeptegel")
    screenshot(page, "followups")

    page.click("a.open >> text=Stoeptegel")
    form = page.locator("#followups form.contact-form").first
    form.locator("select[name=kind]").select_option("phone")
    form.locator("textarea[name=note]").fill("Teruggebeld; de tegel wordt morgen gelegd.")
    form.locator("button.record-contact").click()

    expect(page.locator("#followups .notice")).to_have_text("Contact vastgelegd.")
    event = page.locator("#followups li.event-phone")
    expect(event).to_contain_text("Telefoongesprek")
    expect(event).to_contain_text("Teruggebeld; de tegel wordt morgen gelegd.")
    expect(event).to_contain_text("handler")
    with live_app.database.session() as session:
        status = session.scalars(
            select(FollowUp.status).where(FollowUp.signal_id == live_app.ids["Stoeptegel"])
        ).one()
    assert status == "contacted"
    screenshot(page, "signal-followups")
