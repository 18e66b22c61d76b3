"""An admin makes an API token in Chromium and sees it once; the API reference renders without scripts."""

from __future__ import annotations

import httpx
from playwright.sync_api import Page, expect

from tests.browser.conftest import LiveApp, log_in, screenshot


def test_an_admin_sees_a_new_token_once_and_can_revoke_it(page: Page, live_app: LiveApp) -> None:
    log_in(page, "admin", then="/admin")
    page.fill("input[name=name]", "Zaaksysteem")
    page.select_option("select[name=username]", "frontoffice")
    page.click("form[action='/admin/tokens'] button[type=submit]")
    secret = page.locator("#token-value").inner_text().strip()
    assert secret.startswith("sgl_")
    screenshot(page, "admin-token-created")
    listing = httpx.get(f"{live_app.base_url}/api/v1/signals", headers={"Authorization": f"Bearer {secret}"})
    assert listing.status_code == 200

    page.goto("/admin")
    expect(page.locator("#token-value")).to_have_count(0)
    expect(page.locator("body")).not_to_contain_text(secret)
    row = page.locator("#tokens tr", has_text="Zaaksysteem")
    row.locator("button").click()
    expect(page.locator("#tokens tr", has_text="Zaaksysteem")).to_contain_text("ingetrokken")
    screenshot(page, "admin")
    refused = httpx.get(f"{live_app.base_url}/api/v1/signals", headers={"Authorization": f"Bearer {secret}"})
    assert refused.status_code == 401


def test_the_api_reference_renders_under_the_content_security_policy(page: Page, live_app: LiveApp) -> None:
    violations: list[str] = []
    page.on("console", lambda message: violations.append(message.text) if message.type == "error" else None)
    log_in(page, "ops", then="/api/docs")
    expect(page.locator("h1")).to_contain_text("Signaal API")
    expect(page.locator("section", has_text="/api/v1/signals").first).to_be_visible()
    screenshot(page, "api-docs")
    assert violations == []
