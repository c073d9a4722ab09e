"""Question-bank content checks: originality against the seed, answer length, rubric hashes.

These read the YAML files directly (plain PyYAML + hashlib) so they do not depend on the
package's loaders.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
QUESTIONS_DIR = REPO / "questions"
RUBRICS_DIR = REPO / "rubrics"

RUN = 8  # no run of this many consecutive words may be shared with the seed
QUESTION_FIELDS = ("text", "sample_answer")
CRITERION_FIELDS = ("concept", "statement", "partial", "misconception", "probe", "why")
MIN_WORDS, MAX_WORDS = 80, 200


def _tokens(text: str) -> list[str]:
    return re.findall(r"[a-z0-9]+", text.lower())


def _seed_dir() -> Path:
    """INTERVIEWER_SEED_DIR (`.ci/run` sets it to `../shared/seed` when that exists), else
    `shared/seed` beside the checkout."""
    env = os.environ.get("INTERVIEWER_SEED_DIR")
    if env:
        return Path(env)
    beside = Path(__file__).resolve().parents[3] / "shared" / "seed"
    return beside


def _load(path: Path) -> dict:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(data, dict), f"{path}: top level must be a mapping"
    return data


def _questions() -> list[tuple[Path, dict]]:
    out = []
    for path in sorted(QUESTIONS_DIR.glob("*.yaml")):
        for q in _load(path).get("questions") or []:
            out.append((path, q))
    return out


def _rubrics() -> list[tuple[Path, dict]]:
    return [(path, _load(path)) for path in sorted(RUBRICS_DIR.glob("*.yaml"))]


def _bank_texts() -> Iterator[tuple[str, str, str, str]]:
    """(file, id, field, text) for every prose field of the bank."""
    for path, q in _questions():
        for field in QUESTION_FIELDS:
            yield path.name, str(q.get("id")), field, str(q.get(field) or "")
    for path, r in _rubrics():
        for c in r.get("criteria") or []:
            ident = f"{r.get('question_id')}/{c.get('id')}"
            for field in CRITERION_FIELDS:
                yield path.name, ident, field, str(c.get(field) or "")


def test_bank_is_present() -> None:
    questions = _questions()
    assert questions, f"no questions found under {QUESTIONS_DIR}"
    assert list(RUBRICS_DIR.glob("*.yaml")), f"no rubrics found under {RUBRICS_DIR}"


def test_no_eight_word_run_from_seed() -> None:
    seed_dir = _seed_dir()
    if not seed_dir.is_dir():
        pytest.skip(
            f"seed directory {seed_dir} not found (set INTERVIEWER_SEED_DIR to check originality)"
        )
    seed_files = [p for p in sorted(seed_dir.iterdir()) if p.is_file()]
    if not seed_files:
        pytest.skip(f"seed directory {seed_dir} contains no files")

    seed_runs: set[tuple[str, ...]] = set()
    for path in seed_files:
        toks = _tokens(path.read_text(encoding="utf-8", errors="ignore"))
        seed_runs.update(tuple(toks[i : i + RUN]) for i in range(len(toks) - RUN + 1))

    offences = []
    for fname, ident, field, text in _bank_texts():
        toks = _tokens(text)
        for i in range(len(toks) - RUN + 1):
            run = tuple(toks[i : i + RUN])
            if run in seed_runs:
                offences.append(f"{fname} [{ident}] {field}: '{' '.join(run)}'")
                break
    assert not offences, (
        f"{len(offences)} field(s) share a {RUN}-word run with the seed:\n" + "\n".join(offences)
    )


def test_sample_answer_length() -> None:
    bad = []
    for path, q in _questions():
        n = len(str(q.get("sample_answer") or "").split())
        if not MIN_WORDS <= n <= MAX_WORDS:
            bad.append(f"{path.name} [{q.get('id')}]: {n} words")
    assert not bad, f"sample answers must be {MIN_WORDS}-{MAX_WORDS} words:\n" + "\n".join(bad)


def test_rubric_hash_matches_sample_answer() -> None:
    questions = {str(q["id"]): q for _, q in _questions()}
    rubrics = {str(r.get("question_id")): (path, r) for path, r in _rubrics()}

    problems = []
    for qid in sorted(set(questions) - set(rubrics)):
        problems.append(f"question {qid} has no rubric")
    for qid, (path, r) in sorted(rubrics.items()):
        if path.stem != qid:
            problems.append(f"{path.name}: question_id {qid} does not match the file name")
        q = questions.get(qid)
        if q is None:
            problems.append(f"{path.name}: no question with id {qid}")
            continue
        expected = hashlib.sha256(str(q["sample_answer"]).strip().encode("utf-8")).hexdigest()
        actual = (r.get("derivation") or {}).get("sample_answer_sha256")
        if actual != expected:
            problems.append(f"{path.name}: sample_answer_sha256 {actual} != {expected}")
    assert not problems, "\n".join(problems)
