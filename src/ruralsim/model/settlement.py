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
from .plan import split_shortfall
from .services import decay_services
from .state import BUILDING, DEVELOPER, TOWNSHIP


class Settlement:
    """The month's payments by priority, and the developer's interest.

    With the township's plan (``plan`` set by the loop, :mod:`ruralsim.model.plan`) the order
    is interest, maintenance, then households and contractors by ``plan.defer_rule``."""

    plan = None
    #: supply.mode 'demand': pays the public works in sections (supply.DemandSupply.pay_works)
    works = None

    def __init__(self, sc, tr, dev, vil, ph, ledger, land, order: PhaseOrder, rec) -> None:
        self.sc, self.tr, self.dev, self.vil, self.ph = sc, tr, dev, vil, ph
        self.ledger, self.land, self.order, self.rec = ledger, land, order, rec
        self.instr_lines = [f"exp_instr_{ins.name}_cny" for ins in sc.policy.instruments]

    def step(self, t: int) -> None:
        tr, sc, vil, ph, ledger, land = self.tr, self.sc, self.vil, self.ph, self.ledger, self.land
        tr.interest(t)                                           # 1 interest
        if self.plan is not None:   # keep back the interest due until the next revenue
            tr.reserve = self.plan.interest_reserve(t)
        income_v = vil.land_collective_mu * land.income_per_mu_year / 12.0
        dividends = float(income_v.sum()) * sc.land.dividend_share
        ledger.dividend_phy = 12.0 * sc.land.dividend_share * np.divide(
            income_v, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        if self.plan is not None:   # the plan's order: upkeep, then the deferral rule
            self._maintain(t)
            self._settle_by_rule(t, dividends)
        else:
            self._pay_households(t, dividends)                   # 2 households
            self._maintain(t)                                    # 3 maintenance
            self._pay_construction(t)                            # 4 construction
            if self.works is not None:                           #   (public works in
                self.works(t)                                    #   sections, demand mode)
        mu = land.reclaim_due[t] + land.reclaim_backlog          # 5 reclamation
        cost = float(mu.sum()) * sc.land.reclaim_cost_cny_per_mu
        frac = tr.pay("exp_reclamation_cny", t, cost) / cost if cost > 0 else 1.0
        land.reclaimed_now = mu * frac
        land.reclaim_backlog = mu * (1.0 - frac)
        ledger.pending_events_cny -= tr.pay("exp_events_cny", t, ledger.pending_events_cny)  # 6
        self.dev.accrue_interest()
        self.rec.put("phases_stalled", t, int(((ph.state == BUILDING) & (ph.stalled > 0)).sum()))

    def _pay_households(self, t: int, dividends: float,
                        budget: list[float] | None = None) -> None:
        """Household payments: what is owed first, then this month's (within ``budget``)."""
        tr, ledger = self.tr, self.ledger
        tr.pay_deferred(t, budget)
        for line, amount in ledger.hh_due.items():
            tr.pay_household(line, t, amount, budget)
        ledger.hh_due.clear()
        rate = ledger.recurring_rate
        for i, line in enumerate(self.instr_lines):
            if rate[0, i]:
                tr.pay_household(line, t, float(rate[0, i]), budget)
        tr.pay_household("exp_dividends_cny", t, dividends, budget)

    def _maintain(self, t: int) -> None:
        vil, maint = self.vil, self.ledger.maint_due
        paid = self.tr.pay("exp_maintenance_cny", t, maint)
        unpaid = 1.0 - paid / maint if maint > 0 else 0.0
        vil.service = decay_services(vil.service, vil.withdrawn,
                                     self.sc.strategy.withdrawal.decay_per_month, unpaid)

    def _settle_by_rule(self, t: int, dividends: float) -> None:
        """With a plan: the money left after interest and upkeep goes to households and
        contractors by ``plan.defer_rule`` (plan.split_shortfall)."""
        tr, ph, ledger = self.tr, self.ph, self.ledger
        due_h = tr.deferred_total + sum(ledger.hh_due.values()) + \
            float(ledger.recurring_rate[0].sum()) + dividends
        rows = under_way(ph, t)
        own = ph.monthly_cny + np.where(ph.financing == TOWNSHIP, ph.housing_monthly_cny, 0.0)
        due_w = float(own[rows].sum())
        if self.works is not None:   # demand mode: the sections and facilities under way
            due_w += self.works.__self__.works_due()
        h, w = split_shortfall(self.sc.government.plan.defer_rule, tr.headroom(), due_h, due_w)
        before = tr.deferred_in_all
        self._pay_households(t, dividends, [h])
        budget = [w]
        spent = self._pay_construction(t, budget)
        if self.works is not None:
            spent += self.works(t, budget)
        self.plan.deferred_households_cny = tr.deferred_in_all - before
        self.plan.unpaid_works_cny = due_w - spent

    def _pay_construction(self, t: int, budget: list[float] | None = None) -> float:
        """Phases under way progress a month when their payment is made in full (within
        ``budget[0]`` when given); returns what was paid."""
        ph, tr, dev = self.ph, self.tr, self.dev
        rows = under_way(ph, t)
        spent = 0.0
        if rows.size == 0:
            return spent
        ph.state[rows] = BUILDING
        for p in self.order(rows):
            public = float(ph.monthly_cny[p])
            housing = float(ph.housing_monthly_cny[p])
            own = public + (housing if ph.financing[p] == TOWNSHIP else 0.0)
            by_dev = ph.financing[p] == DEVELOPER
            room = tr.headroom() if budget is None else min(tr.headroom(), budget[0])
            if (not by_dev or dev.can_pay(housing)) and own <= room + 1e-9:
                if budget is not None:
                    budget[0] -= own
                spent += own
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
        return spent
