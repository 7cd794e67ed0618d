"""Webhook targets: a URL as aiohttp will send it, and the addresses webhooks may reach (pure)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import urlsplit

from yarl import URL

Network = IPv4Network | IPv6Network
Address = IPv4Address | IPv6Address

# A DNS name as yarl hands it to the connector (IDNA-encoded, lower case), maybe a final dot.
_NAME = re.compile(
    r"(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.?"
)
# A last label that the C resolver reads as a number (127.1, 2130706433, 0x7f.1, 0177.0.0.1):
# never a real top-level domain, always an IPv4 address in disguise.
_NUMERIC_LABEL = re.compile(r"0x[0-9a-f]*|[0-9]+")
_IPV4_MAPPED = IPv6Network("::ffff:0:0/96")
# Ranges that carry or translate to an IPv4 address (which may be 127.0.0.1 or 10.x), or are
# deprecated transition schemes: never public, only allowed when listed. IPv4-compatible
# (::a.b.c.d), NAT64 (well-known and local-use), 6to4 and Teredo tunnels, and the
# documentation range Python 3.11 does not know.
_TRANSLATED = (
    IPv6Network("::/96"),
    IPv6Network("64:ff9b::/96"),
    IPv6Network("64:ff9b:1::/48"),
    IPv6Network("2002::/16"),
    IPv6Network("2001::/32"),
    IPv6Network("3fff::/20"),
)
_GLOBAL_UNICAST = IPv6Network("2000::/3")


class UnsafeTarget(ValueError):
    """A webhook URL that must not be used; the message says why (no URL in it)."""


def parse(text: str) -> URL:
    """The URL aiohttp would send to: http(s), a host in yarl's normal form (IDNA, NFKC: so a
    host in full-width or circled digits is 127.0.0.1), no user name or password, no IPv4
    address in disguise (127.1, 0x7f.1)."""
    try:
        url = URL(text)
        split = urlsplit(text)
    except (TypeError, ValueError):
        raise UnsafeTarget("must be an http(s) URL") from None
    if url.scheme not in ("http", "https") or not url.raw_host:
        raise UnsafeTarget("must be an http(s) URL with a host")
    # two parsers, so that user info either one sees is refused ("http://:secret@host" too)
    if url.raw_user is not None or url.raw_password is not None or "@" in split.netloc:
        raise UnsafeTarget("must not carry a user name or password")
    address = literal(url.raw_host)
    if address is not None:
        return url.with_host(str(address)) if url.raw_host.endswith(".") else url
    host = url.raw_host
    if not _NAME.fullmatch(host):
        raise UnsafeTarget("must have a plain host name or IP address")
    if _NUMERIC_LABEL.fullmatch(host.removesuffix(".").rsplit(".", 1)[-1]):
        raise UnsafeTarget("must write an IPv4 address as four decimal numbers")
    return url


def literal(host: str) -> Address | None:
    """The IP address a host is, when it is one (a final dot ignored); None for a name
    (and for an IPv6 zone, which webhooks have no use for)."""
    if "%" in host:
        return None
    try:
        return ip_address(host.removesuffix("."))
    except ValueError:
        return None


def refused_address(address: str | Address, allowed: Sequence[Network]) -> bool:
    """Whether a webhook may not connect to this IP address: anything not public (loopback,
    private, link-local such as cloud metadata, shared, reserved, multicast, IPv6 ranges that
    carry an IPv4 address), unless it is in an allowed network. ValueError when not an IP."""
    ip = ip_address(address.split("%", 1)[0]) if isinstance(address, str) else address
    if ip in _IPV4_MAPPED:  # an IPv4 connection: judged as that address
        assert isinstance(ip, IPv6Address) and ip.ipv4_mapped is not None
        ip = ip.ipv4_mapped
    if any(ip.version == net.version and ip in net for net in allowed):
        return False
    if isinstance(ip, IPv4Address):
        return not ip.is_global or ip.is_multicast
    if ip not in _GLOBAL_UNICAST or any(ip in net for net in _TRANSLATED):
        return True
    return not ip.is_global
