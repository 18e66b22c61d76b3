"""A real HTTP server on loopback that answers like a Mastodon instance, for the connector's tests.

It implements what the connector reads, in the shapes docs.joinmastodon.org gives:
`GET /api/v1/accounts/verify_credentials`, `GET /api/v1/notifications` (`types[]`,
`exclude_types[]`, `max_id`, `since_id`, `min_id`, `limit`) and
`GET /api/v1/timelines/tag/:hashtag`, newest first, with Link headers (rel="next"
older, rel="prev" newer), bearer-token auth (401 otherwise) and X-RateLimit-*
headers on every answer (429 once the window is used up, as Mastodon does).
Switches let a test throttle it (429 with Retry-After), break it (503) or stop it
(connection refused) and start it again on the same port.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import itertools
import json
import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlencode, urlsplit

from tests.servers import free_port

EPOCH = dt.datetime(2026, 1, 5, 8, 0, tzinfo=dt.UTC)
INVALID_TOKEN = {"error": "The access token is invalid"}


@dataclass(frozen=True)
class Served:
    path: str
    query: dict[str, list[str]]
    status: int


def _iso(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


class FakeMastodon:
    """One instance: accounts, statuses, notifications for the organisation's account, and switches."""

    def __init__(
        self,
        token: str = "test-token",  # noqa: S107 (a loopback test server's token)
        *,
        rate_limit: int = 300,
        window: float = 300.0,
    ) -> None:
        self.token = token
        self.port = free_port()
        self.rate_limit = rate_limit
        self.window = window
        self.served: list[Served] = []
        self.statuses: list[dict[str, Any]] = []
        self.notifications: list[dict[str, Any]] = []
        self._lock = threading.Lock()
        self._remaining = rate_limit
        self._reset_at = time.time() + window
        self._throttle: tuple[int, float] = (0, 0.0)  # (requests left, Retry-After seconds)
        self._failing: tuple[int, int] = (0, 503)  # (requests left, status)
        self._status_seq = itertools.count()
        self._notification_ids = itertools.count(1)  # small ids: 9 → 10 → 100 tests numeric ordering
        self._server: _Server | None = None
        self.organisation = self.account("gemeente", "Gemeente Voorbeeld")

    # --- running -------------------------------------------------------------------

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def start(self) -> FakeMastodon:
        server = _Server(("127.0.0.1", self.port), _Handler)
        server.mastodon = self
        threading.Thread(target=server.serve_forever, name="fake-mastodon", daemon=True).start()
        self._server = server
        return self

    def stop(self) -> None:
        """Stop listening and drop open connections: clients now get 'connection refused'."""
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server.drop_connections()
            self._server = None

    def __enter__(self) -> FakeMastodon:
        return self.start()

    def __exit__(self, *_exc: object) -> None:
        self.stop()

    # --- switches ------------------------------------------------------------------

    def throttle(self, requests: int, *, retry_after: float) -> None:
        """Answer the next `requests` requests with 429 Too Many Requests and Retry-After."""
        with self._lock:
            self._throttle = (requests, retry_after)

    def fail(self, requests: int, *, status: int = 503) -> None:
        """Answer the next `requests` requests with `status` (e.g. 503 during maintenance)."""
        with self._lock:
            self._failing = (requests, status)

    def limit_remaining(self, remaining: int, *, reset_in: float) -> float:
        """Leave `remaining` requests in the window, which resets in `reset_in` s; returns the reset time."""
        with self._lock:
            self._remaining = remaining
            self._reset_at = time.time() + reset_in
            return self._reset_at

    def requests_to(self, path_prefix: str) -> list[Served]:
        with self._lock:
            return [s for s in self.served if s.path.startswith(path_prefix)]

    # --- data ----------------------------------------------------------------------

    def account(
        self, username: str, display_name: str, *, domain: str | None = None, bot: bool = False
    ) -> dict[str, Any]:
        """An Account entity; `domain` makes it a remote account (acct `user@domain`)."""
        number = sum(ord(c) for c in f"{username}@{domain}") * 7919
        profile = f"https://{domain}/@{username}" if domain else f"{self.url}/@{username}"
        return {
            "id": str(number),
            "username": username,
            "acct": f"{username}@{domain}" if domain else username,
            "display_name": display_name,
            "locked": False,
            "bot": bot,
            "group": False,
            "url": profile,
            "note": "",
            "avatar": f"{profile}/avatar.png",
            "followers_count": 12,
            "following_count": 34,
            "statuses_count": 56,
            "emojis": [],
            "fields": [],
        }

    def post(
        self,
        account: dict[str, Any],
        content: str,
        *,
        tags: tuple[str, ...] = (),
        spoiler_text: str = "",
        language: str | None = "nl",
        visibility: str = "public",
        in_reply_to_id: str | None = None,
        reblog: dict[str, Any] | None = None,
    ) -> dict[str, Any]:
        """Publish a Status (ids are snowflakes: creation time in ms, shifted 16 bits, plus a sequence)."""
        n = next(self._status_seq)
        created = EPOCH + dt.timedelta(minutes=n)
        status_id = str((int(created.timestamp() * 1000) << 16) + n % 65536)
        host = account["url"].split("/@")[0]
        status = {
            "id": status_id,
            "uri": f"{host}/users/{account['username']}/statuses/{status_id}",
            "url": f"{account['url']}/{status_id}",
            "created_at": _iso(created),
            "edited_at": None,
            "account": account,
            "content": "" if reblog else content,
            "visibility": visibility,
            "sensitive": bool(spoiler_text),
            "spoiler_text": spoiler_text,
            "media_attachments": [],
            "application": {"name": "Web", "website": None},
            "mentions": [],
            "tags": [{"name": t.lower(), "url": f"{self.url}/tags/{t.lower()}"} for t in tags],
            "emojis": [],
            "reblogs_count": 0,
            "favourites_count": 0,
            "replies_count": 0,
            "in_reply_to_id": in_reply_to_id,
            "in_reply_to_account_id": None,
            "reblog": reblog,
            "poll": None,
            "card": None,
            "language": language,
        }
        with self._lock:
            self.statuses.append(status)
        return status

    def notify(
        self, kind: str, account: dict[str, Any], status: dict[str, Any] | None = None
    ) -> dict[str, Any]:
        """A Notification for the organisation's account (mention, favourite, follow, …)."""
        notification = {
            "id": str(next(self._notification_ids)),
            "type": kind,
            "created_at": status["created_at"] if status else _iso(EPOCH),
            "account": account,
            "status": status,
        }
        with self._lock:
            self.notifications.append(notification)
        return notification

    def mention(self, account: dict[str, Any], content: str, **status_fields: Any) -> dict[str, Any]:
        """A citizen's status mentioning the organisation, and its mention notification."""
        status = self.post(account, content, **status_fields)
        status["mentions"] = [
            {
                "id": self.organisation["id"],
                "username": "gemeente",
                "url": self.organisation["url"],
                "acct": "gemeente",
            }
        ]
        self.notify("mention", account, status)
        return status

    # --- answering -----------------------------------------------------------------

    def answer(self, path: str, query: dict[str, list[str]], authorization: str | None) -> _Answer:
        with self._lock:
            answer = self._gate(authorization)
            if answer is None:
                answer = self._route(path, query)
            answer.headers.update(self._rate_headers())
            self.served.append(Served(path, query, answer.status))
        return answer

    def _gate(self, authorization: str | None) -> _Answer | None:
        """Rate limiting and switches first (Rack::Attack runs before the API), then the token."""
        now = time.time()
        if now >= self._reset_at:
            self._remaining, self._reset_at = self.rate_limit, now + self.window
        left, retry_after = self._throttle
        if left > 0:
            self._throttle = (left - 1, retry_after)
            return _Answer(429, {"error": "Too many requests"}, {"Retry-After": f"{retry_after:g}"})
        left, status = self._failing
        if left > 0:
            self._failing = (left - 1, status)
            return _Answer(status, {"error": "Service Unavailable"})
        if self._remaining <= 0:
            return _Answer(429, {"error": "Too many requests"})
        self._remaining -= 1
        if authorization != f"Bearer {self.token}":
            return _Answer(401, INVALID_TOKEN)
        return None

    def _rate_headers(self) -> dict[str, str]:
        reset = dt.datetime.fromtimestamp(self._reset_at, dt.UTC)
        return {
            "X-RateLimit-Limit": str(self.rate_limit),
            "X-RateLimit-Remaining": str(max(self._remaining, 0)),
            "X-RateLimit-Reset": reset.isoformat(timespec="microseconds").replace("+00:00", "Z"),
        }

    def _route(self, path: str, query: dict[str, list[str]]) -> _Answer:
        if path == "/api/v1/accounts/verify_credentials":
            return _Answer(200, self.organisation)
        if path == "/api/v1/notifications":
            types, excluded = set(query.get("types[]", [])), set(query.get("exclude_types[]", []))
            items = [
                n
                for n in self.notifications
                if (not types or n["type"] in types) and n["type"] not in excluded
            ]
            return self._page(path, query, items, default_limit=40, max_limit=80)
        if path.startswith("/api/v1/timelines/tag/"):
            tag = unquote(path.removeprefix("/api/v1/timelines/tag/")).lower()
            items = [
                s
                for s in self.statuses
                if s["visibility"] == "public" and any(t["name"] == tag for t in s["tags"])
            ]
            if not items:
                return _Answer(404, {"error": "Record not found"})
            return self._page(path, query, items, default_limit=20, max_limit=40)
        return _Answer(404, {"error": "Record not found"})

    def _page(
        self,
        path: str,
        query: dict[str, list[str]],
        items: list[dict[str, Any]],
        *,
        default_limit: int,
        max_limit: int,
    ) -> _Answer:
        def bound(name: str) -> int | None:
            value = query.get(name, [""])[0]
            return int(value) if value.isdigit() else None

        limit = bound("limit") or default_limit
        limit = min(max(limit, 1), max_limit)
        chosen = sorted(items, key=lambda item: int(item["id"]))
        if (max_id := bound("max_id")) is not None:
            chosen = [i for i in chosen if int(i["id"]) < max_id]
        if (since_id := bound("since_id")) is not None:
            chosen = [i for i in chosen if int(i["id"]) > since_id]
        if (min_id := bound("min_id")) is not None:
            chosen = [i for i in chosen if int(i["id"]) > min_id][:limit]  # immediately newer
        else:
            chosen = chosen[-limit:]
        page = list(reversed(chosen))  # newest first, as every Mastodon list is
        headers = {}
        if page:
            kept = {k: v for k, v in query.items() if k in {"limit", "types[]", "exclude_types[]"}}
            older = urlencode({**kept, "max_id": page[-1]["id"]}, doseq=True)
            newer = urlencode({**kept, "min_id": page[0]["id"]}, doseq=True)
            headers["Link"] = (
                f'<{self.url}{path}?{older}>; rel="next", <{self.url}{path}?{newer}>; rel="prev"'
            )
        return _Answer(200, page, headers)


