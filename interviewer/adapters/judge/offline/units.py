"""Gradable units of an answer for the offline judge: sentences, windows, content words."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from interviewer.core.injection import injected_sentences
from interviewer.core.ports import TokenVectors, Vectors
from interviewer.core.text import (
    STOPWORDS,
    VERBISH,
    Span,
    content_stems,
    is_term_list,
    split_sentences,
    stem,
    windows,
    words,
    wordset,
)

# Words about the exchange itself, and filler that says nothing ('a big issue', 'matters a lot'):
# they add no content to a restated question.
META_STEMS = frozenset(stem(w) for w in wordset(
    "question asked ask answer about topic means important issue problem matter matters big lot "
    "really basically way ways thing things people property point change changes address "
    "addresses naive naively proposed newer reason good help helps work works basic main key "
    "interesting discuss discussed talk consider considered case cases aspect aspects"))
# A unit restates the question when at least this share of its content words is the question's
# and it adds at most RESTATE_NEW words of its own.
RESTATE_SHARE, RESTATE_NEW, RESTATE_MIN = 0.75, 2, 5
# An answer of at least RESTATED_WORDS words less than RESTATED_NEW of whose content words are not
# the question's restates it as a whole, though each sentence adds a word or two of its own.
# Measured (docs/grading.md, "Tenth session"): the dev set's restatements 0.12-0.47, its other
# answers from 0.62, ASAG dev answers of 40+ words from 0.60, the bank's sample answers from 0.79.
# A shorter answer is not judged so: one new word may be its whole answer ('by reference').
RESTATED_WORDS, RESTATED_NEW = 40, 0.5
LIST_MIN_TERMS = 3  # short verbless sentences that make an answer a list laid out one per line
# Laid out as a list, an answer with more than LIST_CLAIMS_RATIO terms per sentence that states a
# relation is a list as a whole: its few claims do not lift the term-list cap for every criterion.
LIST_CLAIMS_RATIO = 3
FRAGMENT_WORDS = 6  # at most this many words and no verb-like word: a term, not a claim
WINDOW_SIZES: tuple[int, ...] = (2, 3)


@dataclass(frozen=True, slots=True)
class Units:
    """Gradable pieces of an answer: sentences then windows, minus instructions to the grader."""

    spans: tuple[Span, ...]
    n_sentences: int  # spans[:n_sentences] are the sentences
    usable: np.ndarray  # bool per span: says more than the question does
    relational: np.ndarray  # bool per span: states a relation (not a bare term list)
    sentence_words: tuple[tuple[str, ...], ...]  # content words per sentence
    injected: bool
    restated: bool = False  # the answer as a whole restates the question (`restates_as_a_whole`)


def restates_question(text: str, question_stems: set[str]) -> bool:
    """True when a unit's content words are (nearly) all the question's: it restates it. So does a
    unit without a content word whose other words, function words aside, are all the question's
    ('When does each help?' for a question that asks it); a lone word of its own ('main', 'one')
    may be the answer."""
    own = set(content_stems(text)) - META_STEMS
    if not own:
        toks = [w for w in words(text) if w not in STOPWORDS]
        return bool(toks) and all(stem(w) in question_stems for w in toks)
    new = own - question_stems
    return not new or (len(own) >= RESTATE_MIN and len(new) <= RESTATE_NEW
                       and 1 - len(new) / len(own) >= RESTATE_SHARE)


def restates_as_a_whole(answer: str, question_stems: set[str]) -> bool:
    """True for a long answer most of whose content words are the question's (RESTATED_NEW)."""
    own = set(content_stems(answer)) - META_STEMS
    if len(words(answer)) < RESTATED_WORDS or not own:
        return False
    return len(own - question_stems) < RESTATED_NEW * len(own)


def is_fragment(text: str) -> bool:
    """A short sentence without a verb-like word: a term, not a claim ('Cumulative probability.')."""
    toks = words(text)
    return len(toks) <= FRAGMENT_WORDS and not any(t in VERBISH for t in toks)


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
    # Short verbless sentences are terms laid out one per sentence or line when the answer is
    # mostly made of them (one terse sentence in an answer is an answer, not a list).
    frag = [is_fragment(s.text) and any(ch.isalpha() for ch in s.text) for s in clean]  # not '3.'
    listed = sum(frag) >= LIST_MIN_TERMS and 2 * sum(frag) >= len(clean)
    # A window states a relation only if one of its own sentences does: a term, a restated
    # question and a list, run together, are still no claim. (units[:len(clean)] are the sentences.)
    sentence_ok = [bool(usable[i]) and not is_term_list(s.text) and not (listed and frag[i])
                   for i, s in enumerate(clean)]
    if listed and LIST_CLAIMS_RATIO * sum(sentence_ok) < sum(frag):
        sentence_ok = [False] * len(clean)  # a stray clause in a list ('Weights are read once.')

    def some_sentence_ok(u: Span) -> bool:
        return any(ok for s, ok in zip(clean, sentence_ok, strict=True)
                   if u.start <= s.start and s.end <= u.end)

    relational = np.array([not is_term_list(u.text) and some_sentence_ok(u) for u in units],
                          dtype=bool)
    return Units(tuple(units), len(clean), usable, relational,
                 tuple(_content_words(s.text) for s in clean), bool(injected),
                 restates_as_a_whole(" ".join(s.text for s in clean), q_stems))


def term_coverage(terms: tuple[str, ...], stems: frozenset[str]) -> float:
    if not terms:
        return 0.0
    hits = sum(all(stem(w) in stems for w in t.split()) for t in terms)
    return hits / len(terms)


@dataclass(frozen=True, slots=True)
class Embedded:
    """Vectors of one grade: answer units, the question, and the fixed texts."""

    units: Vectors
    question: np.ndarray
    texts: dict[str, np.ndarray]
    statement_tokens: dict[str, np.ndarray]  # criterion id -> its content tokens' vectors
    sentence_tokens: list[np.ndarray]  # per answer sentence, its word-piece vectors
    question_tokens: np.ndarray  # the question's word-piece vectors


def _is_content_token(token: str, skip: frozenset[str]) -> bool:
    bare = token.removeprefix("##")
    return any(ch.isalnum() for ch in bare) and bare not in STOPWORDS and token not in skip


def statement_tokens(tv: TokenVectors, question: frozenset[str]) -> np.ndarray:
    """Vectors of a statement's content word pieces that the question does not contain."""
    keep = [i for i, t in enumerate(tv.tokens) if _is_content_token(t, question)]
    keep = keep or [i for i, t in enumerate(tv.tokens) if any(ch.isalnum() for ch in t)]
    return np.asarray(tv.vectors[keep], dtype=np.float32)


def token_recall(statement: np.ndarray, sentences: list[np.ndarray]) -> float:
    """Mean over the statement's content tokens of their best cosine with a token of the sentences
    (contextual token matching, as in BERTScore recall)."""
    if not len(statement) or not sentences:
        return 0.0
    answer = np.concatenate(sentences)
    if not len(answer):
        return 0.0
    return float(np.mean(np.max(statement @ answer.T, axis=1)))
