"""A size limit on every request body, applied before anything reads or parses it (pure ASGI).

Without it /login, /logout, /language and the staff forms took any body: 400 MiB
were spooled to disk before the CSRF check refused them. A Content-Length over the
limit is answered 413 before a byte is read; a body without one (chunked) or with
a false one is counted as it arrives and cut off at the limit. The public intake
endpoints keep their own, configured limits (`Intake.body_limit_at`) and answers;
everything else gets SMALL_LIMIT, above any staff form or JSON call.
"""

from __future__ import annotations

from fastapi import Request
from fastapi.responses import JSONResponse, PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api.intake import limits
from services.api.intake import views as intake_views
from services.api.intake.deps import FORM_PATH

# The largest staff input (a 10,000-character note or description, percent- or \u-escaped at up
# to 12 bytes a character) fits; a flood does not.
SMALL_LIMIT = 256 * 1024
SMALL_HINT = "Staff forms and API calls are small; send less."


def limit_for(scope: Scope) -> int:
    """The most body bytes the request in `scope` may send."""
    intake = getattr(scope["app"].state, "intake", None) if "app" in scope else None
    intake_limit = intake.body_limit_at(scope["path"]) if intake is not None else None
    return SMALL_LIMIT if intake_limit is None else intake_limit


def too_large(request: Request, limit: int) -> Response:
    """The 413 answer: the form's own page, JSON for the API, a short text for staff pages."""
    path = request.url.path
    if path == FORM_PATH:
        return intake_views.too_large_page(request)
    if path.startswith("/api/"):
        hint = limits.ATTACHMENTS_HINT if limit != SMALL_LIMIT else SMALL_HINT
        return JSONResponse({"detail": limits.BodyTooLarge(limit, hint).detail}, status_code=413)
    kilobytes = limit // 1024
    return PlainTextResponse(
        f"Het verzoek is te groot: meer dan {kilobytes} kB. Ga terug en verstuur minder.\n"
        f"The request is too large: over {kilobytes} kB. Go back and send less.\n",
        status_code=413,
    )


class BodyLimitMiddleware:
    """Refuses (413) a request body over `limit_for` its path, declared or streamed."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = limit_for(scope)
        declared = limits.parse_length(Request(scope).headers.get("content-length", ""))
        if declared is not None and declared > limit:
            await too_large(Request(scope), limit)(scope, receive, send)
            return
        started = False

        async def watched_send(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        hint = SMALL_HINT if limit == SMALL_LIMIT else limits.ATTACHMENTS_HINT
        try:
            await self.app(scope, limits.counting_receive(receive, limit, hint), watched_send)
        except limits.BodyTooLarge as exc:
            # Routes that read the body themselves (request.form() in a handler) let it rise to here.
            if started:
                raise
            await too_large(Request(scope), exc.limit)(scope, receive, send)
