"""Starting interviews: from a socket's `start`, or created by a partner for its candidate."""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass
from urllib.parse import urlencode

from interviewer.core.models import COMPANIES, Area, Difficulty, Question, content_digest
from interviewer.core.planning import plan_questions, planned, planned_code, with_code
from interviewer.core.state import AnswerKind, InterviewConfig, PlannedQuestion
from interviewer.errors import BadRequest, NoQuestions, NotFound
from interviewer.service.auth import Principal
from interviewer.service.codec import question_to_dict
from interviewer.service.container import Services
from interviewer.service.questions import question_for
from interviewer.service.records import SessionMeta
from interviewer.service.registry import SessionRegistry
from interviewer.service.sessions import Outbox, SessionRunner

log = logging.getLogger("interviewer.interviews")

WS_PATH = "/v1/interviews/ws"


@dataclass(frozen=True, slots=True)
class QuestionSpec:
    """A partner's own question, given inline when creating an interview."""

    text: str
    sample_answer: str
    id: str | None = None
    topic: str = "custom"
    difficulty: str = "medium"


@dataclass(frozen=True, slots=True)
class CreatedInterview:
    session_id: str
    candidate_token: str
    ws_url: str
    candidate_url: str
    total: int


def build_config(
    svc: Services, *, company: str | None = None, difficulty: str | None = None,
    topics: Sequence[str] | None = None, num_questions: int | None = None,
    max_followups: int | None = None, fixed: int = 0, include_code: bool = False,
) -> InterviewConfig:
    """The interview settings from the filters, checked and capped by the server's limits."""
    s = svc.settings
    if company is not None and company not in COMPANIES:
        raise BadRequest(f"unknown company {company!r}; choose from {list(COMPANIES)}")
    areas = {a.value for a in Area}
    bad = [t for t in topics or [] if t not in areas]
    if bad:
        raise BadRequest(f"unknown topics {bad}; choose from {sorted(areas)}")
    n = num_questions or fixed or s.default_num_questions
    return InterviewConfig(
        company=company, difficulty=difficulty, topics=tuple(topics or ()),
        num_questions=min(n, s.max_questions),
        max_followups=s.default_max_followups if max_followups is None else max_followups,
        max_answer_chars=s.max_answer_chars, include_code=include_code,
    )


def spec_question(spec: QuestionSpec) -> Question:
    digest = content_digest(spec.text, spec.sample_answer)
    return Question(
        id=spec.id or f"custom:{digest}", text=spec.text.strip(), area=spec.topic,
        difficulty=Difficulty(spec.difficulty), companies=(), sample_answer=spec.sample_answer.strip(),
    )


async def _store_specs(svc: Services, org_id: str, specs: Sequence[QuestionSpec]) -> list[Question]:
    out = []
    for spec in specs:
        q = spec_question(spec)
        try:
            svc.bank.get(q.id)
        except NotFound:
            pass
        else:
            raise BadRequest(f"question id {q.id!r} is a bank question's; choose another id")
        await svc.admin.put_question(org_id, q.id, question_to_dict(q))
        out.append(q)
    return out


async def _planned_id(svc: Services, org_id: str, question_id: str) -> PlannedQuestion:
    """A bank question, a coding problem (`code-...`), or one of the org's own questions."""
    try:
        return planned(svc.bank.get(question_id))
    except NotFound:
        pass
    try:
        return planned_code(svc.code_bank.get(question_id))
    except NotFound:
        return planned(await question_for(svc, org_id, question_id))


async def plan_for(
    svc: Services, org_id: str, config: InterviewConfig, *,
    question_ids: Sequence[str] | None = None, questions: Sequence[QuestionSpec] | None = None,
) -> tuple[PlannedQuestion, ...]:
    """The questions to ask: inline ones, given ids (the bank's or the org's), or the filters.

    A plan with a coding question needs a working sandbox: without one it is refused here with
    `sandbox_unavailable`, before any session exists, rather than when the code is run.
    """
    if config.include_code:
        await svc.code_runner.ensure_available()
    if questions:
        chosen = await _store_specs(svc, org_id, questions)
        plan = tuple(planned(q) for q in chosen[: config.num_questions])
    elif question_ids:
        plan = tuple([await _planned_id(svc, org_id, qid) for qid in question_ids[: config.num_questions]])
        if any(q.kind_of_answer is AnswerKind.CODE for q in plan):
            await svc.code_runner.ensure_available()
    else:
        plan = plan_questions(svc.bank.all(), config, seed=secrets.randbits(32))
    if config.include_code:
        plan = with_code(plan, svc.code_bank.all(), config, seed=secrets.randbits(32))
    if not plan:
        raise NoQuestions("no question matches these filters; widen company, difficulty or topics")
    return plan


async def new_session(
    svc: Services, reg: SessionRegistry, *, principal: Principal, config: InterviewConfig,
    plan: tuple[PlannedQuestion, ...], outbox: Outbox | None, candidate_ref: str | None = None,
) -> tuple[SessionRunner, str]:
    """Create, register and begin a session (without an outbox its first messages wait stored)."""
    runner, token = await SessionRunner.create(svc, config, plan, org_id=principal.org_id)
    await svc.admin.put_session_meta(SessionMeta(
        runner.session_id, principal.org_id, time.time(), candidate_ref, principal.key_id))
    reg.add(runner)
    log.info("session.started", extra={"session_id": runner.session_id, "questions": len(plan)})
    await runner.begin(outbox, token)
    if outbox is None:
        await reg.release(runner)
    return runner, token


def ws_url(base_url: str, session_id: str, token: str) -> str:
    """The complete URL a candidate's client connects to (then sends `start` with no filters)."""
    base = base_url.rstrip("/")
    scheme = "wss" if base.startswith("https") else "ws"
    rest = base.split("://", 1)[-1]
    return f"{scheme}://{rest}{WS_PATH}?" + urlencode({"session_id": session_id, "token": token})


def candidate_url(base_url: str, session_id: str, token: str) -> str:
    """The chat UI opened on one session; the token rides in the fragment, which no server logs."""
    base = base_url.rstrip("/")
    return f"{base}/?" + urlencode({"session": session_id}) + "#" + urlencode({"token": token})


async def create_interview(
    svc: Services, reg: SessionRegistry, *, principal: Principal, base_url: str,
    question_ids: Sequence[str] | None = None, questions: Sequence[QuestionSpec] | None = None,
    company: str | None = None, difficulty: str | None = None, topics: Sequence[str] | None = None,
    num_questions: int | None = None, max_followups: int | None = None,
    candidate_ref: str | None = None, include_code: bool = False,
) -> CreatedInterview:
    """A partner's interview for one candidate: planned, first question stored, no socket yet."""
    fixed = len(questions or question_ids or [])
    config = build_config(svc, company=company, difficulty=difficulty, topics=topics,
                          num_questions=num_questions, max_followups=max_followups, fixed=fixed,
                          include_code=include_code)
    plan = await plan_for(svc, principal.org_id, config, question_ids=question_ids, questions=questions)
    runner, token = await new_session(svc, reg, principal=principal, config=config, plan=plan,
                                      outbox=None, candidate_ref=candidate_ref)
    base = svc.settings.public_url or base_url
    return CreatedInterview(runner.session_id, token, ws_url(base, runner.session_id, token),
                            candidate_url(base, runner.session_id, token), len(plan))
