"""Results of a run: the time series and village tables, and the run's summary metrics.

Built after the run from the monthly arrays of :class:`ruralsim.model.results.Recorder` (the
naming grammar of the columns is described there) and the final model state.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1)
    >>> r.timeseries.shape[0] == r.summary["horizon_months"]
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .model.results import FINANCING_LINES, Recorder
from .model.state import (ABANDONED, ALLOCATED, DONE, F_AFTER_WITHDRAWAL, F_DISTRESS,
                          F_EVER_REGISTERED, F_EVER_STRANDED, F_REBUILT, F_RENEGED, MOVED,
                          NO_MONTH, PLANNED, REGISTERED, RETURNED, STATUS_NAMES, TWO_HOMES)

if TYPE_CHECKING:  # pragma: no cover
    from .model.loop import Model


def timeseries_frame(rec: Recorder, start_year: int, start_month: int) -> pd.DataFrame:
    """The monthly time series (``timeseries.csv``) from the recorder's arrays."""
    months = np.arange(rec.H)
    absm = (start_month - 1) + months
    dates = [f"{start_year + a // 12:04d}-{a % 12 + 1:02d}" for a in absm]
    df = pd.DataFrame({"month": months, "date": dates})
    counts = {f"n_{name}": rec.by_type_status[:, :, s].sum(axis=1)
              for s, name in enumerate(STATUS_NAMES)}
    counts.update({f"n_{name}_{tn}": rec.by_type_status[:, ti, s]
                   for ti, tn in enumerate(rec.type_names)
                   for s, name in enumerate(STATUS_NAMES)})
    counts["n_in_community"] = counts["n_moved"] + counts["n_two_homes"]
    counts["n_stranded"] = rec.stranded.sum(axis=1)
    counts["exposed_households"] = rec.exposed.sum(axis=1)
    counts.update({f"exposed_{tn}": rec.exposed[:, ti] for ti, tn in enumerate(rec.type_names)})
    counts.update({f"stranded_{tn}": rec.stranded[:, ti]
                   for ti, tn in enumerate(rec.type_names)})
    body = {**counts, **rec.cols}
    for k, v in body.items():   # counts as whole numbers (rounded on the arrays: no frame copy)
        if k.startswith(("n_", "new_", "units_", "phases_", "exposed_", "stranded_")) \
                or k == "overcommitted":
            body[k] = (np.round(v) if v.dtype.kind == "f" else v).astype(np.int64)
    return pd.concat([df, pd.DataFrame(body)], axis=1)


def villages_frame(rec: Recorder, vil, community_names: list[str]) -> pd.DataFrame:
    """One row per village and month (``villages.csv``) from the recorder's arrays."""
    H, V = rec.v_present.shape
    n0 = np.tile(vil.n0, H)
    present = rec.v_present.ravel()
    return pd.DataFrame({
        "month": np.repeat(np.arange(H), V),
        "village": np.tile(np.array(vil.names, dtype=object), H),
        "community": np.tile(np.array(community_names, dtype=object)[vil.community], H),
        "n_households_start": n0,
        "n_present": present,
        "share_present": np.divide(present, n0, out=np.zeros(present.size), where=n0 > 0),
        "service_level": rec.v_service.ravel(),
        "withdrawn": rec.v_withdrawn.ravel(),
        "land_freed_mu": rec.v_freed.ravel(),
        **{f"n_present_{tn}": rec.v_present_by_type[:, :, ti].ravel()
           for ti, tn in enumerate(rec.type_names)},
        "x_km": np.tile(vil.x_km, H),
        "y_km": np.tile(vil.y_km, H),
    })


