"""QuestionBank port on YAML files: a bank root holds `questions/`, `rubrics/` and optional `bank.yaml`."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError

from interviewer.adapters.bank.schema import (
    BankFile,
    QuestionFile,
    QuestionsFile,
    RubricFile,
    namespaced,
)
from interviewer.core.models import Criterion, Derivation, Difficulty, Question, Rubric, answer_hash
from interviewer.errors import BankError, NotFound


@dataclass
class BankReport:
    """What `bank validate` found: errors fail validation, warnings do not."""

    questions: int = 0
    rubrics: int = 0
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def _read_yaml(path: Path, report: BankReport) -> Any:
    try:
        return yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        report.errors.append(f"{path}: cannot read YAML: {exc}")
        return None


def _errors(path: Path, exc: ValidationError) -> list[str]:
    return [f"{path}: {'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()]


def _namespace_of(question_id: str) -> str:
    return question_id.split(":", 1)[0] if ":" in question_id else ""


def public_practice(ids: Iterable[str], namespace: str) -> tuple[str, ...]:
    """Practice ids as the bank exposes them: a file's local ids get its own namespace, an
    `ns:local` id (a question of another bank) stays as written."""
    return tuple(i if ":" in i else namespaced(namespace, i) for i in ids)


def local_practice(ids: Iterable[str], namespace: str) -> list[str]:
    """Practice ids as a rubric file writes them: local for the file's own bank."""
    own = f"{namespace}:" if namespace else ""
    return [i[len(own):] if own and i.startswith(own) else i for i in ids]


def rubric_from_file(rf: RubricFile, question_id: str) -> Rubric:
    """Core rubric from its validated file model (`question_id` is the public, namespaced id)."""
    namespace = _namespace_of(question_id)
    criteria = tuple(
        Criterion(
            id=c.id, concept=c.concept, statement=c.statement.strip(), weight=c.weight,
            partial=c.partial.strip(), misconception=c.misconception.strip(),
            probe=c.probe.strip(), why=c.why.strip(), key_terms=tuple(c.key_terms),
            practice=public_practice(c.practice, namespace),
        )
        for c in rf.criteria
    )
    d = rf.derivation
    derivation = Derivation(d.method, d.sample_answer_sha256, d.model, d.derived_at)
    return Rubric(question_id, rf.version, criteria, derivation, rf.reviewed)


def rubric_to_file(rubric: Rubric, local_id: str) -> RubricFile:
    """The validated file model of a rubric (raises ValidationError on bad weights or ids)."""
    d = rubric.derivation
    if d is None:
        raise ValueError(f"rubric of {local_id!r} records no derivation")
    namespace = _namespace_of(rubric.question_id)
    return RubricFile.model_validate({
        "question_id": local_id, "version": rubric.version, "reviewed": rubric.reviewed,
        "derivation": {"method": d.method, "sample_answer_sha256": d.sample_answer_sha256,
                       "model": d.model, "derived_at": d.derived_at},
        "criteria": [
            {"id": c.id, "concept": c.concept, "statement": c.statement, "partial": c.partial,
             "misconception": c.misconception, "probe": c.probe, "why": c.why,
             "weight": c.weight, "key_terms": list(c.key_terms),
             "practice": local_practice(c.practice, namespace)}
            for c in rubric.criteria
        ],
    })


def dump_rubric(rubric: Rubric, local_id: str, *, header: str = "") -> str:
    """A rubric as the YAML text of `rubrics/<local_id>.yaml` (validated first)."""
    data = rubric_to_file(rubric, local_id).model_dump(mode="json")
    for c in data["criteria"]:  # optional: files without practice lists stay as they were
        if not c["practice"]:
            del c["practice"]
    body = yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)
    lines = [f"# {line}" if line else "#" for line in header.splitlines()]
    return "\n".join([*lines, body]) if lines else body


def read_rubric_file(path: Path) -> RubricFile | None:
    """The rubric file at `path`, or None when there is none or it does not validate."""
    if not path.is_file():
        return None
    try:
        return RubricFile.model_validate(yaml.safe_load(path.read_text(encoding="utf-8")))
    except (OSError, yaml.YAMLError, ValidationError):
        return None


