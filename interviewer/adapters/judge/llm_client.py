"""The one litellm module: schema-bound completions with retries, response-format dialects, cost."""

from __future__ import annotations

import interviewer  # noqa: F401  (applies env: litellm must read a local cost map at import)

# isort: split
import asyncio
import logging
import random
from collections.abc import Awaitable, Callable
from typing import Any, Literal, TypeVar, cast

import litellm
from pydantic import SecretStr

from interviewer.core.judging import JudgeError, JudgeErrorKind
from interviewer.options import ResponseFormat

log = logging.getLogger(__name__)
litellm.suppress_debug_info = True

T = TypeVar("T")
TextSink = Callable[[str], Awaitable[None]]
# "auto": OpenAI's json_schema for providers that take schemas, switching once to json_object with
# the schema (llama-cpp-python's form) when a server rejects it; plain JSON mode for the others.
_Dialect = Literal["json_schema", "json_object", "json_mode", "none"]
# Keywords OpenAI's strict mode refuses; grammar-constrained servers honour them (json_object form).
_STRICT_UNSUPPORTED = frozenset({"maxLength", "minLength", "maxItems", "minItems"})
_REJECTION_MARKERS = ("response_format", "json_schema", "json_object")

REPAIR = """Your reply was not valid for the required JSON schema: {error}
Reply again with the corrected JSON object only, {task}."""


class Spend:
    """Tokens and US dollars of every call made for one result."""

    def __init__(self) -> None:
        self.tokens = 0
        self.cost_usd = 0.0

    def add(self, response: Any) -> None:
        usage = getattr(response, "usage", None)
        self.tokens += int(getattr(usage, "total_tokens", 0) or 0)
        try:
            self.cost_usd += float(litellm.completion_cost(completion_response=response))
        except Exception as exc:  # unmapped models (local, self-hosted) have no price: cost 0
            log.debug("llm.cost_unknown %s", exc)


def brief(exc: BaseException) -> str:
    """A one-line, bounded description of an error (for logs and JudgeError reasons)."""
    return " ".join(str(exc).split())[:300] or type(exc).__name__


def classify(exc: Exception) -> tuple[JudgeErrorKind, bool]:
    """The error kind and whether another try may succeed."""
    status = getattr(exc, "status_code", None)
    if isinstance(exc, TimeoutError | litellm.exceptions.Timeout) or status == 408:
        return JudgeErrorKind.TIMEOUT, True
    if isinstance(exc, litellm.exceptions.RateLimitError) or status == 429:
        return JudgeErrorKind.RATE_LIMITED, True
    server_side = isinstance(status, int) and status >= 500
    if isinstance(exc, litellm.exceptions.APIConnectionError) or server_side:
        return JudgeErrorKind.UPSTREAM, True
    return JudgeErrorKind.UPSTREAM, False


def rejects_response_format(exc: Exception) -> bool:
    """Whether a server refused the response_format itself (llama-cpp-python: HTTP 500)."""
    status = getattr(exc, "status_code", None)
    text = str(exc).lower()
    return status in (400, 422, 500) and any(m in text for m in _REJECTION_MARKERS)


def strict_schema(schema: Any) -> Any:
    """The schema without the keywords OpenAI's strict mode rejects (length and count bounds)."""
    if isinstance(schema, dict):
        return {k: strict_schema(v) for k, v in schema.items() if k not in _STRICT_UNSUPPORTED}
    if isinstance(schema, list):
        return [strict_schema(v) for v in schema]
    return schema


def json_body(text: str) -> str:
    """A model's JSON reply without the Markdown code fence some models wrap it in."""
    return text.strip().removeprefix("```json").removeprefix("```").removesuffix("```").strip()


