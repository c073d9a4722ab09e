"""The candidate chat in a real browser: interviews, reconnects, reloads, XSS, keyboard, follow-ups."""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from typing import Any

import pytest

from tests.api.conftest import LiveServer
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SHOTS = REPO / "docs" / "screenshots"
XSS = '<img src=x onerror="window.__xss=1"> and <script>window.__xss=2</script>'


# ---- helpers ----

def open_start(page: Any, server: LiveServer) -> Any:
    response = page.goto(server.base_url + "/")
    page.wait_for_selector("#available[data-total]:not([data-total=''])")
    return response


def start(page: Any, server: LiveServer, *, n: int, followups: bool = False) -> None:
    open_start(page, server)
    page.fill("#num-questions", str(n))
    page.set_checked("#followups", followups)
    page.wait_for_selector("#start-button:enabled")
    page.click("#start-button")
    wait_open_question(page)


def wait_open_question(page: Any) -> str:
    """Wait until the answer box is open for a question; return that turn number."""
    page.wait_for_selector("#composer[data-turn]:not([data-turn='']) #answer:enabled")
    return str(page.get_attribute("#composer", "data-turn"))


def question_id(page: Any, turn: str) -> str:
    return str(page.get_attribute(f"li.turn[data-turn='{turn}']", "data-question-id"))


def sample_answer(server: LiveServer, qid: str) -> str:
    return str(server.services.bank.get(qid).sample_answer)


def first_sentences(text: str, n: int) -> str:
    """A shorter answer (grading time grows with the answer's length)."""
    return ". ".join(text.split(". ")[:n])


def wait_grade(page: Any, turn: str) -> Any:
    return page.wait_for_selector(f"li.turn[data-turn='{turn}'] > .grade-slot .grade-card")


def answer_with_sample(page: Any, server: LiveServer) -> str:
    turn = wait_open_question(page)
    page.fill("#answer", sample_answer(server, question_id(page, turn)))
    page.click("#submit-button")
    wait_grade(page, turn)
    return turn


def accepted_chars(page: Any, turn: str) -> int:
    return int(page.evaluate(
        "t => window.__interviewer.state.turns.get(Number(t)).accepted.chars", turn))


def scroll_to(page: Any, selector: str) -> None:
    page.locator(selector).first.evaluate("el => el.scrollIntoView({block: 'start'})")


def shot(page: Any, shots: Path, name: str, *, full: bool = False, docs: bool = False) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full)
    if docs:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")


# ---- tests ----

def test_two_question_interview_to_summary(page: Any, live_server: LiveServer, shots: Path) -> None:
    response = open_start(page, live_server)
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "default-src 'self'" in csp
    assert re.search(r"· \d+ questions?$", page.text_content("#available") or "")
    shot(page, shots, "start", docs=True)

    page.fill("#num-questions", "2")
    page.set_checked("#followups", False)
    page.click("#start-button")
    first = answer_with_sample(page, live_server)
    card = page.locator(f"li.turn[data-turn='{first}'] .grade-card")
    assert re.fullmatch(r"\d+", card.locator(".score-num").text_content() or "")
    assert card.locator(".crit").count() > 0
    assert card.locator(".verdict").first.text_content().strip() in {  # text, not colour only
        "✓ Met", "◐ Partly met", "✗ Missed", "! Contradicted"}
    assert page.locator(f"li.turn[data-turn='{first}'] mark.ev").count() > 0
    assert page.text_content("#progress") == "Question 2 of 2"
    assert page.evaluate("document.activeElement.id") == "answer"
    page.fill("#answer", "Partial start of my answer")  # a draft, for the screenshot
    scroll_to(page, f"li.turn[data-turn='{first}'] .msg-a")
    shot(page, shots, "chat", docs=True)

    page.fill("#answer", "")
    answer_with_sample(page, live_server)
    page.wait_for_selector("#summary-view:not([hidden]) .summary-score")
    assert page.locator(".chart-row").count() >= 1
    assert page.evaluate("document.activeElement.id") == "summary-title"
    assert page.text_content("#connection-text") == "Interview finished"
    scroll_to(page, "#summary-view")
    shot(page, shots, "summary", docs=True)
    shot(page, shots, "summary-full", full=True)

    with page.expect_download() as dl:
        page.click("#download")
    report = Path(dl.value.path()).read_text()
    assert report.startswith("<!doctype html>") and report.count("<section class='turn'>") == 2

    page.set_viewport_size({"width": 375, "height": 800})
    scroll_to(page, f"li.turn[data-turn='{first}'] .grade-card")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll at phone width: {width}px"
    shot(page, shots, "phone", docs=True)


def test_socket_dropped_mid_answer_recovers(page: Any, live_server: LiveServer, shots: Path) -> None:
    start(page, live_server, n=1)
    turn = wait_open_question(page)
    text = sample_answer(live_server, question_id(page, turn))
    half = len(text) // 2
    page.fill("#answer", text[:half])
    page.wait_for_timeout(400)  # the debounced delta goes out
    page.evaluate("window.__interviewer.conn.ws.close()")
    page.wait_for_function("() => document.querySelector('#connection').dataset.state !== 'connected'")
    page.fill("#answer", text)  # typing goes on while the socket is down
    page.wait_for_selector("#connection[data-state='connected']")
    assert page.locator("li.turn").count() == 1  # the chat is still there
    assert page.input_value("#answer") == text
    page.click("#submit-button")
    wait_grade(page, turn)
    assert accepted_chars(page, turn) == len(text)  # the full text was submitted after the drop
    page.wait_for_selector("#summary-view:not([hidden])")


