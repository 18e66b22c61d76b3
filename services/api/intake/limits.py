"""Request body limits for the public endpoints: refused by Content-Length, and counted while streaming.

A declared Content-Length over the limit is answered 413 before a byte is
read. A body without one (chunked) or with a false one is counted as it
arrives and cut off at the limit, so no client can make us buffer more.
"""

from __future__ import annotations

from collections.abc import Callable, Coroutine
from typing import Any

from fastapi import HTTPException, Request, Response, status
from fastapi.responses import JSONResponse
from fastapi.routing import APIRoute
from starlette.types import Message, Receive

ATTACHMENTS_HINT = "Send less (fewer or smaller attachments)."


class BodyTooLarge(HTTPException):
    """The request body is larger than this endpoint accepts."""

    def __init__(self, limit: int, hint: str = ATTACHMENTS_HINT) -> None:
        super().__init__(
            status.HTTP_413_CONTENT_TOO_LARGE,
            f"The request body is larger than {limit} bytes, the most this endpoint accepts. {hint}",
        )
        self.limit = limit


def counting_receive(receive: Receive, limit: int, hint: str = ATTACHMENTS_HINT) -> Receive:
    """`receive` that raises BodyTooLarge once more than `limit` body bytes have arrived."""
    received = 0

    async def wrapped() -> Message:
        nonlocal received
        message = await receive()
        if message["type"] == "http.request":
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit, hint)
        return message

    return wrapped


def declared_length(request: Request) -> int | None:
    return parse_length(request.headers.get("content-length", ""))


def parse_length(value: str) -> int | None:
    """A Content-Length header's value, or None when absent or not a number."""
    return int(value) if value.isascii() and value.isdigit() and len(value) < 20 else None


class LimitedBodyRoute(APIRoute):
    """A route whose body is limited to what the app's intake state allows for its path."""

    def too_large(self, request: Request, limit: int) -> Response:
        """The answer to an oversized body; pages override this to explain in HTML."""
        return JSONResponse({"detail": BodyTooLarge(limit).detail}, status_code=413)

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def limited(request: Request) -> Response:
            limit = request.app.state.intake.body_limit(request)
            declared = declared_length(request)
            if declared is not None and declared > limit:
                return self.too_large(request, limit)
            try:
                return await handler(Request(request.scope, counting_receive(request.receive, limit)))
            except BodyTooLarge as exc:
                return self.too_large(request, exc.limit)

        return limited
