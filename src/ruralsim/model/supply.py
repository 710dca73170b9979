"""Homes that go up as the households who pay for them are ready (supply.mode 'demand').

Pure array functions; the month's process calls them in this order:

1. **plots**: registered households that chose a courtyard and have no plot are given a free
   plot in an open section of their community, in the allocation rule's order, while plots
   are free (:func:`first_per_group`);
2. **courtyard starts**: a household with a plot starts building when it can pay the whole
   home cost (:func:`can_pay`: savings + credit + instrument values >= m2 x cost per m2 x the
   builders' price factor) and a builder slot is free, in the same order;
3. **courtyard months**: each building household pays its monthly instalment from its savings
   (:func:`pay_instalments`); a month it cannot pay, it stalls; done after its drawn number
   of paid months, it moves; unpaid ``stall_limit_months`` in a row, it gives up;
4. **apartment presales**: registered households that chose an apartment and can pay the
   pre-payment speak for a unit in an open building of their community (:func:`presell`);
5. **buildings**: a building whose sites is open starts when its units spoken for reach
   ``start_share`` of its units and builders allow (:func:`start_buildings`); it is built
   over its drawn months from its buyers' pre-payments plus bridging credit
   (:func:`finance_buildings`); done, its units go to its buyers, who move.

Example:
    >>> first_per_group(np.array([1, 0, 1, 1]), np.array([0, 2])).tolist()
    [True, False, True, False]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..state import ABANDONED, BUILDING, DONE, NO_MONTH, PLANNED, triangular_ppf



def first_per_group(group: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Mask of candidates served: in the given order, the first ``limit[g]`` of each group g.

    ``group`` lists the candidates' groups in priority order; ``limit`` is indexed by group.
    """
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.r_[True, g[1:] != g[:-1]])
    counts = np.diff(np.r_[starts, n])
    pos = np.arange(n) - np.repeat(starts, counts)
    served = np.empty(n, dtype=bool)
    served[order] = pos < limit[g]
    return served


def home_cost(m2: np.ndarray, cost_per_m2: float, factor: np.ndarray) -> np.ndarray:
    """Cost of building a courtyard house: floor area x cost per m2 x builders' price factor."""
    return m2 * cost_per_m2 * factor


def can_pay(savings: np.ndarray, credit: np.ndarray, value: np.ndarray,
            cost: np.ndarray) -> np.ndarray:
    """Whether a household's savings, credit and instrument values cover ``cost``."""
    return savings + credit + value >= cost - 1e-6


def draw_months(u: np.ndarray, spec) -> np.ndarray:
    """Build months (at least 1) from uniforms ``u`` and a triangular spec."""
    months = triangular_ppf(u, np.full(u.size, spec.low), np.full(u.size, spec.mode),
                            np.full(u.size, spec.high))
    return np.maximum(np.rint(months), 1).astype(np.int32)


