"""`GET /api/v1/connectors`: connector health and the outbox, for ops (and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends

from services.api.connectors import service
from services.api.connectors.schemas import ConnectorOverview
from services.api.deps import ConfigDep, SessionDep, SettingsDep, require_role
from services.api.users import Role
from shared.models import User

api = APIRouter(prefix="/api/v1", tags=["connectors"])


@api.get("/connectors", response_model=ConnectorOverview)
def list_connectors(
    _user: Annotated[User, Depends(require_role(Role.ops))],
    session: SessionDep,
    config: ConfigDep,
    settings: SettingsDep,
) -> ConnectorOverview:
    """Each connector's status, last success and error, counts, lag and warnings; and the outbox."""
    return service.get_overview(db_session=session, config=config, settings=settings)
