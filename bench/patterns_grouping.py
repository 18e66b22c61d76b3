"""Grouping pass cost: how long placing a batch of new signals takes against a window of N signals.

    .venv/bin/python bench/patterns_grouping.py [--window 2000 10000] [--batch 200] [--postgres-url URL]

For each window size, N signals of the last 30 days are stored with their vectors
(already placed), then `patterns.group_pending` places one batch of new ones: it
reads the window once (N × 2 KiB) and compares each new signal with it. Texts are
the fixture's paraphrases with a random street and house number, so groups form.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from sqlalchemy import insert, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.patterns_threshold import fixture  # noqa: E402
from services.router import patterns, similarity  # noqa: E402
from shared import migrate  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.models import Department, Message, Signal, SignalPattern, utcnow  # noqa: E402
from tests import scratchdb  # noqa: E402

STREETS = ["Lindenstraat", "Molenweg", "Kerklaan", "Dorpsstraat", "Parkplein", "Stationsweg", "Beukenlaan"]


@contextlib.contextmanager
def sqlite_url() -> Iterator[str]:
    with tempfile.TemporaryDirectory() as folder:
        yield f"sqlite:///{folder}/bench.db"


def store(database: Database, count: int, *, grouped: bool, start: int, rng: random.Random) -> None:
    """Store `count` routed signals with pattern rows, spread over the last 30 days."""
    texts, _ = fixture()
    now = utcnow()
    with database.transaction() as session:
        department_id = session.scalar(select(Department.id))
        for first in range(0, count, 1000):
            rows = range(start + first, start + min(count, first + 1000))
            made = [f"{rng.choice(texts)} ({rng.choice(STREETS)} {rng.randint(1, 200)})" for _ in rows]
            when = [now - dt.timedelta(minutes=rng.randint(0, 30 * 24 * 60)) for _ in rows]
            session.execute(
                insert(Message),
                [
                    {"id": i + 1, "reference": f"SG-B{i}", "channel": "webform", "source": "bench",
                     "dedupe_key": str(i), "content_hash": str(i), "raw": b"", "text": t,
                     "sender_address": f"b{i}@example.nl", "received_at": w, "state": "routed"}
                    for i, t, w in zip(rows, made, when, strict=True)
                ],
            )  # fmt: skip
            session.execute(
                insert(Signal),
                [{"id": i + 1, "message_id": i + 1, "department_id": department_id} for i in rows],
            )
            session.execute(
                insert(SignalPattern),
                [
                    {"signal_id": i + 1, "sender_key": f"b{i}@example.nl", "received_at": w,
                     "vector": similarity.pack(similarity.ngram_vector(t)),
                     "vector_kind": similarity.NGRAM, "grouped": grouped}
                    for i, t, w in zip(rows, made, when, strict=True)
                ],
            )  # fmt: skip


def measure(url: str, window: int, batch: int) -> tuple[float, float]:
    """Seconds to group the window the first time (all batches), and to place one new batch against it."""
    database = Database(url)
    migrate.upgrade(database.engine)
    with database.transaction() as session:
        session.add(Department(name="Frontoffice", is_default=True))
    rng = random.Random(7)
    policy = patterns.Policy()
    store(database, window, grouped=False, start=0, rng=rng)
    started = time.perf_counter()
    while patterns.group_pending(database, policy=policy, limit=batch):
        pass
    first = time.perf_counter() - started
    store(database, batch, grouped=False, start=window, rng=rng)
    started = time.perf_counter()
    patterns.group_pending(database, policy=policy, limit=batch)
    incremental = time.perf_counter() - started
    database.dispose()
    return first, incremental


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--window", type=int, nargs="+", default=[2000, 10000])
    parser.add_argument("--batch", type=int, default=patterns.GROUP_BATCH)
    parser.add_argument("--postgres-url", help="admin URL of a PostgreSQL server for a scratch database")
    args = parser.parse_args()
    print("database    window  batch  group window (s)  one batch (s)  per new signal (ms)")
    for window in args.window:
        targets = [("sqlite", sqlite_url())]
        if args.postgres_url:
            targets.append(
                ("postgresql", scratchdb.scratch_postgres_database(args.postgres_url, prefix="signaal_bench"))
            )
        for name, target in targets:
            with target as url:
                first, incremental = measure(url, window, args.batch)
            print(
                f"{name:10s}  {window:6d}  {args.batch:5d}  {first:16.2f}  {incremental:13.3f}"
                f"  {incremental / args.batch * 1000:19.2f}"
            )


if __name__ == "__main__":
    main()
