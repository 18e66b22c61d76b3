"""IMAP ingest against a real Dovecot: messages/second, compared with a bare fetch, and IDLE latency.

    .venv/bin/python bench/ingest_imap.py [--messages 10000] [--batch-size 100] [--latency-samples 100]
                                          [--postgres-url URL] [--json]

Loads N messages (the awkward-mail corpus cycled, each with a unique Message-ID)
into a throwaway Dovecot on loopback (needs `dovecot-imapd`; run as root, or as a
user Dovecot may run as). Then, on the same mailbox:

- bare: an imapclient loop that only fetches every message (UID FETCH BODY.PEEK[]
  in batches of the same size), nothing else; one untimed pass first warms
  Dovecot's caches so both timed runs see the same server state;
- ours: the IMAP connector storing everything into a fresh SQLite database (and a
  fresh PostgreSQL one with --postgres-url), one poll from an empty cursor;
- parse only: shared.mail.parse_email over the same messages in-process, to show
  how much of our time is normalisation rather than IMAP or storage;
- latency: the connector running with IDLE (poll interval 300 s, so only IDLE can
  wake it); messages appended one at a time; arrival (APPEND done) to stored
  (the row's ingested_at), median and p95; arrival is taken just before the APPEND.

Bounded: socket timeouts on every call, a deadline on every wait.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

from imapclient import IMAPClient
from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from services.ingest import connectors, runner  # noqa: E402
from services.ingest.connectors.imap import ImapConnector  # noqa: E402
from services.ingest.sink import Sink  # noqa: E402
from shared import mail, migrate  # noqa: E402
from shared.config import ConnectorEntry  # noqa: E402
from shared.db import Database  # noqa: E402
from shared.models import ConnectorHealth, Message  # noqa: E402
from tests import dovecot, scratchdb  # noqa: E402

CORPUS = ROOT / "tests" / "data" / "mail"
_MESSAGE_ID = re.compile(rb"^message-id:[^\n]*\n(?:[ \t][^\n]*\n)*", re.IGNORECASE | re.MULTILINE)


def corpus_cycle(n: int) -> Iterator[bytes]:
    """The corpus cycled to n messages; each gets its own Message-ID (replacing any it had)."""
    mails = [p.read_bytes() for p in sorted(CORPUS.glob("*.eml"))]
    for i in range(n):
        raw = _MESSAGE_ID.sub(b"", mails[i % len(mails)], count=1)
        yield f"Message-ID: <bench-{i}@example.nl>\r\n".encode() + raw


def postgres_database(admin_url: str) -> contextlib.AbstractContextManager[str]:
    return scratchdb.scratch_postgres_database(admin_url, prefix="signaal_bench")


def connector(server: dovecot.Dovecot, **options: object) -> ImapConnector:
    entry = ConnectorEntry.model_validate(server.connector_options(**options))
    built = connectors.KINDS["imap"](entry, 0)
    assert isinstance(built, ImapConnector)
    return built


def count(database: Database) -> int:
    with database.session() as session:
        return session.scalar(select(func.count()).select_from(Message)) or 0


def bare_fetch(server: dovecot.Dovecot, batch_size: int) -> tuple[int, float]:
    """Fetch every message's bytes in batches, nothing else; (messages, seconds)."""
    started = time.perf_counter()
    client = IMAPClient(server.host, server.port, ssl=False, timeout=60)
    client.login(dovecot.USER, dovecot.PASSWORD)
    client.select_folder("INBOX", readonly=True)
    uids = sorted(client.search(["ALL"]))
    fetched = 0
    for start in range(0, len(uids), batch_size):
        answer = client.fetch(uids[start : start + batch_size], ["BODY.PEEK[]"])
        fetched += sum(1 for data in answer.values() if b"BODY[]" in data)
    client.logout()
    return fetched, time.perf_counter() - started


def ours(server: dovecot.Dovecot, url: str, batch_size: int, expected: int) -> float:
    """One poll from an empty cursor into a fresh database; seconds (connect and login included)."""
    database = Database(url)
    migrate.upgrade(database.engine)
    built = connector(server, batch_size=batch_size, timeout=120)
    try:
        started = time.perf_counter()
        stored = built.poll(Sink(database, built.name))
        seconds = time.perf_counter() - started
    finally:
        built.close()
    if stored != expected or count(database) != expected:
        raise SystemExit(f"stored {stored} (rows: {count(database)}), expected {expected}")
    database.dispose()
    return seconds


