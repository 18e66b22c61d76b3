"""Errors a user or operator can act on; each docstring is the message's gist."""

from __future__ import annotations

from collections.abc import Iterable


class SignaalError(Exception):
    """Something went wrong in Signaal."""


class ConfigError(SignaalError):
    """The configuration is invalid; the message names the field and where it came from."""

    @classmethod
    def invalid(cls, problems: Iterable[tuple[str, str]], *, source: str | None = None) -> ConfigError:
        """The one shape of the message: `Invalid configuration in <source>:`, then `field: problem` lines."""
        heading = f"Invalid configuration in {source}:" if source else "Invalid configuration:"
        return cls("\n".join([heading, *(f"  {field}: {problem}" for field, problem in problems)]))


class DatabaseUnavailable(SignaalError):
    """The database could not be reached within the configured wait."""


class DatabaseNotMigrated(SignaalError):
    """The database schema is not at the newest migration; run `signaal db upgrade`."""
