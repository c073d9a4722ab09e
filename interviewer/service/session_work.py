"""A session's background work: grading an answer (with back-pressure retries), choosing a
follow-up, and the end-of-interview summary. It runs outside the session's lock and hands its
result back to the runner as a core event (`GradeReady`, `FollowUpChosen`)."""

from __future__ import annotations

import asyncio
import logging
import time
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from interviewer.core.code import CodeProblem
from interviewer.core.code_grade import CODE_TAG
from interviewer.core.models import Grade, Question, TurnKind
from interviewer.core.ports import FeedbackSink
from interviewer.core.state import (
    AnswerKind,
    Event,
    FollowUpChosen,
    GradeAnswer,
    GradeReady,
    RunCode,
    SelectFollowUp,
    Summary,
    Turn,
)
from interviewer.errors import Busy, InterviewerError, NotFound, Superseded
from interviewer.schemas.protocol import (
    CodeGroupOut,
    CodeResultMsg,
    ConceptOut,
    ErrorMsg,
    FeedbackDeltaMsg,
    GradingQueuedMsg,
    dump,
)
from interviewer.service import messages
from interviewer.service.code_grading import grade_code, grade_code_answer
from interviewer.service.grading import judge
from interviewer.service.questions import question_for

if TYPE_CHECKING:
    from interviewer.service.sessions import SessionRunner

log = logging.getLogger("interviewer.session")

BUSY_RETRIES = 30


