"""A real Dovecot IMAP server for tests: throwaway config, free loopback port, maildirs in a temp folder.

Needs the Debian package `dovecot-imapd`. Dovecot refuses to run mail processes
as root, so when the tests run as root a system account `signaal-mail` is created
(once, with `useradd --system`) and owns the maildirs; as any other user,
Dovecot runs entirely as that user.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path

from imapclient import IMAPClient

from services.ingest.connectors.imap import ImapConnector
from tests import servers
from tests.processes import wait_until

# Builds an IMAP connector for this server from connector options (tests/integration/conftest.py).
MakeImapConnector = Callable[..., ImapConnector]

DOVECOT = shutil.which("dovecot") or "/usr/sbin/dovecot"
MAIL_ACCOUNT = "signaal-mail"
USER = "klachten@example.nl"
PASSWORD = "test-wachtwoord"
# Messages per APPEND command when loading a mailbox (MULTIAPPEND).
APPEND_CHUNK = 200


def complaint(n: int, *, subject: str = "Klacht", body: str = "Ik wacht nog steeds op antwoord.") -> bytes:
    """A small complaint mail with the unique Message-ID `<klacht-{n}@example.nl>`."""
    return (
        f"From: Burger {n} <burger{n}@example.nl>\r\nTo: klachten@example.nl\r\n"
        f"Subject: {subject} {n}\r\nMessage-ID: <klacht-{n}@example.nl>\r\n"
        f"Date: Mon, 23 Nov 2026 10:00:00 +0100\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
        f"{body} (nummer {n})\r\n"
    ).encode()


def available() -> bool:
    return Path(DOVECOT).is_file() and os.access(DOVECOT, os.X_OK)


def mail_account() -> tuple[int, int, str]:
    """uid, gid and name that mail processes run as; creates the system account when root."""
    if os.geteuid() != 0:
        entry = pwd.getpwuid(os.geteuid())
        return entry.pw_uid, entry.pw_gid, entry.pw_name
    try:
        entry = pwd.getpwnam(MAIL_ACCOUNT)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--shell", "/usr/sbin/nologin", MAIL_ACCOUNT],
            check=True,
            capture_output=True,
        )
        entry = pwd.getpwnam(MAIL_ACCOUNT)
    return entry.pw_uid, entry.pw_gid, entry.pw_name


_CONFIG = """\
protocols = imap
listen = 127.0.0.1
base_dir = {root}/run
state_dir = {root}/state
instance_name = signaal-test-{port}
log_path = {root}/dovecot.log
ssl = {ssl}
disable_plaintext_auth = no
# Tests of wrong passwords should not wait out the brute-force delay.
auth_failure_delay = 0
first_valid_uid = {uid}
first_valid_gid = {gid}
default_login_user = {account}
default_internal_user = {account}
mail_uid = {uid}
mail_gid = {gid}
mail_location = maildir:{root}/mail/%u
auth_mechanisms = {mechanisms}
{oauth2_passdb}passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {root}/users
}}
userdb {{
  driver = static
  args = uid={uid} gid={gid} home={root}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1
    port = {port}
  }}
  inet_listener imaps {{
    address = 127.0.0.1
    port = {tls_port}
    ssl = yes
  }}
}}
service anvil {{
  chroot =
}}
"""
_OAUTH2_PASSDB = """\
passdb {{
  driver = oauth2
  mechanisms = xoauth2 oauthbearer
  args = {root}/oauth2.conf.ext
}}
"""
_OAUTH2 = """\
tokeninfo_url = {url}
username_attribute = username
active_attribute = active
active_value = true
"""


def openssl_available() -> bool:
    return shutil.which("openssl") is not None


def _self_signed_certificate(root: Path) -> None:
    """A certificate for 127.0.0.1 that is its own CA; tests pass it as the connector's ca_file."""
    subprocess.run(
        ["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2",
         "-subj", "/CN=127.0.0.1", "-addext", "subjectAltName=IP:127.0.0.1",
         "-keyout", str(root / "key.pem"), "-out", str(root / "cert.pem")],
        check=True,
        capture_output=True,
    )  # fmt: skip


