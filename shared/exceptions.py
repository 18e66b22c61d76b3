"""Errors a user or operator can act on; each docstring is the message's gist."""

from __future__ import annotations


class SignaalError(Exception):
    """Something went wrong in Signaal."""


class ConfigError(SignaalError):
    """The configuration is invalid; the message names the field and where it came from."""


class DatabaseUnavailable(SignaalError):
    """The database could not be reached within the configured wait."""


class DatabaseNotMigrated(SignaalError):
    """The database schema is not at the newest migration; run `signaal db upgrade`."""
