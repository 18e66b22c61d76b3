"""Migration 0006 on both databases: assignments made before it keep their reason and get no parts."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import select

from shared import migrate
from shared.db import Database
from shared.models import Assignment
from tests import servers
from tests.routing import classified, handler, organise, route


@pytest.fixture(params=["sqlite", "postgres"])
def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Database]:
    """A database of its own (this test moves the schema down and up again), migrated to the head."""
    if request.param == "sqlite":
        database = Database(f"sqlite:///{tmp_path / 'signaal.db'}")
        migrate.upgrade(database.engine)
        yield database
        database.dispose()
        return
    with servers.scratch_postgres_database() as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        yield database
        database.dispose()


def test_assignments_from_before_the_migration_keep_their_reason_and_get_an_empty_explanation(
    fresh_database: Database,
) -> None:
    organise(fresh_database, handlers=[handler("Anna Smit", "Frontoffice")])
    classified(fresh_database)
    route(fresh_database)
    with fresh_database.session() as session:
        reason = session.scalars(select(Assignment.reason)).one()

    with fresh_database.engine.connect() as connection:  # back to before explanations, rows and all
        config = migrate.alembic_config()
        config.attributes["connection"] = connection
        command.downgrade(config, "0005")
    migrate.upgrade(fresh_database.engine)

    with fresh_database.session() as session:
        assignment = session.scalars(select(Assignment)).one()
        assert (assignment.reason, assignment.explanation) == (reason, [])
