"""The worker loop every pipeline stage shares: claim, prepare, dispose, commit, repeat.

A stage subclasses `Stage` and writes two methods: `prepare()` computes on a
whole batch outside any write transaction (the classifier encodes here), and
`dispose()` records the result for one item and returns its next state, inside
a transaction that also moves the item on. The loop guarantees the rest:

- an item is processed by one worker at a time (lease, fenced by owner);
- an unexpected error moves that item, and only that item, to `failed`;
- a lost or busy database is not the item's fault: the batch is released and
  retried after a backoff, and nothing moves to `failed` for it;
- the loop itself survives every error, including errors while failing an item;
- a crashed worker's items become claimable again when their lease expires;
- on stop, the item in hand is finished and the rest of the batch released.
"""

from __future__ import annotations

import abc
import datetime as dt
import os
import socket
import threading
import time
import traceback
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, NoReturn

import structlog
from prometheus_client import Counter
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from shared import audit, claim, dberrors, metrics, runner
from shared.db import Database
from shared.models import Message, utcnow
from shared.states import STAGE_INPUT, Stage, State

log = structlog.get_logger(__name__)

MAX_ERROR_CHARS = 4000
# Longest pause after repeated database losses; the first pause is the poll interval.
MAX_LOST_PAUSE_SECONDS = 30.0
# `drain` (one-shot commands) gives up after this many database losses in a row.
DRAIN_LOSSES = 3
# An item that loses the database this often in one worker is the cause itself (a statement of its
# own that always times out, say), not an outage: it fails, so it cannot stall its stage for ever.
MAX_ITEM_LOSSES = 10

# Kept beside the loop that counts it; exported with the other process counters.
DATABASE_LOST = Counter(
    "signaal_stage_database_lost_total",
    "Batches a pipeline stage put back because the database connection was lost or busy.",
    ["stage"],
)


TOO_MANY_LOSSES = (
    f"the database refused this item {MAX_ITEM_LOSSES} times in a row; failed so the stage goes on"
)


class _DatabaseLost(Exception):
    """The database went away mid-batch; the batch was released for a retry."""


class StageBase(abc.ABC):
    """One step of the pipeline: what it reads, what it does, where items go next."""

    stage: Stage
    input_state: State

    def prepare(self, messages: Sequence[Message]) -> Sequence[Any]:
        """Batch work done before any write (default: nothing); one result per message."""
        return [None] * len(messages)

    @abc.abstractmethod
    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        """Record this stage's result for one message and return the state it moves to."""


@dataclass
class WorkerConfig:
    batch_size: int = 32
    lease: dt.timedelta = dt.timedelta(seconds=120)
    poll_interval: float = 1.0


def worker_id(stage: str) -> str:
    """Unique per worker, readable in the database: host, pid, stage, random suffix."""
    return f"{socket.gethostname()}:{os.getpid()}:{stage}:{uuid.uuid4().hex[:8]}"


