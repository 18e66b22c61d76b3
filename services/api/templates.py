"""Jinja2 rendering with the session's user and CSRF token available to every page."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.templating import Jinja2Templates

from services.api import i18n
from services.api.deps import csrf_token
from shared import workdays

templates = Jinja2Templates(directory=str(Path(__file__).parent / "templates"))


def _age(value: dt.datetime | None, language: str) -> str:
    """How long ago, in the largest whole unit: minutes, hours or days."""
    if value is None:
        return ""
    seconds = (dt.datetime.now(dt.UTC) - value).total_seconds()
    if seconds < 3600:
        return i18n.text("age.minutes", language, n=max(int(seconds // 60), 0))
    if seconds < 86400:
        return i18n.text("age.hours", language, n=int(seconds // 3600))
    return i18n.text("age.days", language, n=int(seconds // 86400))


def _local(value: dt.datetime | None, fmt: str) -> str:
    """A moment as staff read it: Amsterdam time (deadlines end at 17:00 there, not 16:00 UTC)."""
    return value.astimezone(workdays.AMSTERDAM).strftime(fmt) if value else ""


templates.env.filters["date"] = lambda v: _local(v, "%Y-%m-%d")
templates.env.filters["datetime"] = lambda v: _local(v, "%Y-%m-%d %H:%M")


def render(request: Request, name: str, context: dict[str, Any], status_code: int = 200) -> HTMLResponse:
    """A staff page in the session's language: `t(key, **values)` gives its texts."""
    language = i18n.language_of(request)
    context = {
        "csrf_token": csrf_token(request),
        "user": getattr(request.state, "user", None),
        "lang": language,
        "t": lambda key, **values: i18n.text(key, language, **values),
        "age": lambda value: _age(value, language),
        **context,
    }
    return templates.TemplateResponse(request, name, context, status_code=status_code)
