"""The router's periodic work in `signaal run` and each route worker: escalations, digest, grouping.

Every step is safe to run in several processes at once (see notify, digest, patterns).
"""

from __future__ import annotations

import datetime as dt
import threading

import structlog

from services.router import digest, notify, patterns
from shared import workdays
from shared.db import Database
from shared.models import utcnow
from shared.settings import Settings

log = structlog.get_logger(__name__)


class NotifyScheduler:
    """Every `notify_check_seconds`: escalations; on working days from the digest time, the digest."""

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self._digest_done_on: dt.date | None = None  # saves the per-handler checks after today's run

    def tick(self, now: dt.datetime | None = None) -> None:
        now = now or utcnow()
        escalated = notify.escalate_overdue(self.database, now=now, base_url=self.settings.base_url)
        if escalated:
            log.info("overdue follow-ups escalated", count=escalated)
        today = now.astimezone(workdays.AMSTERDAM).date()
        if self._digest_done_on != today and digest.is_due(now, self.settings.notify_digest_time):
            digest.send_digests(self.database, now=now, base_url=self.settings.base_url)
            self._digest_done_on = today

    def run(self, stop: threading.Event) -> None:
        while not stop.is_set():
            try:
                self.tick()
            except Exception:  # the database went away, say: try again next round
                log.exception("notification check failed; retrying next round")
            stop.wait(self.settings.notify_check_seconds)


def start(database: Database, settings: Settings, stop: threading.Event) -> list[threading.Thread]:
    """Start the notification and grouping threads; they end when `stop` is set."""
    policy = patterns.Policy.from_settings(settings)
    threads = [
        threading.Thread(target=NotifyScheduler(database, settings).run, args=(stop,), name="router:notify"),
        threading.Thread(
            target=lambda: patterns.run(database, stop, policy=policy, interval=settings.group_check_seconds),
            name="router:patterns",
        ),
    ]
    for thread in threads:
        thread.daemon = True
        thread.start()
    return threads
