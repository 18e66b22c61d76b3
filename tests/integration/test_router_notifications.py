"""Router notifications through the outbox to a real SMTP server (aiosmtpd), on both databases."""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator

import pytest
from sqlalchemy import func, select, update

from services.router import digest, manual, notify, scheduler, waiting
from shared import mailer, outbox, workdays
from shared.db import Database
from shared.models import (
    Absence,
    AuditEntry,
    Classification,
    FollowUp,
    Handler,
    Message,
    Notification,
    Signal,
    utcnow,
)
from shared.outbox import OutboxSender
from shared.settings import Settings, get_settings
from shared.states import State
from tests import processes, smtp
from tests.routing import classified, handler, organise, route
from tests.smtp import SmtpServer

PUBLIC_URL = "https://signaal.voorbeeld.example.nl"
HANDLER = "fatima.el.amrani@example.nl"
LEAD = "teamleider.frontoffice@example.nl"
COMPLAINT = "Dit is de derde keer dat ik bel over mijn kapotte container, belachelijk!"
PHRASES = [{"text": "derde keer dat ik bel", "start": 7, "end": 28, "weight": 0.8, "field": "text"}]
CITIZEN = "j.jansen@example.nl"
AMSTERDAM = workdays.AMSTERDAM


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    with smtp.running() as server:
        yield server


@pytest.fixture(autouse=True)
def public_url(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    # The assignment hook reads the process settings, as the route worker does.
    monkeypatch.setenv("SIGNAAL_PUBLIC_URL", PUBLIC_URL)
    get_settings.cache_clear()
    yield
    get_settings.cache_clear()


def organisation(database: Database, *, lead: str | None = LEAD) -> None:
    department = {"name": "Frontoffice", **({"lead_email": lead} if lead else {})}
    organise(database, departments=[department], handlers=[handler("Fatima El Amrani", "Frontoffice")])


def routed_signal(database: Database, text: str = COMPLAINT) -> int:
    message_id = classified(database, text, sender_address=CITIZEN, channel="email")
    with database.transaction() as session:
        session.execute(
            update(Classification).where(Classification.message_id == message_id).values(phrases=PHRASES)
        )
    route(database)
    with database.session() as session:
        return session.scalars(select(Signal.id).where(Signal.message_id == message_id)).one()


def deliver(database: Database, server: SmtpServer, now: dt.datetime | None = None) -> outbox.Report:
    return OutboxSender(database, mailer.SmtpConfig.from_settings(server.settings())).send_due(now)


def reference(database: Database, signal_id: int) -> str:
    with database.session() as session:
        return session.scalars(
            select(Message.reference)
            .join(Signal, Signal.message_id == Message.id)
            .where(Signal.id == signal_id)
        ).one()


def set_due(database: Database, signal_id: int, due_at: dt.datetime, **fields: object) -> None:
    with database.transaction() as session:
        session.execute(
            update(FollowUp).where(FollowUp.signal_id == signal_id).values(due_at=due_at, **fields)
        )


def notifications(database: Database, kind: str) -> list[Notification]:
    with database.session() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == kind)))


def at_once(action: Callable[[], object], processes: int = 2) -> None:
    """Run `action` on several threads released together, as several worker processes would."""
    start = threading.Barrier(processes)

    def run() -> None:
        start.wait()
        action()

    threads = [threading.Thread(target=run) for _ in range(processes)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)


# --- on assignment ---


