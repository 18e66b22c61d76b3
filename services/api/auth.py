"""Login (throttled), logout (here or everywhere) and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session

from services.api import clientaddress, i18n, redirects, users
from services.api.access import sessions, throttle
from services.api.deps import DatabaseDep, SessionDep, csrf_token, require_role, verify_csrf
from services.api.templates import render
from shared.models import User, utcnow

router = APIRouter(tags=["auth"], include_in_schema=False)
# Every role may end its own sessions; the role check also makes the route-walking tests see it.
AnyStaff = Annotated[User, Depends(require_role(*users.Role))]


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/queue") -> Response:
    return render(request, "login.html", {"next": redirects.safe_path(next, "/queue"), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    session: SessionDep,
    database: DatabaseDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    language = i18n.language_of(request)
    target = redirects.safe_path(next, "/queue")
    address = clientaddress.client_address(request)
    # Checked before the password, so a locked account costs no argon2 work and leaks nothing.
    locked = throttle.locked_until(db_session=session, username=username, address=address)
    if locked is not None:
        minutes = max(1, math.ceil((locked - utcnow()).total_seconds() / 60))
        error = i18n.text("login.locked", language, minutes=minutes)
        return render(request, "login.html", {"next": target, "error": error}, status_code=429)
    user = users.authenticate(db_session=session, username=username, password=password)
    user_id = user.id if user is not None else None
    # The request's session only read; each outcome is written in its own short write transaction
    # (retried on a lock), so a busy worker can neither fail the login nor lose a failure's count.
    session.rollback()
    if user_id is None:
        database.write(
            lambda writer: throttle.record_failure(db_session=writer, username=username, address=address)
        )
        error = i18n.text("login.failed", language)
        return render(request, "login.html", {"next": target, "error": error}, status_code=401)

    def succeed(writer: Session) -> str:
        throttle.record_success(db_session=writer, username=username)
        users.record_login(db_session=writer, user_id=user_id, password=password)
        return sessions.start(db_session=writer, user_id=user_id)

    session_id = database.write(succeed)
    # A fresh session on login: no fixation, and a new CSRF token; the language choice stays.
    request.session.clear()
    request.session["user_id"] = user_id
    request.session["sid"] = session_id
    request.session["lang"] = language
    csrf_token(request)
    return RedirectResponse(target, status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request, database: DatabaseDep) -> Response:
    session_id = request.session.get("sid")
    if isinstance(session_id, str):
        database.write(lambda writer: sessions.revoke(db_session=writer, session_id=session_id))
    return _logged_out(request)


@router.post("/logout/everywhere", dependencies=[Depends(verify_csrf)])
def logout_everywhere(request: Request, database: DatabaseDep, user: AnyStaff) -> Response:
    """End every session of this user: other browsers, and any copied cookie."""
    user_id = user.id
    database.write(lambda writer: sessions.revoke_all(db_session=writer, user_id=user_id))
    return _logged_out(request)


def _logged_out(request: Request) -> Response:
    language = i18n.language_of(request)
    request.session.clear()
    request.session["lang"] = language
    return RedirectResponse("/login", status_code=303)


@router.post("/language", dependencies=[Depends(verify_csrf)])
def switch_language(
    request: Request,
    language: Annotated[str, Form(max_length=8)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    """Store the chosen language in the session and go back to the page."""
    if language in i18n.LANGUAGES:
        request.session["lang"] = language
    return RedirectResponse(redirects.safe_path(next, "/queue"), status_code=303)
