"""Named, seeded, counter-based random streams (Philox4x32-10), indexed by household id.

Every draw is a pure function of (stream, id, month, slot): the Philox4x32-10 block cipher
(Salmon et al. 2011, "Parallel random numbers: as easy as 1, 2, 3"; the generator behind
Random123, JAX and numpy's ``Philox``) applied to the counter ``(month, id_lo, id_hi, slot)``
under a 64-bit key that belongs to the stream.  The key of a stream is derived from the run's
:class:`numpy.random.SeedSequence` and the stream's name, so:

* a household's draw for "decide in month t" does not depend on who else is drawing, and two
  scenarios run with one seed share every draw where their policies do not differ (common
  random numbers);
* streams are independent by construction: each key selects a different keyed permutation of
  the counter space, not a shifted window of one sequence (the SplitMix64 streams of version
  0.1 added the key to the counter, so two streams could overlap; see CHANGELOG.md);
* replications use ``SeedSequence.spawn`` children, never ``seed + i``.

The implementation is vectorized numpy on uint64 arrays holding 32-bit words, processed in
cache-sized chunks, or, with the extra ``ruralsim[fast]``, a compiled loop
(:mod:`ruralsim.compiled`) that gives the same words; both reproduce the published
known-answer vectors of Random123 (``tests/test_rng.py``).

Example:
    >>> s = Streams(7)
    >>> u = s.uniform("decide", np.arange(3), month=5)
    >>> bool(((u > 0) & (u < 1)).all()), np.array_equal(u[1:], s.uniform("decide", np.arange(1, 3), 5))
    (True, True)
"""
from __future__ import annotations

import operator
import sys
import zlib
from functools import lru_cache

import numpy as np

from . import compiled as _c

# Philox4x32 constants (Random123, philox.h)
_M0 = np.uint64(0xD2511F53)
_M1 = np.uint64(0xCD9E8D57)
_W0 = 0x9E3779B9
_W1 = 0xBB67AE85
_LO = np.uint64(0xFFFFFFFF)
_S32 = np.uint64(32)
_S21 = np.uint64(21)
_S11 = np.uint64(11)
_TO_UNIT = 2.0 ** -53
ROUNDS = 10
#: Elements per block: the working set of one block stays in the CPU cache.
_CHUNK = 1 << 15
#: Largest month or slot a counter word can hold.
MAX_WORD = 0xFFFFFFFF


