"""Sending email over SMTP with aiosmtplib: connection settings, building messages, readable errors.

Only `shared.outbox` sends; everything else enqueues. Errors become a
`SendError` whose reason ops can act on ("login refused", "connection
refused"), never containing the password.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import ssl
import unicodedata
from dataclasses import dataclass
from email.message import EmailMessage
from email.policy import SMTP as SMTP_POLICY
from pathlib import Path
from types import TracebackType

import aiosmtplib
from pydantic import SecretStr

from shared.settings import Settings, SmtpSecurity

DEFAULT_PORTS = {SmtpSecurity.none: 25, SmtpSecurity.starttls: 587, SmtpSecurity.tls: 465}
# Keeps References short: the citizen's last few ancestors thread just as well.
MAX_REFERENCES = 10
# RFC 5322's line limit is 998; a subject longer than this is noise, and folding stays simple.
MAX_HEADER_CHARS = 900
# The stdlib decodes encoded words again when a header is set, so a value is decoded until it
# no longer changes; a word encoded more often than this is left undecodable instead.
_DECODE_ROUNDS = 5
# Unicode categories that end or bend a line somewhere along the way (Cc: C0/C1 controls, NUL,
# CR, LF, VT, FF, FS/GS/RS, NEL; Zl/Zp: U+2028/U+2029) and lone surrogates no encoder takes.
_FLATTENED = {"Cc", "Zl", "Zp", "Cs"}


@dataclass(frozen=True)
class SmtpConfig:
    host: str
    port: int
    security: SmtpSecurity
    username: str
    password: SecretStr
    from_address: str
    timeout: float
    ca_file: Path | None = None

    @classmethod
    def from_settings(cls, settings: Settings) -> SmtpConfig:
        security = settings.smtp_security
        return cls(
            host=settings.smtp_host,
            port=settings.smtp_port or DEFAULT_PORTS[security],
            security=security,
            username=settings.smtp_username,
            password=settings.smtp_password,
            from_address=settings.smtp_from,
            timeout=settings.smtp_timeout,
            ca_file=settings.smtp_ca_file,
        )

    @property
    def enabled(self) -> bool:
        """Sending is switched on (SIGNAAL_SMTP_HOST is set)."""
        return bool(self.host)

    @property
    def envelope_sender(self) -> str:
        return email.utils.parseaddr(self.from_address)[1]

    @property
    def domain(self) -> str:
        """The domain our Message-IDs are made in: the sender's."""
        return self.envelope_sender.rpartition("@")[2] or "signaal.invalid"

    @property
    def where(self) -> str:
        return f"{self.host}:{self.port}"


class SendError(Exception):
    """Sending failed; `reason` is written for ops, `permanent` means retrying will not help."""

    def __init__(self, reason: str, *, permanent: bool = False, code: int | None = None) -> None:
        super().__init__(reason)
        self.reason = reason
        self.permanent = permanent
        self.code = code


@dataclass(frozen=True)
class Outgoing:
    """One email ready to build: what the outbox row says plus its threading."""

    recipient: str
    subject: str
    body: str
    message_id: str  # with angle brackets
    auto_submitted: str  # RFC 3834: auto-replied (receipts) or auto-generated
    in_reply_to: str | None = None
    references: tuple[str, ...] = ()
    reference: str | None = None  # the citizen's reference number, when there is one


def build(config: SmtpConfig, outgoing: Outgoing, *, now: dt.datetime) -> EmailMessage:
    """A plain-text UTF-8 email with the headers that stop mail loops and keep threads together."""
    message = EmailMessage(policy=SMTP_POLICY)
    # Every value goes through header_value(): the citizen's subject, name and Message-IDs
    # reach these headers, and the stdlib would decode an encoded CR LF in them into a new header.
    message["From"] = header_value(config.from_address)  # configured, with a display name
    message["To"] = _address(outgoing.recipient)
    message["Subject"] = header_value(outgoing.subject)
    message["Date"] = email.utils.format_datetime(now)
    message["Message-ID"] = header_value(outgoing.message_id)
    message["Auto-Submitted"] = header_value(outgoing.auto_submitted)
    # Exchange and Outlook honour this instead of Auto-Submitted: no out-of-office back to us.
    message["X-Auto-Response-Suppress"] = "All"
    in_reply_to = _message_id(outgoing.in_reply_to)
    if in_reply_to:
        message["In-Reply-To"] = in_reply_to
        ancestors = [i for i in map(_message_id, outgoing.references[-MAX_REFERENCES:]) if i]
        message["References"] = " ".join([*ancestors, in_reply_to])
    if outgoing.reference:
        message["X-Signaal-Reference"] = header_value(outgoing.reference)
    message.set_content(outgoing.body, charset="utf-8")
    return message


