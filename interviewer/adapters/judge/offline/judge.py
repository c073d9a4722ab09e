"""Offline judge: sentence and window embeddings, key terms and a fitted calibration, no LLM
(`features`), with the cross-encoder's claim reading on top (`verify`).

Each unit of the answer (a sentence or a window of 2-3 sentences) is compared with every
criterion of the rubric (`features.extract`); a criterion's verdict and credit follow from what
was measured (`features.verdict_for`). The claim verifier reads the answer's sentences against
the criteria's claims: its reading scores an answer it overrules (`verify.overrules`), and credits
claims stated in other words than the rubric's (`lift.lift_by_sample`).
"""

from __future__ import annotations

import asyncio
import os
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import replace
from functools import partial
from pathlib import Path

from interviewer.adapters.judge.offline.calibration import (
    DEFAULT_CALIBRATION,
    FEATURES,
    RELEVANCE,
    Calibration,
)
from interviewer.adapters.judge.offline.claim_verifier import DEFAULT_VERIFIER, ClaimVerifier
from interviewer.adapters.judge.offline.cross_verifier import DEFAULT_CROSS, CrossVerifier, VerifierBackend
from interviewer.adapters.judge.offline.cross_verifier import shared as shared_cross
from interviewer.adapters.judge.offline.features import extract, verdict_for
from interviewer.adapters.judge.offline.lift import lift_by_sample
from interviewer.adapters.judge.offline.units import Units, answer_units
from interviewer.adapters.judge.offline.verify import overruled_score, overrules
from interviewer.core.feedback import build_feedback
from interviewer.core.judging import stream_text
from interviewer.core.models import CriterionResult, Grade, Provenance, Question, ReviewFlag, Rubric, Verdict
from interviewer.core.ports import Encoder, FeedbackSink
from interviewer.core.scoring import score
from interviewer.core.text import no_language

__all__ = ["DEFAULT_CALIBRATION", "FEATURES", "RELEVANCE", "Calibration", "OfflineJudge", "Units",
           "answer_units", "extract", "verdict_for"]


