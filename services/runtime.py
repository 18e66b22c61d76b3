"""Starting Signaal's processes: shared start-up, signal handling, and the all-in-one `run`."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from dataclasses import dataclass

import structlog
import uvicorn

from services.classifier.stage import ClassifyStage
from services.ingest import connectors as connector_kinds
from services.ingest import runner as ingest
from services.router import scheduler
from services.router.departments import sync_departments
from services.router.stage import RouteStage
from shared import config as org_config
from shared import installkey, interpreter, migrate, runner
from shared import logging as signaal_logging
from shared.db import Database
from shared.exceptions import DatabaseNotMigrated
from shared.pipeline import StageBase, Worker, WorkerConfig
from shared.settings import Settings, get_settings

log = structlog.get_logger(__name__)


@dataclass
class Context:
    settings: Settings
    config: org_config.OrganisationConfig
    database: Database


# Each stage built from what start-up read once.
STAGES: dict[str, Callable[[Context], StageBase]] = {
    "classify": lambda context: ClassifyStage(context.settings),
    "route": lambda context: RouteStage.from_config(context.config, context.settings),
}


def bootstrap(*, require_schema: bool = True) -> Context:
    """Settings, logging, config file and a reachable database: what every command needs.

    Raises ConfigError / DatabaseUnavailable / DatabaseNotMigrated with a message for the user.
    """
    settings = installkey.with_install_key(get_settings())
    signaal_logging.configure(settings.log_level, settings.log_format)
    interpreter.require_patched(settings.env)
    config = org_config.load_config(settings.config)
    database = Database(settings.database_url, pool_size=settings.db_pool_size)
    database.wait_until_reachable(settings.db_wait_seconds)
    if require_schema and (reason := migrate.pending_reason(database.engine)):
        raise DatabaseNotMigrated(f"Cannot start: {reason}.")
    return Context(settings, config, database)


def worker_config(settings: Settings) -> WorkerConfig:
    import datetime as dt

    return WorkerConfig(
        batch_size=settings.worker_batch_size,
        lease=dt.timedelta(seconds=settings.lease_seconds),
        poll_interval=settings.poll_interval,
    )


def stop_on_signals() -> threading.Event:
    """An event set by SIGTERM or SIGINT (the second SIGINT interrupts at once)."""
    stop = threading.Event()

    def handle(signum: int, _frame: object) -> None:
        if stop.is_set() and signum == signal.SIGINT:
            raise KeyboardInterrupt
        log.info("stopping: finishing the items in hand", signal=signal.Signals(signum).name)
        stop.set()

    signal.signal(signal.SIGTERM, handle)
    signal.signal(signal.SIGINT, handle)
    return stop


def run_stage(context: Context, stage_name: str, stop: threading.Event) -> None:
    """Run one pipeline stage's worker in this thread until `stop`."""
    if stage_name == "route":
        sync_departments(context.database, context.config)
        # Escalations, the daily digest, same-problem grouping, and a handler for signals nobody could
        # take yet as soon as one is available (all safe beside other route workers).
        interval = context.config.routing.waiting_check_seconds
        for each in scheduler.runners(context.database, context.settings, waiting_check_seconds=interval):
            each.start(stop)
    stage = STAGES[stage_name](context)
    if isinstance(stage, ClassifyStage) and not stage.interim:
        # Load and validate the model now: a broken artefact stops start-up instead of failing items.
        stage.classifier()
    Worker(stage, context.database, worker_config(context.settings)).run(stop)


def run_workers(context: Context, stage_names: list[str], stop: threading.Event) -> None:
    """Run the named stages' workers on threads of this process until `stop`."""
    threads = [
        runner.start_thread(f"worker:{n}", lambda n=n: run_stage(context, n, stop)) for n in stage_names
    ]
    stop.wait()
    for thread in threads:
        thread.join(timeout=60)


def start_outbox(context: Context, stop: threading.Event) -> threading.Thread:
    """Send queued mail (receipts, notifications) on a thread until `stop`; safe beside other senders."""
    from shared.outbox import OutboxSender

    return OutboxSender.from_settings(context.database, context.settings).start(stop)


def api_server(context: Context) -> uvicorn.Server:
    from services.api.app import create_app

    app = create_app(context.settings, context.database, config=context.config)
    # proxy_headers off: uvicorn would believe X-Forwarded-For from 127.0.0.1; the app decides instead,
    # from SIGNAAL_TRUSTED_PROXIES (services.api.clientaddress), and request.client stays the peer.
    config = uvicorn.Config(
        app,
        host=context.settings.host,
        port=context.settings.port,
        log_config=None,
        access_log=False,
        proxy_headers=False,
    )
    return uvicorn.Server(config)


def run_all(context: Context) -> None:
    """The embedded default: API, ingest and one worker per stage, in one process."""
    stop = stop_on_signals()
    connectors = connector_kinds.build_all(context.config)
    sync_departments(context.database, context.config)
    threads = [
        runner.start_thread(f"worker:{name}", lambda n=name: run_stage(context, n, stop)) for name in STAGES
    ]
    threads += ingest.run_all(connectors, context.database, stop, organisation=context.config)
    threads.append(start_outbox(context, stop))
    server = api_server(context)
    # uvicorn handles signals only on the main thread; here it runs on its own, and we stop it.
    threads.append(runner.start_thread("api", server.run))
    log.info("Signaal is running", url=context.settings.base_url)
    while not stop.wait(0.5):
        if not threads[-1].is_alive():  # the API could not start (port taken?)
            log.error("the API server stopped; shutting down")
            stop.set()
    server.should_exit = True
    for thread in threads:
        thread.join(timeout=30)
    context.database.dispose()
