"""Practice questions for a gap: the concept index's best card per question, fused with BM25 over
each question's rubric (issue 21; measured in docs/grading.md).

The embedding alone ranks questions that share words with the gap's statement ("memory", "batch")
above the ones that need the concept; the rubric's own terms ("master weights", "online softmax",
"copy-on-write") separate them. Both scores are standardised over the bank and added.
"""

from __future__ import annotations

import math
from collections import Counter
from collections.abc import Sequence

import numpy as np

from interviewer.core.models import Question
from interviewer.core.text import content_stems

LEXICAL_WEIGHT = 1.0  # BM25's share against the embedding's (both standardised); chosen on dev


class Bm25:
    """Okapi BM25 over a fixed set of documents, on the judge's content stems."""

    def __init__(self, docs: Sequence[str], k1: float = 1.2, b: float = 0.75) -> None:
        self.docs = [Counter(content_stems(d)) for d in docs]
        self.lengths = np.array([sum(d.values()) for d in self.docs], dtype=np.float64)
        self.avg = float(self.lengths.mean()) if len(self.docs) else 0.0
        self.k1, self.b = k1, b
        df = Counter(t for d in self.docs for t in d)
        n = len(self.docs)
        self.idf = {t: math.log(1 + (n - m + 0.5) / (m + 0.5)) for t, m in df.items()}

    def scores(self, query: str) -> np.ndarray:
        """One score per document; each distinct query stem counts once."""
        terms = set(content_stems(query))
        out = np.zeros(len(self.docs), dtype=np.float64)
        for i, doc in enumerate(self.docs):
            norm = self.k1 * (1 - self.b + self.b * self.lengths[i] / self.avg)
            out[i] = sum(self.idf[t] * f * (self.k1 + 1) / (f + norm)
                         for t in terms if (f := doc.get(t, 0)))
        return out


def question_document(q: Question) -> str:
    """What BM25 reads of a question: its text and every criterion's concept, statement and terms."""
    crits = q.rubric.criteria if q.rubric else ()
    return " ".join([q.text, *(f"{c.concept}. {c.statement} {' '.join(c.key_terms)}" for c in crits)])


def standardised(x: np.ndarray) -> np.ndarray:
    sd = float(x.std())
    return (x - x.mean()) / sd if sd > 0 else np.zeros_like(x)


def fuse(dense: np.ndarray, lexical: np.ndarray) -> np.ndarray:
    """Standardised embedding score plus LEXICAL_WEIGHT times standardised BM25, per question."""
    return standardised(dense) + LEXICAL_WEIGHT * standardised(lexical)
