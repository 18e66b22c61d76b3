"""Patterns for team leads: `/api/v1/groups`, `/api/v1/persistent-contacts`, `/signals/{id}/same-sender`."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, HTTPException, Query, status

from services.api.deps import PathId, SessionDep, SettingsDep, require_role
from services.api.patterns.schemas import (
    ContactList,
    ContactOut,
    GroupList,
    GroupOut,
    SameSender,
    SenderSignalOut,
)
from services.api.users import Role
from services.router import patterns
from shared.models import Signal, User

api = APIRouter(prefix="/api/v1", tags=["patterns"])
Reader = Annotated[User, Depends(require_role(Role.frontoffice, Role.handler))]


@api.get("/groups", response_model=GroupList)
def list_groups(
    _user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int | None, Query(ge=1, le=366, description="Only signals of the last DAYS days")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> GroupList:
    """Groups of signals about the same problem, largest first (then the most recent)."""
    groups = patterns.list_groups(db_session=session, days=days, limit=limit)
    return GroupList(
        threshold=settings.group_threshold,
        window_days=settings.group_days,
        groups=[GroupOut.model_validate(group, from_attributes=True) for group in groups],
    )


@api.get("/signals/{signal_id}/same-sender", response_model=SameSender)
def same_sender(signal_id: PathId, _user: Reader, session: SessionDep) -> SameSender:
    """Other signals from this signal's sender: what a team lead looks at for persistent contact."""
    signal = session.get(Signal, signal_id)
    if signal is None:
        raise HTTPException(status.HTTP_404_NOT_FOUND, "No signal with this number.")
    others = patterns.same_sender(db_session=session, signal_id=signal_id)
    return SameSender(
        signal_id=signal_id,
        persistent_contact=signal.persistent_contact,
        others=[SenderSignalOut.model_validate(other) for other in others],
    )


@api.get("/persistent-contacts", response_model=ContactList)
def persistent_contacts(
    _user: Reader,
    session: SessionDep,
    settings: SettingsDep,
    days: Annotated[int | None, Query(ge=1, le=366, description="Default: the detection window")] = None,
    limit: Annotated[int, Query(ge=1, le=500)] = 50,
) -> ContactList:
    """Senders in persistent contact, most signals first: to see, never to block (they still get answers)."""
    window = days or settings.persistent_contact_days
    contacts = patterns.persistent_contacts(db_session=session, days=window, limit=limit)
    return ContactList(
        messages=settings.persistent_contact_messages,
        days=window,
        contacts=[ContactOut.model_validate(c, from_attributes=True) for c in contacts],
    )
