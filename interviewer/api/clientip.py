"""The client's address: the socket peer, or what a trusted reverse proxy says it saw."""

from __future__ import annotations

import ipaddress
from collections.abc import Sequence

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def _trusted(addr: str, proxies: Sequence[Network]) -> bool:
    try:
        ip = ipaddress.ip_address(addr.strip("[]"))
    except ValueError:
        return False
    return any(ip in net for net in proxies)


def real_client(peer: str | None, forwarded_for: Sequence[str], proxies: Sequence[Network]) -> str | None:
    """The client behind `X-Forwarded-For`, believed only when the peer is a trusted proxy.

    Each proxy appends the address it saw; anything to its left came from the client and may be
    forged. So the client is the rightmost hop that is not itself a trusted proxy.
    """
    if peer is None or not _trusted(peer, proxies):
        return peer
    hops = [h.strip() for header in forwarded_for for h in header.split(",") if h.strip()]
    for hop in reversed(hops):
        if not _trusted(hop, proxies):
            try:
                return str(ipaddress.ip_address(hop.strip("[]")))
            except ValueError:
                return peer  # not an address (a proxy that writes names or "unknown"): the proxy
    return hops[0] if hops else peer