def pay_instalments(savings: np.ndarray, instalment: np.ndarray,
                    credit_left: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A month of a self-built house: each household pays ``instalment`` from its savings and
    then its remaining credit; one that cannot pay the whole instalment pays nothing (stalls).

    Returns (paid mask, savings after, credit left after).
    """
    from_savings = np.minimum(savings, instalment)
    from_credit = instalment - from_savings
    paid = from_credit <= credit_left + 1e-6
    sav = np.where(paid, savings - from_savings, savings)
    cred = np.where(paid, credit_left - from_credit, credit_left)
    return paid, sav, np.maximum(cred, 0.0)


@dataclass
class Buildings:
    """Apartment buildings: one row per building site of every community (sites open when
    their section is done)."""

    community: np.ndarray     # int32
    units: np.ndarray         # int64 units per building
    site_open: np.ndarray     # bool: its section is done
    sold: np.ndarray          # int64 units spoken for
    state: np.ndarray         # int8 PLANNED / BUILDING / DONE / ABANDONED
    build_months: np.ndarray  # int32 paid months needed (drawn per building)
    progress: np.ndarray      # int32
    stalled: np.ndarray       # int32 unpaid months in a row
    cost_cny: np.ndarray      # float64 construction cost (fixed at start, with price factor)
    cash_cny: np.ndarray      # float64 buyers' payments not yet spent
    credit_cny: np.ndarray    # float64 bridging credit drawn
    month_started: np.ndarray
    month_done: np.ndarray

    @property
    def n(self) -> int:
        return int(self.community.size)

    @classmethod
    def empty_sites(cls, community: np.ndarray, units: int, months: np.ndarray) -> "Buildings":
        n = community.size
        none = np.full(n, NO_MONTH, dtype=np.int32)
        return cls(community=community.astype(np.int32), units=np.full(n, units, np.int64),
                   site_open=np.zeros(n, dtype=bool), sold=np.zeros(n, dtype=np.int64),
                   state=np.full(n, PLANNED, dtype=np.int8),
                   build_months=np.maximum(months.astype(np.int32), 1),
                   progress=np.zeros(n, dtype=np.int32), stalled=np.zeros(n, dtype=np.int32),
                   cost_cny=np.zeros(n), cash_cny=np.zeros(n), credit_cny=np.zeros(n),
                   month_started=none.copy(), month_done=none.copy())


def open_sites(b: Buildings, sites_open: np.ndarray) -> None:
    """Open the first ``sites_open[c]`` sites of each community c (rows are in order)."""
    b.site_open = first_per_group(b.community, sites_open)


def presell(b: Buildings, buyer_community: np.ndarray) -> np.ndarray:
    """Buyers (in priority order, by community) speak for units of open, unfinished buildings
    of their community, filling the lowest-numbered building first; returns each buyer's
    building row (-1: no unit free, the buyer keeps waiting)."""
    out = np.full(buyer_community.size, -1, dtype=np.int64)
    if buyer_community.size == 0:
        return out
    free = np.where(b.site_open & ((b.state == PLANNED) | (b.state == BUILDING)),
                    b.units - b.sold, 0)
    for c in np.unique(buyer_community):
        rows = np.flatnonzero((b.community == c) & (free > 0))
        if rows.size == 0:
            continue
        who = np.flatnonzero(buyer_community == c)
        edges = np.cumsum(free[rows])
        k = np.searchsorted(edges, np.arange(who.size), side="right")
        ok = k < rows.size
        out[who[ok]] = rows[k[ok]]
    got = out[out >= 0]
    b.sold += np.bincount(got, minlength=b.n)
    return out


def start_buildings(b: Buildings, start_share: float, slots: np.ndarray, unit_cost: np.ndarray,
                    factor: np.ndarray, t: int, scope_community: bool) -> np.ndarray:
    """Start buildings whose units spoken for reach ``start_share`` (in row order) while the
    builders' free slots (homes) allow; the cost is fixed at the price factor of the month.

    ``slots`` has one entry (township) or one per community; ``unit_cost`` and ``factor``
    are per community.  Returns rows started.
    """
    need = np.ceil(start_share * b.units - 1e-9).astype(np.int64)
    cand = np.flatnonzero((b.state == PLANNED) & b.site_open & (b.sold >= np.maximum(need, 1)))
    slots = slots.copy()
    started = []
    for r in cand:
        s = int(b.community[r]) if scope_community else 0
        if slots[s] >= b.units[r]:
            slots[s] -= int(b.units[r])
            started.append(int(r))
    rows = np.array(started, dtype=np.int64)
    c = b.community[rows]
    b.state[rows] = BUILDING
    b.month_started[rows] = t
    b.cost_cny[rows] = b.units[rows] * unit_cost[c] * factor[c]
    return rows


def finance_buildings(b: Buildings, bridging_limit: float, t: int) -> tuple[np.ndarray,
                                                                            np.ndarray]:
    """A month of the buildings under way: each pays its monthly cost from its buyers' cash,
    then bridging credit up to ``bridging_limit``; unpaid, it stalls.  Returns (rows paid,
    rows done now)."""
    rows = np.flatnonzero(b.state == BUILDING)
    need = b.cost_cny[rows] / b.build_months[rows]
    cash, cred = b.cash_cny[rows], b.credit_cny[rows]
    from_cash = np.minimum(cash, need)
    from_credit = need - from_cash
    paid = from_credit <= bridging_limit - cred + 1e-6
    p = rows[paid]
    b.cash_cny[p] -= from_cash[paid]
    b.credit_cny[p] += from_credit[paid]
    b.progress[p] += 1
    b.stalled[p] = 0
    b.stalled[rows[~paid]] += 1
    done = p[b.progress[p] >= b.build_months[p]]
    b.state[done] = DONE
    b.month_done[done] = t
    return p, done


def abandon_stalled(b: Buildings, limit: int, t: int) -> np.ndarray:
    """Buildings unpaid ``limit`` months in a row are abandoned; returns their rows."""
    rows = np.flatnonzero((b.state == BUILDING) & (b.stalled >= limit))
    b.state[rows] = ABANDONED
    b.month_done[rows] = t
    return rows


def view_term(occupied: np.ndarray, facilities_share: np.ndarray, b_homes: float,
              scale: float, b_facilities: float) -> np.ndarray:
    """What a household sees of each community: occupied homes (up to ``scale``) and the share
    of its facilities open, as a term of the log hazard."""
    return b_homes * np.minimum(occupied / scale, 1.0) + b_facilities * facilities_share
