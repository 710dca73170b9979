"""The optional compiled path: numba kernels of the hot loops, chosen once at import.

With the extra ``ruralsim[fast]`` (numba) installed, the random-number generator, the hazard
step, the yearly savings update and the waiting list's merges run as compiled loops; without
it (or with the environment variable ``RURALSIM_COMPILED=0``) the pure numpy path runs.  Both
paths give the same numbers to the last bit:

* integer work (Philox4x32-10 on 32-bit words, sort keys, positions) is exact in both;
* float arithmetic is the same IEEE operations in the same order and precision (float32
  where numpy works in float32; numba compiles without ``fastmath``, so no operation is fused
  or reordered);
* ``exp``, ``log`` and ``ndtri`` stay numpy's and scipy's own: a compiled ``exp`` can differ in
  the last digit from numpy's vectorized one, so the kernels compute the argument and hand it
  to numpy.

Kernels are compiled on first use and cached on disk (``cache=True``, next to this file or in
``NUMBA_CACHE_DIR``): a new process, a pool worker included, loads them in milliseconds.
``ruralsim bench`` prints which path ran (:data:`PATH`).  ``ruralsim run`` of a scenario
too small for loading the kernels to pay back takes the numpy path unless
``RURALSIM_COMPILED`` is set (:func:`for_one_run`).

Example:
    >>> PATH in ("numpy", f"compiled (numba {NUMBA_VERSION})")
    True
"""
from __future__ import annotations

import os

import numpy as np

#: The environment variable that chooses the path: ``0`` forces numpy.
ENV = "RURALSIM_COMPILED"


def _wanted() -> bool:
    return os.environ.get(ENV, "1").strip().lower() not in ("0", "false", "no", "off")


def _numba_version() -> str | None:
    """numba's version if it is installed (found without importing it: start-up stays fast)."""
    import importlib.metadata
    import importlib.util

    if importlib.util.find_spec("numba") is None:
        return None
    try:
        return importlib.metadata.version("numba")
    except importlib.metadata.PackageNotFoundError:
        return None


NUMBA_VERSION: str | None = _numba_version() if _wanted() else None
#: True when the compiled path runs in this process.
ENABLED = NUMBA_VERSION is not None
#: Which path runs in this process, as printed by ``ruralsim bench``.
PATH = f"compiled (numba {NUMBA_VERSION})" if ENABLED else "numpy"
#: The kernels (:mod:`ruralsim._kernels`), imported when one is first used.
KERNELS = ("philox_words", "philox_unit", "philox_packed", "log_hazard", "accumulate",
           "shock_argument", "yearly_finances", "merge_sorted", "drop_sorted", "drop_positions",
           "first_per_group", "tie_exposure", "tie_sums", "tie_sums_update", "tie_parts",
           "tie_response_term", "keys_in_stage",
           "tie_response_sums", "pairwise_sum")


#: Household-months below which a single run in a fresh process (``ruralsim run``) takes
#: the numpy path unless ``RURALSIM_COMPILED`` asks for one: importing numba and loading the
#: kernels from their cache costs about 0.5 s of CPU, and the kernels save about 0.17 s per
#: Nanpu run (10,900 households x 180 months, 2.0e6 household-months), so they pay back
#: from about 6e6 household-months.  Both paths give the same numbers.
ONE_RUN_PAYS_FROM = 6_000_000


def for_one_run(household_months: int) -> str:
    """Choose the path for a process that makes one run of ``household_months`` (and little
    else): numpy when the path was not chosen by ``RURALSIM_COMPILED`` and the run is too
    small for loading the kernels to pay (:data:`ONE_RUN_PAYS_FROM`).  Call it before the
    model is built; a process that already loaded the kernels keeps them.  Returns
    :data:`PATH`."""
    global ENABLED, PATH
    import sys

    if ENABLED and ENV not in os.environ and household_months < ONE_RUN_PAYS_FROM \
            and f"{__name__.rpartition('.')[0]}._kernels" not in sys.modules:
        ENABLED, PATH = False, "numpy"
    return PATH


def __getattr__(name: str):
    """A kernel on first use: numba is imported and the kernels defined (each is compiled,
    or loaded from the cache, at its first call)."""
    if name in KERNELS and ENABLED:
        from . import _kernels

        globals().update({k: getattr(_kernels, k) for k in KERNELS})
        return globals()[name]
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def warm_up() -> None:
    """Compile (or load from the cache) every kernel now; a no-op on the numpy path."""
    if not ENABLED:
        return
    from . import _kernels as k

    philox_words, philox_unit, philox_packed = k.philox_words, k.philox_unit, k.philox_packed
    log_hazard, accumulate, shock_argument = k.log_hazard, k.accumulate, k.shock_argument
    yearly_finances, merge_sorted, drop_sorted = k.yearly_finances, k.merge_sorted, k.drop_sorted
    drop_positions, first_per_group = k.drop_positions, k.first_per_group
    z = np.zeros(2, np.uint64)
    philox_words(z, z[:1], z[:1], 0, 0, 10)
    philox_unit(z, z[:1], z[:1], 0, 0, 10)
    philox_packed(np.arange(2, dtype=np.int64), 0, 0, 0, 10)
    f = np.zeros(2, np.float32)
    log_hazard(f, np.zeros(2, np.int32), f, f, f, f, f, np.float32(0), np.float32(0),
               np.float32(60), f[:0], f.copy())
    accumulate(f.copy(), f, f)
    d, i8, ix = np.zeros(2), np.zeros(2, np.int8), np.arange(2, dtype=np.int64)
    shock_argument(d, d, d, i8, ix, d.copy())
    yearly_finances(d, d, d, d, d, ix, i8, i8, f, f.copy(), f.copy(), f.copy())
    a = np.arange(2, dtype=np.int64)
    merge_sorted(a, a)
    drop_sorted(a, a[:1])
    drop_positions(a, a[:1])
    first_per_group(a, a)
    b = np.zeros(2, dtype=np.bool_)
    i4 = np.zeros(2, np.int32)   # influence.Ties: status codes (int8) or arange, int32 ties
    for code in (i8, a):
        k.tie_exposure(code, d, a, i4, i4, b, 1.0, d, d, d, a, 2, 2, 2, 1.0, 1.0, 0.0,
                       np.zeros((5, 2)))
    sums = (d.copy(), d.copy(), d.copy(), d.copy())   # influence.Ties.observe and its parts
    k.tie_sums(i8, d, i4, i4, b, 1.0, *sums)
    u8 = np.zeros(1, np.uint64)
    k.tie_sums_update(i8, i8.copy(), u8, u8.copy(), d, i4, i4, b, 1.0, *sums)
    k.tie_response_term(d, d, a, 1.0, f.copy())
    k.keys_in_stage(a, a[:1], a[1:], np.int64(1), i8, np.int8(0), b[:0], np.int64(1))
    k.tie_response_sums(i8, d, a, i4, i4, b, 1.0, d, d, d, a, 2, 1.0, 1.0, 0.0, *sums, b, 0,
                        d, 1.0, d.copy(), np.zeros(4))
    k.pairwise_sum(d)
    k.keys_in_stage(a, a[:1], a[1:], np.int64(1), i8, np.int8(0), b, np.int64(1))
    for live in (b[:0], b):
        k.tie_parts(i8, d, a, i4, i4, b, 1.0, d, d, d, a, 2, 1.0, 1.0, 0.0, *sums, live,
                    np.zeros((5, 2)))
