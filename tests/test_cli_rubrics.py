"""`interviewer rubrics derive` on a temporary copy of a small bank: offline, and through litellm."""

from __future__ import annotations

import json
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from interviewer import cli, progress
from interviewer.adapters.bank.schema import RubricFile
from interviewer.core.models import answer_hash
from interviewer.settings import get_settings
from tests.fakes.openai_server import FakeOpenAI, Reply

REPO = Path(__file__).resolve().parents[1]
IDS = ("align-kl-penalty", "align-reward-model-length-bias")
runner = CliRunner()


def make_bank(root: Path, *, namespace: str = "acme") -> Path:
    """Two questions of the built-in bank with their reviewed rubrics, under a namespace."""
    data = yaml.safe_load((REPO / "questions" / "alignment.yaml").read_text(encoding="utf-8"))
    picked = [q for q in data["questions"] if q["id"] in IDS]
    (root / "questions").mkdir(parents=True)
    (root / "rubrics").mkdir()
    (root / "questions" / "alignment.yaml").write_text(yaml.safe_dump({"questions": picked}))
    for qid in IDS:
        shutil.copy(REPO / "rubrics" / f"{qid}.yaml", root / "rubrics" / f"{qid}.yaml")
    (root / "bank.yaml").write_text(f"namespace: {namespace}\ntitle: Test bank\n")
    return root


@pytest.fixture
def bank(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, encoder: Any) -> Iterator[Path]:
    for name in ("JUDGE_MODEL", "JUDGE_API_BASE", "JUDGE_API_KEY", "BANK_PATHS"):
        monkeypatch.delenv(f"INTERVIEWER_{name}", raising=False)
    monkeypatch.setattr(cli, "_encoder", lambda s: encoder)  # the real packaged model, loaded once
    get_settings.cache_clear()
    yield make_bank(tmp_path / "bank")
    get_settings.cache_clear()


def use_llm(monkeypatch: pytest.MonkeyPatch, server: FakeOpenAI) -> None:
    monkeypatch.setenv("INTERVIEWER_JUDGE_MODEL", "openai/fake-judge")
    monkeypatch.setenv("INTERVIEWER_JUDGE_API_BASE", server.api_base)
    monkeypatch.setenv("INTERVIEWER_JUDGE_API_KEY", "test")
    monkeypatch.setenv("INTERVIEWER_JUDGE_TIMEOUT", "5")
    monkeypatch.setenv("INTERVIEWER_JUDGE_MAX_RETRIES", "0")
    get_settings.cache_clear()


def run(*args: str) -> Any:
    return runner.invoke(cli.app, list(args), catch_exceptions=False)


def sample_answer(root: Path, qid: str) -> str:
    data = yaml.safe_load((root / "questions" / "alignment.yaml").read_text(encoding="utf-8"))
    return str(next(q["sample_answer"] for q in data["questions"] if q["id"] == qid))


def validate(root: Path) -> Any:
    return run("bank", "validate", str(root))


def test_offline_draft_is_schema_valid_and_hash_bound(bank: Path) -> None:
    before = (bank / "rubrics" / "align-kl-penalty.yaml").read_text()
    result = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank))
    assert result.exit_code == 0, result.output
    assert result.stdout.startswith("# Draft rubric derived by `interviewer rubrics derive` (offline)")
    rf = RubricFile.model_validate(yaml.safe_load(result.stdout))
    assert rf.question_id == "align-kl-penalty" and rf.version == 2 and rf.reviewed is False
    assert 3 <= len(rf.criteria) <= 6
    assert abs(sum(c.weight for c in rf.criteria) - 1.0) < 1e-6
    assert rf.derivation.method == "offline" and rf.derivation.model == "all-MiniLM-L6-v2"
    assert rf.derivation.sample_answer_sha256 == answer_hash(sample_answer(bank, "align-kl-penalty"))
    assert (bank / "rubrics" / "align-kl-penalty.yaml").read_text() == before  # stdout only


