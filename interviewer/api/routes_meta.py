"""`GET /v1/meta`: the constants clients build their forms and labels from (public, no key).

Everything here comes from the backend's own enums and settings, so that a client never keeps a copy
that can drift (the chat once looked for a flag name the server did not emit).
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from pydantic import BaseModel, Field

from interviewer import __version__
from interviewer.core.models import COMPANIES, REVIEW_FLAGS, Area, Difficulty, InfoFlag, ReviewFlag, Verdict
from interviewer.errors import SandboxUnavailable
from interviewer.schemas.protocol import PROTOCOL_VERSION
from interviewer.service.container import Services
from interviewer.settings import Settings

router = APIRouter(prefix="/v1", tags=["meta"])

# Flags a grade may carry that do not by themselves make it provisional: thin evidence, quotes the
# LLM judge gave that were not in the answer. (`fallback_used` is both a review flag and derived.)
INFO_FLAGS: tuple[str, ...] = tuple(f.value for f in InfoFlag)

# Every flag: a short label (a badge) and why it matters, as the end of "This score may change after a
# human review: ..." for the flags that make a grade provisional.
FLAG_TEXT: dict[str, tuple[str, str]] = {
    ReviewFlag.NEEDS_REVIEW: ("Needs review", "the judge asked for a human check"),
    ReviewFlag.PROMPT_INJECTION: ("Instructions to the grader",
                                  "the answer contains instructions to the grader, which earn nothing"),
    ReviewFlag.OFF_TOPIC: ("Off topic", "the answer seems to be about something else"),
    ReviewFlag.JUDGES_DISAGREE: ("Judges disagree", "two judges disagreed on this answer"),
    ReviewFlag.FALLBACK_USED: ("Fallback judge", "a backup judge graded it"),
    ReviewFlag.UNCERTAIN: ("Uncertain", "the judge was not confident"),
    ReviewFlag.CLAIM_CONTRADICTED: ("Claims contradicted",
                                    "a second reader found statements that contradict the rubric"),
    InfoFlag.INSUFFICIENT_EVIDENCE: ("Insufficient evidence", "the answer gave little evidence to grade"),
    InfoFlag.QUOTES_DROPPED: ("Quotes dropped", "quotes the judge gave were not found in the answer"),
    InfoFlag.CACHED: ("Cached", "the same answer was graded before; this is that grade"),
}


class FlagRead(BaseModel):
    name: str = Field(description="the string in a grade's `flags`")
    label: str = Field(description="a short label for a badge")
    meaning: str = Field(description="why it matters, as a clause")
    provisional: bool = Field(description="the flag makes a grade provisional (`needs_review`) until a "
                              "reviewer overrides it")


class CodingRead(BaseModel):
    available: bool | None = Field(description="coding questions can be asked here (the sandbox works); "
                                   "null while the server is still starting")
    reason: str = Field("", description="why coding questions are unavailable (empty when they are)")


class Meta(BaseModel):
    """What a client needs to build the start form, the filters and the grade labels."""

    version: str
    protocol: int = Field(description="the websocket protocol version (docs/protocol.md)")
    companies: list[str]
    topics: list[str]
    difficulties: list[str]
    verdicts: list[str]
    max_questions: int = Field(description="the most questions one interview asks")
    default_num_questions: int
    max_answer_chars: int
    flags: list[FlagRead]
    coding: CodingRead = Field(description="whether `include_code` (coding questions) can be used")


def flags() -> list[FlagRead]:
    """Every grade flag, the provisional ones first (in the enum's order)."""
    names = [*(f.value for f in ReviewFlag), *INFO_FLAGS]
    return [FlagRead(name=n, label=FLAG_TEXT[n][0], meaning=FLAG_TEXT[n][1],
                     provisional=n in REVIEW_FLAGS) for n in names]


def meta_of(settings: Settings, coding: CodingRead) -> Meta:
    return Meta(
        version=__version__, protocol=PROTOCOL_VERSION, companies=list(COMPANIES),
        topics=[a.value for a in Area], difficulties=[d.value for d in Difficulty],
        verdicts=[v.value for v in Verdict], max_questions=settings.max_questions,
        default_num_questions=min(settings.default_num_questions, settings.max_questions),
        max_answer_chars=settings.max_answer_chars, flags=flags(), coding=coding,
    )


async def coding_of(svc: Services | None) -> CodingRead:
    """Whether the sandbox works (probed once per process), unknown before the services are built."""
    if svc is None:
        return CodingRead(available=None)
    try:
        await svc.code_runner.ensure_available()
    except SandboxUnavailable as exc:
        return CodingRead(available=False, reason=exc.message)
    return CodingRead(available=True)


@router.get("/meta", response_model=Meta)
async def get_meta(request: Request) -> Meta:
    """The companies, topics, difficulties, verdicts, grade flags and limits this server uses, and
    whether coding questions are available.

    Public (no key, also with `INTERVIEWER_AUTH=on`) and ready before the model has loaded.
    """
    return meta_of(request.app.state.settings, await coding_of(request.app.state.services))
