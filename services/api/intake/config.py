"""The intake connectors' options (kinds `webform` and `webhook`) and resolving them at start-up.

Both kinds live in the YAML `connectors:` list beside polled connectors but are
served by the API. The public form is a core channel: without a `webform`
entry it still runs, with the defaults below, as the source "webform".
Webhook secrets come from the environment variable named by `secret_env`,
never from the YAML file, and are read once at start-up.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Literal

from pydantic import AnyHttpUrl, BaseModel, ConfigDict, Field

from services.ingest.connectors import CONFIG_SOURCE, options
from shared.config import OrganisationConfig
from shared.exceptions import ConfigError

MiB = 1024 * 1024
DEFAULT_WEBFORM_NAME = "webform"
# Shorter secrets are guessable offline from one captured signature.
MIN_SECRET_LENGTH = 16

FileType = Literal["pdf", "png", "jpeg", "docx", "txt"]
ALL_FILE_TYPES: list[FileType] = ["pdf", "png", "jpeg", "docx", "txt"]


class _Options(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str
    kind: str
    enabled: bool = True
    # Common to every entry (ConnectorEntry.acknowledge, left out of its dump); load() copies it here.
    acknowledge: bool = False


class WebformOptions(_Options):
    name: str = DEFAULT_WEBFORM_NAME
    kind: Literal["webform"] = "webform"
    # Faster than this from render to submit is a script, not a person typing.
    min_fill_seconds: float = Field(default=3.0, ge=0, le=3600)
    # Submissions per client IP per minute, also the burst size; 0 switches the limit off.
    rate_limit_per_minute: int = Field(default=10, ge=0, le=100_000)
    max_attachments: int = Field(default=5, ge=0, le=50)
    max_attachment_bytes: int = Field(default=10 * MiB, ge=1, le=200 * MiB)
    max_total_bytes: int = Field(default=20 * MiB, ge=1, le=500 * MiB)
    allowed_types: list[FileType] = Field(default_factory=lambda: list(ALL_FILE_TYPES))
    privacy_notice_url: AnyHttpUrl | None = None


class WebhookOptions(_Options):
    kind: Literal["webhook"] = "webhook"
    secret_env: str = Field(pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    channel: Literal["social", "webhook"] = "webhook"
    max_body_bytes: int = Field(default=1 * MiB, ge=1024, le=50 * MiB)


@dataclass(frozen=True)
class WebhookSource:
    """One configured webhook sender, its secret resolved from the environment."""

    name: str
    channel: str
    max_body_bytes: int
    enabled: bool
    acknowledge: bool = False
    secret: bytes = field(default=b"", repr=False)


@dataclass(frozen=True)
class IntakeConfig:
    webform: WebformOptions = field(default_factory=WebformOptions)
    webhooks: dict[str, WebhookSource] = field(default_factory=dict)


def load(config: OrganisationConfig, environ: Mapping[str, str] | None = None) -> IntakeConfig:
    """Validate the webform and webhook entries; errors name `connectors[i].field`."""
    environ = os.environ if environ is None else environ
    webform: WebformOptions | None = None
    webhooks: dict[str, WebhookSource] = {}
    for index, entry in enumerate(config.connectors):
        if entry.kind == "webform":
            if webform is not None:
                raise _error(index, "kind", "only one webform connector is supported; remove the extra entry")
            webform = options(entry, WebformOptions, index)
            if getattr(entry, "acknowledge", False):
                webform = webform.model_copy(update={"acknowledge": True})
        elif entry.kind == "webhook":
            hook = options(entry, WebhookOptions, index)
            webhooks[hook.name] = WebhookSource(
                name=hook.name,
                channel=hook.channel,
                max_body_bytes=hook.max_body_bytes,
                enabled=hook.enabled,
                acknowledge=bool(getattr(entry, "acknowledge", False)),
                secret=_secret(hook, index, environ) if hook.enabled else b"",
            )
    return IntakeConfig(webform=webform or WebformOptions(), webhooks=webhooks)


def _secret(hook: WebhookOptions, index: int, environ: Mapping[str, str]) -> bytes:
    value = environ.get(hook.secret_env, "")
    if not value:
        raise _error(
            index,
            "secret_env",
            f"environment variable {hook.secret_env} is not set; it must hold the shared secret "
            f"of webhook {hook.name!r} (at least {MIN_SECRET_LENGTH} characters)",
        )
    if len(value) < MIN_SECRET_LENGTH:
        raise _error(
            index,
            "secret_env",
            f"the secret in {hook.secret_env} is shorter than {MIN_SECRET_LENGTH} characters; "
            "use a long random value, e.g. `python -c 'import secrets; print(secrets.token_hex(32))'`",
        )
    return value.encode()


def _error(index: int, field_name: str, message: str) -> ConfigError:
    return ConfigError.invalid([(f"connectors[{index}].{field_name}", message)], source=CONFIG_SOURCE)
