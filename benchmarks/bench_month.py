"""The model's fixed cost per month: Nanpu scaled to 1,000 households, 240 months.

    python benchmarks/bench_month.py            # 1,000 households, 7 alternating repeats
    python benchmarks/bench_month.py 5000 11    # other size and number of repeats

At a thousand households almost nothing of a month's time grows with the households, so the
time per month is the model's fixed cost: Python overhead per step, per-month allocations and
reductions over villages.  Each repeat builds the model (drawing the population) outside the
timed part and runs it; it alternates with the reference numpy kernel of the canonical
workload (:mod:`ruralsim.reference_kernel`, in-process, the same households and months) so
that both see the same load on a shared machine.  Prints the medians in ms per month and
their ratio; nothing is asserted.
"""
from __future__ import annotations

import statistics
import sys
import time

from ruralsim import reference_kernel
from ruralsim.bench import HORIZON, scaled_nanpu
from ruralsim.model import Model
from ruralsim.scenario.load import load_scenario


def ms_per_month(households: int = 1_000, repeats: int = 7) -> dict:
    sc = load_scenario(scaled_nanpu(households)).model
    Model(sc, 0).run()                               # warm up (imports, caches)
    ours, ref, ours_cpu, ref_cpu = [], [], [], []
    for i in range(repeats):
        m = Model(sc, i + 1)
        t0, c0 = time.perf_counter(), time.process_time()
        m.run()
        ours.append((time.perf_counter() - t0) / HORIZON * 1e3)
        ours_cpu.append((time.process_time() - c0) / HORIZON * 1e3)
        t0, c0 = time.perf_counter(), time.process_time()
        reference_kernel.run(households, max(28, households // 400), HORIZON, i + 1)
        ref.append((time.perf_counter() - t0) / HORIZON * 1e3)
        ref_cpu.append((time.process_time() - c0) / HORIZON * 1e3)
    return {"households": m.hh.n, "months": HORIZON, "ms_per_month": statistics.median(ours),
            "reference_ms_per_month": statistics.median(ref), "all_ms": ours, "ref_all_ms": ref,
            "cpu_ms_per_month": statistics.median(ours_cpu),
            "reference_cpu_ms_per_month": statistics.median(ref_cpu)}


if __name__ == "__main__":
    n = int(sys.argv[1]) if len(sys.argv) > 1 else 1_000
    reps = int(sys.argv[2]) if len(sys.argv) > 2 else 7
    r = ms_per_month(n, reps)
    print(f"{r['households']} households x {r['months']} months, median of {reps}:")
    print(f"  ruralsim          {r['ms_per_month']:.3f} ms/month "
          f"(runs: {', '.join(f'{x:.3f}' for x in r['all_ms'])})")
    print(f"  reference kernel  {r['reference_ms_per_month']:.3f} ms/month")
    print(f"  ratio             {r['ms_per_month'] / r['reference_ms_per_month']:.1f}x")
    print(f"  CPU               {r['cpu_ms_per_month']:.3f} ms/month against "
          f"{r['reference_cpu_ms_per_month']:.3f} "
          f"({r['cpu_ms_per_month'] / r['reference_cpu_ms_per_month']:.1f}x)")
    try:
        from ruralsim.compiled import PATH
    except ImportError:   # a version before the compiled path
        PATH = "numpy"
    print(f"  path              {PATH}")
