"""Do the practice questions suggested for a gap exercise that gap? (issue 21)

Two hand-labelled sets give, for some gaps (a bank question's criterion), the other bank questions
that need the concept: datasets/practice/relevance.yaml (26 gaps, the first set, which the ranker
was tuned on) and datasets/practice/gaps_v2.yaml (168 gaps, written before the ranker saw them and
split into dev and test by source question). The retriever's suggestions, as the summary shows
them, are scored by precision@k and recall@k (k = 2, what the summary shows), hit rate (at least
one relevant in the top k) and MRR over the first `depth` suggestions.
"""

from __future__ import annotations

import random
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import yaml

from interviewer.core.models import Question
from interviewer.core.ports import Practice, QuestionBank

DATA = Path(__file__).resolve().parents[2] / "datasets" / "practice"
LABELS = DATA / "relevance.yaml"
LABELLED_BANK = DATA / "labelled_bank.txt"
LABELS_V2 = DATA / "gaps_v2.yaml"
LABELLED_BANK_V2 = DATA / "gaps_v2_bank.txt"
SPLIT_SEED = 21  # split_by_question's seed for gaps_v2.yaml (datasets/practice/README.md)


@dataclass(frozen=True, slots=True)
class Label:
    question_id: str
    criterion_id: str
    relevant: frozenset[str]
    gap: str = ""  # the criterion's concept, as the summary shows the gap


@dataclass(frozen=True, slots=True)
class Case:
    label: Label
    suggested: tuple[str, ...]  # the ranking, best first (the first k are what the summary shows)

    def hits(self, k: int) -> int:
        return sum(1 for q in self.suggested[:k] if q in self.label.relevant)

    @property
    def reciprocal_rank(self) -> float:
        return next((1.0 / (i + 1) for i, q in enumerate(self.suggested) if q in self.label.relevant), 0.0)


@dataclass(frozen=True, slots=True)
class PracticeReport:
    k: int
    precision: float  # relevant suggestions / suggestions in the top k, over all gaps
    recall: float  # mean over gaps of relevant in the top k / relevant
    hit_rate: float  # gaps with at least one relevant suggestion in the top k
    mrr: float  # mean reciprocal rank of the first relevant suggestion within `depth`
    ceiling: float  # the best precision possible (some gaps have a single relevant question)
    cases: tuple[Case, ...]


class PracticeRanker(Protocol):
    def select_practice(self, question: Question, criterion_id: str, exclude: frozenset[str],
                        k: int) -> list[Practice]: ...


def load_labels(bank: QuestionBank, path: Path = LABELS) -> list[Label]:
    """The labels, checked against the bank: every id exists, the criterion is the question's, and
    a row's `gap` (when given) is that criterion's concept."""
    out = []
    for row in yaml.safe_load(path.read_text(encoding="utf-8")):
        q = bank.get(row["question_id"])
        assert q.rubric is not None, q.id
        c = q.rubric.criterion(row["criterion_id"])  # raises on an unknown criterion
        gap = row.get("gap", "")
        if gap and gap != c.concept:
            raise ValueError(f"{q.id}/{c.id}: gap {gap!r} is not the criterion's concept {c.concept!r}")
        relevant = frozenset(row["relevant"])
        for rid in relevant:
            bank.get(rid)
        if not relevant or q.id in relevant:
            raise ValueError(f"{q.id}/{row['criterion_id']}: relevant must list other questions")
        out.append(Label(q.id, c.id, relevant, c.concept))
    return out


def labelled_bank(path: Path = LABELLED_BANK) -> frozenset[str]:
    """The question ids the labels were judged against (questions added later are unlabelled)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def split_by_question(labels: Sequence[Label], seed: int = SPLIT_SEED) -> tuple[list[Label], list[Label]]:
    """(dev, test): the sorted source question ids shuffled with `seed`, the first half's gaps are
    dev and the rest test, so no source question has gaps on both sides."""
    ids = sorted({x.question_id for x in labels})
    random.Random(seed).shuffle(ids)
    dev_ids = frozenset(ids[: (len(ids) + 1) // 2])
    return ([x for x in labels if x.question_id in dev_ids],
            [x for x in labels if x.question_id not in dev_ids])


def evaluate(
    bank: QuestionBank, ranker: PracticeRanker, labels: Sequence[Label], k: int = 2,
    universe: frozenset[str] | None = None, depth: int = 10,
) -> PracticeReport:
    """Rank `depth` practice questions per labelled gap, as the summary does (only its own question
    excluded: a one-question interview), and score the top `k` and the ranking against the labels.
    With `universe`, only the questions the labels were judged against may be suggested."""
    unlabelled = frozenset(q.id for q in bank.all()) - universe if universe is not None else frozenset()
    cases = []
    for label in labels:
        q = bank.get(label.question_id)
        picked = ranker.select_practice(q, label.criterion_id, frozenset({q.id}) | unlabelled, max(k, depth))
        cases.append(Case(label, tuple(p.question_id for p in picked)))
    n = len(cases)
    shown = sum(len(c.suggested[:k]) for c in cases)
    precision = sum(c.hits(k) for c in cases) / shown if shown else 0.0
    recall = sum(c.hits(k) / len(c.label.relevant) for c in cases) / n if n else 0.0
    hit_rate = sum(1 for c in cases if c.hits(k)) / n if n else 0.0
    mrr = sum(c.reciprocal_rank for c in cases) / n if n else 0.0
    ceiling = sum(min(k, len(c.label.relevant)) for c in cases) / shown if shown else 0.0
    return PracticeReport(k, precision, recall, hit_rate, mrr, ceiling, tuple(cases))


def labelled_set(bank: QuestionBank, name: str, split: str) -> tuple[list[Label], frozenset[str]]:
    """The labels of set `name` (v1: relevance.yaml, v2: gaps_v2.yaml) and `split` (all, or for
    v2 dev or test), with the question ids they were judged against."""
    if name == "v1":
        if split != "all":
            raise ValueError("the v1 set has no dev/test split: use split all")
        return load_labels(bank, LABELS), labelled_bank(LABELLED_BANK)
    if name != "v2":
        raise ValueError(f"unknown set {name!r}: v1 or v2")
    labels = load_labels(bank, LABELS_V2)
    dev, test = split_by_question(labels)
    chosen = {"all": labels, "dev": dev, "test": test}.get(split)
    if chosen is None:
        raise ValueError(f"unknown split {split!r}: dev, test or all")
    return chosen, labelled_bank(LABELLED_BANK_V2)


def summary_line(name: str, split: str, r: PracticeReport) -> str:
    return (f"set {name} split {split}: gaps {len(r.cases)}  precision@{r.k} {r.precision:.3f}  "
            f"recall@{r.k} {r.recall:.3f}  hit rate {r.hit_rate:.3f}  MRR {r.mrr:.3f}  "
            f"(precision ceiling {r.ceiling:.3f})")


def case_line(c: Case, k: int = 2) -> str:
    mark = "+" if c.hits(k) else "-"
    return (f"{mark} {c.label.question_id}/{c.label.criterion_id} \"{c.label.gap}\": "
            f"{', '.join(c.suggested[:k])}  (relevant: {', '.join(sorted(c.label.relevant))})")
