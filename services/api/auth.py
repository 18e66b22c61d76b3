"""Login and logout pages."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from services.api import users
from services.api.deps import SessionDep, csrf_token, verify_csrf
from services.api.templates import render

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
    user = users.authenticate(db_session=session, username=username, password=password)
    if user is None:
        context = {"next": _safe_next(next), "error": "Onbekende gebruikersnaam of onjuist wachtwoord."}
        return render(request, "login.html", context, status_code=401)
    session.commit()
    # A fresh session on login: no fixation, and a new CSRF token.
    request.session.clear()
    request.session["user_id"] = user.id
    csrf_token(request)
    return RedirectResponse(_safe_next(next), status_code=303)


@router.post("/logout", dependencies=[Depends(verify_csrf)])
def logout(request: Request) -> Response:
    request.session.clear()
    return RedirectResponse("/login", status_code=303)


def _safe_next(target: str) -> str:
    """Only same-site paths, so the login form cannot redirect to another site."""
    return target if target.startswith("/") and not target.startswith("//") else "/queue"
