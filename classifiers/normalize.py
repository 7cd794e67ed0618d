"""Text normalisation for Vietnamese and English comments, for a whole batch at once.

The texts of a batch are joined with NUL separators; a few regular expressions run once over
the joined string (tone placement, placeholders for links, e-mails, phone numbers and
mentions, "đ.ồ n.g.u" -> "đồ ngu", stretched letters, leetspeak), then removing diacritics is
one table look-up on the array of code points.  Two channels come out, aligned text by text:

* ``marked``: lower case NFC with diacritics, stretched letters collapsed ("nguuuu" -> "ngu"),
  leetspeak inside words undone ("ch3t" -> "chet");
* ``plain``: the same without diacritics ("đồ ngu" -> "do ngu"), so text typed without
  diacritics meets the same features.
Teencode ("ko", "dc", "vl") is folded at the word level by ``features``.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Callable

import numpy as np
import numpy.typing as npt

SEP = "\x00"
_NUL = np.zeros(1, dtype=np.uint32)
MAX_CHARS = 4000  # long texts: keep the head and the tail, where spam and abuse show
Codes = npt.NDArray[np.uint32]

_TONE_SHIFT = {
    o + v: "o" + unicodedata.normalize("NFC", v + mark)
    for mark, marked_o in zip("\u0300\u0301\u0309\u0303\u0323", "òóỏõọ", strict=True)
    for o, v in ((marked_o, "a"), (marked_o, "e"))
} | {
    u + "y": "u" + unicodedata.normalize("NFC", "y" + mark)
    for mark, u in zip("\u0300\u0301\u0309\u0303\u0323", "ùúủũụ", strict=True)
}
# Old-style tone placement on word-final oa/oe/uy ("hòa", "thủy") -> new style ("hoà", "thuỷ").
_OLD_TONE = re.compile("(?:" + "|".join(_TONE_SHIFT) + r")(?!\w)")
_TLDS = (
    "com|net|org|vn|info|biz|xyz|top|club|vip|io|me|ly|co|cc|tk|ml|ga|online|site|shop|store"
    "|live|bet|win|app|link|click|asia|pro|fun|icu|us|uk|tv|gg|int|gov|edu|eu|fr|jp|au|sg|kr|news"
)
# A link to one of these hosts (or a host under one of them) is a reader citing a source:
# news sites, public bodies, universities, international agencies. It becomes "urlref", not
# "urlx", so the model can learn from examples that citing is not spamming (a link elsewhere
# keeps the spam evidence it always had). A site's own and its peers' domains are policy's.
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
# public bodies, education and international organisations (by suffix); Vietnamese news and
# public media; international news
CITED_DOMAINS = frozenset(_CITED.split())
_URL_HINT = re.compile(rf"https?:|www\.|\.(?:{_TLDS})\b")
_URL = re.compile(
    rf"(?:https?://|www\.)[^\s\x00]+|\b[a-z0-9-]+(?:\.[a-z0-9-]+)*\.(?:{_TLDS})\b(?:/[^\s\x00]*)?"
)
_EMAIL = re.compile(r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+")
_MENTION = re.compile(r"(?<!\w)@\w+")
_PHONE = re.compile(r"[+\d](?:[ .\-()]{0,2}\d){7,13}(?!\w)")
_DOTTED = re.compile(r"[.\-_*](?<=\b\w[.\-_*])(?=\w\b)")
_STRETCH = re.compile(r"([^\W\d])\1\1+")
_LEET_CHARS = "013457@$"
_LEET = re.compile(r"[013457@$](?<=[^\W\d_][013457@$])(?=[^\W\d_])")
_LEET_MAP = dict(zip(_LEET_CHARS, "oieastas", strict=True))


def _tables() -> tuple[Codes, npt.NDArray[np.uint8]]:
    """Code point tables: diacritic-free form and character class (index 0x10000: astral)."""
    size = 0x10000
    strip = np.arange(size + 1, dtype=np.uint32)
    kind = np.full(size + 1, 2, dtype=np.uint8)  # 0 space or separator, 1 word, 2 other
    for cp in range(size):
        ch = chr(cp)
        if ch.isspace() or cp == 0:
            kind[cp] = 0
        elif ch.isalnum() or unicodedata.category(ch) == "Mn":
            kind[cp] = 1
        if 0xC0 <= cp < 0x2000:
            base = "".join(
                c for c in unicodedata.normalize("NFD", ch) if not unicodedata.combining(c)
            )
            if len(base) == 1 and base != ch and base.isascii():
                strip[cp] = ord(base)
    strip[ord("đ")] = ord("d")
    strip[ord("Đ")] = ord("d")
    return strip, kind


_STRIP, KIND = _tables()


def clean(text: object) -> str:
    """Any value as safe text: valid UTF-8, no NUL, bounded length."""
    s = text if isinstance(text, str) else str(text)
    if len(s) > MAX_CHARS:
        s = s[: MAX_CHARS // 2] + " " + s[-MAX_CHARS // 2 :]
    if SEP in s:
        s = s.replace(SEP, " ")
    return s


def join(texts: list[str]) -> str:
    """The batch as one lower-case NFC string, texts separated by NUL."""
    joined = SEP.join(map(clean, texts)).encode("utf-8", "replace").decode("utf-8")
    return unicodedata.normalize("NFC", joined).lower()


_AT = re.compile("@")
_BOUNDS = (" ", "\n", "\t", "\r", SEP)
_BLANK = re.compile("[" + "".join(_BOUNDS) + "]")


def _chunk(s: str, i: int, j: int, after: int) -> tuple[int, int]:
    """The run of non-blank characters around s[i:j] (blank: space, tab, newline, NUL).

    Only s[after:i] is searched backwards (s[after] is the blank that ended the previous run)
    and only up to the next blank forwards, so each run is read once: a search to either end
    of the string for each hit was quadratic in a batch with many hits ("a@a@...").
    """
    start = max(max(s.rfind(c, after, i) for c in _BOUNDS) + 1, after)
    blank = _BLANK.search(s, j)
    return start, blank.start() if blank else len(s)


def _near(s: str, anchor: re.Pattern[str], rewrite_chunk: Callable[[str], str]) -> str:
    """Apply ``rewrite_chunk`` only to the blank-free runs that contain an ``anchor`` hit.

    The placeholder patterns never span a blank, so this gives what running them over the
    whole string would, while the regex engine only scans the few runs that can match.
    """
    out: list[str] = []
    pos = 0
    for m in anchor.finditer(s):
        if m.start() < pos:
            continue
        start, end = _chunk(s, m.start(), m.end(), pos)
        out += (s[pos:start], rewrite_chunk(s[start:end]))
        pos = end
    out.append(s[pos:])
    return "".join(out)


# _EMAIL.sub and _URL.sub, found without rescanning: searching for _EMAIL tries every start
# in a long run of word characters and reads the whole run each time (quadratic: 50 ms for a
# 4,000-character chunk "aaa...@", 290 ms for "1-1-...-1-www." with _URL). The scans below
# call the same patterns only where they are known to match, with the same results.
_EMAIL_LOCAL = re.compile(r"[\w.+-]*")
_EMAIL_DOMAIN = re.compile(r"[\w-]+(?:\.[\w-]+)+")
_URL_PREFIXED = re.compile(r"(?:https?://|www\.)[^\s\x00]")  # where _URL's first branch matches
_HOST_CHAIN = re.compile(r"[a-z0-9-]+(?:\.[a-z0-9-]+)*")
_TLD_DOT = re.compile(rf"\.(?:{_TLDS})\b")
_HOST_START = re.compile(r"\b[a-z0-9-]")
# A chunk this short costs the patterns little even when they rescan it, and most chunks (one
# address, one link) are: they keep the one C call.
_SHORT = 128


def _email_spans(s: str) -> list[tuple[int, int]]:
    """The spans _EMAIL.finditer(s) gives: from each "@", the local run before it (back to
    the previous "@" or match) and one anchored domain match after it."""
    spans: list[tuple[int, int]] = []
    end = after_at = 0
    at = s.find("@")
    while at >= 0:
        local = _EMAIL_LOCAL.match(s[max(end, after_at) : at][::-1])
        size = local.end() if local else 0
        domain = _EMAIL_DOMAIN.match(s, at + 1) if size else None
        if domain:
            end = domain.end()
            spans.append((at - size, end))
        after_at = at + 1
        at = s.find("@", after_at)
    return spans


def _host_ends(s: str) -> list[tuple[int, int]]:
    """(chain start, last top-level-domain dot) of each host-like chain holding such a dot.

    _URL's second branch matches at a word edge inside a chain exactly when a dot followed
    by a listed top-level domain comes later in the same chain.
    """
    return [(start, last) for start, _, last in _chains(s, _HOST_CHAIN, _TLD_DOT)]


def _chains(
    s: str, chain_re: re.Pattern[str], dot_re: re.Pattern[str]
) -> list[tuple[int, int, int]]:
    """(start, end, last top-level-domain dot) of each ``chain_re`` match holding a ``dot_re``
    match past its start: one pass over each pattern's matches, so linear in ``s``."""
    dots = [m.start() for m in dot_re.finditer(s)]
    out: list[tuple[int, int, int]] = []
    k = 0
    for chain in chain_re.finditer(s):
        last = -1
        while k < len(dots) and dots[k] < chain.end():
            if dots[k] >= chain.start():
                last = dots[k]
            k += 1
        if last > chain.start():
            out.append((chain.start(), chain.end(), last))
    return out


