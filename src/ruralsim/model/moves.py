"""Moving in, two homes, coming back: a mover's finances and livelihood after the move.

Pure array functions.  At the move a household pays what moving costs it out of its savings
and borrows the rest (an annuity over ``livelihood.loan_term_years``)::

    out of pocket = unit price (unless the township pays it) + fit-out
                    − money value of its instruments − compensation received − deposit paid

Its net income per year changes by::

    Δ = non-farm income gain share × non-farm income (nearer to jobs)
        + income gained from instruments (priority hiring, training)
        + transferred share × (rent of its farmland
                               − farm income × (1 − share of the freed labour redeployed))
        − kept share × farmland × km to fields × commuting cost per mu and km
        − 12 × extra living costs of the unit

(dividends from the village's collective land come on top, for movers and stayers alike;
debt service is reported apart, as the debt-service ratio).  A mover is *worse off* when Δ
plus its dividends is negative, and *in distress* while its debt service exceeds
``distress_debt_service_ratio`` of its income (until income growth or the end of the loan
brings it below).  A mover that kept its old house may return to it, with
a monthly hazard that is higher when it is worse off.

Example:
    >>> round(float(months_in_distress(np.array([0.5]), 0.4, 0.05, 120)[0]), 1)
    54.9
"""
from __future__ import annotations

import numpy as np

from . import households as hhm
from .policy import Eligible, active_at
from .state import F_AFTER_WITHDRAWAL, F_DISTRESS, F_WORSE_OFF, KINDS, MOVED, TWO_HOMES, by_month


def livelihood_change(income: np.ndarray, farm_share: np.ndarray, farmland_mu: np.ndarray,
                      field_km: np.ndarray, relief: np.ndarray, income_gain: np.ndarray,
                      extra_living_pm: np.ndarray, rent_per_mu: float,
                      commute_per_mu_km: float, nonfarm_gain: float,
                      redeployed: float) -> np.ndarray:
    """Change of a mover's net income per year (without dividends or debt service).

    >>> livelihood_change(np.array([20000.0]), np.array([0.5]), np.array([5.0]),
    ...                   np.array([2.0]), np.array([0.0]), np.array([0.0]), np.array([100.0]),
    ...                   800.0, 15.0, 0.1, 0.5).tolist()   # 1,000 gain − 150 − 1,200
    [-350.0]
    """
    gain = nonfarm_gain * (1.0 - farm_share) * income + income_gain
    transfer = relief * (farmland_mu * rent_per_mu - farm_share * income * (1.0 - redeployed))
    commute = (1.0 - relief) * farmland_mu * field_km * commute_per_mu_km
    return gain + transfer - commute - 12.0 * extra_living_pm


def months_in_distress(dsr: np.ndarray, threshold: float, growth: np.ndarray | float,
                       term_months: float) -> np.ndarray:
    """Months a mover with debt-service ratio ``dsr`` at the move stays above ``threshold``.

    Income grows at ``growth`` per year and the payment is fixed, so the ratio falls below the
    threshold after ``12 log(dsr/threshold) / log(1 + growth)`` months, or at the end of the
    loan, whichever comes first (0 when the ratio starts below the threshold).
    """
    dsr = np.asarray(dsr, dtype=np.float64)
    g = np.broadcast_to(np.asarray(growth, dtype=np.float64), dsr.shape)
    over = dsr > threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        t_growth = np.where(g > 0, 12.0 * np.log(np.maximum(dsr, 1e-300) / threshold)
                            / np.log1p(np.maximum(g, 1e-12)), np.inf)
    return np.where(over, np.minimum(t_growth, term_months), 0.0)


def return_month(move_month: int, worse_off: np.ndarray, e: np.ndarray, h_worse: float,
                 h_base: float) -> np.ndarray:
    """Month a mover that kept its old house returns to it, from its threshold ``e ~ Exp(1)``
    and a constant monthly hazard (``inf`` when the hazard is zero)."""
    h = np.where(worse_off, h_worse, h_base)
    with np.errstate(divide="ignore", over="ignore"):
        wait = np.where(h > 0, np.ceil(e / np.where(h > 0, h, 1.0)), np.inf)
    return move_month + np.maximum(wait, 1.0)


