"""Webhook authentication: HMAC-SHA256 over the timestamp and the raw body, with replay protection.

The sender signs `f"{timestamp}.".encode() + body` with the source's shared
secret and sends `X-Signaal-Timestamp: <unix seconds>` and
`X-Signaal-Signature: sha256=<hex>`. We accept a timestamp within five minutes
of our clock, so a captured delivery cannot be replayed later.

Within those five minutes a replay is the same body, hence the same event
`id`, and the messages table's unique (source, dedupe key) stores it once.
Because the signature covers the whole body, a changed `id` under an old
signature fails verification. ReplayGuard adds a cheap second lock that does
not depend on that reasoning or on the row still existing (e.g. purged): a
signature seen in the window is accepted again only with the identical body.
It lives in process memory; across replicas the unique index is the guarantee.
"""

from __future__ import annotations

import hashlib
import hmac
import threading
from collections import OrderedDict

from services.api.intake.exceptions import SignatureRejected

TIMESTAMP_HEADER = "X-Signaal-Timestamp"
SIGNATURE_HEADER = "X-Signaal-Signature"
TOLERANCE_SECONDS = 300
_PREFIX = "sha256="


def sign(secret: bytes, timestamp: int | str, body: bytes) -> str:
    """The header value a sender puts in X-Signaal-Signature."""
    digest = hmac.new(secret, f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return _PREFIX + digest


def verify(secret: bytes, *, timestamp: str | None, signature: str | None, body: bytes, now: float) -> None:
    """Raise SignatureRejected (its reason says what to fix) unless the delivery is authentic and fresh."""
    if not timestamp or not signature:
        raise SignatureRejected(
            f"Missing {TIMESTAMP_HEADER} or {SIGNATURE_HEADER} header. Send the current unix time in "
            f"{TIMESTAMP_HEADER} and, in {SIGNATURE_HEADER}, sha256=<hex HMAC-SHA256 with the source's "
            'secret over f"{timestamp}." + body>.'
        )
    if not timestamp.isascii() or not timestamp.isdigit() or len(timestamp) > 12:
        raise SignatureRejected(f"{TIMESTAMP_HEADER} must be the current time in whole unix seconds.")
    skew = now - int(timestamp)
    if abs(skew) > TOLERANCE_SECONDS:
        raise SignatureRejected(
            f"{TIMESTAMP_HEADER} is {abs(int(skew))} seconds {'old' if skew > 0 else 'in the future'}; "
            f"it must be within {TOLERANCE_SECONDS} seconds of now. Sign each delivery (and each retry) "
            "afresh and check the sender's clock."
        )
    expected = sign(secret, timestamp, body)
    if not signature.isascii() or not hmac.compare_digest(
        expected.encode(), signature.strip().lower().encode()
    ):
        raise SignatureRejected(
            f"{SIGNATURE_HEADER} does not match. Compute HMAC-SHA256 with this source's secret over "
            f'the timestamp, a dot and the raw body (f"{{timestamp}}." + body) and send "sha256=<hex>".'
        )


class ReplayGuard:
    """Signatures seen within the replay window, each tied to the body it signed."""

    def __init__(self, *, window: float = TOLERANCE_SECONDS, max_entries: int = 100_000) -> None:
        self.window = window
        self.max_entries = max_entries
        self._seen: OrderedDict[tuple[str, str], tuple[str, float]] = OrderedDict()
        self._lock = threading.Lock()

    def check(self, source: str, signature: str, body: bytes, *, now: float) -> None:
        """Remember a verified signature; refuse it if it was seen before with another body."""
        digest = hashlib.sha256(body).hexdigest()
        key = (source, signature.strip().lower())
        with self._lock:
            while self._seen:
                oldest_key, (_digest, seen_at) = next(iter(self._seen.items()))
                if now - seen_at <= 2 * self.window and len(self._seen) < self.max_entries:
                    break
                del self._seen[oldest_key]
            previous = self._seen.get(key)
            if previous is not None and not hmac.compare_digest(previous[0], digest):
                raise SignatureRejected("This signature was already used for a different delivery.")
            if previous is None:
                self._seen[key] = (digest, now)
