"""Off-topic answers: an answer much closer to another bank question's concepts than to its own.

MiniLM similarity and token recall cannot tell "about attention" from "answers this attention
question", so a good answer to a neighbouring question used to earn 17-28 points (up to 80). The
bank's concept index can: the service compares the answer with its own rubric and with every
other question's criteria (`Retriever.topic`), and this module decides and applies the cap.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from interviewer.core.feedback import build_feedback
from interviewer.core.models import CriterionResult, Grade, ReviewFlag, Rubric, Verdict
from interviewer.core.scoring import score
from interviewer.core.text import split_sentences

# How much closer to another question's concepts than to its own an answer must be. Measured on
# the bank (docs/grading.md): every sample answer is closer to its own rubric than this margin.
OFF_TOPIC_MARGIN = 0.1
# ... and be clearly about that other question: a vague answer ("it helps the model somehow") is
# close to nothing, so its nearest card may beat its own rubric by the margin at a low cosine (it
# did on 42 of 68 bank questions, at most 0.35), while every flagged answer to another bank
# question measured at least 0.58.
OFF_TOPIC_MIN = 0.5
OFF_TOPIC_FLAG = ReviewFlag.OFF_TOPIC.value
# A bank question that asks nearly the same thing as the question being answered (cosine of the
# two question texts at least this) is not "another question": a partner's question on GRPO is
# not answered off-topic because the bank also asks about GRPO. No two questions of the bank are
# this close (the closest pair measured 0.692 on 114 questions), so the check between bank
# questions is unchanged.
SAME_QUESTION = 0.7


def topic_sentences(answer: str) -> list[str]:
    """The texts whose mean vector stands for the answer in the topic check: its sentences (what
    a grader process sends back with its grade, so that the check costs no second model call)."""
    return [s.text for s in split_sentences(answer)]


@dataclass(frozen=True, slots=True)
class TopicScores:
    """Cosine of the answer with its own rubric's concepts and with the closest other question's."""

    own: float
    other: float
    other_question_id: str

    @property
    def off_topic(self) -> bool:
        return self.other >= OFF_TOPIC_MIN and self.other - self.own >= OFF_TOPIC_MARGIN


def mark_off_topic(grade: Grade, rubric: Rubric, topic: TopicScores) -> Grade:
    """Every criterion missed, score recomputed (so 0), flagged for review with the reason."""
    reason = ("The answer addresses another question more than this one "
              f"(closest: {topic.other_question_id}).")
    results = tuple(
        CriterionResult(r.criterion_id, r.concept, Verdict.MISSED, r.weight, None, r.confidence,
                        "The answer is about another question.", credit=0.0)
        for r in grade.criteria
    )
    flags = tuple(dict.fromkeys((*grade.flags, OFF_TOPIC_FLAG)))
    return replace(grade, criteria=results, score=score(results), flags=flags, reason=reason,
                   feedback=f"{reason} {build_feedback(rubric, list(results))}")
