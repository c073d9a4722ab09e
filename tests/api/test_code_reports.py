"""A coding answer in the printed reports: the candidate's report (HTML, PDF) and the recruiter's
export (HTML, PDF) show the submitted code in monospace with each test group's result."""

from __future__ import annotations

import html
import io
import re
import textwrap

import httpx
from pypdf import PdfReader

from interviewer.client import interview
from tests.api.conftest import LiveServer
from tests.code.wrong_solutions import WRONG

WRONG_ATTENTION = textwrap.dedent(WRONG["code-attention"])
EXPLANATION = "I scale the scores by sqrt(d) and mask future keys with minus infinity."


def pdf_text(data: bytes) -> str:
    return " ".join(" ".join(p.extract_text().split()) for p in PdfReader(io.BytesIO(data)).pages)


def squeeze(text: str) -> str:
    return " ".join(text.split())


async def coding_interview(live: LiveServer, profile: str) -> str:
    async with interview(live.ws_url) as ws:
        await ws.start(question_ids=["code-attention"], max_followups=0, profile=profile)
        grade = await ws.answer_code(WRONG_ATTENTION, EXPLANATION)
        assert {c["id"]: c["verdict"] for c in grade["criteria"]}["tests-stability"] == "missed"
        await ws.recv_until("summary")
        assert ws.session_id
        return ws.session_id


def check_html(page: str) -> None:
    code = re.search(r"<pre class='code'><code>(.*?)</code></pre>", page, re.S)
    assert code is not None and html.unescape(code.group(1)) == WRONG_ATTENTION
    assert "font: 12.5px/1.4 ui-monospace" in page  # the block is set in monospace
    rows = re.findall(r"<tr><td>([^<]*)</td><td>([^<]*)</td><td>([^<]*)</td></tr>",
                      page.split("<table class='tests'>", 1)[1].split("</table>", 1)[0])
    assert [(name, result) for name, result, _ in rows] == [
        ("public tests: basic", "passed"), ("hidden tests: stability", "failed"),
        ("hidden tests: shapes", "passed"), ("hidden tests: masked_rows", "failed")]
    assert "NaN" in html.unescape(rows[1][2]) and "hidden tests 0/1 passed" in rows[1][2]


def check_pdf(data: bytes) -> None:
    text = pdf_text(data)
    for line in WRONG_ATTENTION.splitlines():
        if line.strip():
            assert squeeze(line) in text, line
    assert "Test group Result Details" in text
    assert "hidden tests: stability failed hidden tests 0/1 passed; case 1: contains NaN" in text
    assert "public tests: basic passed" in text


async def test_the_candidates_report_shows_the_code_and_its_tests(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as c:
        profile = (await c.post("/v1/candidate/profile")).json()["profile_id"]
        sid = await coding_interview(live_server, profile)
        me = {"X-Candidate-Profile": profile}
        page = await c.get(f"/v1/candidate/interviews/{sid}/report", params={"format": "html"}, headers=me)
        assert page.status_code == 200, page.text
        check_html(page.text)
        assert "<h3>Your explanation</h3><p class='answer'>" + html.escape(EXPLANATION) in page.text
        pdf = await c.get(f"/v1/candidate/interviews/{sid}/report", params={"format": "pdf"}, headers=me)
        assert pdf.status_code == 200
        check_pdf(pdf.content)
        assert f"Your explanation {EXPLANATION}" in pdf_text(pdf.content)


async def test_the_recruiters_export_shows_the_code_and_its_tests(live_server: LiveServer) -> None:
    async with httpx.AsyncClient(base_url=live_server.base_url, timeout=60) as c:
        profile = (await c.post("/v1/candidate/profile")).json()["profile_id"]
        sid = await coding_interview(live_server, profile)
        page = await c.get(f"/v1/interviews/{sid}/export", params={"format": "html"})
        assert page.status_code == 200, page.text
        check_html(page.text)
        pdf = await c.get(f"/v1/interviews/{sid}/export", params={"format": "pdf"})
        assert pdf.status_code == 200
        check_pdf(pdf.content)
