"""Hand-graded interview answers to questions outside the bank (datasets/interviews/dev.yaml),
through the offline judge and the service's off-topic check, as `interviewer eval interviews`.

Before this change the judge measured Spearman 0.703 here, term lists 28 and answers to another
question 23 on average; the floors below sit under what was measured after it (docs/grading.md).
"""

from __future__ import annotations

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.ports import Encoder
from interviewer.evaluation.interviews import INTERVIEWS_DIR, Graded, evaluate_interviews, summarise
from interviewer.settings import Settings
from interviewer.wiring import build_offline_judge


@pytest.fixture(scope="module")
def graded(encoder: Encoder) -> list[Graded]:
    bank = YamlQuestionBank.load(Settings().bank_roots)
    # as `eval interviews --verify` grades (INTERVIEWER_JUDGE_VERIFY=true, top-3 clause reading)
    judge = build_offline_judge(Settings(_env_file=None, judge_verify=True), encoder)  # type: ignore[call-arg]
    assert isinstance(judge, OfflineJudge) and judge.verify_scores
    return evaluate_interviews(INTERVIEWS_DIR / "dev.yaml", judge, bank)


@pytest.fixture(scope="module")
def report(graded: list[Graded]) -> dict:  # type: ignore[type-arg]
    return summarise(graded)


def test_a_correct_answer_is_never_off_topic(graded: list[Graded]) -> None:
    # The bank now asks about some of the same things (GRPO, context parallelism, ...): a correct
    # answer to the same question asked in other words is not "about another question"
    # (core.topic.SAME_QUESTION). Without that rule the excellent answer on context parallelism
    # scored 0, flagged off_topic against inf-ring-attention.
    wrong = [(g.item.question.id, g.item.kind) for g in graded
             if g.item.kind in ("excellent", "concise", "non_native") and "off_topic" in g.flags]
    assert wrong == []


def test_the_dev_set_is_whole(report: dict) -> None:  # type: ignore[type-arg]
    assert report["n"] == 132 and len(report["per_kind"]) == 11


def test_rank_agreement_with_the_hand_grades(report: dict) -> None:  # type: ignore[type-arg]
    # measured 0.823 with the verifier scoring (0.779 with the similarity judge alone, 0.703 before)
    assert report["spearman"] >= 0.8, report["spearman"]


def test_confident_misconceptions_score_low(report: dict) -> None:  # type: ignore[type-arg]
    # measured 31.9 with the verifier scoring (62.3 with the similarity judge alone); the issue's
    # 30 is not quite met here (docs/grading.md)
    assert report["per_kind"]["misconception"]["mean"] <= 35


def test_gaming_families_stay_under_their_caps(report: dict) -> None:  # type: ignore[type-arg]
    kinds = report["per_kind"]
    assert kinds["term_list"]["within_cap"] >= 0.9  # measured 1.0 (0.58 before)
    assert kinds["other_question"]["mean"] <= 15  # measured 0 (23 before)
    # measured 7.6, every answer within the cap, since a long answer most of whose content words
    # are the question's restates it as a whole (16.3 before, 30 before the first rules)
    assert kinds["restatement"]["mean"] <= 15 and kinds["restatement"]["within_cap"] >= 0.9


def test_correct_answers_keep_their_scores(report: dict) -> None:  # type: ignore[type-arg]
    kinds = report["per_kind"]
    assert kinds["excellent"]["mean"] >= 75 and kinds["non_native"]["mean"] >= 75
    assert kinds["partial"]["mean"] > kinds["weak"]["mean"]
