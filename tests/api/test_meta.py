"""`GET /v1/meta`: the constants the frontend builds its forms and labels from, served by the backend."""

from __future__ import annotations

import re
from pathlib import Path

from starlette.testclient import TestClient

from interviewer import __version__
from interviewer.api.app import create_app
from interviewer.core.models import COMPANIES, REVIEW_FLAGS, Area, Difficulty, InfoFlag, ReviewFlag, Verdict
from interviewer.schemas.protocol import PROTOCOL_VERSION
from interviewer.service.transcript import DERIVED_FLAGS
from tests.api.conftest import make_settings
from tests.conftest import REPO

BASE = "http://127.0.0.1"


def meta(tmp_path: Path, **settings: object) -> dict:  # type: ignore[type-arg]
    # No `with`: the lifespan (which loads the model and the bank) never runs, so this also shows
    # that the route answers before the service is ready.
    client = TestClient(create_app(make_settings(tmp_path, **settings)), base_url=BASE)
    r = client.get("/v1/meta")
    assert r.status_code == 200, r.text
    body: dict = r.json()  # type: ignore[type-arg]
    return body


def test_meta_serves_the_backends_own_constants(tmp_path: Path) -> None:
    m = meta(tmp_path, max_questions=12, default_num_questions=4, max_answer_chars=5000)
    assert m["version"] == __version__ and m["protocol"] == PROTOCOL_VERSION
    assert m["companies"] == list(COMPANIES)
    assert m["topics"] == [a.value for a in Area]
    assert m["difficulties"] == [d.value for d in Difficulty]
    assert m["verdicts"] == [v.value for v in Verdict]
    assert (m["max_questions"], m["default_num_questions"], m["max_answer_chars"]) == (12, 4, 5000)
    assert m["coding"] == {"available": None, "reason": ""}  # not known until the services are built


def test_every_flag_the_backend_can_emit_has_a_label_and_a_meaning(tmp_path: Path) -> None:
    flags = {f["name"]: f for f in meta(tmp_path)["flags"]}
    # every review flag, every informational flag (thin evidence, dropped quotes, a cached grade),
    # and every flag a transcript derives
    expected = {f.value for f in ReviewFlag} | {f.value for f in InfoFlag} | set(DERIVED_FLAGS)
    assert expected == set(flags) and {"quotes_dropped", "cached"} <= expected
    for name, f in flags.items():
        assert f["label"] and f["meaning"] and f["label"] != name
        assert f["provisional"] == (name in REVIEW_FLAGS)
    assert flags["judges_disagree"]["label"] == "Judges disagree" and flags["judges_disagree"]["provisional"]
    assert not flags["insufficient_evidence"]["provisional"]


def test_the_frontend_keeps_no_copy_of_the_backends_constants() -> None:
    """The pages read /v1/meta; a copied list (as the start form once had) would drift."""
    files = [p for p in (REPO / "frontend").rglob("*") if p.suffix in (".js", ".html") and "vendor" not in p.parts]
    assert any(p.name == "labels.js" for p in files)
    copied = {*COMPANIES, *(a.value for a in Area), "judge_disagreement", "Judges disagree"}
    choices = {*copied, *(d.value for d in Difficulty)}
    for path in files:
        text = path.read_text(encoding="utf-8")
        quoted = set(re.findall(r"""["'`]([^"'`\n]+)["'`]""", text)) if path.suffix == ".js" else set()
        options = set(re.findall(r'value="([^"]*)"', text))  # <option value=...> in the pages
        found = (quoted & copied) | (options & choices)
        assert not found, (path.relative_to(REPO), found)
