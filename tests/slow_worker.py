"""A classify worker that takes its time per item, so a test can kill it mid-batch.

Run as `python -m tests.slow_worker`; it uses the real Worker and claim code,
only the stage's dispose is slowed down.
"""

from __future__ import annotations

import datetime as dt
import os
import threading
import time
from typing import Any

from sqlalchemy.orm import Session

from services.classifier.stage import ClassifyStage
from shared.db import Database
from shared.models import Message
from shared.pipeline import Worker, WorkerConfig
from shared.settings import get_settings
from shared.states import State


class SlowClassifyStage(ClassifyStage):
    def dispose(self, session: Session, message: Message, prepared: Any) -> State:
        time.sleep(float(os.environ.get("SLOW_SECONDS_PER_ITEM", "0.05")))
        return super().dispose(session, message, prepared)


if __name__ == "__main__":
    config = WorkerConfig(
        batch_size=50, lease=dt.timedelta(seconds=float(os.environ["SIGNAAL_LEASE_SECONDS"]))
    )
    Worker(SlowClassifyStage(get_settings()), Database(os.environ["SIGNAAL_DATABASE_URL"]), config).run(
        threading.Event()
    )
