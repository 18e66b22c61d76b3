"""Mastodon: mentions of the organisation's account and hashtag timelines, read with httpx.

Each feed ("mentions", "tag:<name>") keeps a `since_id` cursor. A poll pages
*forward* from it (`min_id`, then the Link header's rel="prev" URL) and stores
each page together with the cursor at that page's newest id, so the cursor never
passes a status that is not stored (invariant 1), and a long outage is caught up
`max_pages_per_poll` pages at a time without a gap. Reading newest-first instead
would leave a hole whenever a backlog is longer than one poll may read.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import hashlib
import json
import os
import time
from dataclasses import dataclass
from typing import Any, Literal
from urllib.parse import quote

import httpx
import structlog
from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from services.ingest import connectors
from services.ingest.connectors.base import ConnectorFailure
from services.ingest.sink import Sink
from shared.config import ConnectorEntry
from shared.htmltext import html_to_text
from shared.normalise import Incoming

log = structlog.get_logger(__name__)

SCOPES = "read:accounts read:notifications read:statuses"
_LOOPBACK = {"localhost", "127.0.0.1", "::1"}
# When a 429 names no time to wait, and to bound what a server may ask.
DEFAULT_RETRY_SECONDS = 60.0
MAX_PAUSE_SECONDS = 3600.0


class MastodonOptions(BaseModel):
    """A `kind: mastodon` entry; the access token comes from the environment, never the file."""

    model_config = ConfigDict(extra="forbid")

    name: str
    kind: Literal["mastodon"] = "mastodon"
    enabled: bool = True
    base_url: str
    token_env: str | None = Field(default=None, pattern=r"^[A-Za-z_][A-Za-z0-9_]*$")
    mentions: bool = True
    hashtags: list[str] = []
    poll_interval: float = Field(default=60.0, ge=1.0, le=86400.0)
    page_limit: int = Field(default=40, ge=1, le=40)
    max_pages_per_poll: int = Field(default=10, ge=1, le=1000)
    # First read of a feed: its whole history, oldest first (true), or only from the newest page on.
    backfill: bool = True
    timeout: float = Field(default=30.0, gt=0, le=300)
    verify_tls: bool = True

    @field_validator("base_url")
    @classmethod
    def _https_base_url(cls, value: str) -> str:
        try:
            url = httpx.URL(value.strip())
        except httpx.InvalidURL as exc:
            raise ValueError(f"not a URL: {exc}") from None
        if url.scheme not in {"http", "https"} or not url.host:
            raise ValueError("give the instance's address, e.g. https://social.overheid.nl")
        if url.scheme == "http" and url.host not in _LOOPBACK:
            raise ValueError("use https://; plain http would send the access token unencrypted")
        return str(url.copy_with(query=None, fragment=None)).rstrip("/")

    @field_validator("hashtags")
    @classmethod
    def _plain_hashtags(cls, tags: list[str]) -> list[str]:
        cleaned = [tag.strip().removeprefix("#") for tag in tags]
        for tag in cleaned:
            if not tag or not all(c.isalnum() or c == "_" for c in tag):
                raise ValueError(f"{tag!r} is not a hashtag (letters, digits and _ only, without #)")
        return list(dict.fromkeys(cleaned))

    @model_validator(mode="after")
    def _token_for_mentions(self) -> MastodonOptions:
        if self.mentions and self.token_env is None:
            raise ValueError(
                "reading mentions needs an access token: set token_env to the name of the "
                "environment variable that holds it"
            )
        if not self.mentions and not self.hashtags:
            raise ValueError("nothing to read: enable mentions or list hashtags")
        return self


@dataclass(frozen=True)
class Feed:
    key: str  # the cursor's name: "mentions" or "tag:<name>"
    path: str
    params: dict[str, Any]
    what: str  # for ops: what a failing request was reading


class _Paused(Exception):
    """The rate limit is used up until its reset; end the poll quietly."""


def id_order(value: str) -> tuple[int, str]:
    """Sort key for Mastodon ids: numeric strings without leading zeros compare by length first."""
    return (len(value), value)


def build(entry: ConnectorEntry, index: int) -> MastodonConnector:
    return MastodonConnector(connectors.options(entry, MastodonOptions, index))


class MastodonConnector:
    kind = "mastodon"

    def __init__(self, options: MastodonOptions) -> None:
        self.options = options
        self.name = options.name
        self.poll_interval = options.poll_interval
        self.instance = httpx.URL(options.base_url).host
        self.feeds = self._feeds()
        # Wall-clock time (epoch seconds) before which no request is sent; rate limits reset by the clock.
        self.resume_at: float | None = None
        self._pause_reason: str | None = None  # set after a 429: polls fail "degraded" until resume_at
        self._client: httpx.Client | None = None
        self._own_account_id: str | None = None
        self._stored = 0  # new messages in the current poll, kept when a pause ends it early

    def _feeds(self) -> list[Feed]:
        feeds = []
        if self.options.mentions:
            params = {"types[]": ["mention"]}
            feeds.append(Feed("mentions", "/api/v1/notifications", params, "mentions (notifications)"))
        for tag in self.options.hashtags:
            path = f"/api/v1/timelines/tag/{quote(tag, safe='')}"
            feeds.append(Feed(f"tag:{tag.lower()}", path, {}, f"the #{tag} timeline"))
        return feeds

    # --- polling -------------------------------------------------------------------

    def poll(self, sink: Sink) -> int:
        self._stored = 0
        try:
            self._wait_for_rate_limit()
            if self.options.token_env and self._own_account_id is None:
                self._own_account_id = self._verify_credentials()
            for feed in self.feeds:
                self._read_feed(sink, feed)
        except _Paused:
            log.info("mastodon rate limit used up; pausing until it resets", connector=self.name)
        if self._stored:
            log.info("mastodon statuses stored", connector=self.name, new=self._stored)
        return self._stored

    def _read_feed(self, sink: Sink, feed: Feed) -> None:
        """Page forward from the feed's cursor, storing each page with its cursor; counts into _stored."""
        since_id = sink.cursor(feed.key).get("since_id")
        limit = self.options.page_limit
        start_at_newest = since_id is None and not self.options.backfill
        params: dict[str, Any] | None = {**feed.params, "limit": limit}
        if not start_at_newest:
            # min_id pages forward: the `limit` items immediately newer than the cursor.
            params["min_id"] = since_id or "0"
        url: str | None = feed.path
        pages = 0
        while url is not None and pages < self.options.max_pages_per_poll:
            response = self._get(url, params, feed)
            items = self._items(response, feed)
            pages += 1
            if not items:
                break
            items.sort(key=lambda item: id_order(str(item["id"])))  # store oldest first
            newest = str(items[-1]["id"])
            messages = [m for m in (self._incoming(item, feed) for item in items) if m is not None]
            results = sink.store(messages, {feed.key: {"since_id": newest}})
            created = sum(1 for r in results if r.created)
            self._stored += created
            log.debug(
                "mastodon page stored", connector=self.name, feed=feed.key, since_id=newest, new=created
            )
            if start_at_newest:
                break  # started at the newest page; later polls page forward from it
            if len(items) < limit:
                break  # the newest page (or the server dropped a few: the next poll goes on from the cursor)
            url, params = self._forward_link(response), None

    def _items(self, response: httpx.Response, feed: Feed) -> list[dict[str, Any]]:
        if response.status_code == 404 and feed.key.startswith("tag:"):
            return []  # Mastodon answers 404 for a hashtag nobody has used yet
        try:
            items = response.json()
        except ValueError:
            items = None
        if not isinstance(items, list) or not all(isinstance(i, dict) and "id" in i for i in items):
            raise ConnectorFailure(
                f"{self.instance} sent something other than a list of {feed.what} "
                f"(HTTP {response.status_code}); check base_url {self.options.base_url}"
            )
        return items

    def _forward_link(self, response: httpx.Response) -> str | None:
        """The Link header's rel="prev" URL: the next page *newer* than this one."""
        link = response.links.get("prev", {}).get("url")
        if link is None:
            return None
        target, base = httpx.URL(link), httpx.URL(self.options.base_url)
        if (target.scheme, target.host, target.port) != (base.scheme, base.host, base.port):
            # Never send the access token to another host.
            raise ConnectorFailure(
                f"{self.instance} gave a pagination link to another host ({target.host}); not following it"
            )
        return link

    # --- requests ------------------------------------------------------------------

    def _connect(self) -> httpx.Client:
        headers = {"Accept": "application/json", "User-Agent": "Signaal (complaint intake)"}
        if self.options.token_env:
            token = os.environ.get(self.options.token_env, "").strip()
            if not token:
                raise ConnectorFailure(
                    f"no access token: the environment variable {self.options.token_env} is not set; put "
                    f"the account's access token (scopes {SCOPES}) there, never in the configuration file",
                    auth=True,
                )
            headers["Authorization"] = f"Bearer {token}"
        timeout = httpx.Timeout(self.options.timeout, connect=min(self.options.timeout, 10.0))
        return httpx.Client(
            base_url=self.options.base_url,
            headers=headers,
            timeout=timeout,
            verify=self.options.verify_tls,
            follow_redirects=False,
        )

    def _verify_credentials(self) -> str:
        """The organisation's own account id, so its own statuses are not taken in as signals."""
        feed = Feed("account", "/api/v1/accounts/verify_credentials", {}, "the account (verify_credentials)")
        response = self._get(feed.path, None, feed)
        try:
            return str(response.json()["id"])
        except (ValueError, KeyError, TypeError):
            raise ConnectorFailure(
                f"{self.instance} did not describe the account behind the token; check base_url"
            ) from None

    def _wait_for_rate_limit(self) -> None:
        if self.resume_at is None or time.time() >= self.resume_at:
            self.resume_at = self._pause_reason = None
            return
        if self._pause_reason:
            until = dt.datetime.fromtimestamp(self.resume_at, dt.UTC).strftime("%H:%M:%S UTC")
            raise ConnectorFailure(f"{self._pause_reason}; next request after {until}", status="degraded")
        raise _Paused

    def _get(self, url: str, params: dict[str, Any] | None, feed: Feed) -> httpx.Response:
        self._wait_for_rate_limit()
        if self._client is None:
            self._client = self._connect()
        try:
            response = self._client.get(url, params=params)
        except httpx.TimeoutException:
            raise ConnectorFailure(
                f"{self.instance} did not answer within {self.options.timeout:g} s while reading {feed.what}"
            ) from None
        except httpx.TransportError as exc:
            raise ConnectorFailure(
                f"cannot reach {self.options.base_url}: {exc or type(exc).__name__}"
            ) from None
        self._note_rate_limit(response)
        status = response.status_code
        if status == 200 or (status == 404 and feed.key.startswith("tag:")):
            return response
        if status == 401:
            raise ConnectorFailure(
                f"the access token was refused by {self.instance} (HTTP 401); create a new token with "
                f"scopes {SCOPES} and put it in the environment variable {self.options.token_env}",
                auth=True,
            )
        if status == 403:
            raise ConnectorFailure(
                f"the access token may not read {feed.what} on {self.instance} (HTTP 403); "
                f"give it the scopes {SCOPES}",
                auth=True,
            )
        if status == 429:
            wait = self._retry_after(response)
            self.resume_at = time.time() + wait
            self._pause_reason = f"rate limited by {self.instance} (HTTP 429 Too Many Requests)"
            raise ConnectorFailure(
                f"{self._pause_reason}; backing off {wait:.0f} s as the server asked", status="degraded"
            )
        if 300 <= status < 400:
            raise ConnectorFailure(
                f"{self.instance} redirects to {response.headers.get('location', '?')} (HTTP {status}); "
                "set base_url to the instance's final address"
            )
        raise ConnectorFailure(
            f"{self.instance} answered HTTP {status} {response.reason_phrase} while reading {feed.what}"
        )

    def _note_rate_limit(self, response: httpx.Response) -> None:
        """X-RateLimit-Remaining 0: send nothing more until X-RateLimit-Reset."""
        remaining = response.headers.get("x-ratelimit-remaining", "").strip()
        if not remaining.isdigit() or int(remaining) > 0:
            return
        reset = _parse_time(response.headers.get("x-ratelimit-reset", ""))
        if reset is not None and reset > time.time():
            self.resume_at = min(reset, time.time() + MAX_PAUSE_SECONDS)
            self._pause_reason = None

    @staticmethod
    def _retry_after(response: httpx.Response) -> float:
        value = response.headers.get("retry-after", "").strip()
        wait: float | None = None
        if value.replace(".", "", 1).isdigit():
            wait = float(value)
        elif value:
            when = _parse_time(value)
            wait = when - time.time() if when is not None else None
        if wait is None:
            reset = _parse_time(response.headers.get("x-ratelimit-reset", ""))
            wait = reset - time.time() if reset is not None else DEFAULT_RETRY_SECONDS
        return min(max(wait, 1.0), MAX_PAUSE_SECONDS)

    # --- statuses to messages ------------------------------------------------------

    def _incoming(self, item: dict[str, Any], feed: Feed) -> Incoming | None:
        """The message for a notification or status, or None for what is not a citizen's status."""
        if feed.key == "mentions":
            if item.get("type") != "mention" or not isinstance(item.get("status"), dict):
                return None
            status = item["status"]
        else:
            status = item
        if status.get("reblog"):
            return None  # a boost repeats someone else's status; the original arrives on its own
        account = status.get("account") if isinstance(status.get("account"), dict) else {}
        if self._own_account_id is not None and str(account.get("id")) == self._own_account_id:
            return None
        notification_id = str(item["id"]) if feed.key == "mentions" else None
        return status_to_incoming(
            status,
            source=self.name,
            instance=self.instance,
            feed=feed.key,
            raw=item,
            notification_id=notification_id,
        )

    def close(self) -> None:
        if self._client is not None:
            self._client.close()
            self._client = None


