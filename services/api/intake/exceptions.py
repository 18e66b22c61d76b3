"""Errors of the intake endpoints; each docstring is the gist of its message."""

from __future__ import annotations


class IntakeError(Exception):
    """A submission could not be taken in."""


class FormTokenError(IntakeError):
    """The form's security token is missing, forged, expired or from another browser."""

    def __init__(self, kind: str) -> None:
        super().__init__(kind)
        self.kind = kind  # "missing", "invalid" or "expired"


class AttachmentRejected(IntakeError):
    """An attachment breaks a limit (count, size, total size or type)."""

    def __init__(self, code: str, *, index: int | None = None, **params: object) -> None:
        super().__init__(code)
        self.code = code
        self.index = index
        self.params = params


class StorageFailed(IntakeError):
    """The database did not take the submission; nothing was stored and the sender may retry."""

    def __init__(self, *, cause: str = "the database did not answer") -> None:
        super().__init__(cause)
        self.cause = cause  # what ops and the sender are told: unreachable, or read-only / disk full


class IdempotencyConflict(IntakeError):
    """An Idempotency-Key was used again with a different request body."""


class SignatureRejected(IntakeError):
    """A webhook delivery's signature or timestamp did not check out."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
