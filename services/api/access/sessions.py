"""Server-side records of browser logins, so a logout or a password change ends a session at once.

The signed cookie carries a random session id; the database keeps only its SHA-256
hash. Every request checks the record is unrevoked and unexpired, so a copied cookie
stops working when its owner logs out.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from shared.models import StaffSession, utcnow

MAX_AGE = dt.timedelta(hours=8)  # one working day, the same as the cookie's
# Noting each request's time would turn every page view into a write; every few minutes is enough.
LAST_SEEN_RESOLUTION = dt.timedelta(minutes=5)


def _hash(session_id: str) -> str:
    # 256 random bits: a fast hash is enough, there is nothing to brute-force.
    return hashlib.sha256(session_id.encode()).hexdigest()


def start(*, db_session: Session, user_id: int) -> str:
    """A new session for the user; returns its id, which only the cookie keeps."""
    session_id = secrets.token_urlsafe(32)
    now = utcnow()
    # The user's long-expired records serve nothing; clearing them here keeps the table small.
    db_session.execute(
        delete(StaffSession).where(StaffSession.user_id == user_id, StaffSession.expires_at < now - MAX_AGE)
    )
    db_session.add(
        StaffSession(
            token_hash=_hash(session_id), user_id=user_id, last_seen_at=now, expires_at=now + MAX_AGE
        )
    )
    return session_id


def alive(*, db_session: Session, session_id: str, user_id: int) -> StaffSession | None:
    """The user's session with this id if it is neither revoked nor expired, else None."""
    row = db_session.scalars(
        select(StaffSession).where(StaffSession.token_hash == _hash(session_id))
    ).one_or_none()
    if row is None or row.revoked or row.user_id != user_id or row.expires_at <= utcnow():
        return None
    return row


def needs_touch(row: StaffSession) -> bool:
    """Whether the session's last use is stale enough to note again."""
    return utcnow() - row.last_seen_at > LAST_SEEN_RESOLUTION


def touch(*, db_session: Session, session_row_id: int) -> None:
    """Note that the session was used now."""
    db_session.execute(
        update(StaffSession).where(StaffSession.id == session_row_id).values(last_seen_at=utcnow())
    )


def revoke(*, db_session: Session, session_id: str) -> None:
    """End one session (logout)."""
    db_session.execute(
        update(StaffSession).where(StaffSession.token_hash == _hash(session_id)).values(revoked=True)
    )


def revoke_all(*, db_session: Session, user_id: int) -> int:
    """End every session of the user (password change, "log out everywhere"); how many were alive."""
    result = db_session.execute(
        update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.revoked.is_(False))
        .values(revoked=True)
    )
    return result.rowcount
