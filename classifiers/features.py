"""Hashed n-gram features computed for a whole batch with a handful of numpy operations.

A channel holds the batch's texts as code points separated by NUL.  Every feature is a span of
it (a word, two adjacent words, or a run of 2-5 characters); its hash is a polynomial rolling
hash read off one prefix sum, so no Python loop touches individual n-grams.  The same code
makes the training matrix and scores at run time, so the two cannot drift apart.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt
import scipy.sparse as sp

from classifiers.normalize import KIND, Codes, channels, to_codes

U64 = npt.NDArray[np.uint64]
I64 = npt.NDArray[np.int64]
F32 = npt.NDArray[np.float32]

_P = 0x100000001B3  # FNV prime: odd, so invertible modulo 2**64
_P_INV = pow(_P, -1, 2**64)
_MIX = np.uint64(0x9E3779B97F4A7C15)
_SALT_BIGRAM = np.uint64(0x1111)
_SALT_PLAIN = np.uint64(0x2222)
_SALT_CHARS = np.uint64(0x3333)
_NUL = np.zeros(1, dtype=np.uint32)

TEENCODE: dict[str, str] = {
    "ko": "không",
    "k": "không",
    "kg": "không",
    "khg": "không",
    "hok": "không",
    "hông": "không",
    "hem": "không",
    "kh": "không",
    "khum": "không",
    "khôg": "không",
    "hk": "không",
    "dc": "được",
    "đc": "được",
    "dk": "được",
    "đk": "được",
    "đuợc": "được",
    "j": "gì",
    "z": "vậy",
    "v": "vậy",
    "zậy": "vậy",
    "dzậy": "vậy",
    "vs": "với",
    "ntn": "như thế nào",
    "mk": "mình",
    "mik": "mình",
    "mn": "mọi người",
    "mng": "mọi người",
    "ng": "người",
    "ngta": "người ta",
    "r": "rồi",
    "rùi": "rồi",
    "bn": "bao nhiêu",
    "bh": "bây giờ",
    "bgio": "bây giờ",
    "cx": "cũng",
    "cg": "cũng",
    "ck": "chồng",
    "vk": "vợ",
    "trc": "trước",
    "ms": "mới",
    "nx": "nữa",
    "nt": "nhắn tin",
    "ib": "inbox",
    "ad": "admin",
    "lm": "làm",
    "thik": "thích",
    "iu": "yêu",
    "ny": "người yêu",
    "tl": "trả lời",
    "sdt": "số điện thoại",
    "sđt": "số điện thoại",
    "đt": "điện thoại",
    "lh": "liên hệ",
    "dm": "đm",
    "đmm": "đm",
    "dmm": "đm",
    "dkm": "đm",
    "đkm": "đm",
    "đcm": "đm",
    "dcm": "đm",
    "vcl": "vl",
    "vkl": "vl",
    "vleu": "vl",
    "clm": "cl",
    "oke": "ok",
    "okela": "ok",
}


@dataclass(frozen=True)
class Config:
    """What the features are; stored with the model so loading rebuilds the same ones."""

    bits: int = 20
    char_orders: tuple[int, ...] = (2, 3, 4, 5)
    marked_words: bool = True


@dataclass(frozen=True)
class Hits:
    """Sparse features of a batch: entry k says row ``rows[k]`` has feature ``cols[k]``.

    ``is_char[k]`` tells character n-grams from word features; the two groups are scaled to
    unit length separately (see ``Weighting``), as a word and a char TF-IDF would be.
    """

    rows: I64
    cols: I64
    is_char: npt.NDArray[np.bool_]
    n_rows: int


@dataclass(frozen=True)
class Weighting:
    """IDF per hashed feature and the weight of the word group against the char group."""

    idf: F32
    word_weight: float = 1.0

    @classmethod
    def fit(cls, hits: Hits, n_features: int, word_weight: float = 1.0) -> Weighting:
        """Smoothed IDF from the document frequencies in ``hits``."""
        pairs = np.unique(hits.rows * n_features + hits.cols)
        df = np.bincount(pairs % n_features, minlength=n_features)
        idf = np.log((1 + hits.n_rows) / (1 + df)) + 1.0
        idf[df < 2] = 0.0  # seen once: noise, as min_df=2 would drop it
        return cls(idf.astype(np.float16).astype(np.float32), word_weight)

    def norms(self, hits: Hits) -> npt.NDArray[np.float64]:
        """Per row, the length of the word group and of the char group: shape (rows, 2)."""
        vals = self.idf[hits.cols]
        slot = hits.rows * 2 + hits.is_char
        return self._lengths(vals, slot, hits.n_rows).reshape(-1, 2)

    @staticmethod
    def _lengths(vals: F32, slot: I64, n_rows: int) -> npt.NDArray[np.float64]:
        """The length of each row's word group (slot 2 * row) and char group (2 * row + 1)."""
        return np.sqrt(np.bincount(slot, weights=vals * vals, minlength=2 * n_rows))

    def values(self, hits: Hits, norms: npt.NDArray[np.float64] | None = None) -> F32:
        """The value of every entry: idf, scaled to unit length per row and group.

        ``norms`` (one row of ``norms()``) scales every row as that text would be: the
        contribution of a part of a text, as it counts inside the whole.
        """
        vals = self.idf[hits.cols]
        if norms is None:
            slot = hits.rows * 2 + hits.is_char
            norm = self._lengths(vals, slot, hits.n_rows)[slot]
        else:
            norm = norms.reshape(-1)[hits.is_char.astype(np.int64)]
        scale = np.where(hits.is_char, 1.0, self.word_weight)
        return (vals * scale / np.maximum(norm, 1e-6)).astype(np.float32)

    def matrix(self, hits: Hits) -> sp.csr_matrix:
        """The batch as a CSR matrix (duplicates summed)."""
        shape = (hits.n_rows, self.idf.size)
        m = sp.csr_matrix((self.values(hits), (hits.rows, hits.cols)), shape=shape)
        m.sum_duplicates()
        m.eliminate_zeros()
        return m


