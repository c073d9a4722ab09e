"""The contrast, negation and dense sentences of `datasets/claims/contrast/` (the cross-encoder's
version 5 data): they cover every criterion of the claims data, and the pairs carry the labels the
recipe promises."""

from __future__ import annotations

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.evaluation.claims import ASSERTS, CLAIMS_DIR, CONTRADICTS, NOT_CONTRADICTS, load_claims
from interviewer.evaluation.claims_contrast import CONTRAST_DIR, contrast_pairs, labelled, load_contrast
from interviewer.settings import Settings


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load(Settings().bank_roots)


def test_every_criterion_of_the_claims_data_has_its_contrast_sentences() -> None:
    crits, _ = load_claims(sorted(CLAIMS_DIR.glob("*.yaml")))
    data = load_contrast(sorted(CONTRAST_DIR.glob("*.yaml")))
    assert {(c.question_id, c.criterion_id) for c in crits} == {
        (q, cid) for q, c in data.items() for cid in c.criteria}
    for c in data.values():
        assert len(c.dense) == 2
        for states, text in c.dense:
            assert states and set(states) <= set(c.criteria), (c.question_id, states)
            assert len(text.split()) <= 50
        for texts in c.criteria.values():
            assert all(t.strip() and len(t.split()) <= 50 for t in texts)
            assert len(set(texts)) == 3


def test_pairs_are_labelled_as_the_recipe_says(bank: YamlQuestionBank) -> None:
    data = load_contrast(sorted(CONTRAST_DIR.glob("*.yaml")))
    questions = [q for q in bank.all() if q.id in data][:6]
    pairs = contrast_pairs(questions, data)
    for q in questions:
        c = data[q.id]
        assert q.rubric is not None
        for crit in q.rubric.criteria:
            if crit.id not in c.criteria:  # a rubric criterion the claims data does not cover
                continue
            pos, rev, neg = c.criteria[crit.id]
            mine = {(p.span, p.label) for p in pairs if p.claim == crit.statement}
            assert {(pos, ASSERTS), (rev, CONTRADICTS), (neg, CONTRADICTS)} <= mine
            for states, text in c.dense:
                assert (text, ASSERTS if crit.id in states else NOT_CONTRADICTS) in mine
            if crit.misconception:
                assert any(p.claim == crit.misconception and p.span == pos and p.label == CONTRADICTS
                           for p in pairs)
    # Only the questions asked for, and a question without data gives nothing.
    assert {p.question_id for p in pairs} == {q.id for q in questions}
    assert contrast_pairs(questions, {}) == []
    assert labelled(next(iter(data.values())), "no-such-criterion") == [
        (t, NOT_CONTRADICTS, "dense:other") for _, t in next(iter(data.values())).dense]
