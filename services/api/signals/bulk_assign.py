"""Bulk assignment from the queue: send the selected signals to a department's queue or a handler.

Every signal goes through the router's manual reassignment, so each one is recorded,
audited and notified like a single reassignment. A signal that cannot go where asked
(the handler left the department, the signal is gone) is skipped and counted; the rest
still move.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form
from fastapi.responses import RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.api import redirects
from services.api.deps import MAX_ID, SessionDep, SettingsDep, require_role, verify_api_csrf, verify_csrf
from services.api.users import Role
from services.router import manual
from services.router.exceptions import Conflict, NotFound
from shared.models import Department, Handler, User
from shared.models.routing import handler_departments

FrontOffice = Annotated[User, Depends(require_role(Role.frontoffice))]
SignalIds = list[Annotated[int, Field(ge=1, le=MAX_ID)]]

pages = APIRouter(include_in_schema=False)
api = APIRouter(prefix="/api/v1", tags=["signals"])


class BulkAssign(BaseModel):
    ids: SignalIds = Field(min_length=1, max_length=200)
    department_id: int = Field(ge=1, le=MAX_ID)
    handler_id: int | None = Field(default=None, ge=1, le=MAX_ID, description="None: the department's queue")


class BulkAssignResult(BaseModel):
    assigned: list[int] = Field(description="The signals that were reassigned")
    skipped: dict[int, str] = Field(description="Signals left where they were, and why")


def targets(*, db_session: Session) -> list[tuple[str, str]]:
    """Where the queue's bulk form can send signals: (value, label) per department queue and member."""
    departments = db_session.execute(select(Department.id, Department.name).order_by(Department.name)).all()
    members = db_session.execute(
        select(handler_departments.c.department_id, Handler.id, Handler.name)
        .join(Handler, Handler.id == handler_departments.c.handler_id)
        .where(Handler.active.is_(True))
        .order_by(Handler.name)
    ).all()
    options: list[tuple[str, str]] = []
    for department_id, department_name in departments:
        options.append((f"{department_id}", department_name))
        options += [
            (f"{department_id}:{handler_id}", f"{department_name} — {handler_name}")
            for member_department, handler_id, handler_name in members
            if member_department == department_id
        ]
    return options


def assign_all(
    session: Session, *, ids: list[int], department_id: int, handler_id: int | None, user: User, base_url: str
) -> BulkAssignResult:
    """Reassign each signal once, each in its own savepoint; one that cannot move never stops the rest."""
    result = BulkAssignResult(assigned=[], skipped={})
    for signal_id in dict.fromkeys(ids):
        try:
            with session.begin_nested():
                manual.reassign(
                    db_session=session,
                    signal_id=signal_id,
                    department_id=department_id,
                    handler_id=handler_id,
                    note="bulk assignment from the queue",
                    actor=user.username,
                    base_url=base_url,
                )
            result.assigned.append(signal_id)
        except (Conflict, NotFound) as exc:
            result.skipped[signal_id] = str(exc)
    session.commit()
    return result


def parse_target(value: str) -> tuple[int, int | None] | None:
    """`"3"` → department 3's queue; `"3:7"` → handler 7 in department 3; None if malformed."""
    department, _, handler = value.partition(":")
    try:
        ids = (int(department), int(handler) if handler else None)
    except ValueError:
        return None
    if not all(0 < i <= MAX_ID for i in ids if i is not None):
        return None
    return ids


@pages.post("/queue/assign", dependencies=[Depends(verify_csrf)])
def queue_assign(
    session: SessionDep,
    settings: SettingsDep,
    user: FrontOffice,
    target: Annotated[str, Form(max_length=60)],
    ids: Annotated[SignalIds, Form(max_length=200)] = [],  # noqa: B006 — FastAPI copies defaults
    next: Annotated[str, Form(max_length=2000)] = "/queue",
) -> Response:
    parsed = parse_target(target)
    assigned = 0
    if parsed is not None and ids:
        department_id, handler_id = parsed
        outcome = assign_all(
            session,
            ids=ids,
            department_id=department_id,
            handler_id=handler_id,
            user=user,
            base_url=settings.base_url,
        )
        assigned = len(outcome.assigned)
    back = redirects.safe_path(next, "/queue")
    separator = "&" if "?" in back else "?"
    return RedirectResponse(f"{back}{separator}assigned={assigned}", status_code=303)


@api.post("/signals/bulk-assign", response_model=BulkAssignResult, dependencies=[Depends(verify_api_csrf)])
def bulk_assign(
    session: SessionDep, settings: SettingsDep, body: BulkAssign, user: FrontOffice
) -> BulkAssignResult:
    """Send several signals to a department's queue or one of its handlers (front office, admins)."""
    return assign_all(
        session,
        ids=body.ids,
        department_id=body.department_id,
        handler_id=body.handler_id,
        user=user,
        base_url=settings.base_url,
    )