def _url_spans(s: str) -> list[tuple[int, int]]:
    """The spans _URL.finditer(s) gives, _URL only tried where it matches (linear time)."""
    spans: list[tuple[int, int]] = []
    hosts = _host_ends(s)
    h = pos = 0
    prefixed = host = -1  # the next start of either kind at or after pos (len(s): none)
    while True:
        if prefixed < pos:
            found = _URL_PREFIXED.search(s, pos)
            prefixed = found.start() if found else len(s)
        if host < pos:
            host, h = _next_host(s, hosts, h, pos)
        start = min(prefixed, host)
        if start >= len(s):
            return spans
        match = _URL.match(s, start)
        if match is None:  # cannot happen: both kinds of start are matches
            pos = start + 1
            continue
        spans.append(match.span())
        pos = match.end()


def _next_host(s: str, hosts: list[tuple[int, int]], h: int, pos: int) -> tuple[int, int]:
    """The first start of _URL's second branch at or after pos, and the chain it is in."""
    while h < len(hosts):
        first, last_dot = hosts[h]
        if last_dot > pos:
            found = _HOST_START.search(s, max(pos, first), last_dot)
            if found:
                return found.start(), h
        h += 1
    return len(s), h


# The tokens evidence spans are cut from (classifiers.model): TOKEN's finditer, ignoring case.
_WORD_CHAIN = r"[^\W_]+(?:[.\-_*@$][^\W_]+)*"
TOKEN = rf"{_URL.pattern}|{_EMAIL.pattern}|{_PHONE.pattern}|{_WORD_CHAIN}|[^\w\s]+"
_I = re.IGNORECASE
_URL_I = re.compile(_URL.pattern, _I)
_URL_PREFIXED_I = re.compile(_URL_PREFIXED.pattern, _I)
_URL_PREFIXED_AT_I = re.compile(rf"(?={_URL_PREFIXED.pattern})", _I)
_HOST_CHAIN_I = re.compile(_HOST_CHAIN.pattern, _I)
_TLD_DOT_I = re.compile(_TLD_DOT.pattern, _I)
_HOST_START_I = re.compile(_HOST_START.pattern, _I)
_EMAIL_I = re.compile(_EMAIL.pattern, _I)
_REST_I = re.compile(rf"{_PHONE.pattern}|{_WORD_CHAIN}|[^\w\s]+", _I)  # never rescans


