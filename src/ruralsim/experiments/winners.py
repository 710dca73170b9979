"""Winners and losers of a reform, by household type and income group.

The baseline and the reform are run with the same seeds (common random numbers: every
draw is indexed by household, so household ``h`` of replication ``r`` is the same family
with the same chances in both runs).  For each household the model records, at its move,
the change of its net income per year that moving brings (``income_change_cny_per_year``:
livelihood gained or lost, living costs, debt service) and its village pays land dividends
per household per year (to every household of the village, at the rate of the run's last
month); their sum is the household's **net income change** (CNY per year; the dividends
alone for a household that never moved).  The same quantity the summary's
``mean_income_change_cny_per_year`` averages over movers.

A household **gains** from the reform when its net income change is higher under the reform
than under the baseline by more than ``tolerance`` CNY per year, **loses** when it is lower
by more than that, and is **unchanged** otherwise.  Income groups are quintiles of income per
year at month 0 (``Q1`` the poorest fifth) within each replication.  Shares are of the
households in the group, pooled over replications; ``moved_only_in_reform`` and
``moved_only_in_baseline`` count the households whose moving depends on the reform.

Example:
    >>> t = winners_losers("teaching", "teaching_naive", reps=2, seed=1,
    ...                    overrides=["run.horizon_months=24"])
    >>> list(t.columns[:4])
    ['household_type', 'income_group', 'households', 'share_gain']
"""
from __future__ import annotations

from typing import Any, Iterable

import numpy as np
import pandas as pd

from ..errors import UsageError
from ..model.state import NO_MONTH
from ..rng import spawn_seeds
from ..scenario.load import load_scenario
from .replicate import check_reps, check_seed

#: Income groups: quintiles of income at month 0.
GROUPS = ("Q1", "Q2", "Q3", "Q4", "Q5")
COLUMNS = ("household_type", "income_group", "households", "share_gain", "share_lose",
           "share_unchanged", "mean_gain_cny_per_year", "mean_change_baseline_cny_per_year",
           "mean_change_reform_cny_per_year", "share_moved_baseline", "share_moved_reform",
           "moved_only_in_reform", "moved_only_in_baseline")


def households(result) -> pd.DataFrame:
    """One row per household of a run kept with ``keep_model=True``: type, income at month
    0, village, moved, net income change per year (see the module's docstring)."""
    m = result.model
    if m is None:
        raise UsageError("households(): run simulate(..., keep_model=True) / 需保留模型状态")
    hh = m.hh
    return pd.DataFrame({
        "household_type": np.array(m.type_names, dtype=object)[hh.htype],
        "income0_cny": hh.income0_cny.astype(np.float64),
        "village": hh.village,
        "moved": hh.month_moved != NO_MONTH,
        "net_income_change_cny_per_year": (hh.income_change_cny_py.astype(np.float64)
                                           + m.dividend_phy[hh.village]),
    })


def paired_households(baseline: Any, reform: Any, reps: int = 10, seed: int | None = None,
                      overrides: Iterable = (), packages: Iterable[str] = ()) -> pd.DataFrame:
    """Household outcomes of the baseline and the reform, run with the same seeds: one row
    per household and replication (``rep``, type, income group, ``*_baseline``,
    ``*_reform``, ``gain_cny_per_year``)."""
    from ..simulate import simulate

    reps, seed = check_reps(reps), check_seed(seed)
    base = load_scenario(baseline, overrides, packages)
    ref = load_scenario(reform, overrides, packages)
    seed = base.model.run.seed if seed is None else seed
    rows = []
    for i, s in enumerate(spawn_seeds(seed, reps)):
        b = households(simulate(base, seed=s, keep_model=True))
        r = households(simulate(ref, seed=s, keep_model=True))
        if len(b) != len(r) or not (b["household_type"].equals(r["household_type"])
                                    and np.array_equal(b["income0_cny"], r["income0_cny"])):
            raise UsageError("winners and losers need the same households in the baseline and "
                             "the reform; the reform changes the households themselves "
                             "(their number, types or incomes) / 改革方案改变了农户本身，无法逐户比较")
        group = pd.qcut(b["income0_cny"].rank(method="first"), 5, labels=list(GROUPS))
        rows.append(pd.DataFrame({
            "rep": i, "household": np.arange(len(b)), "household_type": b["household_type"],
            "income_group": group.astype(str), "income0_cny": b["income0_cny"],
            "moved_baseline": b["moved"], "moved_reform": r["moved"],
            "change_baseline_cny_per_year": b["net_income_change_cny_per_year"],
            "change_reform_cny_per_year": r["net_income_change_cny_per_year"]}))
    out = pd.concat(rows, ignore_index=True)
    out["gain_cny_per_year"] = out["change_reform_cny_per_year"] - out["change_baseline_cny_per_year"]
    return out


def tabulate(pairs: pd.DataFrame, tolerance: float = 1.0) -> pd.DataFrame:
    """The winners-and-losers table of :func:`paired_households`: one row per household type
    and income group, then one per type (``income_group`` "all") and one for everyone."""
    if not (isinstance(tolerance, (int, float)) and tolerance >= 0 and np.isfinite(tolerance)):
        raise UsageError(f"tolerance must be a number >= 0, not {tolerance!r} / 容差须为非负数")
    reps = max(1, pairs["rep"].nunique())
    g = pairs["gain_cny_per_year"]
    d = pairs.assign(_gain=g > tolerance, _lose=g < -tolerance,
                     _only_r=pairs["moved_reform"] & ~pairs["moved_baseline"],
                     _only_b=pairs["moved_baseline"] & ~pairs["moved_reform"])

    def row(part: pd.DataFrame, t: str, q: str) -> dict:
        n = len(part)
        return {"household_type": t, "income_group": q, "households": n / reps,
                "share_gain": part["_gain"].mean(), "share_lose": part["_lose"].mean(),
                "share_unchanged": 1.0 - part["_gain"].mean() - part["_lose"].mean(),
                "mean_gain_cny_per_year": part["gain_cny_per_year"].mean(),
                "mean_change_baseline_cny_per_year": part["change_baseline_cny_per_year"].mean(),
                "mean_change_reform_cny_per_year": part["change_reform_cny_per_year"].mean(),
                "share_moved_baseline": part["moved_baseline"].mean(),
                "share_moved_reform": part["moved_reform"].mean(),
                "moved_only_in_reform": part["_only_r"].sum() / reps,
                "moved_only_in_baseline": part["_only_b"].sum() / reps}

    rows = []
    types = list(dict.fromkeys(d["household_type"]))
    for t in types:
        of_t = d[d["household_type"] == t]
        for q in GROUPS:
            part = of_t[of_t["income_group"] == q]
            if len(part):
                rows.append(row(part, t, q))
        rows.append(row(of_t, t, "all"))
    rows.append(row(d, "all", "all"))
    return pd.DataFrame(rows, columns=list(COLUMNS))


def winners_losers(baseline: Any, reform: Any, reps: int = 10, seed: int | None = None,
                   overrides: Iterable = (), packages: Iterable[str] = (),
                   tolerance: float = 1.0) -> pd.DataFrame:
    """Who gains and who loses from ``reform`` against ``baseline``, by household type and
    income group (see the module's docstring for the definitions)."""
    return tabulate(paired_households(baseline, reform, reps, seed, overrides, packages),
                    tolerance)
