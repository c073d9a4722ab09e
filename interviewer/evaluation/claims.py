"""Claim-verification data: labelled (claim, sentence) pairs from `datasets/claims/` and the bank.

Every criterion of the bank has sentences written for this project that assert its claim,
contradict it (its misconception, a negation, a swapped direction, a wrong quantity, entity or
cause) or only mention its topic, and every question has restatements. Pairs are built from those
and from what the bank itself gives: the misconception (contradicts the statement, and is asserted
by its paraphrases), key-term lists in several layouts, other criteria's and other questions'
sentences (neutral). Questions are split by a hash of their id, so a held-out question is never
seen in training, not even as a negative.
"""

from __future__ import annotations

import hashlib
import random
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import yaml

from interviewer.adapters.judge.offline.verify import claim_clauses
from interviewer.core.models import Question
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_misconception, derive_rubric, split_claims

ASSERTS, CONTRADICTS, NEUTRAL = 0, 1, 2
DATASETS = Path(__file__).resolve().parents[2] / "datasets"
CLAIMS_DIR = DATASETS / "claims"
HELD_OUT_BUCKET = 0  # questions with bucket(id) == 0 (about one in five) are never trained on
VALIDATION_BUCKET = 1  # used to choose the number of epochs, inside the training questions


@dataclass(frozen=True, slots=True)
class Pair:
    claim: str
    span: str
    label: int
    question_id: str
    source: str  # which kind of sentence produced it (for per-kind accuracy)


@dataclass(frozen=True, slots=True)
class CriterionClaims:
    question_id: str
    criterion_id: str
    asserts: tuple[str, ...]
    contradicts: tuple[tuple[str, str], ...]  # (kind, text)
    topic_only: tuple[str, ...]


def bucket(question_id: str, buckets: int = 5) -> int:
    """A stable split of questions: sha256 of the id modulo `buckets`."""
    return int(hashlib.sha256(question_id.encode()).hexdigest(), 16) % buckets


def load_claims(paths: Iterable[Path]) -> tuple[list[CriterionClaims], dict[str, tuple[str, ...]]]:
    """Criteria's written sentences and each question's restatements."""
    crits: list[CriterionClaims] = []
    restate: dict[str, tuple[str, ...]] = {}
    for path in sorted(paths):
        doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for q in doc.get("questions") or []:
            qid = str(q["question_id"])
            restate[qid] = tuple(str(s) for s in q.get("restatements") or ())
            for c in q.get("criteria") or []:
                contra = tuple(
                    (str(k.get("kind", "")), str(k["text"])) if isinstance(k, dict) else ("", str(k))
                    for k in c.get("contradicts") or ()
                )
                crits.append(CriterionClaims(
                    qid, str(c["criterion_id"]), tuple(str(s) for s in c.get("asserts") or ()),
                    contra, tuple(str(s) for s in c.get("topic_only") or ()),
                ))
    return crits, restate


def term_lists(terms: Sequence[str], rng: random.Random) -> list[str]:
    """The criterion's key terms laid out as a candidate stuffing keywords would."""
    t = [x for x in terms if x.strip()]
    if not t:
        return []
    shuffled = t[:]
    rng.shuffle(shuffled)
    layouts = [
        ", ".join(shuffled),
        " ".join(shuffled),
        " -> ".join(shuffled),
        "Keywords: " + ", ".join(shuffled) + ".",
        "The key ideas here are " + ", ".join(shuffled[:-1]) + (" and " if len(shuffled) > 1 else "")
        + shuffled[-1] + ".",
    ]
    singles = [s[:1].upper() + s[1:] + "." for s in shuffled]
    return [rng.choice(layouts), *rng.sample(singles, min(2, len(singles)))]


def build_pairs(
    questions: Sequence[Question], crits: Sequence[CriterionClaims],
    restate: dict[str, tuple[str, ...]], *, seed: int = 0,
) -> list[Pair]:
    """All labelled pairs for the given questions (only their own and each other's sentences)."""
    rng = random.Random(seed)
    by_q = {q.id: q for q in questions}
    mine = [c for c in crits if c.question_id in by_q]
    by_crit = {(c.question_id, c.criterion_id): c for c in mine}
    pairs: list[Pair] = []
    for q in questions:
        if q.rubric is None:
            continue
        for crit in q.rubric.criteria:
            cc = by_crit.get((q.id, crit.id))
            if cc is None:
                continue
            s, m, qid = crit.statement, crit.misconception, q.id
            pairs += [Pair(s, a, ASSERTS, qid, "asserts") for a in cc.asserts]
            pairs += [Pair(s, t, CONTRADICTS, qid, f"contradicts:{k or 'other'}")
                      for k, t in cc.contradicts]
            pairs += [Pair(s, t, NEUTRAL, qid, "topic_only") for t in cc.topic_only]
            pairs += [Pair(s, r, NEUTRAL, qid, "restatement")
                      for r in rng.sample(list(restate.get(qid, ())), min(2, len(restate.get(qid, ()))))]
            pairs += [Pair(s, t, NEUTRAL, qid, "term_list") for t in term_lists(crit.key_terms, rng)]
            others = [o for o in mine if o.question_id == qid and o.criterion_id != crit.id and o.asserts]
            for o in rng.sample(others, min(2, len(others))):
                pairs.append(Pair(s, rng.choice(o.asserts), NEUTRAL, qid, "other_criterion"))
            far = [o for o in mine if o.question_id != qid and o.asserts]
            if far:
                pairs.append(Pair(s, rng.choice(rng.choice(far).asserts), NEUTRAL, qid, "other_question"))
            pairs += compound_pairs(s, cc, others, rng)
            if m:
                pairs.append(Pair(s, m, CONTRADICTS, qid, "contradicts:misconception"))
                misc = [t for k, t in cc.contradicts if k == "misconception"]
                pairs += [Pair(m, t, ASSERTS, qid, "misconception_restated") for t in misc]
                if cc.asserts:
                    pairs.append(Pair(m, rng.choice(cc.asserts), CONTRADICTS, qid, "misconception_denied"))
    return pairs


