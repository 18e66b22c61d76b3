"""config.example.yaml documents every connector option, and its commented examples are valid."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import yaml
from pydantic import BaseModel

from services.api.intake.config import WebformOptions, WebhookOptions
from services.ingest.connectors import options
from services.ingest.connectors.imap_options import ImapOptions
from services.ingest.connectors.mastodon import MastodonOptions
from shared.config import ConnectorEntry

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
MODELS: dict[str, type[BaseModel]] = {
    "imap": ImapOptions,
    "mastodon": MastodonOptions,
    "webform": WebformOptions,
    "webhook": WebhookOptions,
}
# Documented as alternatives in comments, or refused on purpose (secrets never in the file).
NOT_IN_EXAMPLE = {"password", "token"}


def example_text() -> str:
    return EXAMPLE.read_text(encoding="utf-8")


def commented_entries() -> list[dict[str, object]]:
    """The example connector entries, uncommented (`  # - name:` / `  #   key:` lines)."""
    section = example_text().split("\nconnectors:", 1)[1]
    section = re.split(r"\n[a-z_]+:", section, maxsplit=1)[0]  # up to the next top-level key
    lines = [line[4:] for line in section.splitlines() if re.match(r"^  # (- |  )[a-z_]+:", line)]
    return yaml.safe_load("\n".join(lines))


def test_there_is_an_example_for_every_connector_kind() -> None:
    assert {entry["kind"] for entry in commented_entries()} == set(MODELS)


@pytest.mark.parametrize("kind", sorted(MODELS))
def test_every_option_of_each_kind_is_documented(kind: str) -> None:
    text = example_text()
    missing = [
        name
        for name in MODELS[kind].model_fields
        if name not in NOT_IN_EXAMPLE and not re.search(rf"#\s+(- )?(# )?{name}:", text)
    ]
    assert not missing, f"{kind} options not documented in config.example.yaml: {missing}"


def test_the_commented_examples_validate(monkeypatch: pytest.MonkeyPatch) -> None:
    for index, entry in enumerate(commented_entries()):
        for key, value in entry.items():
            if key.endswith("_env"):
                monkeypatch.setenv(str(value), "an-example-secret-of-enough-length")
        parsed = options(ConnectorEntry.model_validate(entry), MODELS[str(entry["kind"])], index)
        assert parsed.name == entry["name"]
