"""Errors on pages answer with a page in the user's language; API errors stay JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler, request_validation_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.deps import CsrfRefused
from services.api.templates import render

_PAGE_TEXTS = {403: "error.403", 404: "error.404"}


def _is_page(request: Request) -> bool:
    """A staff page a person looks at (not the API, static files, health or the public form)."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or request.method not in ("GET", "POST", "HEAD"):
        return False
    return path not in ("/form", "/healthz", "/readyz", "/metrics")


def _field_names(exc: RequestValidationError) -> str:
    """`query.state, form.ids` → `state, ids`: what the person typed or clicked, without our internals."""
    names = [str(error["loc"][-1]) for error in exc.errors() if error.get("loc")]
    return ", ".join(dict.fromkeys(names)) or "?"


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(RequestValidationError)
    async def invalid_page_input(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return await request_validation_exception_handler(request, exc)
        context = {"message_key": "error.invalid", "message_values": {"fields": _field_names(exc)}}
        return render(request, "error.html", context, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def page_or_json(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request):
            return await http_exception_handler(request, exc)
        key = (
            "error.csrf" if isinstance(exc, CsrfRefused) else _PAGE_TEXTS.get(exc.status_code, "error.other")
        )
        response = render(request, "error.html", {"message_key": key}, status_code=exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
