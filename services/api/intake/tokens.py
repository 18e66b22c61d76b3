"""The public form's anti-forgery token: signed, bound to the browser, carrying its render time.

The form has no login, so there is no session to hold a CSRF secret. Instead
the page carries a token signed with SIGNAAL_SECRET_KEY (itsdangerous) that
holds a server-made form id, the render time (for the minimum fill time) and
a hash of a random per-browser cookie. A post must bring both the token and
the matching cookie: another site can copy a token but cannot set our cookie,
and SameSite=Lax keeps the cookie off cross-site posts.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass

from itsdangerous import BadSignature, URLSafeSerializer

from services.api.intake.exceptions import FormTokenError

COOKIE = "signaal_form"
FIELD = "form_token"
# Citizens may take their time writing; after this the form asks them to send again.
MAX_AGE_SECONDS = 24 * 3600
# Replicas' clocks may differ a little; a token from further in the future is forged.
CLOCK_SKEW_SECONDS = 60
_SALT = "signaal.webform.token.v1"


@dataclass(frozen=True)
class FormToken:
    form_id: str
    rendered_at: float


def new_browser_id() -> str:
    return secrets.token_urlsafe(24)


def _binding(browser_id: str) -> str:
    return hashlib.sha256(browser_id.encode()).hexdigest()[:32]


def issue(secret: str, browser_id: str, *, now: float) -> str:
    """A token for a freshly rendered form."""
    payload = {"f": secrets.token_urlsafe(12), "b": _binding(browser_id), "t": now}
    return URLSafeSerializer(secret, salt=_SALT).dumps(payload)


def verify(secret: str, token: str, browser_id: str, *, now: float) -> FormToken:
    """The token's form id and render time; FormTokenError when it cannot be trusted."""
    if not token or not browser_id:
        raise FormTokenError("missing")
    try:
        payload = URLSafeSerializer(secret, salt=_SALT).loads(token)
        form_id, binding, rendered_at = str(payload["f"]), str(payload["b"]), float(payload["t"])
    except (BadSignature, KeyError, TypeError, ValueError):
        raise FormTokenError("invalid") from None
    if not secrets.compare_digest(binding, _binding(browser_id)):
        raise FormTokenError("invalid")
    if rendered_at > now + CLOCK_SKEW_SECONDS:
        raise FormTokenError("invalid")
    if now - rendered_at > MAX_AGE_SECONDS:
        raise FormTokenError("expired")
    return FormToken(form_id, rendered_at)
