"""Login (throttled), logout and the language switch."""

from __future__ import annotations

import math
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.api import i18n, users
from services.api.access import throttle
from services.api.deps import SessionDep, csrf_token, verify_csrf
from services.api.templates import render
from shared.models import utcnow

router = APIRouter(tags=["auth"], include_in_schema=False)


@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request, next: str = "/queue") -> Response:
    return render(request, "login.html", {"next": _safe_next(next), "error": None})


@router.post("/login", dependencies=[Depends(verify_csrf)])
def login(
    request: Request,
    session: SessionDep,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
    next: Annotated[str, Form()] = "/queue",
) -> Response:
    language = i18n.language_of(request)
    address = request.client.host if request.client else None
    # Checked before the password, so a locked account costs no argon2 work and leaks nothing.
    locked = throttle.locked_until(db_session=session, username=username, address=address)
    if locked is not None:
        minutes = max(1, math.ceil((locked - utcnow()).total_seconds() / 60))
        error = i18n.text("login.locked", language, minutes=minutes)
        return render(request, "login.html", {"next": _safe_next(next), "error": error}, status_code=429)
    user = users.authenticate(db_session=session, username=username, password=password)
    if user is None:
        throttle.record_failure(db_session=session, username=username, address=address)
        session.commit()
        error = i18n.text("login.failed", language)
        return render(request, "login.html", {"next": _safe_next(next), "error": error}, status_code=401)
    throttle.record_success(db_session=session, username=username)
    session.commit()
    # A fresh session on login: no fixation, and a new CSRF token; the language choice stays.
    request.session.clear()
    request.session["user_id"] = user.id
    request.session["lang"] = language
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> Response:
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
    return RedirectResponse(_safe_next(next), status_code=303)


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot redirect to another site."""
    return target if target.startswith("/") and not target.startswith(("//", "/\\")) else "/queue"
