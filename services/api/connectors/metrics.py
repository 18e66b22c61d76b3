"""Prometheus: connector health and the outbox, read from the database at scrape time.

Read at scrape rather than counted in process, so every API replica reports
the same truth, whichever process ran the connectors or sent the mail.
"""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from services.api.connectors import service
from services.ingest import health
from shared.config import OrganisationConfig
from shared.db import Database
from shared.settings import Settings


class ConnectorCollector(Collector):
    def __init__(self, database: Database, settings: Settings, config: OrganisationConfig) -> None:
        self.database = database
        self.settings = settings
        self.config = config

    def collect(self) -> Iterator[GaugeMetricFamily]:
        with self.database.session() as session:
            connectors = service.get_all(db_session=session, config=self.config)
            mail = service.get_outbox(db_session=session, settings=self.settings)
        status = GaugeMetricFamily(
            "signaal_connector_status",
            "1 for the connector's current status (ok, degraded, down, disabled), 0 for the others.",
            labels=["connector", "kind", "status"],
        )
        failures = GaugeMetricFamily(
            "signaal_connector_consecutive_failures", "Failed polls in a row.", labels=["connector"]
        )
        messages = GaugeMetricFamily(
            "signaal_connector_messages", "Messages stored from the connector.", labels=["connector"]
        )
        last_hour = GaugeMetricFamily(
            "signaal_connector_messages_last_hour",
            "Messages stored from the connector in the last hour.",
            labels=["connector"],
        )
        lag = GaugeMetricFamily(
            "signaal_connector_lag_seconds",
            "Age of the newest message stored from the connector (absent before the first).",
            labels=["connector"],
        )
        warnings = GaugeMetricFamily(
            "signaal_connector_warnings", "Warnings ops should look at.", labels=["connector"]
        )
        auth = GaugeMetricFamily(
            "signaal_connector_auth_failing",
            "1 while the source refuses the credentials.",
            labels=["connector"],
        )
        for c in connectors:
            for name in health.STATUSES:
                status.add_metric([c.name, c.kind, name], 1.0 if c.status == name else 0.0)
            failures.add_metric([c.name], c.consecutive_failures)
            messages.add_metric([c.name], c.messages_total)
            last_hour.add_metric([c.name], c.messages_last_hour)
            if c.lag_seconds is not None:
                lag.add_metric([c.name], c.lag_seconds)
            warnings.add_metric([c.name], len(c.warnings))
            auth.add_metric([c.name], 1.0 if c.auth_failing else 0.0)
        yield from (status, failures, messages, last_hour, lag, warnings, auth)

        notifications = GaugeMetricFamily(
            "signaal_outbox_notifications", "Outgoing mails waiting or given up on.", labels=["status"]
        )
        notifications.add_metric(["pending"], mail.pending)
        notifications.add_metric(["failed"], mail.failed)
        yield notifications
        yield GaugeMetricFamily(
            "signaal_outbox_oldest_pending_seconds",
            "How long the oldest waiting mail has waited (0 when none waits).",
            value=mail.oldest_pending_age_seconds or 0.0,
        )
        yield GaugeMetricFamily(
            "signaal_outbox_sending_enabled",
            "0 while SIGNAAL_SMTP_HOST is empty.",
            value=float(mail.sending_enabled),
        )


def register_connector_collector(
    registry: CollectorRegistry, database: Database, settings: Settings, config: OrganisationConfig
) -> None:
    """Like shared.metrics.register_database_collector."""
    registry.register(ConnectorCollector(database, settings, config))
