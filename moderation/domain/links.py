"""Links in a comment and the domains whose links the links rule does not count.

A link to the site's own or a peer's domain (the policy's ``trusted_domains``) or to a source
readers cite (news sites, public bodies, universities, international agencies: the hosts
``classifiers.normalize`` turns into "urlref", kept equal by a test) is not what the links rule
is for: it holds comments that carry many links elsewhere, as solicitation does.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import idna
from pydantic_core import PydanticCustomError

_CITED = """
gov.vn edu.vn gov edu int mil gov.uk ac.uk nhs.uk gov.au edu.au gov.sg edu.sg go.jp ac.jp
go.kr ac.kr gc.ca europa.eu un.org who.int unicef.org worldbank.org imf.org adb.org wto.org
oecd.org redcross.org ifrc.org unesco.org fao.org undp.org unhcr.org wikipedia.org

vnexpress.net tuoitre.vn tuoitrenews.vn thanhnien.vn dantri.com.vn vietnamnet.vn nld.com.vn
laodong.vn tienphong.vn zingnews.vn znews.vn vtv.vn vov.vn nhandan.vn qdnd.vn cand.com.vn
congan.com.vn baochinhphu.vn chinhphu.vn vietnamplus.vn vnanet.vn vietnamnews.vn sggp.org.vn
plo.vn baophapluat.vn congly.vn hanoimoi.vn hanoimoi.com.vn kinhtedothi.vn vneconomy.vn
cafef.vn thesaigontimes.vn baodautu.vn suckhoedoisong.vn giaoducthoidai.vn nongnghiep.vn
baotintuc.vn vtc.vn kenh14.vn baomoi.com quochoi.vn mattran.org.vn csgt.vn evn.com.vn
hcdc.vn thuvienphapluat.vn

bbc.com bbc.co.uk reuters.com apnews.com afp.com nytimes.com washingtonpost.com
theguardian.com cnn.com aljazeera.com bloomberg.com ft.com economist.com wsj.com npr.org dw.com
voanews.com rfi.fr france24.com nhk.or.jp scmp.com straitstimes.com channelnewsasia.com
nikkei.com abc.net.au theatlantic.com nature.com science.org thelancet.com
"""
CITED_DOMAINS = frozenset(_CITED.split())

MAX_TRUSTED = 100
# the links rule counts what starts a link: a scheme or "www."; the host is what follows, up
# to the path, and after any "user@" (http://tuoitre.vn@evil.example goes to evil.example)
_LINK = re.compile(r"(?:https?://|www\.)([^\s/?#<>\"'\\]*)", re.IGNORECASE)
_LABEL = r"[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?"
_HOSTNAME = re.compile(rf"(?=.{{1,253}}$){_LABEL}(?:\.{_LABEL})+")


def to_ascii(host: str) -> str | None:
    """A host name in its ASCII (IDNA) lower-case form; None when it is not one."""
    text = host.strip().rstrip(".").lower()
    try:
        ascii_form = text if text.isascii() else idna.encode(text, uts46=True).decode("ascii")
    except (idna.IDNAError, UnicodeError, ValueError):
        return None
    return ascii_form if _HOSTNAME.fullmatch(ascii_form) else None


def check_hostname(value: str) -> str:
    """A trusted domain: a host name (Unicode or ASCII, "www." and a scheme dropped), kept in
    its ASCII form; the message never echoes the input."""
    text = value.strip()
    text = re.sub(r"^(?:https?://)?(?:www\.)?", "", text, flags=re.IGNORECASE).rstrip("/")
    found = to_ascii(text) if len(text) <= 253 else None
    if found is None:
        raise PydanticCustomError("hostname", "is not a host name (like example.vn)")
    return found


def _host(found: str) -> str:
    """The host of a link's authority part: after any "user@", before any port."""
    host = found.rsplit("@", 1)[-1].split(":", 1)[0]
    return host.removeprefix("www.").lower()


def exempt(host: str, trusted: frozenset[str]) -> bool:
    """Whether a host is, or lies under, a trusted or a cited domain (a longer "host" than
    a host name can be never is: its suffixes are not looked up)."""
    ascii_form = to_ascii(host) if len(host) <= 253 else None
    if ascii_form is None:
        return False
    parts = ascii_form.split(".")
    suffixes = (".".join(parts[i:]) for i in range(len(parts)))
    return any(s in trusted or s in CITED_DOMAINS for s in suffixes)


def count_links(text: str, trusted: Iterable[str] = ()) -> int:
    """How many links a text holds, leaving out links to trusted and cited domains."""
    domains = frozenset(trusted)
    return sum(1 for m in _LINK.finditer(text) if not exempt(_host(m.group(1)), domains))
