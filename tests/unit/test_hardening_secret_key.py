"""The public default secret never guards a server others can reach (issue 18, finding 2)."""

from __future__ import annotations

import re
import stat
from pathlib import Path

import pytest

from shared import installkey
from shared.exceptions import ConfigError
from shared.settings import DEFAULT_SECRET, Settings, is_loopback, load_settings

ROOT = Path(__file__).resolve().parents[2]


def _dockerfile_env() -> dict[str, str]:
    """The ENV the image sets, read from the Dockerfile (Docker cannot run here)."""
    text = (ROOT / "Dockerfile").read_text().replace("\\\n", " ")
    env: dict[str, str] = {}
    for line in text.splitlines():
        if line.startswith("ENV "):
            env.update(dict(re.findall(r"(\w+)=(\S+)", line)))
    return env


@pytest.mark.parametrize("host", ["0.0.0.0", "::", "192.0.2.7", "signaal.example.nl"])
def test_the_default_secret_is_refused_on_a_reachable_host_even_in_development(
    monkeypatch: pytest.MonkeyPatch, host: str
) -> None:
    monkeypatch.setenv("SIGNAAL_ENV", "development")
    monkeypatch.setenv("SIGNAAL_HOST", host)
    monkeypatch.delenv("SIGNAAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SIGNAAL_SECRET_KEY"):
        load_settings()


@pytest.mark.parametrize("host", ["127.0.0.1", "127.0.1.1", "localhost", "::1", "[::1]"])
def test_loopback_hosts_count_as_loopback(host: str) -> None:
    assert is_loopback(host)


def test_a_configured_secret_may_serve_every_interface(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_HOST", "0.0.0.0")
    monkeypatch.setenv("SIGNAAL_SECRET_KEY", "k" * 48)
    assert load_settings().host == "0.0.0.0"


def test_the_image_is_production_and_refuses_to_start_without_a_secret(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    env = _dockerfile_env()
    assert env["SIGNAAL_ENV"] == "production"
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    monkeypatch.delenv("SIGNAAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SIGNAAL_SECRET_KEY"):
        load_settings()


def test_a_development_start_gets_a_key_of_its_own_kept_private(tmp_path: Path) -> None:
    path = tmp_path / "var" / "secret-key"
    settings = installkey.with_install_key(Settings(), path=path)
    assert settings.secret_key != DEFAULT_SECRET
    assert len(settings.secret_key) >= 32
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_the_install_key_survives_a_restart_and_differs_per_installation(tmp_path: Path) -> None:
    first = installkey.with_install_key(Settings(), path=tmp_path / "a" / "secret-key").secret_key
    again = installkey.with_install_key(Settings(), path=tmp_path / "a" / "secret-key").secret_key
    other = installkey.with_install_key(Settings(), path=tmp_path / "b" / "secret-key").secret_key
    assert first == again
    assert first != other


def test_a_configured_key_is_kept_and_no_file_is_made(tmp_path: Path) -> None:
    path = tmp_path / "secret-key"
    settings = installkey.with_install_key(Settings(secret_key="c" * 40), path=path)
    assert settings.secret_key == "c" * 40
    assert not path.exists()


def test_a_truncated_key_file_stops_start_up_with_a_clear_message(tmp_path: Path) -> None:
    path = tmp_path / "secret-key"
    path.write_text("short\n")
    with pytest.raises(ConfigError, match="no usable secret key"):
        installkey.with_install_key(Settings(), path=path)
