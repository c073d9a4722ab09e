"""The webhook target policy is pure: literal addresses are read the way the system resolver
reads them (inet_aton's short, octal and hex forms), without a socket call."""

from __future__ import annotations

import ipaddress
import itertools
import socket

from interviewer.core.webhook_targets import is_public, literal_ip

PARTS = ["0", "00", "08", "0x", "0x0", "0xff", "0x100", "255", "256", "0377", "0400", "1",
         "65535", "65536", "16777215", "16777216", "4294967295", "4294967296", "0xffffffff"]


def system_reading(text: str) -> ipaddress.IPv4Address | None:
    try:
        return ipaddress.IPv4Address(socket.inet_aton(text))
    except OSError:
        return None


def test_legacy_ipv4_forms_match_the_system_resolver() -> None:
    checked = 0
    for n in (1, 2, 3):
        for combo in itertools.product(PARTS, repeat=n):
            text = ".".join(combo)
            assert literal_ip(text) == system_reading(text), text
            checked += 1
    assert checked > 7000


def test_disguised_loopback_and_metadata_addresses_are_not_public() -> None:
    for host in ("127.1", "0x7f.1", "2130706433", "0177.0.0.1", "[::ffff:7f00:1]", "169.254.169.254",
                 "0xa9.0xfe.0xa9.0xfe", "10.1", "0"):
        ip = literal_ip(host)
        assert ip is not None and not is_public(ip), host
    assert literal_ip("partner.example") is None
    assert is_public(ipaddress.ip_address("93.184.216.34"))
