"""Classifier design in numbers: 10-fold CV on the English reference data, and the project's held-out split.

    .venv/bin/python bench/classifier_cv.py [--folds 10] [--reference ../shared/data/complaints-en-dev.csv]

1. `signaal cv --data <reference> --folds 10 --json` (the shipped design, cross-validated on the
   reference data: fitted per fold, never shipped), next to the baseline design of plain
   all-MiniLM-L6-v2 sentence embeddings + the same n-grams + logistic regression on the same folds.
   With `--finetune-epochs N`, also the same design with the encoder fine-tuned per fold
   (`signaal cv --finetune-epochs N`; ten tuned encoders, about 25 minutes on 2 cores).
2. The shipped model on the seed data's held-out split, per language and channel
   (`signaal evaluate --data data/seed/messages.csv --split heldout --json`).
The reference data is only read from ../shared (see its README); nothing of it is stored.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
SIGNAAL = str(Path(sys.executable).with_name("signaal"))


def run_json(*args: str) -> dict[str, object]:
    output = subprocess.run([SIGNAAL, *args, "--json"], check=True, capture_output=True, text=True, cwd=ROOT)
    return json.loads(output.stdout.strip().splitlines()[-1])


def baseline(reference: Path, folds: int) -> float:
    """Final-layer MiniLM sentence embedding + hashed n-grams + LR (C=4), same folds as `signaal cv`."""
    import numpy as np
    import torch
    from scipy import sparse
    from sentence_transformers import SentenceTransformer
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import f1_score
    from sklearn.model_selection import StratifiedKFold

    from services.classifier import data, encoder
    from services.classifier.features import Ngrams

    torch.set_num_threads(2)
    examples = data.read_csv(reference)
    texts = np.array([e.text for e in examples], dtype=object)
    y = np.array([e.label for e in examples])
    model = SentenceTransformer(encoder.resolve_path(encoder.DEFAULT_ENCODER), device="cpu")
    embeddings = model.encode(list(texts), batch_size=64, show_progress_bar=False)
    oof = np.zeros(len(y))
    for train, test in StratifiedKFold(folds, shuffle=True, random_state=0).split(texts, y):
        ngrams = Ngrams.fit(list(texts[train]))

        def features(rows: np.ndarray, ngrams: Ngrams = ngrams) -> sparse.csr_matrix:
            return sparse.hstack(
                [ngrams.transform(list(texts[rows])), sparse.csr_matrix(embeddings[rows])]
            ).tocsr()

        head = LogisticRegression(C=4, class_weight="balanced", max_iter=3000).fit(features(train), y[train])
        oof[test] = head.predict_proba(features(test))[:, 1]
    return float(f1_score(y, oof >= 0.5, average="macro"))


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--folds", type=int, default=10)
    parser.add_argument("--reference", type=Path, default=ROOT.parent / "shared/data/complaints-en-dev.csv")
    parser.add_argument("--no-baseline", action="store_true")
    parser.add_argument("--finetune-epochs", type=int, default=0, help="also CV the fine-tuned design")
    args = parser.parse_args()
    result: dict[str, object] = {}
    if args.reference.exists():
        cv = run_json("cv", "--data", str(args.reference), "--folds", str(args.folds))
        print(f"reference data, {args.folds}-fold CV, shipped design: macro-F1 {cv['macro_f1']:.4f}")
        result["reference_cv"] = {k: cv[k] for k in ("precision", "recall", "f1", "macro_f1", "n")}
        if args.finetune_epochs:
            tuned = run_json(
                "cv",
                "--data",
                str(args.reference),
                "--folds",
                str(args.folds),
                "--finetune-epochs",
                str(args.finetune_epochs),
            )
            print(
                f"reference data, {args.folds}-fold CV, encoder fine-tuned {args.finetune_epochs} epochs "
                f"per fold: macro-F1 {tuned['macro_f1']:.4f}"
            )
            result["reference_cv_finetuned"] = {
                k: tuned[k] for k in ("precision", "recall", "f1", "macro_f1", "n")
            }
        if not args.no_baseline:
            plain = baseline(args.reference, args.folds)
            print(f"reference data, {args.folds}-fold CV, baseline (MiniLM + n-grams): macro-F1 {plain:.4f}")
            result["reference_cv_baseline_macro_f1"] = round(plain, 4)
    else:
        print(f"{args.reference}: not here; skipping the reference-data CV")
    heldout = run_json("evaluate", "--data", "data/seed/messages.csv", "--split", "heldout")
    print(
        f"seed held-out split, shipped model {heldout['model_version']}: "
        f"precision {heldout['precision']:.4f} recall {heldout['recall']:.4f} "
        f"macro-F1 {heldout['macro_f1']:.4f} (threshold {heldout['threshold']:.4f})"
    )
    for column, groups in heldout["by"].items():  # type: ignore[union-attr]
        for value, numbers in groups.items():
            print(
                f"  {column}={value:<8} n={numbers['n']:<4} precision {numbers['precision']:.3f} "
                f"recall {numbers['recall']:.3f} macro-F1 {numbers['macro_f1']:.3f}"
            )
    result["heldout"] = heldout
    print(json.dumps(result))


if __name__ == "__main__":
    main()
