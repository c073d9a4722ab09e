"""Response-format dialects: json_schema first, llama.cpp's json_object+schema when it is rejected."""

from __future__ import annotations

import json
from typing import Any

import pytest

from interviewer.adapters.judge.llm_client import rejects_response_format, strict_schema
from interviewer.adapters.judge.llm_judge import FEEDBACK_CHARS, QUOTE_CHARS, LiteLLMJudge
from interviewer.core.judging import JudgeError, JudgeErrorKind
from interviewer.settings import Settings
from tests.adapters.test_judge_litellm import MODEL, grade, payload
from tests.fakes.openai_server import FakeOpenAI, Reply


def judge(server: FakeOpenAI, **kwargs: Any) -> LiteLLMJudge:
    options: dict[str, Any] = {"timeout": 2.0, "max_retries": 0, "backoff_base": 0.05, **kwargs}
    return LiteLLMJudge(MODEL, api_base=server.api_base, api_key="test", **options)


def formats(server: FakeOpenAI) -> list[str | None]:
    return [(r.get("response_format") or {}).get("type") for r in server.requests]


async def test_a_llama_cpp_server_rejecting_json_schema_switches_the_judge_once(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.llama_cpp = True
    fake_openai.default = Reply.ok(payload())
    j = judge(fake_openai)  # max_retries=0: the switch is not spent as a retry
    g = await grade(j)
    assert g.score == 65 and g.judge == "llm"
    assert formats(fake_openai) == ["json_schema", "json_object"]
    sent = fake_openai.requests[1]["response_format"]["schema"]
    assert sent["properties"]["feedback"]["maxLength"] == FEEDBACK_CHARS
    assert sent["properties"]["criteria"]["maxItems"] == 3
    item = sent["properties"]["criteria"]["items"]["properties"]
    assert item["quote"]["maxLength"] == QUOTE_CHARS
    assert item["id"]["enum"] == ["scale", "variance", "gradients"]
    # Remembered for the life of the judge: the next grade goes straight to json_object.
    await grade(j)
    assert formats(fake_openai) == ["json_schema", "json_object", "json_object"]


async def test_strict_json_schema_drops_length_bounds_and_max_tokens_is_sent(
    fake_openai: FakeOpenAI,
) -> None:
    fake_openai.default = Reply.ok(payload())
    await grade(judge(fake_openai, max_tokens=300))
    request = fake_openai.requests[0]
    fmt = request["response_format"]
    assert fmt["type"] == "json_schema" and fmt["json_schema"]["strict"] is True
    text = str(fmt["json_schema"]["schema"])
    assert "maxLength" not in text and "maxItems" not in text and "enum" in text
    assert request["max_tokens"] == 300


@pytest.mark.parametrize(("setting", "expected"), [
    ("json_object", ["json_object"]), ("none", [None]), ("json_schema", ["json_schema"]),
])
async def test_the_dialect_can_be_forced(
    fake_openai: FakeOpenAI, setting: str, expected: list[str | None]
) -> None:
    fake_openai.default = Reply.ok(payload())
    g = await grade(judge(fake_openai, response_format=setting))
    assert g.score == 65 and formats(fake_openai) == expected
    if setting == "json_object":
        assert "schema" in fake_openai.requests[0]["response_format"]


async def test_a_forced_json_schema_is_not_switched(fake_openai: FakeOpenAI) -> None:
    fake_openai.llama_cpp = True
    with pytest.raises(JudgeError) as info:
        await grade(judge(fake_openai, response_format="json_schema", max_retries=1))
    assert info.value.kind is JudgeErrorKind.UPSTREAM
    assert formats(fake_openai) == ["json_schema", "json_schema"]


async def test_other_server_errors_do_not_switch(fake_openai: FakeOpenAI) -> None:
    fake_openai.script([Reply.status(500, "CUDA out of memory"), Reply.ok(payload())])
    j = judge(fake_openai, max_retries=1)
    assert (await grade(j)).score == 65
    assert formats(fake_openai) == ["json_schema", "json_schema"]
    assert j.client.dialect == "json_schema"


def test_rejection_detection_and_strict_schema() -> None:
    class Err(Exception):
        status_code = 500

    class NotFound(Exception):
        status_code = 404

    assert rejects_response_format(Err("Input should be 'text' or 'json_object'"))
    assert rejects_response_format(Err("response_format not supported"))
    assert not rejects_response_format(Err("out of memory"))
    assert not rejects_response_format(NotFound("json_schema"))
    schema = {"a": {"maxLength": 3, "items": [{"minItems": 1, "type": "x"}]}}
    assert strict_schema(schema) == {"a": {"items": [{"type": "x"}]}}


def test_settings_validate_the_response_format() -> None:
    assert Settings(judge_response_format="json_object").judge_response_format == "json_object"
    with pytest.raises(ValueError):
        Settings(judge_response_format="grammar")
    with pytest.raises(ValueError):
        LiteLLMJudge(MODEL, response_format="grammar")  # type: ignore[arg-type]


async def test_raw_newlines_inside_strings_are_accepted_without_a_repair(
    fake_openai: FakeOpenAI,
) -> None:
    # llama-cpp-python's JSON grammar lets a model put raw control characters inside strings.
    body = json.dumps(payload(feedback="Good.\nSay more.")).replace("\\n", "\n")
    assert "\n" in body
    fake_openai.script([Reply.text(body)])
    g = await grade(judge(fake_openai))
    assert g.feedback == "Good.\nSay more." and len(fake_openai.requests) == 1