def join_sentences(first: str, second: str, rng: random.Random) -> str:
    """Two sentences as one, as a terse answer packs its claims ("A, and b", "A; b")."""
    a = first.strip().rstrip(".!?;, ")
    b = second.strip()
    if b[:1].isupper() and not b[1:2].isupper():
        b = b[:1].lower() + b[1:]
    return a + rng.choice((", and ", "; ", ", while ")) + b


def compound_pairs(
    statement: str, cc: CriterionClaims, others: Sequence[CriterionClaims], rng: random.Random,
) -> list[Pair]:
    """Sentences that state two claims of the same question at once: one that asserts this
    criterion beside another's assertion (asserts), one that contradicts it beside another's
    assertion (contradicts: a true claim next to it does not rescue it), and two other criteria's
    assertions together (neutral: a dense sentence is not an assertion of everything)."""
    if not cc.asserts or not others:
        return []

    def short(texts: Sequence[str]) -> str:  # the pair must fit the model's 128 tokens
        return rng.choice(sorted(texts, key=len)[:2])

    qid, out = cc.question_id, []
    o = rng.choice(others)
    other = short(o.asserts)
    mine = short(cc.asserts)
    pair = (mine, other) if rng.random() < 0.5 else (other, mine)
    out.append(Pair(statement, join_sentences(*pair, rng), ASSERTS, qid, "compound:asserts"))
    if cc.contradicts:
        wrong = short([t for _, t in cc.contradicts])
        out.append(Pair(statement, join_sentences(other, wrong, rng), CONTRADICTS, qid,
                        "compound:contradicts"))
    rest = [x for x in others if x is not o]
    if rest:
        third = short(rng.choice(rest).asserts)
        out.append(Pair(statement, join_sentences(other, third, rng), NEUTRAL, qid, "compound:neutral"))
    return out


def split_questions(questions: Sequence[Question]) -> tuple[list[Question], list[Question], list[Question]]:
    """(train, validation, held-out) by the hash bucket of the question id."""
    held = [q for q in questions if bucket(q.id) == HELD_OUT_BUCKET]
    val = [q for q in questions if bucket(q.id) == VALIDATION_BUCKET]
    train = [q for q in questions if bucket(q.id) not in (HELD_OUT_BUCKET, VALIDATION_BUCKET)]
    return train, val, held



# A derived criterion takes the labels of the bank criterion it restates only when it is clearly
# that one: cosine at least DERIVED_MIN_SIM, and DERIVED_MARGIN above the next criterion.
DERIVED_MIN_SIM, DERIVED_MARGIN = 0.6, 0.05


