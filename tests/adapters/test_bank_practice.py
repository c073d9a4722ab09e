"""The optional `practice` field of a rubric criterion: read, namespaced and written back."""

from __future__ import annotations

from pathlib import Path

import yaml

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank, dump_rubric
from interviewer.core.models import answer_hash

ANSWER = "Mixed precision keeps an fp32 master copy of the weights while matmuls run in bf16."


def write_bank(root: Path, namespace: str, practice: dict[str, list[str]]) -> Path:
    """A bank of three questions; `practice` maps a question id to its one criterion's list."""
    (root / "questions").mkdir(parents=True)
    (root / "rubrics").mkdir()
    ids = ("a", "b", "c")
    qs = [{"id": q, "area": "training", "difficulty": "easy", "companies": ["Nvidia"],
           "text": f"Question {q}: how does mixed precision work?", "sample_answer": ANSWER} for q in ids]
    (root / "questions" / "training.yaml").write_text(yaml.safe_dump({"questions": qs}))
    for q in ids:
        crit = {"id": "master", "concept": "fp32 master copy", "weight": 1.0,
                "statement": "An fp32 master copy keeps small updates."}
        if q in practice:
            crit["practice"] = practice[q]
        (root / "rubrics" / f"{q}.yaml").write_text(yaml.safe_dump({
            "question_id": q, "version": 1,
            "derivation": {"method": "manual", "sample_answer_sha256": answer_hash(ANSWER)},
            "criteria": [crit]}))
    if namespace:
        (root / "bank.yaml").write_text(f"namespace: {namespace}\n")
    return root


def test_local_ids_get_the_bank_namespace_and_are_written_back_local(tmp_path: Path) -> None:
    root = write_bank(tmp_path / "acme", "acme", {"a": ["c", "b", "other:x"]})
    bank = YamlQuestionBank.load([root], strict=False)
    a = bank.get("acme:a").rubric
    assert a is not None and a.criteria[0].practice == ("acme:c", "acme:b", "other:x")
    written = yaml.safe_load(dump_rubric(a, "a"))
    assert written["criteria"][0]["practice"] == ["c", "b", "other:x"]


def test_a_criterion_without_a_list_loads_empty_and_is_written_without_the_field(tmp_path: Path) -> None:
    root = write_bank(tmp_path / "builtin", "", {"a": ["b"]})
    bank = YamlQuestionBank.load([root])
    assert bank.get("a").rubric.criteria[0].practice == ("b",)  # type: ignore[union-attr]
    b = bank.get("b").rubric
    assert b is not None and b.criteria[0].practice == ()
    assert "practice" not in dump_rubric(b, "b")