def test_reload_mid_interview_then_finish(page: Any, live_server: LiveServer) -> None:
    start(page, live_server, n=2)
    first = answer_with_sample(page, live_server)
    second = wait_open_question(page)
    text = first_sentences(sample_answer(live_server, question_id(page, second)), 3)
    page.fill("#answer", text[:80])
    page.wait_for_timeout(400)
    page.reload()
    # restored from sessionStorage at once: the graded first question and the draft
    wait_grade(page, first)
    assert page.locator("li.turn").count() == 2
    page.wait_for_selector("#connection[data-state='connected']")
    assert wait_open_question(page) == second
    assert page.input_value("#answer") == text[:80]
    page.fill("#answer", text)
    page.keyboard.press("Control+Enter")
    wait_grade(page, second)
    assert accepted_chars(page, second) == len(text)
    page.wait_for_selector("#summary-view:not([hidden]) .summary-score")
    assert page.locator("li.turn .grade-card").count() == 2


def test_answer_markup_is_shown_as_text(page: Any, live_server: LiveServer) -> None:
    start(page, live_server, n=1)
    turn = wait_open_question(page)
    sentences = first_sentences(sample_answer(live_server, question_id(page, turn)), 3).split(". ")
    answer = f"{sentences[0]} {XSS}. " + ". ".join(sentences[1:])
    page.fill("#answer", answer)
    page.click("#submit-button")
    wait_grade(page, turn)
    block = page.locator(f"li.turn[data-turn='{turn}']")
    assert XSS in (block.locator(".answer-text").text_content() or "")
    assert page.locator("#chat img, #chat script, #summary-view img").count() == 0
    page.wait_for_selector("#summary-view:not([hidden])")
    quotes = " ".join(block.locator(".grade-card").all_text_contents())
    if "<img" in quotes:  # quoted evidence (possibly cut short) around the payload stays literal
        html = " ".join(block.locator(".grade-card").evaluate_all("els => els.map(e => e.innerHTML)"))
        assert "&lt;img" in html and "<img" not in html
    assert page.evaluate("typeof window.__xss") == "undefined"


def test_keyboard_only(page: Any, live_server: LiveServer) -> None:
    open_start(page, live_server)
    page.focus("#num-questions")
    page.keyboard.press("Control+A")
    page.keyboard.type("1")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "followups"
    page.keyboard.press("Space")  # follow-ups off
    assert not page.is_checked("#followups")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "include-code"  # left off
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "timer-on"  # left off
    page.keyboard.press("Tab")
    page.wait_for_selector("#start-button:enabled")
    assert page.evaluate("document.activeElement.id") == "start-button"
    page.keyboard.press("Enter")
    turn = wait_open_question(page)
    page.wait_for_function("() => document.activeElement.id === 'answer'")  # focus moved to the box
    page.keyboard.press("Shift+Tab")  # away and back with Tab
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.id") == "answer"
    page.keyboard.type(sample_answer(live_server, question_id(page, turn))[:300], delay=0)
    page.keyboard.press("Control+Enter")
    wait_grade(page, turn)
    page.wait_for_function("() => document.activeElement.id === 'summary-title'")


def test_followup_is_threaded_under_its_question(page: Any, live_server: LiveServer,
                                                 shots: Path) -> None:
    start(page, live_server, n=1, followups=True)
    turn = wait_open_question(page)
    partial = " ".join(sample_answer(live_server, question_id(page, turn)).split()[:12])
    page.fill("#answer", partial)
    page.click("#submit-button")
    wait_grade(page, turn)
    page.wait_for_selector("li.turn-followup, #summary-view:not([hidden])")
    assert page.locator("#summary-view").is_hidden(), "no follow-up was asked for a partial answer"
    follow = page.wait_for_selector(f"li.turn[data-turn='{turn}'] > ol.followups > li.turn-followup")
    assert "Follow-up" in (follow.text_content() or "")
    assert page.locator(".turn-followup .concept").count() == 1
    assert "follow-up" in (page.text_content("#progress") or "")
    follow_turn = wait_open_question(page)
    assert follow_turn != turn
    page.locator(f"li.turn[data-turn='{follow_turn}']").evaluate(
        "el => el.scrollIntoView({block: 'center'})")
    shot(page, shots, "followup", docs=True)
    page.fill("#answer", sample_answer(live_server, question_id(page, follow_turn)))
    page.click("#submit-button")
    wait_grade(page, follow_turn)
    page.wait_for_selector("#summary-view:not([hidden])")
    if page.locator(f"li.turn[data-turn='{follow_turn}'] .crit-met").count():
        # a met follow-up revises the parent grade: the card is replaced and badged
        main_card = page.locator(f"li.turn[data-turn='{turn}'] > .grade-slot > .grade-card")
        assert main_card.get_attribute("data-revision") == "2"
        assert main_card.locator("[data-badge='recovered']").count() == 1
