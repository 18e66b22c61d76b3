"""Training: features, cross-validated threshold choice, the head, and the model folder.

The head is a logistic regression (class_weight=balanced) over [hashed n-grams ‖
pooled encoder layers]. With `finetune` set, the encoder's layers are first trained on
the same rows (finetune.py); the out-of-fold predictions then fine-tune once per fold,
so no row is scored by an encoder that was trained on it. Out-of-fold predictions on
the training rows choose the decision threshold (recall ≥ the target), the `high`
band (precision ≥ 0.9) and the first-pass cut-off (an n-gram-only head may settle a
message as "not a complaint" only below a score where, out of fold, it would have
cost at most 0.5 % of recall).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import StratifiedGroupKFold, StratifiedKFold
from tqdm import tqdm

from services.classifier import artefact, card, chunks, evaluate, wrappers
from services.classifier import calibration as calibration_points
from services.classifier.data import Example, require_both_classes
from services.classifier.encoder import EncoderSpec, OnnxEncoder, TorchEncoder, window_tokens
from services.classifier.features import NgramConfig, Ngrams
from services.classifier.finetune import FinetuneConfig, finetuned
from shared.states import Band

EMBEDDING_CACHE = Path("var/cache/embeddings")
ENCODER_FILE = "encoder.onnx"
TOKENIZER_FILE = "tokenizer.json"


@dataclass
class TrainConfig:
    encoder: EncoderSpec = field(default_factory=EncoderSpec)
    finetune: FinetuneConfig | None = None  # None: the encoder's layers stay as published
    ngrams: NgramConfig = field(default_factory=NgramConfig)
    C: float = 16.0  # seed train split, 5-fold CV macro-F1: C=1 0.871, 16 0.908, 64 0.901
    recall_target: float = 0.97  # OOF target; margin so held-out recall stays ≥ 0.95
    calibration_recall_target: float = 0.95  # per language, on the independent calibration part
    high_precision: float = 0.90
    first_pass_max_recall_loss: float = 0.005
    folds: int = 5
    threads: int = 2
    allow_download: bool = False
    progress: bool = True


# --- encoder and features ------------------------------------------------------------


def prepare_encoder(
    out: Path,
    config: TrainConfig,
    *,
    reuse_from: Path | None = None,
    rows: tuple[Sequence[str], np.ndarray, np.ndarray] | None = None,
    base: TorchEncoder | None = None,
) -> OnnxEncoder:
    """Put encoder.onnx + tokenizer.json in `out`.

    A published encoder is copied from a model that already has it, or exported. With
    `config.finetune`, the encoder is fine-tuned on `rows` (texts, labels, weights) first,
    so it is never reused: a tuned encoder belongs to the rows it was tuned on.
    """
    out.mkdir(parents=True, exist_ok=True)
    if config.finetune is None and reuse_from is not None and _same_encoder(reuse_from, config.encoder):
        for name in (ENCODER_FILE, TOKENIZER_FILE):
            if (reuse_from / name).resolve() != (out / name).resolve():
                shutil.copyfile(reuse_from / name, out / name)
        return OnnxEncoder(out / ENCODER_FILE, out / TOKENIZER_FILE, config.encoder, threads=config.threads)
    torch_encoder = base or base_encoder(config)
    if config.finetune is not None:
        if rows is None:
            raise ValueError("fine-tuning needs the training rows")
        texts, y, weights = rows
        torch_encoder = finetuned(
            torch_encoder, texts, y, config.finetune, weights=weights, progress=config.progress
        )
    return export(torch_encoder, out, config)


def base_encoder(config: TrainConfig) -> TorchEncoder:
    return TorchEncoder(config.encoder, threads=config.threads, allow_download=config.allow_download)


def export(torch_encoder: TorchEncoder, out: Path, config: TrainConfig) -> OnnxEncoder:
    """The encoder as int8 ONNX in `out`, with its tokenizer, ready to serve."""
    out.mkdir(parents=True, exist_ok=True)
    torch_encoder.export_onnx(out / ENCODER_FILE)
    shutil.copyfile(torch_encoder.tokenizer_file(), out / TOKENIZER_FILE)
    return OnnxEncoder(out / ENCODER_FILE, out / TOKENIZER_FILE, config.encoder, threads=config.threads)


def _same_encoder(model_dir: Path, spec: EncoderSpec) -> bool:
    try:
        manifest = artefact.load(model_dir).manifest
    except Exception:
        return False
    return (
        manifest["encoder"].get("runtime") == "onnx-int8"
        and not manifest["encoder"].get("finetune")
        and EncoderSpec.from_json(manifest["encoder"]).to_json() == spec.to_json()
    )


def neutral_windows(texts: Sequence[str], y: np.ndarray, encoder: OnnxEncoder) -> list[tuple[int, str]]:
    """(message, window) for every sentence window of a long neutral message.

    The stage scores a long message by its most suspicious window, but a model fitted on whole
    messages has never seen a window on its own: a long neutral email's windows then looked
    like complaints (issue 11: most long neutral emails were flagged). Every window of a
    neutral message is neutral, so each one is a sound extra negative. Windows of complaints
    are not added: only some of them hold the complaint.
    """
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(encoder.tokenizer_file()))
    tokenizer.no_truncation()
    tokenizer.no_padding()
    budget = window_tokens(encoder.spec, tokenizer)

    def count(pieces: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in tokenizer.encode_batch(list(pieces), add_special_tokens=False)]

    found = []
    for row in np.flatnonzero(y == 0):
        spans = chunks.windows(texts[row], budget, count)
        if len(spans) > 1:
            found += [(int(row), span.of(texts[row])) for span in spans]
    return found


def embed(
    encoder: OnnxEncoder, texts: Sequence[str], *, progress: bool = True, cache: bool = True
) -> np.ndarray:
    """Encoder features, cached in var/ per (encoder file, text) so experiments do not re-encode."""
    if not cache:  # a per-fold tuned encoder is used once
        return encoder.encode(list(texts)).astype(np.float32)
    encoder_key = artefact.sha256(encoder.model_file)[:16]
    # "-rows": features of one text per encoder run (older cache files mixed texts in a batch).
    cache_file = EMBEDDING_CACHE / f"{encoder_key}-rows.npz"
    keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
    known: dict[str, np.ndarray] = {}
    if cache_file.exists():
        with np.load(cache_file, allow_pickle=False) as data:
            known = dict(zip(data["keys"].tolist(), data["vectors"], strict=True))
    missing = sorted({k: t for k, t in zip(keys, texts, strict=True) if k not in known}.items())
    if missing:
        batch = 256
        for start in tqdm(
            range(0, len(missing), batch), desc="encoding", unit="batch", disable=not progress, leave=False
        ):
            part = missing[start : start + batch]
            for (key, _), vector in zip(part, encoder.encode([t for _, t in part]), strict=True):
                known[key] = vector
        cache_file.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache_file, keys=np.array(list(known)), vectors=np.stack(list(known.values())))
    return np.stack([known[k] for k in keys]).astype(np.float32)


# --- fitting ------------------------------------------------------------------------


def fit_head(
    grams: sparse.csr_matrix,
    embeddings: np.ndarray | None,
    y: np.ndarray,
    c: float,
    weights: np.ndarray | None = None,
) -> LogisticRegression:
    features = grams if embeddings is None else sparse.hstack([grams, sparse.csr_matrix(embeddings)]).tocsr()
    return LogisticRegression(C=c, class_weight="balanced", max_iter=3000).fit(
        features, y, sample_weight=weights
    )


def out_of_fold(
    texts: Sequence[str],
    embeddings: np.ndarray | None,
    y: np.ndarray,
    config: TrainConfig,
    *,
    weights: np.ndarray | None = None,
    seed: int = 0,
    base: TorchEncoder | None = None,
    groups: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Out-of-fold probabilities of the full head and of the n-gram-only first pass.

    `embeddings` are the published encoder's features; with `config.finetune` they are
    not needed (pass None): each fold tunes its own copy of `base` (the published
    encoder, loaded here unless given) on its training rows.
    """
    texts_array = np.array(texts, dtype=object)
    full = np.zeros(len(y))
    first = np.zeros(len(y))
    weights = np.ones(len(y)) if weights is None else weights
    if groups is None:
        splits = list(StratifiedKFold(config.folds, shuffle=True, random_state=seed).split(texts_array, y))
    else:  # rows of one group (a message and its windows) stay in one fold
        folds = StratifiedGroupKFold(config.folds, shuffle=True, random_state=seed)
        splits = list(folds.split(texts_array, y, groups))
    if config.finetune is None:
        base = None
    elif base is None:
        base = base_encoder(config)
    for fold, (train_rows, test_rows) in enumerate(
        tqdm(splits, desc=f"{config.folds}-fold CV", unit="fold", disable=not config.progress)
    ):
        if base is None:
            if embeddings is None:
                raise ValueError("without fine-tuning, out_of_fold needs the encoder's features")
            train_embeddings, test_embeddings = embeddings[train_rows], embeddings[test_rows]
        else:
            train_embeddings, test_embeddings = _tuned_features(
                base, texts_array, y, weights, train_rows, test_rows, config, label=f"fold {fold + 1}"
            )
        ngrams = Ngrams.fit(list(texts_array[train_rows]), config.ngrams)
        train_grams = ngrams.transform(list(texts_array[train_rows]))
        test_grams = ngrams.transform(list(texts_array[test_rows]))
        head = fit_head(train_grams, train_embeddings, y[train_rows], config.C, weights[train_rows])
        test_features = sparse.hstack([test_grams, sparse.csr_matrix(test_embeddings)]).tocsr()
        full[test_rows] = head.predict_proba(test_features)[:, 1]
        first[test_rows] = fit_head(
            train_grams, None, y[train_rows], config.C, weights[train_rows]
        ).predict_proba(test_grams)[:, 1]
    return full, first


