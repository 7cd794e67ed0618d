"""The links rule's count: trusted and cited domains left out, in linear time."""

from __future__ import annotations

import pytest

from classifiers.normalize import CITED_DOMAINS
from moderation.domain import links


def test_the_cited_domains_are_the_classifiers_urlref_domains() -> None:
    assert links.CITED_DOMAINS == CITED_DOMAINS


@pytest.mark.parametrize(
    ("text", "count"),
    [
        ("https://a.example và www.b.example", 2),
        ("https://tuoitre.vn/x https://vnexpress.net/y www.who.int", 0),
        ("https://en.wikipedia.org/wiki/Hue và https://w88vn.link", 1),
        ("http://tuoitre.vn@w88vn.link/x", 1),  # the host is after the "@"
        ("https://vnexpress.net.w88.club", 1),
        ("https://tin.báo.vn/a", 0),
        ("https://tin.xn--bo-mia.vn:443/a", 0),
        ("không có link", 0),
    ],
)
def test_count_links(text: str, count: int) -> None:
    assert links.count_links(text, ["xn--bo-mia.vn"]) == count


@pytest.mark.parametrize(
    ("given", "stored"),
    [("Báo.VN", "xn--bo-mia.vn"), ("https://www.Site.vn/", "site.vn"), ("a.b.c.vn.", "a.b.c.vn")],
)
def test_trusted_domains_are_host_names_in_ascii(given: str, stored: str) -> None:
    assert links.check_hostname(given) == stored


@pytest.mark.parametrize("bad", ["not a host", "localhost", "a..vn", "-a.vn", "a" * 300 + ".vn"])
def test_what_is_not_a_host_name(bad: str) -> None:
    with pytest.raises(ValueError, match="host name"):
        links.check_hostname(bad)


@pytest.mark.timeout(5)
@pytest.mark.parametrize("body", ["www." + "a." * 5000, "http://" * 3000, "https://a@" * 2000])
def test_hostile_bodies_are_counted_in_linear_time(body: str) -> None:
    for _ in range(20):
        links.count_links(body, ["example.vn"])
