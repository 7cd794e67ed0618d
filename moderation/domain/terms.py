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
A list is compiled once per policy version; matching a comment is a few dict look-ups per
syllable.
"""

from __future__ import annotations

import hashlib
import itertools
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

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
    rest: tuple[frozenset[str], ...]


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


class Terms:
    """Blocked and watched terms of one policy version, compiled for matching."""

    def __init__(self, blocked: Iterable[str] = (), watched: Iterable[str] = ()) -> None:
        self._one: dict[str, list[_Entry]] = {}
        self._two: dict[tuple[str, str], list[_Entry]] = {}
        self._starts: set[str] = set()  # first-syllable keys of every term
        self._phrase_starts: set[str] = set()
        self._memo: dict[str, tuple[str, ...]] = {}
        self.size = 0
        for term in blocked:
            self._add(term, "blocked")
        for term in watched:
            self._add(term, "watched")

    def _add(self, term: str, name: ListName) -> None:
        """Index a word by its keys, a phrase by the keys of its first two syllables."""
        keys = [term_keys(word) for _, _, word in syllables(term)]
        if not keys:
            return
        self.size += 1
        if len(keys) == 1:
            self._starts |= keys[0]
            for key in keys[0]:
                self._one.setdefault(key, []).append(_Entry(term, name, ()))
            return
        entry = _Entry(term, name, tuple(keys[2:]))
        self._starts |= keys[0]
        self._phrase_starts |= keys[0]
        for pair in itertools.product(keys[0], keys[1]):
            self._two.setdefault(pair, []).append(entry)

    def _keys(self, word: str) -> tuple[str, ...]:
        """Keys of a comment's syllable, remembered (words repeat across comments)."""
        found = self._memo.get(word)
        if found is None:
            if len(self._memo) > 50_000:
                self._memo.clear()
            found = self._memo[word] = text_keys(word)
        return found

    def find(self, text: str) -> list[Hit]:
        """Every term of the lists found in a text (at most MAX_HITS), in text order."""
        if self.size == 0:
            return []
        split = _SPLIT_LETTERS.search(text) is not None
        words = [w for _, _, w in syllables(text)] if split else _TOKEN.findall(text)
        memo = self._memo
        keys = [memo.get(w) or self._keys(w) for w in words]
        if self._starts.isdisjoint(itertools.chain.from_iterable(keys)):
            return []
        found: list[tuple[int, int, _Entry]] = []
        one, two = self._one, self._two
        starts = self._starts
        for i, own in enumerate(keys):
            if starts.isdisjoint(own):
                continue
            for key in own:
                found.extend((i, i, e) for e in one.get(key, ()))
            if i + 1 < len(keys) and not self._phrase_starts.isdisjoint(own):
                for pair in itertools.product(own, keys[i + 1]):
                    for e in two.get(pair, ()):
                        if _rest_matches(e.rest, keys, i + 2):
                            found.append((i, i + 1 + len(e.rest), e))
            if len(found) >= MAX_HITS:
                break
        if not found:
            return []
        # the spans of the very pieces matched, whichever path cut them
        spans = (
            syllables(text) if split else [(m.start(), m.end(), "") for m in _TOKEN.finditer(text)]
        )
        return [_hit(text, spans, *f) for f in found[:MAX_HITS]]


def _hit(text: str, spans: list[tuple[int, int, str]], first: int, last: int, e: _Entry) -> Hit:
    """A found term with its span in the text."""
    start, end = spans[first][0], spans[last][1]
    return Hit(e.term, e.list, start, end, text[start:end])


def _rest_matches(
    rest: tuple[frozenset[str], ...], keys: Sequence[tuple[str, ...]], at: int
) -> bool:
    """Whether the syllables from `at` on carry the rest of a phrase."""
    if at + len(rest) > len(keys):
        return False
    return all(any(k in wanted for k in keys[at + j]) for j, wanted in enumerate(rest))


def fingerprint(text: str, min_length: int) -> bytes | None:
    """A 16-byte digest of a text's words, blind to case, diacritics, digits and punctuation.

    Texts shorter than `min_length` characters once normalised get none: short thanks and
    greetings are naturally posted by many people.
    """
    plain = unicodedata.normalize("NFD", text.casefold()).translate(_STRIP)
    # one pass over the joined words: a run of one letter never crosses the separating space
    words = _STRETCH.sub(r"\1", " ".join(_TOKEN.findall(_DIGITS.sub("0", plain))))
    if len(words) < min_length:
        return None
    return hashlib.blake2b(words.encode(), digest_size=16).digest()
