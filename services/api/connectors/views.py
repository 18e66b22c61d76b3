"""`GET /api/v1/connectors`: connector health and the outbox, for ops (and admins)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request

from services.api.connectors import service
from services.api.connectors.schemas import ConnectorOverview
from services.api.deps import SessionDep, require_role
from services.api.users import Role
from shared.config import OrganisationConfig
from shared.models import User

api = APIRouter(prefix="/api/v1", tags=["connectors"])


def organisation(request: Request) -> OrganisationConfig:
    """The app's organisation config, or the file named by its settings."""
    config = getattr(request.app.state, "config", None)
    if isinstance(config, OrganisationConfig):
        return config
    return service.configured(request.app.state.settings.config)


@api.get("/connectors", response_model=ConnectorOverview)
def list_connectors(
    request: Request,
    _user: Annotated[User, Depends(require_role(Role.ops))],
    session: SessionDep,
    config: Annotated[OrganisationConfig, Depends(organisation)],
) -> ConnectorOverview:
    """Each connector's status, last success and error, counts, lag and warnings; and the outbox."""
    return service.get_overview(db_session=session, config=config, settings=request.app.state.settings)
