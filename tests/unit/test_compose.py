"""compose.yaml runs real `signaal` subcommands with settings Signaal knows (Docker cannot run here)."""

from __future__ import annotations

from pathlib import Path

import pytest
import typer.main
import yaml

from services.cli import app
from shared.settings import Settings

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = yaml.safe_load((ROOT / "compose.yaml").read_text())
SIGNAAL_SERVICES = {
    name: s for name, s in COMPOSE["services"].items() if s.get("image", "").startswith("signaal")
}
KNOWN_SETTINGS = {f"SIGNAAL_{name.upper()}" for name in Settings.model_fields}


def test_compose_has_the_designed_services() -> None:
    assert set(COMPOSE["services"]) == {"postgres", "migrate", "api", "ingest", "classifier", "router"}
    assert "healthcheck" in COMPOSE["services"]["postgres"]


def test_every_service_waits_for_migrations() -> None:
    for name, service in SIGNAAL_SERVICES.items():
        if name != "migrate":
            assert service["depends_on"]["migrate"]["condition"] == "service_completed_successfully", name


@pytest.mark.parametrize("name", sorted(SIGNAAL_SERVICES))
def test_each_command_is_a_real_signaal_subcommand(name: str) -> None:
    program, *args = SIGNAAL_SERVICES[name]["command"]
    assert program == "signaal"
    command = typer.main.get_command(app)
    for arg in args:
        subcommands = getattr(command, "commands", None)
        assert subcommands is not None, f"{name}: {arg!r} given to a command with no subcommands"
        assert arg in subcommands, f"{name}: `signaal {' '.join(args)}` is not a command"
        command = subcommands[arg]
    assert not getattr(command, "commands", None), f"{name}: `signaal {' '.join(args)}` needs a subcommand"


@pytest.mark.parametrize("name", sorted(SIGNAAL_SERVICES))
def test_each_environment_variable_is_a_known_setting(name: str) -> None:
    unknown = set(SIGNAAL_SERVICES[name]["environment"]) - KNOWN_SETTINGS
    assert not unknown, f"{name} sets unknown settings: {sorted(unknown)}"
