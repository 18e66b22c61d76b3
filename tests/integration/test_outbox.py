"""The outbox against a real SMTP server (aiosmtpd): delivery, outages, retries, login, STARTTLS."""

from __future__ import annotations

import datetime as dt
import itertools
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from pydantic import SecretStr
from sqlalchemy import select

from shared import mailer, outbox
from shared.db import Database
from shared.models import AuditEntry, Notification, utcnow
from shared.settings import Settings, SmtpSecurity
from tests import processes, smtp
from tests.processes import wait_until
from tests.smtp import SmtpServer

HANDLER = "f.elamrani@example.nl"


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with smtp.running() as server:
        yield server


def queue(database: Database, recipient: str = HANDLER, *, kind: str = outbox.ASSIGNMENT) -> int:
    with database.transaction() as session:
        return outbox.enqueue(
            session, kind=kind, recipient=recipient, subject="Nieuw signaal SG-TEST", body="Zie Signaal."
        ).id


def row(database: Database, notification_id: int) -> Notification:
    with database.session() as session:
        found = session.get(Notification, notification_id)
        assert found is not None
        return found


def sender(database: Database, settings: Settings, **options: object) -> outbox.OutboxSender:
    return outbox.OutboxSender(database, mailer.SmtpConfig.from_settings(settings), **options)  # type: ignore[arg-type]


def test_a_queued_notification_arrives_with_auto_generated_headers(
    database: Database, smtp_server: SmtpServer
) -> None:
    notification_id = queue(database)

    report = sender(database, smtp_server.settings()).send_due()

    assert report.sent == 1
    [message] = smtp_server.to(HANDLER)
    assert message["Subject"] == "Nieuw signaal SG-TEST"
    assert message["Auto-Submitted"] == "auto-generated"
    assert message["X-Auto-Response-Suppress"] == "All"
    assert message["Message-ID"].startswith(f"<signaal.{notification_id}.")
    assert message["Message-ID"].endswith("@voorbeeld.example.nl>")
    assert message["Date"] and message["From"] == "Gemeente Voorbeeld <noreply@voorbeeld.example.nl>"
    assert message["In-Reply-To"] is None  # not a reply to anyone's message
    assert message.get_content().strip() == "Zie Signaal."
    assert smtp_server.received[0].mail_from == "noreply@voorbeeld.example.nl"
    sent = row(database, notification_id)
    assert (sent.status, sent.attempts, sent.last_error) == ("sent", 1, None) and sent.sent_at is not None


def test_an_outage_keeps_mail_pending_with_the_error_and_delivers_it_once_when_the_server_returns(
    database: Database, smtp_server: SmtpServer
) -> None:
    notification_id = queue(database)
    mail = sender(database, smtp_server.settings())
    smtp_server.stop()

    first = mail.send_due()
    assert first.retrying == 1
    waiting = row(database, notification_id)
    assert waiting.status == "pending" and waiting.attempts == 1
    assert "cannot connect to 127.0.0.1" in (waiting.last_error or "")
    assert mail.send_due().handled == 0  # backing off: not due again yet

    later = utcnow() + dt.timedelta(hours=2)
    mail.send_due(now=later)
    assert row(database, notification_id).attempts == 2

    smtp_server.start()
    assert mail.send_due(now=later + dt.timedelta(hours=2)).sent == 1
    assert len(smtp_server.to(HANDLER)) == 1
    assert row(database, notification_id).status == "sent"


def test_retries_back_off_exponentially_up_to_an_hour() -> None:
    delays = [outbox.retry_delay(attempt) for attempt in range(1, 12)]
    assert dt.timedelta(seconds=47) <= delays[0] <= dt.timedelta(minutes=1)
    assert all(later >= earlier * 1.5 for earlier, later in itertools.pairwise(delays[:6]))
    assert max(delays) <= dt.timedelta(hours=1)


def test_mail_fails_after_the_last_attempt_and_goes_out_after_a_retry(
    database: Database, smtp_server: SmtpServer
) -> None:
    notification_id = queue(database)
    mail = sender(database, smtp_server.settings(), max_attempts=3)
    smtp_server.stop()
    now = utcnow()
    for hour in range(3):
        mail.send_due(now=now + dt.timedelta(hours=2 * hour))
    failed = row(database, notification_id)
    assert (failed.status, failed.attempts) == ("failed", 3)
    assert mail.send_due(now=now + dt.timedelta(days=1)).handled == 0  # failed mail is left alone

    with database.transaction() as session:
        summary = outbox.summary(session)
        assert summary.failed == 1 and "cannot connect" in (summary.last_error or "")
        assert outbox.retry_failed(session, actor="cli") == 1
    with database.session() as session:
        audit = session.scalars(select(AuditEntry).where(AuditEntry.action == "outbox.retry")).one()
        assert (audit.actor, audit.detail) == ("cli", {"count": 1})
    smtp_server.start()
    assert mail.send_due().sent == 1
    assert len(smtp_server.to(HANDLER)) == 1


