"""Redirect targets from user input stay on the site, as a browser reads them (issue 18, finding 8)."""

from __future__ import annotations

import pytest

from services.api.redirects import safe_path

FALLBACK = "/queue"


@pytest.mark.parametrize(
    "target",
    [
        "/\t/evil.example/",
        "/\n/evil.example",
        "/\r\n/evil.example",
        "//evil.example",
        "/\\evil.example",
        "\\/evil.example",
        "\\\\evil.example",
        " //evil.example",
        "\x00//evil.example",
        "/\t\\evil.example",
        "https://evil.example",
        "HTTPS://evil.example/queue",
        "https:/evil.example",
        "javascript:alert(1)",
        " javascript:alert(1)",
        "java\tscript:alert(1)",
        "evil.example",
        "queue",
        "",
    ],
)
def test_a_target_that_leaves_the_site_becomes_the_fallback(target: str) -> None:
    assert safe_path(target, FALLBACK) == FALLBACK


@pytest.mark.parametrize(
    "target",
    [
        "/queue",
        "/queue?status=new&band=high",
        "/queue?q=a%2F%2Fb&page=2",
        "/signals/12?back=%2Fqueue%3Fchannel%3Demail#followups",
        "/queue?q=back\\slash",
        "/%09/evil.example",  # a literal path on this site: %09 is not decoded before navigating
    ],
)
def test_a_path_on_the_site_is_kept(target: str) -> None:
    assert safe_path(target, FALLBACK) == target


def test_tabs_and_newlines_are_removed_as_the_browser_removes_them() -> None:
    assert safe_path("/que\tue?status=\nnew", FALLBACK) == "/queue?status=new"
