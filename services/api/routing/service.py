"""Routing administration: departments, handlers, absences and rules; every change audited."""

from __future__ import annotations

from typing import Any, TypeVar

from sqlalchemy import func, select
from sqlalchemy.orm import Session, aliased

from services.api.routing import schemas
from services.router import choice
from services.router.assign import return_to_queue
from services.router.changes import apply_changes, audit
from services.router.exceptions import Conflict, NotFound
from shared import states
from shared.models import Absence, Assignment, Department, FollowUp, Handler, RoutingRule, Signal, User

T = TypeVar("T")


def _created(db_session: Session, obj: T, *, actor: str, action: str, detail: dict[str, Any]) -> T:
    """Insert `obj` and audit its creation."""
    db_session.add(obj)
    db_session.flush()
    audit(db_session, actor=actor, action=action, obj=obj, detail=detail)
    return obj


# --- departments -------------------------------------------------------------------


def get_departments(*, db_session: Session) -> list[Department]:
    """Every department, by name."""
    return list(db_session.scalars(select(Department).order_by(Department.name)))


def get_department(*, db_session: Session, department_id: int) -> Department:
    """The department, or NotFound."""
    department = db_session.get(Department, department_id)
    if department is None:
        raise NotFound(f"There is no department {department_id}.")
    return department


def _departments_named(db_session: Session, names: list[str]) -> list[Department]:
    found = {d.name: d for d in db_session.scalars(select(Department).where(Department.name.in_(names)))}
    missing = [n for n in names if n not in found]
    if missing:
        raise NotFound(f"Unknown department(s): {', '.join(missing)}. Create them first.")
    return [found[n] for n in dict.fromkeys(names)]


def create_department(*, db_session: Session, data: schemas.DepartmentCreate, actor: str) -> Department:
    """Create a department; its name must be new."""
    if db_session.scalar(select(Department.id).where(Department.name == data.name)) is not None:
        raise Conflict(f"A department named {data.name!r} already exists.")
    values = data.model_dump(mode="json", exclude={"name"})
    department = Department(name=data.name, **values)
    return _created(
        db_session, department, actor=actor, action="department.create", detail={"name": data.name}
    )


def update_department(
    *, db_session: Session, department_id: int, data: schemas.DepartmentUpdate, actor: str
) -> Department:
    """Change the fields given."""
    department = get_department(db_session=db_session, department_id=department_id)
    changes = apply_changes(department, data.model_dump(mode="json", exclude_unset=True))
    audit(
        db_session,
        actor=actor,
        action="department.update",
        obj=department,
        detail={"name": department.name, **changes},
    )
    return department


def delete_department(*, db_session: Session, department_id: int, actor: str) -> None:
    """Delete a department that no signal, rule or handler uses any more, and that is not the default team."""
    department = get_department(db_session=db_session, department_id=department_id)
    if department.is_default:
        raise Conflict(f"{department.name} is the default team; choose another default_department first.")
    if db_session.scalar(select(func.count()).where(Signal.department_id == department.id)):
        raise Conflict(f"{department.name} holds signals; reassign them before deleting it.")
    rules = db_session.scalars(
        select(RoutingRule.name).where(RoutingRule.department_id == department.id)
    ).all()
    if rules:
        raise Conflict(f"Rules still send signals to {department.name}: {', '.join(rules)}.")
    if department.handlers:
        raise Conflict(f"{department.name} still has handlers; move them to another department first.")
    audit(
        db_session, actor=actor, action="department.delete", obj=department, detail={"name": department.name}
    )
    db_session.delete(department)


# --- handlers ----------------------------------------------------------------------


def handler_read(*, db_session: Session, handler: Handler) -> schemas.HandlerRead:
    """A handler with their current load and presence."""
    return schemas.HandlerRead(
        id=handler.id,
        name=handler.name,
        email=handler.email,
        departments=sorted(d.name for d in handler.departments),
        capacity=handler.capacity,
        languages=handler.languages,
        active=handler.active,
        user_id=handler.user_id,
        open_follow_ups=choice.open_loads(db_session, [handler.id]).get(handler.id, 0),
        absent_today=bool(choice.absent_today(db_session, [handler.id], choice.today())),
    )


