"""Model folders: saved and loaded without pickle, validated on load, refused when damaged."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from services.classifier import artefact, registry
from services.classifier.exceptions import ModelArtefactError
from services.classifier.model import Classifier
from shared.settings import Settings

SHIPPED = registry.resolve(Settings().model_dir)
TEXTS = ["Nog steeds geen reactie op mijn klacht, belachelijk.", "Wat zijn de openingstijden?"]


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    target = tmp_path / "model"
    shutil.copytree(SHIPPED, target)
    return target


def test_the_shipped_model_folder_has_a_manifest_with_checksums_and_metrics() -> None:
    manifest = json.loads((SHIPPED / "manifest.json").read_text(encoding="utf-8"))
    assert set(manifest["files"]) == {"head.npz", "encoder.onnx", "tokenizer.json"}
    assert 0 < manifest["threshold"] < manifest["high_threshold"] < 1
    assert manifest["metrics"]["heldout"]["recall"] >= 0.95
    assert (SHIPPED / "MODEL_CARD.md").exists()


@pytest.mark.needs_model
def test_save_and_load_round_trip_without_pickle(copy: Path, tmp_path: Path) -> None:
    original = artefact.load(copy)
    with np.load(copy / "head.npz", allow_pickle=False) as data:  # raises if anything needs pickle
        assert set(data.files) == set(artefact.HEAD_ARRAYS)
    again = tmp_path / "again"
    again.mkdir()
    for name in ("encoder.onnx", "tokenizer.json"):
        shutil.copyfile(copy / name, again / name)
    manifest = {k: v for k, v in original.manifest.items() if k not in ("files", "format")}
    manifest["extra_files"] = ["encoder.onnx", "tokenizer.json"]
    saved = artefact.save(again, manifest, original.arrays)
    assert saved.manifest["files"] == original.manifest["files"]
    before = Classifier(original).score(TEXTS)
    after = Classifier(saved).score(TEXTS)
    assert [v.probability for v in before] == pytest.approx([v.probability for v in after])


def test_a_corrupted_head_fails_with_an_error_naming_the_file(copy: Path) -> None:
    head = copy / "head.npz"
    data = bytearray(head.read_bytes())
    data[len(data) // 2] ^= 0xFF
    head.write_bytes(bytes(data))
    with pytest.raises(ModelArtefactError, match=r"head\.npz: checksum does not match"):
        artefact.load(copy)


def test_a_missing_encoder_file_is_named(copy: Path) -> None:
    (copy / "encoder.onnx").unlink()
    with pytest.raises(ModelArtefactError, match=r"encoder\.onnx: listed in the manifest but missing"):
        artefact.load(copy)


def test_a_head_that_does_not_match_the_manifest_is_refused(copy: Path) -> None:
    original = artefact.load(copy)
    arrays = dict(original.arrays)
    arrays["coef"] = arrays["coef"][:-10]
    manifest = {k: v for k, v in original.manifest.items() if k not in ("files", "format")}
    manifest["extra_files"] = ["encoder.onnx", "tokenizer.json"]
    with pytest.raises(ModelArtefactError, match="do not belong together"):
        artefact.save(copy, manifest, arrays)


def test_a_folder_without_manifest_is_not_a_model(tmp_path: Path) -> None:
    with pytest.raises(ModelArtefactError, match=r"manifest\.json: missing"):
        artefact.load(tmp_path)
    with pytest.raises(ModelArtefactError, match="no such model folder"):
        artefact.load(tmp_path / "nowhere")
