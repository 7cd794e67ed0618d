"""Webhook targets: URLs parsed as aiohttp will use them; which addresses count as public."""

from __future__ import annotations

from ipaddress import ip_network

import pytest
from pydantic import ValidationError
from yarl import URL

from moderation.domain.models import STORED, Policy
from moderation.domain.targets import UnsafeTarget, parse, refused_address


@pytest.mark.parametrize(
    ("text", "normal"),
    [
        ("http://１２７．０．０．１:8080/x", "http://127.0.0.1:8080/x"),  # noqa: RUF001
        ("http://①②⑦.0.0.1:8080/x", "http://127.0.0.1:8080/x"),
        ("http://𝟏𝟐𝟕.𝟎.𝟎.𝟏:8080/x", "http://127.0.0.1:8080/x"),  # noqa: RUF001
        ("http://127.0.0.1。:8080/x", "http://127.0.0.1:8080/x"),
        ("http://127.0.0.1.:8080/x", "http://127.0.0.1:8080/x"),
        ("http://ｅｘａｍｐｌｅ.vn/x", "http://example.vn/x"),  # noqa: RUF001
        ("https://báo.vn/hook?a=1", "https://xn--bo-mia.vn/hook?a=1"),
        ("https://Example.VN/Hook", "https://example.vn/Hook"),
        ("http://[::ffff:127.0.0.1]/x", "http://[::ffff:7f00:1]/x"),
    ],
)
def test_hosts_are_what_aiohttp_connects_to(text: str, normal: str) -> None:
    assert str(parse(text)) == normal
    assert parse(text).raw_host == URL(text).raw_host.removesuffix(".")  # type: ignore[union-attr]
    assert Policy(webhook_url=text).webhook_url == normal


@pytest.mark.parametrize(
    ("text", "why"),
    [
        ("http://:secret@example.vn/x", "user name or password"),
        ("http://user@example.vn/x", "user name or password"),
        ("http://@example.vn/x", "user name or password"),
        ("http://u:p@example.vn/x", "user name or password"),
        ("http://127.1/x", "four decimal numbers"),
        ("http://2130706433/x", "four decimal numbers"),
        ("http://0x7f.0.0.1/x", "four decimal numbers"),
        ("http://0177.0.0.1/x", "four decimal numbers"),
        ("http://%31%32%37.0.0.1/x", "plain host name"),
        ("http://[fe80::1%25eth0]/x", "plain host name"),
        ("ftp://example.vn/x", "http(s)"),
        ("http:///x", "http(s)"),
        ("example.vn/x", "http(s)"),
    ],
)
def test_urls_webhooks_refuse(text: str, why: str) -> None:
    with pytest.raises(UnsafeTarget, match=why.replace("(", r"\(").replace(")", r"\)")):
        parse(text)
    with pytest.raises(ValidationError) as caught:
        Policy(webhook_url=text)
    assert caught.value.errors()[0]["loc"] == ("webhook_url",)


def test_a_stored_url_from_before_the_checks_still_loads() -> None:
    policy = Policy.model_validate({"webhook_url": "http://:s@127.1/x"}, context=STORED)
    assert policy.webhook_url == "http://:s@127.1/x"  # the worker refuses it, the site works


@pytest.mark.parametrize(
    "address",
    [
        "::7f00:1",  # IPv4-compatible ::127.0.0.1
        "::808:808",  # IPv4-compatible, public inside: the range is not
        "64:ff9b::7f00:1",  # NAT64 of 127.0.0.1
        "64:ff9b::a00:1",  # NAT64 of 10.0.0.1
        "64:ff9b:1::1",  # NAT64 local use
        "2002:7f00:1::1",  # 6to4 of 127.0.0.1
        "2002:a9fe:a9fe::1",  # 6to4 of 169.254.169.254
        "2001:0:4136:e378:8000:63bf:3fff:fdd2",  # Teredo
        "::ffff:127.0.0.1",
        "::ffff:10.1.2.3",
        "fec0::1",  # site-local (deprecated; Python 3.11 calls it global)
        "ff0e::1",  # global multicast
        "3fff::1",  # documentation
        "2001:db8::1",
        "100::1",
    ],
)
def test_ipv6_ranges_that_reach_inside_are_not_public(address: str) -> None:
    assert refused_address(address, ()) is True


def test_public_addresses_and_allowed_networks() -> None:
    for public in ("93.184.215.14", "2606:4700:4700::1111", "::ffff:8.8.8.8"):
        assert refused_address(public, ()) is False
    assert refused_address("64:ff9b::7f00:1", (ip_network("64:ff9b::/96"),)) is False
    assert refused_address("::ffff:127.0.0.1", (ip_network("127.0.0.0/8"),)) is False
    # an IPv4 network allows no IPv6 address that merely carries one of its addresses
    assert refused_address("64:ff9b::7f00:1", (ip_network("127.0.0.0/8"),)) is True
    assert refused_address("2002:7f00:1::1", (ip_network("127.0.0.0/8"),)) is True
