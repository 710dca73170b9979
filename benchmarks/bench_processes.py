"""Where a month's time goes: CPU time of each process of the month (loop.Model.step).

    python benchmarks/bench_processes.py 1000000        # Nanpu scaled to 10^6 households
    python benchmarks/bench_processes.py 10000 profile  # and a cProfile of the run

The scaled Nanpu workload of ``ruralsim bench`` (240 months); the path is chosen as there
(``RURALSIM_COMPILED=0`` for numpy).  Each process of the month is timed with
``time.process_time`` around its call; set-up (drawing the population) is timed apart.
Prints seconds, ms per month and share of the run by process; nothing is asserted.
"""
from __future__ import annotations

import collections
import sys
import time

from ruralsim.bench import HORIZON, scaled_nanpu
from ruralsim.compiled import warm_up
from ruralsim.model import Model
from ruralsim.scenario.load import load_scenario

PROCESSES = ("_budget", "_calendar_items", "_services", "_decisions", "_giving_up",
             "_allocation", "_moves", "_returns", "_settle", "_construction", "_land",
             "_exposure", "_close")


def by_process(households: int, profile: bool = False) -> dict:
    import scipy.special  # noqa: F401  (an import, not the model's set-up)

    sc = load_scenario(scaled_nanpu(households)).model
    warm_up()
    c0 = time.process_time()
    m = Model(sc, 1)
    setup = time.process_time() - c0
    spent: collections.Counter = collections.Counter()

    def timed(name, f):
        def g(t):
            c = time.process_time()
            f(t)
            spent[name] += time.process_time() - c
        return g

    for name in PROCESSES:
        setattr(m, name, timed(name.lstrip("_"), getattr(m, name)))
    if m.plan is not None:
        m.plan.step = timed("plan", m.plan.step)
    m.rec.record_month = timed("record", m.rec.record_month)
    pr = None
    if profile:
        import cProfile
        pr = cProfile.Profile()
        pr.enable()
    c1 = time.process_time()
    m.run()
    run = time.process_time() - c1
    if pr is not None:
        import pstats
        pr.disable()
        pstats.Stats(pr).sort_stats("tottime").print_stats(40)
    from ruralsim.compiled import PATH
    return {"path": PATH, "households": m.hh.n, "setup_s": setup, "run_s": run,
            "processes": dict(spent.most_common())}


if __name__ == "__main__":
    r = by_process(int(sys.argv[1]) if len(sys.argv) > 1 else 1_000_000, len(sys.argv) > 2)
    run = r["run_s"]
    print(f"{r['path']}: {r['households']:,} households x {HORIZON} months: set-up "
          f"{r['setup_s']:.2f} s, months {run:.2f} s CPU ({run / HORIZON * 1e3:.2f} ms/month)")
    for name, s in r["processes"].items():
        print(f"  {name:>15} {s:8.3f} s {s / HORIZON * 1e3:8.3f} ms/month {100 * s / run:5.1f}%")
    print(f"  {'(loop, calendar)':>15} {run - sum(r['processes'].values()):8.3f} s")
