"""Which encoder for Dutch: MiniLM layers 1–4 (shipped) against multilingual-e5-small layer sets.

    .venv/bin/python bench/e5_variants.py [--phase export|speed|quality|trimdiff|all] [--folds-seed 5]

Needs `signaal model fetch-encoder` (trimmed, var/encoders/multilingual-e5-small) and, for the
trimmed-vs-full comparison, `signaal model fetch-encoder --no-trim --out
var/encoders/multilingual-e5-small-full`. Every encoder is exported as the stage runs it
(TorchEncoder(spec).export_onnx: int8 ONNX) into var/cache/encoders/<name>/, once.

- export: the int8 files and their sizes;
- speed: msgs/s for 600 short seed texts (≤ 280 characters) on 2 threads through OnnxEncoder
  (one text per run, as served), median of 3 rounds, and peak RSS, each encoder in a fresh process;
- quality: the project's head (hashed n-grams ‖ encoder features, logistic regression C=16,
  class_weight balanced, as train.fit_head) on 5-fold CV of the seed train split (AP per
  language, macro-F1 at 0.5) and 10-fold CV macro-F1 at 0.5 on ../shared/data/complaints-en-dev.csv;
  features cached by train.embed in var/cache/embeddings/;
- trimdiff: int8 features of the trimmed and the untrimmed vocabulary on seed texts.
The reference data is only read from ../shared; nothing of it is stored beyond the feature cache.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import time
from pathlib import Path

os.environ.setdefault("HF_HUB_OFFLINE", "1")
ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import numpy as np  # noqa: E402

from services.classifier import data, train  # noqa: E402
from services.classifier.e5convert import E5_PREFIX  # noqa: E402
from services.classifier.encoder import DEFAULT_ENCODER, EncoderSpec, OnnxEncoder, TorchEncoder  # noqa: E402

SEED = ROOT / "data/seed/messages.csv"
REFERENCE = ROOT.parent / "shared/data/complaints-en-dev.csv"
E5 = ROOT / "var/encoders/multilingual-e5-small"
E5_FULL = ROOT / "var/encoders/multilingual-e5-small-full"
CACHE = ROOT / "var/cache/encoders"
VARIANTS: dict[str, EncoderSpec] = {
    "minilm-1-4": EncoderSpec(id=DEFAULT_ENCODER, layers=(1, 2, 3, 4)),
    "e5-12": EncoderSpec(id=str(E5), layers=(12,), prefix=E5_PREFIX),
    "e5-1-4": EncoderSpec(id=str(E5), layers=(1, 2, 3, 4), prefix=E5_PREFIX),
    "e5-4-8-12": EncoderSpec(id=str(E5), layers=(4, 8, 12), prefix=E5_PREFIX),
    "e5-6": EncoderSpec(id=str(E5), layers=(6,), prefix=E5_PREFIX),
    "e5-8": EncoderSpec(id=str(E5), layers=(8,), prefix=E5_PREFIX),
}
FULL_VARIANTS: dict[str, EncoderSpec] = {
    "e5full-12": EncoderSpec(id=str(E5_FULL), layers=(12,), prefix=E5_PREFIX),
    "e5full-1-4": EncoderSpec(id=str(E5_FULL), layers=(1, 2, 3, 4), prefix=E5_PREFIX),
}


def exported(name: str, spec: EncoderSpec) -> OnnxEncoder:
    folder = CACHE / name
    if not (folder / train.ENCODER_FILE).exists():
        folder.mkdir(parents=True, exist_ok=True)
        torch_encoder = TorchEncoder(spec)
        torch_encoder.export_onnx(folder / train.ENCODER_FILE)
        shutil.copyfile(torch_encoder.tokenizer_file(), folder / train.TOKENIZER_FILE)
        del torch_encoder
    return OnnxEncoder(folder / train.ENCODER_FILE, folder / train.TOKENIZER_FILE, spec)


def short_texts(n: int = 600) -> list[str]:
    rows = data.read_csv(SEED, split="train")
    return [e.text for e in rows if len(e.text) <= 280][:n]


def speed(name: str) -> dict[str, float]:
    """Runs in a fresh process (see main): encoder load, warm-up, 3 timed rounds."""
    spec = {**VARIANTS, **FULL_VARIANTS}[name]
    texts = short_texts()
    before = _rss_mb()
    encoder = exported(name, spec)
    encoder.encode(texts[:50])
    rounds = []
    for _ in range(3):
        started = time.perf_counter()
        encoder.encode(texts)
        rounds.append(len(texts) / (time.perf_counter() - started))
    after = _rss_mb()
    return {
        "msgs_per_s": round(statistics.median(rounds), 1),
        "rss_after_mb": round(after),  # whole process (this script also imports scikit-learn etc.)
        "encoder_rss_mb": round(after - before),  # what loading and running the encoder added
    }


def _rss_mb() -> float:
    """Resident memory now (ru_maxrss would carry the exporting parent's peak across exec)."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def quality(encoder: OnnxEncoder, folds_seed: int, folds_reference: int) -> dict[str, float]:
    from scipy import sparse
    from sklearn.metrics import average_precision_score, f1_score
    from sklearn.model_selection import StratifiedKFold

    from services.classifier.features import Ngrams

    def oof(texts: list[str], y: np.ndarray, emb: np.ndarray, folds: int, strata: np.ndarray) -> np.ndarray:
        out = np.zeros(len(y))
        array = np.array(texts, dtype=object)
        for tr, te in StratifiedKFold(folds, shuffle=True, random_state=0).split(array, strata):
            ngrams = Ngrams.fit(list(array[tr]))
            features = [
                sparse.hstack([ngrams.transform(list(array[rows])), sparse.csr_matrix(emb[rows])]).tocsr()
                for rows in (tr, te)
            ]
            head = train.fit_head(features[0], None, y[tr], 16.0)
            out[te] = head.predict_proba(features[1])[:, 1]
        return out

    result: dict[str, float] = {}
    seed = data.read_csv(SEED, split="train")
    texts = [e.text for e in seed]
    y = np.array([e.label for e in seed])
    languages = np.array([e.language for e in seed])
    emb = train.embed(encoder, texts, progress=False)
    strata = np.array([f"{lang}{label}" for lang, label in zip(languages, y, strict=True)])
    p = oof(texts, y, emb, folds_seed, strata)
    for lang in ("nl", "en"):
        rows = languages == lang
        result[f"seed_ap_{lang}"] = round(float(average_precision_score(y[rows], p[rows])), 4)
        result[f"seed_f1_{lang}"] = round(float(f1_score(y[rows], p[rows] >= 0.5, average="macro")), 4)
    result["seed_ap_all"] = round(float(average_precision_score(y, p)), 4)
    if REFERENCE.exists():
        reference = data.read_csv(REFERENCE)
        rtexts = [e.text for e in reference]
        ry = np.array([e.label for e in reference])
        remb = train.embed(encoder, rtexts, progress=False)
        rp = oof(rtexts, ry, remb, folds_reference, ry)
        result["reference_macro_f1"] = round(float(f1_score(ry, rp >= 0.5, average="macro")), 4)
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--phase", default="all", choices=["export", "speed", "quality", "trimdiff", "all"])
    parser.add_argument("--only", nargs="*", default=None, help="variant names")
    parser.add_argument("--folds-seed", type=int, default=5)
    parser.add_argument("--folds-reference", type=int, default=10)
    parser.add_argument("--speed-one", default=None, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.speed_one:
        print(json.dumps(speed(args.speed_one)))
        return
    names = args.only or list(VARIANTS)
    phases = ["export", "trimdiff", "speed", "quality"] if args.phase == "all" else [args.phase]
    for phase in phases:
        if phase == "export":
            for name in names + list(FULL_VARIANTS):
                spec = {**VARIANTS, **FULL_VARIANTS}[name]
                started = time.perf_counter()
                encoder = exported(name, spec)
                size = (CACHE / name / train.ENCODER_FILE).stat().st_size / 1e6
                print(
                    f"export {name}: {size:.1f} MB, dim {encoder.dim} ({time.perf_counter() - started:.0f} s)"
                )
        elif phase == "trimdiff":
            texts = [e.text for e in data.read_csv(SEED, split="train")][:300]
            for full, trimmed in (("e5full-12", "e5-12"), ("e5full-1-4", "e5-1-4")):
                a = exported(full, FULL_VARIANTS[full]).encode(texts)
                b = exported(trimmed, VARIANTS[trimmed]).encode(texts)
                print(
                    f"trimdiff {trimmed}: int8 max abs diff {np.abs(a - b).max():.5f} on {len(texts)} texts"
                )
        elif phase == "speed":
            for name in [*names, "e5full-12"]:
                out = subprocess.run(
                    [sys.executable, __file__, "--speed-one", name],
                    capture_output=True,
                    text=True,
                    check=True,
                )
                print(f"speed {name}: {out.stdout.strip().splitlines()[-1]}", flush=True)
        elif phase == "quality":
            for name in names:
                started = time.perf_counter()
                result = quality(exported(name, VARIANTS[name]), args.folds_seed, args.folds_reference)
                print(
                    f"quality {name}: {json.dumps(result)} ({time.perf_counter() - started:.0f} s)",
                    flush=True,
                )
        if phase == "quality":
            n_only = quality_ngrams_only(args.folds_seed, args.folds_reference)
            print(f"quality ngrams-only: {json.dumps(n_only)}", flush=True)


def quality_ngrams_only(folds_seed: int, folds_reference: int) -> dict[str, float]:
    """The head without encoder features (a zero column keeps the code path the same)."""

    class Zero:
        model_file = None

    from unittest import mock

    with mock.patch.object(train, "embed", lambda _e, texts, **_k: np.zeros((len(texts), 1), np.float32)):
        return quality(Zero(), folds_seed, folds_reference)  # type: ignore[arg-type]


if __name__ == "__main__":
    main()
