"""The candidate link with auth on, in a real browser: a recruiter creates an interview with a key, the
candidate opens `candidate_url` (no key), answers, reloads, and sees the grade and the summary."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest

from interviewer.client import Client
from interviewer.wiring import build_services
from tests.api.authkit import make_keys
from tests.api.conftest import LiveServer, make_settings, serve
from tests.browser.test_chat_ui import question_id, sample_answer, wait_grade, wait_open_question

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def authed(tmp_path: Path, encoder, bank) -> Iterator[tuple[LiveServer, dict[tuple[str, str], str]]]:  # type: ignore[no-untyped-def]
    svc = build_services(make_settings(tmp_path, auth="on"), encoder=encoder, bank=bank)
    keys = off_loop(make_keys, svc)
    for live in serve(svc):
        yield live, keys


def off_loop(fn: Any, *args: Any) -> Any:
    """Call `fn` (it runs its own event loop) in another thread: Playwright's sync API owns this one."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result(timeout=120)


def answer(page: Any, live: LiveServer) -> str:
    turn = wait_open_question(page)
    text = ". ".join(sample_answer(live, question_id(page, turn)).split(". ")[:2])
    page.fill("#answer", text)
    page.click("#submit-button")
    wait_grade(page, turn)
    return turn


def test_candidate_link_joins_the_session_without_a_key(
    page: Any, authed: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, keys = authed
    qids = [q.id for q in live.services.bank.all()[:2]]
    with Client(live.base_url, api_key=keys[("acme", "recruiter")]) as rec:
        made = rec.create_interview(question_ids=qids, max_followups=0, candidate_ref="cand-link")
    token = made["candidate_token"]
    http: list[str] = []
    sockets: list[str] = []
    failed: list[tuple[int, str]] = []
    page.on("request", lambda r: http.append(r.url))
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.on("response", lambda r: failed.append((r.status, r.url)) if r.status >= 400 else None)

    page.goto(made["candidate_url"])
    first = wait_open_question(page)
    assert question_id(page, first) == qids[0]
    assert token not in page.url  # out of the address bar and the history once read
    answer(page, live)

    page.reload()  # the link without its token now: sessionStorage resumes the session
    second = answer(page, live)
    assert question_id(page, second) == qids[1]
    page.wait_for_selector("#summary-view:not([hidden]) .summary-score")
    assert page.locator("#restart").count() == 0  # a candidate cannot start interviews here
    assert page.locator("#practise-gaps, .practise-one").count() == 0
    # the history under the partner's candidate_ref, proved with the token in a header
    page.wait_for_selector("#history-view[data-count='1'] .progress-chart[data-points='1']")
    assert page.locator("#forget-history").count() == 0

    # Only the page, its static files, the public constants and the candidate's own routes over HTTP
    # (no REST call the candidate may not make), no refused request, and the token never in a URL the
    # server sees (it travels in `start` and in the X-Candidate-Token header).
    paths = {urlsplit(u).path for u in http}
    assert all(p in ("/", "/v1/meta") or p.startswith(("/static/", "/v1/candidate/")) for p in paths), paths
    assert {"/v1/meta", "/v1/candidate/history"} <= paths
    assert failed == []
    assert sockets and all(urlsplit(u).path == "/v1/interviews/ws" and not urlsplit(u).query for u in sockets)
    assert all(token not in u for u in http + sockets)

    with Client(live.base_url, api_key=keys[("acme", "recruiter")]) as rec:
        t = rec.interview(made["session_id"])
    assert t["status"] == "completed" and t["candidate_ref"] == "cand-link"
    assert [turn["question_id"] for turn in t["turns"]] == qids
    assert all(turn["grade"] is not None for turn in t["turns"])


def test_without_a_link_auth_on_asks_for_one_and_does_not_retry(
    context: Any, authed: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, _ = authed
    page = context.new_page()  # the 401 itself is logged by Chromium: not the strict `page` fixture
    asked: list[str] = []
    page.on("request", lambda r: asked.append(r.url) if "/v1/questions" in r.url else None)
    page.goto(live.base_url + "/")
    page.wait_for_selector("#available:has-text('interview link')")
    page.wait_for_timeout(2500)  # the old page retried every 2 s, forever
    assert len(asked) == 1
    assert page.is_disabled("#start-button")


def test_a_link_without_its_token_says_so(
    context: Any, authed: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, _ = authed
    page = context.new_page()
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(live.base_url + "/?session=abc")
    page.wait_for_selector("#notice:not([hidden])")
    assert "#token=" in (page.text_content("#notice") or "")
    assert sockets == []


def test_a_cancelled_interview_tells_the_candidate_and_stops(
    page: Any, authed: tuple[LiveServer, dict[tuple[str, str], str]],
) -> None:
    live, keys = authed
    with Client(live.base_url, api_key=keys[("acme", "recruiter")]) as rec:
        made = rec.create_interview(num_questions=1, max_followups=0)
    sockets: list[str] = []
    page.on("websocket", lambda ws: sockets.append(ws.url))
    page.goto(made["candidate_url"])
    wait_open_question(page)
    with Client(live.base_url, api_key=keys[("acme", "recruiter")]) as rec:
        rec.delete_interview(made["session_id"])
    page.wait_for_selector("#notice:has-text('cancelled')")
    assert page.text_content("#connection-text") == "Disconnected"
    page.wait_for_timeout(1500)  # no reconnect loop after close code 4410
    assert len(sockets) == 1
    assert page.locator("#notice button").count() == 0  # nothing to restart without a key
