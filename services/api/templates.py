"""Jinja2 rendering with the session's user and CSRF token available to every page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.api.deps import csrf_token

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _age(value: dt.datetime | None) -> str:
    if value is None:
        return ""
    seconds = (dt.datetime.now(dt.UTC) - value).total_seconds()
    if seconds < 3600:
        return f"{max(int(seconds // 60), 0)} min"
    if seconds < 86400:
        return f"{int(seconds // 3600)} u"
    return f"{int(seconds // 86400)} d"


templates.env.filters["age"] = _age
templates.env.filters["date"] = lambda v: v.astimezone(dt.UTC).strftime("%Y-%m-%d") if v else ""


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    context = {"csrf_token": csrf_token(request), "user": getattr(request.state, "user", None), **context}
    return templates.TemplateResponse(request, name, context, status_code=status_code)
