"""`make run` on a fresh copy of the repository serves /readyz 200 and a non-empty demo queue.

The copy gets its own virtual environment that sees this one's installed
packages (a .pth file), so `make` really runs its install step — for Signaal
itself — without downloading every dependency again.
"""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import sysconfig
from pathlib import Path

import httpx
import pytest

from tests import processes
from tests.servers import free_port

pytestmark = [pytest.mark.slow, pytest.mark.needs_model]


def fresh_copy(destination: Path) -> Path:
    """The files git would commit (tracked and untracked-not-ignored), nothing else."""
    listed = (
        subprocess.run(
            ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
            cwd=processes.ROOT,
            capture_output=True,
            check=True,
        )
        .stdout.decode()
        .split("\0")
    )
    for name in filter(None, listed):
        source = processes.ROOT / name
        if source.is_file():
            target = destination / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return destination


def overlay_venv(path: Path) -> Path:
    subprocess.run([sys.executable, "-m", "venv", str(path)], check=True)
    site = next(path.glob("lib/python*/site-packages"))
    (site / "_signaal_test_overlay.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    return path


def test_make_run_serves_ready_and_a_demo_queue(tmp_path: Path) -> None:
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    repo = fresh_copy(tmp_path / "signaal")
    venv = overlay_venv(tmp_path / "venv")
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("SIGNAAL_")}
    env.update({"SIGNAAL_PORT": str(port), "VENV": str(venv), "SIGNAAL_LOG_FORMAT": "json"})
    log = tmp_path / "make-run.log"
    make = processes.start(["make", "run", f"VENV={venv}"], env, log, cwd=repo)
    base = f"http://127.0.0.1:{port}"

    def ready() -> bool:
        try:
            return httpx.get(f"{base}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False

    try:
        processes.wait_until(ready, timeout=300, interval=1, what=f"/readyz (log: {log})")
        output = log.read_text()
        assert f"{base}/login" in output or "/login" in output
        username, password = (repo / "var" / "demo-login.txt").read_text().split()
        assert f"password: {password}" in output  # make run prints where to log in

        with httpx.Client(base_url=base, timeout=10) as client:
            page = client.get("/login").text
            token = page.split('name="csrf_token" value="')[1].split('"')[0]
            client.post("/login", data={"username": username, "password": password, "csrf_token": token})
            listing = client.get("/api/v1/signals").json()
        assert listing["total"] > 0
        assert all(item["department"] for item in listing["items"])
        # The demo organisation's rules and handlers route for real: not everything waits.
        assert len({item["department"] for item in listing["items"]}) > 1
        assert any(item["handler"] for item in listing["items"])
    finally:
        code = processes.stop(make, timeout=60)
    # make itself dies of the SIGTERM sent to the group; Signaal must have stopped cleanly.
    assert code in (0, -signal.SIGTERM), log.read_text()[-3000:]
    output = log.read_text()
    assert output.count('"worker stopped"') == 2 and "Application shutdown complete" in output