def token_spans(s: str) -> list[tuple[int, int]]:
    """The spans re.compile(TOKEN, re.IGNORECASE).finditer(s) gives, in linear time.

    TOKEN tries a link, then an address at every start, and each failed try reads to the end
    of a long run (quadratic: 300 ms for "+8+8..." of 10,000 characters). Here the rest of
    TOKEN (phone, word, punctuation: no rescans) runs as one finditer, interrupted only at
    the starts where a link or an address is known to match (the tests of _url_spans and
    _email_spans, for every start rather than the leftmost).
    """
    special = _Special(s)
    spans: list[tuple[int, int]] = []
    pos = 0
    while pos < len(s):
        at = special.next(pos)
        for m in _REST_I.finditer(s, pos):
            if m.start() >= at:
                break
            spans.append(m.span())
            pos = m.end()
            if pos > at:
                at = special.next(pos)
        else:
            if at >= len(s):
                return spans
        found = special.token(at)
        spans.append(found)
        pos = found[1]
    return spans


class _Special:
    """Where TOKEN's link or address branch matches in a text, found on demand."""

    def __init__(self, s: str) -> None:
        self.s = s
        self.prefixed = [m.start() for m in _URL_PREFIXED_AT_I.finditer(s)]
        self.chains = _chains_with_tld(s)
        self.ats = [a for a in _address_starts(s) if a[2] and a[1] < a[0]]

    def next(self, pos: int) -> int:
        """The first start at or after pos where a link or an address matches (len(s): none)."""
        s = self.s
        best = len(s)
        k = bisect.bisect_left(self.prefixed, pos)
        if k < len(self.prefixed):
            best = self.prefixed[k]
        k = bisect.bisect_right(self.chains, (pos, len(s) + 1, 0)) - 1
        for first, end, last_dot in self.chains[max(k, 0) :]:
            if first >= best:
                break
            if end > pos and last_dot > pos:
                found = _HOST_START_I.search(s, max(pos, first), min(last_dot, best))
                if found:
                    best = found.start()
                    break
        k = bisect.bisect_right(self.ats, (pos, len(s) + 1, True))
        if k < len(self.ats):
            best = min(best, max(pos, self.ats[k][1]))
        return best

    def token(self, at: int) -> tuple[int, int]:
        """TOKEN's match at a start next() returned: the link branch first, as in TOKEN.

        A failed link try reads at most the host chain from `at`, which ends at the "@" of
        the address that matches instead."""
        found = _URL_I.match(self.s, at) or _EMAIL_I.match(self.s, at)
        assert found is not None, "next() returns only starts where a branch matches"
        return found.span()


