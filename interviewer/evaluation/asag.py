"""Short-answer grading benchmark: the offline judge against human scores (Mohler et al. 2011)."""

from __future__ import annotations

import csv
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.models import Difficulty, Question, Rubric
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_rubric

MAX_POINTS = 5.0


@dataclass(frozen=True, slots=True)
class AsagItem:
    """One graded student answer."""

    question_id: str
    question: str
    reference: str
    answer: str
    human: float  # 0-5


@dataclass(frozen=True, slots=True)
class Metrics:
    pearson: float
    spearman: float
    rmse: float
    n: int


@dataclass(frozen=True, slots=True)
class AsagReport:
    """Agreement with the human average, overall and averaged over questions."""

    overall: Metrics
    per_question: Metrics  # means of the per-question metrics; n = number of questions
    predictions: tuple[float, ...]  # 0-5, in input order
    humans: tuple[float, ...]


def load_asag(path: Path, limit: int | None = None) -> list[AsagItem]:
    """Read the CSV (question_id, question, reference_answer, student_answer, score_avg)."""
    with path.open(newline="", encoding="utf-8") as fh:
        items = [
            AsagItem(r["question_id"], r["question"], r["reference_answer"], r["student_answer"],
                     float(r["score_avg"]))
            for r in csv.DictReader(fh)
        ]
    return items[:limit] if limit is not None else items


def as_question(item: AsagItem) -> Question:
    """The data set's question as a bank question whose sample answer is the reference."""
    return Question(
        id=f"asag-{item.question_id}", text=item.question, area="asag",
        difficulty=Difficulty.MEDIUM, companies=(), sample_answer=item.reference,
    )


def derive_rubrics(items: Sequence[AsagItem], encoder: Encoder) -> dict[str, Rubric]:
    """One offline-derived rubric per question, from its reference answer."""
    out: dict[str, Rubric] = {}
    for it in items:
        if it.question_id not in out:
            out[it.question_id] = derive_rubric(
                question_id=f"asag-{it.question_id}", question_text=it.question,
                sample_answer=it.reference, encoder=encoder,
            )
    return out


def metrics(pred: Sequence[float], human: Sequence[float]) -> Metrics:
    """Pearson r, Spearman rho and RMSE on the 0-5 scale (r = 0 when a side is constant)."""
    p, h = np.asarray(pred, dtype=float), np.asarray(human, dtype=float)
    rmse = float(np.sqrt(np.mean((p - h) ** 2))) if len(p) else 0.0
    if len(p) < 2 or np.std(p) == 0 or np.std(h) == 0:
        return Metrics(0.0, 0.0, rmse, len(p))
    r = float(stats.pearsonr(p, h)[0])
    rho = float(stats.spearmanr(p, h)[0])
    return Metrics(r, rho, rmse, len(p))


def report(items: Sequence[AsagItem], pred: Sequence[float]) -> AsagReport:
    """Overall metrics and per-question averages of predictions against the human scores."""
    human = [it.human for it in items]
    groups: dict[str, list[int]] = {}
    for i, it in enumerate(items):
        groups.setdefault(it.question_id, []).append(i)
    per = [metrics([pred[i] for i in idx], [human[i] for i in idx]) for idx in groups.values()]
    mean = Metrics(
        float(np.mean([m.pearson for m in per])), float(np.mean([m.spearman for m in per])),
        float(np.mean([m.rmse for m in per])), len(per),
    )
    return AsagReport(metrics(pred, human), mean, tuple(pred), tuple(human))


def evaluate_asag(
    path: Path, judge: OfflineJudge, encoder: Encoder, *, limit: int | None = None
) -> AsagReport:
    """Grade every answer against the rubric derived from its reference; compare with humans."""
    items = load_asag(path, limit)
    rubrics = derive_rubrics(items, encoder)
    pred = []
    for it in items:
        grade = judge.grade_sync(
            question=as_question(it), rubric=rubrics[it.question_id], answer=it.answer
        )
        pred.append(grade.score / 100.0 * MAX_POINTS)
    return report(items, pred)
