"""Both pages build their choices and labels from `GET /v1/meta`: a server configured with other limits
shows them, and every verdict and flag the server names has its look in the page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.api.conftest import LiveServer, make_settings, serve

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def small_server(tmp_path: Path, encoder: Any, bank: Any) -> Iterator[LiveServer]:
    from interviewer.wiring import build_services

    settings = make_settings(tmp_path, max_questions=5, default_num_questions=2)
    yield from serve(build_services(settings, encoder=encoder, bank=bank))


def values(page: Any, selector: str) -> list[str]:
    return [str(v) for v in page.eval_on_selector_all(selector, "els => els.map(e => e.value)")]


def test_the_pages_take_their_choices_and_labels_from_v1_meta(page: Any, small_server: LiveServer) -> None:
    meta = httpx.get(small_server.base_url + "/v1/meta").json()
    assert (meta["max_questions"], meta["default_num_questions"]) == (5, 2)

    page.goto(small_server.base_url + "/")
    page.wait_for_selector("#available[data-total]:not([data-total=''])")
    assert values(page, "#company option") == ["", *meta["companies"]]
    assert values(page, "#difficulty option") == ["", *meta["difficulties"]]
    assert values(page, "#topics input[type=checkbox]") == meta["topics"]
    num = page.locator("#num-questions")
    assert (num.get_attribute("max"), num.input_value()) == ("5", "2")
    num.fill("9")  # above the server's limit: the start message asks for its maximum
    assert page.evaluate("import('/static/js/start.js').then(m => m.readChoices().num_questions)") == 5

    # every verdict the server names has an icon and a label, every flag the server's label
    looks = page.evaluate("""names => import('/static/js/labels.js').then(m => ({
        verdicts: m.verdictNames().map(v => m.verdictLook(v)),
        labels: names.map(f => m.flagLabel(f)),
    }))""", [f["name"] for f in meta["flags"]])
    assert len(looks["verdicts"]) == len(meta["verdicts"]) == 4
    assert all(v["icon"] != "?" and v["label"] for v in looks["verdicts"])
    assert looks["labels"] == [f["label"] for f in meta["flags"]]

    page.goto(small_server.base_url + "/review")
    page.click("#signin-button")  # auth off: the local admin
    page.wait_for_selector("#list-view:not([hidden])")
    assert values(page, "#company-options option") == meta["companies"]
    assert values(page, "#topic-options option") == meta["topics"]
    assert values(page, "#f-difficulty option") == ["", *meta["difficulties"]]