def _chains_with_tld(s: str) -> list[tuple[int, int, int]]:
    """(start, end, last top-level-domain dot) of each host chain holding such a dot."""
    return _chains(s, _HOST_CHAIN_I, _TLD_DOT_I)


def _address_starts(s: str) -> list[tuple[int, int, bool]]:
    """For each "@": its position, where the run of local characters before it starts, and
    whether a domain follows it."""
    out: list[tuple[int, int, bool]] = []
    after_at = 0
    at = s.find("@")
    while at >= 0:
        local = _EMAIL_LOCAL.match(s[after_at:at][::-1])
        size = local.end() if local else 0
        out.append((at, at - size, _EMAIL_DOMAIN.match(s, at + 1) is not None))
        after_at = at + 1
        at = s.find("@", after_at)
    return out


def _sub_spans(s: str, spans: list[tuple[int, int]], word: str) -> str:
    """s with each span replaced by word."""
    if not spans:
        return s
    out: list[str] = []
    pos = 0
    for start, end in spans:
        out += (s[pos:start], word)
        pos = end
    out.append(s[pos:])
    return "".join(out)


def _contacts(chunk: str) -> str:
    if len(chunk) <= _SHORT:
        return _MENTION.sub(" userx ", _EMAIL.sub(" emailx ", chunk))
    return _MENTION.sub(" userx ", _sub_spans(chunk, _email_spans(chunk), " emailx "))


