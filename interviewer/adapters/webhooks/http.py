"""WebhookPoster port on httpx: the name is resolved again at each delivery, every address must be
public (core/webhook_targets.py), and the POST goes to the checked address with the original
`Host` and TLS server name, so a DNS answer that changes in between cannot redirect it."""

from __future__ import annotations

import asyncio
import socket

import httpx

from interviewer.core.webhook_targets import Resolver, TargetRefused, resolve_target
from interviewer.errors import DeliveryUnreachable


async def system_resolve(host: str, port: int) -> list[str]:
    """Every address the system resolver gives for `host` (A and AAAA)."""
    infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


class HttpPoster:
    def __init__(self, *, timeout: float = 10.0, allow_private: bool = False,
                 resolve: Resolver = system_resolve) -> None:
        self.timeout, self.allow_private, self.resolve = timeout, allow_private, resolve
        self._http: httpx.AsyncClient | None = None

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> int:
        """POST to the checked address of `url`; the HTTP status, or DeliveryUnreachable when
        there was no HTTP answer (refused address, closed port, timeout, broken response)."""
        if self._http is None:
            self._http = httpx.AsyncClient(timeout=self.timeout, follow_redirects=False)
        try:
            target = await resolve_target(url, allow_private=self.allow_private, resolve=self.resolve)
            u = httpx.URL(url)
            netloc = u.netloc.decode("ascii")
            extensions = {"sni_hostname": target.host} if u.scheme == "https" else {}
            r = await self._http.post(u.copy_with(host=target.ip), content=body,
                                      headers={**headers, "Host": netloc}, extensions=extensions)
        except (httpx.HTTPError, TargetRefused) as exc:
            raise DeliveryUnreachable(f"{type(exc).__name__}: {exc}"[:300]) from None
        return r.status_code

    async def close(self) -> None:
        if self._http is not None:
            await self._http.aclose()
            self._http = None
