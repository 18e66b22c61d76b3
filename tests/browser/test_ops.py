"""Ops and insights in Chromium: an ops user sees connector health; screenshots of /ops and /insights."""

from __future__ import annotations

from playwright.sync_api import Page, expect

from services.ingest import health
from tests.browser.conftest import LiveApp, log_in, screenshot


def test_an_ops_user_logs_in_and_sees_connector_health(page: Page, live_app: LiveApp) -> None:
    health.record_success(live_app.database, name="mailbox-info", kind="fake", stored=0)
    health.record_failure(
        live_app.database, name="mailbox-info", kind="fake", reason="connection refused by imap.example.nl"
    )
    log_in(page, "ops", then="/ops")
    row = page.locator("tr.connector[data-connector='mailbox-info']")
    expect(row).to_contain_text("haperend")
    expect(row).to_contain_text("connection refused by imap.example.nl")
    expect(page.locator("#connectors svg.chart")).to_be_visible()
    expect(page.locator("#pipeline")).to_contain_text("toegewezen")
    expect(page.locator("#classifier")).to_contain_text("signaal-complaints")
    screenshot(page, "ops")


def test_the_insights_page_shows_its_charts(page: Page, live_app: LiveApp) -> None:
    log_in(page, "frontoffice", then="/insights")
    expect(page.locator("#by-channel svg.chart")).to_be_visible()
    expect(page.locator("#by-department .legend")).to_contain_text("Frontoffice")
    expect(page.locator("#figure-flag-rate b")).not_to_have_text("—")
    screenshot(page, "insights")
