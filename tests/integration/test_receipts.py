"""Receipts (Awb 9:6) end to end: stored message → outbox row in the same transaction → real SMTP."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator

import pytest
from sqlalchemy import func, select, update

from services.ingest import runner
from services.ingest.connectors.fake import FakeConnector
from services.ingest.sink import Sink
from shared import mailer, outbox
from shared.config import ConnectorEntry, OrganisationConfig, load_config
from shared.db import Database
from shared.exceptions import ConfigError
from shared.models import Message, Notification, utcnow
from tests import smtp
from tests.conftest import make_incoming
from tests.smtp import SmtpServer

ORGANISATION = OrganisationConfig(organisation="Gemeente Voorbeeld")
CITIZEN = "j.jansen@example.nl"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with smtp.running() as server:
        yield server


def email_from(address: str = CITIZEN, **overrides: object):  # type: ignore[no-untyped-def]
    values: dict[str, object] = {
        "channel": "email",
        "source": "mailbox-info",
        "sender_address": address,
        "sender_name": "J. Jansen",
        "message_id_header": "<vraag-1@mail.example.nl>",
        "references": ["<eerder-0@mail.example.nl>"],
    }
    values.update(overrides)
    return make_incoming("Ik wacht al drie weken op antwoord.", **values)


def acknowledging_sink(database: Database, organisation: OrganisationConfig = ORGANISATION) -> Sink:
    return Sink(database, "mailbox-info", acknowledge=True, organisation=organisation)


def receipts_to(database: Database, address: str) -> int:
    with database.session() as session:
        return session.scalar(
            select(func.count()).where(Notification.kind == "receipt", Notification.recipient == address)
        )


def send(database: Database, server: SmtpServer, now: dt.datetime | None = None) -> outbox.Report:
    return outbox.OutboxSender(database, mailer.SmtpConfig.from_settings(server.settings())).send_due(now)


def test_a_new_message_gets_a_receipt_with_its_reference_marked_auto_replied(
    database: Database, smtp_server: SmtpServer
) -> None:
    [stored] = acknowledging_sink(database).store([email_from()])

    assert send(database, smtp_server).sent == 1

    [receipt] = smtp_server.to(CITIZEN)
    assert receipt["To"] == CITIZEN
    assert stored.reference in receipt["Subject"]
    assert f"Uw referentienummer is {stored.reference}." in receipt.get_content()
    assert "neemt persoonlijk contact met u op" in receipt.get_content()
    assert "Gemeente Voorbeeld" in receipt.get_content()
    assert receipt["Auto-Submitted"] == "auto-replied"
    assert receipt["X-Signaal-Reference"] == stored.reference
    assert receipt["In-Reply-To"] == "<vraag-1@mail.example.nl>"
    assert receipt["References"] == "<eerder-0@mail.example.nl> <vraag-1@mail.example.nl>"
    assert receipt["Message-ID"] and receipt["Date"]


def test_a_message_from_an_english_form_gets_the_english_receipt(
    database: Database, smtp_server: SmtpServer
) -> None:
    [stored] = acknowledging_sink(database).store([email_from(channel="webform", meta={"language": "en"})])
    send(database, smtp_server)
    [receipt] = smtp_server.to(CITIZEN)
    assert receipt["Subject"] == f"We have received your message ({stored.reference})"
    assert f"Your reference number is {stored.reference}." in receipt.get_content()


def test_the_organisations_own_template_is_used(database: Database) -> None:
    organisation = OrganisationConfig.model_validate(
        {
            "organisation": "Waterschap Test",
            "receipts": {"nl": {"subject": "Ontvangen: {subject}", "body": "{name}, nummer {reference}."}},
        }
    )
    [stored] = acknowledging_sink(database, organisation).store([email_from(subject="Lekkage\nstraat")])
    with database.session() as session:
        receipt = session.scalars(select(Notification)).one()
    assert receipt.subject == "Ontvangen: Lekkage straat"
    assert receipt.body == f"J. Jansen, nummer {stored.reference}."


@pytest.mark.parametrize(
    "overrides",
    [
        pytest.param(
            {"is_automated": True, "automated_reason": "Auto-Submitted: auto-replied"}, id="auto-reply"
        ),
        pytest.param({"is_automated": True, "automated_reason": "multipart/report"}, id="bounce"),
        pytest.param({"is_automated": True, "automated_reason": "Precedence: bulk"}, id="bulk"),
        pytest.param({"sender_address": "MAILER-DAEMON@mail.example.nl"}, id="mailer-daemon"),
        pytest.param({"sender_address": "nieuwsbrief-request@lists.example.nl"}, id="list-request"),
        pytest.param({"sender_address": "noreply@bank.example.nl"}, id="noreply"),
        pytest.param({"sender_address": ""}, id="no-address"),
        pytest.param({"sender_address": "geen adres"}, id="invalid-address"),
        pytest.param(
            {"channel": "social", "sender_address": "burger@social.example.nl"}, id="mastodon-handle"
        ),
        pytest.param({"parse_error": "cannot parse MIME"}, id="quarantined"),
    ],
)
def test_no_receipt_goes_to_automated_mail_or_machine_addresses(
    sqlite_database: Database, overrides: dict[str, object]
) -> None:
    [stored] = acknowledging_sink(sqlite_database).store([email_from(**overrides)])
    assert stored.created
    with sqlite_database.session() as session:
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_a_sender_gets_one_receipt_per_window_and_another_after_it(database: Database) -> None:
    sink = acknowledging_sink(database)
    sink.store([email_from(), email_from()])  # two messages in one batch
    sink.store([email_from("J.Jansen@EXAMPLE.nl")])  # the same person, written differently
    assert receipts_to(database, CITIZEN) == 1

    with database.transaction() as session:  # the 24-hour window passes
        session.execute(update(Notification).values(created_at=utcnow() - dt.timedelta(hours=25)))
    sink.store([email_from()])
    assert receipts_to(database, CITIZEN) == 2


def test_two_connectors_storing_mail_from_one_sender_at_once_send_one_receipt(database: Database) -> None:
    sinks = [Sink(database, f"mailbox-{n}", acknowledge=True, organisation=ORGANISATION) for n in range(2)]
    start = threading.Barrier(len(sinks))

    def ingest(sink: Sink) -> None:
        start.wait(timeout=10)
        for _ in range(5):
            sink.store([email_from(source=sink.connector)])

    threads = [threading.Thread(target=ingest, args=(sink,)) for sink in sinks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 10
    assert receipts_to(database, CITIZEN) == 1


def test_the_window_is_configurable(sqlite_database: Database) -> None:
    organisation = OrganisationConfig.model_validate({"receipts": {"window_hours": 1}})
    sink = acknowledging_sink(sqlite_database, organisation)
    sink.store([email_from()])
    with sqlite_database.transaction() as session:
        session.execute(update(Notification).values(created_at=utcnow() - dt.timedelta(minutes=61)))
    sink.store([email_from()])
    assert receipts_to(sqlite_database, CITIZEN) == 2


def test_a_duplicate_delivery_gets_no_second_receipt(database: Database) -> None:
    sink = acknowledging_sink(database)
    message = email_from(dedupe_key="imap:info:INBOX:7:42")
    sink.store([message])
    with database.transaction() as session:  # even after the window: it is the same message
        session.execute(update(Notification).values(created_at=utcnow() - dt.timedelta(days=3)))
    [again] = sink.store([message])
    assert not again.created
    assert receipts_to(database, CITIZEN) == 1


def test_connectors_without_acknowledge_send_no_receipts(database: Database) -> None:
    Sink(database, "mailbox-info").store([email_from()])
    assert receipts_to(database, CITIZEN) == 0


def test_no_receipt_is_queued_for_a_message_whose_transaction_rolled_back(database: Database) -> None:
    unstorable_cursor = {"INBOX": {"uid": object()}}  # not JSON: the commit fails after the receipt
    with pytest.raises(Exception, match="not JSON serializable"):
        acknowledging_sink(database).store([email_from()], unstorable_cursor)
    with database.session() as session:
        assert session.scalar(select(func.count()).select_from(Message)) == 0
        assert session.scalar(select(func.count()).select_from(Notification)) == 0


def test_ingest_goes_on_while_smtp_is_down_and_receipts_follow_when_it_returns(
    database: Database, smtp_server: SmtpServer
) -> None:
    connector = FakeConnector("mailbox-info", [email_from(), email_from("a.bakker@example.nl")])
    connector.acknowledge = True  # type: ignore[attr-defined] (set from the entry's `acknowledge`)
    smtp_server.stop()

    assert runner.poll_once(connector, database, organisation=ORGANISATION) == 2
    assert send(database, smtp_server).retrying == 2
    with database.session() as session:
        waiting = session.scalars(select(Notification)).all()
        assert session.scalar(select(func.count()).select_from(Message)) == 2
    assert {n.status for n in waiting} == {"pending"}
    assert all("cannot connect" in (n.last_error or "") and n.attempts == 1 for n in waiting)

    connector.add(email_from("c.visser@example.nl"))
    # Still ingesting during the outage.
    assert runner.poll_once(connector, database, organisation=ORGANISATION) == 1

    smtp_server.start()
    assert send(database, smtp_server, now=utcnow() + dt.timedelta(hours=1)).sent == 3
    assert {r.rcpt_tos[0] for r in smtp_server.received} == {
        CITIZEN,
        "a.bakker@example.nl",
        "c.visser@example.nl",
    }


def test_the_runner_sends_no_receipts_for_a_connector_without_acknowledge(database: Database) -> None:
    assert runner.poll_once(FakeConnector("mailbox-info", [email_from()]), database) == 1
    assert receipts_to(database, CITIZEN) == 0


# --- configuration ------------------------------------------------------------------


def test_acknowledge_is_read_from_the_entry_but_not_passed_to_the_kinds_options() -> None:
    entry = ConnectorEntry.model_validate(
        {"name": "info", "kind": "imap", "acknowledge": True, "quiet_warning_minutes": 30, "host": "h"}
    )
    assert entry.acknowledge and entry.quiet_warning_minutes == 30
    assert "acknowledge" not in entry.model_dump() and "quiet_warning_minutes" not in entry.model_dump()


def test_a_template_with_an_unknown_placeholder_is_refused_naming_the_field(tmp_path) -> None:  # type: ignore[no-untyped-def]
    path = tmp_path / "config.yaml"
    path.write_text("receipts:\n  en:\n    subject: Thanks\n    body: 'Your number: {referentie}'\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert "receipts.en.body" in str(error.value) and "{referentie}" in str(error.value)


def test_a_template_without_the_reference_is_refused() -> None:
    with pytest.raises(ValueError, match="must contain \\{reference\\}"):
        OrganisationConfig.model_validate({"receipts": {"nl": {"subject": "Bedankt", "body": "Bedankt!"}}})
