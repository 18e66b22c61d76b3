"""The admin page and API for staff accounts and API tokens."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, HTTPException, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import ValidationError
from sqlalchemy.orm import Session

from services.api import i18n, users
from services.api.access import tokens
from services.api.access.schemas import TokenCreate, TokenCreated, TokenRead, UserCreate, UserRead
from services.api.deps import PathId, SessionDep, require_role, verify_api_csrf, verify_csrf
from services.api.templates import render
from services.api.users import Role
from shared.models import ApiToken, User

Admin = Annotated[User, Depends(require_role())]
Id = PathId

pages = APIRouter(prefix="/admin", include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["access"])


def _token_read(token: ApiToken, owner: User) -> TokenRead:
    return TokenRead(
        id=token.id,
        name=token.name,
        prefix=token.prefix,
        owner=owner.username,
        role=owner.role,
        revoked=token.revoked,
        created_at=token.created_at,
        last_used_at=token.last_used_at,
    )


def _create_token(session: Session, body: TokenCreate, admin: User) -> TokenCreated:
    owner = admin
    if body.username and body.username != admin.username:
        owner = users.get_by_username(db_session=session, username=body.username)
        if owner is None or not owner.active:
            raise HTTPException(
                status.HTTP_422_UNPROCESSABLE_CONTENT, "There is no active user with that name."
            )
    row, secret = tokens.create(db_session=session, owner=owner, name=body.name, actor=admin.username)
    session.commit()
    return TokenCreated(**_token_read(row, owner).model_dump(), token=secret)


def _create_user(session: Session, body: UserCreate, admin: User) -> User:
    try:
        user = users.create(
            db_session=session,
            username=body.username,
            password=body.password,
            role=body.role,
            actor=admin.username,
        )
    except users.UserExists:
        raise HTTPException(status.HTTP_409_CONFLICT, "A user with that name already exists.") from None
    session.commit()
    return user


def _deactivate(session: Session, user_id: int, admin: User) -> User:
    try:
        user = users.deactivate(db_session=session, user_id=user_id, actor=admin)
    except users.UserNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no user with this id.") from None
    except users.CannotDeactivateSelf as exc:
        raise HTTPException(status.HTTP_409_CONFLICT, str(exc)) from None
    session.commit()
    return user


def _revoke(session: Session, token_id: int, admin: User) -> ApiToken:
    try:
        row = tokens.revoke(db_session=session, token_id=token_id, actor=admin.username)
    except tokens.TokenNotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no API token with this id.") from None
    session.commit()
    return row


# --- pages ---------------------------------------------------------------------------


def _admin_page(request: Request, session: Session, **extra: object) -> Response:
    context = {
        "users": users.get_all(db_session=session),
        "tokens": tokens.get_all(db_session=session),
        "roles": [r.value for r in Role],
        "created_token": None,
        "error": None,
        **extra,
    }
    return render(request, "admin.html", context, status_code=400 if extra.get("error") else 200)


@pages.get("", response_class=HTMLResponse)
def admin_page(request: Request, session: SessionDep, _admin: Admin) -> Response:
    return _admin_page(request, session)


@pages.post("/users", dependencies=[Depends(verify_csrf)])
def add_user_form(
    request: Request,
    session: SessionDep,
    admin: Admin,
    username: Annotated[str, Form(max_length=150)],
    password: Annotated[str, Form(max_length=1000)],
    role: Annotated[str, Form(max_length=20)],
) -> Response:
    try:
        body = UserCreate(username=username, password=password, role=role)  # type: ignore[arg-type]
        _create_user(session, body, admin)
    except ValidationError as exc:
        reason = "; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors())
    except HTTPException as exc:
        reason = str(exc.detail)
    else:
        return RedirectResponse("/admin", status_code=303)
    error = i18n.text("admin.invalid", i18n.language_of(request), reason=reason)
    return _admin_page(request, session, error=error)


@pages.post("/users/{user_id}/deactivate", dependencies=[Depends(verify_csrf)])
def deactivate_user_form(session: SessionDep, admin: Admin, user_id: Id) -> Response:
    _deactivate(session, user_id, admin)
    return RedirectResponse("/admin", status_code=303)


@pages.post("/tokens", dependencies=[Depends(verify_csrf)])
def create_token_form(
    request: Request,
    session: SessionDep,
    admin: Admin,
    name: Annotated[str, Form(min_length=1, max_length=200)],
    username: Annotated[str, Form(max_length=150)] = "",
) -> Response:
    created = _create_token(session, TokenCreate(name=name, username=username or None), admin)
    # Rendered, not redirected: the token is shown on this one response and never again.
    response = _admin_page(request, session, created_token=created)
    response.headers["Cache-Control"] = "no-store"
    return response


@pages.post("/tokens/{token_id}/revoke", dependencies=[Depends(verify_csrf)])
def revoke_token_form(session: SessionDep, admin: Admin, token_id: Id) -> Response:
    _revoke(session, token_id, admin)
    return RedirectResponse("/admin", status_code=303)


# --- API ------------------------------------------------------------------------------


@api.get("/users", response_model=list[UserRead], tags=["access"])
def list_users(session: SessionDep, _admin: Admin) -> list[User]:
    """Every staff account (admins only)."""
    return users.get_all(db_session=session)


@api.post("/users", response_model=UserRead, status_code=201, dependencies=[Depends(verify_api_csrf)])
def create_user(session: SessionDep, body: UserCreate, admin: Admin) -> User:
    """Create a staff account with a role (admins only)."""
    return _create_user(session, body, admin)


@api.post("/users/{user_id}/deactivate", response_model=UserRead, dependencies=[Depends(verify_api_csrf)])
def deactivate_user(session: SessionDep, admin: Admin, user_id: Id) -> User:
    """Stop an account logging in and using its tokens (admins only; not your own)."""
    return _deactivate(session, user_id, admin)


@api.get("/tokens", response_model=list[TokenRead])
def list_tokens(session: SessionDep, _admin: Admin) -> list[TokenRead]:
    """Every API token, without the tokens themselves (admins only)."""
    return [_token_read(token, owner) for token, owner in tokens.get_all(db_session=session)]


@api.post("/tokens", response_model=TokenCreated, status_code=201, dependencies=[Depends(verify_api_csrf)])
def create_token(session: SessionDep, body: TokenCreate, admin: Admin) -> TokenCreated:
    """Create an API token acting with a user's role; the response is the only time it is shown."""
    return _create_token(session, body, admin)


@api.post("/tokens/{token_id}/revoke", response_model=TokenRead, dependencies=[Depends(verify_api_csrf)])
def revoke_token(session: SessionDep, admin: Admin, token_id: Id) -> TokenRead:
    """Revoke an API token; calls with it are refused from now on (admins only)."""
    row = _revoke(session, token_id, admin)
    owner = session.get(User, row.user_id)
    assert owner is not None  # the foreign key cascades deletes
    return _token_read(row, owner)
