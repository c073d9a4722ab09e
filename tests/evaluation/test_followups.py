"""The labelled follow-up check over the whole bank, and the sample answers' own grades.

For each criterion of each bank question, an answer stating every other criterion must get a
follow-up on exactly the omitted one (issue 5: precision@1 >= 0.9). The same run grades every
sample answer against its own rubric: a correct answer must not be marked as contradicting it.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.judge.offline.judge import OfflineJudge
from interviewer.adapters.retrieval.faiss_index import FaissRetriever, load_or_build
from interviewer.core.models import Verdict
from interviewer.core.ports import Encoder
from interviewer.evaluation.followups import precision_at_1

REPO = Path(__file__).resolve().parents[2]

# Both checks grade the whole bank (465 criteria for the leave-one-out check), so they grow
# with it: at 114 questions the sample-answer check alone took 6.5 minutes on a loaded 2-core
# machine, past the suite's default 300 s.
pytestmark = pytest.mark.timeout(1800)


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


def test_followups_target_the_omitted_criterion(
    bank: YamlQuestionBank, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index, _ = load_or_build(bank, encoder, tmp_path_factory.mktemp("index"), progress=False)
    judge = OfflineJudge(encoder)
    p1, cases = precision_at_1(bank.all(), judge, FaissRetriever(bank, encoder, index))
    assert len(cases) == sum(len(q.rubric.criteria) for q in bank.all() if q.rubric) >= 240
    misses = [c for c in cases if c.chosen != c.omitted][:5]
    assert p1 >= 0.9, misses


def test_sample_answers_meet_their_own_rubrics(bank: YamlQuestionBank, encoder: Encoder) -> None:
    judge = OfflineJudge(encoder)
    contradicted, low = [], []
    for q in bank.all():
        assert q.rubric is not None
        g = judge.grade_sync(question=q, rubric=q.rubric, answer=q.sample_answer)
        contradicted += [(q.id, r.criterion_id) for r in g.criteria if r.verdict is Verdict.CONTRADICTED]
        if g.score < 90:
            low.append((q.id, g.score))
    assert not contradicted
    assert not low