class SessionWork:
    """The background tasks of one runner; `spawn` starts one, `tasks` are those still running."""

    def __init__(self, runner: SessionRunner) -> None:
        self.runner = runner
        self.svc = runner.svc
        self.tasks: set[asyncio.Task[None]] = set()
        self._custom: dict[str, Question] = {}
        self._running: RunCode | None = None  # the code run in flight (one per session)

    def spawn(self, action: GradeAnswer | SelectFollowUp | RunCode) -> None:
        match action:
            case GradeAnswer():
                coro = self.grade(action)
            case SelectFollowUp():
                coro = self.select(action)
            case RunCode() if self._running is not None:
                coro = self._code_result(action, error=Busy(
                    "a run of your code is still in progress; wait for its result"))
            case RunCode():
                self._running = action
                coro = self.run_code(action)
        task = asyncio.create_task(coro)
        self.tasks.add(task)
        task.add_done_callback(self.tasks.discard)
        task.add_done_callback(self._log_failure)

    def _log_failure(self, task: asyncio.Task[None]) -> None:
        """Background work that died of an unexpected error is logged, never lost in silence
        (the answer stays stored and is graded again on resume or by the sweeper)."""
        if not task.cancelled() and (exc := task.exception()) is not None:
            log.error("session.background_failed", extra={"session_id": self.runner.session_id},
                      exc_info=exc)

    async def question(self, question_id: str) -> Question:
        """A bank question, a coding problem, or one of the org's own (cached for the runner's life)."""
        q = self._custom.get(question_id)
        if q is None:
            try:
                return self.svc.bank.get(question_id)
            except NotFound:  # a coding problem, or the org's own question
                q = self._custom[question_id] = await question_for(self.svc, self.runner.org_id, question_id)
        return q

    def code_problem(self, turn: Turn) -> CodeProblem | None:
        """The coding problem a turn asks, or None for a written question."""
        if turn.kind_of_answer is not AnswerKind.CODE:
            return None
        return self.svc.code_bank.get(turn.question_id)

    async def run_code(self, a: RunCode) -> None:
        """`code.run`: the public tests in the sandbox, answered by an ephemeral `code.result`."""
        try:
            problem = self.svc.code_bank.get(a.question_id)
            result = await grade_code(self.svc.code_runner, problem, a.code, include_hidden=False)
        except InterviewerError as exc:  # sandbox_unavailable, busy, code_too_large, ...
            await self._code_result(a, error=exc)
            return
        finally:
            self._running = None
        groups = [CodeGroupOut(name=o.name, hidden=o.hidden, passed=o.passed, total=o.total, ok=o.ok,
                               reason=o.reason) for o in result.groups]
        await self.runner.ephemeral(dump(CodeResultMsg(
            question_id=a.question_id, turn=a.turn_index, status=result.status.value, groups=groups,
            output=result.output, detail=result.detail)))

    async def _code_result(self, a: RunCode, *, error: InterviewerError) -> None:
        await self.runner.ephemeral(dump(CodeResultMsg(
            question_id=a.question_id, turn=a.turn_index, error=error.code, message=error.message,
            retry_after=error.retry_after)))

    async def _judge(self, a: GradeAnswer, question: Question, on_feedback: FeedbackSink) -> Grade:
        """One grading attempt: a written answer by the judge, a code answer by its tests as well."""
        if a.code is not None:
            return await grade_code_answer(self.svc, problem=self.svc.code_bank.get(a.question_id),
                                           code=a.code, explanation=a.answer, on_feedback=on_feedback)
        rubric = await self.svc.rubrics.get_async(question)
        if a.criterion_id is not None:
            rubric = rubric.only(a.criterion_id)
            if CODE_TAG in question.tags:
                # A coding problem's statement spells out the algorithm, so an answer explaining
                # it would read as restating the question: the follow-up is what was asked.
                question = replace(question, text=self.runner.state.turns[a.turn_index].text)
        return await judge(self.svc, question=question, rubric=rubric, answer=a.answer,
                           on_feedback=on_feedback, check_topic=a.criterion_id is None)

    async def grade(self, a: GradeAnswer) -> None:
        question = await self.question(a.question_id)

        async def on_feedback(text: str) -> None:
            msg = FeedbackDeltaMsg(question_id=a.question_id, turn=a.turn_index, text=text)
            await self.runner.ephemeral(dump(msg))

        async def on_queued(position: int, eta_s: float) -> None:
            await self.runner.ephemeral(dump(GradingQueuedMsg(
                question_id=a.question_id, turn=a.turn_index, position=position, eta_s=eta_s)))

        grade: Grade | None = None
        for _ in range(BUSY_RETRIES):
            try:
                async with self.svc.gate.slot(on_queued):
                    grade = await self._judge(a, question, on_feedback)
                break
            except Busy as exc:  # back-pressure: tell the client, wait, try again
                await self.runner.ephemeral(dump(ErrorMsg(
                    code=exc.code, message="the grader is busy; your answer is stored and will be "
                    "graded shortly", retry_after=exc.retry_after)))
                await asyncio.sleep(exc.retry_after or 1.0)
            except Exception as exc:  # the answer stays stored and ungraded; resume retries
                log.exception("judge.failed", extra={"session_id": self.runner.session_id})
                err = ErrorMsg(code="grading_failed", message=f"grading failed "
                               f"({type(exc).__name__}); the answer is stored and will be graded "
                               "on resume")
                await self.runner.ephemeral(dump(err))
                return
        if grade is None:
            return
        await self.apply(GradeReady(a.turn_index, grade, time.time()))

    async def apply(self, event: Event) -> None:
        """Apply an event from background work; a newer holder elsewhere ends this runner."""
        for _ in range(BUSY_RETRIES):
            try:
                await self.runner.handle(event)
                return
            except Busy as exc:  # the store is briefly unavailable (e.g. Redis restarting)
                log.warning("session.store_busy", extra={"session_id": self.runner.session_id})
                await asyncio.sleep(exc.retry_after or 1.0)
            except Superseded as exc:
                await self.runner.superseded_by(exc)
                return

    async def select(self, a: SelectFollowUp) -> None:
        question = await self.question(a.question_id)
        chosen = FollowUpChosen(a.turn_index, time.time())
        for criterion_id in a.candidates:
            probe = await self.svc.retriever.probe_for(
                question=question, criterion_id=criterion_id, answer=a.answer, exclude=a.exclude
            )
            if probe is not None:
                chosen = FollowUpChosen(
                    a.turn_index, time.time(), probe.criterion_id, probe.concept, probe.text,
                    probe.question_id,
                )
                break
        await self.apply(chosen)

    async def summary(self, summary: Summary) -> dict[str, Any]:
        whys: dict[str, str] = {}
        for t in self.runner.state.turns:
            if t.kind is TurnKind.MAIN:
                rubric = (await self.question(t.question_id)).rubric
                for c in rubric.criteria if rubric else ():
                    whys[f"{t.question_id}/{c.id}"] = c.why
        asked = frozenset(t.question_id for t in self.runner.state.turns)
        gaps: list[ConceptOut] = []
        for note in summary.gaps:
            practice = await self.svc.retriever.practice_for(
                question=await self.question(note.question_id), criterion_id=note.criterion_id,
                exclude=asked, k=2,
            )
            gaps.append(messages.concept_out(
                note, whys.get(f"{note.question_id}/{note.criterion_id}", ""),
                [{"question_id": p.question_id, "text": p.text} for p in practice],
            ))
        return dump(messages.summary_msg(self.runner.next_seq(), self.runner.session_id, summary, gaps, whys))