class OfflineJudge:
    """Judge port without an LLM: embeddings of answer units against the rubric's criteria."""

    name = "offline"

    def __init__(
        self, encoder: Encoder, *, calibration_path: Path | None = None,
        max_concurrency: int | None = None, verify: bool = False, verifier_path: Path | None = None,
        verifier: str = "cross", review: bool = False, clause_top_k: int | None = None,
        verifier_backend: VerifierBackend = "onnx", onnx_cache: Path | None = None,
    ) -> None:
        self.encoder = encoder
        self.calibration = Calibration.load(calibration_path or DEFAULT_CALIBRATION)
        # The claim verifier: with `verify` it scores the answers it overrules (`verify.overrules`;
        # INTERVIEWER_JUDGE_VERIFY, on by default); with `review` alone it only flags them
        # `claim_contradicted` (and wins over `verify`). Without either: the similarity judge alone.
        self.verifier: ClaimVerifier | CrossVerifier | None = None
        self.verify_scores = verify and not review
        self.clause_top_k = clause_top_k
        if (verify or review) and verifier == "cross":
            self.verifier = shared_cross(verifier_path or DEFAULT_CROSS, verifier_backend, onnx_cache)
        elif (verify or review) and verifier == "head":
            self.verifier = ClaimVerifier(verifier_path or DEFAULT_VERIFIER)
        elif verify or review:
            raise ValueError(f"unknown verifier {verifier!r}: cross | head")
        # Grading is CPU-bound Python around the model, in its own bounded pool: more threads than
        # about twice the cores only fight for the GIL, and on the loop's default executor a queue
        # of gradings would delay every other blocking call behind it.
        workers = max_concurrency or 2 * (os.cpu_count() or 1)
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="grade")

    async def grade(
        self, *, question: Question, rubric: Rubric, answer: str,
        on_feedback: FeedbackSink | None = None,
    ) -> Grade:
        """Grade in a worker thread, then stream the feedback in word chunks if asked."""
        grade = await asyncio.get_running_loop().run_in_executor(
            self._executor, partial(self.grade_sync, question=question, rubric=rubric, answer=answer)
        )
        await stream_text(grade.feedback, on_feedback, words=4)
        return grade

    def grade_sync(self, *, question: Question, rubric: Rubric, answer: str) -> Grade:
        """Grade an answer against a rubric (CPU-bound; one encoder call)."""
        t0 = time.perf_counter()
        reason = no_language(answer)
        units = answer_units(answer, question.text) if not reason else None
        flags: tuple[str, ...] = ((ReviewFlag.PROMPT_INJECTION.value,)
                                  if units is not None and units.injected else ())
        if units is not None and not units.spans:
            reason = "Nothing is left to grade once the instructions to the grader are removed."
        if reason or units is None:
            results = [CriterionResult(c.id, c.concept, Verdict.MISSED, c.weight, confidence=1.0,
                                       note=reason, credit=0.0) for c in rubric.criteria]
            return self._grade(question, rubric, results, t0, flags, reason)
        # The cross-encoder first reads only what its contradiction rule needs: an answer that this
        # cheap pass does not flag is graded by the default judge alone, the same grade the full
        # reading would give (`check_clauses`), at a fraction of the model passes.
        lazy = isinstance(self.verifier, CrossVerifier)
        feats = extract(self.encoder, question, rubric, units, self.calibration, self.verifier,
                        self.clause_top_k, contradictions_only=lazy)
        checked = [verdict_for(c, f, units, self.calibration)
                   for c, f in zip(rubric.criteria, feats, strict=True)]
        if self.verifier is None:
            return self._grade(question, rubric, checked, t0, flags, "")
        plain = [verdict_for(c, replace(f, checked=None), units, self.calibration)
                 for c, f in zip(rubric.criteria, feats, strict=True)]
        if lazy and overrules(plain, checked):
            feats = extract(self.encoder, question, rubric, units, self.calibration, self.verifier,
                            self.clause_top_k)
            checked = [verdict_for(c, f, units, self.calibration)
                       for c, f in zip(rubric.criteria, feats, strict=True)]
        flagged = overrules(plain, checked)
        if flagged:
            flags += (ReviewFlag.CLAIM_CONTRADICTED.value,)
        # Scoring with the verifier: its reading (contradictions, assertion caps) replaces the
        # default judge's only on an answer it flags. A correct answer loses nothing to one
        # misread sentence; a confident misconception, several of whose claims it reads as
        # contradicted, is scored by it, less half the weight it contradicts (docs/grading.md).
        scored = self.verify_scores and flagged
        if self.verify_scores and isinstance(self.verifier, CrossVerifier) and not (flags or units.restated):
            plain = lift_by_sample(self.verifier.probabilities, self.encoder, question.sample_answer,
                                   [c.statement for c in rubric.criteria], plain, units)
        return self._grade(question, rubric, checked if scored else plain, t0, flags, "", scored)

    @property
    def prompt_version(self) -> str:
        """Calibration and verifier versions: a grade says which judge produced it."""
        base = f"offline-{self.calibration.version}"
        # "-clauses2": a contradiction through a clause cut from a sample sentence is confirmed
        # against the whole sentence (verify.cut_sources); "+polarity": its readings of negations
        # and swapped directions checked by their words
        suffix = ("-clauses2" + ("+polarity" if self.verifier.polarity else "")
                  if isinstance(self.verifier, CrossVerifier) else "")
        if self.verifier is not None and not self.verify_scores:
            return f"{base}+review-{self.verifier.version}{suffix}"
        if isinstance(self.verifier, CrossVerifier):
            return f"{base}+{self.verifier.version}{suffix}"
        return f"{base}+verify-{self.verifier.version}" if self.verifier is not None else base

    def _grade(
        self, question: Question, rubric: Rubric, results: list[CriterionResult], t0: float,
        flags: tuple[str, ...], reason: str, overruled: bool = False,
    ) -> Grade:
        provenance = Provenance(
            judge=self.name, model=self.encoder.name,
            prompt_version=self.prompt_version, rubric_version=rubric.version,
            latency_ms=round((time.perf_counter() - t0) * 1000.0, 3),
        )
        return Grade(
            question_id=question.id,
            score=0 if reason else overruled_score(results) if overruled else score(results),
            criteria=tuple(results), judge=self.name,
            feedback=build_feedback(rubric, results, reason), provenance=provenance,
            flags=flags, insufficient_evidence=bool(reason), reason=reason,
        )
