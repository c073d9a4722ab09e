"""Gap -> practice question relevance over the hand-labelled set (issue 21; docs/grading.md)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.adapters.retrieval.faiss_index import FaissRetriever, load_or_build
from interviewer.core.ports import Encoder
from interviewer.evaluation.practice import evaluate, labelled_bank, load_labels

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def bank() -> YamlQuestionBank:
    return YamlQuestionBank.load([REPO])


def test_labels_name_real_questions_and_criteria(bank: YamlQuestionBank, tmp_path: Path) -> None:
    labels = load_labels(bank)
    assert len(labels) >= 25 and len({(x.question_id, x.criterion_id) for x in labels}) == len(labels)
    bad = tmp_path / "bad.yaml"
    bad.write_text("- {question_id: train-qlora, criterion_id: nf4, relevant: [train-qlora]}\n")
    with pytest.raises(ValueError):
        load_labels(bank, bad)


def test_practice_relevance_is_measured(
    bank: YamlQuestionBank, encoder: Encoder, tmp_path_factory: pytest.TempPathFactory
) -> None:
    index, _ = load_or_build(bank, encoder, tmp_path_factory.mktemp("index"), progress=False)
    # Only questions the labels were judged against are suggested (datasets/practice/labelled_bank.txt).
    report = evaluate(bank, FaissRetriever(bank, encoder, index), load_labels(bank),
                      universe=labelled_bank())
    for c in report.cases:
        print(f"{c.label.question_id}/{c.label.criterion_id}: {c.suggested} hits={c.hits(2)}")
    print(f"precision@2 = {report.precision:.3f} (ceiling {report.ceiling:.3f}), hit rate = {report.hit_rate:.3f}")
    assert all(len(c.suggested) == 2 for c in report.cases)
    # Measured 2026-12-01: precision@2 0.327 (17 of 52 suggestions), hit rate 0.615 (16 of 26 gaps),
    # ceiling 0.904 (docs/grading.md). A floor just under it, so that a regression shows; raise it
    # when the suggestions improve.
    assert report.precision >= 0.30 and report.hit_rate >= 0.55
