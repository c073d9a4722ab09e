"""Where webhooks may point: public internet addresses only, so partners cannot reach internal services.

A URL is checked twice. At registration its host must not name a non-public address (a literal IP in
any notation a resolver accepts, or `localhost`). At each delivery the name is resolved again, every
address it resolves to must be public, and the request goes to the checked address (with the original
`Host` and TLS server name), so a DNS answer that changes in between cannot redirect it.
`INTERVIEWER_WEBHOOK_ALLOW_PRIVATE=true` turns both checks off (tests, a sink on the same machine).
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

from interviewer.errors import BadRequest

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
Resolver = Callable[[str, int], Awaitable[list[str]]]

REFUSED = ("webhook URLs must point at a public internet address, not a loopback, private, "
           "link-local, multicast or metadata one")
NAT64 = ipaddress.ip_network("64:ff9b::/96")
# Names that are local by definition (RFC 6761 `localhost`, the private-use `.internal` TLD).
LOCAL_SUFFIXES = (".localhost", ".internal")
_LEGACY_V4 = re.compile(r"(0[xX][0-9a-fA-F]*|[0-9]+)(\.(0[xX][0-9a-fA-F]*|[0-9]+)){0,3}")


class TargetRefused(Exception):
    """The webhook's host is, or resolves to, an address deliveries may not go to."""


def literal_ip(host: str) -> IPAddress | None:
    """The address a host names literally, in any notation: `::ffff:7f00:1`, `2130706433`, `0x7f.1`."""
    h = host.strip("[]").split("%", 1)[0].rstrip(".")
    try:
        return ipaddress.ip_address(h)
    except ValueError:
        pass
    if _LEGACY_V4.fullmatch(h):  # decimal, octal, hex and short forms, as inet_aton reads them
        return _inet_aton(h)
    return None


def _inet_aton(h: str) -> ipaddress.IPv4Address | None:
    """The BSD `inet_aton` reading of a dotted number: `a`, `a.b`, `a.b.c` or `a.b.c.d`, each part
    decimal, octal (leading 0) or hex (0x); the last part fills the remaining bytes."""
    try:
        parts = [int(p[2:], 16) if p[:2].lower() == "0x" else int(p, 8) if len(p) > 1 and p[0] == "0"
                 else int(p) for p in h.split(".")]
    except ValueError:
        return None
    *head, last = parts
    if any(p > 0xFF for p in head) or last >= 1 << (8 * (4 - len(head))):
        return None
    value = 0
    for p in head:
        value = value << 8 | p
    return ipaddress.IPv4Address(value << (8 * (4 - len(head))) | last)


def is_public(ip: IPAddress) -> bool:
    """Whether `ip` is a unicast address on the public internet (IPv4 inside IPv6 included)."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = [ip.ipv4_mapped, ip.sixtofour, ip.teredo[1] if ip.teredo else None]
        if ip in NAT64:
            embedded.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
        if int(ip) >> 32 == 0:  # ::/96, IPv4-compatible (and :: and ::1)
            return False
        if any(v4 is not None and not is_public(v4) for v4 in embedded):
            return False
    return ip.is_global and not (ip.is_multicast or ip.is_reserved or ip.is_link_local)


def local_name(host: str) -> bool:
    h = host.lower().rstrip(".")
    return h == "localhost" or h.endswith(LOCAL_SUFFIXES)


def check_url(url: str, *, allow_private: bool) -> None:
    """Refuse at registration a URL whose host names a non-public address (BadRequest)."""
    host = urlsplit(url).hostname or ""
    if allow_private:
        return
    ip = literal_ip(host)
    if local_name(host) or (ip is not None and not is_public(ip)):
        raise BadRequest(REFUSED)


@dataclass(frozen=True)
class Target:
    """Where one delivery connects: a checked address, plus the name for `Host` and TLS."""

    ip: str
    host: str  # the URL's host, for the Host header and the TLS server name


async def resolve_target(url: str, *, allow_private: bool, resolve: Resolver) -> Target:
    """The address to connect to for `url`; TargetRefused if the name is, or points, somewhere private."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    ip = literal_ip(host)
    if ip is None:
        if local_name(host) and not allow_private:
            raise TargetRefused(host)
        try:
            addrs = [ipaddress.ip_address(a.split("%", 1)[0]) for a in
                     await resolve(host, parts.port or (443 if parts.scheme == "https" else 80))]
        except (OSError, ValueError) as exc:
            raise TargetRefused(f"{host}: {exc}") from None
        if not addrs:
            raise TargetRefused(f"{host}: no address")
        if not allow_private and not all(is_public(a) for a in addrs):
            raise TargetRefused(host)  # one private answer is enough to refuse: no retry roulette
        ip = addrs[0]
    elif not allow_private and not is_public(ip):
        raise TargetRefused(host)
    return Target(str(ip), host)
