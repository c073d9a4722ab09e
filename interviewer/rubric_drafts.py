"""Draft rubrics for bank questions (`interviewer rubrics derive`): LLM when configured, else offline.

Composition code like `wiring.py`: it finds a question's bank root and rubric file, derives a draft
(the configured judge model through `adapters.rubric_llm`, falling back to the offline
`core.rubric_derive` on any failure) and writes it without clobbering a reviewed rubric.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank, dump_rubric, read_rubric_file
from interviewer.adapters.judge.rubric_llm import LLMRubricDeriver
from interviewer.core.judging import JudgeError
from interviewer.core.models import Question, Rubric, answer_hash
from interviewer.core.ports import Encoder
from interviewer.core.rubric_derive import derive_rubric
from interviewer.errors import NotFound
from interviewer.settings import Settings

log = logging.getLogger(__name__)

HEADER = """Draft rubric derived by `interviewer rubrics derive` ({how}).
Review every criterion, then set `reviewed: true`."""


@dataclass(frozen=True)
class Located:
    """A bank question with the bank root it lives in and its rubric file."""

    root: Path
    local_id: str
    question: Question

    @property
    def rubric_path(self) -> Path:
        return self.root / "rubrics" / f"{self.local_id}.yaml"


def locate(roots: Iterable[Path], ids: Sequence[str], *, every: bool) -> list[Located]:
    """The named questions (public ids, `ns:local` for extra banks), or every question."""
    found: list[Located] = []
    for root in roots:
        bank = YamlQuestionBank.load([root], strict=False)  # a rubric may be missing or stale
        for q in bank.all():
            found.append(Located(Path(root), q.id.split(":", 1)[-1], q))
    if every:
        return found
    by_id = {loc.question.id: loc for loc in found}
    missing = [i for i in ids if i not in by_id]
    if missing:
        raise NotFound(f"no question with id {', '.join(map(repr, missing))}")
    return [by_id[i] for i in ids]


def next_version(*paths: Path) -> int:
    """One more than the highest version among the existing rubric files (1 when there are none)."""
    versions = [rf.version for rf in map(read_rubric_file, paths) if rf is not None]
    return max(versions, default=0) + 1


def build_llm_deriver(settings: Settings) -> LLMRubricDeriver | None:
    """An LLM rubric deriver on the configured judge model, or None when no model is set."""
    if not settings.judge_model:
        return None
    from interviewer.adapters.judge.llm_client import LLMClient

    client = LLMClient(
        settings.judge_model, api_base=settings.judge_api_base, api_key=settings.judge_api_key,
        timeout=max(settings.judge_timeout, 60.0), max_retries=settings.judge_max_retries,
        max_concurrency=1, max_tokens=max(settings.judge_max_tokens, 2048),
        response_format=settings.judge_response_format,
    )
    return LLMRubricDeriver(client)


@dataclass(frozen=True)
class Draft:
    rubric: Rubric
    how: str  # "offline" | "llm:<model>"
    warning: str = ""


def keep_practice(draft: Rubric, old: Rubric | None) -> Rubric:
    """The draft with the hand-picked practice lists of the rubric it replaces, for criteria
    that keep their id: no deriver can pick them, and a re-derivation should not lose them."""
    lists = {c.id: c.practice for c in old.criteria} if old is not None else {}
    if not any(lists.values()):
        return draft
    criteria = tuple(replace(c, practice=lists.get(c.id, c.practice)) for c in draft.criteria)
    return replace(draft, criteria=criteria)


async def derive(
    loc: Located, *, version: int, encoder: Callable[[], Encoder], llm: LLMRubricDeriver | None
) -> Draft:
    """Through the LLM when one is given, else (or when it fails) offline from the sample answer."""
    q = loc.question
    digest = answer_hash(q.sample_answer)
    warning = ""
    if llm is not None:
        try:
            rubric = await llm.derive(question=q, sample_hash=digest, version=version)
            return Draft(keep_practice(rubric, q.rubric), f"llm:{llm.model}")
        except JudgeError as exc:
            warning = f"{q.id}: LLM derivation failed ({str(exc)[:200]}); derived offline"
            log.warning("rubrics.llm_failed question=%s kind=%s", q.id, exc.kind)
    rubric = derive_rubric(question_id=q.id, question_text=q.text, sample_answer=q.sample_answer,
                           encoder=encoder(), version=version)
    assert rubric.derivation is not None and rubric.derivation.sample_answer_sha256 == digest
    today = datetime.now(UTC).date().isoformat()
    rubric = replace(rubric, derivation=replace(rubric.derivation, derived_at=today))
    return Draft(keep_practice(rubric, q.rubric), "offline", warning)


def render(draft: Draft, loc: Located) -> str:
    """The draft's YAML text, with a header saying how it was derived."""
    return dump_rubric(draft.rubric, loc.local_id, header=HEADER.format(how=draft.how))


def target_path(loc: Located, *, out: Path | None, in_bank: bool) -> Path | None:
    """Where a draft goes: `out/<id>.yaml`, the bank's `rubrics/<id>.yaml`, or None (stdout)."""
    if out is None and not in_bank:
        return None
    return (out or loc.root / "rubrics") / f"{loc.local_id}.yaml"


def check_replaceable(target: Path, *, force: bool) -> None:
    """Raise FileExistsError when `target` holds a reviewed (or unreadable) rubric and not forced."""
    if target.exists() and not force:
        existing = read_rubric_file(target)
        if existing is None or existing.reviewed:
            state = "reviewed" if existing is not None else "unreadable"
            raise FileExistsError(f"{target} holds a {state} rubric; pass --force to replace it")


@dataclass(frozen=True)
class Outcome:
    loc: Located
    target: Path | None
    draft: Draft | None = None
    error: str = ""


async def derive_each(
    located: Sequence[Located],
    *,
    out: Path | None,
    in_bank: bool,
    force: bool,
    encoder: Callable[[], Encoder],
    llm: LLMRubricDeriver | None,
) -> list[Outcome]:
    """Derive and write (unless stdout) a draft per question; refused targets are not derived."""
    outcomes: list[Outcome] = []
    for loc in located:
        target = target_path(loc, out=out, in_bank=in_bank)
        try:
            if target is not None:
                check_replaceable(target, force=force)
        except FileExistsError as exc:
            outcomes.append(Outcome(loc, target, error=str(exc)))
            continue
        version = next_version(loc.rubric_path, *([target] if target else []))
        draft = await derive(loc, version=version, encoder=encoder, llm=llm)
        if target is not None:
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(render(draft, loc), encoding="utf-8")
        outcomes.append(Outcome(loc, target, draft))
    return outcomes
