"""The Python interpreter Signaal runs on in production: one whose email package is patched.

Signaal flattens every header value itself (`shared.mailer.header_value`), but the
stdlib's email package also writes headers for us (folding, encoded words), and
CPython 3.11 before 3.11.10 let a CR LF through there (CVE-2024-6923). Production
refuses those interpreters rather than relying on our own flattening alone.
"""

from __future__ import annotations

import platform
import sys
from collections.abc import Sequence

from shared.exceptions import ConfigError
from shared.settings import Environment

# (major, minor) → the first patch release with the email header-injection fix.
PATCHED = {(3, 11): (3, 11, 10)}
CVE = "CVE-2024-6923"


def refusal(version: Sequence[int], implementation: str = "CPython") -> str | None:
    """Why this interpreter must not run Signaal in production, or None when it may."""
    if implementation != "CPython":
        return None
    first_patched = PATCHED.get((version[0], version[1]))
    if first_patched is None or tuple(version[:3]) >= first_patched:
        return None
    running = ".".join(str(part) for part in version[:3])
    wanted = ".".join(str(part) for part in first_patched)
    return (
        f"Cannot start in production on Python {running}: its email package lets header injection "
        f"through ({CVE}). Install Python {wanted} or newer (e.g. a current python:3.11-slim image)."
    )


def require_patched(
    env: Environment, version: Sequence[int] | None = None, implementation: str | None = None
) -> None:
    """Raise ConfigError in production on an interpreter with a known email header-injection bug."""
    if env is not Environment.production:
        return  # development machines may lag a patch release; production may not
    reason = refusal(
        tuple(sys.version_info[:3]) if version is None else version,
        platform.python_implementation() if implementation is None else implementation,
    )
    if reason is not None:
        raise ConfigError(reason)
