"""Varied, realistic interview answers for the load model, none of which a cache can serve.

Material per bank question: the sample answer's sentences, the rubric's statements, partial and
misconception sentences (from the server's REST API), and, where the question has them, the
hand-written claim sentences of datasets/claims (four ways to state each criterion, its
contradictions, sentences on the topic that claim nothing). An answer picks a criterion-by-criterion
mix of these (a candidate covers some concepts, half-covers or gets others wrong, and pads with
topic talk), in a roughly natural order, at a length drawn from a long-tailed distribution, and
dresses the sentences in the spoken habits of a candidate (openers, hedges, sentences run
together). Every sentence it emits is new in the run, so neither an answer nor any of its
sentences (the units the offline judge embeds) can be served from the encoder's cache.
"""

from __future__ import annotations

import random
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

CLAIMS_DIR = Path(__file__).resolve().parents[1] / "datasets" / "claims"

OPENERS = (
    "I think", "Basically,", "So,", "In practice,", "If I remember correctly,", "The way I see it,",
    "Roughly,", "From what I've seen,", "Honestly,", "As far as I know,", "Well,", "I'd say",
    "In my experience,", "To be concrete,", "Put simply,", "I believe", "Generally,", "Okay, so",
    "The key point is that", "One thing is that", "Also,", "And", "On top of that,", "Right, so",
    "What I would say is that", "If I think about it,", "In short,", "Typically,", "Usually,",
    "I guess",
)
TAILS = (
    "at least in the setups I have worked with", "as far as I know", "in most cases",
    "if I remember the numbers right", "which we saw in our last project too", "more or less",
    "roughly speaking", "in my understanding", "although it depends on the setup",
    "which surprised me at first", "or something close to that", "in the usual case",
    "at least that is how I would explain it", "as the papers I read describe it",
    "which matters a lot in production", "if nothing unusual is going on",
)
JOINERS = ("; and", ", and also", ", so", ", which means", "; also,", " and then", ", and on top of that")
SENTENCE = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9\"'(])")
WORD = re.compile(r"\S+")


def split_sentences(text: str) -> list[str]:
    """Sentences of a paragraph (a simple splitter: enough to vary and count them)."""
    return [s.strip() for s in SENTENCE.split(" ".join(text.split())) if s.strip()]


def word_count(text: str) -> int:
    return len(WORD.findall(text))


@dataclass
class Material:
    """What one bank question's answers are made of."""

    question: str
    sample: list[str]
    # Per criterion: sentences that state it, half-state it, contradict it, talk around it.
    asserts: list[list[str]] = field(default_factory=list)
    partial: list[list[str]] = field(default_factory=list)
    contradicts: list[list[str]] = field(default_factory=list)
    topic: list[str] = field(default_factory=list)
    concepts: list[str] = field(default_factory=list)  # the rubric's concept name per criterion


def load_claims(directory: Path = CLAIMS_DIR) -> dict[str, dict[str, Any]]:
    """The claim sentences of datasets/claims, by bank question id (empty if not there)."""
    out: dict[str, dict[str, Any]] = {}
    for path in sorted(directory.glob("*.yaml")):
        for q in yaml.safe_load(path.read_text())["questions"]:
            out[q["question_id"]] = q
    return out


