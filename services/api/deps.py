"""FastAPI dependencies: settings and configuration, the database session, the current user, roles, CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Path, Query, Request, status
from sqlalchemy.orm import Session

from services.api.access import sessions
from services.api.access import tokens as api_tokens
from services.api.users import Role
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import User
from shared.settings import Settings


def get_database(request: Request) -> Database:
    return request.app.state.database


def app_settings(request: Request) -> Settings:
    """The settings the app was created with (read once by `services.runtime`)."""
    return request.app.state.settings


def app_config(request: Request) -> OrganisationConfig:
    """The organisation's configuration the app was created with (read once by `services.runtime`)."""
    return request.app.state.config


SettingsDep = Annotated[Settings, Depends(app_settings)]
ConfigDep = Annotated[OrganisationConfig, Depends(app_config)]


# Set by services.api.lockretry on a replayed request: its session takes SQLite's write lock at once.
WRITE_LOCK_STATE = "take_write_lock"


def get_session(request: Request, database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    take_lock = bool(request.scope.get("state", {}).get(WRITE_LOCK_STATE))
    with database.writer_session() if take_lock else database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]
DatabaseDep = Annotated[Database, Depends(get_database)]

# Ids in paths and queries: beyond BIGINT the databases would fail (a 500), not refuse (a 422).
MAX_ID = 2**62
PathId = Annotated[int, Path(ge=1, le=MAX_ID)]
OptionalQueryId = Annotated[int | None, Query(ge=1, le=MAX_ID)]


class CsrfRefused(HTTPException):
    """A form post or cookie-session API call without the session's CSRF token."""

    def __init__(self, detail: str) -> None:
        super().__init__(status.HTTP_403_FORBIDDEN, detail)


class LoginRequired(Exception):
    """Raised for a page (not an API call) that needs a login; answered with a redirect."""


def bearer_token(request: Request) -> str | None:
    """The token of an `Authorization: Bearer …` header, if the request has one."""
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    return token.strip() if scheme.lower() == "bearer" else None


def _session_user(request: Request, session: Session, database: Database) -> User | None:
    """The active user of the cookie's session, if that session is still alive on the server.

    A cookie naming a revoked, expired or unknown session (logged out, password changed,
    "log out everywhere", or signed before sessions were recorded) is emptied, keeping the language.
    """
    user_id = request.session.get("user_id")
    session_id = request.session.get("sid")
    if user_id is None:
        return None
    row = (
        sessions.alive(db_session=session, session_id=session_id, user_id=user_id)
        if isinstance(session_id, str) and isinstance(user_id, int)
        else None
    )
    user = session.get(User, user_id) if row is not None else None
    if row is None or user is None or not user.active:
        language = request.session.get("lang")
        request.session.clear()
        if language:
            request.session["lang"] = language
        return None
    if sessions.needs_touch(row):
        row_id = row.id
        database.write(
            lambda writer: sessions.touch(db_session=writer, session_row_id=row_id), beside=session
        )
        # End this read transaction: its snapshot predates that write, so a later write here would fail.
        session.commit()
    return user


def _current_user(request: Request, session: SessionDep, database: DatabaseDep) -> User:
    is_api = request.url.path.startswith("/api/")
    token = bearer_token(request) if is_api else None
    if token is not None:
        # A bearer token decides alone: a cookie riding along must not rescue a bad token.
        user = api_tokens.authenticate(db_session=session, database=database, token=token)
        if user is None:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "The API token is unknown or revoked; ask an admin for a new one.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        return user
    user = _session_user(request, session, database)
    if user is None:
        if is_api:
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED,
                "Log in first, or send an API token as 'Authorization: Bearer <token>'.",
                headers={"WWW-Authenticate": "Bearer"},
            )
        raise LoginRequired()
    request.state.user = user
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def optional_user(request: Request, session: SessionDep, database: DatabaseDep) -> User | None:
    """The logged-in user of a public page, if any (for the page's header)."""
    user = _session_user(request, session, database)
    if user is not None:
        request.state.user = user
    return user


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets through only users with one of `roles` (admins always)."""
    allowed = {r.value for r in roles} | {Role.admin.value}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not give access to this page.")
        return user

    # Read by the security tests, which walk every route and try each role.
    check.allowed_roles = frozenset(allowed)  # type: ignore[attr-defined]
    return check


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def verify_csrf(request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Refuse a form post whose token does not match the session's.

    API calls with a bearer token need none: a browser never adds that header on its own,
    so another site cannot forge such a call.
    """
    if request.url.path.startswith("/api/") and bearer_token(request) is not None:
        return
    expected = request.session.get("csrf", "")
    sent = csrf_token_field or request.headers.get("x-csrf-token", "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise CsrfRefused("The form expired or did not come from Signaal; reload the page and try again.")


def verify_api_csrf(request: Request) -> None:
    """CSRF for JSON API calls: a cookie session must send its token in `X-CSRF-Token`."""
    if bearer_token(request) is not None:
        return
    expected = request.session.get("csrf", "")
    sent = request.headers.get("x-csrf-token", "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise CsrfRefused("Send the session's CSRF token in the X-CSRF-Token header, or use an API token.")
