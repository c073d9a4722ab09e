"""The offline judge grades claims, not vocabulary (issue 15), on bank questions.

Term lists in any layout and restatements are capped by rules (they scored up to 75 before). The
rubric's own misconceptions are caught (the contradiction check compares with them), and a
confident misconception in other words is scored by the claim verifier when it is on
(INTERVIEWER_JUDGE_VERIFY=true); the similarity judge alone, the default, still scores it like a
partial answer (52): a strict expected failure."""

from __future__ import annotations

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.core.models import Grade, Verdict
from interviewer.settings import Settings

ROPE = "arch-rope-vs-sinusoidal"


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load(Settings().bank_roots)


def grade(judge: OfflineJudge, bank: YamlQuestionBank, qid: str, answer: str) -> Grade:
    q = bank.get(qid)
    assert q.rubric is not None
    return judge.grade_sync(question=q, rubric=q.rubric, answer=answer)


ROPE_MISCONCEPTION = (
    "RoPE adds a learned position vector to each token embedding at the input layer, the same "
    "as sinusoidal encodings but trained. Its main advantage is that it lets the model "
    "extrapolate to any sequence length without any changes, because the rotation is absolute. "
    "It is applied to the values as well as the keys, which is why it is better than sinusoidal.")


def test_the_confident_rope_misconception_of_the_issue(encoder, bank: YamlQuestionBank) -> None:  # type: ignore[no-untyped-def]
    # Before: 52, with `additive-absolute-limits` met.
    g = grade(OfflineJudge(encoder, verify=True), bank, ROPE, ROPE_MISCONCEPTION)
    verdicts = {r.criterion_id: r.verdict for r in g.criteria}
    assert verdicts["additive-absolute-limits"] is not Verdict.MET
    assert g.score <= 30
    assert Verdict.CONTRADICTED in verdicts.values()


@pytest.mark.xfail(strict=True, reason="issue 15: the similarity judge alone does not verify claims")
def test_the_similarity_judge_alone_still_misses_it(offline_judge: OfflineJudge,
                                                     bank: YamlQuestionBank) -> None:
    assert grade(offline_judge, bank, ROPE, ROPE_MISCONCEPTION).score <= 30


@pytest.mark.parametrize("answer", [
    "RoPE. Rotation. Relative position. NTK. YaRN.",  # before: 75
    "- RoPE\n- rotation\n- relative position\n- NTK scaling\n- YaRN",
    "rope -> rotation -> relative offset -> interpolation -> yarn",
])
def test_key_terms_in_any_layout_earn_little(offline_judge: OfflineJudge, bank: YamlQuestionBank,
                                             answer: str) -> None:
    assert grade(offline_judge, bank, ROPE, answer).score <= 20


def test_a_restatement_carrying_the_numbers_earns_nothing(offline_judge: OfflineJudge,
                                                          bank: YamlQuestionBank) -> None:
    q = bank.get("inf-kv-cache-sizing")
    answer = (f"So the question is: {q.text} That is a question about the KV cache, its size in "
              "bytes, the number of layers and heads, and the context length.")
    assert grade(offline_judge, bank, q.id, answer).score <= 15


def test_talk_that_says_no_more_than_the_question_earns_nothing(offline_judge: OfflineJudge,
                                                              bank: YamlQuestionBank) -> None:
    """Two sentences that no unit rule catches (each adds words of its own) but that say nothing
    about any criterion the question does not already say: 27 before the question's own token
    recall became the bar a criterion must clear (`RESTATE_MARGIN`)."""
    g = grade(offline_judge, bank, "train-lora-vs-full", (
        "The choice between LoRA and full fine-tuning for a 7B base model on 20,000 support tickets "
        "depends on the situation. LoRA is one way to adapt a base model and full fine-tuning is "
        "another, and each of them has its own trade-offs that you weigh when you decide."))
    assert g.score <= 15, g
    assert any("no more about this than the question" in c.note for c in g.criteria)


def test_the_rubric_misconceptions_stated_with_confidence_score_low(
        offline_judge: OfflineJudge, bank: YamlQuestionBank) -> None:
    scores = []
    for q in list(bank.all())[::4]:  # every fourth question keeps the test short
        assert q.rubric is not None
        wrong = " ".join(c.misconception for c in q.rubric.criteria if c.misconception)
        scores.append(offline_judge.grade_sync(question=q, rubric=q.rubric, answer=wrong).score)
    assert sum(s <= 30 for s in scores) / len(scores) >= 0.95


def test_right_and_wrong_claims_mixed_score_in_between(offline_judge: OfflineJudge,
                                                       bank: YamlQuestionBank) -> None:
    q = bank.get(ROPE)
    assert q.rubric is not None
    good = grade(offline_judge, bank, ROPE, q.sample_answer).score
    half = len(q.rubric.criteria) // 2
    mixed = " ".join(c.statement if i < half else c.misconception
                     for i, c in enumerate(q.rubric.criteria))
    wrong = " ".join(c.misconception for c in q.rubric.criteria)
    s_mixed = grade(offline_judge, bank, ROPE, mixed).score
    assert grade(offline_judge, bank, ROPE, wrong).score < s_mixed <= good - 15
