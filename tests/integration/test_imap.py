"""The IMAP connector against a real Dovecot on loopback: exactly once, no loss, health, IDLE."""

from __future__ import annotations

import json
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from services.ingest import connectors, runner
from services.ingest import health as ingest_health
from services.ingest.sink import Sink
from shared.config import ConnectorEntry
from shared.db import Database
from shared.models import ConnectorCursor, ConnectorHealth, Message
from shared.states import State
from tests import dovecot
from tests.dovecot import MakeImapConnector, flags, folder_size
from tests.dovecot import complaint as mail
from tests.processes import wait_until

NAME = "mailbox-test"
CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"


def stored(database: Database, source: str = NAME) -> list[Message]:
    with database.session() as session:
        return list(session.scalars(select(Message).where(Message.source == source).order_by(Message.id)))


def message_ids(database: Database) -> list[str | None]:
    return [m.message_id_header for m in stored(database)]


def count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.source == NAME)) or 0


def health(database: Database) -> ConnectorHealth:
    with database.session() as session:
        row = session.scalars(select(ConnectorHealth).where(ConnectorHealth.connector == NAME)).one()
    return row


@pytest.mark.slow
def test_500_appended_messages_are_stored_exactly_once(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    imap_server.append(mail(n) for n in range(500))
    connector = make_imap_connector(batch_size=64)
    sink = Sink(database, NAME)

    assert connector.poll(sink) == 500
    assert connector.poll(sink) == 0

    ids = message_ids(database)
    assert len(ids) == 500
    assert set(ids) == {f"<klacht-{n}@example.nl>" for n in range(500)}
    assert sink.cursor("INBOX")["last_uid"] == 500
    assert all(m.channel == "email" and m.state == State.received for m in stored(database))
    assert not any(b"\\Seen" in f for f in flags(imap_server)), "after_store: nothing leaves mail unread"


@pytest.mark.slow
def test_connector_restarted_mid_way_stores_no_duplicates_and_misses_none(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    imap_server.append(mail(n) for n in range(300))
    first = make_imap_connector(batch_size=40)

    def crash_after_two_batches(done: int, _total: int) -> None:
        if done >= 80:
            raise RuntimeError("simulated crash")

    first.on_progress = crash_after_two_batches
    sink = Sink(sqlite_database, NAME)
    with pytest.raises(RuntimeError):
        first.poll(sink)
    assert count(sqlite_database) == 80
    first.close()

    imap_server.append(mail(n) for n in range(300, 350))
    second = make_imap_connector(batch_size=40)
    assert second.poll(sink) == 270
    assert sorted(message_ids(sqlite_database)) == sorted(f"<klacht-{n}@example.nl>" for n in range(350))


def test_mail_fetched_again_after_a_lost_cursor_is_not_stored_twice(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    # As after a crash between the commit and acknowledging at the source: fetched again, stored once.
    imap_server.append(mail(n) for n in range(30))
    sink = Sink(sqlite_database, NAME)
    assert make_imap_connector().poll(sink) == 30
    cursor = sink.cursor("INBOX")
    sink.store([], {"INBOX": {**cursor, "last_uid": 0}})

    assert make_imap_connector().poll(sink) == 0
    assert count(sqlite_database) == 30
    assert sink.cursor("INBOX")["last_uid"] == 30


def test_uidvalidity_change_resynchronises_without_duplicates_or_loss(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    folder = "Klachten"
    imap_server.append((mail(n) for n in range(40)), folder=folder)
    connector = make_imap_connector(folders=[folder], batch_size=16)
    sink = Sink(database, NAME)
    assert connector.poll(sink) == 40
    before = sink.cursor(folder)["uidvalidity"]

    # The mailbox is rebuilt (a migration, a restored backup): new UIDVALIDITY, the same mail, new UIDs.
    client = imap_server.client()
    client.delete_folder(folder)
    client.create_folder(folder)
    client.logout()
    assert connector.poll(sink) == 0, "an empty rebuilt folder is not an error"
    imap_server.append((mail(n) for n in range(20)), folder=folder)
    assert connector.poll(sink) == 0, "mail already stored before the reset is not stored again"
    imap_server.append((mail(n) for n in range(20, 50)), folder=folder)
    assert connector.poll(sink) == 10

    cursor = sink.cursor(folder)
    assert cursor["uidvalidity"] != before
    assert cursor["earlier_uidvalidities"] == [before]
    assert sorted(message_ids(database)) == sorted(f"<klacht-{n}@example.nl>" for n in range(50))
    imap_server.append([mail(50)], folder=folder)
    assert make_imap_connector(folders=[folder]).poll(sink) == 1


def test_server_outage_takes_health_down_with_the_address_and_it_recovers(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    connector = make_imap_connector()
    imap_server.append([mail(1)])
    assert runner.poll_once(connector, sqlite_database) == 1
    assert health(sqlite_database).status == "ok"

    imap_server.stop()
    for _ in range(3):
        assert runner.poll_once(connector, sqlite_database) == -1
    down = health(sqlite_database)
    assert down.status == "down"
    assert f"{imap_server.host}:{imap_server.port}" in (down.last_error or "")
    assert "connection refused" in (down.last_error or "")

    imap_server.start()
    imap_server.append([mail(2)])
    assert runner.poll_once(connector, sqlite_database) == 1
    recovered = health(sqlite_database)
    assert (recovered.status, recovered.consecutive_failures, recovered.messages_total) == ("ok", 0, 2)


@pytest.mark.slow
def test_running_connector_rides_out_a_server_restart(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    connector = make_imap_connector(poll_interval=0.5)
    imap_server.append([mail(1)])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_connector, args=(connector, sqlite_database, stop))
    thread.start()
    try:
        wait_until(lambda: count(sqlite_database) == 1, timeout=10, what="the first poll")
        imap_server.stop()
        wait_until(lambda: health(sqlite_database).consecutive_failures > 0, timeout=10, what="a failed poll")
        reason = health(sqlite_database).last_error or ""
        # Refused when the poll connects after the stop; lost when the stop cuts a poll short.
        assert f"{imap_server.host}:{imap_server.port}" in reason and (
            "refused" in reason or "lost" in reason
        )
        imap_server.start()
        imap_server.append([mail(2)])
        wait_until(lambda: count(sqlite_database) == 2, timeout=20, what="the mail after the restart")
        wait_until(lambda: health(sqlite_database).status == "ok", timeout=10, what="health to recover")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive()


def test_wrong_password_shows_login_refused_in_health(
    imap_server: dovecot.Dovecot,
    make_imap_connector: MakeImapConnector,
    sqlite_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("SIGNAAL_TEST_IMAP_PASSWORD", "fout-wachtwoord")
    assert runner.poll_once(make_imap_connector(), sqlite_database) == -1
    error = health(sqlite_database).last_error or ""
    assert f"login refused for user {dovecot.USER}" in error
    assert "check the password" in error and "SIGNAAL_TEST_IMAP_PASSWORD" in error
    assert "fout-wachtwoord" not in error
    assert ingest_health.AUTH_FAILING in health(sqlite_database).warnings


def test_missing_password_variable_is_named_in_health(
    imap_server: dovecot.Dovecot,
    make_imap_connector: MakeImapConnector,
    sqlite_database: Database,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv("SIGNAAL_TEST_IMAP_PASSWORD")
    assert runner.poll_once(make_imap_connector(), sqlite_database) == -1
    assert "SIGNAAL_TEST_IMAP_PASSWORD is not set" in (health(sqlite_database).last_error or "")


@pytest.mark.slow
def test_message_arriving_during_idle_is_stored_within_seconds(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    # A poll interval far beyond the wait below: only IDLE can explain a quick store.
    connector = make_imap_connector(poll_interval=300)
    imap_server.append([mail(1)])
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_connector, args=(connector, sqlite_database, stop))
    thread.start()
    try:
        wait_until(lambda: count(sqlite_database) == 1, timeout=10, what="the first poll")
        imap_server.append([mail(2)])
        wait_until(lambda: count(sqlite_database) == 2, timeout=5, what="the message to arrive through IDLE")
        imap_server.append([mail(3)])
        wait_until(lambda: count(sqlite_database) == 3, timeout=5, what="the next message through IDLE")
    finally:
        stop.set()
        thread.join(timeout=10)
    assert not thread.is_alive(), "the connector stops within seconds of the stop event"


def test_news_announced_as_idle_starts_is_not_missed(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    # Mail arriving between SELECT and IDLE comes with the "+ idling" line, into imaplib's buffer.
    connector = make_imap_connector()
    connector.poll(Sink(sqlite_database, NAME))
    client = connector._client
    assert client is not None
    client.select_folder("INBOX", readonly=True)
    imap_server.append([mail(1)])
    started = time.monotonic()
    connector._idle(client, threading.Event(), 30)
    assert time.monotonic() - started < 10, "IDLE returned on the pending news, not at its deadline"


def test_after_store_seen_marks_stored_mail_seen_and_deletes_nothing(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    imap_server.append(mail(n) for n in range(5))
    assert make_imap_connector(after_store="seen").poll(Sink(sqlite_database, NAME)) == 5
    marks = flags(imap_server)
    assert len(marks) == 5
    assert all(b"\\Seen" in f and b"\\Deleted" not in f for f in marks)


def test_after_store_move_moves_stored_mail_and_deletes_nothing(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    imap_server.append(mail(n) for n in range(5))
    connector = make_imap_connector(after_store="move", move_to="Verwerkt")
    sink = Sink(sqlite_database, NAME)
    assert connector.poll(sink) == 5
    imap_server.append([mail(5)])
    assert connector.poll(sink) == 1

    assert folder_size(imap_server, "INBOX") == 0
    assert folder_size(imap_server, "Verwerkt") == 6
    assert not any(b"\\Deleted" in f for f in flags(imap_server, "Verwerkt"))
    assert count(sqlite_database) == 6


# A imap_server without IDLE and MOVE, as some hosted mailboxes are.
_NO_IDLE_NO_MOVE = """
protocol imap {
  imap_capability = IMAP4rev1 LITERAL+ SASL-IR ID ENABLE UIDPLUS MULTIAPPEND UNSELECT NAMESPACE
}
"""


@pytest.mark.needs_dovecot
@pytest.mark.slow
def test_without_idle_or_move_the_connector_polls_and_copies_without_deleting(
    sqlite_database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("SIGNAAL_TEST_IMAP_PASSWORD", dovecot.PASSWORD)
    with dovecot.running(extra_config=_NO_IDLE_NO_MOVE) as plain_server:
        entry = plain_server.connector_options(after_store="move", move_to="Verwerkt", poll_interval=0.2)
        connector = connectors.KINDS["imap"](ConnectorEntry.model_validate(entry), 0)
        plain_server.append([mail(1)])
        stop = threading.Event()
        thread = threading.Thread(target=runner.run_connector, args=(connector, sqlite_database, stop))
        thread.start()
        try:
            wait_until(lambda: count(sqlite_database) == 1, timeout=10, what="the first poll")
            plain_server.append([mail(2)])
            wait_until(lambda: count(sqlite_database) == 2, timeout=10, what="the next poll")
        finally:
            stop.set()
            thread.join(timeout=10)
        assert folder_size(plain_server, "Verwerkt") == 2
        originals = flags(plain_server)
        assert len(originals) == 2, "without MOVE the originals stay"
        assert all(b"\\Seen" in f and b"\\Deleted" not in f for f in originals)


def test_awkward_corpus_is_stored_completely_and_never_blocks_the_mailbox(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    manifest = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
    imap_server.append((CORPUS / case["file"]).read_bytes() for case in manifest)
    imap_server.append([mail(1)])  # mail after the corpus still arrives
    assert make_imap_connector(batch_size=25).poll(Sink(database, NAME)) == len(manifest) + 1

    rows = stored(database)
    assert len(rows) == len(manifest) + 1
    by_uid = {m.meta["uid"]: m for m in rows}
    for uid, case in enumerate(manifest, start=1):
        row = by_uid[uid]
        if case["automated"]:
            assert row.state == State.automated, case["file"]
        else:
            assert row.state in {State.received, State.quarantined}, case["file"]
    assert rows[-1].message_id_header == "<klacht-1@example.nl>"


def test_oversized_mail_is_stored_truncated_and_flagged(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    big = mail(1, body="Lange klacht. " * 2000)
    imap_server.append([big, mail(2)])
    assert make_imap_connector(max_message_bytes=4096).poll(Sink(sqlite_database, NAME)) == 2
    truncated, normal = stored(sqlite_database)
    assert truncated.raw_truncated and len(truncated.raw) == 4096
    assert truncated.raw_size >= len(big)
    assert not normal.raw_truncated


def test_missing_folder_is_named_while_other_folders_are_still_read(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    imap_server.append([mail(1)])
    connector = make_imap_connector(folders=["INBOX", "Bestaat-Niet"])
    assert runner.poll_once(connector, sqlite_database) == -1
    assert count(sqlite_database) == 1
    assert "'Bestaat-Niet'" in (health(sqlite_database).last_error or "")


def test_cursor_commits_with_the_messages_per_folder(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, sqlite_database: Database
) -> None:
    imap_server.append(mail(n) for n in range(3))
    imap_server.append((mail(n) for n in range(3, 5)), folder="Klachten")
    make_imap_connector(folders=["INBOX", "Klachten"]).poll(Sink(sqlite_database, NAME))
    with sqlite_database.session() as session:
        cursors = {
            c.feed: c.position
            for c in session.scalars(select(ConnectorCursor).where(ConnectorCursor.connector == NAME))
        }
    assert {feed: position["last_uid"] for feed, position in cursors.items()} == {"INBOX": 3, "Klachten": 2}
    keys = sorted(m.dedupe_key for m in stored(sqlite_database))
    assert keys[0].startswith("INBOX:") and keys[-1].startswith("Klachten:")
