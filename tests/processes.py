"""Running `signaal` as real processes, and waiting on conditions with a deadline."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx

ROOT = Path(__file__).resolve().parents[1]
SIGNAAL = str(Path(sys.executable).with_name("signaal"))


def signaal_env(database_url: str, **settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAAL_")}
    env.update(
        {"SIGNAAL_DATABASE_URL": database_url, "SIGNAAL_LOG_FORMAT": "json", "SIGNAAL_DB_WAIT_SECONDS": "20"}
    )
    env.update({f"SIGNAAL_{k.upper()}": v for k, v in settings.items()})
    return env


def start(args: list[str], env: dict[str, str], log: Path, cwd: Path = ROOT) -> subprocess.Popen[bytes]:
    """Start a process in its own session (so it can be signalled as a group), output to `log`."""
    with log.open("ab") as out:
        return subprocess.Popen(
            args, env=env, cwd=cwd, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )


def run(args: list[str], env: dict[str, str], timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(args, env=env, cwd=ROOT, capture_output=True, text=True, timeout=timeout)


def wait_until(
    condition: Callable[[], bool], *, timeout: float, interval: float = 0.2, what: str = "condition"
) -> None:
    """Poll `condition` until true; fail with `what` when `timeout` seconds pass."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(interval)
    raise AssertionError(f"timed out after {timeout:.0f}s waiting for {what}")


def stop(process: subprocess.Popen[bytes], *, timeout: float = 60) -> int:
    """SIGTERM the process group and wait; kill it if it does not stop in time."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
    try:
        return process.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()
        raise


@contextmanager
def serving_api(database_url: str, port: int, log: Path, **settings: str) -> Iterator[str]:
    """`signaal api` on 127.0.0.1:`port` until the block ends; yields its base URL once it is ready."""
    env = signaal_env(database_url, port=str(port), host="127.0.0.1", **settings)
    process = start([SIGNAAL, "api"], env, log)
    base_url = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base_url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return process.poll() is not None  # died: stop waiting and fail below

    try:
        wait_until(ready, timeout=60, what=f"signaal api on {base_url} (log: {log})")
        assert process.poll() is None, log.read_text()[-3000:]
        yield base_url
    finally:
        stop(process, timeout=30)
