"""Expert corrections of the bank (issue 18): a correct candidate is never marked down.

Each case is a statement that is right according to the primary papers and that the bank's
rubric once treated as a misconception or did not credit. It is graded with the offline judge
against the real bank rubric.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.models import Verdict
from interviewer.core.ports import Encoder

REPO = Path(__file__).resolve().parents[2]

PASS_AT_K = (
    "pass@k is the chance that at least one of k samples passes the unit tests. Drawing exactly "
    "k samples once and checking whether any passes is an unbiased estimate, but it has high "
    "variance; the estimator that is biased is one minus (1 - c/n) to the power k. So one "
    "generates n samples, counts the c correct ones, and uses one minus C(n-c, k) over C(n, k)."
)
SINGLE_DRAW = "Drawing exactly k samples once and checking whether any passes is unbiased, but it is high-variance."

# Later replications of the Kaplan/Chinchilla gap, in a candidate's own words and without names.
ACCOUNTING = (
    "The old and new allocation rules disagreed mostly because the earlier study left embedding "
    "parameters and the final layer's compute out of its counts and used a long warmup with "
    "untuned optimizer settings on the small models."
)
# The original explanation of the same gap, which the bank also credits.
SCHEDULE = (
    "The earlier study read its smaller models off checkpoints taken midway through runs whose "
    "cosine schedule was set for a longer horizon, so their loss had not come down yet and was "
    "overstated, which pushed its allocation rule toward bigger models."
)


@pytest.fixture(scope="module")
def judge(encoder: Encoder) -> OfflineJudge:
    return OfflineJudge(encoder)


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


def _verdicts(judge: OfflineJudge, bank: YamlQuestionBank, qid: str, answer: str) -> dict[str, Verdict]:
    q = bank.get(qid)
    assert q.rubric is not None
    g = judge.grade_sync(question=q, rubric=q.rubric, answer=answer)
    return {r.criterion_id: r.verdict for r in g.criteria}


@pytest.mark.parametrize("answer", [PASS_AT_K, SINGLE_DRAW])
def test_pass_at_k_single_draw_is_unbiased_not_contradicted(
    judge: OfflineJudge, bank: YamlQuestionBank, answer: str
) -> None:
    v = _verdicts(judge, bank, "align-classic-metrics", answer)
    assert Verdict.CONTRADICTED not in v.values(), v
    assert v["pass-at-k"] in (Verdict.MET, Verdict.PARTIAL)


def test_pass_at_k_misconception_names_the_biased_plug_in_estimator(bank: YamlQuestionBank) -> None:
    q = bank.get("align-classic-metrics")
    assert q.rubric is not None
    c = next(c for c in q.rubric.criteria if c.id == "pass-at-k")
    assert "c/n" in c.misconception and "low-variance" not in c.misconception


def test_kaplan_chinchilla_gap_credits_the_accounting_explanation(
    judge: OfflineJudge, bank: YamlQuestionBank
) -> None:
    v = _verdicts(judge, bank, "scale-predict-from-small-runs", ACCOUNTING)
    assert Verdict.CONTRADICTED not in v.values(), v
    assert v["consistent-accounting"] in (Verdict.MET, Verdict.PARTIAL), v


def test_kaplan_chinchilla_gap_still_credits_the_schedule_explanation(
    judge: OfflineJudge, bank: YamlQuestionBank
) -> None:
    v = _verdicts(judge, bank, "scale-predict-from-small-runs", SCHEDULE)
    assert Verdict.CONTRADICTED not in v.values(), v
    assert v["schedule-matching"] is Verdict.MET, v


# Criteria that list several parts of one point accept any two of them (issue 18: bundled
# criteria rarely reached `met`). A correct answer naming two parts must reach `met`.
TWO_OF_A_LIST = [
    ("train-fp8", "high-precision-parts",
     "Only the matrix multiplications run in FP8. The master weights stay in higher precision, "
     "and the accumulation inside the matmuls is done in higher precision too."),
    ("align-constitutional-ai", "limits",
     "Its limitations: the feedback model's own biases are passed into the policy, and the "
     "principles can be vague or contradict each other."),
    ("train-lora-vs-full", "when-full",
     "I would switch to full fine-tuning if the domain were far from the pretraining data or if "
     "LoRA clearly lagged on our evaluations."),
    ("inf-batch-scaling-stalls", "overheads",
     "Fixed costs per step, like the CPU scheduling and kernel launch latency, do not shrink with "
     "the batch and can dominate; CUDA graphs cut the launch cost."),
]


@pytest.mark.parametrize(("qid", "criterion", "answer"), TWO_OF_A_LIST)
def test_two_parts_of_a_list_criterion_are_met(
    judge: OfflineJudge, bank: YamlQuestionBank, qid: str, criterion: str, answer: str
) -> None:
    v = _verdicts(judge, bank, qid, answer)
    assert Verdict.CONTRADICTED not in v.values(), v
    assert v[criterion] is Verdict.MET, v