def philox4x32(c0: np.ndarray, c1: np.ndarray, c2: np.ndarray, c3: np.ndarray,
               k0: int, k1: int, rounds: int = ROUNDS) -> tuple[np.ndarray, ...]:
    """The Philox4x32 block function on uint64 arrays holding 32-bit words.

    Returns the four output words (uint64 arrays with values below 2**32).  ``c*`` are the
    counter words and ``(k0, k1)`` the key.  Known answer (Random123, kat_vectors):

    >>> z = np.zeros(1, np.uint64)
    >>> [hex(int(w[0])) for w in philox4x32(z, z, z, z, 0, 0)]
    ['0x6627e8d5', '0xe169c58d', '0xbc57ac4c', '0x9b00dbd8']
    """
    if _c.ENABLED and np.ndim(c1) == 1 and np.shape(c1) == np.shape(c2) and \
            all(np.ndim(c) == 0 or np.shape(c) == np.shape(c1) for c in (c0, c3)):
        out = _c.philox_words(np.asarray(c1, np.uint64) | (np.asarray(c2, np.uint64) << _S32),
                              np.atleast_1d(np.asarray(c0, np.uint64)),
                              np.atleast_1d(np.asarray(c3, np.uint64)), int(k0) & 0xFFFFFFFF,
                              int(k1) & 0xFFFFFFFF, rounds)
        return out[0], out[1], out[2], out[3]
    # the even words (x0, x2) and the odd words (x1, x3) are each one [2, n] array, so that a
    # round is a few array operations whatever n is (the fixed cost of small draws)
    n = np.broadcast_shapes(np.shape(c0), np.shape(c1), np.shape(c2), np.shape(c3))
    even = np.empty((2,) + n, dtype=np.uint64)
    odd = np.empty((2,) + n, dtype=np.uint64)
    even[0], odd[0], even[1], odd[1] = c0, c1, c2, c3
    keys = _round_keys(int(k0) & 0xFFFFFFFF, int(k1) & 0xFFFFFFFF, rounds)
    mult = _MULT
    if len(n) != 1:
        mult = mult.reshape((2,) + (1,) * len(n))
        keys = keys.reshape((rounds, 2) + (1,) * len(n))
    if _HALVES_IN_PLACE and even.size <= _HALVES_UP_TO:
        # (x0, x1, x2, x3) <- (hi(p1) ^ x1 ^ k0, lo(p1), hi(p0) ^ x3 ^ k1, lo(p0)) with the
        # 32-bit halves of the products p read in place (uint32 views), not shifted and
        # masked: three operations a round.  Two product buffers, because the odd words of a
        # round are the low halves of the previous round's products.
        bufs = (np.empty_like(even), np.empty_like(even))
        halves = [b.view(np.uint32).reshape((2,) + n + (2,))[::-1] for b in bufs]
        his, los = [h[..., 1] for h in halves], [h[..., 0] for h in halves]
        lo = odd
        for r in range(rounds):
            i = r & 1
            np.multiply(even, mult, out=bufs[i])         # p0 = x0 * M0, p1 = x2 * M1
            np.bitwise_xor(his[i], lo, out=even)
            even ^= keys[r]
            lo = los[i]
        odd = lo.astype(np.uint64)
        return even[0], odd[0], even[1], odd[1]
    p = np.empty_like(even)
    hi = np.empty_like(even)
    for r in range(rounds):
        np.multiply(even, mult, out=p)                 # p0 = x0 * M0, p1 = x2 * M1
        # (x0, x1, x2, x3) <- (hi(p1) ^ x1 ^ k0, lo(p1), hi(p0) ^ x3 ^ k1, lo(p0))
        np.right_shift(p, _S32, out=hi)
        np.bitwise_xor(hi[::-1], odd, out=even)
        even ^= keys[r]
        np.bitwise_and(p[::-1], _LO, out=odd)
    return even[0], odd[0], even[1], odd[1]


#: The low half of a uint64 is its first uint32 in memory (little-endian machines).
_HALVES_IN_PLACE = sys.byteorder == "little"
#: Words per block up to which the in-place halves are used: they save operations on small
#: draws (the monthly ones); on large blocks the strided mixed-width reads cost as much.
_HALVES_UP_TO = 1 << 13


#: The multipliers of the even words, as a [2, 1] column (broadcast over the households).
_MULT = np.array([_M0, _M1], dtype=np.uint64).reshape(2, 1)


@lru_cache(maxsize=512)
def _round_keys(k0: int, k1: int, rounds: int) -> np.ndarray:
    """The key of each round (bumped by the Weyl constants), as [rounds, 2, 1] columns: a
    stream's keys are computed once, not per draw (read only)."""
    keys = np.empty((rounds, 2, 1), dtype=np.uint64)
    for r in range(rounds):
        keys[r, 0, 0], keys[r, 1, 0] = k0, k1
        k0, k1 = (k0 + _W0) & 0xFFFFFFFF, (k1 + _W1) & 0xFFFFFFFF
    keys.flags.writeable = False
    return keys


