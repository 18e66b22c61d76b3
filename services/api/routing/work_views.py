"""Reassigning signals and working on follow-ups: `/api/v1/signals/{id}/…`, `/api/v1/followups/{id}/…`.

Front office and admins act on every signal; a handler only on those of their own departments
(services.api.signals.service.check_may_act, the same check as the pages).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends
from sqlalchemy import select

from services.api.deps import OptionalQueryId, PathId, SessionDep, SettingsDep, require_role, verify_api_csrf
from services.api.routing import schemas, service
from services.api.signals import service as signal_service
from services.api.users import Role
from services.router import followups, manual
from services.router.exceptions import NotFound
from shared.models import Assignment, FollowUp, FollowUpEvent, Signal, User

_front_office = require_role(Role.frontoffice)
_worker = require_role(Role.frontoffice, Role.handler)
FrontOffice = Annotated[User, Depends(_front_office)]
Worker = Annotated[User, Depends(_worker)]
# Who you are first (401/403), then the CSRF check for cookie sessions; FastAPI runs the role check once.
FRONT_OFFICE_WRITE = [Depends(_front_office), Depends(verify_api_csrf)]
WRITE = [Depends(_worker), Depends(verify_api_csrf)]

api = APIRouter(prefix="/api/v1", tags=["follow-ups"])


def _signal(session: SessionDep, signal_id: int, user: User) -> Signal:
    signal = session.get(Signal, signal_id)
    if signal is None:
        raise NotFound(f"There is no signal {signal_id}.")
    signal_service.check_may_act(db_session=session, signal=signal, user=user)
    return signal


def _follow_up(session: SessionDep, follow_up_id: int, user: User) -> FollowUp:
    follow_up = followups.get(db_session=session, follow_up_id=follow_up_id)
    _signal(session, follow_up.signal_id, user)
    return follow_up


@api.get("/waiting", response_model=list[schemas.WaitingRead])
def list_waiting(
    session: SessionDep, _user: FrontOffice, department_id: OptionalQueryId = None
) -> list[schemas.WaitingRead]:
    """Signals nobody could take yet, longest waiting first; the router assigns them when someone can."""
    return service.get_waiting(db_session=session, department_id=department_id)


@api.get("/signals/{signal_id}/assignments", response_model=list[schemas.AssignmentRead])
def list_assignments(session: SessionDep, signal_id: PathId, user: Worker) -> list[Assignment]:
    """Where the signal was sent and why, oldest first; the last one counts."""
    _signal(session, signal_id, user)
    return list(
        session.scalars(select(Assignment).where(Assignment.signal_id == signal_id).order_by(Assignment.id))
    )


@api.post(
    "/signals/{signal_id}/assignment", response_model=schemas.AssignmentRead, dependencies=FRONT_OFFICE_WRITE
)
def reassign(
    session: SessionDep, settings: SettingsDep, signal_id: PathId, body: schemas.Reassign, user: FrontOffice
) -> Assignment:
    """Send the signal to another department or handler; overrides the router, and is audited."""
    assignment = manual.reassign(
        db_session=session,
        signal_id=signal_id,
        department_id=body.department_id,
        handler_id=body.handler_id,
        note=body.note,
        actor=user.username,
        base_url=settings.base_url,
    )
    session.commit()
    return assignment


@api.get("/signals/{signal_id}/followups", response_model=list[schemas.FollowUpRead])
def list_follow_ups(session: SessionDep, signal_id: PathId, user: Worker) -> list[FollowUp]:
    """The signal's informal follow-up and, if it went formal, the formal procedure."""
    _signal(session, signal_id, user)
    return followups.get_all_for_signal(db_session=session, signal_id=signal_id)


@api.get("/followups/{follow_up_id}/events", response_model=list[schemas.EventRead])
def list_events(session: SessionDep, follow_up_id: PathId, user: Worker) -> list[FollowUpEvent]:
    """Calls, emails, visits, notes and state changes on a follow-up, oldest first."""
    _follow_up(session, follow_up_id, user)
    return followups.events(db_session=session, follow_up_id=follow_up_id)


@api.post(
    "/followups/{follow_up_id}/events", response_model=schemas.EventRead, status_code=201, dependencies=WRITE
)
def add_event(
    session: SessionDep, follow_up_id: PathId, body: schemas.EventCreate, user: Worker
) -> FollowUpEvent:
    """Record a contact or a note without changing the state."""
    follow_up = _follow_up(session, follow_up_id, user)
    event = followups.add_event(
        db_session=session, follow_up=follow_up, kind=body.kind, note=body.note, actor=user.username
    )
    session.commit()
    return event


@api.post("/followups/{follow_up_id}/transition", response_model=schemas.EventRead, dependencies=WRITE)
def transition(
    session: SessionDep, follow_up_id: PathId, body: schemas.Transition, user: Worker
) -> FollowUpEvent:
    """Move the follow-up on (contacted, resolved, formal, not_a_complaint) if the procedure allows it."""
    follow_up = _follow_up(session, follow_up_id, user)
    event = followups.transition(
        db_session=session,
        follow_up=follow_up,
        to=body.to,
        kind=body.kind,
        note=body.note,
        actor=user.username,
    )
    session.commit()
    return event


@api.post("/followups/{follow_up_id}/extend", response_model=schemas.FollowUpRead, dependencies=WRITE)
def extend(session: SessionDep, follow_up_id: PathId, body: schemas.Extension, user: Worker) -> FollowUp:
    """Extend the formal deadline by four weeks, once (Awb 9:11)."""
    follow_up = _follow_up(session, follow_up_id, user)
    followups.extend(db_session=session, follow_up=follow_up, note=body.note, actor=user.username)
    session.commit()
    return follow_up
