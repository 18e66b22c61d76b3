"""Login throttling per username and per client address, stored in the database.

Every API process sees the same counters, so running more replicas gives an
attacker no more guesses. After a few failures each further one locks the key
for twice as long as the one before, up to a cap; a quiet spell forgets them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared.models import LoginThrottle, utcnow


@dataclass(frozen=True)
class Policy:
    free_failures: int  # failures allowed before the first lockout
    first_lockout: dt.timedelta
    max_lockout: dt.timedelta
    forget_after: dt.timedelta  # no failures for this long: start again


# Many colleagues may share one address (an office NAT), so addresses get more room than names.
USER_POLICY = Policy(5, dt.timedelta(seconds=30), dt.timedelta(minutes=15), dt.timedelta(hours=1))
ADDRESS_POLICY = Policy(20, dt.timedelta(seconds=30), dt.timedelta(minutes=15), dt.timedelta(hours=1))


def keys(*, username: str, address: str | None) -> list[tuple[str, Policy]]:
    """The throttle keys a login attempt counts against."""
    found = [(f"user:{username.strip().lower()[:150]}", USER_POLICY)]
    if address:
        found.append((f"ip:{address}", ADDRESS_POLICY))
    return found


def locked_until(*, db_session: Session, username: str, address: str | None) -> dt.datetime | None:
    """When the latest lock on this username or address ends, or None if neither is locked."""
    now = utcnow()
    names = [key for key, _ in keys(username=username, address=address)]
    ends = db_session.scalars(
        select(LoginThrottle.locked_until).where(
            LoginThrottle.key.in_(names), LoginThrottle.locked_until > now
        )
    ).all()
    return max(ends, default=None)


def record_failure(*, db_session: Session, username: str, address: str | None) -> None:
    """Count a failed login against the username and the address; lock them past the free failures."""
    now = utcnow()
    for key, policy in keys(username=username, address=address):
        row = _row(db_session, key)
        if now - row.last_failure_at > policy.forget_after:
            row.failures = 0
        row.failures += 1
        row.last_failure_at = now
        over = row.failures - policy.free_failures
        if over > 0:
            lockout = min(policy.first_lockout * 2 ** min(over - 1, 20), policy.max_lockout)
            row.locked_until = now + lockout


def record_success(*, db_session: Session, username: str) -> None:
    """Forget the username's failures; the address keeps its count (one account must not clear it)."""
    key = keys(username=username, address=None)[0][0]
    row = db_session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one_or_none()
    if row is not None:
        db_session.delete(row)


def _row(db_session: Session, key: str) -> LoginThrottle:
    row = db_session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one_or_none()
    if row is not None:
        return row
    # Another process may insert the same key at the same moment: then use theirs.
    try:
        with db_session.begin_nested():
            row = LoginThrottle(key=key, failures=0, last_failure_at=utcnow())
            db_session.add(row)
        return row
    except IntegrityError:
        return db_session.scalars(select(LoginThrottle).where(LoginThrottle.key == key)).one()
