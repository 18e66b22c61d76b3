"""The shared audit helper: what it records, and that it lives and dies with the caller's transaction."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from shared import audit
from shared.db import Database
from shared.models import AuditEntry, Department


def entries(database: Database) -> list[AuditEntry]:
    with database.session() as session:
        return list(session.scalars(select(AuditEntry).order_by(AuditEntry.id)))


def test_an_entry_for_a_new_row_names_its_table_and_id(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        department = Department(name="Belastingen")
        session.add(department)  # not flushed yet: the helper has to get the id itself
        audit.record(session, actor="admin", action="department.create", obj=department)
        department_id = department.id

    [entry] = entries(sqlite_database)
    assert department_id is not None
    assert (entry.actor, entry.action) == ("admin", "department.create")
    assert (entry.object_type, entry.object_id) == ("departments", department_id)
    assert entry.detail == {}


def test_an_entry_for_a_type_and_id_stores_its_detail(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        audit.record(
            session,
            actor="system:notify",
            action="notification.unsent",
            object_type="signals",
            object_id=42,
            detail={"kind": "receipt", "reason": "no address"},
        )

    [entry] = entries(sqlite_database)
    assert (entry.object_type, entry.object_id) == ("signals", 42)
    assert entry.detail == {"kind": "receipt", "reason": "no address"}


def test_an_entry_about_no_row_in_particular_has_no_id(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session:
        audit.record(session, actor="ops", action="retry", object_type="messages", detail={"count": 3})

    [entry] = entries(sqlite_database)
    assert (entry.object_type, entry.object_id, entry.detail) == ("messages", None, {"count": 3})


def test_an_entry_is_rolled_back_with_the_change_it_records(sqlite_database: Database) -> None:
    with pytest.raises(RuntimeError), sqlite_database.transaction() as session:
        department = Department(name="Parkeren")
        session.add(department)
        audit.record(session, actor="admin", action="department.create", obj=department)
        raise RuntimeError("the change fails after the entry was written")

    assert entries(sqlite_database) == []


def test_an_object_and_a_type_together_are_refused(sqlite_database: Database) -> None:
    with sqlite_database.transaction() as session, pytest.raises(TypeError):
        audit.record(session, actor="admin", action="x", obj=Department(name="A"), object_type="signals")
