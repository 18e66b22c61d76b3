"""An IMAP mailbox's options (kind: imap) and the token-provider hook for XOAUTH2.

Secrets never live in the YAML: a password comes from an environment variable
or a file, a bearer token from a provider function or a command.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

TokenProvider = Callable[[str], str]


class ImapOptions(BaseModel):
    """One mailbox's entry under `connectors:` (kind: imap)."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["imap"]
    enabled: bool = True
    host: str = Field(min_length=1)
    port: int | None = Field(default=None, ge=1, le=65535)  # default: 993 for tls, else 143
    security: Literal["tls", "starttls", "plain"] = "tls"
    allow_plain: bool = False  # "plain" sends the password unencrypted: only on a trusted network
    ca_file: Path | None = None  # a private CA for the server's certificate
    username: str = Field(min_length=1)
    # Exactly one way to authenticate. Passwords never live in the YAML itself.
    password: str | None = None
    password_env: str | None = None
    password_file: Path | None = None
    token_provider: str | None = Field(default=None, pattern=r"^[A-Za-z_][\w.]*:[A-Za-z_]\w*$")
    token_command: str | None = None
    folders: list[str] = Field(default=["INBOX"], min_length=1)
    after_store: Literal["nothing", "seen", "move"] = "nothing"
    move_to: str | None = None
    timeout: float = Field(default=60.0, gt=0, le=600)
    idle: bool = True
    poll_interval: float = Field(default=60.0, gt=0, le=86400)
    max_message_bytes: int = Field(default=25 * 1024 * 1024, ge=1024)
    attachment_cap: int = Field(default=5 * 1024 * 1024, ge=0)
    batch_size: int = Field(default=100, ge=1, le=1000)

    @field_validator("password")
    @classmethod
    def _no_password_in_config(cls, value: str | None) -> None:
        if value is not None:
            raise ValueError(
                "do not put the password in the configuration file; name an environment variable "
                "with password_env or a file with password_file"
            )
        return None

    @model_validator(mode="after")
    def _consistent(self) -> ImapOptions:
        if self.security == "plain" and not self.allow_plain:
            raise ValueError(
                "security: plain sends the password unencrypted; use tls or starttls, "
                "or set allow_plain: true for a trusted network"
            )
        sources = [self.password_env, self.password_file, self.token_provider, self.token_command]
        if sum(s is not None for s in sources) != 1:
            raise ValueError(
                "set exactly one of password_env, password_file, token_provider or token_command"
            )
        if self.after_store == "move":
            if not self.move_to:
                raise ValueError("after_store: move needs move_to (the folder to move stored mail to)")
            if self.move_to in self.folders:
                raise ValueError("move_to must not be one of the watched folders")
        if self.port is None:
            self.port = 993 if self.security == "tls" else 143
        return self


def load_token_provider(path: str) -> TokenProvider:
    """Import `package.module:function`; it is called with the username and returns a bearer token."""
    module_name, _, attribute = path.partition(":")
    provider = getattr(importlib.import_module(module_name), attribute)
    if not callable(provider):
        raise TypeError(f"{path} is not callable")
    return provider  # type: ignore[no-any-return]