class Dovecot:
    """One Dovecot instance; `stop()` and `start()` may be called mid-test (same port, same mail)."""

    host = "127.0.0.1"

    def __init__(
        self,
        root: Path,
        *,
        users: dict[str, str] | None = None,
        extra_config: str = "",
        oauth2_tokeninfo_url: str | None = None,
        tls: bool = False,
    ) -> None:
        self.root = root
        self.port = servers.free_port()
        # Implicit TLS (like port 993) when asked for; STARTTLS on `port` then works too.
        self.tls_port = servers.free_port() if tls else 0
        self.ca_file = root / "cert.pem" if tls else None
        self.users = users or {USER: PASSWORD}
        self.process: subprocess.Popen[bytes] | None = None
        uid, gid, account = mail_account()
        for folder in ("run", "state", "mail"):
            (root / folder).mkdir(exist_ok=True)
        # Mail processes run as the mail account: it must own the maildirs and reach the root.
        os.chown(root / "mail", uid, gid)
        root.chmod(0o755)
        (root / "users").write_text("".join(f"{name}:{pw}\n" for name, pw in self.users.items()))
        self.config = root / "dovecot.conf"
        mechanisms, oauth2_passdb = "plain login", ""
        if oauth2_tokeninfo_url:
            # XOAUTH2 as Microsoft 365 and Gmail use it: Dovecot checks each bearer token at this URL.
            mechanisms += " xoauth2 oauthbearer"
            oauth2_passdb = _OAUTH2_PASSDB.format(root=root)
            (root / "oauth2.conf.ext").write_text(_OAUTH2.format(url=oauth2_tokeninfo_url))
        ssl = "no"
        if tls:
            _self_signed_certificate(root)
            ssl = f"yes\nssl_cert = <{root}/cert.pem\nssl_key = <{root}/key.pem"
        config = _CONFIG.format(
            ssl=ssl,
            tls_port=self.tls_port,
            root=root,
            port=self.port,
            uid=uid,
            gid=gid,
            account=account,
            mechanisms=mechanisms,
            oauth2_passdb=oauth2_passdb,
        )
        self.config.write_text(config + extra_config)

    def start(self) -> None:
        assert self.process is None, "Dovecot is already running"
        self.process = subprocess.Popen(
            [DOVECOT, "-F", "-c", str(self.config)],
            stdout=subprocess.DEVNULL,
            stderr=(self.root / "dovecot.stderr").open("ab"),
            start_new_session=True,
        )
        wait_until(self._answers, timeout=20, interval=0.05, what=f"Dovecot on {self.host}:{self.port}")

    def stop(self) -> None:
        if self.process is None:
            return
        if self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()
        self.process = None
        wait_until(lambda: not self._answers(), timeout=10, interval=0.05, what="Dovecot to stop listening")

    def _answers(self) -> bool:
        if self.process is not None and self.process.poll() is not None:
            raise AssertionError(f"Dovecot exited with {self.process.returncode}; see {self.log()}")
        try:
            with socket.create_connection((self.host, self.port), timeout=1) as sock:
                return sock.recv(4).startswith(b"* OK")
        except OSError:
            return False

    def log(self) -> str:
        parts = [self.root / "dovecot.log", self.root / "dovecot.stderr"]
        return "\n".join(p.read_text(errors="replace") for p in parts if p.exists())

    def client(self, user: str = USER) -> IMAPClient:
        """A logged-in client for test set-up (the caller logs out)."""
        client = IMAPClient(self.host, self.port, ssl=False, timeout=30)
        client.login(user, self.users[user])
        return client

    def append(self, messages: Iterable[bytes], folder: str = "INBOX", user: str = USER) -> None:
        """Deliver messages into a folder (created if missing), in order."""
        client = self.client(user)
        try:
            if not client.folder_exists(folder):
                client.create_folder(folder)
            chunk: list[bytes] = []
            for raw in messages:
                chunk.append(raw)
                if len(chunk) == APPEND_CHUNK:
                    client.multiappend(folder, chunk)
                    chunk = []
            if chunk:
                client.multiappend(folder, chunk)
        finally:
            client.logout()

    def connector_options(self, **overrides: object) -> dict[str, object]:
        """A connector entry (as in the YAML) for this server's test mailbox."""
        entry: dict[str, object] = {
            "name": "mailbox-test",
            "kind": "imap",
            "host": self.host,
            "port": self.port,
            "security": "plain",
            "allow_plain": True,
            "username": USER,
            "password_env": "SIGNAAL_TEST_IMAP_PASSWORD",
            "timeout": 10,
            "poll_interval": 5,
        }
        entry.update(overrides)
        return entry


@contextmanager
def running(
    *, extra_config: str = "", oauth2_tokeninfo_url: str | None = None, tls: bool = False
) -> Iterator[Dovecot]:
    """A started Dovecot with one mailbox (USER / PASSWORD), removed afterwards; skips when not installed."""
    servers.require(available(), f"Dovecot not installed ({DOVECOT}); apt-get install dovecot-imapd")
    # Not pytest's tmp_path: its parents are private to the test user and the mail account must reach it.
    root = Path(tempfile.mkdtemp(prefix="signaal-dovecot-"))
    if tls:
        servers.require(openssl_available(), "openssl not installed; it makes the test certificate")
    server = Dovecot(root, extra_config=extra_config, oauth2_tokeninfo_url=oauth2_tokeninfo_url, tls=tls)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(root, ignore_errors=True)


def flags(server: Dovecot, folder: str = "INBOX") -> list[tuple[bytes, ...]]:
    """The IMAP flags of every message in `folder`, read without changing them."""
    client = server.client()
    try:
        client.select_folder(folder, readonly=True)
        return [f[b"FLAGS"] for f in client.fetch(client.search(), ["FLAGS"]).values()]
    finally:
        client.logout()


def folder_size(server: Dovecot, folder: str) -> int:
    """How many messages `folder` holds."""
    client = server.client()
    try:
        return int(client.folder_status(folder, [b"MESSAGES"])[b"MESSAGES"])
    finally:
        client.logout()
