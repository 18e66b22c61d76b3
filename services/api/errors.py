"""Errors on pages answer with a page in the user's language; API errors stay JSON.

A validation error never echoes the input: it names at most MAX_ERRORS fields (`loc`)
with a short `msg`. FastAPI's own answer repeated every rejected value, so 25 MiB of
unknown fields came back as 58 MiB.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api import bodylimit
from services.api.deps import CsrfRefused
from services.api.templates import render

_PAGE_TEXTS = {403: "error.403", 404: "error.404"}
MAX_ERRORS = 20
# Field names come from the client too (an unknown field's name is in its loc).
MAX_NAME_CHARS = 100
MAX_MESSAGE_CHARS = 300


def _short(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def compact_errors(exc: RequestValidationError) -> dict[str, Any]:
    """The JSON body of a 422: `detail` lists up to MAX_ERRORS `{type, loc, msg}`, `more` counts the rest."""
    errors = exc.errors()
    detail = [
        {
            "type": str(error.get("type", "value_error")),
            "loc": [
                part if isinstance(part, int) else _short(str(part), MAX_NAME_CHARS) for part in error["loc"]
            ],
            "msg": _short(str(error.get("msg", "")), MAX_MESSAGE_CHARS),
        }
        for error in errors[:MAX_ERRORS]
    ]
    body: dict[str, Any] = {"detail": detail}
    if len(errors) > MAX_ERRORS:
        body["more"] = len(errors) - MAX_ERRORS
    return body


def _is_page(request: Request) -> bool:
    """A staff page a person looks at (not the API, static files, health or the public form)."""
    path = request.url.path
    if path.startswith(("/api/", "/static/")) or request.method not in ("GET", "POST", "HEAD"):
        return False
    return path not in ("/form", "/healthz", "/readyz", "/metrics")


def _field_names(exc: RequestValidationError) -> str:
    """`query.state, form.ids` → `state, ids`: what the person typed or clicked, without our internals."""
    names = [
        _short(str(error["loc"][-1]), MAX_NAME_CHARS)
        for error in exc.errors()[:MAX_ERRORS]
        if error.get("loc")
    ]
    return ", ".join(dict.fromkeys(names)) or "?"


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(RequestValidationError)
    async def invalid_page_input(request: Request, exc: RequestValidationError) -> Response:
        if not _is_page(request):
            return JSONResponse(compact_errors(exc), status_code=422)
        context = {"message_key": "error.invalid", "message_values": {"fields": _field_names(exc)}}
        return render(request, "error.html", context, status_code=422)

    @app.exception_handler(StarletteHTTPException)
    async def page_or_json(request: Request, exc: StarletteHTTPException) -> Response:
        if not _is_page(request):
            return await http_exception_handler(request, exc)
        if exc.status_code == 413:  # a body cut off while streaming (bodylimit): the same short answer
            return bodylimit.too_large(request, bodylimit.limit_for(request.scope))
        key = (
            "error.csrf" if isinstance(exc, CsrfRefused) else _PAGE_TEXTS.get(exc.status_code, "error.other")
        )
        response = render(request, "error.html", {"message_key": key}, status_code=exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
