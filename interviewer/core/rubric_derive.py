"""Offline rubric derivation: claims of a sample answer become weighted criteria."""

from __future__ import annotations

import itertools
import math
import re
from dataclasses import dataclass, field

import numpy as np

from interviewer.core.models import Criterion, Derivation, Rubric, answer_hash
from interviewer.core.ports import Encoder
from interviewer.core.text import (
    STOPWORDS,
    content_stems,
    is_relational,
    split_sentences,
    stem,
    words,
    wordset,
)

MAX_CRITERIA = 6
MERGE_SIMILARITY = 0.82
LONG_SENTENCE_WORDS = 22
MIN_CLAUSE_WORDS = 6
# A clause that opens with a connective and is this short ("so the student learns more from the
# same text") completes the claim before it: it is folded into that claim, not a criterion alone.
FRAGMENT_WORDS = 10
_FRAGMENT = re.compile(r"^(?:so|but|which|thus|hence|therefore|because|whereas|while|and)\b")

_CLAUSE_BREAK = re.compile(
    r";\s+|,\s+(?=(?:whereas|while|but|so|because|which means|thus|hence|therefore)\b)"
    r"|\s+(?=(?:whereas|because|so that)\b)|,\s+and\s+(?=(?:the|it|this|they|a|an)\b)",
    re.IGNORECASE,
)

_FLIPS: tuple[tuple[str, str], ...] = (
    ("increases", "decreases"), ("increase", "decrease"), ("larger", "smaller"),
    ("higher", "lower"), ("more", "less"), ("faster", "slower"), ("before", "after"),
    ("always", "never"), ("first", "last"), ("maximum", "minimum"), ("inside", "outside"),
    ("prevents", "causes"), ("reduces", "increases"), ("avoids", "requires"),
)
_NEGATION = re.compile(r"\b(?:not|no|never|none|cannot|without)\b|n't\b", re.IGNORECASE)
# Common verbs, adverbs and quantifiers: poor names for a concept.
_WEAK = wordset(
    """become becomes became make makes made keep keeps kept get gets got push pushes grow grows
    around extremely nearly called used using use uses need needs provide provides provided
    whenever both one two three many several different given every able way ways thing things
    important actual actually simply just really well good bad large small big new old certain"""
)
_NEGATABLE = re.compile(r"\b(is|are|can|does|do|will|must|should|has to|have to)\b(?! not)")


@dataclass
class _Claim:
    text: str
    terms: list[str]
    vector: np.ndarray
    info: float = 0.0
    parts: list[str] = field(default_factory=list)


def split_claims(sample_answer: str) -> list[str]:
    """Sentences of the sample answer, long compound sentences split into clauses."""
    claims: list[str] = []
    for sent in split_sentences(sample_answer):
        if len(words(sent.text)) < LONG_SENTENCE_WORDS:
            claims.append(sent.text)
            continue
        pieces = [p.strip(" ,;") for p in _CLAUSE_BREAK.split(sent.text)]
        good = [p for p in pieces if p]
        if len(good) > 1 and all(len(words(p)) >= MIN_CLAUSE_WORDS for p in good):
            claims.extend(good)
        else:
            claims.append(sent.text)
    return [c for c in claims if words(c)]


def key_terms(claim: str, question_text: str, limit: int = 6) -> list[str]:
    """Distinctive content words and bigrams of a claim: those the question does not contain."""
    q_stems = set(content_stems(question_text))
    toks = [w for w in words(claim) if len(w) > 1 and not w[0].isdigit()]
    seen: set[str] = set()
    out: list[str] = []
    for a, b in itertools.pairwise(toks):
        if a in STOPWORDS or b in STOPWORDS or not _alpha(a) or not _alpha(b):
            continue
        if (stem(a) in q_stems and stem(b) in q_stems) or a in _WEAK or b in _WEAK:
            continue
        bigram = f"{a} {b}"
        if bigram not in seen:
            seen.add(bigram)
            out.append(bigram)
    unigrams = [w for w in toks if w not in STOPWORDS and w not in _WEAK and stem(w) not in q_stems]
    unigrams.sort(key=lambda w: -len(w))
    for w in unigrams:
        if w not in seen and not any(w in b.split() for b in out[:2]):
            seen.add(w)
            out.append(w)
    return out[:limit]


def _alpha(word: str) -> bool:
    return word.replace("-", "").isalpha()


def _informativeness(claim: str, question_text: str) -> float:
    """How much a claim adds beyond the question: its distinctive content words, damped."""
    q_stems = set(content_stems(question_text))
    novel = {s for s in content_stems(claim) if s not in q_stems}
    return 1.0 + math.log1p(len(novel))


def _join(parts: list[str], sample: str) -> str:
    """Claims as one statement: the sample answer's own words between claims that follow each
    other in it ("A; so B"), a full stop between claims that do not."""
    out, at = "", 0
    for p in parts:
        k = sample.find(p, at)
        if out and k >= 0 and not sample[at:k].strip(" ,;:.!?\n\t"):
            out += sample[at:k] + p
        elif out:
            out = out.rstrip(" ,;:")
            out += ("" if out.endswith((".", "!", "?")) else ".") + " " + p[:1].upper() + p[1:]
        else:
            out = p
        if k >= 0:
            at = k + len(p)
    return out


