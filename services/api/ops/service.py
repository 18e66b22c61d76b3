"""What ops sees of the pipeline: state counts, throughput, failed items, hourly intake, classifier."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session

from services.api.ops import buckets
from services.api.ops.schemas import (
    ClassifierOut,
    HourlyOut,
    ItemOut,
    ItemPage,
    ItemState,
    PipelineOut,
    SourceHours,
    StateCount,
)
from services.classifier import interim, registry
from shared import outbox, pipeline
from shared.models import Classification, Message, utcnow
from shared.settings import Settings
from shared.states import State

# States a stage moves a message into when it is done with it: what "processed" counts.
PROCESSED = (State.classified, State.routed, State.not_flagged, State.automated)
HOURS = 24


def get_pipeline(*, db_session: Session, now: dt.datetime | None = None) -> PipelineOut:
    """Messages per state, and how many entered each state in the last hour (one GROUP BY)."""
    now = now or utcnow()
    recent = func.coalesce(
        func.sum(case((Message.state_changed_at >= now - dt.timedelta(hours=1), 1), else_=0)), 0
    )
    rows = db_session.execute(select(Message.state, func.count(), recent).group_by(Message.state)).all()
    found = {state: (int(count), int(last_hour)) for state, count, last_hour in rows}
    states = [
        StateCount(state=s.value, count=found.get(s, (0, 0))[0], changed_last_hour=found.get(s, (0, 0))[1])
        for s in State
    ]
    processed = sum(found.get(s, (0, 0))[1] for s in PROCESSED)
    return PipelineOut(checked_at=now, states=states, processed_last_hour=processed)


def _summary(error: str | None) -> str | None:
    """The last line of a traceback: the exception and its message."""
    if not error:
        return None
    lines = [line for line in error.strip().splitlines() if line.strip()]
    return lines[-1][:300] if lines else None


def get_items(*, db_session: Session, state: ItemState, page: int = 1, per_page: int = 25) -> ItemPage:
    """Failed or quarantined messages, most recent first, one page of them."""
    where = Message.state == state
    total = db_session.scalar(select(func.count()).select_from(Message).where(where)) or 0
    rows = db_session.execute(
        select(
            Message.id,
            Message.reference,
            Message.source,
            Message.channel,
            Message.state,
            Message.failed_stage,
            Message.error,
            Message.attempts,
            Message.state_changed_at,
        )
        .where(where)
        .order_by(Message.state_changed_at.desc(), Message.id.desc())
        .offset((page - 1) * per_page)
        .limit(per_page)
    ).all()
    items = [
        ItemOut(
            id=row.id,
            reference=row.reference,
            source=row.source,
            channel=row.channel,
            state=row.state,
            stage=row.failed_stage,
            error=_summary(row.error),
            detail=row.error,
            attempts=row.attempts or 0,
            since=row.state_changed_at,
        )
        for row in rows
    ]
    return ItemPage(state=state, total=total, page=page, per_page=per_page, items=items)


def retry(*, db_session: Session, message_ids: list[int] | None, actor: str) -> int:
    """Put failed items (all, or those in `message_ids`) back in their stage's input state, audited."""
    return pipeline.retry_in(db_session, ids=message_ids, actor=actor)


def retry_outbox(*, db_session: Session, actor: str) -> int:
    """Put mail that failed after all attempts back in the outbox, audited."""
    return outbox.retry_failed(db_session, actor=actor)


def get_hourly(*, db_session: Session, now: dt.datetime | None = None) -> HourlyOut:
    """Messages received per source and hour over the last 24 hours (grouped in the database)."""
    now = now or utcnow()
    hours = buckets.last_hours(now, HOURS)
    since = buckets.start_of(hours[0], buckets.HOUR_FORMAT)
    bucket = buckets.hour(db_session, Message.received_at)
    rows = db_session.execute(
        select(Message.source, bucket, func.count())
        .where(Message.received_at >= since)
        .group_by(Message.source, bucket)
    ).all()
    index = {key: n for n, key in enumerate(hours)}
    per_source: dict[str, list[int]] = {}
    for source, value, count in rows:
        key = buckets.key(value, buckets.HOUR_FORMAT)
        if key in index:
            per_source.setdefault(source, [0] * HOURS)[index[key]] = int(count)
    sources = [SourceHours(source=s, counts=c) for s, c in sorted(per_source.items())]
    return HourlyOut(hours=hours, sources=sources)


def _manifest(path: Any) -> dict[str, Any]:
    try:
        return json.loads((path / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}


def get_classifier(
    *, db_session: Session, settings: Settings, now: dt.datetime | None = None
) -> ClassifierOut:
    """The model version in use and the metrics it was accepted with; versions that scored lately."""
    now = now or utcnow()
    scored = dict(
        db_session.execute(
            select(Classification.model_version, func.count())
            .where(Classification.created_at >= now - dt.timedelta(hours=24))
            .group_by(Classification.model_version)
        ).all()
    )
    scored = {version: int(n) for version, n in scored.items()}
    if settings.model_dir.strip().lower() == registry.INTERIM:
        return ClassifierOut(
            version=interim.VERSION,
            origin="interim",
            activated_at=None,
            threshold=interim.THRESHOLD,
            metrics={},
            scored_last_24h=scored,
        )
    row = registry.active(db_session)
    if row is not None:
        manifest = _manifest(registry.resolve(row.path))
        return ClassifierOut(
            version=row.version,
            origin="database",
            activated_at=row.activated_at,
            threshold=manifest.get("threshold"),
            metrics=row.metrics or manifest.get("metrics", {}),
            scored_last_24h=scored,
        )
    manifest = _manifest(registry.resolve(settings.model_dir))
    return ClassifierOut(
        version=manifest.get("version", settings.model_dir),
        origin="model folder",
        activated_at=None,
        threshold=settings.classifier_threshold or manifest.get("threshold"),
        metrics=manifest.get("metrics", {}),
        scored_last_24h=scored,
    )


def headline(metrics: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """The metric sets worth a row on the page: held-out first, then cross-validation."""
    return [(name, metrics[name]) for name in ("heldout", "cv") if isinstance(metrics.get(name), dict)]
