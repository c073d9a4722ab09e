"""Webhook URLs cannot reach internal addresses: refused at registration and again at each delivery."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from interviewer.adapters.store.admin_sqlite import SqliteAdminStore
from interviewer.adapters.webhooks.http import HttpPoster
from interviewer.errors import BadRequest
from interviewer.service import admin as svc_admin
from interviewer.service.auth import local_principal
from interviewer.service.records import WebhookRecord
from interviewer.service.webhooks import UNREACHABLE, WebhookDispatcher
from tests.api.authkit import Receiver

INTERNAL = [
    "http://127.0.0.1:6379/", "http://127.0.0.2/", "http://169.254.169.254/latest/meta-data/",
    "http://10.0.0.5/", "http://172.16.0.1/", "http://192.168.1.1/", "http://100.100.100.200/",
    "http://0.0.0.0:8000/", "http://224.0.0.1/", "http://255.255.255.255/",
    # IPv4 in the notations a resolver also accepts
    "http://2130706433:8791/", "http://0177.0.0.1/", "http://0x7f000001/", "http://0x7f.1/",
    "http://127.1/", "http://017700000001/", "http://2852039166/",
    # IPv6, and IPv4 inside IPv6
    "http://[::1]/", "http://[::]/", "http://[::ffff:127.0.0.1]/", "http://[::ffff:7f00:1]/",
    "http://[::ffff:169.254.169.254]/", "http://[::127.0.0.1]/", "http://[fe80::1]/",
    "http://[fd00:ec2::254]/", "http://[ff02::1]/", "http://[64:ff9b::a9fe:a9fe]/",
    "http://[2002:7f00:1::]/",
    # names that are local by definition
    "http://localhost:8080/", "http://LOCALHOST./", "http://api.localhost/",
    "http://metadata.google.internal/computeMetadata/v1/",
]
PUBLIC = ["https://hooks.partner.example/interviewer", "http://93.184.216.34/x",
          "https://[2606:4700:4700::1111]/hook"]


@pytest.fixture
def admin(tmp_path: Path) -> SqliteAdminStore:
    return SqliteAdminStore(tmp_path / "admin.sqlite3")


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver()
    yield r
    r.stop()


@pytest.mark.parametrize("url", INTERNAL)
async def test_internal_addresses_are_refused_at_registration(admin: SqliteAdminStore, url: str) -> None:
    with pytest.raises(BadRequest) as e:
        await svc_admin.create_webhook(admin, principal=local_principal("acme"), url=url,
                                       events=["grade.created"])
    assert "public internet address" in e.value.message


async def test_public_addresses_and_the_opt_in_are_accepted(admin: SqliteAdminStore) -> None:
    me = local_principal("acme")
    for url in PUBLIC:
        await svc_admin.create_webhook(admin, principal=me, url=url, events=["grade.created"])
    hook = await svc_admin.create_webhook(admin, principal=me, url="http://127.0.0.1:9/x",
                                          events=["grade.created"], allow_private=True)
    assert hook.url == "http://127.0.0.1:9/x"


def hook(url: str) -> WebhookRecord:
    return WebhookRecord("wh_t", "acme", url, ("grade.created",), "whsec_t", time.time())


def resolving_to(*addrs: str):  # type: ignore[no-untyped-def]
    async def resolve(host: str, port: int) -> list[str]:
        return list(addrs)
    return resolve


async def test_names_resolving_to_internal_addresses_are_refused_at_send_time(
        admin: SqliteAdminStore, receiver: Receiver) -> None:
    port = receiver.start().rsplit(":", 1)[1].split("/")[0]
    for addrs in (["127.0.0.1"], ["93.184.216.34", "127.0.0.1"], ["::ffff:127.0.0.1"]):
        d = WebhookDispatcher(admin, HttpPoster(resolve=resolving_to(*addrs), timeout=2), timeout=2)
        h = hook(f"http://rebind.partner.example:{port}/hook")
        await admin.create_webhook(h)
        out = await d.send_test(h)
        await d.close()
        await admin.delete_webhook(h.webhook_id)
        assert out.status == "failed" and out.last_error == UNREACHABLE and out.last_status_code is None
    assert receiver.attempts == 0


async def test_a_closed_port_and_a_refused_address_look_the_same(admin: SqliteAdminStore) -> None:
    closed = WebhookDispatcher(admin, HttpPoster(allow_private=True, timeout=2), timeout=2)
    refused = WebhookDispatcher(admin, HttpPoster(timeout=2), timeout=2)
    outcomes = []
    for d, url in ((closed, "http://127.0.0.1:9/x"), (refused, "http://127.0.0.1:6379/x")):
        h = hook(url)
        await admin.create_webhook(h)
        started = time.monotonic()
        out = await d.send_test(h)
        outcomes.append((out.status, out.last_error, out.last_status_code, time.monotonic() - started))
        await d.close()
        await admin.delete_webhook(h.webhook_id)
    assert [o[:3] for o in outcomes] == [("failed", UNREACHABLE, None)] * 2
    assert all(o[3] < 1.0 for o in outcomes)  # neither waits for a timeout


async def test_delivery_goes_to_the_checked_address_with_the_original_host(
        admin: SqliteAdminStore, receiver: Receiver) -> None:
    port = receiver.start().rsplit(":", 1)[1].split("/")[0]
    poster = HttpPoster(allow_private=True, resolve=resolving_to("127.0.0.1"), timeout=5)
    d = WebhookDispatcher(admin, poster, timeout=5)
    h = hook(f"http://sink.partner.example:{port}/hook")
    await admin.create_webhook(h)
    out = await d.send_test(h)
    await d.close()
    assert out.status == "delivered"
    (headers, _), = receiver.received
    assert headers["host"] == f"sink.partner.example:{port}"
