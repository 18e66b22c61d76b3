"""A front-office user works through the queue in Chromium: filter, open, read why, confirm, dismiss."""

from __future__ import annotations

import re

from playwright.sync_api import Page, expect
from sqlalchemy import select

from shared.models import Classification, FeedbackLabel, Signal
from tests.browser.conftest import LiveApp, log_in, screenshot


def status_of(live_app: LiveApp, subject: str) -> str:
    with live_app.database.session() as session:
        return session.get(Signal, live_app.ids[subject]).status


def phrases_of(live_app: LiveApp, subject: str) -> list[str]:
    """The classifier's phrases in the text, in reading order (these messages' phrases do not overlap)."""
    with live_app.database.session() as session:
        message_id = session.get(Signal, live_app.ids[subject]).message_id
        phrases = session.scalars(
            select(Classification.phrases).where(Classification.message_id == message_id)
        ).one()
    found = sorted((p["start"], p["text"]) for p in phrases if p.get("field", "text") == "text")
    assert found, "the classifier named no phrases for this message"
    return [text for _, text in found]


def test_the_queue_filters_by_channel_and_opens_a_signal_with_its_phrases_highlighted(
    page: Page, live_app: LiveApp
) -> None:
    log_in(page, "frontoffice")
    expect(page.locator("table.queue tbody tr")).to_have_count(len(live_app.ids))
    screenshot(page, "queue")

    page.select_option("select[name=channel]", "social")
    page.click("#filters button[type=submit]")
    page.wait_for_url(re.compile(r"channel=social"))
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Parkeervergunning")
    screenshot(page, "queue-filtered")

    page.click("a.open >> text=Parkeervergunning")
    page.wait_for_url(re.compile(r"/signals/\d+"))
    expect(page.locator("#message-text mark")).to_have_text(phrases_of(live_app, "Parkeervergunning"))
    expect(page.locator("section.why")).to_contain_text("signaal-complaints")
    expect(page.locator("section.routing")).to_contain_text("Frontoffice")
    screenshot(page, "signal")


def test_confirm_with_the_button_and_dismiss_with_the_d_key(page: Page, live_app: LiveApp) -> None:
    log_in(page, "frontoffice")
    page.goto(f"/signals/{live_app.ids['Afvalcontainer']}")
    page.click("#confirm")
    expect(page.locator(".notice")).to_have_text("Bevestigd als klacht.")
    assert status_of(live_app, "Afvalcontainer") == "confirmed"

    page.goto("/queue?sort=oldest")
    subjects = page.locator("table.queue tbody tr a.open").all_inner_texts()
    for _ in range(subjects.index("Paspoort")):
        page.keyboard.press("j")
    expect(page.locator("tr.current")).to_contain_text("Paspoort")
    page.keyboard.press("d")
    page.wait_for_load_state()
    # Back on the queue, on the same row, now dismissed.
    expect(page.locator("tr.current")).to_contain_text("Paspoort")
    expect(page.locator("tr.current td.status")).to_have_text("afgewezen")
    assert status_of(live_app, "Paspoort") == "dismissed"
    with live_app.database.session() as session:
        labels = dict(session.execute(select(FeedbackLabel.message_id, FeedbackLabel.label)).all())
        messages = {
            s: session.get(Signal, live_app.ids[s]).message_id for s in ("Afvalcontainer", "Paspoort")
        }
    assert labels[messages["Afvalcontainer"]] is True and labels[messages["Paspoort"]] is False


def test_j_moves_down_and_o_opens_the_selected_signal(page: Page, live_app: LiveApp) -> None:
    log_in(page, "frontoffice")
    page.goto("/queue?sort=oldest")
    first, second = page.locator("table.queue tbody tr").nth(0), page.locator("table.queue tbody tr").nth(1)
    expect(first).to_have_class(re.compile(r"\bcurrent\b"))
    page.keyboard.press("j")
    expect(second).to_have_class(re.compile(r"\bcurrent\b"))
    expected = second.get_attribute("data-id")
    page.keyboard.press("o")
    page.wait_for_url(re.compile(rf"/signals/{expected}\b"))
    expect(page.locator("#keys")).to_have_count(0)  # the help line belongs to the queue


def test_the_keyboard_help_line_is_shown_in_the_chosen_language(page: Page, live_app: LiveApp) -> None:
    log_in(page, "frontoffice")
    expect(page.locator("#keys")).to_contain_text("j/k volgende/vorige")
    page.click("button.link")  # "English"
    expect(page.locator("#keys")).to_contain_text("j/k next/previous")
    screenshot(page, "queue-english")


def test_a_hostile_message_runs_no_script_in_the_text_view_or_the_mail_iframe(
    page: Page, live_app: LiveApp, dialogs: list[str]
) -> None:
    log_in(page, "frontoffice")
    signal_id = next(v for k, v in live_app.ids.items() if k.startswith("Hostile"))
    page.goto(f"/signals/{signal_id}")
    expect(page.locator("#message-text")).to_contain_text("<script>window.__pwned = 1; alert(1)</script>")
    frame_element = page.locator("#mail-html")
    expect(frame_element).to_have_attribute("sandbox", "")
    frame = page.frame_locator("#mail-html")
    expect(frame.locator("body")).to_contain_text("belachelijk")
    # Give every trap its trigger: hover the overlay, click the javascript: links.
    frame.locator("text=overlay").hover()
    frame.locator("a >> text=klik").click()
    page.locator("#message-text").hover()
    screenshot(page, "signal-hostile", full_page=False)

    assert page.evaluate("window.__pwned") is None
    assert dialogs == []
    mail_frame = next(f for f in page.frames if f.url.endswith(f"/signals/{signal_id}/html"))
    assert mail_frame.locator("script, style, img, iframe, form, [onerror], [style]").count() == 0