def test_a_refused_recipient_fails_at_once_and_the_others_still_go_out(
    database: Database, smtp_server: SmtpServer
) -> None:
    smtp_server.handler.refuse["weg@example.nl"] = "550 5.1.1 No such user"
    refused = queue(database, "weg@example.nl")
    delivered = queue(database)

    report = sender(database, smtp_server.settings()).send_due()

    assert (report.sent, report.failed) == (1, 1)
    gone = row(database, refused)
    assert gone.status == "failed" and "550" in (gone.last_error or "")
    assert row(database, delivered).status == "sent"


def test_a_temporary_refusal_is_retried(database: Database, smtp_server: SmtpServer) -> None:
    smtp_server.handler.refuse[HANDLER] = "452 4.2.2 Mailbox full"
    notification_id = queue(database)

    sender(database, smtp_server.settings()).send_due()

    waiting = row(database, notification_id)
    assert waiting.status == "pending" and "452" in (waiting.last_error or "")


def test_without_an_smtp_host_mail_waits_and_ops_can_see_it(database: Database) -> None:
    notification_id = queue(database)

    mail = sender(database, Settings(smtp_host=""))
    assert mail.send_due().handled == 0
    stop = threading.Event()
    stop.set()
    mail.run(stop)  # returns at once: nothing to send with

    waiting = row(database, notification_id)
    assert (waiting.status, waiting.attempts) == ("pending", 0)
    with database.session() as session:
        assert outbox.summary(session).pending == 1


def test_two_senders_side_by_side_send_each_mail_exactly_once(
    database: Database, smtp_server: SmtpServer
) -> None:
    recipients = [f"handler{n}@example.nl" for n in range(40)]
    for recipient in recipients:
        queue(database, recipient)
    senders = [sender(database, smtp_server.settings(), batch_size=5, interval=0.05) for _ in range(2)]
    stop = threading.Event()
    threads = [threading.Thread(target=s.run, args=(stop,)) for s in senders]
    for thread in threads:
        thread.start()
    try:
        wait_until(lambda: len(smtp_server.received) >= len(recipients), timeout=60, what="all 40 mails")
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=30)
    delivered = sorted(address for r in smtp_server.received for address in r.rcpt_tos)
    assert delivered == sorted(recipients)
    with database.session() as session:
        assert set(session.scalars(select(Notification.status))) == {"sent"}


def test_a_sender_whose_lease_expired_does_not_overwrite_the_new_owner(database: Database) -> None:
    notification_id = queue(database)
    now = utcnow()
    lease = dt.timedelta(minutes=5)
    with database.transaction() as session:
        [(_, first_attempt)] = outbox.claim(session, now=now, limit=10, lease=lease)
    with database.transaction() as session:
        assert outbox.claim(session, now=now, limit=10, lease=lease) == []  # leased: not claimable
        [(_, second_attempt)] = outbox.claim(session, now=now + lease * 2, limit=10, lease=lease)
    with database.transaction() as session:
        assert not outbox.mark_sent(session, notification_id=notification_id, attempt=first_attempt, now=now)
        assert outbox.mark_sent(session, notification_id=notification_id, attempt=second_attempt, now=now)
    assert (first_attempt, second_attempt) == (1, 2)


def test_enqueue_refuses_an_address_that_is_not_one(database: Database) -> None:
    with database.transaction() as session, pytest.raises(ValueError, match="not a valid email address"):
        outbox.enqueue(session, kind=outbox.DIGEST, recipient="niet-een-adres", subject="s", body="b")


def test_a_line_break_in_the_subject_cannot_inject_headers(
    database: Database, smtp_server: SmtpServer
) -> None:
    with database.transaction() as session:
        outbox.enqueue(
            session,
            kind=outbox.DIGEST,
            recipient=HANDLER,
            subject="Overzicht\r\nBcc: x@evil.example",
            body="b",
        )
    sender(database, smtp_server.settings()).send_due()
    [message] = smtp_server.to(HANDLER)
    assert message["Bcc"] is None and message["Subject"] == "Overzicht Bcc: x@evil.example"


