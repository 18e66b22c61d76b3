"""A receipt whose template quotes the citizen's subject and name cannot be forged (issue 18, finding 1).

End to end: the citizen's message is stored with its receipt, the real outbox
sends it to a real SMTP server, and what that server received is checked.
"""

from __future__ import annotations

import base64
from collections.abc import Iterator
from email.message import EmailMessage

import pytest

from services.ingest.sink import Sink
from shared import mail, mailer, outbox
from shared.config import OrganisationConfig
from shared.db import Database
from tests import smtp
from tests.conftest import make_incoming
from tests.smtp import SmtpServer

CITIZEN = "j.jansen@example.nl"
ORGANISATION_FROM = "Gemeente Voorbeeld <noreply@voorbeeld.example.nl>"
# The template the attack needs: the citizen's subject in the subject, the name in the body.
ORGANISATION = OrganisationConfig.model_validate(
    {
        "organisation": "Gemeente Voorbeeld",
        "receipts": {
            "nl": {
                "subject": "Ontvangen: {subject} ({reference})",
                "body": "Beste {name}, nummer {reference}.",
            }
        },
    }
)
ATTACK = (
    "x\r\nReply-To: evil@attacker.example\r\nContent-Type: text/html\r\n\r\n"
    "<html><a href='https://attacker.example/betaal'>Betaal de leges hier</a></html>"
)


def encoded_word(text: str) -> str:
    return "=?utf-8?b?" + base64.b64encode(text.encode()).decode() + "?="


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with smtp.running() as server:
        yield server


def sent_receipt(database: Database, server: SmtpServer, incoming: object) -> EmailMessage:
    """Store `incoming` with a receipt, send the outbox, and return what the server received."""
    [stored] = Sink(database, "mailbox-info", acknowledge=True, organisation=ORGANISATION).store([incoming])  # type: ignore[list-item]
    sender = outbox.OutboxSender(database, mailer.SmtpConfig.from_settings(server.settings()))
    assert sender.send_due().sent == 1
    [receipt] = server.to(CITIZEN)
    assert stored.reference in receipt["Subject"]
    return receipt


def assert_not_forged(receipt: EmailMessage) -> None:
    assert receipt.get_all("Reply-To") is None  # the organisation sets none; nor may the citizen
    assert receipt["From"] == ORGANISATION_FROM
    # One text/plain part, the organisation's; the citizen's words in it are shown as text, inert.
    assert [part.get_content_type() for part in receipt.walk()] == ["text/plain"]
    assert receipt.get_content().startswith("Beste ")
    assert receipt.get_content().strip().endswith(".")


def test_a_web_form_subject_and_name_with_encoded_line_breaks_send_an_unforged_receipt(
    database: Database, smtp_server: SmtpServer
) -> None:
    incoming = make_incoming(
        "Mijn container is niet geleegd.",
        sender_address=CITIZEN,
        sender_name=encoded_word(ATTACK),
        subject=encoded_word(ATTACK),
    )
    receipt = sent_receipt(database, smtp_server, incoming)
    assert_not_forged(receipt)
    assert receipt["Subject"].startswith("Ontvangen: x Reply-To: evil@attacker.example Content-Type")


def test_a_mail_whose_subject_is_encoded_twice_gets_an_unforged_receipt(
    database: Database, smtp_server: SmtpServer
) -> None:
    raw = (
        f"From: J. Jansen <{CITIZEN}>\r\n"
        "To: info@voorbeeld.example.nl\r\n"
        f"Subject: {encoded_word(encoded_word(ATTACK))}\r\n"
        "Message-ID: <vraag-1@mail.example.nl>\r\n"
        "Date: Wed, 02 Dec 2026 10:00:00 +0100\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Mijn container is niet geleegd.\r\n"
    ).encode()
    incoming = mail.parse_email(raw, source="mailbox-info", dedupe_key="forged-1")
    assert incoming.subject.startswith("=?utf-8?b?")  # decoded once on the way in, as any client would
    receipt = sent_receipt(database, smtp_server, incoming)
    assert_not_forged(receipt)
    assert receipt["In-Reply-To"] == "<vraag-1@mail.example.nl>"


def test_a_mail_with_a_forged_message_id_gets_a_receipt_without_threading(
    database: Database, smtp_server: SmtpServer
) -> None:
    raw = (
        f"From: {CITIZEN}\r\n"
        "Subject: Container\r\n"
        f"Message-ID: <{encoded_word(ATTACK)}@mail.example.nl>\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "\r\n"
        "Mijn container is niet geleegd.\r\n"
    ).encode()
    receipt = sent_receipt(
        database, smtp_server, mail.parse_email(raw, source="mailbox-info", dedupe_key="f2")
    )
    assert_not_forged(receipt)
    assert receipt["In-Reply-To"] is None