def test_the_handler_gets_a_short_summary_with_the_reason_and_a_link(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    signal_id = routed_signal(database)

    assert deliver(database, smtp_server).sent == 1

    [mail] = smtp_server.to(HANDLER)
    body = mail.get_content()
    ref = reference(database, signal_id)
    assert ref in mail["Subject"] and mail["Auto-Submitted"] == "auto-generated"
    assert f"{PUBLIC_URL}/signals/{signal_id}" in body
    assert "Referentie:    " + ref in body and "Kanaal:        e-mail" in body
    assert "Afdeling:      Frontoffice" in body and "Inschatting:   hoog (score 0.90)" in body
    assert '"derde keer dat ik bel"' in body  # the reason it was flagged
    assert "Contact vóór:" in body and "Waarom bij u:" in body


def test_the_mail_tells_the_handler_when_the_sender_is_in_persistent_contact(database: Database) -> None:
    organisation(database)
    for _ in range(3):
        routed_signal(database)
    bodies = [n.body for n in notifications(database, outbox.ASSIGNMENT)]
    assert ["aanhoudend contact" in body for body in bodies] == [False, False, True]
    assert "\n\n\n" not in bodies[0] and "\n\n\n" not in bodies[2]


def test_the_assignment_mail_carries_neither_the_message_nor_the_sender(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    routed_signal(database)
    deliver(database, smtp_server)

    [mail] = smtp_server.to(HANDLER)
    body = mail.get_content()
    assert "kapotte container" not in body and CITIZEN not in body and "belachelijk" not in body


def test_the_due_date_in_the_mail_is_the_follow_up_due_date(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    signal_id = routed_signal(database)
    deliver(database, smtp_server)
    with database.session() as session:
        due = session.scalars(select(FollowUp.due_at).where(FollowUp.signal_id == signal_id)).one()
    assert f"Contact vóór:  {notify.mailtexts.when(due)}" in smtp_server.to(HANDLER)[0].get_content()


def test_a_signal_waiting_for_a_handler_sends_no_mail(database: Database) -> None:
    organise(database)  # nobody in the default team: the signal waits in its queue
    routed_signal(database)
    assert notifications(database, outbox.ASSIGNMENT) == []


def test_a_manual_reassignment_mails_the_new_handler(database: Database) -> None:
    organise(
        database,
        departments=[{"name": "Frontoffice"}],
        handlers=[handler("Fatima El Amrani", "Frontoffice"), handler("Kees de Vries", "Frontoffice")],
    )
    signal_id = routed_signal(database)
    with database.transaction() as session:
        first = session.scalars(select(Signal.handler_id).where(Signal.id == signal_id)).one()
        other = session.scalars(select(Handler).where(Handler.id != first)).one()
        manual.reassign(
            db_session=session,
            signal_id=signal_id,
            department_id=None,
            handler_id=other.id,
            note="kent de buurt",
            actor="frontoffice",
            base_url=PUBLIC_URL,
        )

    recipients = [n.recipient for n in notifications(database, outbox.ASSIGNMENT)]
    assert len(recipients) == 2 and recipients[-1] == other.email
    body = notifications(database, outbox.ASSIGNMENT)[-1].body
    assert f"Waarom bij u:  Opnieuw toegewezen door frontoffice aan {other.name}: kent de buurt." in body


def test_a_waiting_signal_mails_the_handler_who_takes_it_later(database: Database) -> None:
    organisation(database)
    with database.transaction() as session:
        session.execute(update(Handler).values(active=False))  # nobody available: the signal waits
    routed_signal(database)
    assert notifications(database, outbox.ASSIGNMENT) == []

    with database.transaction() as session:
        session.execute(update(Handler).values(active=True))
    waiting.assign_waiting(database, base_url=PUBLIC_URL)

    assert [n.recipient for n in notifications(database, outbox.ASSIGNMENT)] == [HANDLER]


def test_an_invalid_handler_address_is_recorded_and_does_not_fail_the_assignment(database: Database) -> None:
    organisation(database)
    with database.transaction() as session:
        session.execute(update(Handler).values(email="not an address"))
    signal_id = routed_signal(database)

    with database.session() as session:
        state = session.scalars(
            select(Message.state).join(Signal, Signal.message_id == Message.id).where(Signal.id == signal_id)
        ).one()
        handler_id = session.scalars(select(Signal.handler_id).where(Signal.id == signal_id)).one()
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "notification.unsent"))
    assert state == State.routed and handler_id is not None
    assert entry.object_id == signal_id and entry.detail["kind"] == outbox.ASSIGNMENT
    assert entry.detail["handler_id"] == handler_id and "not valid" in entry.detail["reason"]
    assert notifications(database, outbox.ASSIGNMENT) == []


def test_an_smtp_outage_delays_the_assignment_mail_without_losing_it(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    routed_signal(database)
    smtp_server.stop()

    assert deliver(database, smtp_server).retrying == 1
    [waiting] = notifications(database, outbox.ASSIGNMENT)
    assert waiting.status == outbox.PENDING and "cannot connect" in (waiting.last_error or "")

    smtp_server.start()
    assert deliver(database, smtp_server, utcnow() + dt.timedelta(hours=2)).sent == 1
    assert len(smtp_server.to(HANDLER)) == 1


def test_digest_and_escalation_mails_wait_out_an_smtp_outage_and_arrive_once(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1))
    smtp_server.stop()
    digest.send_digests(database, base_url=PUBLIC_URL)
    notify.escalate_overdue(database, base_url=PUBLIC_URL)

    assert deliver(database, smtp_server).retrying == 3  # assignment, digest, escalation
    smtp_server.start()
    assert deliver(database, smtp_server, utcnow() + dt.timedelta(hours=2)).sent == 3
    assert deliver(database, smtp_server, utcnow() + dt.timedelta(hours=4)).handled == 0

    assert len(smtp_server.to(HANDLER)) == 2 and len(smtp_server.to(LEAD)) == 1


# --- the daily digest ---


def test_the_digest_lists_overdue_follow_ups_with_links(database: Database, smtp_server: SmtpServer) -> None:
    organisation(database)
    late = routed_signal(database)
    later = routed_signal(database, "Weer niets gehoord over mijn aanvraag.")
    now = utcnow()
    set_due(database, late, now - dt.timedelta(days=2))
    set_due(database, later, now + dt.timedelta(days=3))

    assert digest.send_digests(database, now=now, base_url=PUBLIC_URL).queued == 1
    deliver(database, smtp_server)

    [mail] = [m for m in smtp_server.to(HANDLER) if m["Subject"].startswith("Signaal:")]
    body = mail.get_content()
    assert "Te laat (1):" in body and reference(database, late) in body
    assert f"{PUBLIC_URL}/signals/{late}" in body
    assert reference(database, later) not in body


def test_the_digest_is_queued_once_when_run_twice(database: Database) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1))

    first = digest.send_digests(database, base_url=PUBLIC_URL)
    second = digest.send_digests(database, base_url=PUBLIC_URL)

    assert (first.queued, second.queued, second.already_sent) == (1, 0, 1)
    assert len(notifications(database, outbox.DIGEST)) == 1