class LLMClient:
    """One model behind litellm: bounded retries with backoff, streaming, a remembered dialect."""

    def __init__(
        self,
        model: str,
        *,
        api_base: str | None = None,
        api_key: SecretStr | str | None = None,
        timeout: float = 30.0,
        max_retries: int = 2,
        max_concurrency: int = 4,
        backoff_base: float = 0.5,
        max_tokens: int | None = 1024,
        response_format: ResponseFormat | str = ResponseFormat.AUTO,
    ) -> None:
        if response_format not in set(ResponseFormat):
            raise ValueError(f"response format must be one of {[f.value for f in ResponseFormat]}")
        self.model = model
        self.api_base = api_base
        self._api_key = SecretStr(api_key) if isinstance(api_key, str) else api_key
        self.timeout = timeout
        self.max_retries = max_retries
        self.backoff_base = backoff_base
        self.max_tokens = max_tokens
        self._slots = asyncio.Semaphore(max_concurrency)
        self._auto = response_format == "auto"
        self.dialect: _Dialect
        if response_format != "auto":
            self.dialect = cast(_Dialect, str(response_format))
        elif (model.startswith("openai/") and api_base) or litellm.supports_response_schema(model=model):
            self.dialect = "json_schema"
        else:
            self.dialect = "json_mode"  # schema only in the prompt

    async def complete_json(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any],
        name: str,
        parse: Callable[[str], T],
        task: str,
        spend: Spend,
        on_text: TextSink | None = None,
        stream: bool = False,
    ) -> T:
        """A reply parsed by `parse`; an invalid one is sent back once with the error."""
        text = await self.complete(messages, schema=schema, name=name, spend=spend,
                                   on_text=on_text, stream=stream)
        try:
            return parse(text)
        except ValueError as exc:
            log.warning("llm.repair model=%s error=%s", self.model, brief(exc))
            messages = [
                *messages,
                {"role": "assistant", "content": text},
                {"role": "user", "content": REPAIR.format(error=brief(exc), task=task)},
            ]
        text = await self.complete(messages, schema=schema, name=name, spend=spend,
                                   on_text=on_text, stream=stream)
        try:
            return parse(text)
        except ValueError as again:
            raise JudgeError(JudgeErrorKind.INVALID_OUTPUT, brief(again), model=self.model) from again

    async def complete(
        self,
        messages: list[dict[str, str]],
        *,
        schema: dict[str, Any],
        name: str,
        spend: Spend,
        on_text: TextSink | None = None,
        stream: bool = False,
    ) -> str:
        """One completion with retries on 429/5xx/timeouts; streaming falls back to a plain call."""
        attempt = 0
        while True:
            dialect = self.dialect
            try:
                async with self._slots:
                    return await asyncio.wait_for(
                        self._once(messages, schema, name, spend, on_text, stream=stream),
                        self.timeout,
                    )
            except Exception as exc:  # every failure becomes a JudgeError or a retry
                if self._auto and dialect == "json_schema" and rejects_response_format(exc):
                    # Not a retry: the server takes schemas in another form (llama-cpp-python).
                    log.warning("llm.dialect_switch model=%s to=json_object error=%s",
                                self.model, brief(exc))
                    self.dialect = "json_object"
                    continue
                kind, retryable = classify(exc)
                if stream and not retryable:
                    log.warning("llm.stream_fallback model=%s error=%s", self.model, brief(exc))
                    stream = False
                    continue
                if not retryable or attempt >= self.max_retries:
                    raise JudgeError(kind, brief(exc), model=self.model) from exc
                attempt += 1
                delay = self.backoff_base * 2 ** (attempt - 1)
                log.warning("llm.retry model=%s kind=%s attempt=%d", self.model, kind, attempt)
                await asyncio.sleep(min(30.0, delay + random.uniform(0, delay / 2)))

    async def _once(
        self,
        messages: list[dict[str, str]],
        schema: dict[str, Any],
        name: str,
        spend: Spend,
        on_text: TextSink | None,
        *,
        stream: bool,
    ) -> str:
        kwargs = self.request(messages, schema, name)
        if not stream:
            response = await litellm.acompletion(**kwargs)
            spend.add(response)
            return str(response.choices[0].message.content or "")
        response = await litellm.acompletion(
            **kwargs, stream=True, stream_options={"include_usage": True}
        )
        chunks: list[Any] = []
        text = ""
        async for chunk in response:
            chunks.append(chunk)
            if chunk.choices and chunk.choices[0].delta.content:
                text += chunk.choices[0].delta.content
                if on_text is not None:
                    await on_text(text)
        built = litellm.stream_chunk_builder(chunks, messages=messages)
        spend.add(built)
        if not text and built is not None and built.choices:
            # Some providers deliver JSON mode as a tool call that only the assembled reply shows.
            message = getattr(built.choices[0], "message", None)
            text = str(getattr(message, "content", "") or "")
        return text

    def request(self, messages: list[dict[str, str]], schema: dict[str, Any], name: str) -> dict[str, Any]:
        """The litellm keyword arguments of one call in the current dialect."""
        kwargs: dict[str, Any] = {
            "model": self.model,
            "messages": messages,
            "api_base": self.api_base,
            "api_key": self._api_key.get_secret_value() if self._api_key else None,
            "timeout": self.timeout,
            "temperature": 0,
            "max_retries": 0,  # retries are ours: bounded, with backoff, counted once
            "num_retries": 0,
            "drop_params": True,
        }
        if self.max_tokens:
            kwargs["max_tokens"] = self.max_tokens
        if self.dialect == "json_schema":
            kwargs["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": name, "schema": strict_schema(schema), "strict": True},
            }
        elif self.dialect == "json_object":
            kwargs["response_format"] = {"type": "json_object", "schema": schema}
        elif self.dialect == "json_mode":
            kwargs["response_format"] = {"type": "json_object"}
        return kwargs
