"""The router's periodic work in `signaal run` and each route worker: escalations, digest, grouping, waiting.

Every step is safe to run in several processes at once (see notify, digest, patterns, waiting).
"""

from __future__ import annotations

import datetime as dt

import structlog

from services.router import digest, notify, patterns, waiting
from shared import runner, workdays
from shared.db import Database
from shared.models import utcnow
from shared.settings import Settings

log = structlog.get_logger(__name__)


class NotifyScheduler(runner.Runner):
    """Every `notify_check_seconds`: escalations; on working days from the digest time, the digest."""

    name = "router:notify"
    failed_event = "notification check failed; retrying next round"

    def __init__(self, database: Database, settings: Settings) -> None:
        self.database = database
        self.settings = settings
        self.interval = settings.notify_check_seconds
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


def runners(database: Database, settings: Settings, *, waiting_check_seconds: float) -> list[runner.Runner]:
    """The notification, grouping and waiting passes, to start beside a route worker."""
    return [
        NotifyScheduler(database, settings),
        patterns.GroupingPass(
            database, patterns.Policy.from_settings(settings), settings.group_check_seconds
        ),
        waiting.WaitingPass(database, waiting_check_seconds, base_url=settings.base_url),
    ]
