"""`/api/v1/departments`, `/handlers`, `/rules`: routing administration for admins (thin; see service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request, Response
from fastapi.responses import JSONResponse

from services.api.deps import PathId, SessionDep, require_role, verify_api_csrf
from services.api.routing import schemas, service
from services.api.users import Role
from services.router import exceptions
from shared.models import Absence, Department, User

_admin = require_role(Role.admin)
Admin = Annotated[User, Depends(_admin)]
# Front office reads departments and handlers to reassign signals.
Staff = Annotated[User, Depends(require_role(Role.frontoffice))]
# Who you are first (401/403), then the CSRF check for cookie sessions; FastAPI runs the role check once.
WRITE = [Depends(_admin), Depends(verify_api_csrf)]

api = APIRouter(prefix="/api/v1", tags=["routing"])

STATUS = {
    exceptions.NotFound: 404,
    exceptions.NotYours: 403,
    exceptions.Conflict: 409,
    exceptions.InvalidTransition: 409,
    exceptions.ExtensionRefused: 409,
}


async def error_response(_request: Request, exc: Exception) -> Response:
    """A refused routing change as JSON `{"detail": …}`, with a status that says what kind."""
    status = next((code for kind, code in STATUS.items() if isinstance(exc, kind)), 400)
    return JSONResponse({"detail": str(exc)}, status_code=status)


# --- departments -------------------------------------------------------------------


@api.get("/departments", response_model=list[schemas.DepartmentRead])
def list_departments(session: SessionDep, _user: Staff) -> list[Department]:
    """Every department (front office and admins)."""
    return service.get_departments(db_session=session)


@api.post("/departments", response_model=schemas.DepartmentRead, status_code=201, dependencies=WRITE)
def create_department(session: SessionDep, body: schemas.DepartmentCreate, admin: Admin) -> Department:
    """Create a department (admins only)."""
    department = service.create_department(db_session=session, data=body, actor=admin.username)
    session.commit()
    return department


@api.patch("/departments/{department_id}", response_model=schemas.DepartmentRead, dependencies=WRITE)
def update_department(
    session: SessionDep, department_id: PathId, body: schemas.DepartmentUpdate, admin: Admin
) -> Department:
    """Change a department's description, keywords, lead, mailbox or follow-up days (admins only)."""
    department = service.update_department(
        db_session=session, department_id=department_id, data=body, actor=admin.username
    )
    session.commit()
    return department


@api.delete("/departments/{department_id}", status_code=204, dependencies=WRITE)
def delete_department(session: SessionDep, department_id: PathId, admin: Admin) -> None:
    """Delete an unused department (admins only)."""
    service.delete_department(db_session=session, department_id=department_id, actor=admin.username)
    session.commit()


# --- handlers ----------------------------------------------------------------------


@api.get("/handlers", response_model=list[schemas.HandlerRead])
def list_handlers(session: SessionDep, _user: Staff) -> list[schemas.HandlerRead]:
    """Every handler with their open follow-ups and whether they are away today."""
    return [
        service.handler_read(db_session=session, handler=h) for h in service.get_handlers(db_session=session)
    ]


@api.post("/handlers", response_model=schemas.HandlerRead, status_code=201, dependencies=WRITE)
def create_handler(session: SessionDep, body: schemas.HandlerCreate, admin: Admin) -> schemas.HandlerRead:
    """Create a handler (admins only)."""
    handler = service.create_handler(db_session=session, data=body, actor=admin.username)
    session.commit()
    return service.handler_read(db_session=session, handler=handler)


@api.patch("/handlers/{handler_id}", response_model=schemas.HandlerRead, dependencies=WRITE)
def update_handler(
    session: SessionDep, handler_id: PathId, body: schemas.HandlerUpdate, admin: Admin
) -> schemas.HandlerRead:
    """Change a handler; `active: false` takes them out of routing (admins only)."""
    handler = service.update_handler(
        db_session=session, handler_id=handler_id, data=body, actor=admin.username
    )
    session.commit()
    return service.handler_read(db_session=session, handler=handler)


@api.get("/handlers/{handler_id}/absences", response_model=list[schemas.AbsenceRead])
def list_absences(session: SessionDep, handler_id: PathId, _admin: Admin) -> list[Absence]:
    """A handler's absences (admins only)."""
    return service.get_absences(db_session=session, handler_id=handler_id)


@api.post(
    "/handlers/{handler_id}/absences", response_model=schemas.AbsenceRead, status_code=201, dependencies=WRITE
)
def create_absence(
    session: SessionDep, handler_id: PathId, body: schemas.AbsenceCreate, admin: Admin
) -> Absence:
    """Record an absence; the handler gets no new signals on those days (admins only)."""
    absence = service.create_absence(
        db_session=session, handler_id=handler_id, data=body, actor=admin.username
    )
    session.commit()
    return absence


@api.delete("/handlers/{handler_id}/absences/{absence_id}", status_code=204, dependencies=WRITE)
def delete_absence(session: SessionDep, handler_id: PathId, absence_id: PathId, admin: Admin) -> None:
    """Remove an absence; waiting signals reach the handler at the router's next waiting pass."""
    service.delete_absence(
        db_session=session, handler_id=handler_id, absence_id=absence_id, actor=admin.username
    )
    session.commit()


# --- rules -------------------------------------------------------------------------


@api.get("/rules", response_model=list[schemas.RuleRead])
def list_rules(session: SessionDep, _admin: Admin) -> list[schemas.RuleRead]:
    """The routing rules in the order they are tried (admins only)."""
    return [service.rule_read(r, d) for r, d in service.get_rules(db_session=session)]


@api.post("/rules", response_model=schemas.RuleRead, status_code=201, dependencies=WRITE)
def create_rule(session: SessionDep, body: schemas.RuleWrite, admin: Admin) -> schemas.RuleRead:
    """Add a routing rule; its regex, if any, is checked first (admins only)."""
    rule = service.create_rule(db_session=session, data=body, actor=admin.username)
    session.commit()
    return service.rule_read(
        rule, service.get_department(db_session=session, department_id=rule.department_id)
    )


@api.put("/rules/{rule_id}", response_model=schemas.RuleRead, dependencies=WRITE)
def replace_rule(
    session: SessionDep, rule_id: PathId, body: schemas.RuleWrite, admin: Admin
) -> schemas.RuleRead:
    """Replace a routing rule (admins only)."""
    rule = service.replace_rule(db_session=session, rule_id=rule_id, data=body, actor=admin.username)
    session.commit()
    return service.rule_read(
        rule, service.get_department(db_session=session, department_id=rule.department_id)
    )


@api.delete("/rules/{rule_id}", status_code=204, dependencies=WRITE)
def delete_rule(session: SessionDep, rule_id: PathId, admin: Admin) -> None:
    """Delete a routing rule (admins only)."""
    service.delete_rule(db_session=session, rule_id=rule_id, actor=admin.username)
    session.commit()
