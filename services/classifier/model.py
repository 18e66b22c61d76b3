"""The trained classifier: load a model folder, score texts, explain, detect language, hint departments.

Scoring one batch:
0. each text loses what its writer did not write for it (wrappers.py: greeting, sign-off,
   signature, disclaimer, quoted and forwarded mail); text that is not readable language
   (readable.py) gets the band `unreadable` instead of a score-based flag;
1. texts seen before (same sha256) come from a small in-process cache;
2. each text is cut into sentence windows (chunks.py), and one n-gram pass reads them all;
3. a cheap first pass (n-gram head only, no encoder) settles messages it is very sure
   are not complaints, when the model was trained with one (see train.py for how its
   cut-off keeps recall);
4. the rest go through the encoder window by window, in rounds, most suspicious window
   first (chunks.encoding_order), one text per encoder run; a message scores the maximum
   over the windows read, and stops once it reaches the `high` band or its budget;
5. flagged messages get their driving phrases (explain.py).
"""

from __future__ import annotations

import hashlib
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
from scipy import sparse

from services.classifier import artefact, chunks, explain, hints, language, readable, wrappers
from services.classifier.encoder import Encoder, EncoderSpec, OnnxEncoder, TorchEncoder, window_tokens
from services.classifier.exceptions import ModelArtefactError
from services.classifier.features import NgramConfig, Ngrams
from shared.states import Band

CACHE_SIZE = 4096


@dataclass
class Verdict:
    probability: float
    flagged: bool
    band: str  # high, possible, none, unreadable
    threshold: float
    model_version: str
    language: str | None = None
    phrases: list[dict[str, object]] = field(default_factory=list)
    department_hints: list[dict[str, object]] = field(default_factory=list)
    settled_by_first_pass: bool = False

    def to_json(self) -> dict[str, Any]:
        return {
            "decision": "flag" if self.flagged else "pass",
            "score": round(self.probability, 4),
            "band": self.band,
            "threshold": self.threshold,
            "language": self.language,
            "phrases": self.phrases,
            "department_hints": self.department_hints,
            "model_version": self.model_version,
        }


@dataclass
class _Plan:
    """One message on its way through the encoder: its windows, those still to encode, the best so far."""

    index: int
    windows: list[chunks.Span]
    rows: np.ndarray = field(default_factory=lambda: np.zeros(0, dtype=int))  # its windows' n-gram rows
    candidates: list[int] = field(default_factory=list)  # windows still to encode, in order
    best: _Scored | None = None

    def open(self, high: float) -> bool:
        return bool(self.candidates) and (self.best is None or self.best.probability < high)


@dataclass
class _Scored:
    """What the cache keeps per text: the score, the window that gave it, and a vector for hints."""

    probability: float
    window: chunks.Span
    embedding: np.ndarray
    first_pass: bool