def _tuned_features(
    base: TorchEncoder,
    texts: np.ndarray,
    y: np.ndarray,
    weights: np.ndarray,
    train_rows: np.ndarray,
    test_rows: np.ndarray,
    config: TrainConfig,
    *,
    label: str,
) -> tuple[np.ndarray, np.ndarray]:
    """Features of one fold from an encoder tuned on its training rows, through int8 ONNX as served."""
    assert config.finetune is not None
    tuned = finetuned(
        base,
        list(texts[train_rows]),
        y[train_rows],
        config.finetune,
        weights=weights[train_rows],
        progress=config.progress,
        label=f"fine-tuning, {label}",
    )
    with tempfile.TemporaryDirectory() as scratch:
        encoder = export(tuned, Path(scratch), config)
        features = embed(encoder, list(texts[np.concatenate([train_rows, test_rows])]), cache=False)
    return features[: len(train_rows)], features[len(train_rows) :]


def threshold_for_recall(y: np.ndarray, p: np.ndarray, target: float) -> float:
    """The highest threshold whose recall on (y, p) is still at least `target`."""
    positives = np.sort(p[y == 1])
    if positives.size == 0:
        return 0.5
    allowed_misses = int(np.floor((1 - target) * positives.size))
    return float(positives[allowed_misses])


