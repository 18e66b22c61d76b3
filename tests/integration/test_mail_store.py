"""Every corpus mail, parsed by shared.mail, stores on SQLite and PostgreSQL in the right state."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import func, select

from services.ingest.sink import Sink
from shared.db import Database
from shared.mail import parse_email
from shared.models import Attachment, Message
from shared.normalise import Incoming
from shared.states import State

CORPUS = Path(__file__).resolve().parents[1] / "data" / "mail"
MANIFEST = json.loads((CORPUS / "manifest.json").read_text(encoding="utf-8"))
NOT_MAIL = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x01\x00" * 8


def parse_corpus() -> list[Incoming]:
    incoming = [
        parse_email((CORPUS / entry["file"]).read_bytes(), source="mailbox-test", dedupe_key=entry["file"])
        for entry in MANIFEST
    ]
    incoming.append(parse_email(NOT_MAIL, source="mailbox-test", dedupe_key="not-mail"))
    return incoming


def test_every_corpus_mail_is_stored_once_in_the_expected_state(database: Database) -> None:
    sink = Sink(database, "mailbox-test")

    first = sink.store(parse_corpus())
    again = sink.store(parse_corpus())

    assert all(stored.created for stored in first)
    assert not any(stored.created for stored in again)
    automated = {entry["file"] for entry in MANIFEST if entry["automated"]}
    with database.session() as session:
        states = dict(session.execute(select(Message.dedupe_key, Message.state)).all())
        attachments = session.scalar(select(func.count()).select_from(Attachment))
    assert len(states) == len(MANIFEST) + 1
    assert {key for key, state in states.items() if state == State.automated} == automated
    assert [key for key, state in states.items() if state == State.quarantined] == ["not-mail"]
    assert attachments == sum(entry["attachments"] for entry in MANIFEST)


def test_stored_mail_keeps_text_quotes_html_and_flags(database: Database) -> None:
    Sink(database, "mailbox-test").store(parse_corpus())

    with database.session() as session:
        rows = {row.dedupe_key: row for row in session.scalars(select(Message))}
        reply = rows["48-reply-dutch-gmail-quote.eml"]
        assert "mijn moeder er over gestruikeld" in reply.text
        assert "Wij hebben uw melding in behandeling genomen" in reply.quoted_text
        assert reply.html is not None and "gmail_quote" in reply.html
        assert reply.references == [
            "<m2026-2044@example.com>",
            "<m2026-2044.reactie@voorbeeldstad.example.nl>",
        ]
        assert "NUL-byte" in rows["46-nul-byte-in-body.eml"].text  # PostgreSQL takes no NUL: it was dropped
        bounce = rows["52-auto-dsn-bounce.eml"]
        assert bounce.automated_reason == "Content-Type: multipart/report; report-type=delivery-status"
        not_mail = rows["not-mail"]
        assert not_mail.raw == NOT_MAIL
        assert not_mail.error is not None and "not an email message" in not_mail.error
