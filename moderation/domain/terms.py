"""Vietnamese-aware matching of a site's word lists: whole syllables, with evidence spans.

A term and a comment are cut into syllables the same way and compared syllable by syllable,
so a short term never fires inside a longer word ("ngu" is not in "nguyên"). Each syllable
gets keys:

* a syllable typed with diacritics gets a *toned* key: lower case, decomposed, the tone mark
  taken off wherever it sat and put at the end, so "hoà" and "hòa" (both tone placements),
  NFC and NFD, upper and lower case all meet;
* a syllable typed without diacritics gets a *plain* key: leetspeak undone ("d0" -> "do"),
  common teencode folded ("ko" -> "khong", "fai" ~ "phai", "wa" ~ "qua");
* a term's syllable with diacritics also owns the plain key of its stripped form, so the term
  "đồ ngu" catches "do ngu" typed without diacritics, but not "đỗ ngữ", a different word.

Before that, letters split by separators join again ("đ.ồ n.g.u", "f u c k") and letters
stretched three times or more shrink ("nguuu" -> "ngu", "gooood" -> "good" or "god").
A list is compiled once per policy version (off the event loop: see sites.py) into one
Aho-Corasick automaton (pyahocorasick) over syllable keys, each key standing as one character:
a term becomes one string per way of typing it (each syllable with diacritics typed with or
without them), a comment the string of its syllables' keys. Matching is then one pass over the
comment whatever the lists hold: terms sharing their first words, or thousands of them, no
longer cost a look at each term for each syllable. Two limits keep the automaton small: a term
of more than five syllables is caught typed fully with its diacritics or fully without (not a
mix), and a comment whose stretched syllables read as two listed spellings ("gooood": "god",
"good") is read once each way, not in every mix.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from typing import Literal

import ahocorasick

ListName = Literal["blocked", "watched"]

_TOKEN = re.compile(r"(?:[^\W_]|[\u0300-\u036f@$])+")
_GAP = r"[.\-_*'`~|+,:/\\^]{1,3}"
_INWORD_GAP = re.compile(_GAP)
# Texts where syllables() may join pieces; the others take the fast path (findall).
_SPLIT_LETTERS = re.compile(rf"\b[^\W_](?:{_GAP}[^\W_]|\s[^\W_]\s[^\W_]\b)|[^\W_]{_GAP}[^\W_]\b")
_STRETCH = re.compile(r"(.)\1\1+")
_TONES = "\u0300\u0301\u0303\u0309\u0323"
_DEL_TONES = str.maketrans("", "", _TONES)
_STRIP = {cp: None for cp in range(0x300, 0x370)} | {ord("đ"): "d"}
# Vietnamese's diacritics once decomposed: five tones, breve, circumflex and horn.
_VI_MARKS = ("\u0300", "\u0301", "\u0303", "\u0309", "\u0323", "\u0306", "\u0302", "\u031b")
# An ASCII byte as fingerprint() reads it: letters, "@" and "$" stay, digits become "0",
# everything else (punctuation, "_", spaces) separates words.
_ASCII_WORDS = bytes(
    c if chr(c).isalpha() or c in b"@$" else ord("0") if chr(c).isdigit() else ord(" ")
    for c in range(256)
)
_STRETCH_BYTES = re.compile(rb"(.)\1\1+")
_LEET = str.maketrans("013457@$", "oieastas")
_DIGITS = re.compile(r"\d+")
# Teencode syllables and what they stand for (in plain form).
_TEENCODE = {
    "k": "khong", "ko": "khong", "kh": "khong", "kg": "khong", "hok": "khong", "khum": "khong",
    "dc": "duoc", "vs": "voi", "mk": "minh", "mik": "minh", "ck": "chong", "vk": "vo",
    "bn": "ban", "cx": "cung", "ns": "noi", "ng": "nguoi", "r": "roi", "bit": "biet",
    "bik": "biet", "j": "gi", "w": "qua", "z": "vay", "dz": "vay",
}  # fmt: skip
MAX_HITS = 20
# A term typed with some syllables' diacritics and not others is caught while its ways of being
# typed share at most this many prefixes (every term of up to five syllables does); a longer
# one is caught typed fully with its diacritics or fully without. This bounds the automaton at
# about 100 nodes a term, whatever an owner's 2 x 5,000 terms hold.
MAX_VARIANT_PREFIXES = 64
_MEMO_WORD = 40  # longer words are not remembered: a flood of unique long words is no memo
_NO_KEY = " "  # the character of a comment's syllable no term holds


@dataclass(frozen=True, slots=True)
class Hit:
    """One term found in a text: which list, and where (character offsets in the text)."""

    term: str
    list: ListName
    start: int
    end: int
    text: str


@dataclass(frozen=True, slots=True)
class _Entry:
    term: str
    list: ListName


def _onset(word: str) -> str:
    """Fold spellings teencode swaps (ph/f, qu/w, k/c, z/d, j/gi, final ck/ch) to one."""
    if word.startswith("ph"):
        word = "f" + word[2:]
    elif word.startswith("qu"):
        word = "w" + word[2:]
    elif word.startswith("dz"):
        word = "d" + word[2:]
    elif word.startswith("k") and not word.startswith("kh"):
        word = "c" + word[1:]
    elif word.startswith("z"):
        word = "d" + word[1:]
    elif word.startswith("j"):
        word = "gi" + word[1:]
    if word.endswith("ck"):
        word = word[:-2] + "ch"
    return word


def _plain_key(word: str) -> str:
    """Key of a lower-case syllable without diacritics."""
    if not word.isdigit():
        word = word.translate(_LEET)
    return "s" + _onset(_TEENCODE.get(word, word))


def _toned_key(word: str) -> str:
    """Key of a lower-case syllable with diacritics: tone mark moved to the end."""
    nfd = unicodedata.normalize("NFD", word)
    tone = next((t for t in _TONES if t in nfd), "")
    return "t" + _onset(nfd.translate(_DEL_TONES)) + tone


def _stripped(word: str) -> str:
    """A lower-case syllable without any diacritic."""
    return unicodedata.normalize("NFD", word).translate(_STRIP)


def _variants(raw: str) -> tuple[str, ...]:
    """Lower-case readings of a syllable: stretched letters shrunk to one or two."""
    low = raw.casefold()
    if _STRETCH.search(low) is None:
        return (low,)
    return (_STRETCH.sub(r"\1", low), _STRETCH.sub(r"\1\1", low))


def text_keys(raw: str) -> tuple[str, ...]:
    """Keys of one syllable as written in a comment."""
    return tuple(_plain_key(v) if v.isascii() else _toned_key(v) for v in _variants(raw))


def term_keys(raw: str) -> frozenset[str]:
    """Keys of one syllable of a term: its own, plus the plain key of its stripped form."""
    low = raw.casefold()
    if low.isascii():
        return frozenset({_plain_key(low)})
    return frozenset({_toned_key(low), _plain_key(_stripped(low))})


def _joinable(text: str, end: int, start: int, left: str, right: str) -> bool:
    """Whether two pieces split by a separator are one word ("đ.ồ", "n.g.u", "ng-u")."""
    if len(left) != 1 and len(right) != 1:
        return False
    return _INWORD_GAP.fullmatch(text, end, start) is not None


def syllables(text: str) -> list[tuple[int, int, str]]:
    """Syllables of a text with their offsets, split letters joined again."""
    out: list[tuple[int, int, str]] = []
    last = ""
    for m in _TOKEN.finditer(text):
        piece = m.group()
        if out and _joinable(text, out[-1][1], m.start(), last, piece):
            start, _, word = out[-1]
            out[-1] = (start, m.end(), word + piece)
        else:
            out.append((m.start(), m.end(), piece))
        last = piece
    return _join_spelled(text, out) if len(out) > 2 else out


def _join_spelled(text: str, found: list[tuple[int, int, str]]) -> list[tuple[int, int, str]]:
    """Join runs of three or more single letters split by single spaces ("f u c k")."""
    out: list[tuple[int, int, str]] = []
    run: list[tuple[int, int, str]] = []
    for item in [*found, (len(text) + 1, 0, "")]:
        single = len(item[2]) == 1
        if single and run and text[run[-1][1] : item[0]] == " ":
            run.append(item)
            continue
        if len(run) >= 3:
            out.append((run[0][0], run[-1][1], "".join(p for _, _, p in run)))
        else:
            out.extend(run)
        run = [item] if single else []
        if not single and item[2]:
            out.append(item)
    return out


def _typings(keys: list[frozenset[str]]) -> Iterator[tuple[str, ...]]:
    """The key sequences a term is caught by: every mix of syllables typed with or without
    diacritics, or for a long term only all with them ("t" keys) or all without ("s")."""
    count = prefixes = 1
    for own in keys:
        count *= len(own)
        prefixes += count
    if prefixes <= MAX_VARIANT_PREFIXES + 1:
        yield from itertools.product(*(sorted(own) for own in keys))
        return
    for kind in ("t", "s"):
        yield tuple(min(own, key=lambda k: (k[0] != kind, k)) for own in keys)


def _char(index: int) -> str:
    """The character standing for key number `index` (code points from U+0100, no surrogates)."""
    point = 0x100 + index
    return chr(point + 0x800 if point >= 0xD800 else point)


class Terms:
    """Blocked and watched terms of one policy version, compiled for matching."""

    def __init__(self, blocked: Iterable[str] = (), watched: Iterable[str] = ()) -> None:
        self._entries: list[_Entry] = []
        self._chars: dict[str, str] = {}  # syllable key -> its character
        self._memo: dict[str, str] = {}  # comment syllable -> its character(s)
        self._longest = 0  # syllables in the longest term
        patterns: dict[str, list[int]] = {}
        self._term_keys: dict[str, frozenset[str]] = {}  # while compiling: syllables repeat
        lists: tuple[tuple[ListName, Iterable[str]], ...] = (
            ("blocked", blocked),
            ("watched", watched),
        )
        for name, terms in lists:
            for term in terms:
                self._add(term, name, patterns)
        self.size = len(self._entries)
        del self._term_keys
        self._automaton = ahocorasick.Automaton()
        for pattern, found in patterns.items():
            self._automaton.add_word(pattern, (len(pattern), tuple(found)))
        if patterns:
            self._automaton.make_automaton()

    def _add(self, term: str, name: ListName, patterns: dict[str, list[int]]) -> None:
        """Index a term under the string of each way of typing it."""
        cache = self._term_keys
        keys = [cache.get(w) or cache.setdefault(w, term_keys(w)) for _, _, w in syllables(term)]
        if not keys:
            return
        index = len(self._entries)
        self._entries.append(_Entry(term, name))
        self._longest = max(self._longest, len(keys))
        chars = self._chars
        for typing in _typings(keys):
            pattern = "".join(chars.setdefault(k, _char(len(chars))) for k in typing)
            patterns.setdefault(pattern, []).append(index)

    def _reading(self, word: str) -> str:
        """The character of a comment's syllable (two when it reads as two listed spellings),
        remembered: words repeat across comments."""
        chars = self._chars
        known = dict.fromkeys(chars[k] for k in text_keys(word) if k in chars)
        found = "".join(known) or _NO_KEY
        if len(word) <= _MEMO_WORD:
            if len(self._memo) > 50_000:
                self._memo.clear()
            self._memo[word] = found
        return found

    def _line(self, words: list[str]) -> tuple[str, str | None]:
        """The comment as one character per syllable; a second reading when a stretched
        syllable ("gooood") reads as two different terms' syllables ("god", "good")."""
        memo = self._memo
        read = [memo.get(w) or self._reading(w) for w in words]
        line = "".join(read)
        if len(line) == len(read):
            return line, None
        return "".join(r[0] for r in read), "".join(r[-1] for r in read)

    def find(self, text: str) -> list[Hit]:
        """Every term of the lists found in a text (at most MAX_HITS), in text order."""
        if self.size == 0:
            return []
        split = _SPLIT_LETTERS.search(text) is not None
        words = [w for _, _, w in syllables(text)] if split else _TOKEN.findall(text)
        line, second = self._line(words)
        if not line or line.count(_NO_KEY) == len(line):
            return []
        found = self._matches(line)
        if second is not None:
            found = sorted(set(found) | set(self._matches(second)))
        if not found:
            return []
        # the spans of the very pieces matched, whichever path cut them
        spans = (
            syllables(text) if split else [(m.start(), m.end(), "") for m in _TOKEN.finditer(text)]
        )
        hits: list[Hit] = []
        seen: set[tuple[int, int]] = set()
        for first, _, index, size in found:
            if (first, index) not in seen:
                seen.add((first, index))
                hits.append(_hit(text, spans, first, first + size - 1, self._entries[index]))
        return hits[:MAX_HITS]

    def _matches(self, line: str) -> list[tuple[int, bool, int, int]]:
        """(first syllable, is a phrase, term number, syllables) of the first MAX_HITS terms
        found in text order (words before phrases at one syllable, then list order).

        Matches come out by where they end; once MAX_HITS are in, every match starting at or
        before the last of them ends within the longest term's length, so the scan stops there.
        """
        found: list[tuple[int, bool, int, int]] = []
        stop: int | None = None
        for end, (size, indexes) in self._automaton.iter(line):
            if stop is not None and end >= stop:
                break
            first = end - size + 1
            found.extend((first, size > 1, i, size) for i in indexes[:MAX_HITS])
            if stop is None and len(found) >= MAX_HITS:
                stop = end + self._longest
        found.sort()
        return found[:MAX_HITS]