class Classifier:
    def __init__(self, model: artefact.Artefact, *, threads: int = 2, allow_download: bool = False) -> None:
        self.artefact = model
        manifest = model.manifest
        self.version = model.version
        self.spec = EncoderSpec.from_json(manifest["encoder"])
        arrays = model.arrays
        self.ngrams = Ngrams(
            NgramConfig.from_json(manifest["ngrams"]), arrays["idf_char"], arrays["idf_word"]
        )
        self.coef = arrays["coef"].astype(np.float32)
        self.intercept = float(arrays["intercept"].ravel()[0])
        self.first_pass_coef = arrays["first_pass_coef"].astype(np.float32)
        self.first_pass_intercept = float(arrays["first_pass_intercept"].ravel()[0])
        self.embedding_mean = arrays["embedding_mean"].astype(np.float32)
        self.threshold = float(manifest["threshold"])
        self.high_threshold = float(manifest["high_threshold"])
        # Thresholds per language (chosen on the independent calibration part); others use the global one.
        self.operating_points: dict[str, tuple[float, float]] = {
            code: (float(point["threshold"]), float(point["high_threshold"]))
            for code, point in (manifest.get("operating_points") or {}).items()
        }
        self.first_pass_cutoff: float | None = (manifest.get("first_pass") or {}).get("cutoff")
        self.max_encoded_windows = int(
            (manifest.get("long_texts") or {}).get("max_encoded_windows", chunks.MAX_ENCODED_WINDOWS)
        )
        self.encoder = _open_encoder(model, self.spec, threads=threads, allow_download=allow_download)
        if self.encoder.dim != int(manifest["encoder"]["dim"]):
            raise ModelArtefactError(
                f"{model.path}: the encoder gives {self.encoder.dim} features, the head expects "
                f"{manifest['encoder']['dim']}; the encoder and the head do not belong together."
            )
        from tokenizers import Tokenizer

        self._tokenizer = Tokenizer.from_file(str(self.encoder.tokenizer_file()))
        self._tokenizer.no_truncation()
        self._tokenizer.no_padding()
        self._window_tokens = window_tokens(self.spec, self._tokenizer)
        self._cache: OrderedDict[str, _Scored] = OrderedDict()
        self._departments: tuple[tuple[hints.DepartmentText, ...], Any, Any] | None = None

    @classmethod
    def load(cls, path: Path, *, threads: int = 2, allow_download: bool = False) -> Classifier:
        return cls(artefact.load(path), threads=threads, allow_download=allow_download)

    # --- scoring --------------------------------------------------------------------

    def score(
        self,
        texts: Sequence[str],
        *,
        threshold: float | None = None,
        departments: Sequence[hints.DepartmentText] = (),
        batch_size: int = 64,
        explain_all: bool = False,
    ) -> list[Verdict]:
        """One verdict per text; `threshold` overrides the model's (per organisation, all languages)."""
        views = [wrappers.own_text(text) for text in texts]
        own = [view.text for view in views]
        languages = [language.detect(text) for text in own]
        points = [self.operating_point(code, threshold) for code in languages]
        scored = self._probabilities(own, threshold=min(cut for cut, _ in points), batch_size=batch_size)
        garbled = [readable.unreadable(text) for text in own]
        explained = [
            i
            for i, r in enumerate(scored)
            if not garbled[i] and (explain_all or r.probability >= points[i][0])
        ]
        rows = self.ngrams.transform([scored[i].window.of(own[i]) for i in explained]) if explained else None
        row_of = {i: n for n, i in enumerate(explained)}
        verdicts = []
        for i, result in enumerate(scored):
            cut, high = points[i]
            flagged = garbled[i] or result.probability >= cut
            band = Band.high if result.probability >= high else Band.possible if flagged else Band.none
            verdict = Verdict(
                probability=result.probability,
                flagged=flagged,
                band=Band.unreadable if garbled[i] else band,
                threshold=cut,
                model_version=self.version,
                language=None if garbled[i] else languages[i],
                settled_by_first_pass=result.first_pass,
            )
            if i in row_of and rows is not None:
                found = explain.phrases(
                    own[i], result.window.start, result.window.end, self.ngrams, self.coef, rows[row_of[i]]
                )
                verdict.phrases = _in_original(found, views[i], texts[i])
            verdicts.append(verdict)
        if departments:
            for verdict, ranked in zip(verdicts, self._hints(own, scored, departments), strict=True):
                verdict.department_hints = ranked
        return verdicts

    def operating_point(self, code: str | None, threshold: float | None = None) -> tuple[float, float]:
        """(threshold, high threshold) for a language; an organisation's own threshold wins."""
        cut, high = self.operating_points.get(code or "", (self.threshold, self.high_threshold))
        if threshold is not None:
            cut = float(threshold)
        return cut, max(high, cut)

    def probabilities(
        self, texts: Sequence[str], *, threshold: float | None = None, batch_size: int = 64
    ) -> list[_Scored]:
        """Score per text (its own words, cached by their hash), without explanations."""
        own = [wrappers.own_text(text).text for text in texts]
        if threshold is None and self.operating_points:
            threshold = min(self.threshold, *(cut for cut, _ in self.operating_points.values()))
        return self._probabilities(own, threshold=threshold, batch_size=batch_size)

    def _probabilities(
        self, texts: Sequence[str], *, threshold: float | None = None, batch_size: int = 64
    ) -> list[_Scored]:
        keys = [hashlib.sha256(t.encode("utf-8", "surrogatepass")).hexdigest() for t in texts]
        todo = sorted(
            {k: i for i, k in enumerate(keys) if k not in self._cache}.items(), key=lambda kv: kv[1]
        )
        fresh = self._score_uncached([texts[i] for _, i in todo], threshold, batch_size)
        for (key, _), result in zip(todo, fresh, strict=True):
            self._cache[key] = result
            if len(self._cache) > CACHE_SIZE:
                self._cache.popitem(last=False)
        results = []
        for key in keys:
            self._cache.move_to_end(key)
            results.append(self._cache[key])
        return results

    def _score_uncached(
        self, texts: Sequence[str], threshold: float | None, batch_size: int
    ) -> list[_Scored]:
        if not texts:
            return []
        plans, whole_grams, grams = self._read(texts)
        first = self._first_pass(whole_grams)
        cutoff = self.first_pass_cutoff
        cut = self.threshold if threshold is None else threshold
        # The first pass only settles negatives, and never at a cut-off above the decision threshold.
        screen = cutoff if cutoff is not None and cutoff < cut else None
        window_first = self._first_pass(grams)
        open_plans = []
        for plan in plans:
            if screen is not None and first[plan.index] < screen:
                whole = chunks.Span(0, len(texts[plan.index]))
                plan.best = _Scored(float(first[plan.index]), whole, np.zeros(0, np.float32), True)
            else:
                plan.candidates = chunks.encoding_order(
                    window_first[plan.rows], screen, self.max_encoded_windows
                )
                open_plans.append(plan)
        # Rounds: each encodes the next candidate window of every message still undecided. A message
        # is decided once a window reaches the `high` band (more windows cannot change its decision
        # or band), when its candidates run out, or at the window budget.
        high = max(self.high_threshold, cut)
        for _ in range(self.max_encoded_windows):
            todo = [(plan, plan.candidates.pop(0)) for plan in open_plans if plan.open(high)]
            if not todo:
                break
            pieces = [plan.windows[n].of(texts[plan.index]) for plan, n in todo]
            embeddings = self.encoder.encode(pieces, batch_size=batch_size)
            rows = [plan.rows[n] for plan, n in todo]
            probabilities = self._full_head(grams[rows], embeddings)
            for (plan, n), probability, embedding in zip(todo, probabilities, embeddings, strict=True):
                if plan.best is None or probability > plan.best.probability:
                    plan.best = _Scored(float(probability), plan.windows[n], embedding, False)
        return [plan.best for plan in plans if plan.best is not None]

    def _read(self, texts: Sequence[str]) -> tuple[list[_Plan], sparse.csr_matrix, sparse.csr_matrix]:
        """Each text's windows, and n-gram features of every whole text and of every window.

        One n-gram pass over the windows: a text's n-gram counts are the sum of its windows'
        (windows split at white space; only word pairs across a window boundary are lost), so
        the whole text is read once and the first pass still sees all of it.
        """
        totals = self._count_tokens(texts)
        plans = [
            _Plan(i, chunks.windows(text, self._window_tokens, self._count_tokens, total=total))
            for i, (text, total) in enumerate(zip(texts, totals, strict=True))
        ]
        counts = self.ngrams.counts([w.of(texts[plan.index]) for plan in plans for w in plan.windows])
        starts = np.cumsum([0, *(len(plan.windows) for plan in plans)])
        for plan in plans:
            plan.rows = np.arange(starts[plan.index], starts[plan.index + 1])
        owner = np.repeat(np.arange(len(plans)), np.diff(starts))
        ones = np.ones(len(owner), np.float32)
        sums = sparse.csr_matrix((ones, (owner, np.arange(len(owner)))), shape=(len(plans), len(owner)))
        return plans, self.ngrams.weigh(sums @ counts), self.ngrams.weigh(counts)

    def _first_pass(self, grams: sparse.csr_matrix) -> np.ndarray:
        return _sigmoid(grams @ self.first_pass_coef + self.first_pass_intercept)

    def _full_head(self, grams: sparse.csr_matrix, embeddings: np.ndarray) -> np.ndarray:
        n_features = self.ngrams.dim
        logits = grams @ self.coef[:n_features] + embeddings @ self.coef[n_features:] + self.intercept
        return _sigmoid(np.asarray(logits).ravel())

    def _count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._tokenizer.encode_batch(list(texts), add_special_tokens=False)]

    # --- department hints -------------------------------------------------------------

    def hints_for(
        self, texts: Sequence[str], departments: Sequence[hints.DepartmentText]
    ) -> list[list[dict[str, object]]]:
        """Department hints for texts (scores come from the cache when the texts were just scored)."""
        if not departments or not texts:
            return [[] for _ in texts]
        own = [wrappers.own_text(text).text for text in texts]
        return self._hints(own, self._probabilities(own), departments)

    def _hints(
        self, texts: Sequence[str], scored: Sequence[_Scored], departments: Sequence[hints.DepartmentText]
    ) -> list[list[dict[str, object]]]:
        key = tuple(departments)
        if self._departments is None or self._departments[0] != key:
            department_texts = [d.text for d in departments]
            self._departments = (
                key,
                self.ngrams.transform(department_texts),
                self.encoder.encode(department_texts) - self.embedding_mean,
            )
        _, department_ngrams, department_embeddings = self._departments
        embeddings = np.stack(
            [
                s.embedding if s.embedding.size else self.encoder.encode([s.window.of(t)])[0]
                for s, t in zip(scored, texts, strict=True)
            ]
        )
        return hints.rank(
            self.ngrams.transform(list(texts)),
            embeddings - self.embedding_mean,
            texts,
            departments,
            department_ngrams,
            department_embeddings,
        )


def _open_encoder(
    model: artefact.Artefact, spec: EncoderSpec, *, threads: int, allow_download: bool
) -> Encoder:
    encoder = model.manifest["encoder"]
    if encoder.get("runtime") == "onnx-int8":
        return OnnxEncoder(
            model.file(encoder["file"]), model.file(encoder["tokenizer"]), spec, threads=threads
        )
    return TorchEncoder(spec, threads=threads, allow_download=allow_download)


def _in_original(
    phrases: list[dict[str, object]], view: wrappers.View, original: str
) -> list[dict[str, object]]:
    """Phrase offsets from the scored own words, moved to the same words in the original text."""
    if not view.stripped:
        return phrases
    moved = []
    for phrase in phrases:
        start, end = view.to_original(int(phrase["start"]), int(phrase["end"]))  # type: ignore[call-overload]
        moved.append({**phrase, "start": start, "end": end, "text": original[start:end]})
    return moved


def _sigmoid(x: np.ndarray | sparse.spmatrix) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-np.clip(np.asarray(x, dtype=np.float64).ravel(), -30, 30)))
