"""Language-independent features: hashed character and word n-grams weighted by a stored IDF.

Hashing (instead of a fitted vocabulary) keeps the artefact to two IDF vectors and
makes every n-gram's column computable from the n-gram itself, which is what lets
explain.py map the head's weights back onto spans of the text.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy import sparse
from sklearn.feature_extraction.text import HashingVectorizer
from sklearn.utils import murmurhash3_32

WORD_PATTERN = r"(?u)\b\w\w+\b"  # scikit-learn's default token pattern, used for the spans too


@dataclass(frozen=True)
class NgramConfig:
    char_range: tuple[int, int] = (2, 5)
    word_range: tuple[int, int] = (1, 2)
    n_features: int = 2**18  # per block (char, word)

    def to_json(self) -> dict[str, Any]:
        return {
            "char_range": list(self.char_range),
            "word_range": list(self.word_range),
            "n_features": self.n_features,
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> NgramConfig:
        return cls(
            char_range=(int(data["char_range"][0]), int(data["char_range"][1])),
            word_range=(int(data["word_range"][0]), int(data["word_range"][1])),
            n_features=int(data["n_features"]),
        )


class Ngrams:
    """Sublinear TF × IDF over hashed char_wb and word n-grams, each block L2-normalised."""

    def __init__(self, config: NgramConfig, idf_char: np.ndarray, idf_word: np.ndarray) -> None:
        self.config = config
        self.idf_char = idf_char.astype(np.float32)
        self.idf_word = idf_word.astype(np.float32)
        common = {"n_features": config.n_features, "alternate_sign": False, "norm": None, "dtype": np.float32}
        self.char = HashingVectorizer(analyzer="char_wb", ngram_range=config.char_range, **common)
        self.word = HashingVectorizer(
            analyzer="word", ngram_range=config.word_range, token_pattern=WORD_PATTERN, **common
        )

    @property
    def dim(self) -> int:
        return 2 * self.config.n_features

    @classmethod
    def fit(cls, texts: Sequence[str], config: NgramConfig | None = None) -> Ngrams:
        """Learn the IDF vectors from `texts` (smoothed, as scikit-learn's TfidfTransformer)."""
        config = config or NgramConfig()
        empty = np.ones(config.n_features, dtype=np.float32)
        model = cls(config, empty, empty)
        n = len(texts)
        idfs = []
        for vectorizer in (model.char, model.word):
            counts = vectorizer.transform(texts)
            df = np.bincount(counts.indices, minlength=config.n_features)
            idfs.append((np.log((1 + n) / (1 + df)) + 1).astype(np.float32))
        return cls(config, idfs[0], idfs[1])

    def transform(self, texts: Sequence[str]) -> sparse.csr_matrix:
        return self.weigh(self.counts(texts))

    def counts(self, texts: Sequence[str]) -> sparse.csr_matrix:
        """Raw hashed n-gram counts [char ‖ word]; rows of parts of a text add up to the whole text's."""
        return sparse.hstack(
            [self.char.transform(texts), self.word.transform(texts)], format="csr", dtype=np.float32
        )

    def weigh(self, counts: sparse.csr_matrix) -> sparse.csr_matrix:
        """Counts as features: sublinear TF × IDF, each block L2-normalised."""
        n = self.config.n_features
        blocks = [_weigh(counts[:, :n], self.idf_char), _weigh(counts[:, n:], self.idf_word)]
        return sparse.hstack(blocks, format="csr", dtype=np.float32)

    def char_column(self, ngram: str) -> int:
        return abs(murmurhash3_32(ngram, seed=0)) % self.config.n_features

    def word_column(self, ngram: str) -> int:
        return self.config.n_features + abs(murmurhash3_32(ngram, seed=0)) % self.config.n_features


def _weigh(counts: sparse.csr_matrix, idf: np.ndarray) -> sparse.csr_matrix:
    counts = counts.tocsr().astype(np.float32)
    counts.data = (1.0 + np.log(counts.data)) * idf[counts.indices]
    norms = np.sqrt(np.asarray(counts.multiply(counts).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(counts).tocsr()
