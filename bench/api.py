"""Staff UI and API server time with many signals in PostgreSQL: the queue page and the filtered listing.

    .venv/bin/python bench/api.py [--signals 100000] [--requests 40] [--postgres-url URL]

Stores N routed signals (messages, signals, open follow-ups; 6 channels × languages ×
departments × handlers, texts from a small vocabulary) in a scratch database, then calls
the real app in-process (no network) as a front-office user and prints the median and p95
of each request's time.
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import time
from pathlib import Path

from sqlalchemy import insert, select, text

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from fastapi.testclient import TestClient  # noqa: E402

from services.api import users  # noqa: E402
from services.api.app import create_app  # noqa: E402
from shared import migrate  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.models import Department, FollowUp, Handler, Message, Signal, utcnow  # noqa: E402
from shared.settings import Settings  # noqa: E402
from tests import scratchdb, servers  # noqa: E402
from tests.staff import PASSWORD, log_in  # noqa: E402

VOCABULARY = (
    "container afval geleegd paspoort aanvraag vergunning parkeren lantaarnpaal kapot wachten reactie "
    "belachelijk weer niet gebeld beloofd factuur toeslag belasting boete bezwaar loket afspraak "
    "still no answer third time waiting refund permit broken street light"
)
WORDS = VOCABULARY.split()
CHANNELS = ["email", "webform", "social", "webhook"]
STATUSES = ["new"] * 6 + ["confirmed"] * 3 + ["dismissed"]

REQUESTS = {
    "queue page (newest, page 1)": ("/queue", {}),
    "queue page (filtered + search)": ("/queue", {"channel": "email", "status": "new", "q": "container"}),
    "API listing (filtered)": ("/api/v1/signals", {"channel": "social", "band": "high", "language": "en"}),
    "API listing (search + sort by due)": ("/api/v1/signals", {"q": "paspoort aanvraag", "sort": "due"}),
    "API listing (page 200)": ("/api/v1/signals", {"page": 200, "per_page": 50}),
}


def store(database: Database, count: int, rng: random.Random) -> None:
    """`count` routed signals with an open follow-up each, spread over 90 days."""
    now = utcnow()
    with database.transaction() as session:
        departments = [Department(name=f"Afdeling {n}") for n in range(6)]
        handlers = [Handler(name=f"Behandelaar {n}", email=f"h{n}@example.nl") for n in range(20)]
        session.add_all(departments + handlers)
        session.flush()
        department_ids = [d.id for d in departments]
        handler_ids = [h.id for h in handlers] + [None] * 5
    for first in range(0, count, 5000):
        rows = range(first, min(count, first + 5000))
        when = {i: now - dt.timedelta(minutes=rng.randint(0, 90 * 24 * 60)) for i in rows}
        with database.transaction() as session:
            session.execute(
                insert(Message),
                [
                    {"id": i + 1, "reference": f"SG-B{i:07d}", "channel": rng.choice(CHANNELS),
                     "source": "bench", "dedupe_key": str(i), "content_hash": str(i), "raw": b"",
                     "subject": " ".join(rng.choices(WORDS, k=3)), "text": " ".join(rng.choices(WORDS, k=40)),
                     "sender_name": f"Burger {i}", "sender_address": f"b{i}@example.nl",
                     "language": rng.choice(["nl", "nl", "nl", "en"]), "received_at": when[i],
                     "state": "routed"}
                    for i in rows
                ],
            )  # fmt: skip
            session.execute(
                insert(Signal),
                [
                    {"id": i + 1, "message_id": i + 1, "status": rng.choice(STATUSES),
                     "band": rng.choice(["high", "possible"]), "score": rng.random(),
                     "department_id": rng.choice(department_ids), "handler_id": rng.choice(handler_ids),
                     "created_at": when[i], "updated_at": when[i]}
                    for i in rows
                ],
            )  # fmt: skip
            session.execute(
                insert(FollowUp),
                [{"signal_id": i + 1, "due_at": when[i] + dt.timedelta(days=3)} for i in rows],
            )
        print(f"  stored {rows.stop:,} signals", file=sys.stderr)
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("ANALYZE"))


def measure(client: TestClient, path: str, params: dict[str, object], repeat: int) -> tuple[float, float]:
    """Median and p95 milliseconds of `repeat` calls (after one warm-up call)."""
    assert client.get(path, params=params).status_code == 200
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        response = client.get(path, params=params)
        times.append((time.perf_counter() - start) * 1000)
        assert response.status_code == 200, response.text[:200]
    times.sort()
    return statistics.median(times), times[min(len(times) - 1, int(len(times) * 0.95))]


def run(
    description: str, requests: dict[str, tuple[str, dict[str, object]]], *, role: str, repeat: int
) -> None:
    """Store N signals in a scratch PostgreSQL database, then time each request as a user of `role`."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--signals", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=repeat)
    parser.add_argument("--postgres-url", default=servers.POSTGRES_URL)
    args = parser.parse_args()
    with scratchdb.scratch_postgres_database(args.postgres_url, prefix="signaal_bench") as url:
        database = Database(url)
        migrate.upgrade(database.engine)
        started = time.perf_counter()
        store(database, args.signals, random.Random(1))
        print(f"stored {args.signals:,} signals in {time.perf_counter() - started:.0f} s", file=sys.stderr)
        with database.transaction() as session:
            users.create(db_session=session, username="bench", password=PASSWORD, role=users.Role(role))
            total = session.scalar(select(text("count(*)")).select_from(Signal))
        app = create_app(Settings(secret_key="bench-" + "x" * 40), database)
        with TestClient(app, base_url="http://127.0.0.1") as client:
            log_in(client, "bench")
            print(f"\nServer time with {total:,} signals in PostgreSQL ({args.requests} calls each):")
            print(f"{'request':40} {'median ms':>10} {'p95 ms':>10}")
            for name, (path, params) in requests.items():
                median, p95 = measure(client, path, params, args.requests)
                print(f"{name:40} {median:10.1f} {p95:10.1f}")
        database.dispose()


def main() -> None:
    run(__doc__.splitlines()[0], REQUESTS, role="frontoffice", repeat=40)


if __name__ == "__main__":
    main()
