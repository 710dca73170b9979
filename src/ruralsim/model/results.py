"""Step 14 of the month, record: preallocated monthly arrays with a naming grammar.

Column names follow one grammar: ``n_`` stocks of households (``n_<status>``,
``n_<status>_<type>``), ``new_`` flows in the month, ``units_`` housing stocks, ``phases_``
counts of phases, ``land_*_mu`` cumulative land, ``rev_*_cny`` / ``exp_*_cny`` the township's
revenue and expenditure lines in the month, ``exposed_*`` / ``stranded_*`` households living
with degraded services this month, and balances at the month's end (``cash_cny``,
``debt_cny``, ``arrears_cny``, ``financing_gap_cny`` = debt + arrears, ``deferred_household_cny``,
``developer_debt_cny``).  The cash identity holds by construction and is tested:
``cash_cny[t] = opening + Σ rev_*[:t+1] − Σ exp_*[:t+1]`` (arrears are negative cash).

The tables and the summary built from these arrays are in :mod:`ruralsim.results`.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1)
    >>> r.timeseries.shape[0] == r.summary["horizon_months"]
    True
"""
from __future__ import annotations

import numpy as np

from .state import ABANDONED, BUILDING, DONE, KINDS, NO_MONTH, STATUS_NAMES

#: Revenue lines every run has (besides the scenario's own, awards and instrument revenues).
BUILTIN_REVENUES = ("collective_land", "land_quota", "unit_sales", "forfeited_deposits",
                    "borrowing")
#: Expenditure lines every run has (besides one per instrument).
BUILTIN_EXPENDITURES = ("construction", "housing", "maintenance", "events", "compensation",
                        "dividends", "reclamation", "interest", "arrears_interest",
                        "debt_repayment")
#: Monthly columns of the township's plan (only when ``government.plan.enabled``): the
#: registrations the year's quota still admits (−1: unbounded), households whose decision
#: to register waited for the quota, ready works waiting for money, household payments
#: deferred and contractors' payments not made this month, the plan's cost of one mover.
PLAN_COLUMNS = ("plan_quota_left", "plan_turned_away", "plan_works_waiting",
                "plan_deferred_households_cny", "plan_unpaid_works_cny",
                "plan_cost_per_mover_cny", "new_works_started")
#: Lines that are financing, not the programme's own flows.
FINANCING_LINES = ("rev_borrowing_cny", "exp_debt_repayment_cny")


