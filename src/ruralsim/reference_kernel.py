#!/usr/bin/env python3
# Vendored unchanged (but for these comment lines) from the project's shared benchmark
# material, shared/bench/reference_kernel.py, whose WORKLOAD.md defines the workload. It is the
# speed anchor of `ruralsim bench`, which runs it in the same session as ruralsim, alternating
# the two, and reports the ratio of their times.
"""Bare vectorised numpy kernel of the canonical workload (WORKLOAD.md): the physical-limit reference.

All state lives in arrays; the only Python loop is over months. Households still in their old villages
are kept as a compacted index array, so a month costs O(households remaining). The hazard depends on a
household only through its village and its (type, affordable) class, so it is evaluated on a small
V x 10 table and gathered, instead of calling exp() once per household.

The random draws follow the exact protocol in WORKLOAD.md ("Randomness").
"""
from __future__ import annotations

import argparse
import json
import math
import time

import numpy as np

# --- workload constants (WORKLOAD.md) ---------------------------------------------------------------
TYPE_NAMES = ("wealthy", "urgent", "middle", "recent", "poor")
TYPE_PROB = np.array([0.15, 0.10, 0.55, 0.15, 0.05])
TYPE_CUM = np.array([0.15, 0.25, 0.80, 0.95, 1.0])
MEAN_SAVINGS = np.array([300_000.0, 80_000.0, 60_000.0, 40_000.0, 5_000.0])
SAVINGS_SIGMA = 0.5
B_TYPE = np.array([1.0, 1.5, 0.0, -0.5, -1.0])
POOR, RECENT = 4, 3

BASE_RATE = 0.02
W_FRAC, W_SERVICE, W_AFFORD, W_RECENT = 1.5, 2.0, 0.8, -1.2
SUBSIDY = 2_000
HOUSING_COST = 100_000
MAINTENANCE = 20_000
WITHDRAW_AT = 0.6
SERVICE_DECAY = 0.95
RECLAIM_DELAY = 6
MU_PER_HOUSEHOLD = 1.1
QUOTA_PRICE_PER_MU = 200_000
REVENUE_PER_HOUSEHOLD = 220_000  # 1.1 mu x 200,000 yuan/mu, kept integral
INITIAL_CASH = 50_000_000
FIRST_PHASE, PHASE_EVERY, PHASES_DIVISOR = 6, 12, 5


def run(n: int, n_villages: int, months: int, seed: int) -> dict:
    rng = np.random.Generator(np.random.PCG64(seed))

    # --- population ---
    kind = np.searchsorted(TYPE_CUM, rng.random(n), side="right").astype(np.int8)
    mu = np.log(MEAN_SAVINGS) - SAVINGS_SIGMA**2 / 2
    savings = np.exp(mu[kind] + SAVINGS_SIGMA * rng.standard_normal(n))
    affordable = (savings + SUBSIDY >= HOUSING_COST) | (kind == POOR)
    village = (np.arange(n) % n_villages).astype(np.int32)
    size_v = np.bincount(village, minlength=n_villages)

    # class = 2*type + affordable; static part of the utility per class
    klass = (2 * kind.astype(np.int32) + affordable).astype(np.int32)
    kinds10 = np.repeat(np.arange(5), 2)
    aff10 = np.tile(np.array([0.0, 1.0]), 5)
    static10 = B_TYPE[kinds10] + W_AFFORD * aff10 + W_RECENT * (kinds10 == RECENT)
    key = village * 10 + klass  # index into the flattened (V, 10) probability table

    # --- state ---
    remaining = np.arange(n, dtype=np.int64)  # households still in old villages, increasing index
    key_rem = key[remaining]
    move_month = np.full(n, -1, dtype=np.int32)
    moved_v = np.zeros(n_villages, dtype=np.int64)
    withdrawn = np.zeros(n_villages, dtype=bool)
    service = np.ones(n_villages)
    moves_in_month = np.zeros(months, dtype=np.int64)
    hist_moved = np.zeros(months, dtype=np.int64)
    hist_cash = np.zeros(months, dtype=np.int64)
    cash = INITIAL_CASH
    free = built = 0
    per_phase = math.ceil(n / PHASES_DIVISOR)
    total_moved = 0

    for t in range(months):
        # 1. construction
        if t >= FIRST_PHASE and (t - FIRST_PHASE) % PHASE_EVERY == 0 and built < n:
            built += per_phase
            free += per_phase
        # 2. reclamation revenue
        if t >= RECLAIM_DELAY:
            cash += REVENUE_PER_HOUSEHOLD * int(moves_in_month[t - RECLAIM_DELAY])
        # 3.-5. village snapshot, withdrawal, maintenance
        frac = moved_v / size_v
        withdrawn |= frac >= WITHDRAW_AT
        service = np.where(withdrawn, service * SERVICE_DECAY, service)
        cash -= MAINTENANCE * int(n_villages - withdrawn.sum())
        # 6. moves
        u_draw = rng.random(remaining.size)
        village_term = W_FRAC * frac + W_SERVICE * (1.0 - service)
        p_table = (1.0 - np.exp(-BASE_RATE * np.exp(static10[None, :] + village_term[:, None]))).ravel()
        want = u_draw < p_table[key_rem]
        if free > 0:
            want_pos = np.flatnonzero(want)
            if want_pos.size > free:
                want_pos = want_pos[:free]
            k = want_pos.size
            if k:
                movers = remaining[want_pos]
                move_month[movers] = t
                moved_v += np.bincount(village[movers], minlength=n_villages)
                keep = np.ones(remaining.size, dtype=bool)
                keep[want_pos] = False
                remaining = remaining[keep]
                key_rem = key_rem[keep]
                free -= k
                cash -= SUBSIDY * k
                total_moved += k
                moves_in_month[t] = k
        # 7. record
        hist_moved[t] = total_moved
        hist_cash[t] = cash

    reclaimed = int(moves_in_month[: max(0, months - RECLAIM_DELAY)].sum())
    return {
        "moved": total_moved,
        "final_cash": int(cash),
        "land_freed_mu": round(MU_PER_HOUSEHOLD * reclaimed, 1),
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--households", type=int, required=True)
    ap.add_argument("--villages", type=int, required=True)
    ap.add_argument("--months", type=int, required=True)
    ap.add_argument("--seed", type=int, default=1)
    a = ap.parse_args()
    t0 = time.perf_counter()
    res = run(a.households, a.villages, a.months, a.seed)
    secs = time.perf_counter() - t0
    out = {"impl": "numpy", "households": a.households, "villages": a.villages, "months": a.months,
           "seed": a.seed, "seconds": round(secs, 4), **res}
    print(json.dumps(out))


if __name__ == "__main__":
    main()
