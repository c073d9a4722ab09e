"""Hand-graded interview answers for questions outside the bank (`datasets/interviews/`).

Each question's rubric is derived offline from its sample answer, as for a partner's question,
and every answer is graded by the judge. Reported: Spearman's rho between the judge's score and
the hand grade (0-5, graded against GUIDE.md before any judge saw the answers), the mean score per
kind of answer, and the acceptance checks of issue 15 (kinds and their bounds below).
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.retrieval.faiss_index import ConceptIndex, FaissRetriever, cards_for
from interviewer.core.models import Difficulty, Grade, Question, Rubric, review_needed
from interviewer.core.ports import Encoder, QuestionBank
from interviewer.core.rubric_derive import derive_rubric
from interviewer.core.topic import TopicScores, mark_off_topic
from interviewer.evaluation.asag import metrics

INTERVIEWS_DIR = Path(__file__).resolve().parents[2] / "datasets" / "interviews"
# Mean score (0-100) bounds per kind: (at least, at most).
BOUNDS: dict[str, tuple[float, float]] = {
    "excellent": (75, 100), "concise": (75, 100), "non_native": (75, 100),
    "misconception": (0, 30), "term_list": (0, 20), "restatement": (0, 15),
    "injection": (0, 30), "other_question": (0, 15),
}
# Kinds that game the judge, with the score each answer of them must stay at or under.
CAPS: dict[str, int] = {"term_list": 20, "restatement": 15, "injection": 30, "other_question": 15,
                        "misconception": 30}


@dataclass(frozen=True, slots=True)
class Item:
    question: Question
    kind: str
    grade: float  # 0-5, by hand
    text: str


@dataclass(frozen=True, slots=True)
class Graded:
    item: Item
    score: int
    flags: tuple[str, ...]


def load_interviews(path: Path) -> list[Item]:
    doc = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    items: list[Item] = []
    for q in doc.get("questions") or []:
        question = Question(
            id=str(q["id"]), text=str(q["text"]).strip(), area=str(q.get("area", "custom")),
            difficulty=Difficulty(q.get("difficulty", "medium")),
            companies=tuple(q.get("companies") or ()), sample_answer=str(q["sample_answer"]).strip(),
        )
        for a in q.get("answers") or []:
            items.append(Item(question, str(a["kind"]), float(a["grade"]), str(a["text"]).strip()))
    return items


def derive_all(items: Sequence[Item], encoder: Encoder) -> dict[str, Rubric]:
    out: dict[str, Rubric] = {}
    for it in items:
        q = it.question
        if q.id not in out:
            out[q.id] = derive_rubric(question_id=q.id, question_text=q.text,
                                      sample_answer=q.sample_answer, encoder=encoder)
    return out


def grade_all(
    items: Sequence[Item], grade: Callable[[Question, Rubric, str], Grade], rubrics: dict[str, Rubric],
    progress: Callable[[int], None] | None = None,
) -> list[Graded]:
    out: list[Graded] = []
    for it in items:
        g = grade(it.question, rubrics[it.question.id], it.text)
        out.append(Graded(it, g.score, g.flags))
        if progress is not None:
            progress(1)
    return out


def with_topic_check(
    grade: Callable[[Question, Rubric, str], Grade],
    topic: Callable[[Question, Rubric, str], TopicScores | None],
) -> Callable[[Question, Rubric, str], Grade]:
    """The judge's grade with the service's off-topic check (service.grading.judge) applied."""
    def run(q: Question, r: Rubric, answer: str) -> Grade:
        g = grade(q, r, answer)
        if g.score > 0:
            t = topic(q, r, answer)
            if t is not None and t.off_topic:
                return mark_off_topic(g, r, t)
        return g
    return run


def evaluate_interviews(
    path: Path, judge: OfflineJudge, bank: QuestionBank, progress: Callable[[int], None] | None = None,
) -> list[Graded]:
    """Grade every answer of a set as the service would: the offline judge on a rubric derived
    from the sample answer, then the off-topic check against the bank's concept index."""
    retriever = FaissRetriever(bank, judge.encoder,
                               ConceptIndex.build(cards_for(bank), judge.encoder, progress=False))
    grade = with_topic_check(lambda q, r, a: judge.grade_sync(question=q, rubric=r, answer=a),
                             retriever.topic_sync)
    items = load_interviews(path)
    return grade_all(items, grade, derive_all(items, judge.encoder), progress)


def summarise(graded: Sequence[Graded]) -> dict[str, Any]:
    """Spearman and Pearson with the hand grades, per-kind means and the acceptance checks."""
    m = metrics([g.score / 20.0 for g in graded], [g.item.grade for g in graded])
    kinds: dict[str, list[Graded]] = {}
    for g in graded:
        kinds.setdefault(g.item.kind, []).append(g)
    per_kind: dict[str, dict[str, Any]] = {
        k: {"n": len(v), "mean": round(sum(g.score for g in v) / len(v), 1),
            "hand": round(20 * sum(g.item.grade for g in v) / len(v), 1),
            "provisional": round(sum(review_needed(g.flags) for g in v) / len(v), 3),
            "within_cap": round(sum(g.score <= CAPS[k] for g in v) / len(v), 3) if k in CAPS else None}
        for k, v in sorted(kinds.items())}
    checks = {k: lo <= per_kind[k]["mean"] <= hi for k, (lo, hi) in BOUNDS.items() if k in per_kind}
    order = [per_kind[k]["mean"] for k in ("partial", "weak", "misconception") if k in per_kind]
    checks["partial > weak > misconception"] = all(a > b for a, b in itertools.pairwise(order))
    return {"n": m.n, "spearman": round(m.spearman, 3), "pearson": round(m.pearson, 3),
            "per_kind": per_kind, "checks": checks}
