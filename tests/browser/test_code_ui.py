"""A coding question in the chat, in real Chromium: the CodeMirror editor, Run tests, submit, the grade."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from interviewer.wiring import build_services
from tests.api.conftest import LiveServer, make_settings, serve
from tests.browser.axe import axe_violations
from tests.browser.test_chat_ui import open_start, shot, wait_grade, wait_open_question

pytestmark = [pytest.mark.browser, pytest.mark.slow]

# Typed line by line into the editor: CodeMirror indents after a `:` by itself, so no line is indented
# by hand, and Shift+Tab dedents (the return after the loop). Softmax without the row maximum: the
# public tests pass, the hidden `stability` group (huge logits) fails.
TYPED = [
    "import numpy as np",
    "",
    "def attention(q, k, v, causal=False):",
    "s = q @ np.swapaxes(k, -1, -2) / np.sqrt(q.shape[-1])",
    "if causal:",
    "t, n = s.shape[-2], s.shape[-1]",
    "s = np.where(np.arange(n)[None, :] <= np.arange(t)[:, None] + (n - t), s, -np.inf)",
]
EXPLANATION = ("Scores are divided by sqrt(d) so their variance stays near one. The causal mask puts minus "
               "infinity on future keys before the softmax.")


def editor_text(page: Any) -> str:
    """The editor's text as shown (CodeMirror lives in the #code-editor host's shadow root)."""
    return str(page.evaluate(
        "() => document.querySelector('#code-editor').shadowRoot.querySelector('.cm-content').innerText"))


def type_code(page: Any) -> None:
    editor = page.locator("[data-testid='code-editor']")
    editor.click()
    page.keyboard.press("Control+a")
    page.keyboard.press("Delete")
    for i, line in enumerate(TYPED):
        if i:
            page.keyboard.press("Enter")
        page.keyboard.type(line)
    page.keyboard.press("Enter")
    page.keyboard.press("Shift+Tab")  # out of the `if` block, back to the function body
    page.keyboard.type("w = np.exp(s)")
    page.keyboard.press("Enter")
    page.keyboard.type("return w / w.sum(axis=-1, keepdims=True) @ v")


def box(page: Any, selector: str) -> dict[str, float]:
    found = page.locator(selector).bounding_box()
    assert found is not None, selector
    return dict(found)


def test_the_start_form_can_include_a_coding_question(page: Any, live_server: LiveServer) -> None:
    open_start(page, live_server)
    # Laid out cleanly: each option's label on one line beside its box, its hint below the label.
    for name, hint in (("include-code", "code-note"), ("timer-on", "timer-note")):
        label, note, check = box(page, f"label[for='{name}']"), box(page, f"#{hint}"), box(page, f"#{name}")
        assert label["height"] < 1.6 * check["height"] + 8, f"{name}: the label wraps"
        assert note["y"] >= label["y"] + label["height"] - 1 and note["x"] == label["x"], hint
    assert page.is_enabled("#include-code")
    page.fill("#num-questions", "1")
    page.set_checked("#include-code", True)
    page.wait_for_selector("#start-button:enabled")
    page.click("#start-button")
    turn = wait_open_question(page)
    page.wait_for_selector("#code-box:not([hidden]) #code-editor .cm-editor")
    problem = live_server.services.code_bank.get(
        str(page.get_attribute(f"li.turn[data-turn='{turn}']", "data-question-id")))
    assert page.text_content("#answer-label") == "Explain your solution (optional)"
    shown = editor_text(page)
    assert f"def {problem.entry}" in shown  # the starter code
    assert page.text_content("#code-tests") == "Public tests: " + ", ".join(
        g.name for g in problem.groups if not g.hidden)
    page.click("#run-button")  # the starter's body is `...`: it runs, and does not pass
    assert page.wait_for_selector(".code-result .run-status").get_attribute("data-status") != "passed"
    page.click("#submit-button")  # an explanation is optional: the starter code is submitted
    card = wait_grade(page, turn)
    assert card.query_selector("li.crit[data-criterion^='tests-']") is not None


@pytest.fixture
def no_sandbox_server(tmp_path: Path, encoder: Any, bank: Any) -> Iterator[LiveServer]:
    """A server configured with a bubblewrap path that does not exist."""
    settings = make_settings(tmp_path, sandbox_bwrap=str(tmp_path / "missing" / "bwrap"))
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


def test_without_a_sandbox_the_coding_option_is_disabled_with_the_reason(
    page: Any, no_sandbox_server: LiveServer, shots: Path,
) -> None:
    open_start(page, no_sandbox_server)
    page.wait_for_selector("#include-code:disabled")
    note = page.text_content("#code-note") or ""
    assert note == "Code questions are unavailable: bubblewrap (bwrap) is not installed."
    assert not page.is_checked("#include-code")
    assert axe_violations(page) == []
    shot(page, shots, "start-no-sandbox")


def test_code_question_typed_run_and_graded(page: Any, live_server: LiveServer, shots: Path) -> None:
    with httpx.Client(base_url=live_server.base_url, timeout=60) as c:
        made = c.post("/v1/interviews", json={"question_ids": ["code-attention"], "max_followups": 0}).json()
    page.goto(made["candidate_url"])
    turn = wait_open_question(page)
    page.wait_for_selector("#code-box:not([hidden]) #code-editor .cm-editor")
    starter = editor_text(page)
    assert "def attention" in starter
    assert page.locator(".cm-content span[class]").count() > 0  # highlighted tokens

    type_code(page)
    code = editor_text(page)
    assert "\n    s = q @ np.swapaxes" in code  # indented by the editor after `def ...:`
    assert "\n        t, n = s.shape" in code  # and again after `if causal:`
    assert "\n    w = np.exp(s)" in code  # Shift+Tab dedented

    page.click("#run-button")
    result = page.wait_for_selector(".code-result .run-status")
    assert result.get_attribute("data-status") == "passed"
    assert page.locator(".run-groups li[data-group='basic'].run-ok").count() == 1
    assert axe_violations(page) == []  # the editor, the run result and the explanation box
    shot(page, shots, "code-question-run")

    page.fill("#answer", EXPLANATION)
    page.click("#submit-button")
    card = wait_grade(page, turn)
    stability = card.query_selector("li.crit[data-criterion='tests-stability']")
    assert stability is not None and "crit-missed" in (stability.get_attribute("class") or "")
    assert "NaN" in (stability.text_content() or "")
    assert card.query_selector("li.crit[data-criterion='tests-basic'].crit-met") is not None
    assert card.query_selector("li.crit[data-criterion='explain-1']") is not None
    shown = page.text_content(f"li.turn[data-turn='{turn}'] pre.code-answer") or ""
    assert "return w / w.sum(axis=-1, keepdims=True) @ v" in shown
    page.wait_for_selector("#summary-view:not([hidden])")
    shot(page, shots, "code-question-graded", full=True)

    # The recruiter's transcript shows the submitted code, then the test groups as criteria
    # (auth is off here: the server acts as the local admin for any key).
    page.goto(live_server.base_url + "/review")
    page.fill("#api-key", "local")
    page.click("#signin-button")
    page.goto(f"{live_server.base_url}/review#/interviews/{made['session_id']}")
    item = page.wait_for_selector("li.rturn[data-question-id='code-attention']")
    pre = item.query_selector("pre.code-answer")
    assert pre is not None and "return w / w.sum(axis=-1, keepdims=True) @ v" in (pre.text_content() or "")
    assert page.evaluate("e => getComputedStyle(e).fontFamily", pre).startswith("ui-monospace")
    crit = item.query_selector("li.crit[data-criterion='tests-stability']")
    assert crit is not None and "NaN" in (crit.text_content() or "")
    assert "Candidate's explanation" in (item.text_content() or "")
    shot(page, shots, "code-question-review", full=True)
