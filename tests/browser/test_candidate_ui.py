"""The candidate's side in a real browser: a new interview after one, history and progress."""

from __future__ import annotations

import asyncio
import html
import re
import threading
import time
from pathlib import Path
from typing import Any

import httpx
import pytest

from interviewer.client import interview
from tests.api.conftest import LiveServer
from tests.api.test_candidate_history import partial, pdf_text
from tests.api.test_grading_queue import one_slot  # noqa: F401  (a server with one grading slot)
from tests.browser.axe import axe_violations
from tests.browser.test_chat_ui import (
    answer_with_sample,
    open_start,
    question_id,
    sample_answer,
    shot,
    start,
    wait_open_question,
)

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


def evidence_quotes(page: Any) -> list[str]:
    """Every evidence quote of the interview's grades, from the messages the page received."""
    return [str(q) for q in page.evaluate(
        "() => window.__interviewer.data.log.filter(m => m.type === 'grade')"
        ".flatMap(m => m.criteria).filter(c => c.evidence).map(c => c.evidence.quote)")]


def download(page: Any, selector: str) -> bytes:
    with page.expect_download() as dl:
        page.click(selector)
    return Path(dl.value.path()).read_bytes()


def test_history_two_interviews_chart_reload_tab_close_past_and_reports(
    page: Any, context: Any, live_server: LiveServer, console: Any, shots: Path,
) -> None:
    finish_one(page, live_server)
    quotes = evidence_quotes(page)
    assert quotes
    report = download(page, "#download").decode()
    pdf = pdf_text(download(page, "#download-pdf"))
    for quote in quotes:
        assert html.escape(quote) in report
        assert " ".join(quote.split()) in pdf
    assert '"type": "grade"' not in report  # a report for people, not the protocol log
    page.wait_for_selector("#history-view[data-count='1'] .progress-chart[data-points='1'] canvas")

    page.click("#restart")
    page.wait_for_selector("#start-view:not([hidden])")
    page.wait_for_selector("#history-view[data-count='1']")
    finish_one(page, live_server)
    page.wait_for_selector("#history-view[data-count='2'] .progress-chart[data-points='2'] canvas")
    assert page.locator("#history-view .history-item").count() == 2
    page.locator("#history-view").evaluate("el => el.scrollIntoView({block: 'start'})")
    shot(page, shots, "history", docs=True)

    page.reload()  # the summary and the history come back
    page.wait_for_selector("#history-view[data-count='2'] .progress-chart[data-points='2'] canvas")
    page.close()
    again = context.new_page()  # a tab closed and opened again: same browser, same history
    console.attach(again)
    again.goto(live_server.base_url + "/")
    again.wait_for_selector("#start-view:not([hidden])")
    again.wait_for_selector("#history-view[data-count='2'] .progress-chart[data-points='2'] canvas")
    assert again.locator("#history-view .history-item").count() == 2
    again.set_viewport_size({"width": 375, "height": 800})  # the phone layout holds
    again.wait_for_function("() => document.querySelector('.progress-chart canvas').clientWidth <= 340")
    width = again.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll at phone width: {width}px"
    again.set_viewport_size({"width": 1280, "height": 800})

    again.locator("#history-view .open-past").last.click()  # the older one, read-only
    again.wait_for_selector("#past-view:not([hidden]) .grade-card")
    assert again.locator("#past-view mark.ev").count() > 0
    assert again.locator("#past-view details.sample").count() == 1
    shot(again, shots, "past-interview")
    assert again.locator("#composer").is_hidden() and again.locator("#start-view").is_hidden()
    assert " ".join(quotes[0].split()) in pdf_text(download(again, "#past-report-pdf"))
    again.click("#past-back")
    again.wait_for_selector("#history-view[data-count='2']")

    # revoked from the page: the id is unlinked on the server and forgotten here
    profile = again.evaluate("localStorage.getItem('interviewer.profile')")
    again.click("#forget-history")
    again.click("#forget-no")  # asks first; "Keep it" keeps it
    assert again.locator("#history-view .history-item").count() == 2
    again.click("#forget-history")
    again.click("#forget-yes")
    again.wait_for_selector("#history-view[data-count='0']", state="attached")
    assert again.locator("#history-view").is_hidden()
    assert again.evaluate("localStorage.getItem('interviewer.profile')") is None
    left = httpx.get(f"{live_server.base_url}/v1/candidate/history", headers={"X-Candidate-Profile": profile})
    assert left.json()["items"] == []
    again.reload()
    again.wait_for_selector("#start-view:not([hidden])")
    assert again.locator("#history-view").is_hidden()
    again.close()


