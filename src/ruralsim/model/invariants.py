"""Model invariants, checked every month with ``check=True`` / ``--check``.

Each check returns human-readable problems; an empty list means all hold.

* every household is in exactly one status, and the counts kept by type, village and
  community agree with the household arrays;
* units: allocated + occupied ≤ built; occupied units are exactly the households living in
  the community (moved or two homes);
* land: freed land equals the homesteads of households that demolished; reclaimed land is
  freed land, and it is either collective or quota;
* money: ``cash = opening + Σ revenues − Σ expenditures``; debt within its limit; arrears
  pass the cap only by interest; deposits held equal the deposits of those on the list;
  movers' debt service equals the annuity of their debt;
* services in [0, 1]; no negative stock.
"""
from __future__ import annotations

import numpy as np

from .households import annuity, two_homesteads
from .state import ALLOCATED, IN_COMMUNITY, MOVED, PRESENT, REGISTERED, STATUS_NAMES

#: Tolerance for money identities, in yuan (float sums over many months).
CASH_TOLERANCE_CNY = 0.5
LAND_TOLERANCE_MU = 1e-6


class InvariantError(AssertionError):
    """A model invariant failed (only raised when running with ``check=True``)."""


def check_month(t: int, sc, pop, vil, com, waiting, active, rec, tr, ledger, clock) -> list[str]:
    """All invariants of month ``t`` (after the month's record was written).

    Takes the state it reads: the scenario, the population and its counts, villages,
    communities, the waiting list, the deciding set, the records, the treasury, the ledger
    and the clock.
    """
    hh = pop.hh
    return (_households(pop, vil, waiting, active) + _units(hh, vil, com) + _land(hh, vil)
            + _money(t, sc, hh, vil, rec, tr, ledger, clock))


def _households(pop, vil, waiting, active) -> list[str]:
    hh = pop.hh
    out: list[str] = []
    S = len(STATUS_NAMES)
    if not np.isin(hh.status, np.arange(S)).all() or pop.counts.sum() != hh.n:
        out.append("not every household is in exactly one status")
    recount = np.bincount(hh.htype.astype(np.int64) * S + hh.status,
                          minlength=pop.counts.size).reshape(pop.counts.shape)
    if not np.array_equal(recount, pop.counts):
        out.append("status counts by type do not match the households")
    for name, statuses, kept in (("present", PRESENT, vil.n_present),
                                 ("waiting", (REGISTERED, ALLOCATED), vil.n_waiting),
                                 ("in a community", IN_COMMUNITY, vil.n_out)):
        real = np.bincount(hh.village, weights=np.isin(hh.status, statuses), minlength=vil.n)
        if not np.array_equal(real.astype(np.int64), kept):
            out.append(f"village counts of households {name} do not match the households")
    if not np.array_equal(pop.present_vt.sum(axis=1), vil.n_present):
        out.append("present households by village and type do not add up")
    if waiting.size != int((hh.status == REGISTERED).sum()):
        out.append("the waiting list does not hold exactly the registered households")
    if active.size != int((hh.status == 0).sum()):
        out.append("the deciding set does not hold exactly the households in their village")
    return out


def _units(hh, vil, com) -> list[str]:
    out: list[str] = []
    if (com.allocated + com.occupied > com.built).any() or (com.allocated < 0).any():
        out.append("more units allocated or occupied than built")
    live = np.isin(hh.status, IN_COMMUNITY)
    occ = np.bincount(vil.community[hh.village[live]].astype(np.int64) * com.built.shape[1]
                      + hh.kind[live], minlength=com.built.size).reshape(com.built.shape)
    if not np.array_equal(occ, com.occupied):
        out.append("occupied units do not match the households living in the communities")
    return out


def _land(hh, vil) -> list[str]:
    out: list[str] = []
    dem = hh.status == MOVED
    freed = np.bincount(hh.village[dem], weights=vil.homestead_mu(hh.village[dem],
                                                                  two_homesteads(hh, dem)),
                        minlength=vil.n)
    if not np.allclose(freed, vil.land_freed_mu, atol=LAND_TOLERANCE_MU, rtol=1e-9):
        out.append("land freed differs from the homesteads of households that demolished")
    if (vil.land_reclaimed_mu > vil.land_freed_mu + LAND_TOLERANCE_MU).any():
        out.append("more land reclaimed than freed")
    if not np.allclose(vil.land_collective_mu + vil.land_quota_mu, vil.land_reclaimed_mu,
                       atol=LAND_TOLERANCE_MU, rtol=1e-9):
        out.append("reclaimed land is not exactly collective plus quota")
    return out


def _money(t: int, sc, hh, vil, rec, tr, ledger, clock) -> list[str]:
    out: list[str] = []
    c = rec.cols
    cash = (sc.government.opening_cash_cny
            + sum(c[n][: t + 1].sum() for n in rec.rev_lines)
            - sum(c[n][: t + 1].sum() for n in rec.exp_lines))
    if abs(cash - c["cash_cny"][t]) > CASH_TOLERANCE_CNY + 1e-9 * abs(cash):
        out.append(f"cash {c['cash_cny'][t]:.2f} != opening + revenues - expenditures {cash:.2f}")
    if tr.debt > tr.limit + 1e-6:
        out.append("debt above the borrowing limit")
    prev = c["arrears_cny"][t - 1] if t else 0.0
    interest = c["exp_interest_cny"][t] + c["exp_arrears_interest_cny"][t]
    if tr.arrears > max(prev, tr.cap) + interest + CASH_TOLERANCE_CNY:
        out.append("arrears above their cap beyond the interest they carry")
    deposit = sc.policy.registration.deposit_cny
    on_list = int(np.isin(hh.status, (REGISTERED, ALLOCATED)).sum())
    if abs(ledger.escrow_cny - deposit * on_list) > CASH_TOLERANCE_CNY:
        out.append("deposits held differ from the deposits of households on the list")
    moved = hh.month_moved >= 0
    lv = sc.livelihood
    want = annuity(hh.debt_cny[moved].astype(np.float64), lv.loan_rate_per_year,
                   lv.loan_term_years)
    if not np.allclose(want, hh.debt_service_cny_pm[moved], rtol=1e-5, atol=0.01):
        out.append("movers' debt service differs from the annuity of their debt")
    # savings are stored as of the last yearly update and grow by the monthly flow since: a
    # deposit paid out of this year's saving leaves the stored figure negative, never the
    # savings of the month (savings drawn down stop at zero: the household is broke)
    since = max(clock.months_since_update - 1, 0)   # months since the update, as in month t
    savings = hh.savings_cny + np.maximum(hh.flow_cny_pm, 0) * since
    if (hh.debt_cny < 0).any() or (savings < -CASH_TOLERANCE_CNY).any():
        out.append("negative household debt or savings")
    for name, arr in c.items():
        if (name.startswith(("n_", "units_", "land_", "rev_", "exp_", "debt", "phases_"))
                and name != "land_freed_net_mu" and arr[t] < -1e-6):
            out.append(f"negative stock {name} = {arr[t]}")
    if ((vil.service < -1e-12) | (vil.service > 1 + 1e-12)).any():
        out.append("service level outside [0, 1]")
    return out