_HOST = re.compile(r"(?:https?://)?(?:www\.)?([a-z0-9.-]*[a-z0-9])")


def cited(link: str) -> bool:
    """Whether a (lower-case) link's host is, or lies under, one of ``CITED_DOMAINS``."""
    m = _HOST.match(link)
    parts = m.group(1).split(".") if m else []
    return any(".".join(parts[i:]) in CITED_DOMAINS for i in range(len(parts)))


def _link(m: re.Match[str]) -> str:
    return " urlref " if cited(m.group(0)) else " urlx "


def _links(chunk: str) -> str:
    if len(chunk) <= _SHORT:
        return _URL.sub(_link, chunk)
    out: list[str] = []
    pos = 0
    for start, end in _url_spans(chunk):
        out += (chunk[pos:start], " urlref " if cited(chunk[start:end]) else " urlx ")
        pos = end
    out.append(chunk[pos:])
    return "".join(out)


def _phone(m: re.Match[str]) -> str:
    """A service line (1800/1900, or a fixed line: 02x, +84 2x) or a (mobile) phone number."""
    digits = "".join(c for c in m.group(0) if c.isdigit())
    fixed = digits.startswith(("1800", "1900")) or (
        len(digits) == 11 and digits.startswith(("02", "842"))
    )
    return " hotlinex " if fixed else " phonex "


def rewrite(joined: str) -> str:
    """Regex stage: tone placement, placeholders, dotted-out words."""
    s = _OLD_TONE.sub(lambda m: _TONE_SHIFT[m.group(0)], joined)
    s = _near(s, _AT, _contacts)
    s = _near(s, _URL_HINT, _links)
    s = _PHONE.sub(_phone, s)
    s = _LEET.sub(lambda m: _LEET_MAP[m.group(0)], _DOTTED.sub("", s))
    return _STRETCH.sub(r"\1", s)


def to_codes(s: str) -> Codes:
    """Code points of ``s``."""
    return np.frombuffer(s.encode("utf-32-le"), dtype=np.uint32)


def to_text(codes: Codes) -> str:
    """Inverse of ``to_codes``."""
    return codes.astype(np.uint32).tobytes().decode("utf-32-le")


def plain(marked: Codes) -> Codes:
    """The marked channel without diacritics."""
    return np.where(marked < 0x10000, _STRIP[np.minimum(marked, 0x10000)], marked)


def channels(texts: list[str]) -> tuple[Codes, Codes]:
    """Code points of the marked and the plain channel of a batch."""
    marked = to_codes(rewrite(join(texts)))
    if len(texts) > 1 and np.count_nonzero(marked == 0) != len(texts) - 1:
        # a rewrite swallowed a separator: never let one text's features reach another's
        marked = np.concatenate(
            [c for t in texts for c in (to_codes(rewrite(join([t]))), _NUL)][:-1]
        )
    return marked, plain(marked)


def normalize_batch(texts: list[str]) -> tuple[list[str], list[str]]:
    """Both channels of each text as strings, white space folded (for tests and inspection)."""
    out = []
    for codes in channels(texts):
        out.append([" ".join(t.split()) for t in to_text(codes).split(SEP)])
    return out[0], out[1]


def strip_diacritics(text: str) -> str:
    """``text`` without Vietnamese diacritics, case kept (for augmentation)."""
    nfc = unicodedata.normalize("NFC", text)
    codes = plain(to_codes(nfc))
    return "".join(
        ch.upper() if orig.isupper() else ch for ch, orig in zip(to_text(codes), nfc, strict=True)
    )
