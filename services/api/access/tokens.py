"""API tokens for integrations: made by an admin, shown once, stored as a SHA-256 hash."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import audit
from shared.db import Database
from shared.models import ApiToken, User, utcnow

PREFIX = "sgl_"
# Writing last_used_at on every call would turn each read into a write; once a minute is enough.
LAST_USED_RESOLUTION = dt.timedelta(minutes=1)


class TokenNotFound(LookupError):
    """There is no API token with this id."""


def _hash(token: str) -> str:
    # The token is 256 random bits, so a plain fast hash is enough (nothing to brute-force).
    return hashlib.sha256(token.encode()).hexdigest()


def create(*, db_session: Session, owner: User, name: str, actor: str) -> tuple[ApiToken, str]:
    """A new token for `owner`; returns the row and the token itself, which is never stored."""
    token = PREFIX + secrets.token_urlsafe(32)
    row = ApiToken(user_id=owner.id, name=name, token_hash=_hash(token), prefix=token[:10])
    db_session.add(row)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor,
        action="token.create",
        obj=row,
        detail={"name": name, "owner": owner.username},
    )
    return row, token


def get_all(*, db_session: Session) -> list[tuple[ApiToken, User]]:
    """Every token with its owner, newest first."""
    rows = db_session.execute(
        select(ApiToken, User).join(User, ApiToken.user_id == User.id).order_by(ApiToken.id.desc())
    ).all()
    return [(token, user) for token, user in rows]


def revoke(*, db_session: Session, token_id: int, actor: str) -> ApiToken:
    """Revoke a token; calls with it are refused from now on."""
    row = db_session.get(ApiToken, token_id)
    if row is None:
        raise TokenNotFound(token_id)
    if not row.revoked:
        row.revoked = True
        audit.record(db_session, actor=actor, action="token.revoke", obj=row)
    return row


def authenticate(*, db_session: Session, database: Database, token: str) -> User | None:
    """The active owner of a valid, unrevoked token (and note its use), else None."""
    row = db_session.scalars(select(ApiToken).where(ApiToken.token_hash == _hash(token))).one_or_none()
    if row is None or row.revoked:
        return None
    user = db_session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    now = utcnow()
    if row.last_used_at is None or now - row.last_used_at > LAST_USED_RESOLUTION:
        token_id = row.id
        # Its own short write transaction (retried on a lock): this request's session only read so far.
        database.write(
            lambda writer: writer.execute(
                update(ApiToken).where(ApiToken.id == token_id).values(last_used_at=now)
            ),
            beside=db_session,
        )
        # End the read transaction too: its snapshot predates that write, so a later write would fail.
        db_session.commit()
    return user