def get_handlers(*, db_session: Session) -> list[Handler]:
    """Every handler, by name."""
    return list(db_session.scalars(select(Handler).order_by(Handler.name, Handler.id)))


def get_handler(*, db_session: Session, handler_id: int) -> Handler:
    """The handler, or NotFound."""
    handler = db_session.get(Handler, handler_id)
    if handler is None:
        raise NotFound(f"There is no handler {handler_id}.")
    return handler


def _check_user(db_session: Session, user_id: int | None) -> None:
    if user_id is not None and db_session.get(User, user_id) is None:
        raise NotFound(f"There is no staff account {user_id}.")


def create_handler(*, db_session: Session, data: schemas.HandlerCreate, actor: str) -> Handler:
    """Create a handler in the named departments; their email must be new."""
    email = str(data.email).lower()
    if db_session.scalar(select(Handler.id).where(func.lower(Handler.email) == email)) is not None:
        raise Conflict(f"A handler with the email address {email} already exists.")
    _check_user(db_session, data.user_id)
    handler = Handler(
        name=data.name,
        email=email,
        capacity=data.capacity,
        languages=data.languages,
        user_id=data.user_id,
        departments=_departments_named(db_session, data.departments),
    )
    return _created(db_session, handler, actor=actor, action="handler.create", detail={"name": handler.name})


def update_handler(
    *, db_session: Session, handler_id: int, data: schemas.HandlerUpdate, actor: str
) -> Handler:
    """Change the fields given; `departments` replaces the list."""
    handler = get_handler(db_session=db_session, handler_id=handler_id)
    values = data.model_dump(exclude_unset=True)
    if "departments" in values:
        handler.departments = _departments_named(db_session, values.pop("departments"))
    if "user_id" in values:
        _check_user(db_session, values["user_id"])
    changes = apply_changes(handler, values)
    if data.departments is not None:
        changes["departments"] = data.departments
    audit(
        db_session,
        actor=actor,
        action="handler.update",
        obj=handler,
        detail={"name": handler.name, **changes},
    )
    if changes.get("active") is False:
        _requeue_open_signals(db_session, handler, actor=actor)
    return handler


def _requeue_open_signals(db_session: Session, handler: Handler, *, actor: str) -> None:
    """A deactivated handler's open signals go back to their departments' queues, never left lying."""
    still_open = select(FollowUp.id).where(
        FollowUp.signal_id == Signal.id, FollowUp.status.in_(states.OPEN_FOLLOW_UP_STATES)
    )
    held = db_session.scalars(
        select(Signal).where(Signal.handler_id == handler.id, still_open.exists())
    ).all()
    for signal in held:
        return_to_queue(
            db_session,
            signal,
            rule="handler-deactivated",
            reason="handler.deactivated",
            actor=actor,
            handler=handler.name,
        )


def get_waiting(*, db_session: Session, department_id: int | None = None) -> list[schemas.WaitingRead]:
    """Signals waiting for a handler, longest waiting first, with the reason nobody took them."""
    earlier = aliased(Assignment)
    newest = select(func.max(earlier.id)).where(earlier.signal_id == Signal.id).scalar_subquery()
    query = (
        select(Signal, Assignment.reason, Assignment.explanation)
        .join(Assignment, Assignment.id == newest)
        .where(Signal.waiting_since.is_not(None))
        .order_by(Signal.waiting_since, Signal.id)
    )
    if department_id is not None:
        query = query.where(Signal.department_id == department_id)
    return [
        schemas.WaitingRead(
            signal_id=signal.id,
            reference=signal.message.reference,
            department=signal.department.name if signal.department else "",
            waiting_since=signal.waiting_since,
            reason=reason,
            explanation=explanation,
        )
        for signal, reason, explanation in db_session.execute(query).all()
    ]


# --- absences ----------------------------------------------------------------------


def get_absences(*, db_session: Session, handler_id: int) -> list[Absence]:
    """A handler's absences, earliest first."""
    handler = get_handler(db_session=db_session, handler_id=handler_id)
    return sorted(handler.absences, key=lambda a: (a.start, a.id))


