"""Step 9 of the month, settlement: the township pays what is due, in the budget rule's order
of priority (:mod:`ruralsim.model.treasury`): interest, households (owed first, then this
month's instruments, compensation and dividends), maintenance, construction, reclamation,
one-off events.  Paid phases progress, unpaid ones stall (:mod:`ruralsim.model.construction`);
unpaid upkeep decays services; unpaid reclamation waits for the next month.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("weak_finance", seed=5)
    >>> r.summary["months_in_arrears"] >= 0
    True
"""
from __future__ import annotations

import numpy as np

from .construction import PhaseOrder, under_way
from .services import decay_services
from .state import BUILDING, DEVELOPER, TOWNSHIP


class Settlement:
    """The month's payments by priority, and the developer's interest."""

    def __init__(self, sc, tr, dev, vil, ph, ledger, land, order: PhaseOrder, rec) -> None:
        self.sc, self.tr, self.dev, self.vil, self.ph = sc, tr, dev, vil, ph
        self.ledger, self.land, self.order, self.rec = ledger, land, order, rec
        self.instr_lines = [f"exp_instr_{ins.name}_cny" for ins in sc.policy.instruments]

    def step(self, t: int) -> None:
        tr, sc, vil, ph, ledger, land = self.tr, self.sc, self.vil, self.ph, self.ledger, self.land
        tr.interest(t)                                           # 1 interest
        tr.pay_deferred(t)                                       # 2 households: owed first,
        for line, amount in ledger.hh_due.items():               #   then this month's
            tr.pay_household(line, t, amount)
        ledger.hh_due.clear()
        rate = ledger.recurring_rate
        for i, line in enumerate(self.instr_lines):
            if rate[0, i]:
                tr.pay_household(line, t, float(rate[0, i]))
        income_v = vil.land_collective_mu * land.income_per_mu_year / 12.0
        dividends = float(income_v.sum()) * sc.land.dividend_share
        tr.pay_household("exp_dividends_cny", t, dividends)
        ledger.dividend_phy = 12.0 * sc.land.dividend_share * np.divide(
            income_v, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        maint = ledger.maint_due
        paid = tr.pay("exp_maintenance_cny", t, maint)           # 3 maintenance
        unpaid = 1.0 - paid / maint if maint > 0 else 0.0
        vil.service = decay_services(vil.service, vil.withdrawn,
                                     sc.strategy.withdrawal.decay_per_month, unpaid)
        self._pay_construction(t)                                # 4 construction
        mu = land.reclaim_due[t] + land.reclaim_backlog          # 5 reclamation
        cost = float(mu.sum()) * sc.land.reclaim_cost_cny_per_mu
        frac = tr.pay("exp_reclamation_cny", t, cost) / cost if cost > 0 else 1.0
        land.reclaimed_now = mu * frac
        land.reclaim_backlog = mu * (1.0 - frac)
        ledger.pending_events_cny -= tr.pay("exp_events_cny", t, ledger.pending_events_cny)  # 6
        self.dev.accrue_interest()
        self.rec.put("phases_stalled", t, int(((ph.state == BUILDING) & (ph.stalled > 0)).sum()))

    def _pay_construction(self, t: int) -> None:
        """Phases under way progress a month when their payment is made in full."""
        ph, tr, dev = self.ph, self.tr, self.dev
        rows = under_way(ph, t)
        if rows.size == 0:
            return
        ph.state[rows] = BUILDING
        for p in self.order(rows):
            public = float(ph.monthly_cny[p])
            housing = float(ph.housing_monthly_cny[p])
            own = public + (housing if ph.financing[p] == TOWNSHIP else 0.0)
            by_dev = ph.financing[p] == DEVELOPER
            if (not by_dev or dev.can_pay(housing)) and own <= tr.headroom() + 1e-9:
                tr.pay("exp_construction_cny", t, public, partial=False)
                if ph.financing[p] == TOWNSHIP:
                    tr.pay("exp_housing_cny", t, housing, partial=False)
                elif by_dev:
                    dev.pay(housing)
                ph.paid_cny[p] += public
                ph.housing_paid_cny[p] += housing
                ph.progress[p] += 1
                ph.stalled[p] = 0
            else:
                ph.stalled[p] += 1
                ph.stalled_total[p] += 1