class _Powers:
    """Powers of the hash base and of its inverse, grown on demand and never mutated."""

    def __init__(self) -> None:
        self.table = self._make(1 << 16)

    @staticmethod
    def _make(n: int) -> tuple[U64, U64]:
        out = []
        for base in (_P, _P_INV):
            p = np.full(n, base, dtype=np.uint64)
            p[0] = 1
            out.append(np.cumprod(p, dtype=np.uint64))
        return out[0], out[1]

    def get(self, n: int) -> tuple[U64, U64]:
        table = self.table
        if table[0].size < n:
            table = self._make(max(n, 2 * table[0].size))
            self.table = table  # replaced whole, so readers in other threads stay consistent
        return table


_POWERS = _Powers()


@dataclass(frozen=True)
class Spans:
    """Code points as prefix hashes and word boundaries, for hashing any span of them."""

    prefix: U64
    inv_pow: U64
    row_of: I64
    starts: I64
    ends: I64

    @classmethod
    def of(cls, codes: Codes) -> Spans:
        n = codes.size
        powers, inverse = _POWERS.get(n + 1)
        prefix = np.zeros(n + 1, dtype=np.uint64)
        np.cumsum(codes * powers[:n], dtype=np.uint64, out=prefix[1:])
        row_of = np.zeros(n + 1, dtype=np.int64)
        np.cumsum(codes == 0, out=row_of[1:])
        edge = np.zeros(n + 2, dtype=np.uint8)
        mid = edge[1:-1]
        mid[:] = KIND[np.minimum(codes, 0x10000)]
        word = mid != 0
        starts = np.flatnonzero(word & (mid != edge[:-2]))
        ends = np.flatnonzero(word & (mid != edge[2:])) + 1
        return cls(prefix, inverse, row_of, starts, ends)

    def raw(self, i: I64 | slice, j: I64 | slice) -> U64:
        """Position-free hash of the spans [i, j) (index arrays, or slices of equal length:
        contiguous reads, no gather)."""
        out: U64 = (self.prefix[j] - self.prefix[i]) * self.inv_pow[i]
        return out

    def words(self, fold: Fold, n_marked: int) -> tuple[I64, U64]:
        """Rows and hashes of single words (teencode folded) and adjacent word pairs.

        Rows from ``n_marked`` on are the plain channel, whose hashes get their own salt.
        """
        s, e = self.starts, self.ends
        rows = self.row_of[s]
        same = np.flatnonzero(rows[:-1] == rows[1:])
        uni = self.raw(s, e) + (rows >= n_marked).astype(np.uint64) * _SALT_PLAIN
        bi = self.raw(s[same], e[same + 1]) + (rows[same] >= n_marked) * _SALT_PLAIN
        return np.concatenate((rows, rows[same])), np.concatenate(
            (fold.apply(uni), bi + _SALT_BIGRAM)
        )

    def chars(self, orders: I64, first: int) -> tuple[I64, U64]:
        """Rows and salted hashes of every n characters (n in ``orders``) inside one text,
        order by order, each in text order.

        Each order reads contiguous slices of the prefix sums (no gathers); when no text
        boundary lies past ``first`` (one text), no span needs checking."""
        n_pos = self.prefix.size - 1
        row_of = self.row_of
        whole = bool(row_of[first] == row_of[n_pos])
        rows: list[I64] = []
        hashes: list[U64] = []
        for width in orders.tolist():
            end = n_pos - width + 1
            if end <= first:
                continue
            h = self.raw(slice(first, end), slice(first + width, n_pos + 1))
            h += np.uint64(width) * _SALT_CHARS
            if whole:
                hashes.append(h)
                continue
            inside = np.flatnonzero(row_of[first:end] == row_of[first + width : n_pos + 1])
            rows.append(row_of[first:end][inside])
            hashes.append(h[inside])
        if not hashes:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.uint64)
        out = np.concatenate(hashes)
        if whole:
            return np.full(out.size, row_of[first], dtype=np.int64), out
        return np.concatenate(rows), out


