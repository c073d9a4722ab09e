"""The candidate's side in a real browser: a new interview after one, history and progress."""

from __future__ import annotations

from typing import Any

import pytest

from tests.api.conftest import LiveServer
from tests.browser.test_chat_ui import answer_with_sample, open_start, start

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def finish_one(page: Any, server: LiveServer) -> None:
    """Start a one-question interview, answer it with the sample answer, wait for the summary."""
    start(page, server, n=1)
    answer_with_sample(page, server)
    page.wait_for_selector("#summary-view:not([hidden]) .summary-score")


def test_start_a_new_interview_after_the_summary(page: Any, live_server: LiveServer) -> None:
    finish_one(page, live_server)
    page.click("#restart")
    page.wait_for_selector("#start-view:not([hidden])")
    page.wait_for_selector("#available[data-total]:not([data-total=''])")
    assert page.locator("#summary-view").is_hidden()
    assert page.locator("li.turn").count() == 0
    page.reload()  # what was saved on the way out is not the old interview
    page.wait_for_selector("#start-view:not([hidden])")
    assert page.locator("#summary-view").is_hidden()
    open_start(page, live_server)
    page.fill("#num-questions", "1")
    page.click("#start-button")
    page.wait_for_selector("#composer[data-turn='0'] #answer:enabled")
    assert page.locator("li.turn").count() == 1
