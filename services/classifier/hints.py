"""Department hints for the router: which configured departments a message resembles most.

Two similarities, averaged: the cosine of the hashed n-gram vectors (works in any
language, catches "container", "parkeervergunning") and the cosine of the centred
encoder embeddings (catches paraphrase). A department's text is its name,
description and keywords; a keyword that occurs in the message adds a bonus.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
from scipy import sparse

TOP = 3
KEYWORD_BONUS = 0.1


@dataclass(frozen=True)
class DepartmentText:
    name: str
    description: str = ""
    keywords: tuple[str, ...] = ()

    @property
    def text(self) -> str:
        return ". ".join(part for part in (self.name, self.description, ", ".join(self.keywords)) if part)


def rank(
    message_ngrams: sparse.csr_matrix,
    message_embeddings: np.ndarray,
    texts: Sequence[str],
    departments: Sequence[DepartmentText],
    department_ngrams: sparse.csr_matrix,
    department_embeddings: np.ndarray,
) -> list[list[dict[str, object]]]:
    """For each message, the top departments with scores in [0, 1], best first."""
    if not departments:
        return [[] for _ in texts]
    ngram_similarity = _row_normalise(message_ngrams) @ _row_normalise(department_ngrams).T
    embedding_similarity = _unit(message_embeddings) @ _unit(department_embeddings).T
    combined = 0.5 * ngram_similarity.toarray() + 0.5 * np.clip(embedding_similarity, 0, None)
    patterns = [_keyword_patterns(d.keywords) for d in departments]
    result = []
    for row, text in enumerate(texts):
        scores = combined[row].copy()
        for column, keyword_patterns in enumerate(patterns):
            hits = sum(1 for pattern in keyword_patterns if pattern.search(text))
            scores[column] += KEYWORD_BONUS * min(hits, 3)
        best = np.argsort(-scores, kind="stable")[:TOP]
        result.append(
            [
                {"department": departments[i].name, "score": round(float(min(scores[i], 1.0)), 3)}
                for i in best
                if scores[i] > 0
            ]
        )
    return result


def _keyword_patterns(keywords: Sequence[str]) -> list[re.Pattern[str]]:
    return [re.compile(rf"\b{re.escape(k.strip())}", re.IGNORECASE) for k in keywords if k.strip()]


def _row_normalise(matrix: sparse.csr_matrix) -> sparse.csr_matrix:
    norms = np.sqrt(np.asarray(matrix.multiply(matrix).sum(axis=1)).ravel())
    norms[norms == 0] = 1.0
    return sparse.diags(1.0 / norms).dot(matrix).tocsr()


def _unit(matrix: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return matrix / norms