def test_write_refuses_a_reviewed_rubric_unless_forced_then_validate_binds_the_hash(
    bank: Path,
) -> None:
    target = bank / "rubrics" / "align-kl-penalty.yaml"
    before = target.read_text()
    refused = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank), "--write")
    assert refused.exit_code == 1 and "reviewed rubric" in refused.stderr
    assert target.read_text() == before
    forced = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank), "--write",
                 "--force")
    assert forced.exit_code == 0, forced.output
    written = RubricFile.model_validate(yaml.safe_load(target.read_text()))
    assert written.version == 2 and not written.reviewed
    ok = validate(bank)
    assert ok.exit_code == 0, ok.output
    assert "2 questions, 2 rubrics, 0 errors" in ok.stdout
    # An unreviewed draft is replaced without --force, and its version goes up again.
    again = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank), "--write")
    assert again.exit_code == 0, again.output
    assert RubricFile.model_validate(yaml.safe_load(target.read_text())).version == 3
    # Editing the sample answer afterwards breaks the recorded hash.
    questions = bank / "questions" / "alignment.yaml"
    data = yaml.safe_load(questions.read_text())
    for q in data["questions"]:
        if q["id"] == "align-kl-penalty":
            q["sample_answer"] += " The reference model is frozen."
    questions.write_text(yaml.safe_dump(data))
    stale = validate(bank)
    assert stale.exit_code == 1
    assert "sample answer of 'align-kl-penalty' changed" in stale.stderr
    assert "length-bias" not in stale.stderr


def test_all_to_an_out_directory_and_a_question_without_rubric(bank: Path, tmp_path: Path) -> None:
    (bank / "rubrics" / "align-reward-model-length-bias.yaml").unlink()
    assert validate(bank).exit_code == 1  # a question without a rubric is an error
    out = tmp_path / "drafts"
    result = run("rubrics", "derive", "--all", "--bank", str(bank), "--out", str(out))
    assert result.exit_code == 0, result.output
    assert sorted(p.name for p in out.iterdir()) == sorted(f"{q}.yaml" for q in IDS)
    versions = {p.stem: RubricFile.model_validate(yaml.safe_load(p.read_text())).version
                for p in out.iterdir()}
    assert versions == {"align-kl-penalty": 2, "align-reward-model-length-bias": 1}
    shutil.copy(out / "align-reward-model-length-bias.yaml", bank / "rubrics")
    assert validate(bank).exit_code == 0