def _unit(hi: np.ndarray, lo: np.ndarray) -> np.ndarray:
    """A double in the open interval (0, 1) from two 32-bit words (53 random bits)."""
    bits = ((hi << _S21) ^ (lo >> _S11))
    # below 2**53, so the int64 view is exact and converts faster than uint64
    return (bits.view(np.int64).astype(np.float64) + 0.5) * _TO_UNIT


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """A SeedSequence from a non-negative integer seed (or the sequence itself).

    Refuses what is not an integer (``1.5``, ``True``, ``"3"``), negative seeds and seeds
    above 2**128 with a ``ValueError`` or ``TypeError`` that names the value.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be a whole number, not {seed!r} ({type(seed).__name__}) "
                        f"/ 随机种子必须是整数")
    value = operator.index(seed)
    if not 0 <= value < 2 ** 128:
        raise ValueError(f"seed must be between 0 and 2**128 - 1, got {value} / 随机种子超出范围")
    return np.random.SeedSequence(value)


def spawn_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """Child seeds for ``n`` replications (never ``seed + i``)."""
    return as_seed_sequence(seed).spawn(n)


def seed_label(seed: int | np.random.SeedSequence) -> str:
    """A printable, reproducible label of a seed (entropy and spawn key)."""
    ss = as_seed_sequence(seed)
    if not ss.spawn_key:
        return str(ss.entropy)
    return f"{ss.entropy}/" + "/".join(str(k) for k in ss.spawn_key)


class Streams:
    """Counter-based uniform and normal draws for the named streams of one run."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.seed = as_seed_sequence(seed)
        self._keys: dict[str, tuple[int, int]] = {}

    def key(self, name: str) -> tuple[int, int]:
        """The 64-bit Philox key of stream ``name`` as two 32-bit words.

        Derived with ``SeedSequence(entropy, spawn_key + (crc32(name),))``: stable across
        processes, platforms and Python hash seeds.
        """
        if name not in self._keys:
            ss = np.random.SeedSequence(self.seed.entropy, spawn_key=tuple(self.seed.spawn_key)
                                        + (zlib.crc32(name.encode()),))
            k0, k1 = ss.generate_state(2, np.uint32)
            self._keys[name] = (int(k0), int(k1))
        return self._keys[name]

    def _counter(self, ids, month, slot) -> tuple[np.ndarray, list]:
        """Ids as int64 and (month, slot) as uint64 numbers or arrays, checked to fit."""
        ids = np.asarray(ids, dtype=np.int64)
        parts = []
        for part in (month, slot):
            if isinstance(part, (int, np.integer)):    # the common case: a plain number
                if not 0 <= part <= MAX_WORD:
                    raise ValueError("month and slot must fit in 32 bits")
                parts.append(np.uint64(part))
                continue
            a = np.asarray(part, dtype=np.int64)
            if a.size and (a.min() < 0 or a.max() > MAX_WORD):
                raise ValueError("month and slot must fit in 32 bits")
            parts.append(a.astype(np.uint64) if a.ndim else np.uint64(a))
        return ids, parts

    def words(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
              slot: int | np.ndarray = 0) -> tuple[np.ndarray, ...]:
        """The four 32-bit output words of Philox at counter (month, id, slot) for each id.

        ``month`` and ``slot`` are numbers or arrays aligned with ``ids``.
        """
        ids, parts = self._counter(ids, month, slot)
        n = ids.shape[0]
        k0, k1 = self.key(name)
        u = ids.view(np.uint64) if ids.flags.c_contiguous else ids.astype(np.uint64)
        if _c.ENABLED:
            out = _c.philox_words(u, np.atleast_1d(parts[0]), np.atleast_1d(parts[1]), k0, k1,
                                  ROUNDS)
            return out[0], out[1], out[2], out[3]
        if n <= _CHUNK:                                 # one block: no copies
            return philox4x32(parts[0], u & _LO, u >> _S32, parts[1], k0, k1)
        out = tuple(np.empty(n, dtype=np.uint64) for _ in range(4))
        for a in range(0, n, _CHUNK):
            blk = u[a:a + _CHUNK]
            c0, c3 = (p[a:a + _CHUNK] if isinstance(p, np.ndarray) else np.full(blk.shape, p)
                      for p in parts)
            res = philox4x32(c0, blk & _LO, blk >> _S32, c3, k0, k1)
            for o, r in zip(out, res):
                o[a:a + _CHUNK] = r
        return out

    def uniform4(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
                 slot: int | np.ndarray = 0) -> tuple[np.ndarray, ...]:
        """Four independent uniform draws in (0, 1) per id, with 32 random bits each (enough
        for initial attributes; one Philox block for all four)."""
        return tuple((w.view(np.int64).astype(np.float64) + 0.5) * 2.0 ** -32
                     for w in self.words(name, ids, month, slot))

    def uniform_packed(self, name: str, ids: np.ndarray, month: int = 0) -> np.ndarray:
        """One uniform per id with 32 random bits, four ids per Philox block.

        The draw of id ``i`` is word ``i % 4`` of the block at counter (month, i // 4): still
        a pure function of (stream, id, month), at a quarter of the cost of :meth:`uniform`
        for draws made for many households at once (yearly income shocks, first thresholds).
        """
        ids = np.asarray(ids, dtype=np.int64)
        if ids.size == 0:
            return np.zeros(0)
        if _c.ENABLED:
            if not 0 <= month <= MAX_WORD:
                raise ValueError("month and slot must fit in 32 bits")
            k0, k1 = self.key(name)
            return _c.philox_packed(np.ascontiguousarray(ids), int(month), k0, k1, ROUNDS)
        lo, hi = int(ids.min()) >> 2, int(ids.max()) >> 2
        if hi - lo < ids.size:
            # dense ids (e.g. most of the population): evaluate every block in their range and
            # gather words directly; the same words as below, without a sort or a 2-D gather
            flat = np.stack(self.words(name, np.arange(lo, hi + 1), month), axis=1).ravel()
            w = flat[ids - 4 * lo]
            return (w.view(np.int64).astype(np.float64) + 0.5) * 2.0 ** -32
        b = ids >> 2
        if b.size > 1 and (np.diff(b) >= 0).all():     # sorted ids: no sort needed
            start = np.concatenate(([True], b[1:] != b[:-1]))   # (np.r_ is slow)
            blocks, inverse = b[start], np.cumsum(start) - 1
        else:
            blocks, inverse = np.unique(b, return_inverse=True)
        words = np.stack(self.words(name, blocks, month))          # [4, blocks]
        w = words[ids & 3, inverse]
        return (w.view(np.int64).astype(np.float64) + 0.5) * 2.0 ** -32

    def uniform2(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
                 slot: int | np.ndarray = 0) -> tuple[np.ndarray, np.ndarray]:
        """Two independent uniform draws in (0, 1) per id (one Philox block each)."""
        w0, w1, w2, w3 = self.words(name, ids, month, slot)
        return _unit(w0, w1), _unit(w2, w3)

    def uniform(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
                slot: int | np.ndarray = 0) -> np.ndarray:
        """Uniform draws in the open interval (0, 1), one per id."""
        if _c.ENABLED:
            ids, parts = self._counter(ids, month, slot)
            u = ids.view(np.uint64) if ids.flags.c_contiguous else ids.astype(np.uint64)
            k0, k1 = self.key(name)
            return _c.philox_unit(u, np.atleast_1d(parts[0]), np.atleast_1d(parts[1]), k0, k1,
                                  ROUNDS)
        w0, w1, _, _ = self.words(name, ids, month, slot)
        return _unit(w0, w1)

    def normal(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
               slot: int | np.ndarray = 0) -> np.ndarray:
        """Standard normal draws, one per id (inverse CDF of :meth:`uniform`)."""
        from scipy.special import ndtri   # scipy.special costs ~0.25 s to import: only here

        return ndtri(self.uniform(name, ids, month, slot))

    def exponential(self, name: str, ids: np.ndarray, month: int | np.ndarray = 0,
                    slot: int | np.ndarray = 0) -> np.ndarray:
        """Unit-rate exponential draws, one per id (``-log U``): thresholds of hazard clocks."""
        return -np.log(self.uniform(name, ids, month, slot))