class Worker(runner.Runner):
    """Runs one stage against the database until told to stop; `tick` claims and processes one batch."""

    def __init__(self, stage: StageBase, database: Database, config: WorkerConfig | None = None) -> None:
        self.stage = stage
        self.database = database
        self.config = config or WorkerConfig()
        self.id = worker_id(stage.stage.value)
        self.name = f"worker:{stage.stage.value}"
        self.interval = self.config.poll_interval
        self.log = log.bind(stage=stage.stage.value, worker=self.id)
        self._item_losses: dict[int, int] = {}

    # --- the loop (shared.runner runs it) -------------------------------------

    def starting(self) -> bool:
        self.log.info("worker started")
        return True

    def stopping(self) -> None:
        self.log.info("worker stopped")

    def tick(self) -> bool:
        return self.run_once(self.stop) > 0

    def failed(self, exc: Exception) -> None:
        if isinstance(exc, _DatabaseLost):
            return  # `_database_lost` said what happened
        if dberrors.is_transient(exc):
            # SQLAlchemy's text adds only a help link; the reason says what happened.
            self.log.warning("database unreachable; retrying after a pause", reason=dberrors.reason(exc))
        else:
            self.log.exception("batch failed, retrying after a pause")

    def backoff(self, failures: int) -> float:
        # A pause growing with the losses in a row, then the idle poll.
        return self._lost_pause(failures) + self.interval

    def drain(self, stop: threading.Event | None = None) -> int:
        """Process until no claimable work is left; returns the number of items handled."""
        stop = stop or threading.Event()
        total, losses = 0, 0
        while not stop.is_set():
            try:
                handled = self.run_once(stop)
            except _DatabaseLost as lost:
                losses += 1
                if losses >= DRAIN_LOSSES:
                    raise lost.__cause__ or lost from None
                stop.wait(self._lost_pause(losses))
                continue
            losses = 0
            if not handled:
                break
            total += handled
        return total

    def run_once(self, stop: threading.Event) -> int:
        """Claim one batch and process it; returns how many items were claimed."""
        ids = self._claim()
        if not ids:
            return 0
        claimed_at = time.monotonic()
        try:
            messages = self._load(ids)
            prepared = self._prepare(messages)
        except Exception as exc:
            if not dberrors.is_transient(exc):
                raise
            self._database_lost(exc, None, ids)
        for position, message in enumerate(messages):
            if stop.is_set():
                self._release([m.id for m in messages[position:]])
                break
            if time.monotonic() - claimed_at > self.config.lease.total_seconds() / 2:
                self._renew([m.id for m in messages[position:]])
                claimed_at = time.monotonic()
            outcome = prepared.get(message.id)
            try:
                if isinstance(outcome, _PrepareFailed):
                    self._fail(message.id, outcome.error)
                else:
                    self._process(message.id, outcome)
            except Exception as exc:
                if not dberrors.is_transient(exc):
                    raise
                if self._lost_too_often(message.id):
                    self._fail(
                        message.id, f"{_describe_error()}\n{TOO_MANY_LOSSES}: {dberrors.describe(exc)}"
                    )
                    continue
                self._database_lost(exc, message.id, [m.id for m in messages[position:]])
            self._item_losses.pop(message.id, None)
        return len(ids)

    def _lost_too_often(self, message_id: int) -> bool:
        if len(self._item_losses) > 10_000:  # bounded: only recent trouble matters
            self._item_losses.clear()
        self._item_losses[message_id] = self._item_losses.get(message_id, 0) + 1
        return self._item_losses[message_id] >= MAX_ITEM_LOSSES

    def _database_lost(self, exc: BaseException, message_id: int | None, unfinished: list[int]) -> NoReturn:
        """Say what happened, give the unfinished items back (if the database lets us), and stop the batch."""
        metrics_label = self.stage.stage.value
        DATABASE_LOST.labels(metrics_label).inc()
        what = f"message {message_id}" if message_id is not None else f"a batch of {len(unfinished)}"
        self.log.warning(
            f"database connection lost while processing {what}; it will be retried",
            reason=dberrors.reason(exc),
        )
        self._release(unfinished, quiet=True)
        raise _DatabaseLost() from exc

    def _lost_pause(self, losses: int) -> float:
        return min(self.config.poll_interval * 2 ** min(losses, 8), MAX_LOST_PAUSE_SECONDS)

    # --- steps ----------------------------------------------------------------

    def _claim(self) -> list[int]:
        with self.database.transaction() as session:
            return claim.claim(
                session,
                state=self.stage.input_state,
                owner=self.id,
                limit=self.config.batch_size,
                now=utcnow(),
                lease=self.config.lease,
            )

    def _load(self, ids: list[int]) -> list[Message]:
        with self.database.session() as session:
            messages = list(session.scalars(select(Message).where(Message.id.in_(ids)).order_by(Message.id)))
            session.expunge_all()
        return messages

    def _prepare(self, messages: list[Message]) -> dict[int, Any]:
        """Prepare the batch; if that fails, prepare item by item so one bad item fails alone."""
        started = time.perf_counter()
        try:
            results = self.stage.prepare(messages)
            return dict(zip([m.id for m in messages], results, strict=True))
        except Exception as exc:
            if dberrors.is_transient(exc):
                raise  # the database, not the batch: run_once puts it back
            if len(messages) == 1:
                return {messages[0].id: _PrepareFailed(_describe_error())}
            self.log.warning("batch preparation failed; preparing items one by one", size=len(messages))
            return {m.id: self._prepare([m])[m.id] for m in messages}
        finally:
            if messages:
                metrics.STAGE_SECONDS.labels(self.stage.stage.value).observe(
                    (time.perf_counter() - started) / len(messages)
                )

    def _process(self, message_id: int, prepared: Any) -> None:
        try:
            with self.database.transaction() as session:
                message = claim.lock_if_leased(
                    session, message_id=message_id, state=self.stage.input_state, owner=self.id
                )
                if message is None:
                    metrics.LEASES_LOST.labels(self.stage.stage.value).inc()
                    self.log.warning("lease lost; another worker has this item", message_id=message_id)
                    return
                next_state = self.stage.dispose(session, message, prepared)
                message.state = next_state
                message.state_changed_at = utcnow()
                message.lease_owner = None
                message.lease_until = None
        except Exception as exc:
            if dberrors.is_transient(exc):
                raise  # not the message's fault: run_once puts it back
            self._fail(message_id, _describe_error())
            return
        metrics.STAGE_ITEMS.labels(self.stage.stage.value, next_state.value).inc()

    def _fail(self, message_id: int, error: str) -> None:
        """Move the item to `failed`; a transient database error propagates (the item is not at fault)."""
        self.log.error("item failed", message_id=message_id, error=_last_line(error))
        with self.database.transaction() as session:
            moved = claim.mark_failed(
                session,
                message_id=message_id,
                state=self.stage.input_state,
                owner=self.id,
                stage=self.stage.stage.value,
                error=error,
                now=utcnow(),
            )
        if moved:
            metrics.STAGE_FAILURES.labels(self.stage.stage.value).inc()

    def _renew(self, ids: list[int]) -> None:
        try:
            with self.database.transaction() as session:
                claim.renew(session, ids=ids, owner=self.id, now=utcnow(), lease=self.config.lease)
        except Exception as exc:
            # Processing goes on: each item is still fenced by its lease, so a takeover is detected.
            self.log.warning("could not renew leases", reason=dberrors.reason(exc))

    def _release(self, ids: list[int], *, quiet: bool = False) -> None:
        try:
            with self.database.transaction() as session:
                released = claim.release(session, ids=ids, owner=self.id)
        except Exception as exc:
            # Their leases expire instead and another worker (or this one) takes them then.
            self.log.warning("could not release items; their leases will expire", count=len(ids),
                             reason=dberrors.reason(exc))  # fmt: skip
            return
        if not quiet:
            self.log.info("stopping: released unstarted items", released=released)


