"""config.example.yaml documents every department, handler, rule and routing option, and loads."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from pydantic import BaseModel

from shared import config

EXAMPLE = Path(__file__).resolve().parents[2] / "config.example.yaml"
MODELS: list[type[BaseModel]] = [
    config.Department,
    config.Handler,
    config.Absence,
    config.Rule,
    config.Routing,
]


@pytest.mark.parametrize("model", MODELS, ids=lambda m: m.__name__)
def test_every_routing_option_is_documented(model: type[BaseModel]) -> None:
    text = EXAMPLE.read_text(encoding="utf-8")
    missing = [name for name in model.model_fields if not re.search(rf"(^|[\s{{,#-]){name}:", text, re.M)]
    assert not missing, f"{model.__name__} options not documented in config.example.yaml: {missing}"


def test_the_example_configuration_loads() -> None:
    loaded = config.load_config(EXAMPLE)
    assert [r.name for r in loaded.rules] == ["afval-trefwoorden", "parkeren-naheffing"]