def test_two_processes_running_the_digest_at_once_queue_it_once(database: Database) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1))
    at_once(lambda: digest.send_digests(database, base_url=PUBLIC_URL))
    assert len(notifications(database, outbox.DIGEST)) == 1


def test_absent_handlers_get_no_digest(database: Database) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1))
    with database.transaction() as session:
        handler_id = session.scalars(select(Handler.id)).one()
        today = utcnow().astimezone(AMSTERDAM).date()
        session.add(Absence(handler_id=handler_id, start=today, end=today + dt.timedelta(days=7)))

    digest.send_digests(database, base_url=PUBLIC_URL)

    assert notifications(database, outbox.DIGEST) == []


def test_handlers_with_nothing_due_get_no_digest(database: Database) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() + dt.timedelta(days=3))
    assert digest.send_digests(database, base_url=PUBLIC_URL).nothing_due == 1
    assert notifications(database, outbox.DIGEST) == []


@pytest.mark.parametrize(
    ("local", "expected"),
    [
        (dt.datetime(2026, 11, 30, 8, 0, tzinfo=AMSTERDAM), True),  # Monday at the digest time
        (dt.datetime(2026, 11, 30, 7, 59, tzinfo=AMSTERDAM), False),  # before it
        (dt.datetime(2026, 11, 28, 9, 0, tzinfo=AMSTERDAM), False),  # Saturday
        (dt.datetime(2027, 4, 27, 9, 0, tzinfo=AMSTERDAM), False),  # Koningsdag
        (dt.datetime(2026, 12, 25, 9, 0, tzinfo=AMSTERDAM), False),  # Christmas
    ],
)
def test_the_digest_goes_out_on_working_days_from_the_configured_time(
    local: dt.datetime, expected: bool
) -> None:
    assert digest.is_due(local.astimezone(dt.UTC), dt.time(8, 0)) is expected


# --- escalation ---


def test_an_overdue_informal_follow_up_is_escalated_to_the_department_lead_once(
    database: Database, smtp_server: SmtpServer
) -> None:
    organisation(database)
    signal_id = routed_signal(database)
    set_due(database, signal_id, utcnow() - dt.timedelta(hours=1))

    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 1
    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 0
    deliver(database, smtp_server)

    [mail] = smtp_server.to(LEAD)
    body = mail.get_content()
    assert reference(database, signal_id) in mail["Subject"] and "Frontoffice" in mail["Subject"]
    assert "persoonlijk contact" in body and "Fatima El Amrani" in body
    assert f"{PUBLIC_URL}/signals/{signal_id}" in body and CITIZEN not in body
    with database.session() as session:
        escalated = session.scalars(
            select(FollowUp.escalated_at).where(FollowUp.signal_id == signal_id)
        ).one()
    assert escalated is not None


def test_an_overdue_formal_procedure_is_escalated(database: Database) -> None:
    organisation(database)
    signal_id = routed_signal(database)
    with database.transaction() as session:
        session.execute(update(FollowUp).where(FollowUp.signal_id == signal_id).values(status="formal"))
        session.add(FollowUp(signal_id=signal_id, kind="formal", due_at=utcnow() - dt.timedelta(days=1)))

    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 1
    [mail] = notifications(database, outbox.ESCALATION)
    assert "formele klachtbehandeling" in mail.body and mail.recipient == LEAD


