"""The FastAPI application: staff UI, REST API, health and metrics in one ASGI app."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, FastAPI, Request
from fastapi.responses import RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from prometheus_client import CollectorRegistry
from starlette.middleware.sessions import SessionMiddleware

from services.api import auth, bodylimit, docs, errors, health, lockretry
from services.api.access import views as access_views
from services.api.connectors import metrics as connector_metrics
from services.api.connectors import views as connector_views
from services.api.deps import LoginRequired, optional_user
from services.api.followups import views as followup_pages
from services.api.insights import views as insight_views
from services.api.intake import api_views as intake_api
from services.api.intake import views as intake_views
from services.api.intake.deps import Intake
from services.api.ops import views as ops_views
from services.api.patterns import views as pattern_views
from services.api.routing import views as routing_views
from services.api.routing import work_views as follow_up_views
from services.api.signals import bulk_assign
from services.api.signals import views as signal_views
from services.router.exceptions import RoutingError
from shared import metrics
from shared.config import OrganisationConfig
from shared.db import Database
from shared.models import User
from shared.settings import Environment, Settings

SESSION_MAX_AGE = 8 * 3600  # one working day

SECURITY_HEADERS = {
    # No inline scripts anywhere; untrusted mail HTML is shown only in sandboxed iframes.
    "Content-Security-Policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "frame-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
}
HSTS = {"Strict-Transport-Security": "max-age=31536000; includeSubDomains"}


def create_app(
    settings: Settings, database: Database, *, config: OrganisationConfig | None = None
) -> FastAPI:
    app = FastAPI(
        title="Signaal",
        version="0.1.0",
        description="Complaint-recognition inbox: signals, follow-ups, connectors.",
        docs_url=None,  # served by services.api.docs without a CDN or inline script
        openapi_url="/api/openapi.json",
        redoc_url=None,
    )
    app.state.settings = settings
    app.state.database = database
    app.state.config = config if config is not None else OrganisationConfig()
    # Validates the webform and webhook entries now, so a bad one stops start-up, not a request.
    app.state.intake = Intake.build(app.state.config, settings)
    app.state.metrics_registry = CollectorRegistry()
    metrics.register_database_collector(app.state.metrics_registry, database)
    connector_metrics.register_connector_collector(
        app.state.metrics_registry, database, settings, app.state.config
    )

    # Innermost of the middlewares, so its 413 answers get the security headers too.
    app.add_middleware(bodylimit.BodyLimitMiddleware)
    app.add_middleware(
        SessionMiddleware,
        secret_key=settings.secret_key,
        session_cookie="signaal_session",
        max_age=SESSION_MAX_AGE,
        same_site="lax",
        https_only=settings.env is Environment.production,
    )
    # Outside the session middleware, so a replayed request decodes its cookie afresh.
    app.add_middleware(lockretry.RetryLockedWrites, is_sqlite=database.is_sqlite)

    # Production is served over HTTPS (its cookies are Secure-only); browsers should never try plain HTTP.
    headers = SECURITY_HEADERS | (HSTS if settings.env is Environment.production else {})

    @app.middleware("http")
    async def security_headers(request: Request, call_next):  # type: ignore[no-untyped-def]
        response: Response = await call_next(request)
        for name, value in headers.items():
            response.headers.setdefault(name, value)
        return response

    @app.exception_handler(LoginRequired)
    async def to_login(request: Request, _exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)

    errors.install(app)

    @app.get("/", include_in_schema=False)
    def home(user: Annotated[User | None, Depends(optional_user)]) -> Response:
        # Ops has no queue to start from: its dashboard is its home.
        target = "/ops" if user is not None and user.role == "ops" else "/queue"
        return RedirectResponse(target, status_code=303)

    app.mount("/static", StaticFiles(directory=Path(__file__).parent / "static"), name="static")
    app.include_router(health.router)
    app.include_router(auth.router)
    app.include_router(docs.router)
    app.include_router(access_views.pages)
    app.include_router(access_views.api)
    app.include_router(bulk_assign.pages)
    app.include_router(bulk_assign.api)
    app.include_router(signal_views.pages)
    app.include_router(signal_views.api)
    app.include_router(intake_views.router)
    app.include_router(intake_api.router)
    app.include_router(connector_views.api)
    app.include_router(routing_views.api)
    app.include_router(follow_up_views.api)
    app.add_exception_handler(RoutingError, routing_views.error_response)
    app.include_router(pattern_views.api)
    app.include_router(followup_pages.pages)
    app.include_router(followup_pages.api)
    app.include_router(ops_views.pages)
    app.include_router(ops_views.api)
    app.include_router(insight_views.pages)
    app.include_router(insight_views.api)
    return app
