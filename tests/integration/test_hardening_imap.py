"""The IMAP connector against a real Dovecot after faults: lost acknowledgements, refiled mail, DEBUG logs."""

from __future__ import annotations

import json
import socket
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from imapclient import IMAPClient
from sqlalchemy import func, select

from services.ingest.connectors.base import ConnectorFailure
from services.ingest.sink import Sink
from shared import migrate
from shared.db import Database
from shared.models import Message
from tests import dovecot, processes
from tests.dovecot import MakeImapConnector, flags, folder_size
from tests.dovecot import complaint as mail

NAME = "mailbox-test"


def count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Message).where(Message.source == NAME)) or 0


def move_all(imap_server: dovecot.Dovecot, source: str, target: str) -> None:
    client = imap_server.client()
    try:
        client.select_folder(source)
        client.move(client.search(), target)
    finally:
        client.logout()


def cut_connection_once() -> Callable[[IMAPClient], None]:
    """A hook that drops the connection the first time a batch is about to be acknowledged."""
    cuts: list[int] = []

    def cut(client: IMAPClient) -> None:
        if not cuts:
            cuts.append(1)
            client.socket().shutdown(socket.SHUT_RDWR)

    return cut


# --- acknowledgements lost between the commit and \Seen / MOVE --------------------------


def test_seen_cut_off_by_a_lost_connection_is_set_on_the_next_poll(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    imap_server.append(mail(n) for n in range(5))
    connector = make_imap_connector(after_store="seen")
    connector.before_acknowledge = cut_connection_once()
    sink = Sink(database, NAME)

    with pytest.raises(ConnectorFailure):
        connector.poll(sink)
    assert count(database) == 5
    assert not any(b"\\Seen" in f for f in flags(imap_server))
    assert len(sink.pending_acks("INBOX")) == 5, "what is owed was noted with the batch"

    assert connector.poll(sink) == 0
    assert count(database) == 5
    assert all(b"\\Seen" in f for f in flags(imap_server))
    assert sink.pending_acks("INBOX") == []


def test_move_cut_off_by_a_lost_connection_is_done_on_the_next_poll(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    imap_server.append(mail(n) for n in range(5))
    connector = make_imap_connector(after_store="move", move_to="Verwerkt", batch_size=2)
    connector.before_acknowledge = cut_connection_once()
    sink = Sink(database, NAME)

    with pytest.raises(ConnectorFailure):
        connector.poll(sink)
    assert count(database) == 2, "the first batch was committed, then the connection dropped"

    assert connector.poll(sink) == 3
    assert count(database) == 5
    assert (folder_size(imap_server, "INBOX"), folder_size(imap_server, "Verwerkt")) == (0, 5)
    assert sink.pending_acks("INBOX") == []


# --- mail refiled between watched folders ------------------------------------------------


def test_mail_moved_to_another_watched_folder_and_back_is_stored_once(
    imap_server: dovecot.Dovecot, make_imap_connector: MakeImapConnector, database: Database
) -> None:
    without_message_id = b"From: burger@example.nl\r\nSubject: Geen id\r\n\r\nKlacht zonder Message-ID.\r\n"
    imap_server.append([*(mail(n) for n in range(5)), without_message_id])
    imap_server.append([], folder="Archief")
    connector = make_imap_connector(folders=["INBOX", "Archief"])
    sink = Sink(database, NAME)
    assert connector.poll(sink) == 6

    move_all(imap_server, "INBOX", "Archief")
    assert connector.poll(sink) == 0
    move_all(imap_server, "Archief", "INBOX")
    assert connector.poll(sink) == 0
    assert count(database) == 6

    imap_server.append([mail(6)], folder="Archief")
    assert connector.poll(sink) == 1, "new mail in either folder is still stored"


def test_mail_the_server_cannot_deliver_is_not_taken_for_a_duplicate_of_other_such_mail(
    database: Database,
) -> None:
    from services.ingest.connectors import imap_sync
    from shared.normalise import Incoming

    def undeliverable(uid: int) -> Incoming:
        return Incoming(channel="email", source=NAME, dedupe_key=f"INBOX:1:{uid}", raw=b"", text="")

    Sink(database, NAME).store([undeliverable(1)])
    fresh = imap_sync.not_stored_yet(database, source=NAME, incomings=[undeliverable(2), undeliverable(3)])
    assert [i.dedupe_key for i in fresh] == ["INBOX:1:2", "INBOX:1:3"]


# --- DEBUG logs -----------------------------------------------------------------------------

_POLL_AT_DEBUG = """
import json, sys
from services.ingest import connectors
from services.ingest.sink import Sink
from shared import logging
from shared.config import ConnectorEntry
from shared.db import Database

logging.configure("DEBUG")
entry = ConnectorEntry.model_validate(json.loads(sys.argv[1]))
connector = connectors.KINDS["imap"](entry, 0)
print("stored", connector.poll(Sink(Database(sys.argv[2]), entry.name)), file=sys.stderr)
connector.close()
"""


def test_an_imap_poll_logged_at_debug_shows_neither_the_mail_nor_the_password(
    imap_server: dovecot.Dovecot, tmp_path: Path
) -> None:
    secret_text = "Mijn buurman Jansen op nummer 12 parkeert steeds op de stoep"
    imap_server.append([mail(1, body=secret_text)])
    url = f"sqlite:///{tmp_path / 'signaal.db'}"
    database = Database(url)
    migrate.upgrade(database.engine)
    database.dispose()
    env = processes.signaal_env(url, log_level="DEBUG")
    env["SIGNAAL_TEST_IMAP_PASSWORD"] = dovecot.PASSWORD
    done = processes.run(
        [sys.executable, "-c", _POLL_AT_DEBUG, json.dumps(imap_server.connector_options()), url],
        env,
        timeout=60,
    )
    output = done.stdout + done.stderr
    assert done.returncode == 0, output
    assert "stored 1" in output and "imap connected" in output
    assert "Jansen" not in output and "parkeert" not in output
    assert dovecot.PASSWORD not in output
