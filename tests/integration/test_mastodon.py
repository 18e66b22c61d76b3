"""The Mastodon connector against a real HTTP server on loopback that answers like an instance."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from sqlalchemy import select

from services.ingest import connectors, runner
from services.ingest import health as health_report
from services.ingest.connectors.mastodon import MastodonConnector
from services.ingest.sink import Sink
from shared.config import ConnectorEntry, OrganisationConfig
from shared.db import Database
from shared.exceptions import ConfigError
from shared.models import ConnectorHealth, Message
from shared.states import State
from tests.fake_mastodon import FakeMastodon, add_mentions, add_tagged, status_html
from tests.processes import wait_until

TOKEN_ENV = "SIGNAAL_TEST_MASTODON_TOKEN"
NAME = "mastodon-test"

MakeConnector = Callable[..., MastodonConnector]


@pytest.fixture
def mastodon() -> Iterator[FakeMastodon]:
    with FakeMastodon(token="s3cret-test-token") as server:
        yield server


@pytest.fixture
def make_connector(mastodon: FakeMastodon, monkeypatch: pytest.MonkeyPatch) -> Iterator[MakeConnector]:
    """Build connectors the way `signaal ingest` does: from a config entry, through KINDS."""
    monkeypatch.setenv(TOKEN_ENV, mastodon.token)
    built: list[MastodonConnector] = []

    def make(**options: Any) -> MastodonConnector:
        entry = ConnectorEntry.model_validate(
            {"name": NAME, "kind": "mastodon", "base_url": mastodon.url, "token_env": TOKEN_ENV}
            | {"page_limit": 20, **options}
        )
        connector = connectors.KINDS["mastodon"](entry, 0)
        assert isinstance(connector, MastodonConnector)
        built.append(connector)
        return connector

    yield make
    for connector in built:
        connector.close()


def messages(database: Database) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).where(Message.source == NAME).order_by(Message.id)))


def health(database: Database) -> ConnectorHealth:
    with database.session() as session:
        return session.scalars(select(ConnectorHealth).where(ConnectorHealth.connector == NAME)).one()


def status_ids(database: Database) -> list[str]:
    return [m.meta["status_id"] for m in messages(database)]


# --- paging and cursors -------------------------------------------------------------


def test_all_95_mentions_are_stored_exactly_once_across_pages(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    posted = add_mentions(mastodon, 95)  # with favourites and follows in between
    connector = make_connector(page_limit=20)

    assert runner.poll_once(connector, database) == 95
    assert runner.poll_once(connector, database) == 0

    assert sorted(status_ids(database)) == sorted(s["id"] for s in posted)
    pages = mastodon.requests_to("/api/v1/notifications")
    assert all(p.query["types[]"] == ["mention"] for p in pages)
    # Pages after the first came from the Link header's rel="prev" URL (min_id of the newest seen).
    assert len(pages) >= 5 and all("min_id" in p.query for p in pages)
    newest = max((n["id"] for n in mastodon.notifications if n["type"] == "mention"), key=int)
    assert Sink(database, NAME).cursor("mentions") == {"since_id": newest}
    assert health(database).status == "ok" and health(database).messages_total == 95


def test_a_restarted_connector_reads_only_what_is_new_since_its_cursor(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 30)
    first = make_connector()
    assert runner.poll_once(first, database) == 30
    first.close()
    cursor = Sink(database, NAME).cursor("mentions")["since_id"]
    later = add_mentions(mastodon, 7, start=30)

    restarted = make_connector()
    served_before = len(mastodon.served)
    assert runner.poll_once(restarted, database) == 7

    requests = [s for s in mastodon.served[served_before:] if s.path == "/api/v1/notifications"]
    assert requests[0].query["min_id"] == [cursor]
    assert status_ids(database)[-7:] == [s["id"] for s in later]
    assert len(messages(database)) == 37


def test_a_backlog_longer_than_one_poll_is_caught_up_over_polls_without_gaps(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    posted = add_mentions(mastodon, 55)
    counts = []
    for _ in range(4):  # a fresh connector each time, as after a crash or restart
        counts.append(runner.poll_once(make_connector(page_limit=10, max_pages_per_poll=2), database))

    assert counts == [20, 20, 15, 0]
    assert sorted(status_ids(database)) == sorted(s["id"] for s in posted)


def test_hashtag_timelines_are_read_with_a_cursor_each_and_overlap_is_stored_once(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_tagged(mastodon, "afval", 25)
    add_tagged(mastodon, "parkeren", 3, start=25)
    citizen = mastodon.account("noor", "Noor", domain="mastodon.social")
    both = mastodon.mention(citizen, status_html(mastodon, 99, hashtag="afval"), tags=("afval",))
    connector = make_connector(hashtags=["afval", "#Parkeren", "nooitgebruikt"])

    assert runner.poll_once(connector, database) == 29  # 25 + 3 + the mention that is also tagged
    assert status_ids(database).count(both["id"]) == 1
    sink = Sink(database, NAME)
    assert {"mentions", "tag:afval", "tag:parkeren"} == {
        feed for feed in ("mentions", "tag:afval", "tag:parkeren", "tag:nooitgebruikt") if sink.cursor(feed)
    }
    new = add_tagged(mastodon, "parkeren", 1, start=40)
    assert runner.poll_once(connector, database) == 1
    assert status_ids(database)[-1] == new[0]["id"]
    assert messages(database)[-1].meta["feed"] == "tag:parkeren"


# --- what is stored ---------------------------------------------------------------


def test_status_html_becomes_readable_text_and_keeps_handle_url_and_time(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    remote = mastodon.account("jan", "Jan de Vries 🚲", domain="mastodon.social")
    local = mastodon.account("fatma", "Fatma Yılmaz")
    html = status_html(mastodon, 0)
    first = mastodon.mention(remote, html, spoiler_text="Klacht over afval", language="nl")
    mastodon.mention(local, "<p>Één vraag: &amp; waarom <br>zo laat? 🙁</p>", in_reply_to_id=first["id"])
    runner.poll_once(make_connector(), database)

    stored_first, stored_second = messages(database)
    assert stored_first.channel == "social" and stored_first.state == State.received
    assert stored_first.text == (
        "Klacht over afval\n\n@gemeente Al drie weken staat de container in de Dorpsstraat vol 😡 "
        "Wanneer wordt die geleegd? (melding 0)\n\nFoto: https://www.example.nl/meldingen/0"
    )
    assert "<" not in stored_first.text and stored_first.html == html
    assert stored_first.sender_address == "@jan@mastodon.social"
    assert stored_first.sender_name == "Jan de Vries 🚲"
    assert stored_first.meta["url"] == first["url"] and stored_first.meta["acct"] == "jan@mastodon.social"
    assert stored_first.meta["account_url"] == "https://mastodon.social/@jan"
    assert stored_first.dedupe_key == f"127.0.0.1:{first['id']}"
    assert stored_first.received_at == dt.datetime.fromisoformat(first["created_at"])
    assert stored_second.text == "Één vraag: & waarom\nzo laat? 🙁"
    assert stored_second.sender_address == "@fatma@127.0.0.1"  # a local acct gains the instance
    assert stored_second.in_reply_to == f"127.0.0.1:{first['id']}"


def test_boosts_and_the_organisations_own_statuses_are_skipped_and_bots_marked_automated(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    citizen = mastodon.account("kees", "Kees", domain="mastodon.nl")
    complaint = mastodon.post(citizen, status_html(mastodon, 1, hashtag="afval"), tags=("afval",))
    mastodon.post(mastodon.organisation, "<p>Ophaalrooster #afval</p>", tags=("afval",))
    mastodon.post(citizen, "", tags=("afval",), reblog=complaint)
    bot = mastodon.account("nieuwsbot", "Nieuwsbot", domain="botsin.space", bot=True)
    from_bot = mastodon.post(bot, "<p>Nieuws: nieuwe #afval regels</p>", tags=("afval",))
    connector = make_connector(mentions=False, hashtags=["afval"])

    assert runner.poll_once(connector, database) == 2
    assert runner.poll_once(connector, database) == 0  # the cursor went past the skipped ones too

    stored = {m.meta["status_id"]: m for m in messages(database)}
    assert set(stored) == {complaint["id"], from_bot["id"]}
    assert stored[from_bot["id"]].state == State.automated
    assert stored[complaint["id"]].state == State.received


def test_an_unreadable_status_is_kept_quarantined_and_the_others_still_arrive(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 3)
    broken = mastodon.notifications[1]["status"]
    broken["created_at"] = "gisteren"  # a server (or a fork of Mastodon) sending what we cannot read

    assert runner.poll_once(make_connector(), database) == 3

    stored = {m.meta["status_id"]: m for m in messages(database)}
    assert stored[broken["id"]].state == State.quarantined
    assert "unreadable Mastodon status" in (stored[broken["id"]].error or "")
    assert b"gisteren" in stored[broken["id"]].raw
    assert sum(m.state == State.received for m in stored.values()) == 2


# --- rate limits ------------------------------------------------------------------


def test_a_429_marks_the_connector_degraded_with_a_rate_limit_reason_until_it_recovers(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 10)
    connector = make_connector()
    mastodon.throttle(1, retry_after=1)

    assert runner.poll_once(connector, database) == -1
    row = health(database)
    assert row.status == "degraded"
    assert "rate limited" in row.last_error and "429" in row.last_error

    served = len(mastodon.served)
    for _ in range(3):  # still backing off: nothing sent, and a rate limit never counts as down
        assert runner.poll_once(connector, database) == -1
    assert len(mastodon.served) == served and health(database).status == "degraded"

    assert connector.resume_at is not None
    wait_until(lambda: time.time() >= (connector.resume_at or 0), timeout=10, what="Retry-After to pass")
    assert runner.poll_once(connector, database) == 10
    assert health(database).status == "ok" and health(database).consecutive_failures == 0


def test_a_used_up_rate_limit_pauses_requests_until_its_reset(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 60)
    connector = make_connector(page_limit=20)
    reset_at = mastodon.limit_remaining(3, reset_in=2)  # verify_credentials and two pages

    assert runner.poll_once(connector, database) == 40
    served = len(mastodon.served)
    assert runner.poll_once(connector, database) == 0  # paused, quietly: nothing is wrong
    assert len(mastodon.served) == served
    assert health(database).status == "ok"

    wait_until(lambda: time.time() >= reset_at, timeout=10, what="the rate limit to reset")
    assert runner.poll_once(connector, database) == 20
    assert len(messages(database)) == 60
    assert not [s for s in mastodon.served if s.status == 429]  # never ran into the limit


# --- failures ---------------------------------------------------------------------


def test_an_unreachable_instance_goes_down_after_repeated_failures_and_recovers(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 3)
    connector = make_connector()
    assert runner.poll_once(connector, database) == 3
    mastodon.stop()

    statuses = []
    for _ in range(3):
        assert runner.poll_once(connector, database) == -1
        statuses.append(health(database).status)
    assert statuses == ["degraded", "degraded", "down"]
    assert f"cannot reach {mastodon.url}" in health(database).last_error
    assert "refused" in health(database).last_error.lower()

    mastodon.start()
    add_mentions(mastodon, 2, start=3)
    assert runner.poll_once(connector, database) == 2
    row = health(database)
    assert row.status == "ok" and row.consecutive_failures == 0 and row.messages_total == 5


def test_a_server_error_is_reported_with_its_status_and_the_next_poll_recovers(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector
) -> None:
    add_mentions(mastodon, 4)
    connector = make_connector()
    mastodon.fail(1, status=503)

    assert runner.poll_once(connector, database) == -1
    assert "HTTP 503" in health(database).last_error
    assert runner.poll_once(connector, database) == 4
    assert health(database).status == "ok"


def test_a_refused_token_is_reported_plainly_without_the_token(
    database: Database, mastodon: FakeMastodon, make_connector: MakeConnector, monkeypatch: pytest.MonkeyPatch
) -> None:
    add_mentions(mastodon, 2)
    monkeypatch.setenv(TOKEN_ENV, "an-old-revoked-token")

    assert runner.poll_once(make_connector(), database) == -1
    reason = health(database).last_error
    assert "access token was refused" in reason and TOKEN_ENV in reason
    assert health_report.AUTH_FAILING in health(database).warnings
    assert "an-old-revoked-token" not in reason
    assert messages(database) == []

    monkeypatch.delenv(TOKEN_ENV)
    assert runner.poll_once(make_connector(), database) == -1
    assert f"environment variable {TOKEN_ENV} is not set" in health(database).last_error


# --- configuration ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("options", "field", "message"),
    [
        ({"page_limit": 80}, "connectors[0].page_limit", "less than or equal to 40"),
        ({"token": "abc"}, "connectors[0].token", "Extra inputs are not permitted"),
        ({"base_url": "http://social.example.nl"}, "connectors[0].base_url", "use https://"),
        ({"token_env": None}, "connectors[0]", "needs an access token"),
        ({"hashtags": ["geen spaties"]}, "connectors[0].hashtags", "is not a hashtag"),
    ],
)
def test_invalid_options_name_the_field(options: dict[str, Any], field: str, message: str) -> None:
    entry = {
        "name": NAME,
        "kind": "mastodon",
        "base_url": "https://social.example.nl",
        "token_env": TOKEN_ENV,
    }
    config = OrganisationConfig.model_validate({"connectors": [entry | options]})
    with pytest.raises(ConfigError) as raised:
        connectors.build_all(config)
    assert field in str(raised.value) and message in str(raised.value)
