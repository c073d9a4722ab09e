"""Do the practice questions suggested for a gap exercise that gap? (issue 21)

A hand-labelled set (datasets/practice/relevance.yaml) gives, for some gaps (a bank question's
criterion), the other bank questions that need the concept. The retriever's top two suggestions,
as the summary shows them, are scored by precision (relevant suggestions / suggestions) and hit
rate (at least one relevant).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import yaml

from interviewer.adapters.retrieval.faiss_index import FaissRetriever
from interviewer.core.ports import QuestionBank

LABELS = Path(__file__).resolve().parents[2] / "datasets" / "practice" / "relevance.yaml"
LABELLED_BANK = LABELS.with_name("labelled_bank.txt")


@dataclass(frozen=True, slots=True)
class Label:
    question_id: str
    criterion_id: str
    relevant: frozenset[str]


@dataclass(frozen=True, slots=True)
class Case:
    label: Label
    suggested: tuple[str, ...]

    @property
    def hits(self) -> int:
        return sum(1 for q in self.suggested if q in self.label.relevant)


@dataclass(frozen=True, slots=True)
class PracticeReport:
    precision: float  # relevant suggestions / suggestions, over all gaps
    hit_rate: float  # gaps with at least one relevant suggestion
    ceiling: float  # the best precision possible (some gaps have a single relevant question)
    cases: tuple[Case, ...]


def load_labels(bank: QuestionBank, path: Path = LABELS) -> list[Label]:
    """The labels, checked against the bank: every id exists, the criterion is the question's."""
    out = []
    for row in yaml.safe_load(path.read_text()):
        q = bank.get(row["question_id"])
        assert q.rubric is not None, q.id
        q.rubric.criterion(row["criterion_id"])  # raises on an unknown criterion
        relevant = frozenset(row["relevant"])
        for rid in relevant:
            bank.get(rid)
        if not relevant or q.id in relevant:
            raise ValueError(f"{q.id}/{row['criterion_id']}: relevant must list other questions")
        out.append(Label(q.id, row["criterion_id"], relevant))
    return out


def labelled_bank(path: Path = LABELLED_BANK) -> frozenset[str]:
    """The question ids the labels were judged against (questions added later are unlabelled)."""
    lines = path.read_text(encoding="utf-8").splitlines()
    return frozenset(x.strip() for x in lines if x.strip() and not x.startswith("#"))


def evaluate(
    bank: QuestionBank, retriever: FaissRetriever, labels: Sequence[Label], k: int = 2,
    universe: frozenset[str] | None = None,
) -> PracticeReport:
    """Suggest `k` practice questions per labelled gap, as the summary does (only its own question
    excluded: a one-question interview), and score them against the labels. With `universe`, only
    the questions the labels were judged against may be suggested."""
    unlabelled = frozenset(q.id for q in bank.all()) - universe if universe is not None else frozenset()
    cases = []
    for label in labels:
        q = bank.get(label.question_id)
        picked = retriever.select_practice(q, label.criterion_id, frozenset({q.id}) | unlabelled, k)
        cases.append(Case(label, tuple(p.question_id for p in picked)))
    shown = sum(len(c.suggested) for c in cases)
    precision = sum(c.hits for c in cases) / shown if shown else 0.0
    hit_rate = sum(1 for c in cases if c.hits) / len(cases) if cases else 0.0
    ceiling = sum(min(k, len(c.label.relevant)) for c in cases) / shown if shown else 0.0
    return PracticeReport(precision, hit_rate, ceiling, tuple(cases))
