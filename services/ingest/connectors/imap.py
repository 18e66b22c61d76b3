"""IMAP mailboxes: new mail by UID, stored exactly once, then left, marked seen or moved (never deleted).

One connection per mailbox, kept between polls. Where the server offers IDLE the
connector waits on the first folder with IDLE (the runner calls `wait_for_news`
between polls); every folder is still polled at least every `poll_interval`.
The folder work itself is in `imap_sync`.
"""

from __future__ import annotations

import os
import shlex
import socket
import ssl
import subprocess
import threading
import time

import structlog
from imapclient import IMAPClient
from imapclient.exceptions import CapabilityError, IMAPClientAbortError, IMAPClientError, LoginError
from imapclient.imapclient import SocketTimeout

from services.ingest.connectors import imap_sync
from services.ingest.connectors.base import ConnectorFailure
from services.ingest.connectors.imap_options import ImapOptions, TokenProvider, load_token_provider
from services.ingest.sink import Sink
from shared.config import ConnectorEntry
from shared.exceptions import ConfigError

log = structlog.get_logger(__name__)

# Servers may drop an IDLE after 30 minutes (RFC 2177 says re-issue within 29); we renew far sooner.
IDLE_RENEW_SECONDS = 600.0
# How often a waiting IDLE looks at the stop event.
STOP_CHECK_SECONDS = 1.0
# Pause after a broken IDLE before the next poll reconnects, so a flaky server is not hammered.
IDLE_RETRY_SECONDS = 2.0


def build(entry: ConnectorEntry, index: int) -> ImapConnector:
    """The registry's builder for kind `imap`."""
    from services.ingest.connectors import options  # the registry imports this module

    settings = options(entry, ImapOptions, index)
    provider = None
    if settings.token_provider:
        try:
            provider = load_token_provider(settings.token_provider)
        except (ImportError, AttributeError, TypeError) as exc:
            problem = f"cannot load {settings.token_provider!r} ({exc}); give 'package.module:function'"
            raise ConfigError.invalid([(f"connectors[{index}].token_provider", problem)]) from None
    connector = ImapConnector(settings, token_provider=provider)
    connector.acknowledge = entry.acknowledge
    return connector


