"""A real SMTP server for tests: aiosmtpd on a free loopback port, keeping what it receives.

`SmtpServer` can be stopped and started again on the same port (an outage),
refuse chosen recipients, demand a login, and speak STARTTLS with a
throw-away certificate made by `openssl`.
"""

from __future__ import annotations

import email
import email.policy
import shutil
import ssl
import subprocess
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from shared.settings import Settings, SmtpSecurity
from tests import servers

USERNAME = "signaal"
PASSWORD = "smtp-secret-for-tests"
AUTH_WITHOUT_TLS_WARNING = "ignore:Requiring AUTH while not requiring TLS:UserWarning"


@dataclass
class Received:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage


@dataclass
class Collector:
    """The aiosmtpd handler: stores every accepted mail; refuses recipients in `refuse`."""

    received: list[Received] = field(default_factory=list)
    refuse: dict[str, str] = field(default_factory=dict)  # address -> SMTP reply
    lock: threading.Lock = field(default_factory=threading.Lock)

    # aiosmtpd calls these hooks by name.
    async def handle_RCPT(
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: list[str]
    ) -> str:
        if address in self.refuse:
            return self.refuse[address]
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.received.append(Received(envelope.mail_from, list(envelope.rcpt_tos), message))  # type: ignore[arg-type]
        return "250 Message accepted for delivery"

    def to(self, address: str) -> list[EmailMessage]:
        with self.lock:
            return [r.message for r in self.received if address in r.rcpt_tos]


def _check_login(server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
    ok = (
        isinstance(auth_data, LoginPassword)
        and auth_data.login == USERNAME.encode()
        and auth_data.password == PASSWORD.encode()
    )
    return AuthResult(success=ok, handled=False)


class SmtpServer:
    """aiosmtpd on 127.0.0.1; `stop()` and `start()` simulate an outage on the same port."""

    def __init__(self, *, require_login: bool = False, tls_context: ssl.SSLContext | None = None) -> None:
        self.port = servers.free_port()
        self.handler = Collector()
        self.require_login = require_login
        self.tls_context = tls_context
        self.controller: Controller | None = None

    def start(self) -> SmtpServer:
        kwargs: dict[str, Any] = {}
        if self.require_login:
            # aiosmtpd refuses AUTH before STARTTLS by default; this loopback test server speaks
            # plain SMTP, so it allows AUTH without TLS (auth_require_tls=False) — never do that on a network.
            # aiosmtpd warns about exactly that; tests using it filter AUTH_WITHOUT_TLS_WARNING.
            kwargs.update(authenticator=_check_login, auth_required=True, auth_require_tls=False)
        if self.tls_context is not None:
            kwargs.update(tls_context=self.tls_context, require_starttls=True, auth_require_tls=True)
        self.controller = Controller(self.handler, hostname="127.0.0.1", port=self.port, **kwargs)
        self.controller.start()
        return self

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def received(self) -> list[Received]:
        with self.handler.lock:
            return list(self.handler.received)

    def to(self, address: str) -> list[EmailMessage]:
        return self.handler.to(address)

    def settings(self, **overrides: Any) -> Settings:
        """Settings that send through this server."""
        values: dict[str, Any] = {
            "smtp_host": "127.0.0.1",
            "smtp_port": self.port,
            "smtp_security": SmtpSecurity.none,
            "smtp_from": "Gemeente Voorbeeld <noreply@voorbeeld.example.nl>",
            "smtp_timeout": 5.0,
        }
        values.update(overrides)
        return Settings(**values)


@contextmanager
def running(**options: Any) -> Iterator[SmtpServer]:
    """A started server, stopped afterwards; test modules wrap this in their `smtp_server` fixture."""
    server = SmtpServer(**options).start()
    try:
        yield server
    finally:
        server.stop()


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for 127.0.0.1 (and its key), made with the openssl command."""
    servers.require(
        shutil.which("openssl") is not None, "the openssl command is needed to make a test certificate"
    )
    cert, key = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    subprocess.run(
        [
            "openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
            "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
            "-keyout", str(key), "-out", str(cert),
        ],
        check=True,
        capture_output=True,
        timeout=60,
    )  # fmt: skip
    return cert, key


def server_tls_context(cert: Path, key: Path) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(cert, key)
    return context
