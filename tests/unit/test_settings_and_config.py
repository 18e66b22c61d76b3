"""Invalid settings and configuration stop start-up with the field and the file named."""

from __future__ import annotations

from pathlib import Path

import pytest

from services.ingest import connectors
from shared.config import OrganisationConfig, load_config
from shared.exceptions import ConfigError
from shared.settings import DEFAULT_SECRET, load_settings

ROOT = Path(__file__).resolve().parents[2]


def test_the_example_configuration_is_valid() -> None:
    config = load_config(ROOT / "config.example.yaml")
    assert {d.name for d in config.departments} >= {"Frontoffice", "Afval"}


def test_a_bad_handler_email_names_the_field_and_the_file(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("handlers:\n  - name: X\n    email: not-an-address\n    departments: [A]\n")
    with pytest.raises(ConfigError) as error:
        load_config(path)
    assert str(path) in str(error.value)
    assert "handlers[0].email" in str(error.value)


def test_an_unknown_key_is_an_error_not_ignored(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("departements: []\n")
    with pytest.raises(ConfigError, match="departements"):
        load_config(path)


def test_a_missing_config_file_says_which_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="file not found"):
        load_config(tmp_path / "absent.yaml")


def test_broken_yaml_is_reported_with_the_file(tmp_path: Path) -> None:
    path = tmp_path / "org.yaml"
    path.write_text("departments: [\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(path)


def test_an_unknown_connector_kind_names_the_entry() -> None:
    config = OrganisationConfig.model_validate({"connectors": [{"name": "x", "kind": "fax"}]})
    with pytest.raises(ConfigError, match=r"connectors\[0\]\.kind: unknown connector kind 'fax'"):
        connectors.build_all(config)


def test_duplicate_connector_names_are_refused() -> None:
    with pytest.raises(ValueError, match="repeated: a"):
        OrganisationConfig.model_validate(
            {"connectors": [{"name": "a", "kind": "fake"}, {"name": "a", "kind": "fake"}]}
        )


def test_the_default_secret_refuses_to_start_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_ENV", "production")
    monkeypatch.delenv("SIGNAAL_SECRET_KEY", raising=False)
    with pytest.raises(ConfigError, match="SIGNAAL_SECRET_KEY"):
        load_settings()


def test_the_default_secret_is_allowed_in_development(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_ENV", "development")
    assert load_settings().secret_key == DEFAULT_SECRET


def test_an_invalid_setting_names_its_environment_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SIGNAAL_PORT", "eighty")
    with pytest.raises(ConfigError, match="SIGNAAL_PORT"):
        load_settings()
