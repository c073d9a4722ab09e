"""Hand-graded interview answers to questions outside the bank (datasets/interviews/dev.yaml),
through the offline judge and the service's off-topic check, as `interviewer eval interviews`.

Before this change the judge measured Spearman 0.703 here, term lists 28 and answers to another
question 23 on average; the floors below sit under what was measured after it (docs/grading.md).
"""

from __future__ import annotations

import pytest

from interviewer.adapters.bank_yaml import YamlQuestionBank
from interviewer.adapters.judge_offline import OfflineJudge
from interviewer.core.ports import Encoder
from interviewer.evaluation.interviews import INTERVIEWS_DIR, evaluate_interviews, summarise
from interviewer.settings import Settings


@pytest.fixture(scope="module")
def report(encoder: Encoder) -> dict:  # type: ignore[type-arg]
    bank = YamlQuestionBank.load(Settings().bank_roots)
    return summarise(evaluate_interviews(INTERVIEWS_DIR / "dev.yaml", OfflineJudge(encoder), bank))


def test_the_dev_set_is_whole(report: dict) -> None:  # type: ignore[type-arg]
    assert report["n"] == 132 and len(report["per_kind"]) == 11


def test_rank_agreement_with_the_hand_grades(report: dict) -> None:  # type: ignore[type-arg]
    assert report["spearman"] >= 0.73  # measured 0.774 (0.703 before)


def test_gaming_families_stay_under_their_caps(report: dict) -> None:  # type: ignore[type-arg]
    kinds = report["per_kind"]
    assert kinds["term_list"]["within_cap"] >= 0.9  # measured 1.0 (0.58 before)
    assert kinds["other_question"]["mean"] <= 15  # measured 0 (23 before)
    assert kinds["restatement"]["mean"] <= 25  # measured 19.6 (30 before); the cap of 15 is not met


def test_correct_answers_keep_their_scores(report: dict) -> None:  # type: ignore[type-arg]
    kinds = report["per_kind"]
    assert kinds["excellent"]["mean"] >= 75 and kinds["non_native"]["mean"] >= 75
    assert kinds["partial"]["mean"] > kinds["weak"]["mean"]
