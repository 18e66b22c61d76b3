"""Staff accounts: argon2-hashed passwords and roles."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api.access import sessions
from shared import audit, states
from shared.models import User, utcnow

_hasher = PasswordHasher()
MIN_PASSWORD_LENGTH = 10
# Verifying against this keeps unknown usernames as slow as wrong passwords.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


# Lives in shared.states so the router can use it too; kept here for the API's imports.
Role = states.Role


class UserExists(ValueError):
    """A user with this name already exists."""


class UserNotFound(LookupError):
    """There is no user with this id."""


class CannotDeactivateSelf(ValueError):
    """You cannot deactivate your own account (another admin can)."""


def get_by_username(*, db_session: Session, username: str) -> User | None:
    """The user with this name, or None."""
    return db_session.scalars(select(User).where(User.username == username)).one_or_none()


def create(*, db_session: Session, username: str, password: str, role: Role, actor: str = "cli") -> User:
    """Create a user with an argon2 hash of `password`."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"passwords must be at least {MIN_PASSWORD_LENGTH} characters")
    if get_by_username(db_session=db_session, username=username) is not None:
        raise UserExists(f"user {username!r} already exists")
    user = User(
        username=username, display_name=username, password_hash=_hasher.hash(password), role=role.value
    )
    db_session.add(user)
    db_session.flush()
    audit.record(
        db_session,
        actor=actor,
        action="user.create",
        obj=user,
        detail={"username": username, "role": role.value},
    )
    return user


def get_all(*, db_session: Session) -> list[User]:
    """Every user, by name."""
    return list(db_session.scalars(select(User).order_by(User.username)))


def deactivate(*, db_session: Session, user_id: int, actor: User) -> User:
    """Stop a user logging in or using their API tokens; the account and its history stay."""
    user = db_session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    if user.id == actor.id:
        raise CannotDeactivateSelf(CannotDeactivateSelf.__doc__)
    if user.active:
        user.active = False
        audit.record(db_session, actor=actor.username, action="user.deactivate", obj=user)
    return user


def authenticate(*, db_session: Session, username: str, password: str) -> User | None:
    """The active user if the password matches, else None (in constant-ish time); writes nothing."""
    user = get_by_username(db_session=db_session, username=username)
    if user is None or not user.active:
        _verify(_DUMMY_HASH, password)
        return None
    if not _verify(user.password_hash, password):
        return None
    return user


def record_login(*, db_session: Session, user_id: int, password: str) -> None:
    """Note the login's time, and rehash the password if the hasher's parameters changed."""
    user = db_session.get_one(User, user_id)
    if _hasher.check_needs_rehash(user.password_hash):
        user.password_hash = _hasher.hash(password)
    user.last_login_at = utcnow()


def set_password(*, db_session: Session, user_id: int, password: str, actor: str) -> User:
    """Give the user a new password and end all their sessions (whoever knew the old one is out)."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValueError(f"passwords must be at least {MIN_PASSWORD_LENGTH} characters")
    user = db_session.get(User, user_id)
    if user is None:
        raise UserNotFound(user_id)
    user.password_hash = _hasher.hash(password)
    ended = sessions.revoke_all(db_session=db_session, user_id=user.id)
    audit.record(db_session, actor=actor, action="user.password", obj=user, detail={"sessions_ended": ended})
    return user


def _verify(password_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False
