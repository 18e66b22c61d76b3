"""SetFit-style contrastive fine-tuning of the encoder layers, probed on the reference data.

    .venv/bin/python bench/classifier_setfit_probe.py [--folds-run 1] [--pairs 6]

For the first `--folds-run` folds of the same 10-fold split as `signaal cv`: build `--pairs`
pairs per training row (half with a row of the same label, target cosine 1; half with the
other label, target 0), train a copy of the pooled layers 1–4 for one pass with a cosine
similarity loss (per layer, averaged), then fit the shipped head (LR over [hashed n-grams ‖
tuned features]) and compare it with the same head over the published layers, on the same
fold. PyTorch fp32 features, no ONNX export: this probes the idea, it is not the product
path. One fold takes about 10 minutes on 2 idle cores. The reference data is only read from
../shared (see its README).
"""

from __future__ import annotations

import argparse
import copy
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402
from scipy import sparse  # noqa: E402
from sklearn.linear_model import LogisticRegression  # noqa: E402
from sklearn.metrics import average_precision_score, f1_score, precision_recall_curve  # noqa: E402
from sklearn.model_selection import StratifiedKFold  # noqa: E402

from services.classifier import data  # noqa: E402
from services.classifier.encoder import EncoderSpec, TorchEncoder  # noqa: E402
from services.classifier.features import Ngrams  # noqa: E402


def contrastive_pairs(rows: np.ndarray, y: np.ndarray, per_row: int, rng: np.random.Generator) -> np.ndarray:
    positives, negatives = rows[y[rows] == 1], rows[y[rows] == 0]
    pairs = []
    for row in rows:
        same, other = (positives, negatives) if y[row] == 1 else (negatives, positives)
        for _ in range(per_row // 2):
            pairs.append((row, rng.choice(same), 1.0))
            pairs.append((row, rng.choice(other), 0.0))
    result = np.array(pairs, dtype=np.float64)
    rng.shuffle(result)
    return result


def tune(base: TorchEncoder, texts: np.ndarray, pairs: np.ndarray, batch: int, lr: float) -> TorchEncoder:
    import torch

    tuned = copy.copy(base)
    tuned.module = copy.deepcopy(base.module).train()
    optimiser = torch.optim.AdamW(tuned.module.parameters(), lr=lr)
    layers = len(base.spec.layers)
    for start in range(0, len(pairs), batch):
        part = pairs[start : start + batch]
        left, right = part[:, 0].astype(int), part[:, 1].astype(int)
        features = tuned.module(**base.inputs([*texts[left], *texts[right]]))
        n = len(part)
        a, b = features[:n].view(n, layers, -1), features[n:].view(n, layers, -1)
        cosine = torch.nn.functional.cosine_similarity(a, b, dim=-1).mean(-1)
        loss = torch.nn.functional.mse_loss(cosine, torch.tensor(part[:, 2], dtype=torch.float32))
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
    tuned.module.eval()
    return tuned


def figures(y: np.ndarray, p: np.ndarray) -> dict[str, float]:
    precision, recall, _ = precision_recall_curve(y, p)
    return {
        "macro_f1_at_half": round(float(f1_score(y, p >= 0.5, average="macro")), 4),
        "average_precision": round(float(average_precision_score(y, p)), 4),
        "precision_at_recall_0.95": round(float(precision[recall >= 0.95].max()), 4),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared/data/complaints-en-dev.csv")
    parser.add_argument("--folds-run", type=int, default=1)
    parser.add_argument("--pairs", type=int, default=6)
    parser.add_argument("--learning-rate", type=float, default=2e-5)
    parser.add_argument("--batch", type=int, default=16)
    args = parser.parse_args()
    import torch

    torch.manual_seed(0)
    examples = data.read_csv(args.reference)
    texts = np.array([e.text for e in examples], dtype=object)
    y = np.array([e.label for e in examples])
    base = TorchEncoder(EncoderSpec())
    rng = np.random.default_rng(0)
    scores = {"published": np.full(len(y), np.nan), "setfit": np.full(len(y), np.nan)}
    splits = StratifiedKFold(10, shuffle=True, random_state=0).split(texts, y)
    for fold, (train_rows, test_rows) in enumerate(splits):
        if fold >= args.folds_run:
            break
        started = time.monotonic()
        pairs = contrastive_pairs(train_rows, y, args.pairs, rng)
        tuned = tune(base, texts, pairs, args.batch, args.learning_rate)
        ngrams = Ngrams.fit(list(texts[train_rows]))
        train_grams, test_grams = (
            ngrams.transform(list(texts[train_rows])),
            ngrams.transform(list(texts[test_rows])),
        )
        for name, encoder in (("published", base), ("setfit", tuned)):
            train_x = sparse.hstack([train_grams, sparse.csr_matrix(encoder.encode(list(texts[train_rows])))])
            test_x = sparse.hstack([test_grams, sparse.csr_matrix(encoder.encode(list(texts[test_rows])))])
            head = LogisticRegression(C=16, class_weight="balanced", max_iter=3000)
            head.fit(train_x.tocsr(), y[train_rows])
            scores[name][test_rows] = head.predict_proba(test_x.tocsr())[:, 1]
        done = ~np.isnan(scores["published"])
        result = {name: figures(y[done], p[done]) for name, p in scores.items()}
        print(
            f"fold {fold + 1}: {len(pairs)} pairs, {time.monotonic() - started:.0f} s: {result}", flush=True
        )
    print(json.dumps(result))


if __name__ == "__main__":
    main()