def derived_pairs(
    questions: Sequence[Question], crits: Sequence[CriterionClaims], encoder: Encoder, *, seed: int = 0,
    extra: Callable[[str, str], list[tuple[str, int, str]]] | None = None,
) -> list[Pair]:
    """Weak labels for criteria derived from sample answers (what a partner's question gets), read
    clause by clause as the judge reads them (`verify.claim_clauses`).

    `derive_rubric` turns each bank question's sample answer into criteria whose statements are
    the answer's own sentences, longer and often without their subject; the cross-encoder reads
    each criterion one clause at a time. Every distinct clause takes the labelled sentences of the
    bank criterion it restates: all its assertions (concise, full, non-native, other words), its
    contradictions, its topic-only sentences and the bank misconception; a one-clause criterion's
    derived (flipped) misconception against an assertion; another criterion's assertion as neutral;
    with `extra`, the (sentence, label, source) it gives for the bank criterion.
    """
    rng = random.Random(seed)
    by_crit = {(c.question_id, c.criterion_id): c for c in crits}
    out: list[Pair] = []
    for q in questions:
        bank = [c for c in (q.rubric.criteria if q.rubric else ()) if (q.id, c.id) in by_crit]
        if not bank:
            continue
        d = derive_rubric(question_id=q.id, question_text=q.text, sample_answer=q.sample_answer,
                          encoder=encoder)
        pieces = split_claims(q.sample_answer)
        units: dict[str, str | None] = {}  # clause -> the derived misconception when it is whole
        for dc in d.criteria:
            clauses = claim_clauses(dc.statement, pieces)
            for cl in clauses:
                units.setdefault(cl, dc.misconception if len(clauses) == 1 else None)
        texts = list(units)
        sims = encoder.encode(texts) @ encoder.encode([c.statement for c in bank]).T
        best = [int(np.argmax(row)) for row in sims]
        for i, s in enumerate(texts):
            ranked = np.sort(sims[i])[::-1]
            second = float(ranked[1]) if len(ranked) > 1 else -1.0
            if ranked[0] < DERIVED_MIN_SIM or ranked[0] - second < DERIVED_MARGIN:
                continue
            bc = bank[best[i]]
            cc, qid = by_crit[(q.id, bc.id)], q.id
            out += [Pair(s, a, ASSERTS, qid, "derived:asserts") for a in cc.asserts]
            out += [Pair(s, t, CONTRADICTS, qid, "derived:contradicts") for _, t in cc.contradicts]
            out += [Pair(s, t, NEUTRAL, qid, "derived:topic_only") for t in cc.topic_only]
            if extra is not None:
                out += [Pair(s, t, y, qid, f"derived:{src}") for t, y, src in extra(qid, bc.id)]
            if bc.misconception:
                out.append(Pair(s, bc.misconception, CONTRADICTS, qid, "derived:misconception"))
            flipped = units[s]
            if flipped and cc.asserts:
                out.append(Pair(flipped, rng.choice(cc.asserts), CONTRADICTS, qid, "derived:flipped"))
            for k in sorted(set(best) - {best[i]}):
                other = by_crit[(q.id, bank[k].id)]
                if other.asserts:
                    out.append(Pair(s, rng.choice(other.asserts), NEUTRAL, qid,
                                    "derived:other_criterion"))
                    break
    return out


NOT_CONTRADICTS = 3  # a weak label: asserts or neutral, never contradicts (`sample_pairs`)


def sample_pairs(
    questions: Sequence[Question], encoder: Encoder, *, about_only: bool = True, flips: bool = False,
) -> list[Pair]:
    """Weak labels from the bank's sample answers: a true sentence never contradicts a claim of its
    own question's rubric (label NOT_CONTRADICTS: asserts or neutral, whichever).

    Each sentence of a sample answer is paired, for every criterion of the bank rubric and of the
    rubric derived from that answer, with the criterion's clause it is closest to, when it is about
    that criterion (`verify.nearest_mask`; with `about_only=False`, for every criterion): the pairs
    the judge's contradiction rule reads. Long natural sentences that state several claims are
    what a correct answer is made of, and the written single-claim sentences of `build_pairs`
    never show them against their neighbours. With `flips`, also `flipped_pairs`.
    """
    from interviewer.adapters.judge.offline.verify import CONTRA_FLOOR, CONTRA_SLACK, nearest_mask
    from interviewer.core.text import split_sentences

    out: list[Pair] = []
    for q in questions:
        if q.rubric is None or not q.sample_answer:
            continue
        sentences = [s.text for s in split_sentences(q.sample_answer)]
        if not sentences:
            continue
        pieces = split_claims(q.sample_answer)
        derived = derive_rubric(question_id=q.id, question_text=q.text, sample_answer=q.sample_answer,
                                encoder=encoder)
        svec = encoder.encode(sentences)
        for source, statements in (("sample:bank", [c.statement for c in q.rubric.criteria]),
                                   ("sample:derived", [c.statement for c in derived.criteria])):
            about = nearest_mask(svec @ encoder.encode(statements).T, CONTRA_SLACK, CONTRA_FLOOR)
            for j, statement in enumerate(statements):
                clauses = claim_clauses(statement, pieces)
                csims = svec @ encoder.encode(clauses).T
                for i, sent in enumerate(sentences):
                    if about[i, j] or not about_only:
                        clause = clauses[int(np.argmax(csims[i]))]
                        out.append(Pair(clause, sent, NOT_CONTRADICTS, q.id, source))
                        if flips:
                            out += flipped_pairs(clause, sent, q.id)
    return list(dict.fromkeys(out))


def flipped_pairs(clause: str, sentence: str, question_id: str) -> list[Pair]:
    """When the sentence contains the clause word for word, its flipped version
    (`derive_misconception`: an antonym swap or a negation) gives two sure contradictions: the
    sentence with the clause flipped inside it, against the clause; the sentence, against the
    flipped clause. They keep the weak pairs from teaching that a sentence sharing a clause's
    words cannot contradict it."""
    bare = clause.rstrip(" .!?")
    flipped = derive_misconception(bare).rstrip(" .!?")
    if not bare or not flipped or flipped == bare or bare not in sentence:
        return []
    return [Pair(clause, sentence.replace(bare, flipped, 1), CONTRADICTS, question_id, "sample:flipped"),
            Pair(flipped, sentence, CONTRADICTS, question_id, "sample:flipped")]