@dataclass
class _Answer:
    status: int
    body: Any
    headers: dict[str, str] | None = None

    def __post_init__(self) -> None:
        self.headers = dict(self.headers or {})


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    mastodon: FakeMastodon

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        self._open: set[socket.socket] = set()
        self._open_lock = threading.Lock()
        super().__init__(*args, **kwargs)

    def process_request(self, request: Any, client_address: Any) -> None:
        with self._open_lock:
            self._open.add(request)
        super().process_request(request, client_address)

    def shutdown_request(self, request: Any) -> None:
        with self._open_lock:
            self._open.discard(request)
        super().shutdown_request(request)

    def drop_connections(self) -> None:
        """Close kept-alive connections too, so a stopped server is really gone."""
        with self._open_lock:
            sockets, self._open = list(self._open), set()
        for sock in sockets:
            with contextlib.suppress(OSError):
                sock.shutdown(socket.SHUT_RDWR)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as a real instance behind nginx
    timeout = 10
    server: _Server

    def do_GET(self) -> None:  # the standard library's name
        parts = urlsplit(self.path)
        query = parse_qs(parts.query, keep_blank_values=True)
        answer = self.server.mastodon.answer(parts.path, query, self.headers.get("Authorization"))
        body = json.dumps(answer.body, ensure_ascii=False).encode()
        self.send_response(answer.status)
        self.send_header("Content-Type", "application/json; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (answer.headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: Any) -> None:
        pass  # tests read `FakeMastodon.served` instead


# --- test data: citizens writing to the municipality, deterministic -------------------

CITIZENS = [
    ("jan", "Jan de Vries 🚲", "mastodon.social"),
    ("fatma", "Fatma Yılmaz", None),
    ("kees", "Kees", "mastodon.nl"),
    ("anouk", "Anouk ✨ (zij/haar)", None),
]

TEMPLATES = [
    "Al drie weken staat de container in de Dorpsstraat vol 😡 Wanneer wordt die geleegd?",
    "Voor de &quot;derde keer&quot; bel ik over mijn parkeervergunning, en nog steeds geen antwoord.",
    "Bedankt voor de snelle reactie op mijn vraag over het stadskantoor! 👍",
    "De lantaarnpaal bij nr. 12 is al maanden kapot &amp; niemand doet er iets aan.",
    "Waarom duurt een aanvraag voor een paspoort tegenwoordig vijf weken? Belachelijk.",
    "Ik heb één vraag: zijn de openingstijden met de feestdagen anders?",
]


def status_html(server: FakeMastodon, n: int, *, hashtag: str | None = None) -> str:
    """Status HTML as Mastodon renders it: a mention h-card, text, a shortened link, a hashtag."""
    mention = (
        f'<span class="h-card" translate="no"><a href="{server.organisation["url"]}" class="u-url mention">'
        "@<span>gemeente</span></a></span>"
    )
    text = TEMPLATES[n % len(TEMPLATES)]
    link = (
        f'<a href="https://www.example.nl/meldingen/{n}" rel="nofollow noopener noreferrer" target="_blank">'
        '<span class="invisible">https://www.</span><span class="">example.nl/meldingen/'
        f'</span><span class="invisible">{n}</span></a>'
    )
    tag = ""
    if hashtag:
        href = f"{server.url}/tags/{hashtag}"
        tag = f' <a href="{href}" class="mention hashtag" rel="tag">#<span>{hashtag}</span></a>'

    return f"<p>{mention} {text} (melding {n})</p><p>Foto: {link}{tag}</p>"


def citizens(server: FakeMastodon) -> Iterator[dict[str, Any]]:
    """The citizens' accounts, round and round."""
    accounts = [server.account(u, d, domain=h) for u, d, h in CITIZENS]
    return itertools.cycle(accounts)


def add_mentions(server: FakeMastodon, count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """`count` mentions of the organisation, with other notification types in between."""
    who = citizens(server)
    statuses = []
    for n in range(start, start + count):
        account = next(who)
        statuses.append(server.mention(account, status_html(server, n)))
        if n % 7 == 0:
            server.notify("favourite", account, statuses[-1])
        if n % 11 == 0:
            server.notify("follow", account)
    return statuses


def add_tagged(server: FakeMastodon, hashtag: str, count: int, *, start: int = 0) -> list[dict[str, Any]]:
    """`count` public statuses using `hashtag`."""
    who = citizens(server)
    return [
        server.post(next(who), status_html(server, n, hashtag=hashtag), tags=(hashtag,))
        for n in range(start, start + count)
    ]