def threshold_for_precision(y: np.ndarray, p: np.ndarray, target: float, floor: float) -> float:
    """The lowest threshold ≥ floor at which precision reaches `target` (else the highest score)."""
    for t in np.unique(p[p >= floor]):
        flagged = p >= t
        if flagged.any() and y[flagged].mean() >= target:
            return float(t)
    return float(max(p.max(), floor))


def first_pass_cutoff(y: np.ndarray, first: np.ndarray, threshold: float, max_loss: float) -> float | None:
    """The highest first-pass score below which settling costs at most `max_loss` of recall."""
    positives = np.sort(first[y == 1])
    allowed = int(np.floor(max_loss * positives.size))
    if positives.size == 0:
        return None
    cutoff = float(positives[allowed])
    return min(cutoff, threshold * 0.999) if cutoff > 0 else None


def train(
    examples: Sequence[Example],
    out: Path,
    *,
    heldout: Sequence[Example] = (),
    calibration: Sequence[Example] = (),
    independent_test: Sequence[Example] = (),
    config: TrainConfig | None = None,
    version: str | None = None,
    reuse_encoder_from: Path | None = None,
    note: str = "",
) -> artefact.Artefact:
    """Train on `examples` and write the model folder `out`.

    Operating points per language are chosen on `calibration` (the independent set's
    calibration part); `heldout` and `independent_test` are only measured and reported.
    """
    config = config or TrainConfig()
    require_both_classes(examples)
    version = version or f"signaal-{dt.datetime.now(dt.UTC):%Y%m%d-%H%M%S}"
    texts = wrappers.own_words([e.text for e in examples])  # the words scoring reads (model.py)
    y = np.array([e.label for e in examples])
    weights = np.array([e.weight for e in examples], dtype=np.float64)
    # Fine-tuning tunes copies of one published encoder: loaded once for the model and every fold.
    base = base_encoder(config) if config.finetune is not None else None
    encoder = prepare_encoder(out, config, reuse_from=reuse_encoder_from, rows=(texts, y, weights), base=base)
    windows = neutral_windows(texts, y, encoder)
    originals = len(texts)
    groups = np.concatenate([np.arange(originals), [source for source, _ in windows]]).astype(int)
    texts = [*texts, *(window for _, window in windows)]
    y = np.concatenate([y, np.zeros(len(windows), dtype=y.dtype)])
    weights = np.concatenate([weights, weights[[source for source, _ in windows]]])
    embeddings = embed(encoder, texts, progress=config.progress, cache=config.finetune is None)
    oof_full, oof_first = out_of_fold(
        texts,
        embeddings if config.finetune is None else None,
        y,
        config,
        weights=weights,
        base=base,
        groups=groups,
    )
    # Thresholds come from the messages themselves, not from the extra windows.
    oof_full, oof_first, y_messages = oof_full[:originals], oof_first[:originals], y[:originals]
    threshold = threshold_for_recall(y_messages, oof_full, config.recall_target)
    high = threshold_for_precision(y_messages, oof_full, config.high_precision, floor=threshold)
    cutoff = first_pass_cutoff(y_messages, oof_first, threshold, config.first_pass_max_recall_loss)

    ngrams = Ngrams.fit(texts, config.ngrams)
    grams = ngrams.transform(texts)
    head = fit_head(grams, embeddings, y, config.C, weights)
    first_head = fit_head(grams, None, y, config.C, weights)
    arrays = {
        "coef": head.coef_.ravel().astype(np.float32),
        "intercept": head.intercept_.astype(np.float32),
        "idf_char": ngrams.idf_char,
        "idf_word": ngrams.idf_word,
        "first_pass_coef": first_head.coef_.ravel().astype(np.float32),
        "first_pass_intercept": first_head.intercept_.astype(np.float32),
        "embedding_mean": embeddings.mean(axis=0).astype(np.float32),
    }
    metrics: dict[str, Any] = {
        "cv": {"folds": config.folds, **evaluate.summary(y_messages, oof_full, threshold)},
        "cv_first_pass_settled_share": float(np.mean(oof_first < cutoff)) if cutoff is not None else 0.0,
    }
    manifest: dict[str, Any] = {
        "version": version,
        "created": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
        "encoder": {
            **config.encoder.to_json(),
            "runtime": "onnx-int8",
            "file": ENCODER_FILE,
            "tokenizer": TOKENIZER_FILE,
            "dim": encoder.dim,
            "finetune": None if config.finetune is None else config.finetune.to_json(),
        },
        "ngrams": config.ngrams.to_json(),
        "head": {"kind": "logistic-regression", "C": config.C, "class_weight": "balanced"},
        "threshold": math.floor(threshold * 1e6) / 1e6,  # rounding up could lose a complaint
        "high_threshold": round(high, 6),
        "recall_target": config.recall_target,
        "first_pass": {"cutoff": None if cutoff is None else round(cutoff, 6)},
        "long_texts": {"max_encoded_windows": chunks.MAX_ENCODED_WINDOWS},
        "metrics": metrics,
        "training": {
            "rows": len(examples),
            "positives": int(y.sum()),
            "neutral_windows": len(windows),
            "sources": sorted({e.source for e in examples}),
            "note": note,
        },
        "extra_files": [ENCODER_FILE, TOKENIZER_FILE],
    }
    saved = artefact.save(out, manifest, arrays)
    if heldout:
        from services.classifier.model import Classifier

        classifier = Classifier(saved, threads=config.threads)
        report = evaluate.evaluate(classifier, heldout, progress=config.progress)
        manifest["metrics"] = {**metrics, "heldout": report}
        saved = artefact.save(out, manifest, arrays)
    if calibration or independent_test:
        return calibrate(out, calibration, independent_test, config=config)
    card.write(out, saved.manifest)
    return saved