def test_all_shows_progress_on_a_terminal_and_leaves_stdout_alone(
    bank: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    quiet = run("rubrics", "derive", "--all", "--bank", str(bank), "--quiet")
    monkeypatch.setattr(progress, "is_terminal", lambda stream: True)
    shown = run("rubrics", "derive", "--all", "--bank", str(bank))
    silenced = run("rubrics", "derive", "--all", "--bank", str(bank), "--quiet")
    assert quiet.exit_code == shown.exit_code == silenced.exit_code == 0, shown.output
    assert "rubrics" in shown.stderr and "2/2" in shown.stderr
    assert "2/2" not in silenced.stderr and "2/2" not in quiet.stderr
    assert shown.stdout == quiet.stdout == silenced.stdout and shown.stdout.count("question_id:") == 2


def test_bad_arguments_and_unknown_ids(bank: Path) -> None:
    assert run("rubrics", "derive", "--bank", str(bank)).exit_code == 2
    missing = run("rubrics", "derive", "align-kl-penalty", "--bank", str(bank))  # not namespaced
    assert missing.exit_code == 2 and "no question with id 'align-kl-penalty'" in missing.stderr


def llm_draft(weights: tuple[float, ...] = (40, 20, 20, 20)) -> dict[str, Any]:
    names = ["objective", "purpose", "beta extremes", "kl axis", "extra", "more"]
    return {"criteria": [
        {"id": names[i], "concept": f"Concept {names[i]}",
         "statement": f"The answer states the {names[i]} point clearly.", "partial": "Half of it.",
         "misconception": "The opposite.", "probe": "What about it?", "why": "It matters.",
         "weight": w, "key_terms": ["beta", "kl"]}
        for i, w in enumerate(weights)
    ]}


def test_llm_derivation_through_litellm_with_a_repair(
    bank: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    use_llm(monkeypatch, fake_openai)
    fake_openai.script([Reply.text('{"criteria": [{"id": "objective", '), Reply.ok(llm_draft())])
    result = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank), "--write",
                 "--force")
    assert result.exit_code == 0, result.output
    assert "llm:openai/fake-judge" in result.stderr
    assert len(fake_openai.requests) == 2
    first, repair = fake_openai.requests
    assert first["response_format"]["type"] == "json_schema"
    assert "In RLHF the policy maximises" in first["messages"][-1]["content"]
    assert "not valid" in repair["messages"][-1]["content"]
    assert repair["messages"][-2] == {"role": "assistant",
                                      "content": '{"criteria": [{"id": "objective", '}
    text = (bank / "rubrics" / "align-kl-penalty.yaml").read_text()
    assert "(llm:openai/fake-judge)" in text
    rf = RubricFile.model_validate(yaml.safe_load(text))
    assert (rf.derivation.method, rf.derivation.model) == ("llm", "openai/fake-judge")
    assert [c.id for c in rf.criteria] == ["objective", "purpose", "beta-extremes", "kl-axis"]
    assert [c.weight for c in rf.criteria] == [0.4, 0.2, 0.2, 0.2]
    assert rf.derivation.sample_answer_sha256 == answer_hash(sample_answer(bank, "align-kl-penalty"))
    assert rf.version == 2 and not rf.reviewed
    assert validate(bank).exit_code == 0


def test_llm_schema_violations_fall_back_to_offline(
    bank: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    use_llm(monkeypatch, fake_openai)
    fake_openai.default = Reply.ok(llm_draft(weights=(1, 1)))  # too few criteria, twice
    result = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank))
    assert result.exit_code == 0, result.output
    assert len(fake_openai.requests) == 2
    assert "LLM derivation failed (invalid_output" in result.stderr
    rf = RubricFile.model_validate(yaml.safe_load(result.stdout))
    assert rf.derivation.method == "offline" and 3 <= len(rf.criteria) <= 6


def test_llm_derivation_switches_dialect_on_a_llama_cpp_server(
    bank: Path, monkeypatch: pytest.MonkeyPatch, fake_openai: FakeOpenAI
) -> None:
    use_llm(monkeypatch, fake_openai)
    fake_openai.llama_cpp = True
    fake_openai.default = Reply.ok(llm_draft(weights=(1, 1, 1)))
    result = run("rubrics", "derive", "acme:align-kl-penalty", "--bank", str(bank))
    assert result.exit_code == 0, result.output
    fmts = [r["response_format"]["type"] for r in fake_openai.requests]
    assert fmts == ["json_schema", "json_object"]
    schema = fake_openai.requests[1]["response_format"]["schema"]
    assert schema["properties"]["criteria"]["maxItems"] == 6
    assert json.dumps(schema).count("maxLength") >= 7
    rf = RubricFile.model_validate(yaml.safe_load(result.stdout))
    assert rf.derivation.method == "llm" and len(rf.criteria) == 3


def test_a_redraft_keeps_the_practice_lists_of_criteria_that_keep_their_id() -> None:
    from interviewer.core.models import Criterion, Rubric
    from interviewer.rubric_drafts import keep_practice

    old = Rubric("q", 1, (Criterion("a", "a", "A.", 0.5, practice=("x", "y")), Criterion("b", "b", "B.", 0.5)))
    new = Rubric("q", 2, (Criterion("a", "a2", "A again.", 0.6), Criterion("c", "c", "C.", 0.4)))
    kept = keep_practice(new, old)
    assert [c.practice for c in kept.criteria] == [("x", "y"), ()]
    assert kept.criteria[0].statement == "A again." and kept.version == 2
    assert keep_practice(new, None) is new
