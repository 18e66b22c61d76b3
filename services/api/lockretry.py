"""On SQLite, a staff request whose write lost the race to a worker's commit runs once more.

SQLite in WAL mode cannot turn a read snapshot into a write once another connection
has committed since the read began: the write fails at once with "database is
locked", whatever the busy timeout. During a backlog the pipeline commits many times
a second, so a verdict, a note or a follow-up step posted by staff would often answer
500. Such a request changed nothing (its transaction rolled back), so running it again
from the start is safe; the second run reads a fresh snapshot.

Only small, state-changing staff requests are replayed: their body is kept in memory,
and the public intake keeps its own path (it stores through `Database.transaction`,
which takes the write lock first).
"""

from __future__ import annotations

import asyncio

import structlog
from sqlalchemy.exc import OperationalError
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from services.api import bodylimit, deps
from services.api.intake import limits
from shared.db import is_locked

log = structlog.get_logger(__name__)

ATTEMPTS = 4
FIRST_DELAY_SECONDS = 0.02
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
# Routes that write only through `Database.write` between reads of their own (the login throttle
# must count every failure exactly once), so a replay would add nothing and a held lock would block them.
OWN_WRITES = frozenset({"/login", "/logout", "/logout/everywhere", "/language"})


class RetryLockedWrites:
    """Runs a staff POST/PATCH/PUT/DELETE again (up to ATTEMPTS) when SQLite answered "database is locked"."""

    def __init__(self, app: ASGIApp, *, is_sqlite: bool) -> None:
        self.app = app
        self.is_sqlite = is_sqlite

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not self._replayable(scope):
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # more than its Content-Length said, and more than any staff request sends
            await bodylimit.too_large(Request(scope), bodylimit.SMALL_LIMIT)(scope, receive, send)
            return
        for attempt in range(1, ATTEMPTS + 1):
            started = False

            async def watched_send(message: Message) -> None:
                nonlocal started
                started = started or message["type"] == "http.response.start"
                await send(message)

            # A fresh copy each time: middlewares and routes keep per-request state in the scope.
            attempt_scope = {**scope, "state": dict(scope.get("state") or {})}
            if attempt > 1:
                # Lost once: this time take the write lock before the first read (waits, never fails).
                attempt_scope["state"][deps.WRITE_LOCK_STATE] = True
            try:
                await self.app(attempt_scope, _replay(body, receive), watched_send)
                return
            except OperationalError as exc:
                if started or not is_locked(exc) or attempt == ATTEMPTS:
                    raise
                log.warning(
                    "database locked by a concurrent commit; running the request again", attempt=attempt
                )
                await asyncio.sleep(FIRST_DELAY_SECONDS * 2 ** (attempt - 1))

    def _replayable(self, scope: Scope) -> bool:
        if not self.is_sqlite or scope["type"] != "http" or scope["method"] in SAFE_METHODS:
            return False
        if bodylimit.limit_for(scope) != bodylimit.SMALL_LIMIT:
            return False  # the public intake: large bodies, its own write path
        if scope["path"] in OWN_WRITES:
            return False
        headers = dict(scope.get("headers") or [])
        declared = limits.parse_length(headers.get(b"content-length", b"").decode("latin-1"))
        # Only a declared, small body is kept for a replay; anything else runs once, as before.
        return declared is not None and declared <= bodylimit.SMALL_LIMIT


async def _read_body(receive: Receive) -> bytes | None:
    """The whole body, or None once it passes SMALL_LIMIT."""
    chunks = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > bodylimit.SMALL_LIMIT:
            return None
        chunks.append(chunk)
        if not message.get("more_body", False):
            break
    return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands out the kept body once, then waits on the real one (for disconnects)."""
    sent = False

    async def replay() -> Message:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay
