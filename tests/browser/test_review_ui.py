"""The recruiter dashboard in a real browser against a real server with auth on: keys made by the
`interviewer keys create` CLI, interviews taken over the websocket and graded by the offline judge."""

from __future__ import annotations

import asyncio
import csv
import io
import os
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import pytest

from interviewer.client import Client
from interviewer.wiring import build_services
from tests.api.authkit import finish_interview
from tests.api.conftest import LiveServer, make_settings, serve
from tests.browser.axe import axe_violations
from tests.browser.conftest import Console
from tests.conftest import REPO

pytestmark = [pytest.mark.browser, pytest.mark.slow]

DOCS_SHOTS = REPO / "docs" / "screenshots"
CLI = [str(Path(sys.executable).parent / "interviewer")]
# A character outside the BMP first (U+1D45F): evidence offsets (code points) then differ from JS indices.
PREFIX = "In short, with 𝑟 the reward: "
REASON = "Stated in the second sentence; the judge missed it. <b>not markup</b>"


@dataclass
class Setup:
    live: LiveServer
    recruiter: str
    partner: str
    completed: str  # session id of cand-ada's graded interview
    pending: str  # cand-bob's, not started

    def transcript(self, sid: str) -> dict[str, Any]:
        with Client(self.live.base_url, api_key=self.recruiter) as c:
            return c.interview(sid)


def cli_key(data_dir: Path, role: str) -> str:
    """A key made the way an operator makes one: the CLI against the server's data directory."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("INTERVIEWER_")}
    env.update(INTERVIEWER_DATA_DIR=str(data_dir), INTERVIEWER_STORE="sqlite")
    out = subprocess.run([*CLI, "keys", "create", "--role", role, "--org", "acme", "--name", f"ui-{role}"],
                         capture_output=True, text=True, env=env, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    return out.stdout.strip().splitlines()[-1]


def in_thread(make: Callable[[], Coroutine[Any, Any, Any]]) -> Any:
    """Run a coroutine on its own loop in another thread (Playwright's sync API owns this one)."""
    box: dict[str, Any] = {}

    def target() -> None:
        try:
            box["value"] = asyncio.run(make())
        except BaseException as exc:  # re-raised in the test thread
            box["error"] = exc

    t = threading.Thread(target=target)
    t.start()
    t.join(timeout=300)
    if "error" in box:
        raise box["error"]
    return box.get("value")


def first_sentences(text: str, n: int) -> str:
    return ". ".join(text.split(". ")[:n]).rstrip(".") + "."


@pytest.fixture(scope="module")
def setup(tmp_path_factory: pytest.TempPathFactory, encoder: Any, bank: Any) -> Iterator[Setup]:
    settings = make_settings(tmp_path_factory.mktemp("review-ui"), auth="on", rate_limit="", rate_limit_ip="", rate_limit_anon="",
                             ws_rate_limit="")
    svc = build_services(settings, encoder=encoder, bank=bank)
    recruiter, partner = cli_key(settings.data_dir, "recruiter"), cli_key(settings.data_dir, "partner")
    q1, q2 = bank.all()[0], bank.all()[1]
    for live in serve(svc):
        with Client(live.base_url, api_key=partner) as c:
            made = c.create_interview(question_ids=[q1.id, q2.id], max_followups=0, candidate_ref="cand-ada")
            pending = c.create_interview(question_ids=[q1.id], max_followups=0, candidate_ref="cand-bob")
        answers = {q1.id: PREFIX + first_sentences(q1.sample_answer, 2), q2.id: q2.sample_answer}
        in_thread(partial(finish_interview, made["ws_url"], answers))
        yield Setup(live, recruiter, partner, made["session_id"], pending["session_id"])


# ---- helpers ----

def sign_in(page: Any, setup: Setup, key: str) -> None:
    page.goto(setup.live.base_url + "/review")
    page.fill("#api-key", key)
    page.click("#signin-button")


def wait_rows(page: Any, expected: set[str]) -> None:
    page.wait_for_function(
        "ids => { const got = [...document.querySelectorAll('#interview-rows tr[data-session-id]')]"
        ".map(r => r.dataset.sessionId); return got.length === ids.length && ids.every(i => got.includes(i)); }",
        arg=sorted(expected))


def shot(page: Any, shots: Path, name: str, *, docs: bool = False, full: bool = False,
         clip: dict[str, float] | None = None) -> None:
    path = shots / f"{name}.png"
    page.screenshot(path=str(path), full_page=full, clip=clip)
    if docs:
        DOCS_SHOTS.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(path, DOCS_SHOTS / f"{name}.png")


def expect_http_errors(console: Console, status: int) -> None:
    """The browser logs every non-2xx fetch as a console error; those the test provoked are expected."""
    console.errors[:] = [e for e in console.errors if f"status of {status}" not in e]


# ---- tests ----

def test_recruiter_overrides_a_verdict_and_sees_score_and_audit(page: Any, setup: Setup, shots: Path) -> None:
    response = page.goto(setup.live.base_url + "/review")
    csp = response.headers.get("content-security-policy", "")
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    page.fill("#api-key", setup.recruiter)
    page.click("#signin-button")
    page.wait_for_selector("#list-view:not([hidden])")
    key_id = setup.recruiter.split("_")[1]
    assert key_id in (page.text_content("#who") or "")
    assert page.evaluate("Object.values(sessionStorage).join()").count(setup.recruiter) == 1
    wait_rows(page, {setup.completed, setup.pending})

    # the API's filters: status, then the candidate reference
    page.select_option("#f-status", "completed")
    page.click("#apply-filters")
    wait_rows(page, {setup.completed})
    row = page.locator(f"tr[data-session-id='{setup.completed}']")
    api = setup.transcript(setup.completed)
    assert row.locator(".row-score").text_content() == str(api["score"])
    assert "Completed" in (row.text_content() or "")
    shot(page, shots, "review-list", docs=True)
    page.select_option("#f-status", "")
    page.fill("#f-candidate", "cand-bob")
    page.keyboard.press("Enter")  # submits the filter form
    wait_rows(page, {setup.pending})
    page.fill("#f-min", "90")
    page.fill("#f-max", "10")
    page.click("#apply-filters")
    assert "above the maximum" in (page.text_content("#filter-error") or "")
    page.click("#reset-filters")
    wait_rows(page, {setup.completed, setup.pending})

    # the transcript: verdicts, evidence at the right characters, provenance
    page.click(f"tr[data-session-id='{setup.completed}'] a")
    page.wait_for_selector("#detail-title")
    assert page.evaluate("document.activeElement.id") == "detail-title"
    assert page.text_content("#detail-title") == "cand-ada"
    assert page.text_content("#interview-score") == str(api["score"])
    turn = api["turns"][0]
    block = page.locator(f"li.rturn[data-turn='{turn['index']}']")
    assert (block.locator(".answer-text").text_content() or "").startswith(PREFIX)
    assert block.locator("li.crit").count() == len(turn["grade"]["criteria"])
    with_evidence = [c for c in turn["grade"]["criteria"] if c["evidence"]]
    assert with_evidence, "the judge quoted nothing from the answer"
    for c in with_evidence:  # the highlight covers exactly the quoted characters (code points)
        marked = "".join(block.locator(f"mark.ev[data-criteria~='{c['id']}']").all_text_contents())
        assert marked == c["evidence"]["quote"]
    assert "offline judge" in (block.locator(".provenance summary").text_content() or "")
    assert page.locator("#audit-empty").is_visible()

    # override one criterion's verdict with a reason
    criteria = turn["grade"]["criteria"]
    target = next((c for c in criteria if c["verdict"] == "missed"), criteria[0])
    new = "met" if target["verdict"] != "met" else "missed"
    crit = block.locator(f"li.crit[data-criterion='{target['id']}']")
    crit.locator(".ov-open").click()
    assert page.evaluate("document.activeElement.name") == "verdict"  # focus moved into the form
    crit.locator(".ov-verdict").select_option(new)
    crit.locator("button[type=submit]").click()
    assert "Give a reason" in (crit.locator(".field-error").text_content() or "")
    assert page.evaluate("document.activeElement.name") == "reason"
    crit.locator(".ov-reason").fill(REASON)
    crit.locator("button[type=submit]").click()
    page.wait_for_selector(f"li.rturn[data-turn='{turn['index']}'] li.crit[data-criterion='{target['id']}']"
                           f"[data-verdict='{new}']")

    after = setup.transcript(setup.completed)
    grade = after["turns"][0]["grade"]
    assert grade["score"] != turn["grade"]["score"] and grade["ai_score"] == turn["grade"]["score"]
    block = page.locator(f"li.rturn[data-turn='{turn['index']}']")
    assert block.locator(".grade-score").text_content() == str(grade["score"])
    assert page.text_content("#interview-score") == str(after["score"])
    assert f"judge's score {turn['grade']['score']}" in (block.locator("[data-badge='overridden']").text_content() or "")
    crit = block.locator(f"li.crit[data-criterion='{target['id']}']")
    old_label = {"met": "✓ Met", "missed": "✗ Missed", "partial": "◐ Partly met", "contradicted": "! Contradicted"}
    assert f"judge's verdict: {old_label[target['verdict']]}" in (crit.text_content() or "")
    status = page.text_content("#status") or ""
    assert f"{turn['grade']['score']} → {grade['score']}" in status and f"Interview score: {after['score']}" in status
    assert page.evaluate("document.activeElement.dataset.target") == target["id"]  # focus back on its button

    entries = page.locator("#audit-list li.audit-entry")
    assert entries.count() == 1
    entry = entries.first
    text = entry.text_content() or ""
    assert "Verdict override" in text and f"key {key_id} (you)" in text
    assert target["concept"] in text
    assert f"{old_label[target['verdict']]} → {old_label[new]}" in (entry.locator("[data-change='verdict']").text_content() or "")
    assert f"{turn['grade']['score']} → {grade['score']}" in (entry.locator("[data-change='score']").text_content() or "")
    assert entry.locator(".audit-reason").text_content() == "Reason: " + REASON
    assert entry.locator(".audit-reason b").count() == 0  # the reason is text, never markup

    shot(page, shots, "review-toast")
    page.evaluate("document.getElementById('status').textContent = ''")
    block.locator(".provenance summary").click()  # opens the provenance details
    assert "Rubric version" in (block.locator(".provenance dl").text_content() or "")
    page.evaluate("window.scrollTo(0, 0)")  # the sticky top bar stays out of the clip
    box = block.bounding_box()  # the whole first turn: question, highlighted answer, overridden grade
    shot(page, shots, "review", docs=True, full=True, clip={
        "x": 0, "y": box["y"] - 10, "width": 1280, "height": box["height"] + 26})
    page.locator("#audit-list").scroll_into_view_if_needed()
    shot(page, shots, "review-audit")
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, shots, "review-top")

    # exports: fetched with the key, saved through a blob URL
    with page.expect_download() as dl:
        page.click("#export-csv")
    assert dl.value.suggested_filename == f"interview-{setup.completed}.csv"
    exported = list(csv.DictReader(io.StringIO(Path(dl.value.path()).read_text())))
    row_csv = next(r for r in exported if r["criterion_id"] == target["id"] and r["question_id"] == turn["question_id"])
    assert row_csv["verdict"] == new and row_csv["ai_verdict"] == target["verdict"]
    with page.expect_download() as dl:
        page.click("#export-pdf")
    assert Path(dl.value.path()).read_bytes().startswith(b"%PDF")
    assert "Downloaded" in (page.text_content("#status") or "")

    # a reload keeps the key (session storage) and the open interview; phone width does not scroll sideways
    page.reload()
    page.wait_for_selector("#audit-list li.audit-entry")
    page.set_viewport_size({"width": 375, "height": 800})
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 375, f"horizontal scroll at phone width: {width}px"
    page.click("#back")
    wait_rows(page, {setup.completed, setup.pending})
    assert page.evaluate("document.documentElement.scrollWidth") <= 375
    assert page.locator(f"tr[data-session-id='{setup.completed}'] .badge-override").count() == 1
    shot(page, shots, "review-phone")

    page.click("#sign-out")
    page.wait_for_selector("#signin-view:not([hidden])")
    assert page.evaluate("Object.values(sessionStorage).join()").count(setup.recruiter) == 0
    assert page.evaluate("document.activeElement.id") == "api-key"


