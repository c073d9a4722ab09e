"""The end-of-interview summary, computed from the graded turns."""

from __future__ import annotations

from collections import defaultdict

from interviewer.core.models import Grade, TurnKind, Verdict
from interviewer.core.state import ConceptNote, InterviewState, Summary, TurnStatus


def _notes(grade: Grade, topic: str) -> tuple[list[ConceptNote], list[ConceptNote], list[ConceptNote]]:
    strengths, gaps, recovered = [], [], []
    for r in sorted(grade.criteria, key=lambda r: -r.weight):
        note = ConceptNote(grade.question_id, r.criterion_id, r.concept, topic=topic)
        if r.verdict is Verdict.MET:
            strengths.append(note)
        elif r.recovered:
            recovered.append(note)
        else:
            gaps.append(note)
    return strengths, gaps, recovered


def summarize(state: InterviewState) -> Summary:
    """Overall and per-topic scores over main questions reached; a skipped question scores 0."""
    scores: list[int] = []
    by_topic: dict[str, list[int]] = defaultdict(list)
    strengths: list[ConceptNote] = []
    gaps: list[ConceptNote] = []
    recovered: list[ConceptNote] = []
    answered = skipped = 0
    for turn in state.turns:
        if turn.kind is not TurnKind.MAIN:
            continue
        if turn.status is TurnStatus.SKIPPED:
            skipped += 1
            value = 0
        elif turn.grade is not None:
            answered += 1
            value = turn.grade.score
            s, g, r = _notes(turn.grade, turn.topic)
            strengths += s
            gaps += g
            recovered += r
        else:
            continue  # asked but never answered before the end: not scored
        scores.append(value)
        by_topic[turn.topic].append(value)
    overall = round(sum(scores) / len(scores)) if scores else 0
    per_topic = {t: round(sum(v) / len(v)) for t, v in by_topic.items()}
    return Summary(overall, per_topic, tuple(strengths), tuple(gaps), tuple(recovered), answered, skipped)
