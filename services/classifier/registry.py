"""Which model scores messages: the configured folder, or the version activated in the database.

`signaal train --from-feedback` records each new version in `model_versions` and
activates it there (with an audit entry); workers notice the switch within a minute.
Loaded classifiers are cached per process, so several stage threads share one.
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from services.classifier.model import Classifier
from shared import audit
from shared.models import ModelVersion, utcnow
from shared.settings import Settings

log = structlog.get_logger(__name__)

INTERIM = "interim"
PROJECT_ROOT = Path(__file__).resolve().parents[2]

_lock = threading.Lock()
_loaded: dict[tuple[str, int], Classifier] = {}


def resolve(model_dir: str | Path) -> Path:
    """A model folder path as given, or relative to the project when it is not found from here."""
    path = Path(model_dir)
    if path.is_absolute() or path.exists():
        return path
    return PROJECT_ROOT / path


def classifier(path: Path, settings: Settings) -> Classifier:
    """The classifier in `path`, loaded once per process (validated against its manifest on load)."""
    key = (str(path.resolve()), settings.classifier_threads)
    with _lock:
        if key not in _loaded:
            _loaded[key] = Classifier.load(
                path, threads=settings.classifier_threads, allow_download=settings.classifier_allow_download
            )
            log.info("classifier loaded", model_version=_loaded[key].version, path=str(path))
        return _loaded[key]


def active(session: Session) -> ModelVersion | None:
    return session.scalars(select(ModelVersion).where(ModelVersion.active)).first()


def activate(
    session: Session, *, version: str, path: Path, metrics: dict[str, Any], note: str, actor: str
) -> ModelVersion:
    """Make `version` the active model (recording it if new) and write the switch to the audit log."""
    previous = active(session)
    row = session.scalars(select(ModelVersion).where(ModelVersion.version == version)).first()
    if row is None:
        row = ModelVersion(version=version, path=str(path), metrics=metrics, note=note)
        session.add(row)
    session.execute(update(ModelVersion).values(active=False))
    session.flush()
    row.active = True
    row.activated_at = utcnow()
    audit.record(
        session,
        actor=actor,
        action="model.activate",
        object_type="model_versions",
        detail={"version": version, "previous": previous.version if previous else None, "note": note},
    )
    return row


def record(session: Session, *, version: str, path: Path, metrics: dict[str, Any], note: str) -> ModelVersion:
    """Record a trained version without activating it (e.g. rejected because recall dropped)."""
    row = session.scalars(select(ModelVersion).where(ModelVersion.version == version)).first()
    if row is None:
        row = ModelVersion(version=version, path=str(path), metrics=metrics, note=note, active=False)
        session.add(row)
    return row
