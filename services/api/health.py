"""Liveness, readiness and Prometheus metrics."""

from __future__ import annotations

import hmac

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse, PlainTextResponse
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from services.api import clientaddress
from services.api.deps import bearer_token
from shared import dberrors, migrate
from shared.db import Database

router = APIRouter(tags=["health"])


@router.get("/healthz")
def healthz() -> dict[str, str]:
    """The process is alive."""
    return {"status": "ok"}


@router.get("/readyz")
def readyz(request: Request) -> JSONResponse:
    """The database answers, takes a write, and its schema is at the newest migration."""
    database: Database = request.app.state.database
    try:
        database.ping()
        reason = migrate.pending_reason(database.engine)
        if not reason:
            _check_write(database)
    except SQLAlchemyError as exc:
        if dberrors.cannot_write(exc):
            reason = f"{dberrors.CANNOT_WRITE} ({dberrors.reason(exc)})"
        else:
            reason = f"database unreachable: {type(exc).__name__}"
    if reason:
        return JSONResponse({"status": "not ready", "reason": reason}, status_code=503)
    return JSONResponse({"status": "ready"})


def _check_write(database: Database) -> None:
    """Change a row and roll back: nothing is kept, but a read-only or full database refuses.

    A database that answers reads while refusing every write (a full disk, a
    read-only mount or replica) must not look ready.
    """
    # On SQLite the write lock is taken at BEGIN, as the pipeline's writes take it.
    writer = (
        database.engine.execution_options(sqlite_begin="IMMEDIATE") if database.is_sqlite else database.engine
    )
    with writer.connect() as conn:
        conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
        conn.rollback()


@router.get("/metrics")
def metrics(request: Request) -> Response:
    """Prometheus exposition: process counters plus messages per state from the database.

    With SIGNAAL_METRICS_TOKEN set, only `Authorization: Bearer <token>` may scrape; without it,
    only this machine (the direct peer, never a forwarded address), so the counters stay internal.
    """
    expected = request.app.state.settings.metrics_token.get_secret_value()
    if expected:
        sent = bearer_token(request) or ""
        if not hmac.compare_digest(sent.encode(), expected.encode()):
            return PlainTextResponse(
                "Send SIGNAAL_METRICS_TOKEN as 'Authorization: Bearer <token>'.\n",
                status_code=401,
                headers={"WWW-Authenticate": "Bearer"},
            )
    elif not (
        # The peer itself, never a forwarded address, opens it; a request a trusted proxy forwarded
        # for another machine stays shut even when that proxy runs here.
        clientaddress.is_loopback(clientaddress.peer(request))
        and clientaddress.is_loopback(clientaddress.client_address(request))
    ):
        return PlainTextResponse(
            "/metrics answers only this machine; set SIGNAAL_METRICS_TOKEN to scrape it from elsewhere.\n",
            status_code=403,
        )
    body = generate_latest(REGISTRY) + generate_latest(request.app.state.metrics_registry)
    return Response(body, media_type=CONTENT_TYPE_LATEST)
