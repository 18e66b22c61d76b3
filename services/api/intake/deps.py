"""The intake endpoints' per-app state (resolved options, rate limiter, replay guard) and dependencies."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request, status

from services.api import clientaddress
from services.api.intake import config as intake_config
from services.api.intake.config import IntakeConfig, WebformOptions, WebhookSource
from services.api.intake.ratelimit import TokenBucketLimiter
from services.api.intake.signatures import ReplayGuard
from shared.config import OrganisationConfig
from shared.settings import Environment, Settings

# Room for the form's text fields and multipart framing on top of the attachments.
FORM_OVERHEAD_BYTES = 256 * 1024
# An unknown source's body is never read; this only bounds what arrives before the 404.
UNKNOWN_SOURCE_LIMIT = 64 * 1024
FORM_PATH = "/form"
WEBFORM_API_PATH = "/api/v1/intake/webform"
WEBHOOK_PATH_PREFIX = "/api/v1/intake/webhook/"


@dataclass
class Intake:
    config: IntakeConfig
    secret_key: str
    secure_cookies: bool
    limiter: TokenBucketLimiter
    organisation: OrganisationConfig = field(default_factory=OrganisationConfig)
    replays: ReplayGuard = field(default_factory=ReplayGuard)
    # Wall-clock time (form render times, webhook timestamps); tests may replace it.
    clock: Callable[[], float] = time.time

    @classmethod
    def build(cls, organisation: OrganisationConfig, settings: Settings) -> Intake:
        """Validate the intake connectors (ConfigError names the field) and set up their state."""
        resolved = intake_config.load(organisation)
        return cls(
            config=resolved,
            secret_key=settings.secret_key,
            secure_cookies=settings.env is Environment.production,
            limiter=TokenBucketLimiter(resolved.webform.rate_limit_per_minute),
            organisation=organisation,
        )

    @property
    def webform(self) -> WebformOptions:
        return self.config.webform

    def body_limit(self, request: Request) -> int:
        """The most body bytes the route serving `request` accepts."""
        return self.body_limit_at(request.url.path) or UNKNOWN_SOURCE_LIMIT

    def body_limit_at(self, path: str) -> int | None:
        """The most body bytes the intake endpoint at `path` accepts; None when `path` is not one."""
        if path == FORM_PATH:
            return self.webform.max_total_bytes + FORM_OVERHEAD_BYTES
        if path == WEBFORM_API_PATH:
            # base64 turns every 3 bytes into 4 characters.
            return math.ceil(self.webform.max_total_bytes * 4 / 3) + FORM_OVERHEAD_BYTES
        name = path.removeprefix(WEBHOOK_PATH_PREFIX)
        if name != path and name and "/" not in name:
            source = self.config.webhooks.get(name)
            return source.max_body_bytes if source else UNKNOWN_SOURCE_LIMIT
        return None

    def webhook_source(self, name: str) -> WebhookSource:
        """The configured, enabled webhook source, or 404."""
        source = self.config.webhooks.get(name)
        if source is None:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND,
                f"Unknown webhook source {name!r}: no connector with kind 'webhook' has this name.",
            )
        if not source.enabled:
            raise HTTPException(
                status.HTTP_404_NOT_FOUND, f"Webhook source {name!r} is switched off (enabled: false)."
            )
        return source


def get_intake(request: Request) -> Intake:
    return request.app.state.intake


IntakeDep = Annotated[Intake, Depends(get_intake)]


def client_address(request: Request) -> str:
    """The client, the same for every limit (forwarded headers count only from SIGNAAL_TRUSTED_PROXIES)."""
    return clientaddress.client_address(request)
