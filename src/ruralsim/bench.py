"""Measured speed: household-months per second, memory per household, run and sweep times.

``ruralsim bench`` (and the scripts in ``benchmarks/``) print numbers; no test asserts a time.

- Household throughput: the Nanpu scenario scaled to 10^4, 10^5 and 10^6 households (every
  village, phase, cost and revenue scaled), 240 months, one process per run so that its peak
  memory is its own.  Model set-up (drawing the population) is inside the timed part.  Each
  size is run three times on each path (compiled, when the extra ``fast`` is installed, and
  numpy alone, ``RURALSIM_COMPILED=0``), alternating with the reference numpy kernel of the
  canonical workload (:mod:`ruralsim.reference_kernel`, with ``max(28, N // 400)`` villages,
  as its protocol says), and the medians are compared: the ratio of ruralsim's time per
  household-month to the kernel's is the number to watch on a shared, noisy machine.
- Memory per household: the growth of peak RSS between the smallest and each larger size.
- End to end: ``ruralsim run`` of the built-in scenario with figures, as a user runs it.
- Replications: Nanpu runs per second on a process pool, and the executor's overhead.
"""
from __future__ import annotations

import json
import os
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HORIZON = 240
REPEATS = 3


def scaled_nanpu(households: int) -> dict:
    """The Nanpu scenario with villages, phases, sections, facilities, builders, costs and
    revenues scaled to ``households``."""
    from .scenario.load import load_scenario

    data = load_scenario("nanpu").model.model_dump(mode="python")
    total = sum(v["households"] for v in data["villages"])
    f = households / total
    for v in data["villages"]:
        v["households"] = max(1, round(v["households"] * f))
        v["maintenance_cny_per_month"] *= f
    for c in data["communities"]:
        for ph in c["phases"]:
            for k in ph["units"]:
                ph["units"][k] = round(ph["units"][k] * f)
            ph["public_cost_cny"] *= f
        for sec in c.get("sections") or ():   # supply.mode demand (model 3.0)
            sec["plots"] = round(sec["plots"] * f)
            sec["building_sites"] = round(sec["building_sites"] * f)
            sec["cost_cny"] *= f
        for fac in c.get("facilities") or ():
            fac["cost_cny"] *= f
    sup = data.get("supply")
    if sup:   # local builders and the occupied homes a community needs to look lived-in
        b = sup["builders"]
        b["initial_capacity"] *= f
        if b["max_capacity"] is not None:
            b["max_capacity"] *= f
        sup["view"]["homes_scale"] *= f
    gov = data["government"]
    gov["opening_cash_cny"] *= f
    gov["borrowing"]["limit_cny"] *= f
    gov["arrears"]["cap_cny"] *= f
    gov["developer"]["credit_limit_cny"] *= f
    for r in gov["revenues"]:
        r["amount_cny"] *= f
    for e in data["policy"]["events"]:
        e["cost_cny"] *= f
    data["run"]["horizon_months"] = HORIZON
    return data


