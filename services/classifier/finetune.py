"""Fine-tuning the encoder's layers on the labelled training rows, before the head is fitted.

The pooled layers (see encoder.py) get a temporary linear layer on top and are trained
end to end with class-balanced cross-entropy for a few epochs; the temporary layer is
then dropped and the head is fitted on the tuned encoder's features as before. Measured
on the reference data (10-fold CV macro-F1, see models/README.md), this moves the
encoder's features towards what separates dissatisfaction from the rest, which the
frozen layers only partly capture.

It runs on 2 CPU cores: batches are grouped by length so little time goes to padding,
and the threads are capped like everywhere else in the classifier. Everything is seeded,
so the same rows give the same encoder.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from typing import Any

import numpy as np
from tqdm import tqdm

from services.classifier.encoder import TorchEncoder

# The pooled layers are L2-normalised, so the temporary layer sees features of norm ~2
# (four layers); scaling them lets it reach confident logits without huge weights.
FEATURE_SCALE = 4.0


@dataclass(frozen=True)
class FinetuneConfig:
    epochs: int = 3
    learning_rate: float = 3e-5
    batch_size: int = 16
    warmup_share: float = 0.1
    weight_decay: float = 0.01
    seed: int = 0

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any] | None) -> FinetuneConfig | None:
        return None if not data else cls(**{k: data[k] for k in cls.__dataclass_fields__ if k in data})


def finetuned(
    base: TorchEncoder,
    texts: Sequence[str],
    y: np.ndarray,
    config: FinetuneConfig,
    *,
    weights: np.ndarray | None = None,
    progress: bool = True,
    label: str = "fine-tuning",
) -> TorchEncoder:
    """A copy of `base` whose layers were trained on (texts, y); `base` itself is left untouched."""
    import torch

    torch.manual_seed(config.seed)
    rng = np.random.default_rng(config.seed)
    tuned = copy.copy(base)
    tuned.module = copy.deepcopy(base.module).train()
    layer = torch.nn.Linear(base.dim, 2)
    parameters = [*tuned.module.parameters(), *layer.parameters()]
    optimiser = torch.optim.AdamW(parameters, lr=config.learning_rate, weight_decay=config.weight_decay)
    lengths = np.array([len(t) for t in texts])
    batches_per_epoch = -(-len(texts) // config.batch_size)
    steps = config.epochs * batches_per_epoch
    warmup = max(1, int(config.warmup_share * steps))
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimiser, lambda step: min(1.0, (step + 1) / warmup) * max(0.0, (steps - step) / steps)
    )
    counts = np.bincount(y, minlength=2).astype(np.float64)
    class_weight = torch.tensor(len(y) / (2 * np.maximum(counts, 1)), dtype=torch.float32)
    row_weight = np.ones(len(y)) if weights is None else np.asarray(weights, dtype=np.float64)
    bar = tqdm(total=steps, desc=label, unit="step", disable=not progress, leave=False)
    for _ in range(config.epochs):
        for batch in _length_grouped_batches(lengths, config.batch_size, rng):
            logits = layer(tuned.module(**base.inputs([texts[i] for i in batch])) * FEATURE_SCALE)
            losses = torch.nn.functional.cross_entropy(
                logits, torch.tensor(y[batch]), weight=class_weight, reduction="none"
            )
            batch_weight = torch.tensor(row_weight[batch], dtype=torch.float32)
            loss = (losses * batch_weight).sum() / batch_weight.sum()
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
            schedule.step()
            bar.update(1)
    bar.close()
    tuned.module.eval()
    return tuned


def _length_grouped_batches(lengths: np.ndarray, size: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Batches of rows of similar length, in random order (sorted by length within pools of 8 batches)."""
    order = rng.permutation(len(lengths))
    pool = size * 8
    batches = []
    for start in range(0, len(order), pool):
        part = order[start : start + pool]
        part = part[np.argsort(lengths[part], kind="stable")]
        batches.extend(part[i : i + size] for i in range(0, len(part), size))
    rng.shuffle(batches)  # type: ignore[arg-type]
    return batches
