"""A secret key of this installation's own, for development set-ups that did not configure one.

The built-in default key is public, so a demo started with it would accept forged
session cookies from anyone who reads the source. Instead, the first start makes a
random key and keeps it in a file only the owner can read; later starts (and every
process of the same installation) read it back, so logins survive a restart.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from shared.exceptions import ConfigError
from shared.settings import DEFAULT_SECRET, Settings

INSTALL_KEY_FILE = Path("var/secret-key")
KEY_BYTES = 48


def with_install_key(settings: Settings, *, path: Path = INSTALL_KEY_FILE) -> Settings:
    """The settings with this installation's own key in place of the built-in default."""
    if settings.secret_key != DEFAULT_SECRET:
        return settings
    return settings.model_copy(update={"secret_key": read_or_create(path)})


def read_or_create(path: Path) -> str:
    """The key stored at `path`, made (readable by the owner only) if there is none yet."""
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        # O_EXCL: two processes starting at once must not each write a different key.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return _read(path)
    with os.fdopen(fd, "w") as file:
        file.write(secrets.token_urlsafe(KEY_BYTES) + "\n")
    return _read(path)


def _read(path: Path) -> str:
    key = path.read_text().strip()
    if len(key) < 32:
        # A file cut short (disk full on first start) would weaken every session; say so.
        raise ConfigError(f"{path} holds no usable secret key; delete it and start again")
    return key