def test_practise_my_gaps_starts_an_interview_on_exactly_those_questions(
    page: Any, live_server: LiveServer,
) -> None:
    start(page, live_server, n=1)
    turn = wait_open_question(page)
    qid = question_id(page, turn)
    page.fill("#answer", partial(sample_answer(live_server, qid)))
    page.click("#submit-button")
    page.wait_for_selector("#summary-view:not([hidden]) .summary-score")
    ids = page.evaluate("() => [...new Set([...document.querySelectorAll('#summary-view .practice li')]"
                        ".map(li => li.dataset.questionId))]")
    assert ids, "a partial answer has gaps with practice questions"
    assert qid not in ids
    page.click("#practise-gaps")
    page.wait_for_selector("#composer[data-turn='0'] #answer:enabled")
    assert page.locator("#summary-view").is_hidden()
    assert question_id(page, "0") == ids[0]
    assert page.text_content("#progress") == f"Question 1 of {len(ids)}"
    assert page.evaluate("window.__interviewer.data.pendingStart === null")
    assert page.evaluate("window.__interviewer.data.log.filter(m => m.type === 'session')[0].total") == len(ids)

    page.click("#end-button")  # asks first
    page.wait_for_selector("#end-confirm:not([hidden])")
    assert page.evaluate("document.activeElement.id") == "end-no"
    page.keyboard.press("Escape")  # keep going
    assert page.locator("#end-confirm").is_hidden() and page.locator("#summary-view").is_hidden()
    page.keyboard.press("Alt+Shift+E")
    page.click("#end-yes")
    page.wait_for_selector("#summary-view:not([hidden])")
    page.goto(live_server.base_url + "/")
    page.wait_for_selector("#history-view[data-count='2']")


class Load:
    """Candidates on other sockets answering back to back, so the one grading slot stays busy."""

    def __init__(self, server: LiveServer, sockets: int = 6) -> None:
        self.server, self.sockets = server, sockets
        self.stop = threading.Event()
        self.graded = 0
        self.thread = threading.Thread(target=lambda: asyncio.run(self.run()), daemon=True)

    async def one(self) -> None:
        qs = self.server.services.bank.all()
        async with interview(self.server.ws_url) as ws:
            q = await ws.start(question_ids=[x.id for x in qs[:20]], max_followups=0)
            while not self.stop.is_set():
                await ws.answer(self.server.services.bank.get(q["question_id"]).sample_answer, stream=False)
                self.graded += 1
                nxt = await ws.recv_until("question", "summary")
                if nxt["type"] == "summary":
                    return
                q = nxt

    async def run(self) -> None:
        await asyncio.gather(*(self.one() for _ in range(self.sockets)), return_exceptions=True)

    def __enter__(self) -> Load:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop.set()
        self.thread.join(timeout=120)


def test_timer_and_grading_queue_position_under_load(page: Any, one_slot: LiveServer) -> None:  # noqa: F811
    open_start(page, one_slot)
    assert not page.is_checked("#timer-on")  # off by default
    page.check("#timer-on")
    page.fill("#num-questions", "1")
    page.click("#start-button")
    turn = wait_open_question(page)
    page.wait_for_selector("#timer:not([hidden])")
    first = page.text_content("#timer")
    assert re.fullmatch(r"0:0\d", first or "")
    page.wait_for_function("t => document.querySelector('#timer').textContent !== t", arg=first)
    with Load(one_slot) as load:
        deadline = time.monotonic() + 60
        while load.graded < 1 and time.monotonic() < deadline:  # the others are answering
            page.wait_for_timeout(100)
        page.fill("#answer", sample_answer(one_slot, question_id(page, turn)))
        page.click("#submit-button")
        page.wait_for_selector("#composer-status:has-text('in the queue')")
        assert re.search(r"number \d+ in the queue \(about \d+ s\)", page.text_content("#composer-status") or "")
        page.wait_for_selector(f"li.turn[data-turn='{turn}'] .grade-card", timeout=90_000)
    assert page.locator("#timer").is_hidden()
    page.wait_for_selector("#summary-view:not([hidden])")


def test_timer_is_off_unless_chosen(page: Any, live_server: LiveServer) -> None:
    start(page, live_server, n=1)
    assert page.locator("#timer").is_hidden()
    assert page.locator("#shortcuts summary").text_content() == "Keyboard shortcuts"


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations(page: Any, live_server: LiveServer, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    found: dict[str, list[str]] = {}
    open_start(page, live_server)
    found["start"] = axe_violations(page)
    background = page.evaluate("getComputedStyle(document.documentElement).backgroundColor")
    assert background == {"light": "rgb(244, 246, 249)", "dark": "rgb(15, 20, 27)"}[scheme]  # follows the system
    page.fill("#num-questions", "1")
    page.set_checked("#followups", False)
    page.click("#start-button")
    turn = wait_open_question(page)
    page.fill("#answer", "A draft answer")
    found["chat"] = axe_violations(page)
    page.click("#end-button")
    found["end confirmation"] = axe_violations(page)
    page.fill("#answer", partial(sample_answer(live_server, question_id(page, turn))))
    page.click("#end-no")
    page.click("#submit-button")
    page.wait_for_selector("#history-view[data-count='1'] .progress-chart canvas")
    found["summary and history"] = axe_violations(page)
    page.emulate_media(media="print")  # the print stylesheet: the results without the controls
    assert page.locator(".topbar").is_hidden() and page.locator("#summary-view .actions").is_hidden()
    assert page.locator("#summary-view .summary-score").is_visible() and page.locator(".grade-card").is_visible()
    page.emulate_media(media="screen")
    page.click("#history-view .open-past")
    page.wait_for_selector("#past-view:not([hidden]) .grade-card")
    found["past interview"] = axe_violations(page)
    page.click("#past-back")
    page.wait_for_selector("#history-view[data-count='1'] .progress-chart canvas")
    found["start with history"] = axe_violations(page)
    bad = {k: v for k, v in found.items() if v}
    assert bad == {}, "\n".join(f"{k}: {x}" for k, v in bad.items() for x in v)
