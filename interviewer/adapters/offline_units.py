"""Gradable units of an answer for the offline judge: sentences, windows, content words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.core.text import (
    STOPWORDS,
    Span,
    content_stems,
    injected_sentences,
    is_term_list,
    split_sentences,
    stem,
    windows,
    words,
    wordset,
)

# Words about the exchange itself: they add no content to a restated question.
META_STEMS = frozenset(stem(w) for w in wordset("question asked ask answer about topic means"))
WINDOW_SIZES = (2, 3)


@dataclass(frozen=True, slots=True)
class Units:
    """Gradable pieces of an answer: sentences then windows, minus instructions to the grader."""

    spans: tuple[Span, ...]
    n_sentences: int  # spans[:n_sentences] are the sentences
    usable: np.ndarray  # bool per span: says more than the question does
    relational: np.ndarray  # bool per span: states a relation (not a bare term list)
    sentence_words: tuple[tuple[str, ...], ...]  # content words per sentence
    injected: bool


def restates_question(text: str, question_stems: set[str]) -> bool:
    """True when a unit has content words and none is new: it only restates the question."""
    own = set(content_stems(text)) - META_STEMS
    return bool(own) and own <= question_stems


def _content_words(text: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys(w for w in words(text) if w not in STOPWORDS and len(w) > 1))


def answer_units(answer: str, question: str) -> Units:
    """Split an answer into sentences and sliding windows; drop injected sentences."""
    sentences = split_sentences(answer)
    injected = set(injected_sentences(answer, sentences))
    clean = [s for s in sentences if (s.start, s.end) not in injected]
    units = list(clean)
    for size in WINDOW_SIZES:
        units.extend(windows(answer, clean, size))
    q_stems = set(content_stems(question))
    usable = np.array([not restates_question(u.text, q_stems) for u in units], dtype=bool)
    relational = np.array([not is_term_list(u.text) for u in units], dtype=bool)
    return Units(tuple(units), len(clean), usable, relational,
                 tuple(_content_words(s.text) for s in clean), bool(injected))


def term_coverage(terms: tuple[str, ...], stems: frozenset[str]) -> float:
    if not terms:
        return 0.0
    hits = sum(all(stem(w) in stems for w in t.split()) for t in terms)
    return hits / len(terms)
