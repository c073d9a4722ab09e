"""The local llama.cpp server's command line, without starting it (tests/llm runs the real one)."""

from __future__ import annotations

from pathlib import Path

import pytest

from interviewer.llm_local import LocalLLMServer, default_threads


def test_threads_leave_a_core_free_and_stay_small() -> None:
    assert [default_threads(n) for n in (1, 2, 3, 4, 8, 64)] == [1, 1, 2, 3, 4, 4]


def test_the_command_uses_the_thread_count_for_generation_and_batches(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("INTERVIEWER_LLM_THREADS", "3")
    cmd = LocalLLMServer(Path("m.gguf"), port=9).command()
    assert cmd[cmd.index("--n_threads") + 1] == cmd[cmd.index("--n_threads_batch") + 1] == "3"
    monkeypatch.delenv("INTERVIEWER_LLM_THREADS")
    cmd = LocalLLMServer(Path("m.gguf"), port=9).command()
    assert cmd[cmd.index("--n_threads") + 1] == str(default_threads())
