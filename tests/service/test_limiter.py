"""Rate limits with the `limits` library: per key and per IP, in memory and in a real Redis."""

from __future__ import annotations

import logging

import pytest
import redis as redis_sync

from interviewer.adapters.ratelimit.limits_storage import Limiter
from interviewer.errors import RateLimited
from interviewer.settings import Settings
from tests.conftest import RedisServer


@pytest.fixture(params=["memory", "redis"])
def settings(request: pytest.FixtureRequest) -> Settings:
    url = request.getfixturevalue("redis_server").url if request.param == "redis" else None
    return Settings(_env_file=None, redis_url=url, rate_limit="3/minute", rate_limit_ip="5/minute",  # type: ignore[call-arg]
                    ws_rate_limit="")


async def test_per_key_then_per_ip(settings: Settings) -> None:
    limiter = Limiter(settings)
    for _ in range(3):
        await limiter.check("rest", key_id="k1", ip="10.0.0.1")
    with pytest.raises(RateLimited) as e:
        await limiter.check("rest", key_id="k1", ip="10.0.0.2")
    assert e.value.retry_after is not None and 1 <= e.value.retry_after <= 60
    await limiter.check("rest", key_id="k2", ip="10.0.0.1")  # another key: 4th hit of that IP
    await limiter.check("rest", key_id="k2", ip="10.0.0.1")  # 5th
    with pytest.raises(RateLimited):
        await limiter.check("rest", key_id="k3", ip="10.0.0.1")  # the IP is spent
    for _ in range(50):
        await limiter.check("ws", key_id="k1", ip="10.0.0.1")  # "" disables a limit


async def test_a_redis_flush_and_restart_costs_the_limiter_nothing(
    redis_server: RedisServer, caplog: pytest.LogCaptureFixture,
) -> None:
    """The pooled connection dies with the server: the next check reconnects and counts, instead
    of failing open with `ratelimit.unavailable` for the first frame of every socket (issue 17)."""
    limiter = Limiter(Settings(_env_file=None, redis_url=redis_server.url, rate_limit="2/minute",  # type: ignore[call-arg]
                               rate_limit_ip=""))
    await limiter.check("rest", key_id="k1", ip=None)
    r = redis_sync.Redis.from_url(redis_server.url)
    r.flushall()
    r.close()
    redis_server.stop()
    redis_server.start()
    with caplog.at_level(logging.ERROR, logger="interviewer.ratelimit"):
        await limiter.check("rest", key_id="k1", ip=None)  # the flush forgot the first hit
        await limiter.check("rest", key_id="k1", ip=None)
        with pytest.raises(RateLimited):
            await limiter.check("rest", key_id="k1", ip=None)
    assert [r.message for r in caplog.records] == []
