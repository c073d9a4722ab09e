"""schemathesis against the live OpenAPI schema (auth on, an admin key), as from outside: every phase
(examples, coverage, fuzzing, stateful), randomised, with the seed printed so that a failure can be
replayed (`INTERVIEWER_FUZZ_SEED=<seed>`). No 5xx, responses and error shapes conform."""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.wiring import build_services
from tests.api.authkit import make_keys
from tests.api.conftest import LiveServer, make_settings, serve

pytestmark = [pytest.mark.slow, pytest.mark.timeout(900)]

SEED_ENV = "INTERVIEWER_FUZZ_SEED"
PHASES = "examples,coverage,fuzzing,stateful"
MAX_EXAMPLES = 60  # per operation and phase, as the outside run of issue 16
KEY: dict[str, str] = {}
# Cross-field rules (a grade takes question_id OR question + sample_answer; an override a verdict
# OR a score) are pydantic validators that JSON Schema does not carry: schema-valid bodies can
# break them and get a documented 422. Every other check runs, "not a server error" included.
EXCLUDED = "positive_data_acceptance"
# What counts as rejecting invalid data: schemathesis' default list, plus 413 (the body limit).
REJECTED = ("400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx")


@pytest.fixture(scope="module")
def live(tmp_path_factory: pytest.TempPathFactory, encoder, bank) -> Iterator[LiveServer]:  # type: ignore[no-untyped-def]
    s = make_settings(tmp_path_factory.mktemp("fuzz"), auth="on", rate_limit="", rate_limit_ip="", rate_limit_anon="",
                      ws_rate_limit="", webhook_allowed_hosts=["127.0.0.1"], webhook_allow_private=True, webhook_max_attempts=1,
                      webhook_timeout=1.0)
    svc = build_services(s, encoder=encoder, bank=bank)
    KEY["admin"] = make_keys(svc)[("acme", "admin")]
    yield from serve(svc)


def fuzz_seed() -> int:
    """A fresh seed each run, or the one in INTERVIEWER_FUZZ_SEED to replay a failure."""
    given = os.environ.get(SEED_ENV, "").strip()
    return int(given) if given else secrets.randbelow(2**31)


def test_api_conforms_in_every_phase(live: LiveServer, tmp_path: Path) -> None:
    seed = fuzz_seed()
    print(f"\nschemathesis seed {seed}: replay with {SEED_ENV}={seed}")
    # The CLI, as a partner's fuzzer would run it (schemathesis' pytest plugin does not run under
    # pytest 9): one process, its own report directory, no example database between runs.
    # A body over INTERVIEWER_MAX_BODY_BYTES is refused with 413 before validation (documented on
    # every route that takes a body): a rejection like 400 or 422, which the check's default list
    # lacks (seed 1877110674 sent an invalid batch of over 1 MB).
    config = tmp_path / "schemathesis.toml"
    config.write_text("[checks.negative_data_rejection]\nexpected-statuses = "
                      + repr([*REJECTED]).replace("'", '"') + "\n")
    cmd = [sys.executable, "-c", "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
           "--config-file", str(config), "run", live.base_url + "/openapi.json", "--phases", PHASES, "--seed", str(seed),
           "--max-examples", str(MAX_EXAMPLES), "--checks", "all", "--exclude-checks", EXCLUDED,
           "--header", f"Authorization: Bearer {KEY['admin']}", "--generation-database", "none",
           "--workers", "2", "--report-dir", str(tmp_path / "report"), "--no-color",
           "--suppress-health-check", "all", "--request-timeout", "30"]
    run = subprocess.run(cmd, cwd=tmp_path, capture_output=True, text=True, timeout=840)
    print(run.stdout[-6000:])
    assert run.returncode == 0, f"seed {seed} ({SEED_ENV}={seed} replays it):\n{run.stdout[-20000:]}\n{run.stderr[-3000:]}"
    selected = re.search(r"Operations:\s+(\d+) selected", run.stdout)
    assert selected is not None and int(selected.group(1)) >= 30, run.stdout[-3000:]
    for phase in ("Examples", "Coverage", "Fuzzing", "Stateful"):  # each ran (none skipped as a whole)
        assert re.search(rf"✅\s+{phase} \(in ", run.stdout), f"{phase}:\n{run.stdout[-3000:]}"