def _question(qf: QuestionFile, qid: str, rubric: Rubric | None) -> Question:
    return Question(
        id=qid, text=qf.text.strip(), area=qf.area.value, difficulty=Difficulty(qf.difficulty),
        companies=tuple(qf.companies), sample_answer=qf.sample_answer.strip(),
        tags=tuple(qf.tags), rubric=rubric,
    )


def _load_root(root: Path, report: BankReport) -> tuple[str, dict[str, QuestionFile], dict[str, Rubric]]:
    namespace = ""
    meta = root / "bank.yaml"
    if meta.exists():
        data = _read_yaml(meta, report) or {}
        try:
            namespace = BankFile.model_validate(data).namespace
        except ValidationError as exc:
            report.errors.extend(_errors(meta, exc))
    questions: dict[str, QuestionFile] = {}
    for path in sorted((root / "questions").glob("*.y*ml")):
        data = _read_yaml(path, report)
        if data is None:
            continue
        try:
            parsed = QuestionsFile.model_validate(data)
        except ValidationError as exc:
            report.errors.extend(_errors(path, exc))
            continue
        for qf in parsed.questions:
            if qf.id in questions:
                report.errors.append(f"{path}: duplicate question id {qf.id!r}")
            questions[qf.id] = qf
    rubrics: dict[str, Rubric] = {}
    for path in sorted((root / "rubrics").glob("*.y*ml")):
        data = _read_yaml(path, report)
        if data is None:
            continue
        try:
            rf = RubricFile.model_validate(data)
        except ValidationError as exc:
            report.errors.extend(_errors(path, exc))
            continue
        if path.stem != rf.question_id:
            report.errors.append(f"{path}: file name does not match question_id {rf.question_id!r}")
        if rf.question_id not in questions:
            report.errors.append(f"{path}: rubric for unknown question {rf.question_id!r}")
            continue
        expected = answer_hash(questions[rf.question_id].sample_answer)
        if rf.derivation.sample_answer_sha256 != expected:
            report.errors.append(
                f"{path}: sample answer of {rf.question_id!r} changed after its rubric was derived "
                "(re-derive or review it, then update derivation.sample_answer_sha256)"
            )
        rubrics[rf.question_id] = rubric_from_file(rf, namespaced(namespace, rf.question_id))
        report.rubrics += 1
    for qid in questions:
        if qid not in rubrics:
            report.errors.append(f"{root}: question {qid!r} has no rubric in rubrics/{qid}.yaml")
    return namespace, questions, rubrics


class YamlQuestionBank:
    """Questions and rubrics loaded from one or more bank roots; ids from extra banks are namespaced."""

    def __init__(self, questions: Sequence[Question], report: BankReport, content_hash: str) -> None:
        self._by_id = {q.id: q for q in questions}
        self._ordered = tuple(questions)
        self.report = report
        self._hash = content_hash

    @classmethod
    def load(cls, roots: Iterable[Path], *, strict: bool = True) -> YamlQuestionBank:
        """Load and validate every root; raise BankError on any error when strict."""
        report = BankReport()
        questions: list[Question] = []
        digest = hashlib.sha256()
        seen: dict[str, Path] = {}
        for root in roots:
            root = Path(root)
            if not root.is_dir():
                report.errors.append(f"{root}: bank directory does not exist")
                continue
            namespace, qfiles, rubrics = _load_root(root, report)
            for local_id, qf in qfiles.items():
                qid = namespaced(namespace, local_id)
                if qid in seen:
                    report.errors.append(f"{root}: question id {qid!r} collides with {seen[qid]}")
                    continue
                seen[qid] = root
                questions.append(_question(qf, qid, rubrics.get(local_id)))
            for path in sorted([*root.glob("questions/*.y*ml"), *root.glob("rubrics/*.y*ml")]):
                digest.update(path.relative_to(root).as_posix().encode())
                digest.update(path.read_bytes())
        report.questions = len(questions)
        if strict and not report.ok:
            raise BankError("question bank is invalid:\n" + "\n".join(report.errors))
        return cls(questions, report, digest.hexdigest()[:16])

    def get(self, question_id: str) -> Question:
        try:
            return self._by_id[question_id]
        except KeyError:
            raise NotFound(f"no question with id {question_id!r}") from None

    def all(self) -> Sequence[Question]:
        return self._ordered

    @property
    def content_hash(self) -> str:
        return self._hash
