"""`/followups` (what is due) and the signal page's follow-up forms; each calls services.router.followups."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Form, HTTPException, Query, Request, status
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api import redirects
from services.api.deps import MAX_ID, PathId, SessionDep, require_role, verify_csrf
from services.api.followups import service
from services.api.followups.schemas import DueList
from services.api.templates import render
from services.api.users import Role
from services.router import followups
from services.router.exceptions import ExtensionRefused, InvalidTransition, NotFound
from shared import states
from shared.models import FollowUp, Handler, Signal, User

_worker = require_role(Role.frontoffice, Role.handler)
Worker = Annotated[User, Depends(_worker)]
WRITE = [Depends(_worker), Depends(verify_csrf)]
FollowUpId = PathId
Note = Annotated[str, Form(max_length=10_000)]
Back = Annotated[str, Form(max_length=2000)]  # the signal page's own "back" target (the filtered queue)
PER_PAGE = 50
Status, Event = states.FollowUpStatus, states.EventKind
# What the signal page may say after a form; anything else in the query string is ignored.
DONE = ("contact", "note", "resolved", "formal", "not_a_complaint", "extended")
ERRORS = ("contact_first", "not_now", "extended_once", "reason_needed", "closed")

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["follow-ups"])


def _acted_on(session: Session, follow_up_id: int, user: User) -> FollowUp:
    """The follow-up, if it exists (404) and the user may act on its signal (403)."""
    try:
        follow_up = followups.get(db_session=session, follow_up_id=follow_up_id)
    except NotFound:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "There is no such follow-up.") from None
    signal = session.get_one(Signal, follow_up.signal_id)
    if not service.may_act(db_session=session, signal=signal, user=user):
        raise HTTPException(status.HTTP_403_FORBIDDEN, "This signal is assigned to someone else.")
    return follow_up


def _back(follow_up: FollowUp, back: str, *, done: str | None = None, error: str | None = None) -> Response:
    """Back to the signal page, saying what happened, keeping where the page's "back" link led."""
    query = {"fu": done} if done else {"fu_error": error}
    if back and redirects.safe_path(back, "") == back:  # the signal page checks it again before linking
        query["back"] = back
    return RedirectResponse(f"/signals/{follow_up.signal_id}?{urlencode(query)}#followups", status_code=303)


@pages.post("/followups/{follow_up_id}/contact", dependencies=WRITE)
def record_contact(
    session: SessionDep,
    follow_up_id: FollowUpId,
    user: Worker,
    kind: Annotated[Literal["phone", "email", "visit", "note"], Form()],
    note: Note = "",
    back: Back = "",
) -> Response:
    """Record a call, email, visit or note; the first contact moves an open follow-up to contacted."""
    follow_up = _acted_on(session, follow_up_id, user)
    allowed = followups.TRANSITIONS.get(follow_up.kind, {}).get(follow_up.status, ())
    first_contact = kind in states.CONTACT_KINDS and follow_up.status == Status.open
    if first_contact and Status.contacted in allowed:
        followups.transition(
            db_session=session,
            follow_up=follow_up,
            to=Status.contacted,
            kind=kind,
            note=note,
            actor=user.username,
        )
    else:
        followups.add_event(
            db_session=session, follow_up=follow_up, kind=kind, note=note, actor=user.username
        )
    session.commit()
    return _back(follow_up, back, done="note" if kind == Event.note else "contact")


@pages.post("/followups/{follow_up_id}/transition", dependencies=WRITE)
def move_on(
    session: SessionDep,
    follow_up_id: FollowUpId,
    user: Worker,
    to: Annotated[Literal["resolved", "formal", "not_a_complaint"], Form()],
    note: Note = "",
    back: Back = "",
) -> Response:
    """Resolve informally, move to the formal procedure, or mark as not a complaint."""
    follow_up = _acted_on(session, follow_up_id, user)
    try:
        followups.transition(
            db_session=session, follow_up=follow_up, to=to, kind=Event.note, note=note, actor=user.username
        )
    except InvalidTransition:
        session.rollback()
        first_contact = to == Status.resolved and follow_up.status == Status.open
        return _back(follow_up, back, error="contact_first" if first_contact else "not_now")
    session.commit()
    return _back(follow_up, back, done=to)


@pages.post("/followups/{follow_up_id}/extend", dependencies=WRITE)
def extend(
    session: SessionDep, follow_up_id: FollowUpId, user: Worker, note: Note = "", back: Back = ""
) -> Response:
    """Extend the formal deadline by four weeks, once (Awb 9:11)."""
    follow_up = _acted_on(session, follow_up_id, user)
    try:
        followups.extend(db_session=session, follow_up=follow_up, note=note, actor=user.username)
    except ExtensionRefused:
        session.rollback()
        if follow_up.extended:
            error = "extended_once"
        elif not note.strip():
            error = "reason_needed"
        else:
            error = "closed"
        return _back(follow_up, back, error=error)
    session.commit()
    return _back(follow_up, back, done="extended")


def _due(session: Session, user: User, handler_id: int | None, page: int) -> service.DuePage | None:
    """Handlers get their own open follow-ups (None without a handler record); others choose or see all."""
    if user.role not in states.ANY_SIGNAL_ROLES:
        own = service.handler_of(db_session=session, user=user)
        if own is None:
            return None
        handler_id = own.id
    return service.get_due(db_session=session, handler_id=handler_id, page=page, per_page=PER_PAGE)


HandlerFilter = Annotated[int | None, Query(ge=1, le=MAX_ID, description="Front office and admins only")]
PageNumber = Annotated[int, Query(ge=1, le=100_000)]


@pages.get("/followups", response_class=HTMLResponse)
def due_page(
    request: Request,
    session: SessionDep,
    user: Worker,
    handler_id: HandlerFilter = None,
    page: PageNumber = 1,
) -> Response:
    """A handler's open follow-ups, soonest due first; front office and admins choose a handler or see all."""
    sees_all = user.role in states.ANY_SIGNAL_ROLES
    due = _due(session, user, handler_id, page)
    handlers = (
        session.execute(select(Handler.id, Handler.name).order_by(Handler.name)).all() if sees_all else []
    )
    context = {
        "due": due,
        "pages": max(1, -(-due.total // due.per_page)) if due else 1,
        "sees_all": sees_all,
        "handlers": handlers,
        "handler_id": handler_id if sees_all else None,
    }
    return render(request, "followups.html", context)


@api.get("/followups/due", response_model=DueList)
def list_due(
    session: SessionDep, user: Worker, handler_id: HandlerFilter = None, page: PageNumber = 1
) -> DueList:
    """Open follow-ups, soonest due first: a handler's own, or (front office, admins) all or one handler's."""
    due = _due(session, user, handler_id, page)
    if due is None:
        return DueList(total=0, overdue=0, page=page, per_page=PER_PAGE, items=[], linked_to_handler=False)
    return DueList(total=due.total, overdue=due.overdue, page=page, per_page=PER_PAGE, items=due.rows)


def signal_context(request: Request, *, db_session: Session, signal: Signal, user: User) -> dict[str, object]:
    """What `_signal_followups.html` needs, for the signal page to add to its context."""
    done = request.query_params.get("fu")
    error = request.query_params.get("fu_error")
    return {
        "timeline": service.timeline(db_session=db_session, signal=signal, user=user),
        "fu_done": done if done in DONE else None,
        "fu_error": error if error in ERRORS else None,
        "contact_kinds": states.RECORDED_EVENT_KINDS,
    }
