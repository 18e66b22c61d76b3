"""Connector health and outbox state, read from the database and the configuration."""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from services.api.connectors.schemas import ConnectorHealthOut, ConnectorOverview, OutboxOut
from services.ingest import health
from shared import mailer, outbox
from shared.config import OrganisationConfig
from shared.models import utcnow
from shared.settings import Settings

# Mail waiting longer than this while sending is on means the SMTP server is not taking it.
OUTBOX_STUCK_AFTER = dt.timedelta(minutes=15)


def get_all(
    *, db_session: Session, config: OrganisationConfig, now: dt.datetime | None = None
) -> list[ConnectorHealthOut]:
    """Every configured connector's health, in configuration order."""
    from services.ingest.connectors import PASSIVE_KINDS  # the registry imports every kind

    reports = health.report(db_session, config, passive_kinds=PASSIVE_KINDS, now=now)
    return [ConnectorHealthOut.model_validate(r) for r in reports]


def get_outbox(*, db_session: Session, settings: Settings, now: dt.datetime | None = None) -> OutboxOut:
    """What is waiting to be sent, what failed, and why."""
    now = now or utcnow()
    smtp = mailer.SmtpConfig.from_settings(settings)
    found = outbox.summary(db_session, now=now)
    age = (now - found.oldest_pending_at).total_seconds() if found.oldest_pending_at else None
    warnings = []
    if not smtp.enabled:
        warnings.append(
            f"sending is off (SIGNAAL_SMTP_HOST is empty): {found.pending} mail(s) waiting; "
            "set the SIGNAAL_SMTP_* settings to send them"
        )
    elif age is not None and age > OUTBOX_STUCK_AFTER.total_seconds():
        warnings.append(
            f"mail waiting for {health.duration(dt.timedelta(seconds=age))}: "
            "the SMTP server is not taking it; see the last error"
        )
    if found.failed:
        warnings.append(
            f"{found.failed} mail(s) failed after all attempts; fix the cause, then `signaal outbox retry`"
        )
    return OutboxOut(
        sending_enabled=smtp.enabled,
        smtp_server=smtp.where if smtp.enabled else None,
        pending=found.pending,
        failed=found.failed,
        sent_last_24h=found.sent_last_24h,
        oldest_pending_at=found.oldest_pending_at,
        oldest_pending_age_seconds=age,
        last_error=found.last_error,
        warnings=warnings,
    )


def get_overview(
    *, db_session: Session, config: OrganisationConfig, settings: Settings, now: dt.datetime | None = None
) -> ConnectorOverview:
    """Connectors and outbox together, as of one moment."""
    now = now or utcnow()
    return ConnectorOverview(
        checked_at=now,
        connectors=get_all(db_session=db_session, config=config, now=now),
        outbox=get_outbox(db_session=db_session, settings=settings, now=now),
    )