# --- login and TLS ------------------------------------------------------------------


@pytest.fixture
def login_server() -> Iterator[SmtpServer]:
    # AUTH over plain SMTP, allowed here only because the server is on loopback (auth_require_tls=False).
    with smtp.running(require_login=True) as server:
        yield server


@pytest.mark.filterwarnings(smtp.AUTH_WITHOUT_TLS_WARNING)
def test_mail_goes_out_after_logging_in_with_username_and_password(
    sqlite_database: Database, login_server: SmtpServer
) -> None:
    queue(sqlite_database)
    settings = login_server.settings(smtp_username=smtp.USERNAME, smtp_password=smtp.PASSWORD)

    assert sender(sqlite_database, settings).send_due().sent == 1
    assert len(login_server.to(HANDLER)) == 1


@pytest.mark.filterwarnings(smtp.AUTH_WITHOUT_TLS_WARNING)
def test_a_wrong_password_is_reported_as_a_refused_login_without_the_password(
    sqlite_database: Database, login_server: SmtpServer
) -> None:
    notification_id = queue(sqlite_database)
    settings = login_server.settings(smtp_username=smtp.USERNAME, smtp_password="wrong-password-123")

    sender(sqlite_database, settings).send_due()

    error = row(sqlite_database, notification_id).last_error or ""
    assert "login refused" in error and "SIGNAAL_SMTP_PASSWORD" in error
    assert "wrong-password-123" not in error
    assert "wrong-password-123" not in repr(settings) and isinstance(settings.smtp_password, SecretStr)
    assert login_server.received == []


def test_starttls_with_the_servers_certificate_as_ca_file_delivers(
    sqlite_database: Database, tmp_path: Path
) -> None:
    cert, key = smtp.self_signed_certificate(tmp_path)
    with smtp.running(tls_context=smtp.server_tls_context(cert, key)) as server:
        queue(sqlite_database)
        settings = server.settings(smtp_security=SmtpSecurity.starttls, smtp_ca_file=cert)
        assert sender(sqlite_database, settings).send_due().sent == 1
        assert len(server.to(HANDLER)) == 1


def test_starttls_refuses_a_certificate_it_cannot_verify(sqlite_database: Database, tmp_path: Path) -> None:
    cert, key = smtp.self_signed_certificate(tmp_path)
    with smtp.running(tls_context=smtp.server_tls_context(cert, key)) as server:
        notification_id = queue(sqlite_database)
        settings = server.settings(smtp_security=SmtpSecurity.starttls)
        assert sender(sqlite_database, settings).send_due().retrying == 1
        error = row(sqlite_database, notification_id).last_error or ""
        assert "certificate" in error and "SIGNAAL_SMTP_CA_FILE" in error, error
        assert server.received == []


def test_smtp_settings_need_a_sender_address() -> None:
    with pytest.raises(ValueError, match="SIGNAAL_SMTP_FROM"):
        Settings(smtp_host="smtp.example.nl")
    assert mailer.SmtpConfig.from_settings(Settings(smtp_security=SmtpSecurity.tls)).port == 465
    assert mailer.SmtpConfig.from_settings(Settings()).port == 587


# --- the commands that run the sender -------------------------------------------------


def smtp_env(database: Database, server: SmtpServer) -> dict[str, str]:
    return processes.signaal_env(
        database.url,
        smtp_host="127.0.0.1",
        smtp_port=str(server.port),
        smtp_security="none",
        smtp_from="noreply@voorbeeld.example.nl",
    )


def test_signaal_ingest_once_delivers_the_mail_that_is_due(
    sqlite_database: Database, smtp_server: SmtpServer
) -> None:
    queue(sqlite_database)
    done = processes.run([processes.SIGNAAL, "ingest", "--once"], smtp_env(sqlite_database, smtp_server))
    assert done.returncode == 0, done.stderr
    assert "Outbox: 1 sent" in done.stdout
    assert len(smtp_server.to(HANDLER)) == 1


def test_signaal_ingest_keeps_sending_while_it_runs(
    sqlite_database: Database, smtp_server: SmtpServer, tmp_path: Path
) -> None:
    process = processes.start(
        [processes.SIGNAAL, "ingest"], smtp_env(sqlite_database, smtp_server), tmp_path / "ingest.log"
    )
    try:
        queue(sqlite_database)
        processes.wait_until(lambda: len(smtp_server.to(HANDLER)) == 1, timeout=30, what="the mail to arrive")
    finally:
        assert processes.stop(process) == 0, (tmp_path / "ingest.log").read_text()
