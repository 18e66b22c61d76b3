"""Factories for router tests: an organisation from a config dict, classified messages, the route stage."""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import select

from services.ingest.sink import Sink
from services.router import choice
from services.router.departments import sync_departments
from services.router.stage import RouteStage
from shared.config import OrganisationConfig, Routing
from shared.db import Database
from shared.models import Assignment, Classification, Handler, Message, Signal
from shared.pipeline import Worker
from shared.settings import get_settings
from shared.states import State
from tests.conftest import make_incoming


def organise(database: Database, **config: Any) -> OrganisationConfig:
    """Validate `config` like the YAML file and apply it to the database."""
    parsed = OrganisationConfig.model_validate(config)
    sync_departments(database, parsed)
    return parsed


def handler(name: str, *departments: str, **fields: Any) -> dict[str, Any]:
    """A handler entry for `organise`, with an email made from the name."""
    email = name.lower().replace(" ", ".") + "@example.nl"
    return {"name": name, "email": email, "departments": list(departments), **fields}


def classified_messages(
    database: Database,
    texts: list[str],
    *,
    language: str = "nl",
    band: str = "high",
    hints: list[dict[str, Any]] | None = None,
    **incoming: Any,
) -> list[int]:
    """Store messages and classify them as given, ready for the route stage."""
    stored = Sink(database, "test").store([make_incoming(text, **incoming) for text in texts])
    ids = [s.message_id for s in stored]
    with database.transaction() as session:
        for message in session.scalars(select(Message).where(Message.id.in_(ids))):
            message.state = State.classified
            message.language = language
            session.add(
                Classification(
                    message_id=message.id,
                    model_version="test",
                    score=0.9 if band == "high" else 0.6,
                    threshold=0.5,
                    flagged=True,
                    band=band,
                    language=language,
                    department_hints=hints or [],
                )
            )
    return ids


def classified(database: Database, text: str = "Al weken geen reactie.", **kwargs: Any) -> int:
    return classified_messages(database, [text], **kwargs)[0]


def base_url() -> str:
    """The public address in the process settings, as the route worker and the waiting pass get it."""
    return get_settings().base_url


def route(database: Database, routing: Routing | None = None) -> int:
    return Worker(RouteStage(get_settings(), routing), database).drain()


def routed(database: Database, message_id: int) -> tuple[Signal, Assignment, str | None, str]:
    """The signal, its newest assignment, its handler's name and its department's name."""
    with database.session() as session:
        signal = session.scalars(select(Signal).where(Signal.message_id == message_id)).one()
        assignment = session.scalars(
            select(Assignment).where(Assignment.signal_id == signal.id).order_by(Assignment.id.desc())
        ).first()
        assert assignment is not None
        handler_name = signal.handler.name if signal.handler else None
        department = signal.department.name if signal.department else ""
        return signal, assignment, handler_name, department


def handler_id(database: Database, name: str) -> int:
    with database.session() as session:
        return session.scalars(select(Handler.id).where(Handler.name == name)).one()


def around_today(days: int = 1) -> dict[str, dt.date]:
    """An absence covering today (Amsterdam)."""
    today = choice.today()
    return {"start": today - dt.timedelta(days=days), "end": today + dt.timedelta(days=days)}