def one_size(households: int) -> dict:
    """Run one scaled scenario in this process and measure it (set-up included)."""
    from .model import Model
    from .scenario.load import load_scenario

    from .compiled import warm_up

    sc = load_scenario(scaled_nanpu(households)).model
    warm_up()     # the compiled kernels load from their cache once per process (start_up())
    import scipy.special  # noqa: F401  (imported by the set-up on first use: an import, as
    #                       numpy's for the reference kernel, is not the model's set-up)
    t0, c0 = time.perf_counter(), time.process_time()
    m = Model(sc, 1)
    t1 = time.perf_counter()
    m.run()
    t2, c2 = time.perf_counter(), time.process_time()
    n = m.hh.n
    from .compiled import PATH

    return {"path": PATH, "households": n, "months": HORIZON, "setup_s": t1 - t0, "seconds": t2 - t0,
            "cpu_s": c2 - c0,
            "hh_months_per_s": n * HORIZON / (t2 - t0),
            "peak_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            "state_bytes_per_hh": m.hh.nbytes() / n}


def reference(households: int) -> dict:
    """Run the reference kernel once in its own process (its protocol: V = max(28, N // 400));
    its wall time and its CPU time (``run`` of the vendored module, timed as its ``main``
    times it)."""
    code = ("import json, sys, time; from ruralsim.reference_kernel import run; "
            "n, v = int(sys.argv[1]), int(sys.argv[2]); "
            "t, c = time.perf_counter(), time.process_time(); run(n, v, %d, 1); "
            "print(json.dumps({'seconds': time.perf_counter() - t, "
            "'cpu_s': time.process_time() - c}))" % HORIZON)
    out = subprocess.run([sys.executable, "-c", code, str(households),
                          str(max(28, households // 400))],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def paths() -> list[str]:
    """The paths to measure: compiled (when numba is installed) and numpy."""
    import importlib.util

    return (["compiled"] if importlib.util.find_spec("numba") else []) + ["numpy"]


def _one_run(n: int, path: str) -> dict:
    env = dict(os.environ, RURALSIM_COMPILED="1" if path == "compiled" else "0")
    out = subprocess.run([sys.executable, "-m", "ruralsim.bench", "--one", str(n)], env=env,
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def households_table(sizes=(10_000, 100_000, 1_000_000), repeats: int = REPEATS,
                     on: list[str] | None = None) -> list[dict]:
    """Each size ``repeats`` times on each path, alternating with the reference kernel;
    medians.  One row per size and path."""
    on = on or paths()
    rows = []
    for n in sizes:
        ours: dict[str, list[dict]] = {p: [] for p in on}
        ref = []
        for _ in range(repeats):
            for p in on:
                ours[p].append(_one_run(n, p))
            ref.append(reference(n))
        for p in on:
            runs = ours[p]
            med = statistics.median(o["seconds"] for o in runs)
            row = min(runs, key=lambda r: abs(r["seconds"] - med))
            row = dict(row, seconds=med, reference_s=statistics.median(r["seconds"] for r in ref),
                       cpu_s=statistics.median(o["cpu_s"] for o in runs),
                       reference_cpu_s=statistics.median(r["cpu_s"] for r in ref))
            row["hh_months_per_s"] = row["households"] * HORIZON / row["seconds"]
            row["ratio"] = row["seconds"] / row["reference_s"]
            row["cpu_ratio"] = row["cpu_s"] / row["reference_cpu_s"]
            row["peak_rss_mb"] = max(o["peak_rss_mb"] for o in runs)
            rows.append(row)
    for p in on:
        mine = [r for r in rows if r["path"].startswith(p)]
        base = mine[0]
        for r in mine[1:]:
            r["bytes_per_hh"] = ((r["peak_rss_mb"] - base["peak_rss_mb"]) * 2**20
                                 / max(1, r["households"] - base["households"]))
    return rows


def start_up() -> dict:
    """Seconds to load the compiled kernels in a new process: from the on-disk cache (warm)
    and compiling them anew (cold, with an empty cache directory)."""
    code = ("import time; t = time.perf_counter(); from ruralsim import compiled; "
            "compiled.warm_up(); print(time.perf_counter() - t)")
    out = {}
    with tempfile.TemporaryDirectory() as d:
        for label, extra in (("cold", {"NUMBA_CACHE_DIR": d}), ("warm", {"NUMBA_CACHE_DIR": d})):
            env = dict(os.environ, **extra)
            out[label] = float(subprocess.run([sys.executable, "-c", code], env=env,
                                              capture_output=True, text=True,
                                              check=True).stdout)
    return out


def end_to_end_run() -> float:
    """Seconds for ``ruralsim run`` of the built-in scenario, figures included."""
    with tempfile.TemporaryDirectory() as d:
        t0 = time.perf_counter()
        subprocess.run([sys.executable, "-m", "ruralsim.cli", "run", "--out", str(Path(d) / "o"),
                        "--quiet"], check=True)
        return time.perf_counter() - t0


def replications(reps: int = 200, workers: int | None = None) -> dict:
    import ruralsim

    from .experiments import make_executor, replicate
    from .experiments.executors import default_workers

    workers = workers or default_workers()
    sc = ruralsim.load_scenario("nanpu")
    ruralsim.simulate(sc, seed=0)
    t0 = time.perf_counter()
    for i in range(10):
        ruralsim.simulate(sc, seed=i)
    direct = (time.perf_counter() - t0) / 10
    with make_executor(workers) as ex:
        t0 = time.perf_counter()
        replicate(sc, reps=reps, seed=1, executor=ex, columns=("n_moved",))
        wall = time.perf_counter() - t0
    per_run = wall * workers / reps
    from .compiled import PATH

    return {"path": PATH, "reps": reps, "workers": workers, "wall_s": wall,
            "runs_per_s": reps / wall,
            "direct_run_s": direct, "overhead": (per_run - direct) / direct}


def report(sizes=(10_000, 100_000, 1_000_000), reps: int = 200, workers: int | None = None,
           out=sys.stdout, repeats: int = REPEATS) -> None:
    p = lambda s: print(s, file=out, flush=True)  # noqa: E731
    p(f"{'path':>24} {'households':>11} {'run s':>7} {'hh-months/s':>12} {'reference s':>11} "
      f"{'x reference':>11} {'x (CPU)':>8} {'peak RSS MB':>12} {'B/hh (RSS)':>11} "
      f"{'state B/hh':>10}")
    for r in households_table(sizes, repeats):
        extra = f"{r['bytes_per_hh']:>11.0f}" if "bytes_per_hh" in r else f"{'-':>11}"
        p(f"{r['path']:>24} {r['households']:>11,} {r['seconds']:>7.2f} "
          f"{r['hh_months_per_s']:>12.3g} "
          f"{r['reference_s']:>11.2f} {r['ratio']:>11.2f} {r['cpu_ratio']:>8.2f} "
          f"{r['peak_rss_mb']:>12.0f} {extra} "
          f"{r['state_bytes_per_hh']:>10.0f}")
    p(f"(median of {repeats} runs each, ruralsim's paths and the reference kernel alternated; "
      "set-up included; B/hh = growth of peak RSS over the smallest size per added household)")
    if "compiled" in paths():
        su = start_up()
        p(f"compiled kernels in a new process: {su['cold']:.2f} s compiling (empty cache), "
          f"{su['warm']:.2f} s from the cache")
    p(f"ruralsim run (Nanpu, figures included): {end_to_end_run():.2f} s")
    if reps:
        r = replications(reps, workers)
        p(f"replications ({r['path']}): {r['reps']} Nanpu runs on {r['workers']} workers in {r['wall_s']:.1f} s "
          f"= {r['runs_per_s']:.1f} runs/s; one run {r['direct_run_s'] * 1000:.0f} ms; executor "
          f"overhead {100 * r['overhead']:+.1f}% of a run")


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "--one":
        print(json.dumps(one_size(int(sys.argv[2]))))
