"""Departments, handlers, absences and routing rules from the YAML configuration, kept in the database.

The file is applied at every start of the router (and of `signaal run`): what it
names is created or brought back to the file's values; what the API added and
the file does not name is left alone. So an organisation can keep everything in
the file, manage everything through the API, or mix (file for the structure,
API for absences). Absences are only ever added from the file, never removed,
so absences entered through the API survive a restart. Every change is audited
as `system:config`.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from services.router.changes import apply_changes, audit
from shared import config as org_config
from shared.db import Database
from shared.models import Absence, Department, Handler, RoutingRule

CONFIG_ACTOR = "system:config"


def sync_departments(database: Database, config: org_config.OrganisationConfig) -> None:
    """Apply the configured departments, handlers, absences and rules; mark the default team.

    Safe to run from several processes at once: a concurrent insert of the same
    row is simply retried as an update.
    """
    for attempt in range(3):
        try:
            with database.transaction() as session:
                departments = _sync_departments(session, config)
                _sync_handlers(session, config, departments)
                _sync_rules(session, config, departments)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _upsert(session: Session, obj: Any, is_new: bool, values: dict[str, Any], kind: str, name: str) -> None:
    if is_new:
        session.add(obj)
    changed = apply_changes(obj, values)
    session.flush()
    if is_new:
        audit(session, actor=CONFIG_ACTOR, action=f"{kind}.create", obj=obj, detail={"name": name})
    elif changed:
        audit(session, actor=CONFIG_ACTOR, action=f"{kind}.update", obj=obj, detail={"name": name, **changed})


def _sync_departments(session: Session, config: org_config.OrganisationConfig) -> dict[str, Department]:
    wanted = {d.name: d for d in config.departments}
    if config.default_department not in wanted:
        wanted[config.default_department] = org_config.Department(
            name=config.default_department,
            description="Default team: signals no rule or hint sends elsewhere.",
        )
    existing = {d.name: d for d in session.scalars(select(Department))}
    for name, spec in wanted.items():
        department = existing.get(name) or Department(name=name)
        values = spec.model_dump(exclude={"name"})
        values["lead_email"] = spec.lead_email and str(spec.lead_email)
        values["mailbox"] = spec.mailbox and str(spec.mailbox)
        _upsert(session, department, name not in existing, values, "department", name)
        existing[name] = department
    session.execute(update(Department).values(is_default=Department.name == config.default_department))
    return existing


def _sync_handlers(
    session: Session, config: org_config.OrganisationConfig, departments: dict[str, Department]
) -> None:
    existing = {h.email.lower(): h for h in session.scalars(select(Handler))}
    for spec in config.handlers:
        email = str(spec.email).lower()
        is_new = email not in existing
        handler = existing.get(email) or Handler(email=email)
        wanted = [departments[name] for name in spec.departments]
        if is_new:
            handler.departments = wanted
        values = {"name": spec.name, "capacity": spec.capacity, "languages": list(spec.languages)}
        _upsert(session, handler, is_new, values, "handler", spec.name)
        if {d.id for d in handler.departments} != {d.id for d in wanted}:
            handler.departments = wanted
            detail = {"name": spec.name, "departments": list(spec.departments)}
            audit(session, actor=CONFIG_ACTOR, action="handler.update", obj=handler, detail=detail)
        known = {(a.start, a.end) for a in handler.absences}
        for absence in spec.absences:
            if (absence.start, absence.end) not in known:
                row = Absence(handler=handler, start=absence.start, end=absence.end)
                session.add(row)
                session.flush()
                detail = {"handler": spec.name, "start": str(absence.start), "end": str(absence.end)}
                audit(session, actor=CONFIG_ACTOR, action="absence.create", obj=row, detail=detail)


def _sync_rules(
    session: Session, config: org_config.OrganisationConfig, departments: dict[str, Department]
) -> None:
    existing = {r.name: r for r in session.scalars(select(RoutingRule))}
    for position, spec in enumerate(config.rules):
        rule = existing.get(spec.name) or RoutingRule(name=spec.name)
        values = {
            "position": position,
            "description": spec.description,
            "department_id": departments[spec.department].id,
            "conditions": spec.conditions(),
            "enabled": True,
        }
        _upsert(session, rule, spec.name not in existing, values, "rule", spec.name)


def default_department(session: Session) -> Department:
    department = session.scalars(select(Department).where(Department.is_default)).first()
    if department is None:
        raise LookupError(
            "No default department in the database; start Signaal with `signaal run` or "
            "`signaal route`, which create it from the configuration."
        )
    return department