def header_value(text: str, *, limit: int = MAX_HEADER_CHARS) -> str:
    """Text that sets exactly one header line, whatever encoded words or line separators it holds.

    Encoded words are decoded first (the stdlib's own decoder, so we see what it would make of
    the value), then every control and line-separator character becomes a space, then the
    length is bounded; any `=?` still left is broken up so that nothing is decoded later.
    """
    # The stdlib's header parser is quadratic in the number of words (1 MB of them: 97 s), so it
    # reads a bounded prefix; an encoded word cut here stays undecoded and is broken up below.
    text = text[: 8 * limit]
    for _ in range(_DECODE_ROUNDS):
        flattened = _flatten(_decoded(text))
        if flattened == text:
            break
        text = flattened
    return text.replace("=?", "= ?")[:limit].rstrip()


def _decoded(text: str) -> str:
    try:
        return str(SMTP_POLICY.header_factory("subject", text))
    except Exception:  # the stdlib's parser on odd input: keep the text as it is (flattened next)
        return text


def _flatten(text: str) -> str:
    characters = (" " if unicodedata.category(c) in _FLATTENED else c for c in text)
    return " ".join("".join(characters).split())


def _address(address: str) -> str:
    # Recipients come from these headers (send_message), so an address is refused, never repaired.
    if header_value(address) != address.strip():
        raise ValueError("the address contains encoded words or control characters")
    return address.strip()


def _message_id(message_id: str | None) -> str | None:
    """A Message-ID for threading, or None when it would not survive as one safe token."""
    if not message_id or header_value(message_id) != message_id or " " in message_id:
        return None
    return message_id


def angle_bracketed(message_id: str) -> str:
    message_id = message_id.strip()
    return message_id if message_id.startswith("<") else f"<{message_id}>"


class Connection:
    """One SMTP session: `async with Connection(config) as smtp: await smtp.send(message)`."""

    def __init__(self, config: SmtpConfig) -> None:
        self.config = config
        self.client = aiosmtplib.SMTP(
            hostname=config.host,
            port=config.port,
            timeout=config.timeout,
            use_tls=config.security is SmtpSecurity.tls,
            # True insists on STARTTLS (never falls back to plain); False never tries it.
            start_tls=config.security is SmtpSecurity.starttls,
            cert_bundle=str(config.ca_file) if config.ca_file else None,
        )

    async def __aenter__(self) -> Connection:
        await self.open()
        return self

    async def open(self) -> None:
        """Connect, secure the connection as configured, and log in when a username is set."""
        try:
            await self.client.connect()
            if self.config.username:
                await self.client.login(self.config.username, self.config.password.get_secret_value())
        except Exception as exc:
            await self.close()
            raise describe(exc, self.config) from None

    async def send(self, message: EmailMessage) -> None:
        try:
            await self.client.send_message(message, sender=self.config.envelope_sender)
        except Exception as exc:
            raise describe(exc, self.config) from None

    @property
    def usable(self) -> bool:
        return self.client.is_connected

    async def close(self) -> None:
        if not self.client.is_connected:
            return
        try:
            await self.client.quit()
        except (aiosmtplib.SMTPException, OSError):
            self.client.close()

    async def __aexit__(
        self, _type: type[BaseException] | None, _exc: BaseException | None, _tb: TracebackType | None
    ) -> None:
        await self.close()


def describe(exc: Exception, config: SmtpConfig) -> SendError:
    """Turn an aiosmtplib / network error into a reason ops can act on."""
    where = config.where
    if isinstance(exc, aiosmtplib.SMTPAuthenticationError):
        return SendError(
            f"login refused by {where} ({exc.code} {exc.message}); "
            "check SIGNAAL_SMTP_USERNAME and SIGNAAL_SMTP_PASSWORD",
            code=exc.code,
        )
    if isinstance(exc, aiosmtplib.SMTPNotSupported):
        return SendError(f"{where}: {exc}; check SIGNAAL_SMTP_SECURITY and SIGNAAL_SMTP_PORT")
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused):
        refused = exc.recipients[0]
        return SendError(
            f"recipient refused by {where}: {refused.code} {refused.message}",
            permanent=refused.code >= 500,
            code=refused.code,
        )
    if isinstance(exc, aiosmtplib.SMTPSenderRefused):
        return SendError(
            f"sender refused by {where} ({exc.code} {exc.message}); check SIGNAAL_SMTP_FROM", code=exc.code
        )
    if isinstance(exc, aiosmtplib.SMTPTimeoutError):
        return SendError(f"timed out after {config.timeout:g}s talking to {where}")
    if isinstance(exc, aiosmtplib.SMTPConnectError):
        return SendError(f"cannot connect to {where}: {exc}")
    if isinstance(exc, aiosmtplib.SMTPServerDisconnected):
        return SendError(f"{where} closed the connection: {exc}")
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        # 5xx on the message itself (too big, content refused): sending it again will not help.
        return SendError(
            f"message refused by {where}: {exc.code} {exc.message}", permanent=exc.code >= 500, code=exc.code
        )
    if isinstance(exc, ssl.SSLError):
        return SendError(
            f"TLS with {where} failed: {exc.reason or exc}; check SIGNAAL_SMTP_SECURITY, and "
            "SIGNAAL_SMTP_CA_FILE when an internal CA signed the server's certificate"
        )
    if isinstance(exc, OSError):
        return SendError(f"cannot connect to {where}: {exc.strerror or exc}")
    return SendError(f"{type(exc).__name__} while sending through {where}: {exc}")
