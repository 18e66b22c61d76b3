"""Pipeline throughput: messages/second through classify and route, by worker count and database.

    .venv/bin/python bench/pipeline.py [--messages 4000] [--postgres-url URL]

Each row starts K `signaal work` processes (one thread per stage each) on a fresh
database, waits until they are idle, commits N messages in one transaction and
times until every message reaches a final state. Start-up is not counted.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.classifier import interim  # noqa: E402
from services.ingest.sink import Sink  # noqa: E402
from shared import migrate  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.models import Message  # noqa: E402
from shared.normalise import Incoming  # noqa: E402
from shared.states import TERMINAL_STATES, State  # noqa: E402
from tests import scratchdb  # noqa: E402

SIGNAAL = str(Path(sys.executable).with_name("signaal"))
TEXTS = [
    "Voor de derde keer: de container is nog steeds niet geleegd. Wanneer komt er iemand?",
    "Wat zijn de openingstijden van het stadskantoor op zaterdag?",
    "Still no answer to my request for a parking permit, this is unacceptable.",
    "Bedankt voor de snelle hulp bij mijn paspoortaanvraag.",
    "Ik wacht al weken op een reactie over mijn WMO-aanvraag en niemand belt terug.",
]


def postgres_database(admin_url: str) -> contextlib.AbstractContextManager[str]:
    return scratchdb.scratch_postgres_database(admin_url, prefix="signaal_bench")


@contextlib.contextmanager
def sqlite_database() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


def messages(n: int) -> list[Incoming]:
    return [
        Incoming(
            channel="webform",
            source="bench",
            dedupe_key=f"b-{i}",
            raw=b"",
            text=f"{TEXTS[i % len(TEXTS)]} #{i}",
        )
        for i in range(n)
    ]


def finished(database: Database) -> int:
    with database.session() as session:
        return (
            session.scalar(select(func.count()).where(Message.state.in_([*TERMINAL_STATES, State.failed])))
            or 0
        )


def measure(url: str, workers: int, n: int, log_dir: Path) -> float:
    database = Database(url)
    migrate.upgrade(database.engine)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAAL_")}
    env.update({"SIGNAAL_DATABASE_URL": url, "SIGNAAL_POLL_INTERVAL": "0.1", "SIGNAAL_LOG_LEVEL": "WARNING"})
    logs = [log_dir / f"w{i}.log" for i in range(workers)]
    procs = [
        subprocess.Popen([SIGNAAL, "work"], env=env, stdout=log.open("wb"), stderr=subprocess.STDOUT)
        for log in logs
    ]
    try:
        time.sleep(3)  # let the processes import and connect; they idle on an empty queue
        batch = messages(n)
        Sink(database, "bench").store(batch)
        started = time.perf_counter()
        deadline = started + 600
        while finished(database) < n:
            if time.perf_counter() > deadline:
                raise TimeoutError(f"not drained in 600 s; see {log_dir}")
            time.sleep(0.05)
        return n / (time.perf_counter() - started)
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            proc.wait(timeout=60)
        database.dispose()


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=4000)
    parser.add_argument(
        "--postgres-url",
        default=os.environ.get(
            "SIGNAAL_TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
        ),
    )
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = parser.parse_args()

    rows = []
    print(f"classifier: {interim.VERSION}; {args.messages} messages per run; cores: {os.cpu_count()}")
    print(f"{'database':<11} {'workers':>7} {'msg/s':>9}")
    plan = [("postgresql", k) for k in (1, 2, 4)] + [("sqlite", 1)]
    for kind, workers in plan:
        with (
            tempfile.TemporaryDirectory() as logs,
            postgres_database(args.postgres_url) if kind == "postgresql" else sqlite_database() as url,
        ):
            rate = measure(url, workers, args.messages, Path(logs))
        rows.append({"database": kind, "workers": workers, "messages_per_second": round(rate, 1)})
        print(f"{kind:<11} {workers:>7} {rate:>9.1f}", flush=True)
    if args.json:
        print(json.dumps({"classifier": interim.VERSION, "messages": args.messages, "rows": rows}))


if __name__ == "__main__":
    main()
