"""A real uvicorn server on a free port, with the real bank, encoder, judge and SQLite store."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn

from interviewer.adapters.bank.yaml_bank import YamlQuestionBank
from interviewer.api.app import create_app
from interviewer.service.container import Services
from interviewer.settings import Settings
from interviewer.wiring import build_services
from tests.conftest import REPO, free_port


@pytest.fixture(scope="session")
def bank() -> YamlQuestionBank:
    import os
    return YamlQuestionBank.load([Path(os.environ.get("IV_TEST_BANK", REPO))])


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    return Settings(_env_file=None, data_dir=tmp_path / "data", **overrides)  # type: ignore[call-arg]


@pytest.fixture
def services(tmp_path: Path, encoder, bank) -> Services:  # type: ignore[no-untyped-def]
    return build_services(make_settings(tmp_path), encoder=encoder, bank=bank)


@dataclass
class LiveServer:
    base_url: str
    services: Services

    @property
    def ws_url(self) -> str:
        return self.base_url.replace("http", "ws", 1) + "/v1/interviews/ws"


def serve(svc: Services) -> Iterator[LiveServer]:
    port = free_port()
    config = uvicorn.Config(create_app(services=svc), host="127.0.0.1", port=port, proxy_headers=False,
                            log_level="warning", ws_max_size=4 * svc.settings.max_message_bytes)
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("server did not start")
        time.sleep(0.02)
    yield LiveServer(f"http://127.0.0.1:{port}", svc)
    server.should_exit = True
    thread.join(timeout=20)


@pytest.fixture
def live_server(services: Services) -> Iterator[LiveServer]:
    yield from serve(services)
