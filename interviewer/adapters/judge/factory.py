"""Assembles the configured judge: a cached LLM chain ending offline, or the offline judge."""

from __future__ import annotations

from collections.abc import Sequence

from pydantic import SecretStr

from interviewer.adapters.judge.llm_judge import PROMPT_VERSION, LiteLLMJudge
from interviewer.core.judging import CachingJudge, EnsembleJudge, FallbackJudge, GradeCache
from interviewer.core.ports import Judge
from interviewer.options import JudgeMode, ResponseFormat


def build_judge(
    *,
    model: str | None,
    offline: Judge,
    api_base: str | None = None,
    api_key: SecretStr | str | None = None,
    timeout: float = 30.0,
    fallbacks: Sequence[str] = (),
    mode: JudgeMode | str = JudgeMode.SINGLE,
    max_concurrency: int = 4,
    max_retries: int = 2,
    disagreement_threshold: int = 25,
    cache: GradeCache | None = None,
    max_tokens: int | None = 1024,
    response_format: ResponseFormat | str = ResponseFormat.AUTO,
) -> Judge:
    """The offline judge when no model is set; else a cached LLM chain that ends offline."""
    if mode not in set(JudgeMode):
        raise ValueError(f"judge mode must be one of {[m.value for m in JudgeMode]}, not {mode!r}")
    if not model:
        return offline
    # Fallback models use their provider's own settings (e.g. OPENAI_API_KEY, OLLAMA_API_BASE):
    # the primary's base URL and key belong to the primary's server.
    llms: list[Judge] = [
        LiteLLMJudge(
            model, api_base=api_base, api_key=api_key, timeout=timeout,
            max_retries=max_retries, max_concurrency=max_concurrency, max_tokens=max_tokens,
            response_format=response_format,
        ),
        *(
            LiteLLMJudge(
                name, timeout=timeout, max_retries=max_retries, max_concurrency=max_concurrency,
                max_tokens=max_tokens, response_format=response_format,
            )
            for name in fallbacks
            if name.strip()
        ),
    ]
    inner: Judge
    if mode == JudgeMode.ENSEMBLE:
        primary = llms[0] if len(llms) == 1 else FallbackJudge(llms)
        inner = EnsembleJudge(primary, offline, threshold=disagreement_threshold)
    else:
        inner = FallbackJudge([*llms, offline])
    return CachingJudge(inner, model=model, prompt_version=PROMPT_VERSION, cache=cache)