def raw_hash(text: str) -> int:
    """``Spans.raw`` of a whole string, for building look-up tables."""
    spans = Spans.of(to_codes(text))
    return int(spans.raw(np.array([0]), np.array([len(text)]))[0])


@dataclass(frozen=True)
class Fold:
    """Maps word hashes of teencode to the hashes of the words they stand for."""

    keys: U64 = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))
    values: U64 = field(default_factory=lambda: np.zeros(0, dtype=np.uint64))

    @classmethod
    def of(cls, marked: dict[str, str], plain: dict[str, str]) -> Fold:
        table = {raw_hash(k): raw_hash(v) for k, v in marked.items()}
        salt = int(_SALT_PLAIN)
        table |= {
            (raw_hash(k) + salt) % 2**64: (raw_hash(v) + salt) % 2**64 for k, v in plain.items()
        }
        keys = np.array(sorted(table), dtype=np.uint64)
        return cls(keys, np.array([table[int(k)] for k in keys], dtype=np.uint64))

    def apply(self, h: U64) -> U64:
        if not self.keys.size or not h.size:
            return h
        at = np.minimum(np.searchsorted(self.keys, h), self.keys.size - 1)
        hit = self.keys[at] == h
        return np.where(hit, self.values[at], h)


@dataclass(frozen=True)
class Featurizer:
    """Turns raw texts into hashed features; immutable, so safe to share between threads."""

    config: Config = Config()
    fold: Fold = field(default_factory=lambda: Fold.of(TEENCODE, _plain_pairs()))

    @property
    def orders(self) -> I64:
        return np.array(self.config.char_orders, dtype=np.int64)

    @property
    def n_features(self) -> int:
        return 1 << self.config.bits

    def hits(self, texts: list[str]) -> Hits:
        """Hashed features of a batch of raw texts.

        Both channels go through one ``Spans``: rows 0..n-1 are the marked channel (words
        only), rows n..2n-1 the plain one (words and characters).
        """
        n = len(texts)
        marked, plain = channels(texts)
        spans = Spans.of(np.concatenate((marked, _NUL, plain)))
        rows, hashes = spans.words(self.fold, n)
        if not self.config.marked_words:
            is_plain = rows >= n
            rows, hashes = rows[is_plain], hashes[is_plain]
        c_rows, c_hashes = spans.chars(self.orders, marked.size + 1)
        is_char = np.concatenate(
            (np.zeros(rows.size, dtype=bool), np.ones(c_rows.size, dtype=bool))
        )
        rows = np.concatenate((rows, c_rows))
        rows[rows >= n] -= n
        h = np.concatenate((hashes, c_hashes)) * _MIX
        h ^= h >> np.uint64(29)
        h *= _MIX
        cols = (h >> np.uint64(64 - self.config.bits)).astype(np.int64)
        return Hits(rows, cols, is_char, n)


def _plain_pairs() -> dict[str, str]:
    from classifiers.normalize import strip_diacritics

    return {strip_diacritics(k): strip_diacritics(v) for k, v in TEENCODE.items()}