def status_to_incoming(
    status: dict[str, Any],
    *,
    source: str,
    instance: str,
    feed: str,
    raw: dict[str, Any],
    notification_id: str | None = None,
) -> Incoming:
    """A Mastodon Status entity as an Incoming; one that cannot be read is kept raw, quarantined."""
    raw_bytes = json.dumps(raw, ensure_ascii=False, sort_keys=True).encode()
    status_id = str(status.get("id") or "")
    dedupe_key = (
        f"{instance}:{status_id}"
        if status_id
        else f"{instance}:sha256:{hashlib.sha256(raw_bytes).hexdigest()}"
    )
    try:
        account = status["account"]
        acct = str(account["acct"])
        if "@" not in acct:
            acct = f"{acct}@{instance}"  # local accounts' acct carries no domain
        content = str(status.get("content") or "")
        spoiler = str(status.get("spoiler_text") or "").strip()
        body = html_to_text(content)
        reply_to = status.get("in_reply_to_id")
        created = dt.datetime.fromisoformat(str(status["created_at"]))
        if created.tzinfo is None:
            created = created.replace(tzinfo=dt.UTC)
        return Incoming(
            channel="social",
            source=source,
            dedupe_key=dedupe_key,
            raw=raw_bytes,
            text="\n\n".join(part for part in (spoiler, body) if part),
            html=content or None,
            sender_name=str(account.get("display_name") or account.get("username") or ""),
            sender_address=f"@{acct}",
            received_at=created,
            in_reply_to=f"{instance}:{reply_to}" if reply_to else None,
            is_automated=bool(account.get("bot")),
            automated_reason="posted by a Mastodon bot account" if account.get("bot") else None,
            meta={
                "url": status.get("url") or status.get("uri"),
                "uri": status.get("uri"),
                "acct": acct,
                "account_url": account.get("url"),
                "instance": instance,
                "status_id": status_id,
                "notification_id": notification_id,
                "feed": feed,
                "visibility": status.get("visibility"),
                "language": status.get("language"),
                "in_reply_to_id": reply_to,
                "spoiler_text": spoiler,
                "tags": [t.get("name") for t in status.get("tags") or [] if isinstance(t, dict)],
                "media": [
                    {"type": m.get("type"), "url": m.get("url"), "description": m.get("description")}
                    for m in status.get("media_attachments") or []
                    if isinstance(m, dict)
                ],
            },
        )
    except (KeyError, TypeError, ValueError) as exc:
        return Incoming(
            channel="social",
            source=source,
            dedupe_key=dedupe_key,
            raw=raw_bytes,
            text="",
            meta={"instance": instance, "status_id": status_id, "feed": feed},
            parse_error=f"unreadable Mastodon status: {type(exc).__name__}: {exc}",
        )


def _parse_time(value: str) -> float | None:
    """Epoch seconds from an ISO 8601 time (X-RateLimit-Reset), an HTTP date or a number."""
    value = value.strip()
    if not value:
        return None
    if value.replace(".", "", 1).isdigit():
        return float(value)
    try:
        return dt.datetime.fromisoformat(value).timestamp()
    except ValueError:
        pass
    try:
        return email.utils.parsedate_to_datetime(value).timestamp()
    except (TypeError, ValueError):
        return None