def test_bad_key_is_refused_with_a_message(page: Any, setup: Setup, console: Console) -> None:
    sign_in(page, setup, "iv_000000000000_not-a-real-secret")
    page.wait_for_selector("#signin-error:not([hidden])")
    assert "not accepted" in (page.text_content("#signin-error") or "")
    assert page.locator("#list-view").is_hidden()
    assert page.get_attribute("#api-key", "aria-invalid") == "true"
    assert page.evaluate("sessionStorage.length") == 0
    page.fill("#api-key", "")
    page.click("#signin-button")
    page.wait_for_selector("#signin-error:has-text('requires an API key')")
    expect_http_errors(console, 401)


def test_partner_key_may_read_but_not_override(page: Any, setup: Setup, console: Console) -> None:
    # GET /v1/me tells the page the role: a partner reads transcripts and is offered no overrides.
    sign_in(page, setup, setup.partner)
    page.wait_for_selector("#list-view:not([hidden])")
    page.wait_for_function("() => document.querySelector('#who').textContent.includes('partner')")
    who = page.text_content("#who") or ""
    assert "read-only" in who and "Signed in as partner of" in who
    page.goto(f"{setup.live.base_url}/review#/interviews/{setup.completed}")
    page.wait_for_selector("li.crit")
    page.wait_for_function("() => document.querySelector('#who').textContent.includes('read-only')")
    assert page.locator("li.crit").count() > 0
    assert page.locator(".ov-open").count() == 0
    page.click("#sign-out")
    page.wait_for_selector("#signin-view:not([hidden])")
    assert page.evaluate("sessionStorage.length") == 0
    assert not console.errors, console.errors


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_axe_finds_no_serious_violations_on_the_dashboard(page: Any, setup: Setup, scheme: str) -> None:
    page.emulate_media(color_scheme=scheme)
    found: dict[str, list[str]] = {}
    page.goto(setup.live.base_url + "/review")
    page.wait_for_selector("#api-key")
    found["sign in"] = axe_violations(page)
    page.fill("#api-key", setup.recruiter)
    page.click("#signin-button")
    wait_rows(page, {setup.completed, setup.pending})
    found["list"] = axe_violations(page)
    page.click(f"tr[data-session-id='{setup.completed}'] a")
    page.wait_for_selector("#detail-title")
    found["transcript"] = axe_violations(page)
    bad = {k: v for k, v in found.items() if v}
    assert bad == {}, "\n".join(f"{k}: {x}" for k, v in bad.items() for x in v)
