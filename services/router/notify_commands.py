"""`signaal notify …` and `signaal patterns …`: run the router's periodic checks by hand."""

from __future__ import annotations

from typing import TYPE_CHECKING, Annotated

import typer

if TYPE_CHECKING:
    from services import runtime

notify_app = typer.Typer(help="Notification mails: the daily digest and escalations.", no_args_is_help=True)
patterns_app = typer.Typer(help="Persistent contact and same-problem groups.", no_args_is_help=True)


@notify_app.command("digest")
def digest_command(
    now: Annotated[bool, typer.Option("--now", help="Do not wait for the configured time of day.")] = False,
) -> None:
    """Queue today's digest for each handler with follow-ups due today or overdue (once a day each)."""
    from services import runtime
    from services.router import digest
    from shared.models import utcnow

    context = runtime.bootstrap()
    moment = utcnow()
    if not now and not digest.is_due(moment, context.settings.notify_digest_time):
        typer.echo(
            f"Not yet: digests go out on working days from {context.settings.notify_digest_time:%H:%M} "
            "(Amsterdam time, SIGNAAL_NOTIFY_DIGEST_TIME). Add --now to queue them now."
        )
        return
    result = digest.send_digests(context.database, now=moment, base_url=context.settings.base_url)
    typer.echo(
        f"{result.queued} digest(s) queued, {result.already_sent} already sent today, "
        f"{result.nothing_due} handler(s) with nothing due."
    )
    _mention_outbox(context)


@notify_app.command("escalate")
def escalate_command() -> None:
    """Mail the department lead about each overdue follow-up not escalated before."""
    from services import runtime
    from services.router import notify

    context = runtime.bootstrap()
    count = notify.escalate_overdue(context.database, base_url=context.settings.base_url)
    typer.echo(f"{count} overdue follow-up(s) escalated.")
    _mention_outbox(context)


def _mention_outbox(context: runtime.Context) -> None:
    if not context.settings.smtp_host:
        typer.echo("Mail waits in the outbox: SIGNAAL_SMTP_HOST is not set.")
    else:
        typer.echo("The outbox sender of `signaal run` (or `signaal ingest`) delivers the mail.")


@patterns_app.command("group")
def group_command() -> None:
    """Group the signals not grouped yet (the route worker does this every few seconds)."""
    from services import runtime
    from services.router import patterns

    context = runtime.bootstrap()
    policy = patterns.Policy.from_settings(context.settings)
    total = 0
    while placed := patterns.group_pending(context.database, policy=policy):
        total += placed
    typer.echo(f"{total} signal(s) placed.")


@patterns_app.command("groups")
def groups_command(
    days: Annotated[int | None, typer.Option(help="Only signals of the last DAYS days.")] = None,
    limit: Annotated[int, typer.Option(help="At most this many groups.")] = 20,
) -> None:
    """List groups of signals about the same problem, largest first."""
    from services import runtime
    from services.router import patterns

    context = runtime.bootstrap()
    with context.database.session() as session:
        groups = patterns.list_groups(db_session=session, days=days, limit=limit)
    if not groups:
        typer.echo("No groups yet.")
    for group in groups:
        members = ", ".join(map(str, group.signal_ids))
        typer.echo(f"{group.size:4d}  group {group.id}  {group.label}  (signals {members})")
