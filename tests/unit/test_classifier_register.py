"""The algorithm register entry is written from the manifest, in Dutch, with the independent figures."""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from services.classifier import register
from services.cli import app

NUMBERS = {"n": 282, "positives": 132, "precision": 0.871, "recall": 0.962, "ap": 0.95, "p_at_r95": 0.88}
MANIFEST = {
    "version": "signaal-complaints-test",
    "created": "2026-12-05T12:00:00+00:00",
    "encoder": {"id": "multilingual-e5-small", "layers": [1, 2, 3, 4]},
    "training": {"rows": 7000, "positives": 3100},
    "operating_points": {
        "nl": {"threshold": 0.3121, "high_threshold": 0.71, "n": 188, "recall_target": 0.95},
    },
    "metrics": {
        "independent_test": {
            "all": NUMBERS,
            "language": {"nl": NUMBERS, "en": {**NUMBERS, "n": 84, "precision": None}},
            "channel": {"social": {**NUMBERS, "n": 75}},
        }
    },
}


def test_the_entry_states_version_purpose_control_and_per_language_figures() -> None:
    text = register.entry(MANIFEST, organisation="Gemeente Voorbeeld")
    assert "signaal-complaints-test" in text and "Gemeente Voorbeeld" in text
    assert "## Menselijke tussenkomst" in text and "## Risico's en bekende beperkingen" in text
    assert "| Nederlands | 282 | 132 | 0.87 | 0.96 | 0.95 | 0.88 |" in text
    assert "| Engels | 84 | 132 | – |" in text
    assert "| sociale media | 75 |" in text
    assert "Nederlands: drempel 0.312, *hoog* vanaf 0.710" in text
    assert "kalibratiedeel" in text


def test_an_unmeasured_model_says_so_instead_of_showing_figures() -> None:
    manifest = {**MANIFEST, "metrics": {}, "operating_points": {}}
    text = register.entry(manifest)
    assert "niet gemeten op de onafhankelijke set" in text
    assert register.PLACEHOLDER in text


def test_the_command_writes_the_entry_of_the_shipped_model(tmp_path: Path) -> None:
    target = tmp_path / "entry.md"
    result = CliRunner().invoke(app, ["model", "register-entry", "--out", str(target)])
    assert result.exit_code == 0, result.output
    assert target.read_text(encoding="utf-8").startswith("# Algoritmeregister")
