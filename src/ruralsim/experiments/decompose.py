"""Strategies taken apart: a full factorial of strategy components, with common random numbers.

A strategy such as 抓两头、带中间 is a bundle of independent components:

============  ===========================================  ==============================
component     on (as in the scenario)                      off
============  ===========================================  ==============================
targeting     its outreach to chosen types                 no outreach
priority      its allocation priority list                 first come, first served
withdrawal    its service-withdrawal rule                  services never withdrawn
sequencing    its village batches                          every village at once
============  ===========================================  ==============================

:func:`decompose` runs every combination of the chosen components (2^k cells) with the same
child seeds, so the cells of one replication differ only where a component acts.  For each
replication it computes the factorial contrasts (main effect of a component: mean of the
cells where it is on minus the mean where it is off; interactions likewise with products of
signs), then reports their mean over replications with a 95% t-interval.

Metrics: months to 50% and 90% moved (censored at the horizon + 1 when never reached, and
flagged), public cost, peak financing gap, households moved *because of* withdrawal (the cell
against its twin with withdrawal off, household by household), exposure (household-months
lived with degraded services) and the share of movers worse off.

Example:
    >>> d = decompose("teaching", factors=("targeting", "withdrawal"), reps=2, seed=1,
    ...               overrides=[("run.horizon_months", 36)])
    >>> sorted(d.effects["effect"].unique())
    ['targeting', 'targeting × withdrawal', 'withdrawal']
"""
from __future__ import annotations

import itertools
from concurrent.futures import Executor
from dataclasses import dataclass
from typing import Any, Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import check_list_arg
from ..rng import spawn_seeds
from ..scenario.load import LoadedScenario, load_scenario
from .executors import Progress, SerialExecutor, run_all
from .replicate import _mean_ci

#: Components: the override that switches each off, and its labels.
COMPONENTS: dict[str, tuple[list[tuple[str, Any]], str, str]] = {
    "targeting": ([("strategy.outreach", [])], "针对性动员(抓两头)", "targeting (outreach)"),
    "priority": ([("strategy.priority", []), ("strategy.allocation", "registration_order")],
                 "分配优先", "allocation priority"),
    "withdrawal": ([("strategy.withdrawal.enabled", False)], "停止旧村服务",
                   "service withdrawal"),
    "sequencing": ([("strategy.sequence.mode", "all")], "逐村推进", "village-by-village sequencing"),
}
METRICS = ("months_to_50pct_moved", "months_to_90pct_moved", "total_public_cost_cny",
           "peak_financing_gap_cny", "households_moved_because_of_withdrawal",
           "exposure_household_months", "share_movers_worse_off")
#: Metrics measured in months to a share moved: censored at the horizon + 1.
CENSORED = ("months_to_50pct_moved", "months_to_90pct_moved")


@dataclass
class Decomposition:
    """Cells (one row per combination × replication) and effects with intervals."""

    factors: list[str]
    cells: pd.DataFrame      # rep, one 0/1 column per factor, metrics...
    effects: pd.DataFrame    # metric, effect, order, mean, ci_low, ci_high, reps, censored
    scenario: str


def _check_factors(sc: LoadedScenario, factors: Sequence[str]) -> None:
    from ..errors import check_list_arg, UsageError

    unknown = [f for f in factors if f not in COMPONENTS]
    if unknown or not factors:
        raise UsageError(f"unknown or no components {unknown}; choose from "
                         f"{', '.join(COMPONENTS)} / 未知的策略组成部分")
    st = sc.model.strategy
    inactive = {"targeting": not st.outreach, "priority": not st.priority,
                "withdrawal": not st.withdrawal.enabled, "sequencing": st.sequence.mode == "all"}
    off = [f for f in factors if inactive[f]]
    if off:
        raise UsageError(f"the scenario's strategy has no {', '.join(off)} to switch off; "
                         f"choose a strategy that uses it / 该策略没有可拆分的组成部分: {', '.join(off)}")


def _run_cell(spec: tuple) -> dict[str, Any]:
    """Run one cell (and its no-withdrawal twin when needed); never raises."""
    from ..simulate import simulate

    cell_id, sc, seed, combo, rep, twin, keep_moves, *rest = spec
    metrics = rest[0] if rest else METRICS
    try:
        from .runs import flatten

        res = simulate(sc, seed=seed, counterfactual="no_withdrawal" if twin else None,
                       keep_model=keep_moves)
        s = res.summary
        flat = flatten(s)
        out = {k: flat.get(k) for k in metrics if k in flat}
        out["households_moved_because_of_withdrawal"] = (
            s["counterfactual"]["households_moved_because_of_withdrawal"] if twin else 0)
        out["horizon_months"] = s["horizon_months"]
        moves = res.model.hh.month_moved.copy() if keep_moves else None
        return {"cell": cell_id, "rep": rep, "combo": combo, "status": "ok", "metrics": out,
                "month_moved": moves}
    except Exception as exc:  # a failed cell is reported, it does not stop the experiment
        return {"cell": cell_id, "rep": rep, "combo": combo, "status": "error",
                "error": f"{type(exc).__name__}: {exc}"[:2000], "metrics": {}}


