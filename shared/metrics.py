"""Prometheus metrics: stage throughput and failures counted in-process, states read from the DB."""

from __future__ import annotations

from collections.abc import Iterator

from prometheus_client import CollectorRegistry, Counter, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from shared import models
from shared.db import Database
from shared.states import State

STAGE_ITEMS = Counter(
    "signaal_stage_items_total",
    "Items a pipeline stage finished, by stage and the state it moved them to.",
    ["stage", "outcome"],
)
STAGE_FAILURES = Counter("signaal_stage_failures_total", "Items a pipeline stage moved to failed.", ["stage"])
STAGE_SECONDS = Histogram(
    "signaal_stage_item_seconds",
    "Time a stage spent per item, batch preparation included.",
    ["stage"],
    buckets=(0.001, 0.005, 0.01, 0.05, 0.1, 0.5, 1, 5, 30),
)
LEASES_LOST = Counter(
    "signaal_stage_leases_lost_total",
    "Items whose lease expired before the worker finished them (another worker took over).",
    ["stage"],
)
MESSAGES_INGESTED = Counter(
    "signaal_messages_ingested_total", "Messages stored by ingest.", ["channel", "source"]
)
DUPLICATES_SKIPPED = Counter(
    "signaal_messages_duplicate_total", "Messages ingest recognised as already stored.", ["source"]
)


class PipelineStateCollector(Collector):
    """Messages per pipeline state, counted in the database at scrape time.

    Counted at scrape rather than kept in process, so every replica reports
    the same truth and nothing drifts after a restart.
    """

    def __init__(self, database: Database) -> None:
        self.database = database

    def collect(self) -> Iterator[GaugeMetricFamily]:
        gauge = GaugeMetricFamily("signaal_messages", "Messages by pipeline state.", labels=["state"])
        with self.database.session() as session:
            counts = dict(
                session.execute(
                    select(models.Message.state, func.count()).group_by(models.Message.state)
                ).all()
            )
        for state in State:
            gauge.add_metric([state.value], counts.get(state.value, 0))
        yield gauge


def register_database_collector(registry: CollectorRegistry, database: Database) -> None:
    registry.register(PipelineStateCollector(database))
