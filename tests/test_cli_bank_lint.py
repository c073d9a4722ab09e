"""`interviewer bank lint` on small banks in a temp dir, and on the built-in bank."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from interviewer import cli_bank
from interviewer.cli import app
from interviewer.core.models import answer_hash
from interviewer.settings import get_settings

REPO = Path(__file__).resolve().parents[1]
runner = CliRunner()

ANSWER = ("Mixed precision keeps an fp32 master copy of the weights while matrix multiplications run "
          "in bf16 on tensor cores. Micikevicius and colleagues introduced loss scaling for fp16.")


def write_bank(root: Path, key_terms: list[str], practice: list[str] | None = None) -> Path:
    (root / "questions").mkdir(parents=True)
    (root / "rubrics").mkdir()
    q = {"id": "mp", "area": "training", "difficulty": "easy", "companies": ["Nvidia"],
         "text": "How does mixed-precision training work?", "sample_answer": ANSWER}
    (root / "questions" / "training.yaml").write_text(yaml.safe_dump({"questions": [q]}))
    rubric = {
        "question_id": "mp", "version": 1, "reviewed": True,
        "derivation": {"method": "manual", "sample_answer_sha256": answer_hash(ANSWER)},
        "criteria": [{"id": "master-copy", "concept": "fp32 master copy", "weight": 1.0,
                      "statement": "An fp32 master copy keeps small updates from rounding away.",
                      "key_terms": key_terms, **({"practice": practice} if practice else {})}],
    }
    (root / "rubrics" / "mp.yaml").write_text(yaml.safe_dump(rubric))
    return root


@pytest.fixture(autouse=True)
def packaged_encoder(monkeypatch: pytest.MonkeyPatch, encoder: Any) -> None:
    monkeypatch.delenv("INTERVIEWER_BANK_PATHS", raising=False)
    monkeypatch.setattr(cli_bank, "_encoder", lambda s: encoder)  # the real model, loaded once
    get_settings.cache_clear()


def test_name_and_figure_key_terms_fail_the_lint(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", ["master copy", "micikevicius", "65,504"])
    r = runner.invoke(app, ["bank", "lint", str(bank)])
    assert r.exit_code == 1, r.output
    assert "error: name-key-term: mp/master-copy: key term 'micikevicius'" in r.output
    assert "error: figure-key-term: mp/master-copy: key term '65,504'" in r.output
    assert r.output.strip().endswith("1 questions, 2 errors, 0 warnings")


def test_mechanism_key_terms_pass_and_json_lists_findings(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", ["master copy", "rounding"])
    r = runner.invoke(app, ["bank", "lint", str(bank), "--json"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.output) == []


def test_a_practice_list_naming_no_bank_question_fails_the_lint(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", ["master copy"], practice=["mp", "no-such-question"])
    r = runner.invoke(app, ["bank", "lint", str(bank), "--no-duplicates"])
    assert r.exit_code == 1, r.output
    assert "error: practice-own-question: mp/master-copy" in r.output
    assert "error: practice-unknown: mp/master-copy: practice question 'no-such-question'" in r.output


def test_an_invalid_bank_is_refused(tmp_path: Path) -> None:
    bank = write_bank(tmp_path / "bank", ["master copy"])
    (bank / "rubrics" / "mp.yaml").write_text("question_id: mp\nversion: 0\n")
    r = runner.invoke(app, ["bank", "lint", str(bank), "--no-duplicates"])
    assert r.exit_code == 1 and "bank validate" in r.output


def test_the_built_in_bank_has_no_findings() -> None:
    r = runner.invoke(app, ["bank", "lint", str(REPO)])
    assert r.exit_code == 0, r.output
    assert "error:" not in r.output
    # No two criteria of different questions test the same fact (the 8 overlaps the issue 18
    # additions had were differentiated: each criterion now tests what its own question asks).
    assert r.output.count("duplicate-coverage") == 0
    # No bundled criterion (split, or "any two of" its parts) and no skewed company tags.
    assert "warning:" not in r.output, r.output
    assert r.output.strip().endswith("0 errors, 0 warnings")