@dataclass
class SimulationResult:
    """What :func:`ruralsim.simulate` returns."""

    timeseries: pd.DataFrame
    villages: pd.DataFrame
    summary: dict[str, Any]
    scenario: Any
    model: "Model | None" = field(default=None, repr=False)
    #: The counterfactual twin's result, when one was asked for.
    twin: "SimulationResult | None" = field(default=None, repr=False)
    #: Per community, why its works (demand mode) or phases waited (``communities.csv``).
    #: A record for the report, not a result.
    communities: pd.DataFrame | None = field(default=None, repr=False)

    @property
    def metrics(self) -> dict[str, float]:
        """Every numeric summary metric by its dotted name, as a float: ``NaN`` where the
        summary holds ``null`` (see :attr:`censored`; :mod:`ruralsim.data`)."""
        from .data import flat_metrics

        return flat_metrics(self.summary)[0]

    @property
    def censored(self) -> dict[str, bool]:
        """For each time-to-event metric: True when the event did not happen within the
        horizon (its value in :attr:`metrics` is then ``NaN``)."""
        from .data import flat_metrics

        return flat_metrics(self.summary)[1]

    def to_long(self, table: str = "timeseries") -> pd.DataFrame:
        """A tidy table: ``"timeseries"`` (month, date, variable, value), ``"villages"``
        (month, village, community, variable, value) or ``"metrics"``."""
        from .data import result_long

        return result_long(self, table)

    def to_xarray(self):
        """An ``xarray.Dataset``: time series over month, village columns over village x
        month, metrics as scalars (needs ``xarray``)."""
        from .data import result_xarray

        return result_xarray(self)

    def plot(self, kind: str = "migration", ax=None, lang: str | None = None):
        """A matplotlib figure of this run (``kind``: see :data:`ruralsim.data.RESULT_PLOTS`),
        drawn on ``ax`` when given; never shown."""
        from .data import plot_result

        return plot_result(self, kind, ax=ax, lang=lang)


def _first_month(series: np.ndarray, level: float) -> int | None:
    hit = np.flatnonzero(series >= level)
    return int(hit[0]) + 1 if hit.size else None


def _mean(x: np.ndarray) -> float | None:
    return float(x.mean()) if x.size else None


def _share(mask: np.ndarray, of: np.ndarray | None = None) -> float | None:
    if of is not None:
        return float(mask[of].mean()) if of.any() else None
    return float(mask.mean()) if mask.size else None


def household_table(m: "Model") -> pd.DataFrame:
    """One row per household: who it is and what happened to it (for comparisons of twins)."""
    hh = m.hh
    return pd.DataFrame({
        "type": np.array(m.type_names, dtype=object)[hh.htype],
        "village": hh.village, "status": hh.status, "month_registered": hh.month_registered,
        "month_moved": hh.month_moved, "flags": hh.flags,
    })


