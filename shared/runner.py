"""The one loop every background pass shares: tick, count, back off after a failure, wait, until stopped.

A runner subclasses `Runner` and writes `tick()`: one pass (claim and process a
batch, poll a mailbox, send due mail). The loop guarantees the rest:

- it survives every error: a failed pass is logged (`failed`), counted, and
  followed by a pause (`backoff`, given the number of failures in a row);
- `tick()` returning true means more work is waiting: the next pass starts at once;
- otherwise it waits `interval` (or what `wait` does instead) on the stop event,
  so setting that event ends the runner within the pass in hand.

Each pass is counted in `signaal_runner_passes_total` by runner and outcome, and
timed in `signaal_runner_pass_seconds`.
"""

from __future__ import annotations

import abc
import threading
import time
from collections.abc import Callable

import structlog
from prometheus_client import Counter, Histogram

PASSES = Counter(
    "signaal_runner_passes_total",
    "Passes a background runner made, by outcome (ok, failed).",
    ["runner", "outcome"],
)
PASS_SECONDS = Histogram(
    "signaal_runner_pass_seconds",
    "Time a background runner's pass took, waits excluded.",
    ["runner"],
    buckets=(0.01, 0.05, 0.1, 0.5, 1, 5, 30, 120),
)


class Runner(abc.ABC):
    """A named background pass run every `interval` seconds until its stop event is set."""

    name: str  # the thread's name and the metrics label
    interval: float  # seconds between passes when there is no more work
    failed_event = "pass failed; retrying after a pause"
    stop: threading.Event  # set by `run`; a tick or wait that blocks waits on it

    @abc.abstractmethod
    def tick(self) -> bool | None:
        """One pass; true when more work is waiting (the next pass starts at once)."""

    def starting(self) -> bool:
        """Called before the first pass; False ends the runner at once (nothing to run with)."""
        return True

    def stopping(self) -> None:  # noqa: B027 — a hook: most runners have nothing to close
        """Called once the stop event ends the loop."""

    def wait(self) -> None:
        """The pause after a pass that left no work waiting."""
        self.stop.wait(self.interval)

    def backoff(self, failures: int) -> float:
        """Seconds to pause after `failures` failed passes in a row (default: one interval)."""
        return self.interval

    def failed(self, exc: Exception) -> None:
        """Log a failed pass with its traceback, under the runner's own module."""
        structlog.get_logger(type(self).__module__).exception(self.failed_event)

    def run(self, stop: threading.Event) -> None:
        """Run passes in this thread until `stop` is set."""
        self.stop = stop
        if not self.starting():
            return
        failures = 0
        while not stop.is_set():
            # Guarded as a whole: a failing pass, or a failing wait, never ends the runner.
            try:
                more = self._pass()
                failures = 0
                if not more:
                    self.wait()
            except Exception as exc:
                failures += 1
                self.failed(exc)
                stop.wait(self.backoff(failures))
        self.stopping()

    def start(self, stop: threading.Event) -> threading.Thread:
        """Run on a daemon thread named after the runner until `stop` is set."""
        return start_thread(self.name, lambda: self.run(stop))

    def _pass(self) -> bool:
        started, outcome = time.perf_counter(), "failed"
        try:
            more = bool(self.tick())
            outcome = "ok"
            return more
        finally:
            PASSES.labels(self.name, outcome).inc()
            PASS_SECONDS.labels(self.name).observe(time.perf_counter() - started)


def start_thread(name: str, target: Callable[[], None]) -> threading.Thread:
    """Start `target` on a daemon thread (the process's end does not wait for it; `stop` ends it)."""
    thread = threading.Thread(target=target, name=name, daemon=True)
    thread.start()
    return thread