def _hit(text: str, spans: list[tuple[int, int, str]], first: int, last: int, e: _Entry) -> Hit:
    """A found term with its span in the text."""
    start, end = spans[first][0], spans[last][1]
    return Hit(e.term, e.list, start, end, text[start:end])


def fingerprint(text: str, min_length: int) -> bytes | None:
    """A 16-byte digest of a text's words, blind to case, diacritics, digits and punctuation.

    Texts shorter than `min_length` characters once normalised get none: short thanks and
    greetings are naturally posted by many people.
    """
    words = _fingerprint_words(unicodedata.normalize("NFD", text.casefold()).replace("đ", "d"))
    if len(words) < min_length:
        return None
    return hashlib.blake2b(words.encode(), digest_size=16).digest()


def _fingerprint_words(nfd: str) -> str:
    """The words of a decomposed, case-folded text, diacritics off, each run of digits "0",
    one space between words, and letters stretched three times or more shrunk to one."""
    ascii_part = nfd.encode("ascii", "ignore")
    if len(ascii_part) + sum(map(nfd.count, _VI_MARKS)) == len(nfd):
        # Every character beyond ASCII is one of Vietnamese's marks (most comments): bytes
        # translate and split do in C what the regular expressions below do a character at
        # a time, to the same words (a test compares the two on random texts).
        spaced = b" ".join(ascii_part.translate(_ASCII_WORDS).split())
        while b"00" in spaced:  # every "0" is a digit now: a run of digits is one "0"
            spaced = spaced.replace(b"00", b"0")
        return _STRETCH_BYTES.sub(rb"\1", spaced).decode()
    plain = nfd.translate(_STRIP)
    # one pass over the joined words: a run of one letter never crosses the separating space
    return _STRETCH.sub(r"\1", " ".join(_TOKEN.findall(_DIGITS.sub("0", plain))))
