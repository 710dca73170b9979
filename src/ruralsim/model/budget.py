"""Step 1 of the month, the budget opens: the revenues of the month are paid in.

Awards (once, when the share of households moved reaches their threshold), the scenario's
recurring revenues (transfers, rents, instalments, with their growth), the instruments'
monthly revenues, the income of reclaimed collective land and quota sales that fall due.
Revenues come first so that this month's money can pay this month's bills (settlement,
step 9).  Line names are built once, not each month.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1)
    >>> bool((r.timeseries["rev_collective_land_cny"] >= 0).all())
    True
"""
from __future__ import annotations

from .plan import per_household_amount
from .land import LandBook, quota_price
from .state import Ledger, Population, Villages
from .treasury import Treasury


class Budget:
    """Revenues of the month into the treasury."""

    def __init__(self, sc, tr: Treasury, pop: Population, vil: Villages, ledger: Ledger,
                 land: LandBook) -> None:
        self.sc, self.tr, self.pop, self.vil, self.ledger, self.land = sc, tr, pop, vil, ledger, land
        pol = sc.policy
        n = pop.hh.n   # awards may be set per household or per 1,000 households
        self.awards = [(aw.moved_share, per_household_amount(aw.amount_cny, aw.per, n),
                        f"rev_award_{aw.name}_cny") for aw in pol.awards]
        self.awards_paid = [False] * len(self.awards)
        self.revenues = [(r, f"rev_{r.name}_cny") for r in sc.government.revenues]
        self.instr_lines = [f"rev_instr_{ins.name}_cny" for ins in pol.instruments]

    def step(self, t: int) -> None:
        tr, ledger, land = self.tr, self.ledger, self.land
        share = self.pop.cum_moves / max(1, self.pop.hh.n)
        for i, (moved_share, amount, line) in enumerate(self.awards):
            if not self.awards_paid[i] and share >= moved_share:
                self.awards_paid[i] = True
                tr.earn(line, t, amount)
        for r, line in self.revenues:
            if t >= r.start_month and (r.end_month is None or t <= r.end_month) and \
                    (t - r.start_month) % r.every_months == 0:
                amount = r.amount_cny * (1 + r.growth_per_year) ** ((t - r.start_month) / 12)
                tr.earn(line, t, amount)
        rate = ledger.recurring_rate
        rate += ledger.recurring_diff[:, :, t]
        for i, line in enumerate(self.instr_lines):
            if rate[1, i]:
                tr.earn(line, t, float(rate[1, i]))
        tr.earn("rev_collective_land_cny", t,
                float(self.vil.land_collective_mu.sum()) * land.income_per_mu_year / 12.0)
        sold = float(land.sale_due[t])
        if sold:
            tr.earn("rev_land_quota_cny", t,
                    sold * quota_price(self.sc.land.quota, t, land.quota_level))