def summarize(m: "Model", ts: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    """The run's summary metrics."""
    sc, hh, rec, ph = m.sc, m.hh, m.rec, m.ph
    n = hh.n
    st, fl = hh.status, hh.flags
    ever_moved = hh.month_moved != NO_MONTH
    moved = int(ever_moved.sum())
    in_comm = (st == MOVED) | (st == TWO_HOMES)
    kept = (st == TWO_HOMES) | (st == RETURNED)
    ever_reg = (fl & F_EVER_REGISTERED) != 0
    reneged = (fl & F_RENEGED) != 0
    # worse off: net income change by moving plus dividends, at the end of the run (the
    # flag set at the move used the dividends of that month, for the return hazard)
    worse = (hh.income_change_cny_py + m.dividend_phy[hh.village]) < 0
    distress = (fl & F_DISTRESS) != 0
    exp_cols = [c for c in rec.exp_lines if c not in FINANCING_LINES]
    total_cost = float(ts[exp_cols].to_numpy().sum())
    own_rev = [c for c in rec.rev_lines if c not in FINANCING_LINES]
    own_total = float(ts[own_rev].to_numpy().sum())
    flow = ts[own_rev].to_numpy().sum(axis=1) - ts[exp_cols].to_numpy().sum(axis=1)
    r = sc.government.discount_rate_per_year
    npv = float((flow / (1 + r) ** (np.arange(len(flow)) / 12.0)).sum())
    vuln = np.array([t.vulnerable for t in sc.household_types.values()])[hh.htype]
    ever_stranded = (fl & F_EVER_STRANDED) != 0
    debt = hh.debt_cny[ever_moved].astype(np.float64)
    income = hh.income_cny[ever_moved].astype(np.float64)
    service = hh.debt_service_cny_pm[ever_moved].astype(np.float64)
    change = hh.income_change_cny_py[ever_moved] + m.dividend_phy[hh.village[ever_moved]]
    built_land = float((m.com.built * m.com.land_mu_pu).sum())
    freed = float(m.vil.land_freed_mu.sum())
    c0 = ph.community == 0
    first_done = ph.month_done[c0 & (ph.order == 0)]
    exposure = rec.exposed.sum(axis=0)
    by_type: dict[str, dict[str, Any]] = {}
    med: dict[str, float | None] = {}
    for ti, tn in enumerate(m.type_names):
        is_t = hh.htype == ti
        mm = hh.month_moved[is_t & ever_moved]
        med[tn] = float(np.median(mm)) if mm.size else None
        mv = is_t & ever_moved
        by_type[tn] = {
            "households": int(is_t.sum()),
            "ever_registered": int((is_t & ever_reg).sum()),
            "reneged": int((is_t & reneged).sum()),
            "moved": int(mv.sum()),
            "kept_old_house": int((is_t & kept).sum()),
            "returned": int((is_t & (st == RETURNED)).sum()),
            "worse_off": int((mv & worse).sum()),
            "in_distress_at_move": int((mv & distress).sum()),
            "exposure_household_months": int(exposure[ti]),
            "mean_income_change_cny_per_year": _mean(
                (hh.income_change_cny_py + m.dividend_phy[hh.village])[mv]),
        }
    instr_cost = {i.name: float(ts[f"exp_instr_{i.name}_cny"].sum()) for i in sc.policy.instruments}
    rev_share = {c[4:-4]: (float(ts[c].sum()) / own_total if own_total else None)
                 for c in own_rev}
    started = ph.month_started != NO_MONTH
    abandoned = ph.state == ABANDONED
    nm = ts["n_ever_moved"].to_numpy()
    out: dict[str, Any] = dict(meta)
    out.update({
        "households": n,
        "persons": int(hh.size.astype(np.int64).sum()),
        "villages": m.vil.n,
        "communities": len(m.com.names),
        "horizon_months": m.H,
        # households
        "households_moved": moved,
        "share_moved": moved / n if n else 0.0,
        "households_in_community_final": int(in_comm.sum()),
        "months_to_50pct_moved": _first_month(nm, 0.5 * n),
        "months_to_90pct_moved": _first_month(nm, 0.9 * n),
        "median_move_month_by_type": med,
        "households_ever_registered": int(ever_reg.sum()),
        "share_ever_registered": float(ever_reg.mean()) if n else 0.0,
        "households_never_registered": int((~ever_reg).sum()),
        "households_reneged": int(reneged.sum()),
        "registrations_given_up_while_owed": int(ts["new_reneges_overdue"].sum()),
        "households_rebuilt": int(((fl & F_REBUILT) != 0).sum()),
        "households_kept_old_house": int(kept.sum()),
        "share_movers_kept_old_house": _share(kept, ever_moved),
        "households_returned": int((st == RETURNED).sum()),
        "households_waiting_final": int(((st == REGISTERED) | (st == ALLOCATED)).sum()),
        "by_type": by_type,
        "peak_waiting_list": int(ts["n_waiting"].max()),
        "first_community_registrations_per_planned_unit": (
            _first_oversubscription(m) if getattr(m, "supply", None) is not None else
            _community_regs_until(m, 0, int(first_done[0])) / max(1, int(ph.units[c0][0].sum()))
            if first_done.size and first_done[0] >= 0 and ph.state[c0][0] == DONE else None),
        "apartment_share_of_registrations": (
            float(ts["new_registrations_apartment"].sum() / ts["new_registrations"].sum())
            if ts["new_registrations"].sum() else None),
        # livelihoods
        "mean_household_debt_cny": _mean(debt),
        "share_movers_in_debt": float((debt > 0).mean()) if debt.size else None,
        "mean_debt_service_ratio": _mean((12 * service / np.maximum(income, 1))[debt > 0]),
        "share_movers_in_distress": _share(distress, ever_moved),
        "households_in_distress_peak": int(ts["n_distress"].max()),
        "mean_income_change_cny_per_year": _mean(change),
        "share_movers_worse_off": float((change < 0).mean()) if change.size else None,
        # housing and construction
        "units_built": int(m.com.built.sum()),
        "units_empty_final": int(m.com.free.sum()),
        "share_units_empty_final": (float(m.com.free.sum() / m.com.built.sum())
                                    if m.com.built.sum() else None),
        "phases": int(ph.n),
        "phases_started": int(started.sum()),
        "phases_done": int((ph.state == DONE).sum()),
        "phases_never_started": int((ph.state == PLANNED).sum()),
        "phases_stalled": int((ph.stalled_total > 0).sum()),
        "phase_months_stalled": int(ph.stalled_total.sum()),
        "phases_abandoned": int(abandoned.sum()),
        "sunk_cost_abandoned_cny": float((ph.paid_cny + ph.housing_paid_cny)[abandoned].sum()),
        # township finance
        "total_public_cost_cny": total_cost,
        "cost_per_relocated_household_cny": total_cost / moved if moved else None,
        "cost_by_instrument_cny": instr_cost,
        "cost_per_household_by_instrument_cny": {k: v / moved if moved else None
                                                 for k, v in instr_cost.items()},
        "total_revenue_own_cny": own_total,
        "revenue_share_by_source": rev_share,
        "npv_cny": npv,
        "discount_rate_per_year": r,
        "peak_financing_gap_cny": float(ts["financing_gap_cny"].max()),
        "peak_debt_cny": float(ts["debt_cny"].max()),
        "peak_arrears_cny": float(ts["arrears_cny"].max()),
        "months_in_arrears": int((ts["arrears_cny"] > 0.5).sum()),
        "interest_paid_cny": float(ts["exp_interest_cny"].sum() + ts["exp_arrears_interest_cny"].sum()),
        "arrears_interest_paid_cny": float(ts["exp_arrears_interest_cny"].sum()),
        "months_overcommitted": int(ts["overcommitted"].sum()),
        "peak_deferred_household_cny": float(ts["deferred_household_cny"].max()),
        "months_household_payments_deferred": int((ts["deferred_household_cny"] > 0.5).sum()),
        "deferred_household_by_line_cny": {k.removeprefix("exp_").removesuffix("_cny"): v
                                           for k, v in sorted(m.tr.deferred_by_line.items())},
        "final_cash_cny": float(ts["cash_cny"].iloc[-1]),
        "final_debt_cny": float(ts["debt_cny"].iloc[-1]),
        "developer_peak_debt_cny": float(ts["developer_debt_cny"].max()),
        "developer_final_debt_cny": float(ts["developer_debt_cny"].iloc[-1]),
        "developer_interest_cny": m.dev.interest_paid,
        "maintenance_saved_cny": float(ts["maintenance_saved_cny"].sum()),
        "dividends_paid_cny": float(ts["exp_dividends_cny"].sum()),
        "dividends_per_household_cny": float(ts["exp_dividends_cny"].sum()) / n if n else 0.0,
        # land
        "land_freed_mu": freed,
        "land_freed_per_moved_household_mu": freed / moved if moved else None,
        "land_reclaimed_mu": float(m.vil.land_reclaimed_mu.sum()),
        "land_collective_mu": float(m.vil.land_collective_mu.sum()),
        "land_quota_mu": float(m.vil.land_quota_mu.sum()),
        "community_land_used_mu": built_land,
        "net_land_freed_mu": freed - built_land,
        # withdrawal: who lives with it
        "villages_withdrawn": int((m.vil.month_withdrawn != NO_MONTH).sum()),
        "households_registered_after_withdrawal": int(
            (ever_moved & ((fl & F_AFTER_WITHDRAWAL) != 0)).sum()),
        "exposure_household_months": int(exposure.sum()),
        "exposure_vulnerable_household_months": int(exposure[
            np.array([t.vulnerable for t in sc.household_types.values()])].sum()),
        "households_stranded_peak": int(ts["n_stranded"].max()),
        "households_ever_stranded": int(ever_stranded.sum()),
        "stranded_household_months": int(rec.stranded.sum()),
        "vulnerable_households": int(vuln.sum()),
        "vulnerable_moved": int((vuln & ever_moved).sum()),
        "vulnerable_protected": int((vuln & ever_moved & (hh.instruments != 0)).sum()),
        "vulnerable_ever_stranded": int((vuln & ever_stranded).sum()),
    })
    out["budget"] = budget_summary(sc, ts, exp_cols, total_cost)
    if getattr(m, "supply", None) is not None:   # supply.mode 'demand' (model/supply.py)
        out["supply"] = m.supply.summary()
    if getattr(m, "plan", None) is not None:
        out.update(plan_summary(m, ts))
    people = m.people_summary()   # model 3.0 consent, influence, demolition (when on)
    if people is not None:
        out["people"] = people
    return out


def budget_summary(sc, ts: pd.DataFrame, exp_cols: list[str], total: float) -> dict[str, Any]:
    """The run against the budget the scenario states (``government.budget``, issue 24).

    Public cost is ``total_public_cost_cny`` (every expense line but debt repayment:
    :data:`ruralsim.scenario.schema.PUBLIC_COST_DEFINITION`); a calendar year's cost is the
    same sum over its months (a horizon that starts or ends within a year counts that year's
    months only); ``total`` is the run's ``total_public_cost_cny``.  ``within_*`` and ``pass`` are None when nothing is stated; ``pass`` is
    True when every stated limit holds.
    """
    b = sc.government.budget
    monthly = ts[exp_cols].to_numpy().sum(axis=1)
    year = sc.run.start_year + (sc.run.start_month - 1 + ts["month"].to_numpy()) // 12
    years, idx = np.unique(year, return_inverse=True)
    per_year = np.bincount(idx, weights=monthly, minlength=years.size)
    k = int(np.argmax(per_year)) if per_year.size else 0
    max_year_cost = float(per_year[k]) if per_year.size else 0.0
    within_total = None if b.total_cny is None else bool(total <= b.total_cny)
    within_year = None if b.per_year_cny is None else bool(max_year_cost <= b.per_year_cny)
    stated = [w for w in (within_total, within_year) if w is not None]
    return {"total_cny": b.total_cny, "per_year_cny": b.per_year_cny,
            "public_cost_cny": total, "max_year_cost_cny": max_year_cost,
            "max_year": int(years[k]) if per_year.size else None,
            "within_total": within_total, "within_per_year": within_year,
            "pass": all(stated) if stated else None}


def _first_oversubscription(m: "Model") -> float | None:
    """Supply mode 'demand': registrations for the first community by the month its first
    section is done, per home that section opens (the analogue of the first phase's)."""
    first = m.supply.first_section()
    if first is None:
        return None
    month, homes = first
    return _community_regs_until(m, 0, month) / max(1, homes)


def plan_summary(m: "Model", ts: pd.DataFrame) -> dict[str, Any]:
    """The plan each year (forecast, appropriation by line, actual by line, quota opened and
    used) and what was deferred, to whom, and how long works waited for money."""
    own = [n for n in m.rec.rev_lines if n != "rev_borrowing_cny"]
    hh_lines = [n for n in ts.columns if n.startswith("exp_instr_")] + \
        ["exp_compensation_cny", "exp_dividends_cny"]
    actual_lines = {"debt_service": ["exp_interest_cny", "exp_arrears_interest_cny"],
                    "upkeep": ["exp_maintenance_cny"], "households": hh_lines,
                    "works": ["exp_construction_cny", "exp_housing_cny"]}
    years = []
    for y in m.plan.years:
        a, b = y["month"], min(y["month"] + 12, len(ts))
        part = ts.iloc[a:b]
        years.append({**y, "actual_cny": {
            "revenue_own": float(part[own].to_numpy().sum()),
            **{k: float(part[v].to_numpy().sum()) for k, v in actual_lines.items()}}})
    quotas = [y["quota"] for y in m.plan.years]
    return {
        "plan_years": years,
        "plan_quota_total": None if any(q is None for q in quotas) else int(sum(quotas)),
        "plan_years_quota_binding": int(sum(1 for y in m.plan.years
                                            if y["quota"] is not None
                                            and y["registrations"] >= y["quota"])),
        "plan_household_months_turned_away": int(ts["plan_turned_away"].sum()),
        "plan_deferred_households_cny": float(ts["plan_deferred_households_cny"].sum()),
        "plan_unpaid_works_cny": float(ts["plan_unpaid_works_cny"].sum()),
        "plan_works_waiting_months": int(ts["plan_works_waiting"].sum()),
    }



def _community_regs_until(m: "Model", c: int, month: int) -> int:
    """Registrations for community ``c`` up to the end of ``month``."""
    return int(m.rec.registrations[month, c])


#: Entries of a summary that label the run rather than measure it.
SUMMARY_LABELS = ("scenario", "scenario_hash", "seed", "version")


def metric_names(scenario) -> list[str]:
    """Every metric a run of ``scenario`` reports, by the name sweeps and experiments use.

    The names are the summary's keys, nested ones joined by dots (``by_type.poor.moved``,
    ``cost_by_instrument_cny.subsidised_loan``); which nested names exist depends on the
    scenario's household types, instruments and revenues, so they are read off the summary
    of a one-month run of ``scenario`` (a :class:`~ruralsim.scenario.load.LoadedScenario`,
    a file or a built-in name).  The one list of valid metric names: sweeps check theirs
    against it.
    """
    from .errors import ScenarioError
    from .experiments.runs import flatten
    from .scenario.load import load_scenario
    from .simulate import simulate

    loaded = load_scenario(scenario)
    try:
        short = load_scenario(loaded, ["run.horizon_months=1"])
    except ScenarioError:   # a scenario that needs a longer horizon: the summary is alike
        short = loaded
    keys = flatten(simulate(short, seed=0).summary)
    return [k for k in keys if k not in SUMMARY_LABELS]