class Moves:
    """Step 7: allocated households whose fit-out is done move in.

    Each demolishes its old house (its homestead is freed, reclaimed after
    ``land.reclaim_lag_months``) or keeps it (two homes); receives its instruments and
    compensation (the township's payments fall due at settlement); pays out of savings and
    borrows the rest; and its livelihood changes.  A mover that kept its house draws the month
    it would return (queued for step 8).  Units a developer or the township built are sold.
    """

    def __init__(self, sc, streams, pop, vil, com, terms, tr, dev, ledger, land, queues,
                 clock, rec) -> None:
        self.supply = None   # supply.mode 'demand': set by the loop (supply.py)
        self.sc, self.streams, self.pop, self.vil, self.com = sc, streams, pop, vil, com
        self.terms, self.tr, self.dev, self.ledger, self.land = terms, tr, dev, ledger, land
        self.queues, self.clock, self.rec, self.H = queues, clock, rec, sc.run.horizon_months
        lv = sc.livelihood
        self.extra_living = np.array([lv.living_cost_change_cny_per_month.apartment,
                                      lv.living_cost_change_cny_per_month.courtyard])
        ins = sc.policy.instruments
        self.instr_eligible = [Eligible(i.eligible, pop.type_names, vil.names) for i in ins]
        self.instr_lines = [f"exp_instr_{i.name}_cny" for i in ins]

    def step(self, t: int) -> None:
        due = self.queues.move.pop(t, None)
        if not due:
            return
        m = np.concatenate(due)
        sc, pop, vil, com, ledger = self.sc, self.pop, self.vil, self.com, self.ledger
        hh, b = pop.hh, sc.behaviour
        v = hh.village[m]
        c = vil.community[v]
        kind = hh.kind[m]
        dem = hhm.demolishes(sc, self.streams, hh, m, t) if self.terms.demolition is None \
            else self.terms.demolition.at_move(m, t)
        pop.transition(m[dem], MOVED)
        pop.transition(m[~dem], TWO_HOMES)
        hh.month_moved[m] = t
        pop.cum_moves += m.size
        grp = c.astype(np.int64) * len(KINDS) + kind
        group = np.bincount(grp, minlength=com.built.size).reshape(com.built.shape)
        com.allocated -= group
        com.occupied += group
        self._sell(group, t)
        out_v = np.bincount(v, minlength=vil.n)
        vil.n_present -= out_v
        vil.n_waiting -= out_v
        vil.n_out += out_v
        pop.shift_present(v, hh.htype[m], -1)
        # land: only a demolished homestead is freed
        two = hhm.two_homesteads(hh, m)
        freed = np.bincount(v[dem], weights=vil.homestead_mu(v[dem], two[dem]), minlength=vil.n)
        vil.land_freed_mu += freed
        self.land.reclaim_due[t + sc.land.reclaim_lag_months] += freed
        # promised payments: instruments and compensation
        price = com.price_cny[c, kind]
        borrowed = 0.0
        if self.supply is not None:   # paid while the home was built, or still due now
            price, borrowed = self.supply.at_move(m)
        value, covers = self._instruments_at_move(m, price, t)
        comp = hhm.compensation(sc, hh, m, t)
        if sc.policy.compensation.requires_demolition:
            comp = comp * dem
        ledger.hh_due["exp_compensation_cny"] += float(comp.sum())
        # the household pays out of savings and borrows the rest
        deposit = sc.policy.registration.deposit_cny
        ledger.escrow_cny -= deposit * m.size
        savings = hhm.savings_at(hh, m, self.clock.months_since_update)
        oop = np.where(covers, 0.0, price) + b.fit_out_cny - value - comp - deposit
        debt = np.maximum(oop - savings, 0.0) + borrowed
        hh.savings_cny[m] = np.maximum(savings - oop, 0.0)
        lv = sc.livelihood
        pmt = hhm.annuity(debt, lv.loan_rate_per_year, lv.loan_term_years)
        hh.debt_cny[m] = debt
        hh.debt_service_cny_pm[m] = pmt
        terms = self.terms.policy_terms(m, t)
        income = hh.income_cny[m].astype(np.float64)
        change = livelihood_change(
            income, hhm.farm_share(hh, m), hh.farmland_mu[m], vil.field_km[v],
            terms.field_relief, terms.income_gain, self.extra_living[kind],
            sc.land.rent_cny_per_mu_per_year * sc.land.rent_paid_share,
            lv.farm_commute_cost_cny_per_mu_km_year, lv.nonfarm_income_gain_share,
            lv.labour_redeployed_share)
        hh.income_change_cny_py[m] = change
        worse = change + ledger.dividend_phy[v] < 0
        dsr = np.divide(12.0 * pmt, income, out=np.full(m.size, np.inf), where=income > 0)
        distress = dsr > lv.distress_debt_service_ratio
        hh.flags[m] |= np.where(worse, F_WORSE_OFF, np.uint8(0)) | \
            np.where(distress, F_DISTRESS, np.uint8(0))
        term = 12.0 * lv.loan_term_years
        months = months_in_distress(dsr, lv.distress_debt_service_ratio,
                                    self.terms.growth[hh.htype[m]], term)
        ledger.distress_diff[t] += int(distress.sum())
        ends = np.minimum(t + np.ceil(months[distress]), self.H + 1).astype(np.int64)
        np.subtract.at(ledger.distress_diff, ends, 1)
        ledger.service_diff[t + 1] += float(pmt.sum())
        loan_end = min(self.H + 1, t + 1 + int(np.ceil(term)))
        ledger.service_diff[loan_end] -= float(pmt.sum())
        # a mover that kept its house may come back
        keep = m[~dem]
        if keep.size:
            e = self.streams.exponential("return", keep)
            back = return_month(t, worse[~dem], e, lv.return_hazard_worse_per_month,
                                lv.return_hazard_base_per_month)
            soon = back < self.H
            for month, group in by_month(back[soon], keep[soon]):
                self.queues.back[month].append(group)
        aw = (hh.flags[m] & F_AFTER_WITHDRAWAL) != 0
        self.rec.put("new_moves", t, m.size)
        self.rec.put("new_moves_after_withdrawal", t, int(aw.sum()))
        self.rec.put("new_demolitions", t, int(dem.sum()))

    def _instruments_at_move(self, m: np.ndarray, price: np.ndarray,
                             t: int) -> tuple[np.ndarray, np.ndarray]:
        """Instruments received by movers ``m``: their money value and whether the township
        pays the price; the township's payments fall due (household payments)."""
        hh, ledger = self.pop.hh, self.ledger
        value = np.zeros(m.size)
        covers = np.zeros(m.size, dtype=bool)
        bits = np.uint64(0)   # instruments every mover gets: their bits set at once
        for i, ins in enumerate(self.sc.policy.instruments):
            if not active_at(ins, t):
                continue
            el = self.instr_eligible[i]
            if m.size == 0:
                break
            if el.types is None and el.villages is None and el.max_income is None:
                got, k = None, m.size   # every mover gets it
                bits |= np.uint64(1) << np.uint64(i)
                if ins.value_cny:
                    value += ins.value_cny
            else:
                got = el.mask(hh.htype[m], hh.village[m], hh.income_cny[m])
                k = int(got.sum())
                if k == 0:
                    continue
                hh.instruments[m[got]] |= np.uint64(1) << np.uint64(i)
                value[got] += ins.value_cny
            cost = k * ins.cost_once_cny
            if ins.covers_price:  # the price is paid once, by the first instrument covering it
                if got is None:
                    got = np.ones(m.size, dtype=bool)
                cost += float(price[got & ~covers].sum())
                covers |= got
            ledger.hh_due[self.instr_lines[i]] += cost
            end = min(t + 1 + ins.cost_months, self.H + 1)
            for j, amount in enumerate((ins.cost_monthly_cny, ins.revenue_monthly_cny)):
                if amount and ins.cost_months:
                    ledger.recurring_diff[j, i, t + 1] += k * amount
                    ledger.recurring_diff[j, i, end] -= k * amount
        if bits:
            hh.instruments[m] |= bits
        return value, covers

    def _sell(self, group: np.ndarray, t: int) -> None:
        """Movers buy units a developer or the township built and has not yet sold."""
        com = self.com
        for seller in (0, 1):
            n = np.minimum(group, com.unsold[seller])
            if not n.any():
                continue
            com.unsold[seller] -= n
            group = group - n
            amount = float((n * com.price_cny).sum())
            if seller == 0:
                self.dev.sell(amount)
            else:
                self.tr.earn("rev_unit_sales_cny", t, amount)

