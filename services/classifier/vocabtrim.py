"""Trim a SentencePiece-Unigram encoder's vocabulary to the pieces Latin-script text can use.

multilingual-e5-small's 250,002 pieces cover ~100 languages; its embedding table is
96 M of its 118 M parameters, and so ~96 MB of the ~118 MB int8 ONNX file. Signaal reads
Dutch and English (and sometimes German, French, …). A Unigram tokenizer picks, for a
text, the best segmentation among the pieces that match substrings of it; a piece that
holds a character outside the text can never be chosen. So keeping every piece made only
of Latin-script characters, digits, punctuation and symbols (emoji included: social-media
mail has them) gives the same segmentation, and after remapping ids the same embedding rows,
for any such text. Every single-character piece of every script is kept too, so text in
another script still tokenises (into characters, rather than <unk>), just less well.

Measured for multilingual-e5-small (bench/e5_check.py, bench/e5_variants.py): 126,568 of
250,002 pieces stay (Latin script is shared by many languages, so it halves, no more); the
int8 file of the final layer goes from 118.2 to 70.7 MB; no seed train text tokenises
differently, and fp32 and int8 features are identical (max abs difference 0).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path
from typing import Any

import numpy as np

METASPACE = "\u2581"
EMBEDDING = "embeddings.word_embeddings.weight"
# Code-point ranges whose pieces are kept (inclusive): Latin-1 and Latin Extended-A/B (names
# in Turkish, Polish, Czech, … spelling turn up in Dutch mail), combining marks,
# punctuation, currency, letter-like and number forms, arrows, maths and technical symbols,
# box drawing to dingbats, variation selectors, and the emoji planes.
KEPT_RANGES: tuple[tuple[int, int], ...] = (
    (0x0000, 0x036F),  # Basic Latin … IPA, spacing modifiers, combining diacritics
    (0x2000, 0x2BFF),  # punctuation, currency, symbols, arrows, maths, boxes, dingbats (▁ is U+2581)
    (0xFB00, 0xFB06),  # Latin ligatures
    (0xFE00, 0xFE0F),  # variation selectors (emoji presentation)
    (0xFFFD, 0xFFFD),
    (0x1F000, 0x1FAFF),  # emoji and pictographs
)


def latin_char(char: str) -> bool:
    cp = ord(char)
    return any(low <= cp <= high for low, high in KEPT_RANGES)


def keep_piece(piece: str) -> bool:
    """True for a piece Latin-script text can need, or a single character of any script."""
    body = piece[1:] if piece.startswith(METASPACE) and len(piece) > 1 else piece
    return len(body) <= 1 or all(latin_char(c) for c in body)


def kept_ids(tokenizer: dict[str, Any]) -> list[int]:
    """Old ids to keep, in their old order (so special tokens keep their low ids)."""
    special = {token["id"] for token in tokenizer.get("added_tokens", [])}
    vocab = tokenizer["model"]["vocab"]
    return [i for i, (piece, _) in enumerate(vocab) if i in special or keep_piece(piece)]


def trim_tokenizer(tokenizer: dict[str, Any], keep: list[int]) -> dict[str, Any]:
    """The tokenizer.json data with only the `keep` pieces and every id remapped."""
    new_id = {old: new for new, old in enumerate(keep)}
    trimmed = json.loads(json.dumps(tokenizer))  # a deep copy of plain JSON
    model = trimmed["model"]
    if model.get("type") != "Unigram":
        raise ValueError(f"only Unigram tokenizers can be trimmed, not {model.get('type')}")
    model["vocab"] = [tokenizer["model"]["vocab"][old] for old in keep]
    if model.get("unk_id") is not None:
        model["unk_id"] = new_id[model["unk_id"]]
    for token in trimmed.get("added_tokens", []):
        token["id"] = new_id[token["id"]]
    post = trimmed.get("post_processor") or {}
    for special in (post.get("special_tokens") or {}).values():
        special["ids"] = [new_id[i] for i in special["ids"]]
    return trimmed


def trim_folder(src: Path, dst: Path) -> dict[str, Any]:
    """Copy the model folder `src` to `dst` with the trimmed vocabulary and embedding rows."""
    from safetensors.numpy import load_file, save_file

    tokenizer = json.loads((src / "tokenizer.json").read_text(encoding="utf-8"))
    keep = kept_ids(tokenizer)
    dst.mkdir(parents=True, exist_ok=True)
    for path in src.rglob("*"):
        target = dst / path.relative_to(src)
        if path.is_dir():
            target.mkdir(parents=True, exist_ok=True)
        elif str(path.relative_to(src)) not in ("tokenizer.json", "model.safetensors", "config.json"):
            shutil.copyfile(path, target)
    (dst / "tokenizer.json").write_text(
        json.dumps(trim_tokenizer(tokenizer, keep), ensure_ascii=False), encoding="utf-8"
    )
    weights = load_file(str(src / "model.safetensors"))
    weights[EMBEDDING] = np.ascontiguousarray(weights[EMBEDDING][np.array(keep)])
    save_file(weights, str(dst / "model.safetensors"), metadata={"format": "pt"})
    (dst / "model.safetensors").chmod(0o644)  # safetensors writes 0600
    config = json.loads((src / "config.json").read_text(encoding="utf-8"))
    config["vocab_size"] = len(keep)
    (dst / "config.json").write_text(json.dumps(config, indent=2) + "\n", encoding="utf-8")
    return {
        "pieces_kept": len(keep),
        "pieces_before": len(tokenizer["model"]["vocab"]),
        "rule": "vocabtrim.keep_piece: Latin-script/symbol/emoji pieces + every single character",
    }
