"""FastAPI dependencies: the database session, the current user, role checks, CSRF."""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable, Iterator
from typing import Annotated

from fastapi import Depends, Form, HTTPException, Request, status
from sqlalchemy.orm import Session

from services.api.users import Role
from shared.db import Database
from shared.models import User


def get_database(request: Request) -> Database:
    return request.app.state.database


def get_session(database: Annotated[Database, Depends(get_database)]) -> Iterator[Session]:
    with database.session() as session:
        yield session


SessionDep = Annotated[Session, Depends(get_session)]


class LoginRequired(Exception):
    """Raised for a page (not an API call) that needs a login; answered with a redirect."""


def _current_user(request: Request, session: SessionDep) -> User:
    user_id = request.session.get("user_id")
    user = session.get(User, user_id) if user_id is not None else None
    if user is None or not user.active:
        if request.url.path.startswith("/api/"):
            raise HTTPException(
                status.HTTP_401_UNAUTHORIZED, "Log in first.", headers={"WWW-Authenticate": "Cookie"}
            )
        raise LoginRequired()
    return user


CurrentUser = Annotated[User, Depends(_current_user)]


def require_role(*roles: Role) -> Callable[[User], User]:
    """A dependency that lets through only users with one of `roles` (admins always)."""
    allowed = {r.value for r in roles} | {Role.admin.value}

    def check(user: CurrentUser) -> User:
        if user.role not in allowed:
            raise HTTPException(status.HTTP_403_FORBIDDEN, "Your role does not give access to this page.")
        return user

    return check


def csrf_token(request: Request) -> str:
    """The session's CSRF token, created on first use."""
    token = request.session.get("csrf")
    if not token:
        token = secrets.token_urlsafe(32)
        request.session["csrf"] = token
    return token


def verify_csrf(request: Request, csrf_token_field: Annotated[str, Form(alias="csrf_token")] = "") -> None:
    """Refuse a form post whose token does not match the session's."""
    expected = request.session.get("csrf", "")
    sent = csrf_token_field or request.headers.get("x-csrf-token", "")
    if not expected or not hmac.compare_digest(expected, sent):
        raise HTTPException(
            status.HTTP_403_FORBIDDEN,
            "The form expired or did not come from Signaal; reload the page and try again.",
        )