@dataclass(frozen=True)
class _PrepareFailed:
    error: str


def _last_line(error: str) -> str:
    """The exception's own line of a traceback, not SQLAlchemy's closing help link."""
    lines = [line for line in error.splitlines() if line.strip() and not line.startswith("(Background on")]
    return (lines[-1] if lines else error)[:300]


def _describe_error() -> str:
    """The current exception with its traceback, bounded in size (no message content in it)."""
    text = dberrors.scrub(traceback.format_exc())
    return text if len(text) <= MAX_ERROR_CHARS else "…" + text[-MAX_ERROR_CHARS:]


def retry_failed(database: Database, *, stage: Stage | None = None, actor: str = "cli") -> int:
    """Put failed items back into their stage's input state; returns how many moved."""
    with database.transaction() as session:
        return retry_in(session, stage=stage, actor=actor)


def retry_in(
    session: Session, *, stage: Stage | None = None, ids: Sequence[int] | None = None, actor: str = "cli"
) -> int:
    """`retry_failed` inside the caller's transaction, optionally only for the items `ids` (the ops page)."""
    moved = 0
    for failed_stage, input_state in STAGE_INPUT.items():
        if stage is not None and failed_stage != stage:
            continue
        failed_here = (Message.state == State.failed, Message.failed_stage == failed_stage.value)
        query = update(Message).where(*failed_here)
        if ids is not None:
            query = query.where(Message.id.in_(list(ids)))
        result = session.execute(
            query.values(
                state=input_state,
                failed_stage=None,
                error=None,
                lease_owner=None,
                lease_until=None,
                state_changed_at=utcnow(),
            ).execution_options(synchronize_session=False)
        )
        if result.rowcount:
            detail: dict[str, Any] = {"stage": failed_stage.value, "count": result.rowcount}
            if ids is not None:
                detail["ids"] = sorted(ids)
            audit.record(session, actor=actor, action="retry", object_type="messages", detail=detail)
        moved += result.rowcount
    return moved
