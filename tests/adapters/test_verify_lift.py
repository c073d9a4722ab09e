"""A dense correct sentence earns every claim the verifier reads in it (`lift.lift_by_sample`).

The similarity features assign a sentence to the criterion it is closest to, so a concise answer
that states three claims in one sentence fed one criterion and left the others partial or missed.
The cross-encoder reads each criterion's sample sentences, as the claim, against the answer's
closest sentences; two criteria or more that it reads as asserted earn LIFT_CREDIT. The question,
sample answer and answers were written for this test (label smoothing is not in the bank).
"""

from __future__ import annotations

import pytest

from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.judge.offline.lift import LIFT_CREDIT, LIFT_MIN_CRITERIA
from interviewer.core.models import Criterion, Difficulty, Grade, Question, Rubric, Verdict
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_rubric

SAMPLE = (
    "Label smoothing replaces the one-hot target with a mixture that puts 1 - epsilon on the correct "
    "token and spreads epsilon evenly over the rest of the vocabulary. It stops the model from driving "
    "the correct logit towards infinity, so the predicted probabilities stay less overconfident and "
    "better calibrated. It acts as a regulariser and often improves accuracy or BLEU in translation, "
    "although perplexity gets slightly worse because the model never puts full mass on the target. "
    "Typical values of epsilon are around 0.1, and it is rarely used in large-scale language model "
    "pretraining."
)
QUESTION = Question(
    id="label-smoothing", text="What is label smoothing, and why is it used when training language models?",
    area="training", difficulty=Difficulty.MEDIUM, companies=(), sample_answer=SAMPLE,
)
# Two sentences for five criteria: the first states the logit, calibration and epsilon claims at once.
DENSE = ("The one-hot label becomes 1 - epsilon on the true token with epsilon spread uniformly, usually "
         "epsilon = 0.1, so no logit is pushed to infinity and predictions stay calibrated. It regularises: "
         "BLEU goes up while perplexity gets a little worse.")
LIFTED_NOTE = "Stated in other words"


@pytest.fixture(scope="module")
def rubric(encoder: Encoder) -> Rubric:
    return derive_rubric(question_id=QUESTION.id, question_text=QUESTION.text, sample_answer=SAMPLE,
                         encoder=encoder)


def lifted(g: Grade) -> list[str]:
    return [c.criterion_id for c in g.criteria if c.note.startswith(LIFTED_NOTE)]


def test_a_dense_sentence_earns_each_claim_the_verifier_reads_in_it(encoder: Encoder, rubric: Rubric) -> None:
    scored = OfflineJudge(encoder, verify=True).grade_sync(question=QUESTION, rubric=rubric, answer=DENSE)
    # The same reading as a second reader only: the default judge's score, nothing lifted.
    plain = OfflineJudge(encoder, verify=True, review=True).grade_sync(
        question=QUESTION, rubric=rubric, answer=DENSE)
    assert len(lifted(scored)) >= LIFT_MIN_CRITERIA and not lifted(plain)
    assert scored.score >= plain.score + 5, (scored.score, plain.score)
    for c in scored.criteria:
        if c.criterion_id in lifted(scored):
            assert c.verdict == Verdict.MET and c.credit == LIFT_CREDIT
            # The evidence is a sentence of the answer, quoted where it stands.
            assert c.evidence is not None and DENSE[c.evidence.start: c.evidence.end] == c.evidence.quote
    assert not scored.flags  # a lift is not a reason to review


@pytest.mark.parametrize("answer", [
    "Smoothing. Epsilon 0.1. Calibration. BLEU. Perplexity.",  # a term list asserts nothing
    "- one-hot\n- epsilon 0.1\n- calibrated logits\n- BLEU up, perplexity down",
    "What label smoothing is, and why it is used when training language models.",  # the question back
    "Label smoothing is a regulariser.",  # one claim: one criterion at most, never enough
])
def test_answers_that_state_fewer_than_two_claims_are_not_lifted(
    encoder: Encoder, rubric: Rubric, answer: str
) -> None:
    judge = OfflineJudge(encoder, verify=True)
    g = judge.grade_sync(question=QUESTION, rubric=rubric, answer=answer)
    assert not lifted(g), [(c.criterion_id, c.note) for c in g.criteria]


def test_a_one_criterion_rubric_keeps_the_similarity_grade(encoder: Encoder) -> None:
    """As in most ASAG questions: one verifier reading never decides a whole grade."""
    one = Rubric(QUESTION.id, 1, (Criterion("all", "label smoothing", SAMPLE, 1.0),))
    g = OfflineJudge(encoder, verify=True).grade_sync(question=QUESTION, rubric=one, answer=DENSE)
    assert not lifted(g)