class ImapConnector:
    kind = "imap"

    def __init__(self, settings: ImapOptions, *, token_provider: TokenProvider | None = None) -> None:
        self.name = settings.name
        self.settings = settings
        self.poll_interval = settings.poll_interval
        self.acknowledge = False  # receipts to new senders: the entry's `acknowledge`, set by build()
        # Set by `signaal ingest --once` to show progress through a large mailbox: (done, total).
        self.on_progress: imap_sync.Progress | None = None
        # Called between each batch's commit and its \\Seen/MOVE; a test cuts the connection there.
        self.before_acknowledge: imap_sync.BeforeAcknowledge | None = None
        self._token_provider = token_provider
        self._client: IMAPClient | None = None
        self._uidnext: dict[str, int | None] = {}
        self._policy = imap_sync.FolderPolicy(
            source=settings.name,
            batch_size=settings.batch_size,
            max_message_bytes=settings.max_message_bytes,
            attachment_cap=settings.attachment_cap,
            after_store=settings.after_store,
            move_to=settings.move_to,
        )

    @property
    def address(self) -> str:
        return f"{self.settings.host}:{self.settings.port}"

    def poll(self, sink: Sink) -> int:
        client = self._connected()
        stored = 0
        folder_errors: list[str] = []
        try:
            for folder in self.settings.folders:
                try:
                    result = imap_sync.sync_folder(
                        client,
                        sink,
                        folder,
                        self._policy,
                        progress=self.on_progress,
                        before_acknowledge=self.before_acknowledge,
                    )
                except IMAPClientAbortError:
                    raise
                except IMAPClientError as exc:
                    # A folder the server refuses (missing, no rights) must not stop the others.
                    folder_errors.append(f"folder {folder!r}: the server refused: {_server_text(exc)}")
                    continue
                stored += result.stored
                self._uidnext[folder] = result.uidnext
                if result.truncated or result.quarantined:
                    log.warning("imap messages need attention", connector=self.name, folder=folder,
                                truncated=result.truncated, quarantined=result.quarantined)  # fmt: skip
        except (IMAPClientAbortError, OSError) as exc:
            self._drop()
            raise ConnectorFailure(self._describe(exc)) from None
        except BaseException:
            self._drop()  # the session is in an unknown state; start clean next time
            raise
        if folder_errors:
            raise ConnectorFailure(
                f"mailbox {self.settings.username} at {self.address}: " + "; ".join(folder_errors)
            )
        return stored

    def wait_for_news(self, stop: threading.Event, timeout: float) -> None:
        """Wait with IDLE on the first folder until new mail, `stop`, or `timeout`; never raises."""
        client = self._client
        if not self.settings.idle or client is None or not client.has_capability("IDLE"):
            stop.wait(timeout)
            return
        folder = self.settings.folders[0]
        try:
            info = client.select_folder(folder, readonly=True)
            if self._uidnext.get(folder) is not None and info.get(b"UIDNEXT") != self._uidnext[folder]:
                return  # mail arrived since the poll looked: poll again at once
            self._idle(client, stop, min(timeout, IDLE_RENEW_SECONDS))
        except Exception as exc:
            log.info("imap idle interrupted; reconnecting on the next poll", connector=self.name,
                     reason=self._describe(exc))  # fmt: skip
            self._drop()
            stop.wait(min(timeout, IDLE_RETRY_SECONDS))

    def _idle(self, client: IMAPClient, stop: threading.Event, duration: float) -> None:
        deadline = time.monotonic() + duration
        client.idle()
        # On an error the session is dropped without DONE: it would only wait out the read timeout.
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0 or self._buffered(client):
                break
            wait = min(STOP_CHECK_SECONDS, remaining)
            started = time.monotonic()
            responses = client.idle_check(timeout=wait)
            if any(len(r) > 1 and r[1] == b"EXISTS" for r in responses):
                break
            if any(r and r[0] == b"BYE" for r in responses):
                raise ConnectionError("the server ended the session")
            # idle_check answers at once with nothing when the connection has closed.
            if not responses and time.monotonic() - started < wait / 2:
                raise ConnectionError("the connection closed during IDLE")
        client.idle_done()

    def _buffered(self, client: IMAPClient) -> bool:
        """Whether responses already wait in imaplib's read buffer, where idle_check cannot see them.

        A server that has news when IDLE starts sends it with the "+ idling" line; imaplib
        reads both into its buffer, and idle_check, which polls the socket, would sleep on it.
        """
        peek = getattr(getattr(client._imap, "file", None), "peek", None)
        if peek is None:
            return False
        sock = client.socket()
        sock.setblocking(False)  # look at the buffer only; never wait on the socket here
        try:
            return bool(peek(1))
        except OSError:
            return False
        finally:
            sock.settimeout(self.settings.timeout)

    def close(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            try:
                client.logout()
            except Exception:
                _shutdown(client)

    # Connecting

    def _connected(self) -> IMAPClient:
        if self._client is not None:
            try:
                self._client.noop()  # the server may have closed an idle connection since the last poll
                return self._client
            except Exception:
                self._drop()
        self._client = self._connect()
        return self._client

    def _connect(self) -> IMAPClient:
        settings = self.settings
        timeout = SocketTimeout(connect=settings.timeout, read=settings.timeout)
        try:
            if settings.security == "tls":
                client = IMAPClient(
                    settings.host, settings.port, ssl=True, ssl_context=self._tls(), timeout=timeout
                )
            else:
                client = IMAPClient(settings.host, settings.port, ssl=False, timeout=timeout)
        except (OSError, IMAPClientError) as exc:
            raise ConnectorFailure(self._describe(exc)) from None
        try:
            if settings.security == "starttls":
                try:
                    client.starttls(self._tls())
                except CapabilityError:
                    raise ConnectorFailure(
                        f"IMAP server {self.address} does not offer STARTTLS: use security: tls "
                        "(usually port 993), or plain with allow_plain on a trusted network"
                    ) from None
            client.normalise_times = False  # keep INTERNALDATE's time zone
            self._login(client)
            self._prepare(client)
        except ConnectorFailure:
            _shutdown(client)
            raise
        except (OSError, IMAPClientError) as exc:
            _shutdown(client)
            raise ConnectorFailure(self._describe(exc)) from None
        log.info("imap connected", connector=self.name, server=self.address)
        return client

    def _tls(self) -> ssl.SSLContext:
        cafile = str(self.settings.ca_file) if self.settings.ca_file else None
        return ssl.create_default_context(cafile=cafile)

    def _login(self, client: IMAPClient) -> None:
        settings = self.settings
        token = self._token() if (settings.token_provider or settings.token_command) else None
        secret = token if token is not None else self._password()
        try:
            if token is not None:
                client.oauth2_login(settings.username, token)
            else:
                client.login(settings.username, secret)
        except LoginError as exc:
            what = "token" if token is not None else "password"
            raise ConnectorFailure(
                f"login refused for user {settings.username} at {self.address}: check the {what} "
                f"({self._credential_source()}); server said: {_server_text(exc)}",
                auth=True,
            ) from None

    def _prepare(self, client: IMAPClient) -> None:
        settings = self.settings
        if settings.after_store != "move" or settings.move_to is None:
            return
        if not client.folder_exists(settings.move_to):
            client.create_folder(settings.move_to)
            log.info("imap folder created for stored mail", connector=self.name, folder=settings.move_to)
        can_move = client.has_capability("MOVE")
        if can_move != self._policy.can_move:
            self._policy = imap_sync.FolderPolicy(**{**self._policy.__dict__, "can_move": can_move})

    def _credential_source(self) -> str:
        settings = self.settings
        if settings.password_env:
            return f"environment variable {settings.password_env}"
        if settings.password_file:
            return f"file {settings.password_file}"
        if settings.token_provider:
            return f"token provider {settings.token_provider}"
        return "token command"

    def _password(self) -> str:
        settings = self.settings
        if settings.password_env:
            value = os.environ.get(settings.password_env)
            if not value:
                raise ConnectorFailure(
                    f"no password for user {settings.username}: environment variable "
                    f"{settings.password_env} is not set",
                    auth=True,
                )
            return value
        assert settings.password_file is not None
        try:
            value = settings.password_file.read_text(encoding="utf-8").strip()
        except OSError as exc:
            raise ConnectorFailure(
                f"no password for user {settings.username}: cannot read {settings.password_file} "
                f"({exc.strerror or exc})",
                auth=True,
            ) from None
        if not value:
            raise ConnectorFailure(
                f"no password for user {settings.username}: {settings.password_file} is empty", auth=True
            )
        return value

    def _token(self) -> str:
        settings = self.settings
        try:
            if self._token_provider is not None:
                token = self._token_provider(settings.username)
            else:
                assert settings.token_command is not None
                done = subprocess.run(
                    shlex.split(settings.token_command),
                    capture_output=True,
                    text=True,
                    timeout=settings.timeout,
                    check=False,
                )
                if done.returncode != 0:
                    last = (done.stderr.strip().splitlines() or [""])[-1][:200]
                    raise ConnectorFailure(
                        f"no token for user {settings.username}: the token command exited with "
                        f"{done.returncode}: {last}",
                        auth=True,
                    )
                token = done.stdout.strip()
        except ConnectorFailure:
            raise
        except Exception as exc:
            raise ConnectorFailure(
                f"no token for user {settings.username}: {self._credential_source()} failed "
                f"({type(exc).__name__})",
                auth=True,
            ) from None
        if not isinstance(token, str) or not token:
            raise ConnectorFailure(
                f"no token for user {settings.username}: {self._credential_source()} returned nothing",
                auth=True,
            )
        return token

    def _drop(self) -> None:
        client, self._client = self._client, None
        if client is not None:
            _shutdown(client)

    def _describe(self, exc: BaseException) -> str:
        """An ops-readable reason naming the server; never the secret."""
        where = self.address
        if isinstance(exc, ConnectorFailure):
            return exc.reason
        if isinstance(exc, ConnectionRefusedError):
            return (
                f"cannot connect to IMAP server {where}: connection refused "
                "(is it running; are host and port right?)"
            )
        if isinstance(exc, socket.gaierror):
            return f"cannot find IMAP server {self.settings.host}: {exc.strerror} (check host)"
        if isinstance(exc, TimeoutError):
            return f"IMAP server {where} did not answer within {self.settings.timeout:g}s"
        if isinstance(exc, ssl.SSLCertVerificationError):
            return (
                f"TLS certificate of {where} not trusted: {exc.verify_message} (set ca_file for a private CA)"
            )
        if isinstance(exc, ssl.SSLError):
            return (
                f"TLS with {where} failed ({exc.reason}): check security "
                "(tls is usually port 993, starttls port 143)"
            )
        if isinstance(exc, CapabilityError):
            return f"IMAP server {where} lacks a needed capability: {_server_text(exc)}"
        if isinstance(exc, IMAPClientAbortError | ConnectionError | EOFError):
            return f"connection to IMAP server {where} lost: {_server_text(exc)}"
        if isinstance(exc, OSError):
            return f"cannot reach IMAP server {where}: {exc.strerror or exc}"
        return f"IMAP server {where}: {_server_text(exc)}"


def _server_text(exc: BaseException) -> str:
    """The server's words from an imapclient error, without Python's bytes notation."""
    if isinstance(exc, OSError) and exc.strerror:
        return exc.strerror  # "Connection reset by peer", not the bare errno
    text = str(exc.args[0]) if exc.args else ""
    if exc.args and isinstance(exc.args[0], bytes):
        text = exc.args[0].decode("utf-8", "replace")
    elif text[:2] in {"b'", 'b"'} and text[-1:] in {"'", '"'}:
        text = text[2:-1]
    return (text.strip() or type(exc).__name__)[:300]


def _shutdown(client: IMAPClient) -> None:
    try:
        client.shutdown()
    except Exception as exc:  # already closed; nothing left to release
        log.debug("imap shutdown after failure", error=type(exc).__name__)


__all__ = ["ImapConnector", "ImapOptions", "build", "load_token_provider"]