class Recorder:
    """Monthly arrays, allocated once; the month writes one row (:meth:`record_month`)."""

    #: The township's plan whose month :meth:`record_month` writes (set by the loop).
    plan = None

    def __init__(self, sc, type_names: list[str], n_villages: int):
        H = sc.run.horizon_months
        self.H = H
        self.type_names = type_names
        T = len(type_names)
        self.rev_lines = [f"rev_{r.name}_cny" for r in sc.government.revenues] + \
            [f"rev_award_{a.name}_cny" for a in sc.policy.awards] + \
            [f"rev_instr_{i.name}_cny" for i in sc.policy.instruments if i.revenue_monthly_cny] + \
            [f"rev_{r}_cny" for r in BUILTIN_REVENUES]
        self.exp_lines = [f"exp_{e}_cny" for e in BUILTIN_EXPENDITURES[:5]] + \
            [f"exp_instr_{i.name}_cny" for i in sc.policy.instruments] + \
            [f"exp_{e}_cny" for e in BUILTIN_EXPENDITURES[5:]]
        self.by_type_status = np.zeros((H, T, len(STATUS_NAMES)), dtype=np.int64)
        self.exposed = np.zeros((H, T), dtype=np.int64)
        self.stranded = np.zeros((H, T), dtype=np.int64)
        self.registrations = np.zeros((H, len(sc.communities)), dtype=np.int64)
        names = ["new_registrations", "new_registrations_after_withdrawal",
                 "new_registrations_apartment", "new_reneges", "new_reneges_overdue", "new_rebuilds",
                 "new_allocations",
                 "new_moves", "new_moves_after_withdrawal", "new_demolitions", "new_returns",
                 "n_waiting", "n_ever_moved", "n_distress", "households_debt_service_cny"]
        names += [f"units_built_{k}" for k in KINDS] + [f"units_free_{k}" for k in KINDS]
        names += ["units_occupied", "units_allocated", "phases_building", "phases_stalled",
                  "phases_done", "phases_abandoned", "sunk_cost_cny", "service_level_mean",
                  "n_villages_withdrawn", "maintenance_saved_cny", "land_freed_mu",
                  "land_reclaimed_mu", "land_collective_mu", "land_quota_mu",
                  "land_community_mu", "land_freed_net_mu"]
        names += self.rev_lines + self.exp_lines
        names += ["revenue_total_cny", "expenditure_total_cny", "cash_cny", "debt_cny",
                  "arrears_cny", "financing_gap_cny", "deferred_household_cny", "overcommitted",
                  "developer_debt_cny", "deposits_held_cny"]
        if sc.government.plan.enabled:   # the township's plan (issue 20): only when it is on
            names += list(PLAN_COLUMNS)
        self.cols: dict[str, np.ndarray] = {n: np.zeros(H) for n in names}
        self.v_present = np.zeros((H, n_villages), dtype=np.int64)
        self.v_service = np.zeros((H, n_villages))
        self.v_withdrawn = np.zeros((H, n_villages), dtype=bool)
        self.v_freed = np.zeros((H, n_villages))
        self.v_present_by_type = np.zeros((H, n_villages, T), dtype=np.int64)

    def earn(self, line: str, t: int, amount: float) -> None:
        self.cols[line][t] += amount

    def spend(self, line: str, t: int, amount: float) -> None:
        self.cols[line][t] += amount

    def put(self, name: str, t: int, value: float) -> None:
        self.cols[name][t] = value

    def add(self, name: str, t: int, value: float) -> None:
        """Add to a count that more than one part of a step may write in a month."""
        self.cols[name][t] += value

    def watch(self, pop, vil, com, ph, tr, dev, waiting, ledger) -> None:
        """The state whose stocks :meth:`record_month` writes each month."""
        self._state = (pop, vil, com, ph, tr, dev, waiting, ledger)
        c = self.cols
        # the columns, looked up once (not by name each month)
        self._stock = [c[n] for n in (
            "n_waiting", "n_ever_moved", "n_distress", "households_debt_service_cny",
            "units_occupied", "units_allocated", "phases_building", "phases_done",
            "phases_abandoned", "sunk_cost_cny", "service_level_mean", "n_villages_withdrawn",
            "land_freed_mu", "land_reclaimed_mu", "land_collective_mu", "land_quota_mu",
            "land_community_mu", "land_freed_net_mu", "revenue_total_cny",
            "expenditure_total_cny", "cash_cny", "debt_cny", "arrears_cny", "financing_gap_cny",
            "deferred_household_cny", "overcommitted", "developer_debt_cny",
            "deposits_held_cny")]
        self._units = [(k, c[f"units_built_{kn}"], c[f"units_free_{kn}"])
                       for k, kn in enumerate(KINDS)]
        self._rev = [c[n] for n in self.rev_lines]
        self._exp = [c[n] for n in self.exp_lines]
        self._live = vil.n0 > 0
        self._any_live = bool(self._live.any())

    def record_month(self, t: int) -> None:
        """Write the stocks of month ``t`` (flows were booked as they happened)."""
        pop, vil, com, ph, tr, dev, waiting, ledger = self._state
        (n_waiting, n_ever_moved, n_distress, debt_service, occupied, allocated, building,
         done, abandoned, sunk, service_mean, withdrawn, freed, reclaimed, collective, quota,
         community, freed_net, revenue, expenditure, cash, debt, arrears, gap, deferred,
         overcommitted, dev_debt, deposits) = self._stock
        self.by_type_status[t] = pop.counts
        self.registrations[t] = com.registrations
        n_waiting[t] = waiting.size
        n_ever_moved[t] = pop.cum_moves
        n_distress[t] = ledger.distress_diff[: t + 1].sum()
        debt_service[t] = ledger.service_diff[: t + 1].sum()
        free = com.free
        for k, built_k, free_k in self._units:
            built_k[t] = com.built[:, k].sum()
            free_k[t] = free[:, k].sum()
        occupied[t] = com.occupied.sum()
        allocated[t] = com.allocated.sum()
        state = ph.state
        building[t] = int((state == BUILDING).sum())
        done[t] = int((state == DONE).sum())
        ab = state == ABANDONED
        abandoned[t] = int(ab.sum())
        sunk[t] = float((ph.paid_cny + ph.housing_paid_cny)[ab].sum())
        v_service = vil.service.mean(axis=1)
        service_mean[t] = v_service[self._live].mean() if self._any_live else 1.0
        v_withdrawn = vil.month_withdrawn != NO_MONTH
        withdrawn[t] = int(v_withdrawn.sum())
        land_freed = vil.land_freed_mu.sum()
        freed[t] = land_freed
        reclaimed[t] = vil.land_reclaimed_mu.sum()
        collective[t] = vil.land_collective_mu.sum()
        quota[t] = vil.land_quota_mu.sum()
        footprint = float((com.built * com.land_mu_pu).sum())
        community[t] = footprint
        freed_net[t] = land_freed - footprint
        revenue[t] = sum(a[t] for a in self._rev)
        expenditure[t] = sum(a[t] for a in self._exp)
        cash[t] = tr.cash
        debt[t] = tr.debt
        arrears[t] = tr.arrears
        gap[t] = tr.debt + tr.arrears
        deferred[t] = tr.deferred_total
        overcommitted[t] = float(tr.overcommitted)
        dev_debt[t] = dev.debt
        deposits[t] = ledger.escrow_cny
        self.v_present[t] = vil.n_present
        self.v_service[t] = v_service
        self.v_withdrawn[t] = v_withdrawn
        self.v_freed[t] = vil.land_freed_mu
        self.v_present_by_type[t] = pop.present_vt
        if self.plan is not None:
            self._record_plan(t, self.plan, ph)

    def _record_plan(self, t: int, pl, ph) -> None:
        c = self.cols
        c["plan_quota_left"][t] = -1 if pl.quota_left is None else pl.quota_left
        c["plan_turned_away"][t] = pl.turned_away
        c["plan_works_waiting"][t] = pl.works_waiting
        c["plan_deferred_households_cny"][t] = pl.deferred_households_cny
        c["plan_unpaid_works_cny"][t] = pl.unpaid_works_cny
        c["plan_cost_per_mover_cny"][t] = pl.cost_per_mover
        c["new_works_started"][t] = int((ph.month_funded == t).sum())
        pl.turned_away = pl.works_waiting = 0
        pl.deferred_households_cny = pl.unpaid_works_cny = 0.0