def calibrate(
    model_dir: Path,
    calibration: Sequence[Example],
    independent_test: Sequence[Example] = (),
    *,
    config: TrainConfig | None = None,
) -> artefact.Artefact:
    """Choose a model's operating points per language on `calibration`; report `independent_test`.

    Only the manifest (and the model card) change: the head stays as trained, so an organisation
    can calibrate a model on its own labelled mail (`signaal model calibrate`).
    """
    from services.classifier.model import Classifier

    config = config or TrainConfig()
    model = artefact.load(model_dir)
    manifest = {k: v for k, v in model.manifest.items() if k not in ("files", "format")}
    manifest["extra_files"] = [name for name in model.manifest["files"] if name != artefact.HEAD]
    arrays = dict(model.arrays)
    metrics = dict(manifest.get("metrics", {}))
    classifier = Classifier(model, threads=config.threads)
    if calibration:
        scores = evaluate.score_examples(classifier, calibration, progress=config.progress)
        manifest["operating_points"] = calibration_points.operating_points(
            calibration,
            scores,
            recall_target=config.calibration_recall_target,
            high_precision=config.high_precision,
        )
        classifier = Classifier(artefact.save(model_dir, manifest, arrays), threads=config.threads)
        metrics["calibration"] = measured(classifier, calibration, progress=config.progress)
    if independent_test:
        metrics["independent_test"] = measured(classifier, independent_test, progress=config.progress)
    manifest["metrics"] = metrics
    saved = artefact.save(model_dir, manifest, arrays)
    card.write(model_dir, saved.manifest)
    return saved


def measured(classifier: Any, examples: Sequence[Example], *, progress: bool = True) -> dict[str, Any]:
    """How the classifier does on `examples` as the stage decides (operating point per language)."""
    verdicts = []
    for start in tqdm(range(0, len(examples), 64), desc="measuring", disable=not progress, leave=False):
        verdicts += classifier.score([e.text for e in examples[start : start + 64]])
    scores = np.array([v.probability for v in verdicts])
    # Precision is about complaint flags; unreadable text goes to a person too, and is counted apart.
    flags = [v.flagged and v.band != Band.unreadable for v in verdicts]
    report = calibration_points.report(examples, flags, scores)
    report["unreadable"] = sum(v.band == Band.unreadable for v in verdicts)
    return report
