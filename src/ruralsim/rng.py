"""Named, seeded random streams with draws indexed by household id.

Each stream is keyed by the run's :class:`numpy.random.SeedSequence` and the
stream's name.  A draw is a pure function of (stream key, id, month): the
SplitMix64 output at counter ``id * 2**24 + month``.  So a household's draw for
"decide in month t" does not depend on who else is eligible, and two scenarios
run with one seed share every draw where their policies do not differ
(common random numbers).  Replications use ``SeedSequence.spawn`` children.

Example:
    >>> s = Streams(7)
    >>> u = s.uniform("decide", np.arange(3), month=5)
    >>> bool(((u > 0) & (u < 1)).all()), np.array_equal(u[1:], s.uniform("decide", np.arange(1, 3), 5))
    (True, True)
"""
from __future__ import annotations

import zlib

import numpy as np
from scipy.special import ndtri

_GOLDEN = np.uint64(0x9E3779B97F4A7C15)
_M1 = np.uint64(0xBF58476D1CE4E5B9)
_M2 = np.uint64(0x94D049BB133111EB)
_MONTH_BITS = np.uint64(24)
_TO_UNIT = 2.0 ** -53


def as_seed_sequence(seed: int | np.random.SeedSequence) -> np.random.SeedSequence:
    """A SeedSequence from an int seed (or the sequence itself)."""
    if isinstance(seed, np.random.SeedSequence):
        return seed
    return np.random.SeedSequence(int(seed))


def spawn_seeds(seed: int | np.random.SeedSequence, n: int) -> list[np.random.SeedSequence]:
    """Child seeds for ``n`` replications (never ``seed + i``)."""
    return as_seed_sequence(seed).spawn(n)


def seed_label(seed: int | np.random.SeedSequence) -> str:
    """A printable, reproducible label of a seed (entropy and spawn key)."""
    ss = as_seed_sequence(seed)
    if not ss.spawn_key:
        return str(ss.entropy)
    return f"{ss.entropy}/" + "/".join(str(k) for k in ss.spawn_key)


def _mix(z: np.ndarray) -> np.ndarray:
    z = (z ^ (z >> np.uint64(30))) * _M1
    z = (z ^ (z >> np.uint64(27))) * _M2
    return z ^ (z >> np.uint64(31))


class Streams:
    """Counter-based uniform and normal draws for named streams of one run."""

    def __init__(self, seed: int | np.random.SeedSequence):
        self.seed = as_seed_sequence(seed)
        self._keys: dict[str, np.uint64] = {}

    def key(self, name: str) -> np.uint64:
        """The 64-bit key of stream ``name`` (stable across processes and platforms)."""
        if name not in self._keys:
            ss = np.random.SeedSequence(self.seed.entropy,
                                        spawn_key=tuple(self.seed.spawn_key) + (zlib.crc32(name.encode()),))
            self._keys[name] = ss.generate_state(1, np.uint64)[0]
        return self._keys[name]

    def bits(self, name: str, ids: np.ndarray, month: int = 0) -> np.ndarray:
        """64 random bits per id for (stream, month)."""
        ctr = (np.asarray(ids, dtype=np.uint64) << _MONTH_BITS) | np.uint64(month)
        with np.errstate(over="ignore"):
            return _mix(self.key(name) + ctr * _GOLDEN)

    def uniform(self, name: str, ids: np.ndarray, month: int = 0) -> np.ndarray:
        """Uniform draws in the open interval (0, 1), one per id."""
        b = self.bits(name, ids, month) >> np.uint64(11)
        return (b.astype(np.float64) + 0.5) * _TO_UNIT

    def normal(self, name: str, ids: np.ndarray, month: int = 0) -> np.ndarray:
        """Standard normal draws, one per id (inverse CDF of :meth:`uniform`)."""
        return ndtri(self.uniform(name, ids, month))
