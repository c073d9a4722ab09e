"""The hand-graded interview sets (datasets/interviews/*.yaml) are whole and well formed.

The judge's numbers on these sets are only comparable across sessions if every set keeps the shape
GUIDE.md describes: one answer of each kind per question, grades on the half-point scale, ids that
say which set they belong to. These checks read the files only; no judge runs.
"""

from __future__ import annotations

import pytest

from interviewer.evaluation.interviews import INTERVIEWS_DIR, load_interviews

KINDS = {"excellent", "concise", "non_native", "partial", "weak", "misconception", "mixed",
         "term_list", "restatement", "injection", "other_question"}
AREAS = {"architecture", "tokenization", "training", "scaling", "inference", "alignment"}
SETS = {"dev": "dev-", "dev2": "dev2-", "test": "test-", "holdout": "hold-"}
# Questions per set at least: dev2, the second development set, was written later and smaller.
MIN_QUESTIONS = {"dev": 12, "dev2": 9, "test": 12, "holdout": 12}


@pytest.mark.parametrize(("name", "prefix"), sorted(SETS.items()))
def test_every_question_has_each_kind_once_with_a_valid_grade(name: str, prefix: str) -> None:
    items = load_interviews(INTERVIEWS_DIR / f"{name}.yaml")
    kinds: dict[str, list[str]] = {}
    for it in items:
        kinds.setdefault(it.question.id, []).append(it.kind)
        assert 0 <= it.grade <= 5 and (2 * it.grade).is_integer(), (it.question.id, it.kind)
        assert it.question.area in AREAS and it.text and it.question.sample_answer
    assert len(kinds) >= MIN_QUESTIONS[name]
    for qid, ks in kinds.items():
        assert qid.startswith(prefix)
        assert sorted(ks) == sorted(KINDS), qid


def test_the_sets_share_no_question() -> None:
    seen: dict[str, str] = {}
    for name in SETS:
        for it in load_interviews(INTERVIEWS_DIR / f"{name}.yaml"):
            owner = seen.setdefault(it.question.id, name)
            assert owner == name, it.question.id
            seen.setdefault(it.question.text, name)
            assert seen[it.question.text] == name, it.question.text


def test_the_holdout_set_covers_every_area_twice() -> None:
    questions = {it.question.id: it.question for it in load_interviews(INTERVIEWS_DIR / "holdout.yaml")}
    assert sorted(q.area for q in questions.values()) == sorted(list(AREAS) * 2)
