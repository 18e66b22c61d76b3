"""Departments and handlers from the YAML configuration, kept in the database."""

from __future__ import annotations

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from shared import config as org_config
from shared.db import Database
from shared.models import AuditEntry, Department


def sync_departments(database: Database, config: org_config.OrganisationConfig) -> None:
    """Create or update the configured departments and mark the default team.

    Safe to run from several processes at once: a concurrent insert of the same
    department is simply retried as an update.
    """
    for attempt in range(3):
        try:
            with database.transaction() as session:
                _sync(session, config)
            return
        except IntegrityError:
            if attempt == 2:
                raise


def _sync(session: Session, config: org_config.OrganisationConfig) -> None:
    wanted = {d.name: d for d in config.departments}
    if config.default_department not in wanted:
        wanted[config.default_department] = org_config.Department(
            name=config.default_department,
            description="Default team: signals no rule or hint sends elsewhere.",
        )
    existing = {d.name: d for d in session.scalars(select(Department))}
    for name, spec in wanted.items():
        department = existing.get(name)
        if department is None:
            department = Department(name=name)
            session.add(department)
            session.add(
                AuditEntry(
                    actor="system:config",
                    action="department.create",
                    object_type="departments",
                    detail={"name": name},
                )
            )
        department.description = spec.description
        department.keywords = list(spec.keywords)
        department.lead_email = spec.lead_email
        department.mailbox = spec.mailbox
        department.followup_days = spec.followup_days
    session.flush()
    session.execute(update(Department).values(is_default=Department.name == config.default_department))


def default_department(session: Session) -> Department:
    department = session.scalars(select(Department).where(Department.is_default)).first()
    if department is None:
        raise LookupError(
            "No default department in the database; start Signaal with `signaal run` or "
            "`signaal route`, which create it from the configuration."
        )
    return department
