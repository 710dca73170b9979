"""Results: preallocated monthly arrays with a naming grammar, and the run summary.

Column names follow one grammar: ``n_`` stocks (households or villages),
``new_`` flows in the month, ``units_`` housing stocks, ``land_*_mu`` cumulative
land, ``rev_*_cny`` / ``exp_*_cny`` the government's revenue and expenditure
lines in the month, ``cash_cny`` / ``debt_cny`` balances at the month's end.
The cash identity holds by construction and is tested:
``cash_cny[t] = opening + sum(rev_*[:t+1]) - sum(exp_*[:t+1])``.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
    >>> r.timeseries.shape[0] == r.summary["horizon_months"]
    True
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from .scenario.schema import Scenario
from .state import BUILDING, DONE, KINDS, MOVED, NO_MONTH, STATUS_NAMES, STRANDED

if TYPE_CHECKING:  # pragma: no cover
    from .engine import Model

RESERVED_REVENUES = ("land_quota", "borrowing")


class Recorder:
    """Monthly arrays, allocated once; the engine writes one row per month."""

    def __init__(self, sc: Scenario, type_names: list[str], n_villages: int):
        H = sc.run.horizon_months
        self.H = H
        self.type_names = type_names
        self.rev_lines = [f"rev_{r.name}_cny" for r in sc.government.revenues] + \
            [f"rev_award_{a.name}_cny" for a in sc.policy.awards] + \
            [f"rev_instr_{i.name}_cny" for i in sc.policy.instruments if i.revenue_monthly_cny] + \
            [f"rev_{r}_cny" for r in RESERVED_REVENUES]
        self.exp_lines = ["exp_construction_cny", "exp_maintenance_cny", "exp_events_cny"] + \
            [f"exp_instr_{i.name}_cny" for i in sc.policy.instruments] + \
            ["exp_reclamation_cny", "exp_interest_cny", "exp_debt_repayment_cny"]
        # households by type and status: one [month, type, status] array, expanded to
        # n_<status> and n_<status>_<type> columns by timeseries()
        self.by_type_status = np.zeros((H, len(type_names), len(STATUS_NAMES)), dtype=np.int64)
        names = ["new_registrations", "new_registrations_pushed", "new_registrations_apartment",
                  "new_allocations", "new_moves",
                  "new_moves_pushed", "n_waiting"]
        names += [f"units_built_{k}" for k in KINDS] + [f"units_free_{k}" for k in KINDS]
        names += ["units_occupied", "phases_building", "phases_done", "service_level_mean",
                  "n_villages_withdrawn", "maintenance_saved_cny", "land_freed_mu",
                  "land_reclaimed_mu", "land_sold_mu", "land_collective_mu",
                  "collective_dividends_cny"]
        names += self.rev_lines + self.exp_lines
        names += ["revenue_total_cny", "expenditure_total_cny", "cash_cny", "debt_cny",
                  "arrears_cny", "financing_gap_cny"]
        self.cols: dict[str, np.ndarray] = {n: np.zeros(H) for n in names}
        self.v_present = np.zeros((H, n_villages), dtype=np.int64)
        self.v_service = np.zeros((H, n_villages))
        self.v_withdrawn = np.zeros((H, n_villages), dtype=bool)
        self.v_freed = np.zeros((H, n_villages))
        self.v_present_by_type = np.zeros((H, n_villages, len(type_names)), dtype=np.int64)

    def earn(self, line: str, t: int, amount: float) -> None:
        self.cols[line][t] += amount

    def spend(self, line: str, t: int, amount: float) -> None:
        self.cols[line][t] += amount

    def put(self, name: str, t: int, value: float) -> None:
        self.cols[name][t] = value

    def net(self, t: int) -> float:
        """Revenues minus expenditures booked so far in month ``t``."""
        c = self.cols
        return float(sum(c[n][t] for n in self.rev_lines) - sum(c[n][t] for n in self.exp_lines))

    def record_month(self, t: int, m: "Model") -> None:
        """Write the stocks of month ``t`` (flows were booked as they happened)."""
        c = self.cols
        self.by_type_status[t] = m.counts
        c["n_waiting"][t] = m.waiting.size
        for k, kn in enumerate(KINDS):
            c[f"units_built_{kn}"][t] = m.com.built[:, k].sum()
            c[f"units_free_{kn}"][t] = m.com.free[:, k].sum()
        c["units_occupied"][t] = m.com.occupied.sum()
        c["phases_building"][t] = int(((m.ph.state == BUILDING) & (m.ph.month_started <= t)).sum())
        c["phases_done"][t] = int((m.ph.state == DONE).sum())
        vil = m.vil
        live = vil.n0 > 0
        c["service_level_mean"][t] = vil.service.mean(axis=1)[live].mean() if live.any() else 1.0
        c["n_villages_withdrawn"][t] = int((vil.month_withdrawn != NO_MONTH).sum())
        c["revenue_total_cny"][t] = sum(c[n][t] for n in self.rev_lines)
        c["expenditure_total_cny"][t] = sum(c[n][t] for n in self.exp_lines)
        c["cash_cny"][t] = m.cash
        c["debt_cny"][t] = m.debt
        c["arrears_cny"][t] = max(0.0, -m.cash)
        c["financing_gap_cny"][t] = m.debt + max(0.0, -m.cash)
        self.v_present[t] = vil.n_present
        self.v_service[t] = vil.service.mean(axis=1)
        self.v_withdrawn[t] = vil.month_withdrawn != NO_MONTH
        self.v_freed[t] = vil.land_freed_mu
        self.v_present_by_type[t] = m.present_vt

    def timeseries(self, start_year: int, start_month: int) -> pd.DataFrame:
        months = np.arange(self.H)
        absm = (start_month - 1) + months
        dates = [f"{start_year + a // 12:04d}-{a % 12 + 1:02d}" for a in absm]
        df = pd.DataFrame({"month": months, "date": dates})
        counts = {f"n_{name}": self.by_type_status[:, :, s].sum(axis=1)
                  for s, name in enumerate(STATUS_NAMES)}
        counts.update({f"n_{name}_{tn}": self.by_type_status[:, ti, s]
                       for ti, tn in enumerate(self.type_names)
                       for s, name in enumerate(STATUS_NAMES)})
        body = pd.DataFrame({**counts, **self.cols})
        ints = [k for k in body.columns if k.startswith(("n_", "new_", "units_", "phases_"))]
        body[ints] = body[ints].round().astype(np.int64)
        return pd.concat([df, body], axis=1)

    def villages_frame(self, m: "Model") -> pd.DataFrame:
        vil = m.vil
        H, V = self.v_present.shape
        n0 = np.tile(vil.n0, H)
        present = self.v_present.ravel()
        return pd.DataFrame({
            "month": np.repeat(np.arange(H), V),
            "village": np.tile(np.array(vil.names, dtype=object), H),
            "community": np.tile(np.array(m.com.names, dtype=object)[vil.community], H),
            "n_households_start": n0,
            "n_present": present,
            "share_present": np.divide(present, n0, out=np.zeros(present.size), where=n0 > 0),
            "service_level": self.v_service.ravel(),
            "withdrawn": self.v_withdrawn.ravel(),
            "land_freed_mu": self.v_freed.ravel(),
            **{f"n_present_{tn}": self.v_present_by_type[:, :, ti].ravel()
               for ti, tn in enumerate(self.type_names)},
            "x_km": np.tile(vil.x_km, H),
            "y_km": np.tile(vil.y_km, H),
        })


@dataclass
class SimulationResult:
    """What :func:`ruralsim.simulate` returns."""

    timeseries: pd.DataFrame
    villages: pd.DataFrame
    summary: dict[str, Any]
    scenario: Scenario
    model: "Model | None" = field(default=None, repr=False)


def _first_month(series: np.ndarray, level: float) -> int | None:
    hit = np.flatnonzero(series >= level)
    return int(hit[0]) + 1 if hit.size else None


def summarize(m: "Model", ts: pd.DataFrame, meta: dict[str, Any]) -> dict[str, Any]:
    """The run's summary metrics (DESIGN.md §3 Observation)."""
    sc, hh, rec = m.sc, m.hh, m.rec
    n = hh.n
    moved_mask = hh.status == MOVED
    moved = int(moved_mask.sum())
    exp_cols = [c for c in rec.exp_lines if c != "exp_debt_repayment_cny"]
    total_cost = float(ts[exp_cols].to_numpy().sum())
    own_rev = [c for c in rec.rev_lines if c != "rev_borrowing_cny"]
    own_exp = [c for c in exp_cols if c != "exp_interest_cny"]
    flow = ts[own_rev].to_numpy().sum(axis=1) - ts[own_exp].to_numpy().sum(axis=1)
    r = sc.government.discount_rate_per_year
    npv = float((flow / (1 + r) ** (np.arange(len(flow)) / 12.0)).sum())
    vuln_types = np.array([t.vulnerable for t in sc.household_types.values()])
    vuln = vuln_types[hh.htype]
    ever_stranded = hh.stranded_months > 0
    debt = hh.debt_cny[moved_mask].astype(np.float64)
    income = hh.income_cny_py[moved_mask].astype(np.float64)
    built_land = float((m.com.built * m.com.land_mu_pu).sum())
    freed = float(m.vil.land_freed_mu.sum())
    c0 = m.ph.community == 0
    first_done = m.ph.month_done[c0 & (m.ph.order == 0)]
    by_type_median = {}
    for ti, tn in enumerate(m.type_names):
        mm = hh.month_moved[(hh.htype == ti) & moved_mask]
        by_type_median[tn] = float(np.median(mm)) if mm.size else None
    instr_cost = {i.name: float(ts[f"exp_instr_{i.name}_cny"].sum()) for i in sc.policy.instruments}
    out: dict[str, Any] = dict(meta)
    out.update({
        "households": n,
        "villages": m.vil.n,
        "communities": len(m.com.names),
        "horizon_months": m.H,
        "households_moved": moved,
        "share_moved": moved / n if n else 0.0,
        "months_to_50pct_moved": _first_month(ts["n_moved"].to_numpy(), 0.5 * n),
        "months_to_90pct_moved": _first_month(ts["n_moved"].to_numpy(), 0.9 * n),
        "median_move_month_by_type": by_type_median,
        "households_registered_total": int((hh.month_registered != NO_MONTH).sum()),
        "peak_waiting_list": int(ts["n_waiting"].max()),
        "first_community_registrations_per_planned_unit": (
            _community_regs_until(m, 0, int(first_done[0])) / max(1, int(m.ph.units[c0][0].sum()))
            if first_done.size and first_done[0] >= 0 else None),
        "apartment_share_of_registrations": (
            float(ts["new_registrations_apartment"].sum() / ts["new_registrations"].sum())
            if ts["new_registrations"].sum() else None),
        "units_built": int(m.com.built.sum()),
        "total_public_cost_cny": total_cost,
        "cost_per_relocated_household_cny": total_cost / moved if moved else None,
        "cost_by_instrument_cny": instr_cost,
        "cost_per_household_by_instrument_cny": {k: v / moved if moved else None
                                                 for k, v in instr_cost.items()},
        "total_revenue_own_cny": float(ts[own_rev].to_numpy().sum()),
        "npv_cny": npv,
        "peak_financing_gap_cny": float(ts["financing_gap_cny"].max()),
        "peak_debt_cny": float(ts["debt_cny"].max()),
        "peak_arrears_cny": float(ts["arrears_cny"].max()),
        "months_in_arrears": int((ts["arrears_cny"] > 0).sum()),
        "final_cash_cny": float(ts["cash_cny"].iloc[-1]),
        "final_debt_cny": float(ts["debt_cny"].iloc[-1]),
        "maintenance_saved_cny": float(ts["maintenance_saved_cny"].sum()),
        "land_freed_mu": freed,
        "land_reclaimed_mu": float(m.vil.land_reclaimed_mu.sum()),
        "land_sold_mu": m.sold_mu,
        "land_collective_mu": m.collective_mu,
        "community_land_used_mu": built_land,
        "net_land_freed_mu": freed - built_land,
        "households_pulled": int((moved_mask & ~hh.pushed).sum()),
        "households_pushed": int((moved_mask & hh.pushed).sum()),
        "villages_withdrawn": int((m.vil.month_withdrawn != NO_MONTH).sum()),
        "households_stranded_final": int((hh.status == STRANDED).sum()),
        "households_stranded_peak": int(ts["n_stranded"].max()),
        "households_ever_stranded": int(ever_stranded.sum()),
        "stranded_household_months": int(hh.stranded_months.sum()),
        "mean_months_stranded": float(hh.stranded_months[ever_stranded].mean())
        if ever_stranded.any() else 0.0,
        "vulnerable_households": int(vuln.sum()),
        "vulnerable_moved": int((vuln & moved_mask).sum()),
        "vulnerable_protected": int((vuln & moved_mask & (hh.instruments != 0)).sum()),
        "vulnerable_stranded_final": int((vuln & (hh.status == STRANDED)).sum()),
        "vulnerable_ever_stranded": int((vuln & ever_stranded).sum()),
        "mean_household_debt_cny": float(debt.mean()) if debt.size else 0.0,
        "share_movers_in_debt": float((debt > 0).mean()) if debt.size else 0.0,
        "share_movers_debt_over_2y_income": float((debt > 2 * income).mean()) if debt.size else 0.0,
    })
    return out


def _community_regs_until(m: "Model", c: int, month: int) -> int:
    hh = m.hh
    reg = (hh.month_registered != NO_MONTH) & (hh.month_registered <= month)
    return int((reg & (m.vil.community[hh.village] == c)).sum())