def create_absence(
    *, db_session: Session, handler_id: int, data: schemas.AbsenceCreate, actor: str
) -> Absence:
    """Record that a handler is away from `start` to `end` (both included)."""
    handler = get_handler(db_session=db_session, handler_id=handler_id)
    absence = Absence(handler_id=handler.id, start=data.start, end=data.end)
    detail = {"handler": handler.name, "start": str(data.start), "end": str(data.end)}
    return _created(db_session, absence, actor=actor, action="absence.create", detail=detail)


def delete_absence(*, db_session: Session, handler_id: int, absence_id: int, actor: str) -> None:
    """Remove an absence (the handler is back, or it was entered by mistake)."""
    absence = db_session.get(Absence, absence_id)
    if absence is None or absence.handler_id != handler_id:
        raise NotFound(f"Handler {handler_id} has no absence {absence_id}.")
    detail = {"handler_id": handler_id, "start": str(absence.start), "end": str(absence.end)}
    audit(db_session, actor=actor, action="absence.delete", obj=absence, detail=detail)
    db_session.delete(absence)


# --- rules -------------------------------------------------------------------------


def rule_read(rule: RoutingRule, department: Department) -> schemas.RuleRead:
    return schemas.RuleRead(
        id=rule.id,
        position=rule.position,
        name=rule.name,
        description=rule.description,
        department=department.name,
        conditions=rule.conditions,
        enabled=rule.enabled,
    )


def get_rules(*, db_session: Session) -> list[tuple[RoutingRule, Department]]:
    """Every rule in the order the router tries them."""
    rows = db_session.execute(
        select(RoutingRule, Department)
        .join(Department, RoutingRule.department_id == Department.id)
        .order_by(RoutingRule.position, RoutingRule.id)
    ).all()
    return [(rule, department) for rule, department in rows]


def get_rule(*, db_session: Session, rule_id: int) -> RoutingRule:
    """The rule, or NotFound."""
    rule = db_session.get(RoutingRule, rule_id)
    if rule is None:
        raise NotFound(f"There is no rule {rule_id}.")
    return rule


def _rule_values(db_session: Session, data: schemas.RuleWrite) -> dict[str, Any]:
    [department] = _departments_named(db_session, [data.department])
    return {
        "name": data.name,
        "description": data.description,
        "department_id": department.id,
        "conditions": data.conditions(),
        "enabled": data.enabled,
    }


def create_rule(*, db_session: Session, data: schemas.RuleWrite, actor: str) -> RoutingRule:
    """Add a rule (last, unless a position is given); its name must be new."""
    if db_session.scalar(select(RoutingRule.id).where(RoutingRule.name == data.name)) is not None:
        raise Conflict(f"A rule named {data.name!r} already exists.")
    position = data.position
    if position is None:
        position = (db_session.scalar(select(func.max(RoutingRule.position))) or 0) + 1
    rule = RoutingRule(position=position, **_rule_values(db_session, data))
    return _created(db_session, rule, actor=actor, action="rule.create", detail={"name": rule.name})


def replace_rule(*, db_session: Session, rule_id: int, data: schemas.RuleWrite, actor: str) -> RoutingRule:
    """Replace a rule's name, description, department and conditions (and position when given)."""
    rule = get_rule(db_session=db_session, rule_id=rule_id)
    clash = db_session.scalar(
        select(RoutingRule.id).where(RoutingRule.name == data.name, RoutingRule.id != rule_id)
    )
    if clash is not None:
        raise Conflict(f"Another rule is named {data.name!r}.")
    values = _rule_values(db_session, data)
    if data.position is not None:
        values["position"] = data.position
    changes = apply_changes(rule, values)
    audit(db_session, actor=actor, action="rule.update", obj=rule, detail={"name": rule.name, **changes})
    return rule


def delete_rule(*, db_session: Session, rule_id: int, actor: str) -> None:
    """Delete a rule; signals it routed keep their assignment and its recorded reason."""
    rule = get_rule(db_session=db_session, rule_id=rule_id)
    audit(db_session, actor=actor, action="rule.delete", obj=rule, detail={"name": rule.name})
    db_session.delete(rule)
