"""Measure the memory a run allocates per entity, to keep ``ruralsim/footprint.py`` honest.

For the teaching scenario grown along one dimension at a time (households, villages,
months, phases), the peak of traced allocations (``tracemalloc``: numpy arrays and Python
objects) of loading, running and writing the outputs (without figures) is fitted by least
squares (non-negative) to the terms of :func:`ruralsim.footprint.estimate_bytes`; the fitted
bytes per entity are printed next to the constants in use, and every case's estimate must
stay above its measured peak. Update the constants when state.py or results.py grows.
(``BYTES_PER_RUN`` covers pandas' CSV chunk buffers, which stop growing after about 100,000
cells: a linear fit cannot see such a cost, the small cases' ratios can.)

    python benchmarks/bench_footprint.py
"""
import copy
import gc
import tempfile
import tracemalloc
from pathlib import Path

import numpy as np
from scipy.optimize import nnls

from ruralsim import footprint
from ruralsim.outputs import write_run
from ruralsim.scenario.load import load_scenario
from ruralsim.simulate import simulate


def grown(households: int = 100, villages: int = 6, months: int = 120, phases: int = 2) -> dict:
    data = load_scenario("teaching").model.model_dump(mode="python")
    base = data["villages"]
    data["villages"] = [dict(copy.deepcopy(base[i % len(base)]), name=f"v{i}",
                             households=households) for i in range(villages)]
    for c in data["communities"]:
        c["phases"] = [copy.deepcopy(c["phases"][k % 2]) for k in range(phases)]
        for k, ph in enumerate(c["phases"]):
            ph["min_registered_share"] = 0.0 if k == 0 else 0.3
    data["run"]["horizon_months"] = months
    return data


TERMS = {  # constant name: the entity count it multiplies
    "BYTES_PER_RUN": lambda c: 1,
    "BYTES_PER_HOUSEHOLD": lambda c: c["households"],
    "BYTES_PER_VILLAGE": lambda c: c["villages"],
    "BYTES_PER_PHASE": lambda c: c["phases"],
    "BYTES_PER_MONTH_COLUMN": lambda c: c["months"] * c["monthly_columns"],
    "BYTES_PER_VILLAGE_MONTH_COLUMN":
        lambda c: c["villages"] * c["months"] * c["village_monthly_columns"],
}


def peak(data: dict) -> tuple[int, int, list[int]]:
    """Traced peak of load + run + write, the estimate, and the estimate's entity counts."""
    gc.collect()
    tracemalloc.start()
    sc = load_scenario(data)
    res = simulate(sc, seed=1)
    with tempfile.TemporaryDirectory() as d:
        write_run(res, Path(d), figures=False)
    _, top = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    c = footprint.counts(sc.model)
    return top, footprint.estimate_bytes(sc.model), [f(c) for f in TERMS.values()]


CASES = [dict(), dict(villages=40, months=240, households=20), dict(households=20_000),
         dict(households=60_000), dict(villages=300),
         dict(villages=1200), dict(villages=2000, months=12), dict(months=1200),
         dict(villages=600, months=600),
         dict(phases=200)]

if __name__ == "__main__":
    rows, X, y = [], [], []
    for case in CASES:
        data = grown(**case)
        top, est, terms = peak(data)
        n = sum(v["households"] for v in data["villages"])
        rows.append((case, n, top, est))
        X.append(terms)
        y.append(top)
        print(f"{str(case):35s} households {n:>9,}  traced peak {top / 2**20:8.1f} MiB  "
              f"estimate {est / 2**20:8.1f} MiB  ratio {est / top:5.2f}")
    worst = min(est / top for *_, top, est in rows)
    print(f"smallest estimate / measured: {worst:.2f} (must stay >= 1)")
    fit = nnls(np.array(X, dtype=float), np.array(y, dtype=float))[0]
    for name, value in zip(TERMS, fit):
        print(f"{name:32s} fitted {value:10.1f}   in use {getattr(footprint, name):>8}")
