"""The off-topic decision and what it does to a grade (pure core)."""

from __future__ import annotations

from interviewer.core.models import CriterionResult, Grade, Verdict
from interviewer.core.topic import OFF_TOPIC_FLAG, TopicScores, mark_off_topic
from tests.factories import make_rubric


def test_closer_to_another_question_by_the_margin_and_clearly_about_it() -> None:
    assert TopicScores(own=0.45, other=0.7, other_question_id="b").off_topic
    assert not TopicScores(own=0.65, other=0.7, other_question_id="b").off_topic  # within margin
    # A vague answer: nearer another card by the margin, but close to nothing at all.
    assert not TopicScores(own=0.1, other=0.35, other_question_id="b").off_topic


def test_marked_grade_misses_every_criterion_and_says_why() -> None:
    rubric = make_rubric()
    grade = Grade(question_id="q", score=80, judge="offline", feedback="Good.", criteria=tuple(
        CriterionResult(c.id, c.concept, Verdict.MET, c.weight, credit=1.0) for c in rubric.criteria))
    out = mark_off_topic(grade, rubric, TopicScores(0.3, 0.8, "other-q"))
    assert out.score == 0 and OFF_TOPIC_FLAG in out.flags and out.needs_review
    assert all(r.verdict is Verdict.MISSED for r in out.criteria)
    assert "other-q" in out.reason and out.feedback.startswith(out.reason)
