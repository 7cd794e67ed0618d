"""Scoring a batch in compiled code: hashes, IDF values and the product with the weights in
one pass over the code points (numba), instead of some 60 numpy operations.

In the service a worker scores a batch every few hundred microseconds, between requests that
push its caches out; each numpy operation then pays its own set-up, temporaries and cold
code (docs/performance.md, "A compiled scoring pass"). This pass reads the two channels'
code points once, writes each hit once and adds each hit's row of weights straight into
the text's logits.

``features.py`` stays the reference, and training uses it. This pass makes the same hits
(rows, columns, words or characters) and the same values, bit for bit, text by text, each
text's in the reference's order (the reference interleaves the texts); it sums the logits in
float64 and rounds them once, so they equal ``project``'s up to its float32 rounding.
``tests/unit/test_compiled.py`` holds the two together. Rows of weights are asked for some
hits ahead (``_prefetch``), which changes no figure.

An adapter's step (``adapt``) reuses the base's hits: its counted features (``_counted``;
``_grouped`` for adapters stored in session 14), its text-shape figures (``_shape``) and its
dense part, in one call.

``score`` runs all of it, the base's kernels and an adapter's step, in a single call
(``_score``): each call from Python costs a few microseconds of set-up, which a comment
scored alone paid four times (bench_site_learning.py ``--cost``: one comment at a time 1.41
- 1.45 -> 1.24 - 1.28 x the base's cost with an adapter, and the base's own one comment a
call 54 - 57 -> 45 - 46 µs).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any, NamedTuple, TypeVar, cast

import numba as nb
import numpy as np
import numpy.typing as npt
from llvmlite import ir
from numba.core import cgutils
from numba.extending import intrinsic

from classifiers import features
from classifiers.features import (
    _MIX,
    _NUL,
    _SALT_BIGRAM,
    _SALT_CHARS,
    _SALT_PLAIN,
    Featurizer,
    Hits,
)
from classifiers.normalize import KIND, channels

F32 = npt.NDArray[np.float32]

_P = np.uint64(features._P)  # the hash base
K = TypeVar("K", bound=Callable[..., Any])


def kernel(fn: K) -> K:
    """``fn`` compiled by numba (releasing the GIL). Its machine code is cached on disk where
    numba finds a writable place (beside this file, else the user's cache folder), so a
    process starts in a fraction of a second; where none is writable (a read-only image and
    home), each process compiles afresh, a few seconds before its first score."""
    try:
        compiled = nb.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # numba: "cannot cache function ...: no locator available"
        compiled = nb.njit(nogil=True)(fn)
    return cast(K, compiled)


def _prefetch_typed(typingctx: Any, array: Any, row: Any, col: Any) -> Any:  # pragma: no cover
    """``_prefetch(array, i, j)``: a hint that ``array[i, j]`` (its cache line) will be read
    soon (LLVM's prefetch: it neither faults nor waits). Each hit reads a random row of
    weights, most of them out of cache (the base's table is 52 MB; the adapter's is evicted
    by the base's pass), and the out-of-order window covers a few hits: asked for some hits
    ahead (``AHEAD``), the rows are there when needed. Bench (``bench_site_learning.py
    --cost``), µs a comment: the base 31.1 -> 25.5 in batches of 256, 54.5 -> 48.4 one at a
    time; an adapter's counted pass 1.24 - 1.28 -> 1.16 - 1.21 x the base's cost, before the
    base's own rows were asked for."""
    if not isinstance(array, nb.types.Array) or array.ndim != 2:
        return None

    def codegen(context: Any, builder: Any, signature: Any, args: Any) -> Any:
        kind = signature.args[0]
        data = context.make_array(kind)(context, builder, args[0])
        at = cgutils.get_item_pointer(context, builder, kind, data, args[1:], wraparound=False)
        byte, i32 = ir.IntType(8).as_pointer(), ir.IntType(32)
        hint = ir.FunctionType(ir.VoidType(), [byte, i32, i32, i32])
        fn = cgutils.get_or_insert_function(builder.module, hint, _PREFETCH)
        read, keep, data_cache = (ir.Constant(i32, k) for k in (0, 3, 1))
        builder.call(fn, [builder.bitcast(at, byte), read, keep, data_cache])
        return context.get_dummy_value()

    return nb.types.void(array, row, col), codegen


# its name for LLVM with opaque pointers (llvmlite 0.50's LLVM 22; older ones wanted ".p0i8"
# and would refuse this one as the pass compiles: pyproject.toml asks for llvmlite >= 0.50)
_PREFETCH = "llvm.prefetch.p0"
AHEAD = 16  # hits: how far ahead rows of weights are asked for (8: slower; 32: the same)
_prefetch = cast(Callable[..., None], intrinsic(_prefetch_typed))


@kernel
def _span_hash(codes: Any, start: int, end: int) -> Any:  # pragma: no cover - compiled
    """``Spans.raw`` of one span: sum of code * P**(position - start), modulo 2**64."""
    h = np.uint64(0)
    power = np.uint64(1)
    for t in range(start, end):
        h += np.uint64(codes[t]) * power
        power *= _P
    return h


@kernel
def _column(h: Any, shift: Any) -> Any:  # pragma: no cover - compiled
    """``Featurizer.hits``' final mix of a salted hash into a column."""
    h = h * _MIX
    h ^= h >> np.uint64(29)
    h *= _MIX
    return np.int64(h >> shift)


@kernel
def _hits(
    codes: Any,
    n: int,
    first: int,
    orders: Any,
    kind: Any,
    fold_keys: Any,
    fold_values: Any,
    bits: int,
    marked_words: bool,
) -> Any:  # pragma: no cover - compiled
    """Rows, columns and kinds (1: characters) of every hit, text by text; each text's in
    ``Featurizer.hits``' order (single words, then word pairs, then each order of characters
    in text order), which is the order of its hits there."""
    size = codes.size
    cap = 2 * size + orders.size * size + 1
    rows = np.empty(cap, np.int64)
    cols = np.empty(cap, np.int64)
    is_char = np.zeros(cap, np.uint8)
    shift = np.uint64(64 - bits)
    starts = np.empty(size + 1, np.int64)
    ends = np.empty(size + 1, np.int64)
    word_rows = np.empty(size + 1, np.int64)
    words = 0
    row = 0
    i = 0
    while i < size:  # words: runs of one non-zero kind, numbered by the NULs before them
        c = codes[i]
        if c == 0:
            row += 1
            i += 1
            continue
        k = kind[min(c, 0x10000)]
        if k == 0:
            i += 1
            continue
        j = i + 1
        while j < size and codes[j] != 0 and kind[min(codes[j], 0x10000)] == k:
            j += 1
        starts[words] = i
        ends[words] = j
        word_rows[words] = row
        words += 1
        i = j
    # each channel row's words (0..n-1 marked, n..2n-1 plain) and each text's plain segment
    row_words = np.zeros(2 * n + 1, np.int64)
    for w in range(words):
        row_words[word_rows[w] + 1] += 1
    for r in range(2 * n):
        row_words[r + 1] += row_words[r]
    segment = np.empty(n + 1, np.int64)  # text i's plain channel: [segment[i], segment[i+1] - 1)
    segment[0] = first
    s = 1
    for p in range(first, size):
        if codes[p] == 0:
            segment[s] = p + 1
            s += 1
    segment[n] = size + 1
    out = 0
    for text in range(n):  # text by text, each text's hits in Featurizer.hits' order
        for r in (text, n + text):
            if r < n and not marked_words:
                continue
            for w in range(row_words[r], row_words[r + 1]):
                h = _span_hash(codes, starts[w], ends[w])
                if r >= n:
                    h += _SALT_PLAIN
                if fold_keys.size:  # teencode folded (Fold.apply)
                    at = min(np.searchsorted(fold_keys, h), fold_keys.size - 1)
                    if fold_keys[at] == h:
                        h = fold_values[at]
                rows[out] = text
                cols[out] = _column(h, shift)
                out += 1
        for r in (text, n + text):
            if r < n and not marked_words:
                continue
            for w in range(row_words[r], row_words[r + 1] - 1):
                h = _span_hash(codes, starts[w], ends[w + 1])
                if r >= n:
                    h += _SALT_PLAIN
                rows[out] = text
                cols[out] = _column(h + _SALT_BIGRAM, shift)
                out += 1
        end = segment[text + 1] - 1  # characters of the plain channel; never across a NUL
        for width in orders:
            salt = np.uint64(width) * _SALT_CHARS
            for p in range(segment[text], end - width + 1):
                rows[out] = text
                cols[out] = _column(_span_hash(codes, p, p + width) + salt, shift)
                is_char[out] = 1
                out += 1
    return rows[:out], cols[:out], is_char[:out]


@kernel
def _project(
    rows: Any,
    cols: Any,
    is_char: Any,
    n: int,
    idf: Any,
    word_weight: float,
    weights: Any,
    bias: Any,
) -> Any:  # pragma: no cover - compiled
    """``Weighting.values`` of the hits, and each text's logits: bias plus every hit's value
    times its row of ``weights``."""
    hits = rows.size
    lengths = np.zeros(2 * n, np.float64)
    for t in range(hits):  # in hit order, as np.bincount sums them
        v = idf[cols[t]]
        lengths[2 * rows[t] + is_char[t]] += v * v
    for s in range(2 * n):
        lengths[s] = max(np.sqrt(lengths[s]), 1e-6)
    values = np.empty(hits, np.float32)
    m = weights.shape[1]
    total = np.zeros((n, m), np.float64)  # summed in float64: a long repetitive text adds
    for t in range(hits):  # thousands of the same rows, which float32 would round away
        if t + AHEAD < hits:  # a row of the base's weights spans two or three cache lines
            _prefetch(weights, cols[t + AHEAD], 0)
            _prefetch(weights, cols[t + AHEAD], m - 1)
        r = rows[t]
        scale = 1.0 if is_char[t] else word_weight
        v = np.float32(idf[cols[t]] * scale / lengths[2 * r + is_char[t]])
        values[t] = v
        row = weights[cols[t]]
        for c in range(m):
            total[r, c] += v * row[c]
    z = np.empty((n, m), np.float32)
    for r in range(n):
        for c in range(m):
            z[r, c] = np.float32(total[r, c]) + bias[c]
    return values, z


@kernel
def _mix(
    z: Any,
    gate: Any,
    scale: Any,
    shift: Any,
    expert_source: Any,
    expert_label: Any,
    temperature: Any,
    n_labels: int,
) -> Any:  # pragma: no cover - compiled
    """``Mixture.apply``: each label's gate-weighted mean of its experts' calibrated
    probabilities (``temperature``: per expert, or empty for none), in float64."""
    n, experts = z.shape
    out = np.empty((n, n_labels), np.float32)
    num = np.empty(n_labels, np.float64)
    den = np.empty(n_labels, np.float64)
    for r in range(n):
        top = gate[r, 0]
        for s in range(1, gate.shape[1]):
            top = max(top, gate[r, s])
        num[:] = 0.0
        den[:] = 0.0
        for k in range(experts):
            shifted = np.float64(gate[r, expert_source[k]]) - top
            if temperature.size:
                shifted *= temperature[k]
            g = np.exp(shifted)
            p = 1.0 / (1.0 + np.exp(-(np.float64(z[r, k]) * scale[k] + shift[k])))
            label = expert_label[k]
            num[label] += g * p
            den[label] += g
        for label in range(n_labels):
            out[r, label] = np.float32(num[label] / max(den[label], 1e-12))
    return out


@kernel
def _unit_scales(words: float, chars: float, word_weight: float) -> Any:  # pragma: no cover
    """What a text's word and character features are multiplied by, from the sums of their
    squares: each block at unit length, the words' then times ``word_weight``."""
    return word_weight / max(np.sqrt(words), 1e-12), 1.0 / max(np.sqrt(chars), 1e-12)


@kernel
def _group_row(
    lo: int,
    hi: int,
    cols: Any,
    is_char: Any,
    values: Any,
    base_bits: int,
    bits: int,
    word_weight: float,
    words_only: bool,
    table: Any,
    scratch: Any,
    out_cols: Any,
    out_vals: Any,
) -> int:  # pragma: no cover - compiled
    """``_grouped`` of one text, hits ``lo`` to ``hi``: its entries into ``out_cols`` and
    ``out_vals`` (from 0), how many. ``table``: a scratch hash table of at least 4 (hi - lo)
    slots, each -1 (left so); a slot holds key << 32 | entry. ``scratch``: (2, hi - lo) or
    more, for the counts and slots."""
    size = 16
    while size < 4 * (hi - lo):  # a quarter full at most: few probes
        size *= 2
    mask = np.uint64(size - 1)
    counts = scratch[0]
    slots = scratch[1]
    entries = 0
    for t in range(lo, hi):
        g = np.int64(is_char[t])
        if (words_only and g) or values[t] == 0:
            continue
        k = (g << base_bits) | cols[t]  # below 2**31: base_bits is at most 30
        slot = np.int64(((np.uint64(k) * _MIX) >> np.uint64(32)) & mask)
        held = table[slot]
        while held >= 0 and held >> 32 != k:
            slot = np.int64((np.uint64(slot) + np.uint64(1)) & mask)
            held = table[slot]
        if held >= 0:
            counts[held & 0xFFFFFFFF] += 1.0
            continue
        table[slot] = (k << 32) | entries
        slots[entries] = slot
        out_cols[entries] = (cols[t] >> (base_bits - bits)) | (g << bits)
        out_vals[entries] = values[t]
        counts[entries] = 1.0
        entries += 1
    words = 0.0
    chars = 0.0
    for e in range(entries):
        slot = np.int64(slots[e])
        table[slot] = -1  # the table cleared for the next text
        if counts[e] > 1.0:  # most n-grams of a comment occur once: log(1) is 0
            out_vals[e] *= 1.0 + np.log(counts[e])
        if out_cols[e] >> bits:
            chars += out_vals[e] * out_vals[e]
        else:
            words += out_vals[e] * out_vals[e]
    words, chars = _unit_scales(words, chars, word_weight)
    for e in range(entries):
        out_vals[e] *= chars if out_cols[e] >> bits else words
    return entries


@kernel
def _grouped(
    rows: Any,
    cols: Any,
    is_char: Any,
    values: Any,
    base_bits: int,
    bits: int,
    word_weight: float,
    words_only: bool,
    weights: Any,
    eta: Any,
) -> Any:  # pragma: no cover - compiled
    """An adapter's counted features of a batch's hits (text by text, as ``_hits`` makes
    them): one entry per distinct base column of a text's words, and of its characters, in
    the order each first occurs; its value ``(1 + log count) * value``, each text's words,
    and its characters, at unit length and the words then times ``word_weight``; its column
    the base's folded into ``2**bits``, words in the first block and characters in the
    second.

    The base's value of a hit is its IDF times one scale for all of a text's words (or
    characters), which the unit length removes: so this is a sublinear TF-IDF of each text,
    which the base's values (each repeat counted in full) are not. A text's entries depend
    on its own hits alone, whatever else is in the batch.

    With ``eta`` (texts x labels) not empty, as in scoring, each text's entries times their
    rows of ``weights`` are added into it instead, and none returned: a text's entries stay
    in a small buffer, in cache, rather than a batch's in memory."""
    hits = rows.size
    widest = 0
    lo = 0
    while lo < hits:
        hi = lo + 1
        while hi < hits and rows[hi] == rows[lo]:
            hi += 1
        widest = max(widest, hi - lo)
        lo = hi
    size = 16
    while size < 4 * widest:
        size *= 2
    table = np.full(size, -1, np.int64)
    scratch = np.empty((2, widest), np.float64)
    scoring = eta.size > 0
    kept = 0 if scoring else hits
    e_rows = np.empty(kept, np.int64)
    e_cols = np.empty(kept if kept else widest, np.int64)
    e_vals = np.empty(kept if kept else widest, np.float64)
    entries = 0
    lo = 0
    while lo < hits:
        hi = lo + 1
        while hi < hits and rows[hi] == rows[lo]:
            hi += 1
        got = _group_row(
            lo, hi, cols, is_char, values, base_bits, bits, word_weight, words_only,
            table, scratch, e_cols[entries:], e_vals[entries:],
        )  # fmt: skip
        if scoring:
            r = rows[lo]
            for e in range(got):
                for j in range(eta.shape[1]):
                    eta[r, j] += e_vals[e] * weights[e_cols[e], j]
        else:
            e_rows[entries : entries + got] = rows[lo]
            entries += got
        lo = hi
    return e_rows[:entries], e_cols[:entries], e_vals[:entries]


def _steps() -> tuple[npt.NDArray[np.float64], npt.NDArray[np.float64]]:
    """What the i-th occurrence of an n-gram adds to ``1 + log(count)`` and to its square
    (i < 256; 0 for none): the sums telescope to the counted value and its square."""
    i = np.arange(256, dtype=np.float64)
    f = np.where(i > 0, 1.0 + np.log(np.maximum(i, 1.0)), 0.0)
    return np.diff(f, prepend=0.0), np.diff(f * f, prepend=0.0)


STEP, STEP_SQUARED = _steps()


@kernel
def _counter(g: Any, col: Any, base_bits: int, to_slot: Any) -> Any:  # pragma: no cover
    """A hit's counter: the top bits of the hash of its kind and base column."""
    return np.uint64((np.uint64((g << base_bits) | col) * _MIX) >> to_slot)


@kernel
def _tally(count: Any, used: Any, u: Any, slot: Any, value: Any) -> Any:  # pragma: no cover
    """A hit counted in ``count[slot]`` (its slot noted in ``used[u]``, to be cleared after
    its text): if it is an n-gram's i-th in its text, ``value * (f(i) - f(i - 1))`` and
    ``value**2 * (f(i)**2 - f(i - 1)**2)``, f(i) = 1 + log(i)."""
    i = np.int64(count[slot]) + 1
    if i > 65535:  # never, at MAX_CHARS (4,000) a text; kept in range
        i = np.int64(65535)
    count[slot] = i
    used[u] = slot
    v = np.float64(value)
    if i < STEP.size:  # unsigned indices: numba adds no test for a negative one (-1: the last)
        return v * STEP[np.uint64(i)], v * v * STEP_SQUARED[np.uint64(i)]
    # an n-gram seen 256 times or more in one text: rare
    return v * (np.log(i) - np.log(i - 1)), v * v * (
        (1 + np.log(i)) ** 2 - (1 + np.log(i - 1)) ** 2
    )


@kernel
def _text_end(rows: Any, lo: int) -> Any:  # pragma: no cover - compiled
    """Where the text of the hit at ``lo`` ends (its hits are together)."""
    hi = lo
    while hi < rows.size and rows[hi] == rows[lo]:
        hi += 1
    return hi


@kernel
def _room(used: Any, n: int) -> Any:  # pragma: no cover - compiled
    """``used``, or a larger one when a text has more than it holds."""
    return used if used.size >= n else np.empty(2 * n, np.uint32)


@kernel
def _cleared(count: Any, used: Any, u: Any) -> None:  # pragma: no cover - compiled
    """The counters a text used back to 0 for the next (faster than hashing its hits again)."""
    for k in range(u):
        count[used[k]] = 0


@kernel
def _the_counters(counters: Any, slots: int) -> Any:  # pragma: no cover - compiled
    """``counters`` when it has enough (all 0, as each text leaves them), else new ones."""
    return counters if counters.size >= 1 << slots else np.zeros(1 << slots, np.uint16)


@kernel
def _counted(
    rows: Any,
    cols: Any,
    is_char: Any,
    values: Any,
    base_bits: int,
    bits: int,
    word_weight: float,
    words_only: bool,
    slots: int,
    counters: Any,
) -> Any:  # pragma: no cover - compiled
    """An adapter's counted features of a batch's hits (text by text, as ``_hits`` makes
    them), counted as they come: the i-th hit of an n-gram in a text adds ``value * (f(i) -
    f(i - 1))``, f(i) = 1 + log(i), so a text's n-gram seen k times adds up to ``(1 +
    log k) * value``: the sublinear TF-IDF of ``_grouped``, with no table of entries and no
    branch on whether an n-gram was seen. Its square adds up so too, which gives each text's
    words, and its characters, their unit length (the words then times ``word_weight``).

    The counts live in ``2**slots`` counters a text, an n-gram's chosen by the hash of its
    base column: two n-grams of one text that share a counter are counted together, as if
    one (a few of a comment's several hundred; the adapter trains on the same features it
    scores, so they agree). The counters are cleared after each text: a text's features
    depend on its own hits alone, whatever else is in the batch.

    One entry per hit (row, column in ``2 << bits``, value), duplicates to be summed, for
    training; ``_counted_scores`` scores with the same features."""
    hits = rows.size
    shift = base_bits - bits
    to_slot = np.uint64(64 - slots)
    count = _the_counters(counters, slots)
    e_rows = np.empty(hits, np.int64)
    e_cols = np.empty(hits, np.int64)
    e_vals = np.empty(hits, np.float64)
    entries = 0
    used = np.empty(256, np.uint32)  # the counters a text used
    lo = 0
    while lo < hits:
        hi = _text_end(rows, lo)
        used = _room(used, hi - lo)
        words = chars = 0.0  # the squares' sums
        first = entries
        u = np.uint64(0)
        for signed in range(lo, hi):
            t = np.uint64(signed)
            g = np.int64(is_char[t])
            if words_only and g:
                continue
            x, square = _tally(count, used, u, _counter(g, cols[t], base_bits, to_slot), values[t])
            u += np.uint64(1)
            if g:
                chars += square
            else:
                words += square
            e_rows[entries] = rows[t]
            e_cols[entries] = (cols[t] >> shift) | (g << bits)
            e_vals[entries] = x
            entries += 1
        _cleared(count, used, u)
        words, chars = _unit_scales(words, chars, word_weight)
        for e in range(first, entries):
            e_vals[e] *= chars if e_cols[e] >> bits else words
        lo = hi
    return e_rows[:entries], e_cols[:entries], e_vals[:entries]


@kernel
def _counted_scores(
    rows: Any,
    cols: Any,
    is_char: Any,
    values: Any,
    base_bits: int,
    bits: int,
    word_weight: float,
    words_only: bool,
    slots: int,
    weights: Any,
    eta: Any,
    counters: Any,
) -> None:  # pragma: no cover - compiled
    """``_counted``'s features of a batch's hits times their rows of ``weights`` (``_adapt``
    scales the sums by each label's unit), added into ``eta`` (texts x labels) as they
    come: scoring keeps no entries. A kernel apart from ``_counted``, whose code for entries
    spilled registers to the stack: 0.7 ns of a hit's 6.4."""
    hits = rows.size
    shift = base_bits - bits
    to_slot = np.uint64(64 - slots)
    count = _the_counters(counters, slots)
    m = eta.shape[1]
    more = np.zeros((2, max(m, 3)), np.float64)  # labels past the third, summed in memory
    # the weights as one flat array, a row ``width`` apart: indexing the 2-D array reloaded
    # its stride, spilled to the stack, for each label of each hit (with the tests on
    # negative indices, a quarter of a hit's time)
    width = np.uint64(weights.shape[1])
    flat = weights.reshape(-1)
    used = np.empty(256, np.uint32)
    lo = 0
    while lo < hits:
        hi = _text_end(rows, lo)
        used = _room(used, hi - lo)
        # each sum in a register (one in memory waits on the last hit's store): the words'
        # and the characters' squares, and their parts of the first three labels
        words = chars = 0.0
        w0 = w1 = w2 = c0 = c1 = c2 = 0.0
        more[:] = 0.0
        u = np.uint64(0)
        for signed in range(lo, hi):
            t = np.uint64(signed)
            if signed + AHEAD < hits:
                ahead = np.uint64(signed + AHEAD)
                _prefetch(weights, (cols[ahead] >> shift) | (np.int64(is_char[ahead]) << bits), 0)
            g = np.int64(is_char[t])
            if words_only and g:
                continue
            x, square = _tally(count, used, u, _counter(g, cols[t], base_bits, to_slot), values[t])
            u += np.uint64(1)
            c = np.uint64((cols[t] >> shift) | (g << bits))
            row = c * width
            y0 = x * flat[row]
            y1 = x * flat[row + np.uint64(1)] if m > 1 else 0.0
            y2 = x * flat[row + np.uint64(2)] if m > 2 else 0.0
            if g:
                chars += square
                c0 += y0
                c1 += y1
                c2 += y2
            else:
                words += square
                w0 += y0
                w1 += y1
                w2 += y2
            if m > 3:
                for j in range(3, m):
                    more[g, j] += x * weights[c, j]
        _cleared(count, used, u)
        words, chars = _unit_scales(words, chars, word_weight)
        more[0, 0], more[0, 1], more[0, 2] = w0, w1, w2
        more[1, 0], more[1, 1], more[1, 2] = c0, c1, c2
        r = rows[lo]
        for j in range(m):
            eta[r, j] += words * more[0, j] + chars * more[1, j]
        lo = hi


@kernel
def _adapt(
    p: Any,
    z: Any,
    rows: Any,
    cols: Any,
    is_char: Any,
    values: Any,
    codes: Any,
    shapes: int,
    classes: Any,
    table: Any,
    unit: Any,
    labels: Any,
    a: Any,
    bias: Any,
    coef: Any,
    scale: Any,
    shift: Any,
    clip: float,
    fold: int,
    words_only: bool,
    counted: bool,
    base_bits: int,
    count_words: float,
    slots: int,
    eps: float,
    counters: Any,
) -> Any:  # pragma: no cover - compiled
    """``Adapter.adapt``: each adapted label's logit ``a * base_logit + bias + dense . coef +
    w . x`` (w: ``table`` times the label's ``unit``; dense: the experts' calibrated logits,
    the gate's shares and the first ``shapes`` of ``_shape`` of ``codes``, the texts' code
    points separated by NUL; x: the hits' values in the adapter's columns, ``cols >> fold``,
    or with ``counted`` the counted features: ``_counted``'s with ``slots``, else
    ``_grouped``'s, of hits text by text, as ``_hits`` makes them and ``row_major`` sorts
    others), in float64."""
    n = p.shape[0]
    experts = scale.size
    sources = z.shape[1] - experts
    adapted = labels.size
    eta = np.zeros((n, adapted), np.float64)
    shape = _shape(codes, n, classes, shapes)
    if counted and slots:
        _counted_scores(
            rows, cols, is_char, values, base_bits, base_bits - fold, count_words, words_only,
            slots, table, eta, counters,
        )  # fmt: skip
    elif counted:
        _grouped(
            rows, cols, is_char, values, base_bits, base_bits - fold, count_words, words_only,
            table, eta,
        )  # fmt: skip
    else:
        for t in range(rows.size):
            if words_only and is_char[t]:
                continue
            r = rows[t]
            c = cols[t] >> fold
            v = np.float64(values[t])
            for j in range(adapted):
                eta[r, j] += v * table[c, j]
    dense = np.empty(coef.shape[0], np.float64)
    out = p.copy()
    for r in range(n):
        for k in range(experts):
            dense[k] = min(max(np.float64(z[r, k]) * scale[k] + shift[k], -clip), clip)
        top = z[r, experts]
        for s in range(1, sources):
            top = max(top, z[r, experts + s])
        total = 0.0
        for s in range(sources):
            g = np.exp(np.float64(z[r, experts + s]) - top)
            dense[experts + s] = g
            total += g
        for s in range(sources):
            dense[experts + s] /= total
        for s in range(shape.shape[1]):
            dense[experts + sources + s] = shape[r, s]
        for j in range(adapted):
            q = min(max(np.float64(p[r, labels[j]]), eps), 1 - eps)
            logit = min(max(np.log(q / (1 - q)), -clip), clip)
            e = eta[r, j] * unit[j] + logit * a[j] + bias[j]
            for d in range(dense.size):
                e += dense[d] * coef[d, j]
            out[r, labels[j]] = np.float32(1.0 / (1.0 + np.exp(-e)))
    return out


def adapt(
    p: F32,
    z: F32,
    hits: Hits,
    values: F32,
    codes: bytes | None,
    step: Step,
    scale: F32,
    shift: F32,
) -> F32:
    """``Adapter.adapt`` in one compiled pass: the base's probabilities ``p`` with the adapted
    labels replaced (``codes``: the texts' code points, ``adapter.text_codes``, for the shape
    figures, None for an adapter without them; ``scale`` and ``shift``: the base mixture's
    calibration of its experts)."""
    weighed, switches = _step_arguments(step)
    if step.counts is not None:  # counted text by text (``_score``'s hits come so from _hits)
        hits, values = row_major(hits, values)
    arguments = (
        p, z, hits.rows, hits.cols, hits.is_char.view(np.uint8), values,
        _NO_TEXT if codes is None else codes, *weighed, scale, shift, *switches,
    )  # fmt: skip
    out: F32 = _adapt(*arguments)
    return out


# counted features: the base's bits, the words' weight and the counters' bits (``_counted``;
# 0: ``_grouped``, as adapters stored before the counters were)
Counts = tuple[int, float, int]


@kernel
def _score(
    codes: Any,
    n: int,
    first: int,
    orders: Any,
    kind: Any,
    fold_keys: Any,
    fold_values: Any,
    bits: int,
    marked_words: bool,
    idf: Any,
    word_weight: float,
    weights: Any,
    bias: Any,
    scale: Any,
    shift: Any,
    expert_source: Any,
    expert_label: Any,
    temperature: Any,
    n_labels: int,
    text: Any,
    shapes: int,
    classes: Any,
    table: Any,
    unit: Any,
    labels: Any,
    a: Any,
    a_bias: Any,
    coef: Any,
    clip: float,
    fold: int,
    words_only: bool,
    counted: bool,
    base_bits: int,
    count_words: float,
    slots: int,
    eps: float,
    counters: Any,
) -> Any:  # pragma: no cover - compiled
    """A batch's probabilities in one call: ``_hits``, ``_project`` and ``_mix`` (the base,
    as ``linear`` and ``mix``), then, with adapted ``labels``, ``_adapt`` on the same hits:
    the same kernels on the same arrays, so the same numbers, for one call's set-up instead
    of four (a comment scored alone pays it each time)."""
    rows, cols, is_char = _hits(
        codes, n, first, orders, kind, fold_keys, fold_values, bits, marked_words
    )
    values, z = _project(rows, cols, is_char, n, idf, word_weight, weights, bias)
    experts = scale.size
    p = _mix(
        np.ascontiguousarray(z[:, :experts]), np.ascontiguousarray(z[:, experts:]), scale,
        shift, expert_source, expert_label, temperature, n_labels,
    )  # fmt: skip
    if labels.size == 0:
        return p
    return _adapt(
        p, z, rows, cols, is_char, values, text, shapes, classes, table, unit, labels, a,
        a_bias, coef, scale, shift, clip, fold, words_only, counted, base_bits, count_words,
        slots, eps, counters,
    )  # fmt: skip


_THREAD = threading.local()


def _counters(slots: int) -> npt.NDArray[np.uint16]:
    """This thread's counters for ``_counted`` (all 0 between calls: each text clears the
    ones it used), none for ``slots`` 0. A new array each call cost a comment scored alone
    about 2 µs: zeroing 32 KB, the whole of the core's first-level cache, out of which the
    next steps then missed."""
    if not slots:
        return _NO_COUNTERS
    counters: npt.NDArray[np.uint16] | None = getattr(_THREAD, "counters", None)
    if counters is None or counters.size < 1 << slots:
        counters = np.zeros(1 << max(slots, 14), np.uint16)
        _THREAD.counters = counters
    return counters


class Step(NamedTuple):
    """An adapter's part of ``score``: its text-shape figures and their tables, its weights
    and ``adapt``'s other arguments but the base's pass."""

    shapes: int
    classes: npt.NDArray[np.uint8]
    table: npt.NDArray[np.int8]  # each label's weights in steps of its ``unit`` (``quantized``)
    unit: npt.NDArray[np.float64]
    params: tuple[Any, Any, Any, Any]
    clip: float
    fold: int
    words_only: bool
    counts: Counts | None
    eps: float


# no adapter: arrays of the types an adapter's have, so that ``_score`` is compiled once
_NO_STEP = Step(
    0, np.zeros(1, np.uint8), np.zeros((0, 0), np.int8), np.zeros(0),
    (np.zeros(0, np.int64), np.zeros(0), np.zeros(0), np.zeros((0, 0))), 0.0, 0, False, None,
    0.0,
)  # fmt: skip
_NO_TEXT = b""
_NO_COUNTERS = np.zeros(0, np.uint16)


def score(
    featurizer: Featurizer,
    idf: F32,
    word_weight: float,
    weights: F32,
    bias: F32,
    mixture: tuple[F32, F32, npt.NDArray[np.int64], npt.NDArray[np.int64], F32 | None],
    n_labels: int,
    texts: list[str],
    step: Step | None = None,
    text: bytes | None = None,
) -> F32:
    """The probabilities of ``texts`` (n, labels) in one compiled call: the base's, as
    ``linear`` then ``mix`` give them, or with ``step`` an adapter's, as ``adapt`` gives
    them on that pass (``text``: the texts' code points, for its shape figures)."""
    scale, shift, expert_source, expert_label, temperature = mixture
    t = np.zeros(0, np.float32) if temperature is None else temperature
    weighed, switches = _step_arguments(_NO_STEP if step is None else step)
    arguments = (
        *_batch(featurizer, texts), idf, float(word_weight), weights, bias, scale, shift,
        expert_source, expert_label, t, n_labels, _NO_TEXT if text is None else text,
        *weighed, *switches,
    )  # fmt: skip
    out: F32 = _score(*arguments)
    return out


def _step_arguments(step: Step) -> tuple[tuple[Any, ...], tuple[Any, ...]]:
    """``step`` as ``_adapt`` and ``_score`` take it, on either side of the mixture's scale
    and shift: its shape figures, tables and weights; then its switches and counted
    features (the base's bits, the words' weight, the counters' bits and this thread's
    counters)."""
    labels, a, bias, coef = step.params
    base_bits, count_words, slots = step.counts if step.counts is not None else (0, 0.0, 0)
    weighed = (step.shapes, step.classes, step.table, step.unit, labels, a, bias, coef)
    switches = (
        float(step.clip),
        step.fold,
        step.words_only,
        step.counts is not None,
        base_bits,
        float(count_words),
        slots,
        float(step.eps),
        _counters(slots),
    )
    return weighed, switches


def _batch(featurizer: Featurizer, texts: list[str]) -> tuple[Any, ...]:
    """``_hits``' arguments for a batch: its channels' code points and the featurizer's."""
    marked, plain = channels(texts)
    codes = np.concatenate((marked, _NUL, plain))
    config, fold = featurizer.config, featurizer.fold
    return (
        codes,
        len(texts),
        marked.size + 1,
        featurizer.orders,
        KIND,
        fold.keys,
        fold.values,
        config.bits,
        config.marked_words,
    )


def row_major(hits: Hits, values: F32) -> tuple[Hits, F32]:
    """The hits text by text (as ``linear`` makes them; others are sorted so, stably)."""
    if _row_major(hits.rows):
        return hits, values
    order = np.argsort(hits.rows, kind="stable")
    rows, cols, is_char = hits.rows[order], hits.cols[order], hits.is_char[order]
    return Hits(rows, cols, is_char, hits.n_rows), values[order]


@kernel
def _row_major(rows: Any) -> bool:  # pragma: no cover - compiled
    for t in range(1, rows.size):  # noqa: SIM110 (numba compiles no generator)
        if rows[t] < rows[t - 1]:
            return False
    return True


def grouped(
    hits: Hits,
    values: F32,
    base_bits: int,
    bits: int,
    word_weight: float,
    words_only: bool,
    slots: int = 0,
) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.float64]]:
    """Rows, columns (``2 << bits`` of them) and values of an adapter's counted features, for
    training: ``_counted``'s with ``slots`` (one entry per hit, duplicates to be summed),
    else ``_grouped``'s."""
    hits, values = row_major(hits, values)
    rows, cols, is_char = hits.rows, hits.cols, hits.is_char.view(np.uint8)
    none_w, none_eta = np.zeros((0, 0), np.float32), np.zeros((0, 0))
    out: tuple[Any, Any, Any]
    if slots:
        out = _counted(
            rows, cols, is_char, values, base_bits, bits, float(word_weight), words_only, slots,
            _counters(slots),
        )  # fmt: skip
    else:
        out = _grouped(
            rows, cols, is_char, values, base_bits, bits, float(word_weight), words_only, none_w,
            none_eta,
        )  # fmt: skip
    return out


@kernel
def _class(classes: Any, c: Any) -> Any:  # pragma: no cover - compiled
    """Code point ``c``'s class in ``classes`` (``adapter.CLASSES``): 1 a letter, 2 a letter
    or a digit (3 both), as ``str.isalpha`` and ``str.isalnum`` say."""
    k = np.uint64(min(c, 0x10000))
    return (classes[k >> np.uint64(2)] >> ((k & np.uint64(3)) << np.uint64(1))) & 3


@kernel
def code_points(text: Any) -> Any:  # pragma: no cover - compiled
    """``adapter.text_codes``' bytes as code points (after the byte-order mark; none for no
    bytes)."""
    return np.frombuffer(text, np.uint32)[1:]


@kernel
def _shape(text: Any, n: int, classes: Any, features: int) -> Any:  # pragma: no cover
    """``adapter.text_shape`` of each text (``adapter.text_codes``, texts separated by NUL):
    the logs of 1 + length, the longest run of one character, the longest run of letters
    and digits, 1 + line breaks and 1 + runs of three or more of one letter; the first
    ``features``."""
    if features == 0:
        return np.zeros((n, 0), np.float64)
    codes = code_points(text)
    out = np.empty((n, 5), np.float64)
    row = 0
    length = breaks = stretched = 0.0
    longest = longest_word = 1.0
    run = 0  # the current run of one character
    word = 0  # the current run of letters and digits
    last: Any = 0
    for i in range(codes.size + 1):
        c = np.int64(codes[np.uint64(i)]) if i < codes.size else 0
        kind = _class(classes, c)
        if run and c != last:  # a run ends (as the text does, at a NUL)
            longest = max(longest, run)
            if run >= 3 and _class(classes, last) & 1:
                stretched += 1.0
            run = 0
        if word and (c == 0 or not kind & 2):
            longest_word = max(longest_word, word)
            word = 0
        last = c
        if c == 0:  # the text ends
            out[row, 0], out[row, 1], out[row, 2] = length, longest, longest_word
            out[row, 3], out[row, 4] = breaks, stretched
            length = breaks = stretched = 0.0
            longest = longest_word = 1.0
            row += 1
            continue
        length += 1.0
        run += 1
        if kind & 2:
            word += 1
        if c == 10:
            breaks += 1.0
    logs = np.empty((n, features), np.float64)
    for r in range(n):
        for k in range(features):
            logs[r, k] = np.log(out[r, k] + (0.0 if k in (1, 2) else 1.0))
    return logs


def shape(
    text: bytes, n: int, classes: npt.NDArray[np.uint8], features: int
) -> npt.NDArray[np.float64]:
    """``_shape``: (n, features)."""
    out: npt.NDArray[np.float64] = _shape(text, n, classes, features)
    return out


def mix(
    z: F32,
    gate: F32,
    scale: F32,
    shift: F32,
    expert_source: npt.NDArray[np.int64],
    expert_label: npt.NDArray[np.int64],
    temperature: F32 | None,
    n_labels: int,
) -> F32:
    """``Mixture.apply`` in one compiled pass. The logits are made contiguous first: slices
    of a batch's logits are laid out otherwise than one text's, and each layout would be
    compiled apart, the second one during a request."""
    t = np.zeros(0, np.float32) if temperature is None else temperature
    z, gate = np.ascontiguousarray(z), np.ascontiguousarray(gate)
    out: F32 = _mix(z, gate, scale, shift, expert_source, expert_label, t, n_labels)
    return out


def linear(
    featurizer: Featurizer,
    idf: F32,
    word_weight: float,
    weights: F32,
    bias: F32,
    texts: list[str],
) -> tuple[Hits, F32, F32]:
    """The hits of ``texts``, their values and the logits (bias included): what
    ``Featurizer.hits``, ``Weighting.values`` and ``project`` compute, in one pass."""
    n = len(texts)
    rows, cols, is_char = _hits(*_batch(featurizer, texts))
    values, z = _project(rows, cols, is_char, n, idf, float(word_weight), weights, bias)
    return Hits(rows, cols, is_char.view(np.bool_), n), values, z