def material(question: dict[str, Any], claims: dict[str, dict[str, Any]]) -> Material:
    """Material from a question as `GET /v1/questions/{id}?include=rubric` returns it, plus claims."""
    m = Material(question["text"], split_sentences(question.get("sample_answer") or ""))
    by_id: dict[str, dict[str, Any]] = {}
    for c in (claims.get(question["id"]) or {}).get("criteria", []):
        by_id[c["criterion_id"]] = c
    rubric = question.get("rubric") or {}
    for crit in rubric.get("criteria", []):
        extra = by_id.pop(crit.get("id", ""), {})
        m.concepts.append(crit.get("concept", ""))
        m.asserts.append([s for s in [crit.get("statement"), *extra.get("asserts", [])] if s])
        m.partial.append([s for s in [crit.get("partial")] if s])
        m.contradicts.append([s for s in [crit.get("misconception"),
                                          *(c["text"] for c in extra.get("contradicts", []))] if s])
        m.topic += extra.get("topic_only", [])
    for extra in by_id.values():  # claims for criteria the served rubric does not name
        m.concepts.append("")
        m.asserts.append(list(extra.get("asserts", [])))
        m.partial.append([])
        m.contradicts.append([c["text"] for c in extra.get("contradicts", [])])
        m.topic += extra.get("topic_only", [])
    if not m.sample and not any(m.asserts):
        m.sample = [question["text"]]
    return m


class AnswerMaker:
    """Makes answers; remembers every sentence it emitted so that none is emitted twice."""

    def __init__(self, seed: int, median_words: int = 90) -> None:
        self.rng = random.Random(seed)
        self.median_words = median_words
        self.seen: set[str] = set()

    def target_words(self) -> int:
        """A long-tailed length: most answers a short paragraph, some long, some a line or two."""
        return max(15, min(600, int(self.rng.lognormvariate(0.0, 0.55) * self.median_words)))

    def _pick(self, m: Material, target: int) -> list[str]:
        rng, picked = self.rng, []
        for i, states in enumerate(m.asserts):
            r = rng.random()
            if r < 0.6 and states:
                picked.append(rng.choice(states))
            elif r < 0.72 and m.partial[i]:
                picked.append(rng.choice(m.partial[i]))
            elif r < 0.8 and m.contradicts[i]:
                picked.append(rng.choice(m.contradicts[i]))
        if m.topic and rng.random() < 0.4:
            picked.insert(rng.randrange(len(picked) + 1), rng.choice(m.topic))
        sample = list(m.sample)
        start = rng.randrange(len(sample)) if sample and rng.random() < 0.5 else 0
        sample = sample[start:] + sample[:start]
        out = picked[:]
        for s in sample:  # sample sentences pad (or make up) the answer to its length
            if sum(map(word_count, out)) >= target:
                break
            out.insert(rng.randrange(len(out) + 1), s)
        while len(out) > 1 and sum(map(word_count, out)) > 1.3 * target:
            out.pop(rng.randrange(len(out)))
        return out

    def _dress(self, sentence: str, attempt: int) -> str:
        rng, s = self.rng, sentence.strip()
        if attempt or rng.random() < 0.45:
            opener = rng.choice(OPENERS)
            first = s[:1].lower() if s[1:2].islower() else s[:1]
            s = f"{opener} {first}{s[1:]}"
        if attempt > 1 or rng.random() < 0.25:
            s = f"{s.rstrip('.!?')}, {rng.choice(TAILS)}."
        if attempt > 6:
            s = f"{s.rstrip('.!?')}, {rng.choice(TAILS)}, {rng.choice(TAILS)}."
        if attempt > 12:  # practically never: a tail of its own
            s = f"{s.rstrip('.!?')} (point {len(self.seen)})."
        return s

    def _join(self, sentences: list[str]) -> list[str]:
        out: list[str] = []
        for s in sentences:
            if out and self.rng.random() < 0.2:
                prev = out.pop().rstrip(".!?")
                nxt = s[:1].lower() + s[1:] if s[1:2].islower() else s
                out.append(f"{prev}{self.rng.choice(JOINERS)} {nxt}")
            else:
                out.append(s)
        return out

    def answer(self, m: Material) -> str:
        """A new answer to the question of `m`; no sentence of it was emitted before."""
        target = self.target_words()
        final: list[str] = []
        for s in self._join(self._pick(m, target)):
            for attempt in range(20):
                dressed = self._dress(s, attempt)
                parts = split_sentences(dressed)
                if not any(p in self.seen for p in parts):
                    break
            self.seen.update(split_sentences(dressed))
            final.append(dressed)
        return " ".join(final)