def _merge(a: _Claim, b: _Claim, sample: str) -> _Claim:
    vec = a.vector + b.vector
    vec = vec / max(float(np.linalg.norm(vec)), 1e-9)
    terms = a.terms + [t for t in b.terms if t not in a.terms]
    parts = sorted(a.parts + b.parts, key=lambda p: (p not in sample, sample.find(p)))
    return _Claim(_join(parts, sample), terms[:8], vec, a.info + b.info * 0.5, parts)


def _merge_claims(claims: list[_Claim], sample: str = "") -> list[_Claim]:
    """Fold clause fragments into the claim they complete, merge near-duplicate claims anywhere,
    then the closest neighbouring claims until at most MAX_CRITERIA remain.

    Only neighbours merge when a rubric has too many claims: a criterion reads as one passage of
    the sample answer ("A; so B"), not as two unrelated sentences glued together.
    """
    folded: list[_Claim] = []
    for c in claims:
        if folded and _FRAGMENT.match(c.text) and len(words(c.text)) < FRAGMENT_WORDS:
            folded[-1] = _merge(folded[-1], c, sample)
        else:
            folded.append(c)
    claims = folded
    while len(claims) > 1:
        best, pair = -2.0, (0, 1)
        for i in range(len(claims)):
            for j in range(i + 1, len(claims)):
                sim = float(claims[i].vector @ claims[j].vector)
                if j != i + 1 and sim < MERGE_SIMILARITY:
                    continue
                if sim > best:
                    best, pair = sim, (i, j)
        if best < MERGE_SIMILARITY and len(claims) <= MAX_CRITERIA:
            break
        i, j = pair
        merged = _merge(claims[i], claims[j], sample)
        claims = [c for k, c in enumerate(claims) if k not in pair]
        claims.insert(i, merged)
    return claims


def derive_misconception(statement: str) -> str:
    """A plausible wrong version of a statement (an antonym swap or a negation), or ''."""
    if _NEGATION.search(statement):
        return ""
    for a, b in _FLIPS:
        for x, y in ((a, b), (b, a)):
            pattern = re.compile(rf"\b{x}\b", re.IGNORECASE)
            if pattern.search(statement):
                return pattern.sub(y, statement, count=1)
    if is_relational(statement) and _NEGATABLE.search(statement):
        return _NEGATABLE.sub(lambda m: f"{m.group(1)} not", statement, count=1)
    return ""


def slugify(text: str) -> str:
    """A lower-case slug of at most 50 characters."""
    slug = re.sub(r"[^a-z0-9]+", "-", text.lower()).strip("-")
    return (slug[:50].rstrip("-") or "criterion")


def unique_slug(text: str, used: set[str]) -> str:
    """`slugify(text)`, with -2, -3... until it is not in `used` (which it joins)."""
    base = slugify(text)
    cid, n = base, 2
    while cid in used:
        cid, n = f"{base}-{n}", n + 1
    used.add(cid)
    return cid


def normalised_weights(raw: list[float]) -> list[float]:
    """Weights rounded to 6 places that sum to exactly 1 (the last one takes the remainder)."""
    total = sum(raw)
    weights = [round(w / total, 6) for w in raw]
    weights[-1] = round(1.0 - sum(weights[:-1]), 6)
    return weights


def _concept(terms: list[str], statement: str) -> str:
    if not terms:
        return " ".join(words(statement)[:4]) or "the main idea"
    head = terms[0]
    extra = [t for t in terms[1:] if t not in head and head not in t]
    return f"{head} and {extra[0]}" if extra and " " not in head else head


def _criterion(claim: _Claim, weight: float, used: set[str]) -> Criterion:
    concept = _concept(claim.terms, claim.text)
    cid = unique_slug(concept, used)
    return Criterion(
        id=cid, concept=concept, statement=claim.text, weight=weight,
        partial=f"Mentions {concept} without stating how it answers the question.",
        misconception=derive_misconception(claim.text),
        probe=f"You touched on the topic but not on {concept}: what role does it play here?",
        why=f"The sample answer relies on this point: {claim.text}",
        key_terms=tuple(claim.terms),
    )


def derive_rubric(
    *, question_id: str, question_text: str, sample_answer: str, encoder: Encoder, version: int = 1
) -> Rubric:
    """Derive a 1-6 criterion rubric from a sample answer; deterministic for a given encoder."""
    texts = split_claims(sample_answer) or [sample_answer.strip() or question_text]
    vectors = encoder.encode(texts)
    claims = [
        _Claim(t, key_terms(t, question_text), vectors[i], _informativeness(t, question_text), [t])
        for i, t in enumerate(texts)
    ]
    claims = _merge_claims(claims, sample_answer)
    weights = normalised_weights([c.info for c in claims])
    used: set[str] = set()
    criteria = tuple(_criterion(c, w, used) for c, w in zip(claims, weights, strict=True))
    digest = answer_hash(sample_answer)
    return Rubric(question_id, version, criteria, Derivation("offline", digest, model=encoder.name))
