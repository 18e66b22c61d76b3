"""The queue page and the signals API."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import HTMLResponse, Response

from services.api.deps import SessionDep, require_role
from services.api.signals import service
from services.api.signals.schemas import SignalFilter, SignalPage
from services.api.templates import render
from services.api.users import Role
from shared.models import User

QUEUE_ROLES = (Role.frontoffice, Role.handler)

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["signals"])


@pages.get("/queue", response_class=HTMLResponse)
def queue_page(
    request: Request,
    session: SessionDep,
    filters: Annotated[SignalFilter, Query()],
    user: Annotated[User, Depends(require_role(*QUEUE_ROLES))],
) -> Response:
    request.state.user = user
    page = service.get_page(db_session=session, filters=filters)
    return render(request, "queue.html", {"page": page, "filters": filters})


@api.get("/signals", response_model=SignalPage)
def list_signals(
    session: SessionDep,
    filters: Annotated[SignalFilter, Query()],
    _user: Annotated[User, Depends(require_role(*QUEUE_ROLES))],
) -> SignalPage:
    """Flagged signals, newest first, filtered like the queue page."""
    return service.get_page(db_session=session, filters=filters)
