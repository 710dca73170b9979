"""How much memory a run needs, and how much this process may use.

:func:`estimate_bytes` adds up every array a run allocates, entity by entity: the
households' state and working arrays, the villages and phases, the monthly records
(months x columns) and the records by village (villages x months x columns), including
the tables written from them. :func:`memory_limit` finds the smallest limit that applies:
physical memory, a container's cgroup limit (v2 ``memory.max``, v1
``memory.limit_in_bytes``) and ``ulimit -v`` (``RLIMIT_AS``). The loader refuses a
scenario whose estimate exceeds :data:`USABLE_SHARE` of that limit.

The constants below are measured by benchmarks (``python benchmarks/bench_footprint.py``
fits them to the traced peak of load + run + write); update them when state.py or
results.py changes.

Example:
    >>> from ruralsim import load_scenario
    >>> sc = load_scenario("scenarios/teaching.yaml").model
    >>> 100_000 < estimate_bytes(sc) < 20_000_000
    True
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any

# Measured by benchmarks; update when state.py changes. Each is the fitted traced peak
# per entity (benchmarks/bench_footprint.py) plus about 20% for allocator overhead; the
# household figure was raised for model 2.0 (peak RSS growth about 350 bytes per household
# at 10^6 households, ``ruralsim bench``).
#: Per run: buffers that do not grow with the scenario (pandas writes CSVs in chunks of
#: about 100,000 cells, formatted as Python strings).
BYTES_PER_RUN = 8 * 2**20
#: Per household: state (state.Households), the engine's per-household arrays and the
#: working arrays of a month's decisions.
BYTES_PER_HOUSEHOLD = 400
#: Per village: its validated scenario entry, state arrays and names.
BYTES_PER_VILLAGE = 1_000
#: Per construction phase: its scenario entry and state arrays.
BYTES_PER_PHASE = 5_000
#: Per month and column of the monthly records (timeseries.csv and the engine's flows).
BYTES_PER_MONTH_COLUMN = 100
#: Per village, month and column of the records by village (villages.csv).
BYTES_PER_VILLAGE_MONTH_COLUMN = 12
#: Share of the memory limit one run may plan to use (the rest: interpreter, libraries,
#: copies made while writing outputs and figures).
USABLE_SHARE = 0.5

#: Columns of the monthly records that do not depend on the scenario's lists.
MONTHLY_FIXED_COLUMNS = 75
#: Columns of the records by village that do not depend on the household types.
VILLAGE_MONTHLY_FIXED_COLUMNS = 16


def counts(sc: Any) -> dict[str, int]:
    """The entity counts the estimate is made of (households, villages, phases, months,
    columns of the monthly records and of the records by village)."""
    types = len(sc.household_types)
    instruments = len(sc.policy.instruments)
    return {
        "households": sum(v.households for v in sc.village_list),
        "villages": len(sc.village_list),
        "phases": sum(len(c.phases) for c in sc.communities),
        "months": sc.run.horizon_months + sc.land.reclaim_lag_months
        + sc.land.quota.sale_lag_months + 2,
        # households by type and status (six statuses, exposed, stranded), revenue and
        # expenditure lines, instrument flows
        "monthly_columns": MONTHLY_FIXED_COLUMNS + 8 * (types + 1)
        + len(sc.government.revenues) + len(sc.policy.awards) + 4 * instruments,
        # present, service, withdrawn, land, due reclamation... and one per household type
        "village_monthly_columns": VILLAGE_MONTHLY_FIXED_COLUMNS + 2 * types,
    }


def estimate_bytes(sc: Any) -> int:
    """Bytes a run of the validated scenario ``sc`` allocates at its peak (an upper estimate)."""
    c = counts(sc)
    return int(BYTES_PER_RUN + c["households"] * BYTES_PER_HOUSEHOLD
               + c["villages"] * BYTES_PER_VILLAGE
               + c["phases"] * BYTES_PER_PHASE
               + c["months"] * c["monthly_columns"] * BYTES_PER_MONTH_COLUMN
               + c["villages"] * c["months"] * c["village_monthly_columns"]
               * BYTES_PER_VILLAGE_MONTH_COLUMN)


# ------------------------------------------------------------------ limits
def physical_memory() -> int:
    """Bytes of physical memory (0 when unknown)."""
    try:
        return os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    except (ValueError, OSError, AttributeError):
        return 0


#: A cgroup limit at or above this is "no limit" (v1 writes 2**63 rounded to a page).
_UNLIMITED = 2**60


def cgroup_limit(proc_cgroup: str | Path = "/proc/self/cgroup",
                 root: str | Path = "/sys/fs/cgroup") -> tuple[int, str] | None:
    """The memory limit of this process's cgroup and the file it was read from, or None.

    cgroup v2: the smallest ``memory.max`` of the process's cgroup and its ancestors;
    cgroup v1: ``memory.limit_in_bytes`` of the memory controller's cgroup (or of the
    mount's root, as seen inside a container).
    """
    root = Path(root)
    try:
        lines = Path(proc_cgroup).read_text(encoding="utf-8", errors="replace").splitlines()
    except OSError:
        return None
    found: list[tuple[int, str]] = []
    for ln in lines:
        parts = ln.split(":", 2)
        if len(parts) != 3:
            continue
        _, controllers, rel = parts
        rel = rel.strip().lstrip("/")
        if controllers == "":   # v2 unified hierarchy
            base = root / "unified" if (root / "unified" / "cgroup.controllers").exists() else root
            d = base / rel
            while True:
                found += _limit_file(d / "memory.max")
                if d == base or base not in d.parents:
                    break
                d = d.parent
        elif "memory" in controllers.split(","):
            for d in (root / "memory" / rel, root / "memory"):
                hit = _limit_file(d / "memory.limit_in_bytes")
                if hit:
                    found += hit
                    break
    return min(found) if found else None


def _limit_file(path: Path) -> list[tuple[int, str]]:
    try:
        text = path.read_text(encoding="ascii").strip()
    except (OSError, UnicodeDecodeError):
        return []
    if not text.isdigit():   # "max": no limit
        return []
    value = int(text)
    return [(value, str(path))] if 0 < value < _UNLIMITED else []


def address_space_limit() -> tuple[int, str] | None:
    """Bytes of address space still free under ``ulimit -v`` (RLIMIT_AS), or None."""
    try:
        import resource
    except ImportError:   # pragma: no cover - Windows
        return None
    try:
        soft, _hard = resource.getrlimit(resource.RLIMIT_AS)
    except (OSError, ValueError):
        return None
    if soft == resource.RLIM_INFINITY or soft <= 0:
        return None
    used = _address_space_used()
    free = max(0, soft - used)
    return free, (f"ulimit -v (address space) of {soft / 2**30:.1f} GiB, "
                  f"{free / 2**30:.1f} GiB of it still free")


def _address_space_used() -> int:
    try:
        pages = int(Path("/proc/self/statm").read_text().split()[0])
        return pages * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError, AttributeError):
        return 0


def memory_limit() -> tuple[int, str] | None:
    """The smallest memory limit that applies to this process, with a description of it:
    physical memory, the container's cgroup limit or ``ulimit -v``. None when unknown."""
    found: list[tuple[int, str]] = []
    phys = physical_memory()
    if phys:
        found.append((phys, "physical memory"))
    cg = cgroup_limit()
    if cg:
        found.append((cg[0], f"container (cgroup) limit {cg[1]}"))
    asl = address_space_limit()
    if asl:
        found.append(asl)
    return min(found) if found else None


def check(sc: Any) -> str | None:
    """A message if a run of ``sc`` would not fit in :data:`USABLE_SHARE` of the memory
    limit, else None."""
    need = estimate_bytes(sc)
    limit = memory_limit()
    if limit is None or need <= USABLE_SHARE * limit[0]:
        return None
    c = counts(sc)
    return (f"{c['households']:,} households, {c['villages']:,} villages, "
            f"{sc.run.horizon_months:,} months need about {need / 2**30:.1f} GiB of memory; "
            f"the limit found is {limit[0] / 2**30:.1f} GiB ({limit[1]}) and a run may use "
            f"{USABLE_SHARE:.0%} of it. Reduce households, villages or run.horizon_months, or "
            "run where more memory is available / 内存不足")
