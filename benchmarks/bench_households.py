"""Household-months per second for the Nanpu scenario scaled to 10^4, 10^5 and 10^6 households.

Each size runs in a fresh process (so peak memory is that run's own) with a 240-month
horizon; figures are not drawn. Prints one line per size.

    python benchmarks/bench_households.py            # 1e4, 1e5, 1e6
    python benchmarks/bench_households.py 1000000    # one size

Targets (issue 2): >= 3e7 household-months/s at 1e6 households on one core; a 1e6-household,
240-month run under 1 GB.
"""
from __future__ import annotations

import json
import resource
import subprocess
import sys
import time

HORIZON = 240


def scaled_nanpu(households: int) -> dict:
    """The Nanpu scenario with every village and phase scaled to ``households`` in total."""
    import ruralsim

    data = ruralsim.load_scenario("nanpu").model.model_dump(mode="python")
    total = sum(v["households"] for v in data["villages"])
    f = households / total
    for v in data["villages"]:
        v["households"] = max(1, round(v["households"] * f))
    for c in data["communities"]:
        for ph in c["phases"]:
            for k in ph["units"]:
                ph["units"][k] = round(ph["units"][k] * f)
            ph["public_cost_cny"] *= f
    data["government"]["opening_cash_cny"] *= f
    data["government"]["borrowing"]["limit_cny"] *= f
    for r in data["government"]["revenues"]:
        r["amount_cny"] *= f
    data["run"]["horizon_months"] = HORIZON
    return data


def one(households: int) -> dict:
    import ruralsim
    from ruralsim.engine import Model

    sc = ruralsim.load_scenario(scaled_nanpu(households)).model
    t0 = time.perf_counter()
    m = Model(sc, 1)
    t1 = time.perf_counter()
    m.run()
    t2 = time.perf_counter()
    n = m.hh.n
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024
    return {"households": n, "months": HORIZON, "init_s": round(t1 - t0, 3),
            "run_s": round(t2 - t1, 3), "hh_months_per_s": n * HORIZON / (t2 - t1),
            "peak_rss_mb": round(rss / 2**20, 1), "state_bytes_per_hh": round(m.hh.nbytes() / n, 1),
            "moved": float((m.hh.status == 4).mean())}


def main(argv: list[str]) -> None:
    if argv and argv[0] == "--one":
        print(json.dumps(one(int(argv[1]))))
        return
    sizes = [int(a) for a in argv] or [10_000, 100_000, 1_000_000]
    print(f"{'households':>11} {'run s':>7} {'hh-months/s':>12} {'peak RSS MB':>12} "
          f"{'state B/hh':>10} {'moved':>6}")
    for n in sizes:
        out = subprocess.run([sys.executable, __file__, "--one", str(n)], capture_output=True,
                             text=True, check=True).stdout
        r = json.loads(out)
        print(f"{r['households']:>11,} {r['run_s']:>7.2f} {r['hh_months_per_s']:>12.3g} "
              f"{r['peak_rss_mb']:>12.0f} {r['state_bytes_per_hh']:>10.0f} {r['moved']:>6.2f}")


if __name__ == "__main__":
    main(sys.argv[1:])