def decompose(scenario: Any = None, factors: Sequence[str] = ("targeting", "priority",
                                                              "withdrawal"),
              reps: int = 20, seed: int | None = None, executor: Executor | None = None,
              overrides: Iterable = (), progress: bool = False,
              metrics: Sequence[str] = METRICS) -> Decomposition:
    """Run the full factorial of ``factors`` on ``scenario`` and estimate their effects on
    ``metrics`` (summary metrics, or households moved because of withdrawal)."""
    from .replicate import check_reps, check_seed

    reps = check_reps(reps)
    check_seed(seed)
    base = load_scenario(scenario, overrides)
    factors = list(dict.fromkeys(check_list_arg(factors, "factors", (str,),
                                                "component names")))
    _check_factors(base, factors)
    if tuple(metrics) != METRICS:   # the defaults are declared (ruralsim.metrics)
        from ..metrics import check_metric_names

        metrics = check_metric_names(metrics, base, experiment=True, where="decompose metrics")
    seed = base.model.run.seed if seed is None else seed
    seeds = spawn_seeds(seed, reps)
    combos = list(itertools.product((0, 1), repeat=len(factors)))
    loaded = {}
    for combo in combos:
        ov = [o for f, on in zip(factors, combo) if not on for o in COMPONENTS[f][0]]
        loaded[combo] = load_scenario(base, ov) if ov else base
    # households moved because of withdrawal: against the cell with withdrawal off when
    # withdrawal is a factor (the same seed: household by household), else against a twin run
    paired = "withdrawal" in factors
    specs = []
    for combo in combos:
        twin = loaded[combo].model.strategy.withdrawal.enabled and not paired
        for r, s in enumerate(seeds):
            specs.append((len(specs), loaded[combo], s, combo, r, twin, paired,
                          tuple(metrics)))
    results = run_all(executor or SerialExecutor(), _run_cell, specs,
                      Progress(len(specs), "运行 runs", progress))
    if paired:
        _pair_withdrawal(results, factors.index("withdrawal"))
    failed = [r for r in results if r["status"] != "ok"]
    if failed:
        from ..errors import RuralsimError

        raise RuralsimError(f"{len(failed)} of {len(results)} runs failed; first: "
                            f"{failed[0]['error']}")
    rows = [{"rep": r["rep"], **dict(zip(factors, r["combo"])), **r["metrics"]}
            for r in sorted(results, key=lambda r: (r["combo"], r["rep"]))]
    cells = pd.DataFrame(rows)
    return Decomposition(factors, cells, effects_table(cells, factors, metrics), base.name)


def _pair_withdrawal(results: list[dict], w: int) -> None:
    """Fill in households moved because of withdrawal: moved in a cell with withdrawal on and
    not in the same cell with withdrawal off, for the same replication."""
    by_key = {(r["combo"], r["rep"]): r for r in results if r["status"] == "ok"}
    for (combo, rep), r in by_key.items():
        if combo[w] == 1:
            off = by_key.get((combo[:w] + (0,) + combo[w + 1:], rep))
            if off is not None:
                r["metrics"]["households_moved_because_of_withdrawal"] = int(
                    ((r["month_moved"] >= 0) & (off["month_moved"] < 0)).sum())
    for r in results:
        r.pop("month_moved", None)


def effects_table(cells: pd.DataFrame, factors: Sequence[str],
                  metrics: Sequence[str] = METRICS) -> pd.DataFrame:
    """Main effects and interactions of ``factors`` per metric, from a full factorial."""
    out = []
    k = len(factors)
    horizon = cells["horizon_months"].max() if "horizon_months" in cells else None
    for metric in metrics:
        if metric not in cells:
            continue
        y = pd.to_numeric(cells[metric], errors="coerce")
        censored = bool(y.isna().any()) and metric in CENSORED
        if metric in CENSORED and horizon is not None:
            y = y.fillna(horizon + 1)
        frame = cells[["rep", *factors]].assign(y=y)
        for order in range(1, k + 1):
            for subset in itertools.combinations(factors, order):
                sign = np.prod([2 * frame[f].to_numpy() - 1 for f in subset], axis=0)
                per_rep = (frame.assign(c=sign * frame["y"]).groupby("rep")["c"].sum()
                           / 2 ** (k - 1)).to_numpy(dtype=float)
                mean, lo, hi = _mean_ci(per_rep)
                out.append({"metric": metric, "effect": " × ".join(subset), "order": order,
                            "mean": mean, "ci_low": lo, "ci_high": hi,
                            "reps": int(np.isfinite(per_rep).sum()), "censored": censored})
    return pd.DataFrame(out)


def main_effects(d: Decomposition) -> pd.DataFrame:
    """The main effects only, one row per (metric, component)."""
    return d.effects[d.effects["order"] == 1].reset_index(drop=True)
