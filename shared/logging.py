"""Structured logging (structlog) for every process: human-readable locally, JSON in production.

Never log message bodies, subjects or sender addresses: they are citizens' personal data.
Log ids and references instead. That holds at DEBUG too: libraries that log protocol
traffic (whole mails, SMTP dialogues, HTTP bodies) are held at INFO, and tracebacks
lose the lines in which a database quotes row values.
"""

from __future__ import annotations

import logging
import sys

import structlog

from shared import dberrors

# Loggers that write protocol data at DEBUG: IMAP literals (whole mails), SMTP and HTTP traffic.
PROTOCOL_LOGGERS = ("imapclient", "imaplib", "smtplib", "httpx", "httpcore", "aiosmtpd", "mail.log")


def configure(level: str = "INFO", fmt: str = "console") -> None:
    """Route structlog and the standard library's logging through one renderer."""
    renderer: structlog.typing.Processor
    if fmt == "json":
        renderer = structlog.processors.JSONRenderer()
    else:
        renderer = structlog.dev.ConsoleRenderer(colors=sys.stderr.isatty())
    shared_processors: list[structlog.typing.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.stdlib.add_log_level,
        structlog.stdlib.add_logger_name,
        structlog.processors.TimeStamper(fmt="iso", utc=True),
    ]
    structlog.configure(
        processors=[*shared_processors, structlog.stdlib.ProcessorFormatter.wrap_for_formatter],
        logger_factory=structlog.stdlib.LoggerFactory(),
        wrapper_class=structlog.stdlib.BoundLogger,
        cache_logger_on_first_use=True,
    )
    formatter = structlog.stdlib.ProcessorFormatter(
        foreign_pre_chain=shared_processors,
        processors=[
            structlog.stdlib.ProcessorFormatter.remove_processors_meta,
            structlog.processors.format_exc_info,
            _scrub_exception,
            renderer,
        ],
    )
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(formatter)
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    for name in PROTOCOL_LOGGERS:
        logging.getLogger(name).setLevel(max(logging.INFO, root.level))
    # uvicorn's access log repeats every request; keep its errors.
    logging.getLogger("uvicorn.access").setLevel(logging.WARNING)
    # Alembic announces its dialect on every readiness check.
    logging.getLogger("alembic").setLevel(logging.WARNING)
    for name in ("uvicorn", "uvicorn.error"):
        logging.getLogger(name).handlers[:] = []
        logging.getLogger(name).propagate = True


def _scrub_exception(
    _logger: object, _method: str, event: structlog.typing.EventDict
) -> structlog.typing.EventDict:
    """Drop database DETAIL and parameter lines from a rendered traceback."""
    if isinstance(event.get("exception"), str):
        event["exception"] = dberrors.scrub(event["exception"])
    return event