def test_an_extended_formal_deadline_is_escalated_again_once_it_passes(database: Database) -> None:
    organisation(database)
    signal_id = routed_signal(database)
    now = utcnow()
    with database.transaction() as session:
        session.execute(update(FollowUp).where(FollowUp.signal_id == signal_id).values(status="formal"))
        session.add(FollowUp(signal_id=signal_id, kind="formal", due_at=now - dt.timedelta(weeks=5)))
    notify.escalate_overdue(database, now=now - dt.timedelta(weeks=4), base_url=PUBLIC_URL)
    with database.transaction() as session:  # extended by four weeks (Awb 9:11), now passed too
        session.execute(
            update(FollowUp)
            .where(FollowUp.kind == "formal")
            .values(due_at=now - dt.timedelta(weeks=1), extended=True)
        )

    assert notify.escalate_overdue(database, now=now, base_url=PUBLIC_URL) == 1
    assert notify.escalate_overdue(database, now=now, base_url=PUBLIC_URL) == 0
    assert len(notifications(database, outbox.ESCALATION)) == 2


def test_a_dismissed_signal_is_not_escalated(database: Database) -> None:
    organisation(database)
    signal_id = routed_signal(database)
    set_due(database, signal_id, utcnow() - dt.timedelta(days=1))
    with database.transaction() as session:
        session.execute(update(Signal).where(Signal.id == signal_id).values(status="dismissed"))
    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 0


def test_a_follow_up_whose_citizen_was_contacted_is_not_escalated(database: Database) -> None:
    organisation(database)
    set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1), status="contacted")
    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 0


def test_an_escalation_without_a_lead_is_recorded_visibly(database: Database) -> None:
    organisation(database, lead=None)
    signal_id = routed_signal(database)
    set_due(database, signal_id, utcnow() - dt.timedelta(days=1))

    assert notify.escalate_overdue(database, base_url=PUBLIC_URL) == 1
    with database.session() as session:
        [entry] = session.scalars(select(AuditEntry).where(AuditEntry.action == "notification.unsent"))
    assert entry.object_id == signal_id and entry.detail["kind"] == outbox.ESCALATION
    assert notifications(database, outbox.ESCALATION) == []


def test_two_processes_escalating_at_once_mail_the_lead_once(database: Database) -> None:
    organisation(database)
    for _ in range(3):
        set_due(database, routed_signal(database), utcnow() - dt.timedelta(days=1))
    at_once(lambda: notify.escalate_overdue(database, base_url=PUBLIC_URL))
    with database.session() as session:
        count = session.scalar(select(func.count()).where(Notification.kind == outbox.ESCALATION))
    assert count == 3


MONDAY_MORNING = dt.datetime(2026, 11, 23, 9, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)
SATURDAY_MORNING = dt.datetime(2026, 11, 21, 9, 0, tzinfo=AMSTERDAM).astimezone(dt.UTC)


@pytest.mark.parametrize(("now", "digests"), [(MONDAY_MORNING, 1), (SATURDAY_MORNING, 0)])
def test_the_scheduler_escalates_always_and_sends_the_digest_on_working_mornings(
    database: Database, now: dt.datetime, digests: int
) -> None:
    organisation(database)
    set_due(database, routed_signal(database), now - dt.timedelta(days=1))
    settings = Settings(public_url=PUBLIC_URL, notify_digest_time=dt.time(8, 0))
    ticks = scheduler.NotifyScheduler(database, settings)

    ticks.tick(now)
    ticks.tick(now + dt.timedelta(minutes=5))

    assert len(notifications(database, outbox.ESCALATION)) == 1
    assert len(notifications(database, outbox.DIGEST)) == digests


def test_the_notify_commands_queue_digest_and_escalation_once(sqlite_database: Database) -> None:
    organisation(sqlite_database)
    set_due(sqlite_database, routed_signal(sqlite_database), utcnow() - dt.timedelta(days=1))
    env = processes.signaal_env(sqlite_database.url)

    digests = [processes.run([processes.SIGNAAL, "notify", "digest", "--now"], env) for _ in range(2)]
    escalation = processes.run([processes.SIGNAAL, "notify", "escalate"], env)

    assert all(r.returncode == 0 for r in [*digests, escalation]), digests[0].stderr + escalation.stderr
    assert "1 digest(s) queued" in digests[0].stdout and "1 already sent today" in digests[1].stdout
    assert "1 overdue follow-up(s) escalated" in escalation.stdout
    assert len(notifications(sqlite_database, outbox.DIGEST)) == 1
