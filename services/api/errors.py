"""Errors on pages answer with a page in the user's language; API errors stay JSON."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.exception_handlers import http_exception_handler
from fastapi.responses import Response
from starlette.exceptions import HTTPException as StarletteHTTPException

from services.api.deps import CsrfRefused
from services.api.templates import render

_PAGE_TEXTS = {403: "error.403", 404: "error.404"}


def install(app: FastAPI) -> None:
    """Register the handler on `app`."""

    @app.exception_handler(StarletteHTTPException)
    async def page_or_json(request: Request, exc: StarletteHTTPException) -> Response:
        path = request.url.path
        if path.startswith(("/api/", "/static/")) or request.method not in ("GET", "POST", "HEAD"):
            return await http_exception_handler(request, exc)
        if path in ("/form", "/healthz", "/readyz", "/metrics"):
            return await http_exception_handler(request, exc)
        key = (
            "error.csrf" if isinstance(exc, CsrfRefused) else _PAGE_TEXTS.get(exc.status_code, "error.other")
        )
        response = render(request, "error.html", {"message_key": key}, status_code=exc.status_code)
        if exc.headers:
            response.headers.update(exc.headers)
        return response
