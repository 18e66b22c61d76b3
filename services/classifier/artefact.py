"""A model folder on disk: manifest.json, head.npz, the encoder's ONNX file and tokenizer.

No pickle anywhere: arrays are read with `allow_pickle=False`, everything else is JSON.
Every file listed in the manifest carries its sha256, checked on load, so a truncated
copy or a swapped file fails with an error that names the file.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from services.classifier.exceptions import ModelArtefactError

FORMAT = "signaal-classifier/1"
MANIFEST = "manifest.json"
HEAD = "head.npz"
HEAD_ARRAYS = (
    "coef",
    "intercept",
    "idf_char",
    "idf_word",
    "first_pass_coef",
    "first_pass_intercept",
    "embedding_mean",
)


@dataclass
class Artefact:
    path: Path
    manifest: dict[str, Any]
    arrays: dict[str, np.ndarray]

    @property
    def version(self) -> str:
        return str(self.manifest["version"])

    def file(self, name: str) -> Path:
        return self.path / name


def sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def save(path: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> Artefact:
    """Write head.npz and manifest.json (other files must already be in `path`); hashes all files."""
    path.mkdir(parents=True, exist_ok=True)
    np.savez_compressed(path / HEAD, **{k: np.asarray(v) for k, v in arrays.items()})
    files = [HEAD, *manifest.get("extra_files", [])]
    manifest = {**manifest, "format": FORMAT, "files": {name: sha256(path / name) for name in files}}
    manifest.pop("extra_files", None)
    (path / MANIFEST).write_text(json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return load(path)


def load(path: Path) -> Artefact:
    """Read and validate a model folder; raises ModelArtefactError naming what is wrong."""
    manifest_file = path / MANIFEST
    if not path.is_dir():
        raise ModelArtefactError(
            f"{path}: no such model folder; train one with `signaal train` or point SIGNAAL_MODEL_DIR "
            "at an existing one."
        )
    try:
        manifest = json.loads(manifest_file.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ModelArtefactError(f"{manifest_file}: missing; this folder is not a Signaal model.") from None
    except json.JSONDecodeError as exc:
        raise ModelArtefactError(f"{manifest_file}: not valid JSON ({exc}); restore the file.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise ModelArtefactError(f"{manifest_file}: unknown format; expected {FORMAT!r}.")
    for key in ("version", "encoder", "ngrams", "threshold", "high_threshold", "files"):
        if key not in manifest:
            raise ModelArtefactError(f"{manifest_file}: the field {key!r} is missing.")
    for name, expected in manifest["files"].items():
        file = path / name
        if not file.is_file():
            raise ModelArtefactError(f"{file}: listed in the manifest but missing; restore the model folder.")
        if sha256(file) != expected:
            raise ModelArtefactError(
                f"{file}: checksum does not match the manifest (corrupted or replaced); "
                "restore the model folder or retrain."
            )
    arrays = _read_head(path / HEAD)
    _check_shapes(path / HEAD, manifest, arrays)
    return Artefact(path, manifest, arrays)


def _read_head(file: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(file, allow_pickle=False) as data:
            arrays = {name: data[name] for name in data.files}
    except Exception as exc:
        raise ModelArtefactError(f"{file}: cannot be read as an npz archive ({exc}).") from None
    missing = [name for name in HEAD_ARRAYS if name not in arrays]
    if missing:
        raise ModelArtefactError(f"{file}: arrays missing: {', '.join(missing)}.")
    return arrays


def _check_shapes(file: Path, manifest: dict[str, Any], arrays: dict[str, np.ndarray]) -> None:
    n_features = int(manifest["ngrams"]["n_features"])
    dim = int(manifest["encoder"]["dim"])
    expected = {
        "coef": (2 * n_features + dim,),
        "idf_char": (n_features,),
        "idf_word": (n_features,),
        "first_pass_coef": (2 * n_features,),
    }
    for name, shape in expected.items():
        if arrays[name].shape != shape:
            raise ModelArtefactError(
                f"{file}: {name} has shape {arrays[name].shape}, but the manifest implies {shape}; "
                "the head and the manifest do not belong together."
            )
