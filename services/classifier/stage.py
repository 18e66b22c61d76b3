"""The classify stage: `received → classified | not_flagged | automated`.

Scores a whole claimed batch at once in `prepare()` (outside any transaction; the
worker runs on its own thread, never on the API's event loop), with the encoder's
threads limited by SIGNAAL_CLASSIFIER_THREADS. `dispose()` records one
Classification per message: model version, score, threshold, band, language, the
phrases that drove the score (offsets into Message.text) and department hints.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import structlog
from sqlalchemy import select
from sqlalchemy.orm import Session

from services.classifier import interim, language, registry
from services.classifier.hints import DepartmentText
from services.classifier.model import Classifier, Verdict
from shared.models import Classification, Department, Message
from shared.pipeline import StageBase
from shared.settings import Settings
from shared.states import Band, Stage, State

log = structlog.get_logger(__name__)

RECHECK_SECONDS = 60.0
# What one message may cost the only classify worker: the model reads at most this much of a text
# (~12 pages; a complaint is stated long before that, and the opening window is always encoded).
# Past it the cost is linear but real: 100,000 characters of one pathological word took ~5 s to
# score and explain, 50,000 half that (bench/pathological.py); 1 MB would cost ten times the first.
# A prefix keeps every phrase offset valid for Message.text.
MAX_SCORED_CHARS = 50_000


class ClassifyStage(StageBase):
    stage = Stage.classify
    input_state = State.received

    _model_path: Path | None = None
    _checked_at: float = -RECHECK_SECONDS
    _departments: tuple[float, list[DepartmentText]] = (-RECHECK_SECONDS, [])
    _warned_interim: bool = False

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def interim(self) -> bool:
        interim_selected = self.settings.model_dir.strip().lower() == registry.INTERIM
        if interim_selected and not self._warned_interim:
            self._warned_interim = True
            log.warning(
                "CLASSIFIER IS THE INTERIM LEXICON RULE (SIGNAAL_MODEL_DIR=interim): it misses implicit "
                "complaints; use it for development only",
                model_version=interim.VERSION,
            )
        return interim_selected

    @property
    def model_path(self) -> Path:
        if self._model_path is None:
            self._model_path = registry.resolve(self.settings.model_dir)
        return self._model_path

    def classifier(self) -> Classifier:
        """The model in use (loaded once per process); raises ModelArtefactError if it is unusable."""
        return registry.classifier(self.model_path, self.settings)

    def prepare(self, messages: Sequence[Message]) -> Sequence[Any]:
        scored = [m for m in messages if not m.is_automated]
        texts = [_scored_text(m) for m in scored]
        if self.interim:
            verdicts: list[Any] = [interim.score(t) for t in texts]
        else:
            verdicts = self.classifier().score(
                texts,
                threshold=self.settings.classifier_threshold,
                batch_size=self.settings.classifier_batch_size,
            )
        by_id = {m.id: v for m, v in zip(scored, verdicts, strict=True)}
        return [by_id.get(m.id) for m in messages]

    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        if message.is_automated:
            # Bounces and auto-replies are never complaints (and never acknowledged).
            return State.automated
        self._follow_active_model(session)
        if self.interim:
            return self._record_interim(session, message, prepared)
        verdict: Verdict = prepared
        hints: list[dict[str, object]] = []
        if verdict.flagged and verdict.band != Band.unreadable:  # only readable signals need hints
            departments = self._department_texts(session)
            hints = self.classifier().hints_for([_scored_text(message)], departments)[0]
        message.language = verdict.language
        return _record(
            session,
            message,
            model_version=verdict.model_version,
            score=verdict.probability,
            threshold=verdict.threshold,
            flagged=verdict.flagged,
            band=verdict.band,
            phrases=verdict.phrases,
            hints=hints,
        )

    def _record_interim(self, session: Session, message: Message, verdict: interim.Verdict) -> State:
        message.language = language.detect(_scored_text(message))
        return _record(
            session,
            message,
            model_version=interim.VERSION,
            score=verdict.score,
            threshold=interim.THRESHOLD,
            flagged=verdict.flagged,
            band=verdict.band,
            phrases=verdict.phrases,
            hints=[],
        )

    def _follow_active_model(self, session: Session) -> None:
        """Follow the version activated in the database (checked once a minute; used from the next batch)."""
        now = time.monotonic()
        if self.interim or now - self._checked_at < RECHECK_SECONDS:
            return
        self._checked_at = now
        row = registry.active(session)
        if row is None:
            return
        path = registry.resolve(row.path)
        if path.resolve() == self.model_path.resolve():
            return
        try:
            registry.classifier(path, self.settings)
        except Exception as exc:
            log.error(
                "active model cannot be loaded; keeping the current one", version=row.version, error=str(exc)
            )
            return
        log.info("switching to the active model version", version=row.version)
        self._model_path = path

    def _department_texts(self, session: Session) -> list[DepartmentText]:
        loaded_at, departments = self._departments
        if time.monotonic() - loaded_at >= RECHECK_SECONDS:
            departments = [
                DepartmentText(d.name, d.description or "", tuple(d.keywords or ()))
                for d in session.scalars(select(Department).order_by(Department.name))
            ]
            self._departments = (time.monotonic(), departments)
        return departments


def _scored_text(message: Message) -> str:
    # Phrase offsets refer to Message.text, so score the text alone; the subject adds little the
    # body does not say and would shift every offset. A message with no text is scored on its subject.
    return (message.text if message.text.strip() else message.subject)[:MAX_SCORED_CHARS]


def _with_field(phrases: list[dict[str, object]], message: Message) -> list[dict[str, object]]:
    field = "text" if message.text.strip() else "subject"
    return [{**p, "field": field} for p in phrases]


def _record(
    session: Session,
    message: Message,
    *,
    model_version: str,
    score: float,
    threshold: float,
    flagged: bool,
    band: str,
    phrases: list[dict[str, Any]],
    hints: list[dict[str, object]],
) -> State:
    """Store one Classification (whichever scorer made it) and return the message's next state."""
    session.add(
        Classification(
            message_id=message.id,
            model_version=model_version,
            score=score,
            threshold=threshold,
            flagged=flagged,
            band=band,
            language=message.language,
            phrases=_with_field(phrases, message),
            department_hints=hints,
        )
    )
    return State.classified if flagged else State.not_flagged
