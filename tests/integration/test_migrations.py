"""The migrations build exactly the schema the models describe, on both databases."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import inspect

from shared import migrate
from shared.db import Database
from shared.models import Base


def test_migrations_match_the_models(database: Database) -> None:
    with database.engine.connect() as connection:
        differences = compare_metadata(
            MigrationContext.configure(connection, opts={"compare_type": True}), Base.metadata
        )
    assert differences == []


def test_the_database_is_at_head_after_upgrade(database: Database) -> None:
    assert migrate.pending_reason(database.engine) is None
    assert migrate.current_revision(database.engine) == migrate.head_revision()


def test_upgrade_is_safe_to_run_again(database: Database) -> None:
    migrate.upgrade(database.engine)
    assert "messages" in inspect(database.engine).get_table_names()


def test_messages_have_a_unique_dedupe_key_per_source(database: Database) -> None:
    constraints = inspect(database.engine).get_unique_constraints("messages")
    assert any(set(c["column_names"]) == {"source", "dedupe_key"} for c in constraints)
