"""The health overview as a plain-text table, for `signaal connectors`."""

from __future__ import annotations

import datetime as dt

from services.api.connectors.schemas import ConnectorOverview
from services.ingest.health import duration

HEADERS = ("CONNECTOR", "KIND", "STATUS", "LAST POLL", "LAST SUCCESS", "FAILS", "TOTAL", "LAST HOUR", "LAG")


def ago(moment: dt.datetime | None, now: dt.datetime) -> str:
    return "never" if moment is None else f"{duration(now - moment)} ago"


def render(overview: ConnectorOverview) -> str:
    """Columns per connector, then its last error and warnings indented under it, then the outbox."""
    now = overview.checked_at
    lines: list[str] = []
    if not overview.connectors:
        lines.append("No connectors configured; add them to the file named by SIGNAAL_CONFIG.")
    else:
        rows = [
            (
                c.name,
                c.kind,
                c.status.upper() if c.status in {"down", "degraded"} else c.status,
                ago(c.last_attempt_at, now),
                ago(c.last_success_at, now),
                str(c.consecutive_failures),
                str(c.messages_total),
                str(c.messages_last_hour),
                duration(dt.timedelta(seconds=c.lag_seconds)) if c.lag_seconds is not None else "-",
            )
            for c in overview.connectors
        ]
        widths = [max(len(row[i]) for row in [HEADERS, *rows]) for i in range(len(HEADERS))]
        lines.append(_line(HEADERS, widths))
        for connector, row in zip(overview.connectors, rows, strict=True):
            lines.append(_line(row, widths))
            if connector.last_error and connector.status != "ok":
                lines.append(f"    last error {ago(connector.last_error_at, now)}: {connector.last_error}")
            lines.extend(f"    ! {warning}" for warning in connector.warnings)
    mail = overview.outbox
    lines.append("")
    state = f"sending through {mail.smtp_server}" if mail.sending_enabled else "sending is OFF"
    waiting = f"{mail.pending} waiting"
    if mail.oldest_pending_at is not None:
        waiting += f" (oldest {ago(mail.oldest_pending_at, now)})"
    lines.append(f"Outbox: {state}; {waiting}, {mail.failed} failed, {mail.sent_last_24h} sent in 24 h")
    if mail.last_error and (mail.pending or mail.failed):
        lines.append(f"    last error: {mail.last_error}")
    lines.extend(f"    ! {warning}" for warning in mail.warnings)
    return "\n".join(lines)


def _line(cells: tuple[str, ...], widths: list[int]) -> str:
    return "  ".join(cell.ljust(width) for cell, width in zip(cells, widths, strict=True)).rstrip()