def idle_latency(server: dovecot.Dovecot, url: str, samples: int) -> list[float]:
    """Seconds from a finished APPEND to the row's ingested_at, with the connector waiting in IDLE."""
    database = Database(url)
    migrate.upgrade(database.engine)
    built = connector(server, folders=["Latency"], poll_interval=300)
    appender = server.client()
    appender.create_folder("Latency")
    stop = threading.Event()
    thread = threading.Thread(target=runner.run_connector, args=(built, database, stop), daemon=True)
    thread.start()
    latencies: list[float] = []
    try:
        _wait(lambda: _polled(database, built.name), "the connector's first poll")
        for i in range(samples):
            message_id = f"<latency-{i}@example.nl>"
            raw = dovecot.complaint(i).replace(b"<klacht-", b"<latency-", 1)
            arrived = dt.datetime.now(dt.UTC)
            appender.append("Latency", raw)
            _wait(lambda mid=message_id: _ingested_at(database, mid) is not None, f"message {i}")
            stored_at = _ingested_at(database, message_id)
            assert stored_at is not None
            latencies.append((stored_at - arrived).total_seconds())
    finally:
        stop.set()
        thread.join(timeout=30)
        appender.logout()
        database.dispose()
    return latencies


def _polled(database: Database, name: str) -> bool:
    with database.session() as session:
        return (
            session.scalar(select(ConnectorHealth.last_success_at).where(ConnectorHealth.connector == name))
            is not None
        )


def _ingested_at(database: Database, message_id: str) -> dt.datetime | None:
    with database.session() as session:
        return session.scalar(select(Message.ingested_at).where(Message.message_id_header == message_id))


def _wait(condition: Callable[[], bool], what: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise SystemExit(f"timed out waiting for {what}")
        time.sleep(0.002)


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--messages", type=int, default=10_000)
    parser.add_argument("--batch-size", type=int, default=100)
    parser.add_argument("--latency-samples", type=int, default=100)
    parser.add_argument("--postgres-url", help="also ingest into a fresh database on this PostgreSQL server")
    parser.add_argument("--json", action="store_true", help="also print the results as one JSON line")
    args = parser.parse_args()
    if not dovecot.available():
        raise SystemExit(f"Dovecot not installed ({dovecot.DOVECOT}); apt-get install dovecot-imapd")
    os.environ["SIGNAAL_TEST_IMAP_PASSWORD"] = dovecot.PASSWORD
    results: dict[str, object] = {"messages": args.messages, "batch_size": args.batch_size}

    with dovecot.running() as server, tempfile.TemporaryDirectory() as folder:
        started = time.perf_counter()
        raw = list(corpus_cycle(args.messages))
        server.append(raw)
        megabytes = sum(len(r) for r in raw) / 1e6
        print(f"loaded {args.messages} messages ({megabytes:.1f} MB) in {time.perf_counter() - started:.1f}s")
        results["megabytes"] = round(megabytes, 1)

        bare_fetch(server, args.batch_size)  # warm-up: Dovecot builds its index and cache
        fetched, bare_seconds = bare_fetch(server, args.batch_size)
        bare_rate = fetched / bare_seconds
        print(f"{'bare fetch:':<18} {bare_rate:8.1f} msg/s ({bare_seconds:.1f}s)")
        results["bare_fetch_per_second"] = round(bare_rate, 1)

        # Where our time goes: normalisation alone, on the same messages, without IMAP or a database.
        started = time.perf_counter()
        for i, message in enumerate(raw):
            mail.parse_email(message, source="bench", dedupe_key=str(i))
        parse_rate = len(raw) / (time.perf_counter() - started)
        print(f"{'parse only:':<18} {parse_rate:8.1f} msg/s (shared.mail.parse_email, no IMAP, no database)")
        results["parse_only_per_second"] = round(parse_rate, 1)

        targets = [("sqlite", f"sqlite:///{folder}/bench.db")]
        with contextlib.ExitStack() as stack:
            if args.postgres_url:
                targets.append(("postgresql", stack.enter_context(postgres_database(args.postgres_url))))
            for kind, url in targets:
                seconds = ours(server, url, args.batch_size, fetched)
                rate = fetched / seconds
                label = f"ours ({kind}):"
                print(f"{label:<18} {rate:8.1f} msg/s ({seconds:.1f}s), ours/bare {rate / bare_rate:.2f}")
                results[f"ours_{kind}_per_second"] = round(rate, 1)
                results[f"ours_{kind}_over_bare"] = round(rate / bare_rate, 3)

        latencies = idle_latency(server, f"sqlite:///{folder}/latency.db", args.latency_samples)
        median = statistics.median(latencies)
        p95 = (
            statistics.quantiles(latencies, n=20, method="inclusive")[-1]
            if len(latencies) >= 2
            else latencies[0]
        )
        print(
            f"IDLE arrival-to-stored over {len(latencies)} messages: median {median * 1000:.0f} ms, "
            f"p95 {p95 * 1000:.0f} ms, max {max(latencies) * 1000:.0f} ms"
        )
        results.update(
            latency_median_ms=round(median * 1000, 1),
            latency_p95_ms=round(p95 * 1000, 1),
            latency_max_ms=round(max(latencies) * 1000, 1),
        )
    print(f"cores: {os.cpu_count()}; load average at the end: {os.getloadavg()[0]:.1f}")
    if args.json:
        print(json.dumps(results))


if __name__ == "__main__":
    main()
