"""Progress bars for `signaal ingest --once` on large mailboxes (shown on a terminal only)."""

from __future__ import annotations

from tqdm import tqdm


class ProgressBar:
    """Receives a connector's `(done, total)` reports and draws one bar per feed."""

    def __init__(self, name: str) -> None:
        self.name = name
        self.bar: tqdm | None = None

    def __call__(self, done: int, total: int) -> None:
        if self.bar is None or self.bar.total != total or done < self.bar.n:
            self.close()  # a new folder (or feed) has started
            # disable=None: silent when not on a terminal (cron, logs).
            self.bar = tqdm(total=total, desc=self.name, unit="msg", disable=None, leave=True)
        self.bar.update(done - self.bar.n)

    def close(self) -> None:
        if self.bar is not None:
            self.bar.close()
            self.bar = None
