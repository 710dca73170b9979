"""Runs per second for replications of the Nanpu scenario, and the executor's overhead.

    python benchmarks/bench_replications.py          # 1000 replications on all cores
    python benchmarks/bench_replications.py 200 2    # 200 replications on 2 workers

Prints: wall time and runs/s on the process pool; the mean time of one run called
directly; and the overhead of the executor per run as a share of a run
(pool time x workers / runs - direct run time) / direct run time.
Also CPU seconds per run, of this process (direct) and of the pool's workers (read when the
pool has ended), and the runs per second 2 idle cores would give at that CPU cost: on a
shared, loaded machine wall times mostly measure the load, CPU time much less so.
Target (issue 4): 1,000 Nanpu runs in under 60 s on 2 cores; overhead under 5%.
Target (issue 23): at least 10 Nanpu runs per second on 2 cores with the compiled path.
"""
from __future__ import annotations

import resource
import sys
import time

import ruralsim
from ruralsim.experiments import make_executor, replicate
from ruralsim.experiments.executors import default_workers


def main(argv: list[str]) -> None:
    reps = int(argv[0]) if argv else 1000
    workers = int(argv[1]) if len(argv) > 1 else default_workers()
    sc = ruralsim.load_scenario("nanpu")
    ruralsim.simulate(sc, seed=0)  # warm up
    n_direct = 20
    t0, c0 = time.perf_counter(), time.process_time()
    for i in range(n_direct):
        ruralsim.simulate(sc, seed=i)
    direct = (time.perf_counter() - t0) / n_direct
    direct_cpu = (time.process_time() - c0) / n_direct
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    with make_executor(workers) as ex:
        t0 = time.perf_counter()
        res = replicate(sc, reps=reps, seed=1, executor=ex, columns=("n_moved",))
        wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    pool_cpu = (after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime) / reps
    per_run = wall * workers / reps
    print(f"replications   {reps} on {workers} workers: {wall:.1f} s, {reps / wall:.1f} runs/s "
          f"({len(res.errors)} failed)")
    try:
        from ruralsim.compiled import PATH
    except ImportError:   # a version before the compiled path
        PATH = "numpy"
    print(f"path           {PATH}")
    print(f"CPU per run    direct {direct_cpu * 1000:.0f} ms, in the pool's workers "
          f"{pool_cpu * 1000:.0f} ms (worker start-up included): {2 / pool_cpu:.1f} runs/s on "
          f"2 idle cores")
    print(f"one run direct {direct * 1000:.0f} ms; in the pool {per_run * 1000:.0f} ms of worker "
          f"time per run; overhead {100 * (per_run - direct) / direct:+.1f}% of a run")


if __name__ == "__main__":
    main(sys.argv[1:])
