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

from .. import compiled as _c
from .state import ABANDONED, BUILDING, DONE, NO_MONTH, PLANNED, triangular_ppf
from .builders import free_slots, grow, price_factor
from .waiting import switch_groups



def first_per_group(group: np.ndarray, limit: np.ndarray) -> np.ndarray:
    """Mask of candidates served: in the given order, the first ``limit[g]`` of each group g.

    ``group`` lists the candidates' groups in priority order; ``limit`` is indexed by group.
    """
    n = group.size
    if n == 0:
        return np.zeros(0, dtype=bool)
    if _c.ENABLED:   # one pass counting per group (the same mask)
        return _c.first_per_group(np.ascontiguousarray(group, dtype=np.int64),
                                  np.ascontiguousarray(limit))
    order = np.argsort(group, kind="stable")
    g = group[order]
    starts = np.flatnonzero(np.concatenate(([True], g[1:] != g[:-1])))   # (np.r_ is slow)
    counts = np.diff(np.concatenate((starts, [n])))
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
    if rows.size == 0:
        return rows, rows
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


# ---------------------------------------------------------------------------- the process
#: Where a household stands in the supply pipeline (demand mode).
NONE, PLOT, BUILDING_HOME, BOUGHT, HOME_DONE = range(5)
_NO_BOOL = np.zeros(0, dtype=bool)   # keys_in_stage: no second condition
#: Kind codes (as ruralsim.state.KINDS).
APARTMENT, COURTYARD = 0, 1
#: Time-series columns of the supply process (demand mode only).
COLUMNS = ("supply_plots_open", "supply_sites_open", "supply_courtyards_started",
           "supply_courtyards_built", "supply_courtyards_given_up", "supply_apartments_sold",
           "supply_buildings_started", "supply_buildings_finished", "supply_households_building",
           "supply_households_stalled", "supply_builders_capacity", "supply_builders_busy",
           "supply_price_factor", "supply_works_building", "supply_works_done",
           "supply_facilities_open", "supply_works_paid_cny")


class DemandSupply:
    """Supply that follows paying demand, for one run (``supply.mode: demand``).

    The engine calls :meth:`homes` in the month's allocation slot, :meth:`pay_works` in the
    settlement (at the priority of construction), :meth:`works` in the construction slot, and
    :meth:`at_move` / :meth:`release` from the moves and giving-up processes.  Per-household
    state lives in arrays indexed by household id; every monthly operation touches only the
    households in the pipeline (waiting, holding a plot, building, bought).
    """
    #: The township's plan (set by the loop when ``government.plan.enabled``): works then
    #: start on its projected cash flow; None: model 2.0's start rule (room covers the cost).
    plan = None

    def __init__(self, m, keys, consented) -> None:
        from . import works as wk

        self.keys = keys              # waiting-list sort keys (waiting.WaitKeys)
        self.consented = consented    # households whose village consented (or None)

        sc, hh = m.sc, m.hh
        self.m = m
        self.sp = sp = sc.supply
        C = len(sc.communities)
        self.C = C
        self._other = np.arange(2 * C) ^ 1   # the other kind of a group's community
        self.w = wk.init_works(sc.communities, m.streams, sp.apartments.units_per_building)
        sites = np.repeat(np.arange(C), [sum(s.building_sites for s in c.sections)
                                         for c in sc.communities])
        u = m.streams.uniform("supply.building_months", np.arange(sites.size, dtype=np.int64))
        self.b = Buildings.empty_sites(sites, sp.apartments.units_per_building,
                                       draw_months(u, sp.apartments.build_months))
        lead = sc.policy.registration.lead_months
        m.com.open_month[:] = [c.sections[0].earliest_month - lead for c in sc.communities]
        n = hh.n
        self.stage = np.zeros(n, dtype=np.int8)
        self.building = np.full(n, -1, dtype=np.int32)
        self.months = np.zeros(n, dtype=np.int16)
        self.progress = np.zeros(n, dtype=np.int16)
        self.stalled = np.zeros(n, dtype=np.int16)
        self.instalment = np.zeros(n, dtype=np.float32)
        self.credit_left = np.zeros(n, dtype=np.float32)
        self.borrowed = np.zeros(n, dtype=np.float32)
        self.prepaid = np.zeros(n, dtype=np.float32)
        self.funded = np.zeros(n, dtype=bool)      # the township pays (covers_price)
        self.quitting = np.zeros(n, dtype=bool)    # house stalled too long: gives up
        self.value_used = np.zeros(n, dtype=np.float32)  # instrument value put into the house
        self.month_started = np.full(n, -1, dtype=np.int16)
        self.builders_ = np.array([], dtype=np.int64)   # households building a courtyard
        self.plots_used = np.zeros(C, dtype=np.int64)
        self.plots_open = np.zeros(C, dtype=np.int64)
        scope = C if sp.builders.scope == "community" else 1
        self.capacity = np.full(scope, float(sp.builders.initial_capacity))
        self.factor = np.ones(scope)
        # constant through the run: each building's builders' scope (its community, or 0 for
        # the township's builders) and the units spoken for that let it start
        b = self.b
        self._b_scope = b.community.astype(np.int64) if scope > 1 else np.zeros(b.n, np.int64)
        self._b_start_at = np.maximum(np.ceil(sp.apartments.start_share * b.units - 1e-9), 1)
        self.first_home_started = np.full(C, -1, dtype=np.int32)
        self.first_home_done = np.full(C, -1, dtype=np.int32)
        self.homes_started = np.zeros((C, 2), dtype=np.int64)
        self.homes_done = np.zeros((C, 2), dtype=np.int64)
        self.given_up = 0
        self.buildings_abandoned_buyers = 0
        # why works and homes wait (records only, for the report's works timeline; nothing
        # of the model reads them): per work, months ready but for registrations (demand
        # gate), months ready and waiting for money, months under way unpaid; per community,
        # household-months ready to build a courtyard with no builder free
        nw = self.w.n
        self.works_wait_demand = np.zeros(nw, dtype=np.int64)
        self.works_wait_money = np.zeros(nw, dtype=np.int64)
        self.works_unpaid = np.zeros(nw, dtype=np.int64)
        self.works_first_ready = np.full(nw, -1, dtype=np.int64)
        self.wait_builders = np.zeros(C, dtype=np.int64)
        for name in COLUMNS:
            m.rec.cols[name] = np.zeros(m.H)

    # ------------------------------------------------------------------ helpers
    def _scope(self, c: np.ndarray) -> np.ndarray:
        return c if self.capacity.size > 1 else np.zeros_like(c)

    def _community(self, ids: np.ndarray) -> np.ndarray:
        return self.m.vil.community[self.m.hh.village[ids]].astype(np.int64)

    def _busy(self) -> np.ndarray:
        """Homes under construction: courtyards being built and units of buildings under way
        (a site stalled for want of money holds no builders)."""
        working = self.builders_[self.stalled[self.builders_] == 0]
        busy = np.bincount(self._scope(self._community(working)),
                           minlength=self.capacity.size).astype(np.float64)
        go = (self.b.state == BUILDING) & (self.b.stalled == 0)
        busy += np.bincount(self._b_scope[go], weights=self.b.units[go],
                            minlength=self.capacity.size)
        return busy

    def _of_rows(self, building: np.ndarray, rows: np.ndarray) -> np.ndarray:
        """``np.isin(building, rows)`` for building rows (>= 0), by a lookup over the rows."""
        hit = np.zeros(self.b.n, dtype=bool)
        hit[rows] = True
        return hit[building]

    def _price_factor_c(self) -> np.ndarray:
        return self.factor if self.factor.size == self.C else np.full(self.C, self.factor[0])

    def _ordered_waiting(self, wanted: np.ndarray):
        """Households on the waiting list with no home yet, in the allocation rule's order
        across communities (ties by id), of the groups (community × 2 + kind) marked in
        ``wanted`` only: a group with no plot or unit free serves nobody this month, and
        every use of the order is within a group."""
        from .waiting import ID_BITS, RULE_BITS

        wl = self.m.waiting
        groups = np.flatnonzero(wanted)
        if wl.size == 0 or groups.size == 0:
            return np.zeros(0, dtype=np.int64)
        keys = wl.key
        shift = RULE_BITS + ID_BITS
        g = groups.astype(np.int64)
        lo = np.searchsorted(keys, g << shift)
        hi = np.searchsorted(keys, (g + 1) << shift)
        cons = self.consented()
        if _c.ENABLED:   # one pass: the (rule, id) part of the keys of those with no home yet
            if groups.size == wanted.size:
                lo, hi = np.zeros(1, dtype=np.int64), np.array([keys.size], dtype=np.int64)
            low = _c.keys_in_stage(keys, lo.astype(np.int64), hi.astype(np.int64),
                                   np.int64((1 << ID_BITS) - 1), self.stage, np.int8(NONE),
                                   _NO_BOOL if cons is None else cons,
                                   np.int64((1 << (RULE_BITS + ID_BITS)) - 1))
            return np.sort(low, kind="stable") & ((1 << ID_BITS) - 1)
        if groups.size < wanted.size:
            keys = np.concatenate([keys[a:b] for a, b in zip(lo.tolist(), hi.tolist())])
        ids = keys & ((1 << ID_BITS) - 1)
        keep = self.stage[ids] == NONE
        if cons is not None:
            keep &= cons[ids]
        # the key without its group bits is (the allocation rule's part, id): one sort of it
        # is the lexsort by rule then id; stable (timsort) merges the list's sorted groups
        low = keys[keep] & ((1 << (RULE_BITS + ID_BITS)) - 1)
        return np.sort(low, kind="stable") & ((1 << ID_BITS) - 1)

    def _waiting_at(self, stage: int, also: np.ndarray | None = None) -> np.ndarray:
        """Households on the waiting list at ``stage`` (and, with ``also``, with it set), in
        the list's order."""
        wl = self.m.waiting
        if wl.size == 0:
            return np.zeros(0, dtype=np.int64)
        if _c.ENABLED:   # one pass over the keys, no temporaries
            from .waiting import ID_BITS

            keys = wl.key
            mask = np.int64((1 << ID_BITS) - 1)
            return _c.keys_in_stage(keys, np.zeros(1, dtype=np.int64),
                                    np.array([keys.size], dtype=np.int64), mask, self.stage,
                                    np.int8(stage), _NO_BOOL if also is None else also, mask)
        w = wl.ids
        keep = self.stage[w] == stage
        if also is not None:
            keep &= also[w]
        return w[keep]

    def _units_free(self) -> np.ndarray:
        """Units free in open, unfinished buildings (per building row)."""
        b = self.b
        return np.where(b.site_open & ((b.state == PLANNED) | (b.state == BUILDING)),
                        b.units - b.sold, 0)

    # ------------------------------------------------------------------ the month (slot 6)
    def homes(self, t: int) -> None:
        """Plots, courtyard starts and months, presales, buildings; finished homes are
        allocated and their households' moves fall due."""
        m, hh, sp, rec = self.m, self.m.hh, self.sp, self.m.rec
        # who may get a plot or a unit this month: groups with plots or units free
        plots_free = np.maximum(self.plots_open - self.plots_used, 0)
        wanted = np.zeros(2 * self.C, dtype=bool)
        wanted[COURTYARD::2] = plots_free > 0
        wanted[APARTMENT::2] = np.bincount(self.b.community, weights=self._units_free(),
                                           minlength=self.C) > 0
        self._switch_kinds(wanted, t)
        cand = self._ordered_waiting(wanted)
        if cand.size:
            kind = hh.kind[cand]
            c_all = self._community(cand)
            # 1 plots for courtyard households
            yard = cand[kind == COURTYARD]
            cy = c_all[kind == COURTYARD]
            got = first_per_group(cy, plots_free)
            new_plot = yard[got]
            self.stage[new_plot] = PLOT
            self.plots_used += np.bincount(cy[got], minlength=self.C)
            # 4 presales for apartment households (before builders count demand)
            self._presell(cand[kind == APARTMENT], t)
        # 2 courtyard starts: plot holders who can pay, while builder slots are free
        holders = self._waiting_at(PLOT)
        ready, cost, funded, credit = self._able(holders, t)
        c_ready = self._community(holders[ready])
        busy = self._busy()
        s_ready = self._scope(c_ready)
        demand = busy + np.bincount(s_ready, minlength=self.capacity.size)
        demand += self._units_ready()
        self.factor = price_factor(demand, self.capacity, sp.builders.price_elasticity,
                                   sp.builders.max_price_factor)
        slots = free_slots(self.capacity, busy)
        # buildings first take their slots (their buyers have already paid), then courtyards
        started_b = start_buildings(self.b, sp.apartments.start_share, slots,
                                    m.com.housing_cost_cny[:, APARTMENT], self._price_factor_c(),
                                    t, self.capacity.size > 1)
        if started_b.size:
            slots = slots - np.bincount(self._b_scope[started_b],
                                        weights=self.b.units[started_b],
                                        minlength=slots.size).astype(np.int64)
            self._mark_started(self.b.community[started_b].astype(np.int64), APARTMENT, t,
                               self.b.units[started_b])
            self._township_pays(started_b)
        r_ids = holders[ready]
        go = first_per_group(s_ready, np.maximum(slots, 0))
        self.wait_builders += np.bincount(c_ready[~go], minlength=self.C)
        self._start_courtyards(r_ids[go], cost[ready][go], funded[ready][go],
                               credit[ready][go], t)
        # 3 a month of work on the courtyards under way
        done_yards = self._courtyard_month(t)
        # 5 a month of work on the buildings
        _, done_b = finance_buildings(self.b, sp.apartments.bridging_credit_cny, t)
        self._abandoned(abandon_stalled(self.b, sp.apartments.stall_limit_months, t), t)
        done_apts = self._buildings_done(done_b, t)
        self._allocate(np.concatenate([done_yards, done_apts]), t)
        # builders follow demand with a lag
        busy = self._busy()
        demand_next = busy + np.bincount(s_ready, minlength=demand.size)
        self.capacity = grow(self.capacity, demand_next, sp.builders.lag_months,
                             sp.builders.initial_capacity, sp.builders.max_capacity)
        put = rec.put
        put("supply_courtyards_started", t, int(go.sum()))
        put("supply_courtyards_built", t, done_yards.size)
        put("supply_buildings_started", t, started_b.size)
        put("supply_buildings_finished", t, done_b.size)
        put("supply_households_building", t, self.builders_.size)
        put("supply_households_stalled", t, int((self.stalled[self.builders_] > 0).sum()))
        put("supply_builders_capacity", t, float(self.capacity.sum()))
        put("supply_builders_busy", t, float(busy.sum()))
        put("supply_price_factor", t, float(self.factor.max()))
        put("supply_plots_open", t, int(self.plots_open.sum()))
        put("supply_sites_open", t, int(self.b.site_open.sum()))

    def _switch_kinds(self, free: np.ndarray, t: int) -> None:
        """Households with no home yet who waited ``behaviour.switch_kind_after_months`` for a
        kind with nothing free while the other kind of their community has a plot or unit
        free take the other kind (as step 6 does with built units; ``free`` is per group)."""
        if (~free & free[self._other]).any():
            wl, hh = self.m.waiting, self.m.hh
            w = wl.ids
            sw = switch_groups(wl.group, t - hh.month_registered[w], free.astype(np.int64),
                               self.m.b.switch_kind_after_months) & (self.stage[w] == NONE)
            wl.change_kind(sw, hh.kind, self.keys)

    def _units_ready(self) -> np.ndarray:
        """Units of buildings whose start share is reached but that have not started."""
        r = (self.b.state == PLANNED) & self.b.site_open & (self.b.sold >= self._b_start_at)
        return np.bincount(self._b_scope[r], weights=self.b.units[r],
                           minlength=self.capacity.size)

    def _able(self, ids: np.ndarray, t: int):
        """Which plot holders can pay for their house now (and its cost, whether the township
        pays it, and their credit)."""
        m, hh = self.m, self.m.hh
        if ids.size == 0:
            z = np.zeros(0)
            return np.zeros(0, dtype=bool), z, np.zeros(0, dtype=bool), z
        c = self._community(ids)
        cost = home_cost(m.com.unit_m2[c, COURTYARD], self.sp.courtyards.cost_per_m2_cny,
                         self._price_factor_c()[c])
        terms = m.terms.policy_terms(ids, t)
        credit = terms.credit_cny + m.b.credit_years_of_income * hh.income_cny[ids]
        sav = hhm_savings(m, ids)
        funded = terms.covers_price
        ok = funded | can_pay(sav, credit, terms.value_cny, cost)
        return ok, cost, funded, credit

    def _mark_started(self, c: np.ndarray, k: int, t: int, n: np.ndarray | None = None) -> None:
        if c.size == 0:
            return
        w = np.ones(c.size) if n is None else n
        self.homes_started[:, k] += np.bincount(c, weights=w, minlength=self.C).astype(np.int64)
        first = np.unique(c)
        f = first[self.first_home_started[first] < 0]
        self.first_home_started[f] = t

    def _start_courtyards(self, ids, cost, funded, credit, t: int) -> None:
        if ids.size == 0:
            return
        m = self.m
        months = draw_months(m.streams.uniform("supply.courtyard_months", ids, t),
                             self.sp.courtyards.build_months)
        self.stage[ids] = BUILDING_HOME
        self.months[ids] = months
        self.progress[ids] = 0
        self.stalled[ids] = 0
        # instrument values (cash, cement) go into the house; what is left is paid monthly
        value = m.terms.policy_terms(ids, t).value_cny
        self.value_used[ids] = np.minimum(np.maximum(value, 0.0), cost)
        self.instalment[ids] = (cost - self.value_used[ids]) / months
        self.credit_left[ids] = credit
        self.borrowed[ids] = 0
        self.funded[ids] = funded
        self.month_started[ids] = t
        if funded.any():   # the township pays the house of a household it houses for free
            m.ledger.hh_due["exp_housing_cny"] += float(cost[funded].sum())
        self.builders_ = np.concatenate([self.builders_, ids])
        self._mark_started(self._community(ids), COURTYARD, t)

    def _courtyard_month(self, t: int) -> np.ndarray:
        """Households building pay a month of their house; returns those done now."""
        ids = self.builders_
        if ids.size == 0:
            return ids
        m, hh = self.m, self.m.hh
        own = ~self.funded[ids]
        sav = hhm_savings(m, ids)
        paid, sav_after, cred = pay_instalments(sav, self.instalment[ids].astype(np.float64),
                                                self.credit_left[ids].astype(np.float64))
        paid |= ~own
        p = ids[paid & own]
        hh.savings_cny[p] -= (sav - sav_after)[paid & own].astype(np.float32)
        self.borrowed[p] += (self.credit_left[p] - cred[paid & own]).astype(np.float32)
        self.credit_left[p] = cred[paid & own]
        self.progress[ids[paid]] += 1
        self.stalled[ids[paid]] = 0
        self.stalled[ids[~paid]] += 1
        done = ids[paid & (self.progress[ids] >= self.months[ids])]
        quit_ = ids[(self.stalled[ids] >= self.sp.courtyards.stall_limit_months)
                    & ~self.quitting[ids]]
        if quit_.size:
            self._give_up_now(quit_, t)
        self.stage[done] = HOME_DONE
        keep = self.stage[ids] == BUILDING_HOME
        self.builders_ = ids[keep]
        return done

    def _give_up_now(self, ids: np.ndarray, t: int) -> None:
        """Households whose house stalled too long give up: their renege falls due next month
        (the waiting list's giving-up process applies)."""
        m = self.m
        self.given_up += ids.size
        self.m.rec.cols["supply_courtyards_given_up"][t] += ids.size
        if t + 1 < m.H:
            m.queues.renege[t + 1].append((ids, m.hh.month_registered[ids].copy()))
        self.quitting[ids] = True

    def _presell(self, ids: np.ndarray, t: int) -> None:
        if ids.size == 0:
            return
        m, hh = self.m, self.m.hh
        c = self._community(ids)
        price = m.com.price_cny[c, APARTMENT]
        terms = m.terms.policy_terms(ids, t)
        pre = self.sp.apartments.presale_share * price
        ok = terms.covers_price | (hhm_savings(m, ids) >= pre - 1e-6)
        ids, c, price, pre, cover = ids[ok], c[ok], price[ok], pre[ok], terms.covers_price[ok]
        row = presell(self.b, c)
        got = row >= 0
        ids, row, price, pre, cover = ids[got], row[got], price[got], pre[got], cover[got]
        if ids.size == 0:
            return
        self.stage[ids] = BOUGHT
        self.building[ids] = row
        own = ~cover
        hh.savings_cny[ids[own]] -= pre[own].astype(np.float32)
        self.prepaid[ids[own]] = pre[own]
        self.prepaid[ids[cover]] = 0.0
        self.funded[ids] = cover
        np.add.at(self.b.cash_cny, row[own], pre[own])
        started = self.b.state[row] != PLANNED   # the township pays at once (else at start)
        if (cover & started).any():
            self._township_pays_for(ids[cover & started])
        m.rec.cols["supply_apartments_sold"][t] += ids.size
        # a unit in a finished building is a home at once
        done = ids[self.b.state[row] == DONE]
        if done.size:
            self.stage[done] = HOME_DONE
            self._allocate(done, t)

    def _township_pays(self, rows: np.ndarray) -> None:
        """A building starts: the township pays the whole price of the units it gives for free
        or rents out (covers_price instruments) into the building's finance."""
        w = self._waiting_at(BOUGHT, self.funded)
        self._township_pays_for(w[self._of_rows(self.building[w], rows)])

    def _township_pays_for(self, ids: np.ndarray) -> None:
        if ids.size == 0:
            return
        price = self.m.com.price_cny[self._community(ids), APARTMENT]
        self.prepaid[ids] = price
        np.add.at(self.b.cash_cny, self.building[ids], price)
        self.m.ledger.hh_due["exp_housing_cny"] += float(price.sum())

    def _abandoned(self, rows: np.ndarray, t: int) -> None:
        """Buyers of abandoned buildings get back what they paid (the township loses what it
        paid) and wait for a unit again."""
        if rows.size == 0:
            return
        w = self._waiting_at(BOUGHT)
        w = w[self._of_rows(self.building[w], rows)]
        own = w[~self.funded[w]]
        self.m.hh.savings_cny[own] += self.prepaid[own]
        self.stage[w] = NONE
        self.building[w] = -1
        self.prepaid[w] = 0
        self.funded[w] = False
        self.buildings_abandoned_buyers += w.size

    def _buildings_done(self, rows: np.ndarray, t: int) -> np.ndarray:
        """Buyers of finished buildings get their homes; the units count as built."""
        if rows.size == 0:
            return np.zeros(0, dtype=np.int64)
        c = self.b.community[rows].astype(np.int64)
        self.m.com.built[:, APARTMENT] += np.bincount(c, weights=self.b.units[rows],
                                                      minlength=self.C).astype(np.int64)
        self.homes_done[:, APARTMENT] += np.bincount(c, weights=self.b.sold[rows],
                                                     minlength=self.C).astype(np.int64)
        f = np.unique(c)
        self.first_home_done[f[self.first_home_done[f] < 0]] = t
        bought = self._waiting_at(BOUGHT)
        bought = bought[self._of_rows(self.building[bought], rows)]
        self.stage[bought] = HOME_DONE
        return bought

    def _allocate(self, ids: np.ndarray, t: int) -> None:
        """Finished homes go to their households: allocated, their move falls due."""
        if ids.size == 0:
            return
        from .state import ALLOCATED, KINDS

        m, hh, com = self.m, self.m.hh, self.m.com
        m.waiting.remove(self.keys(ids))
        m.pop.transition(ids, ALLOCATED)
        hh.month_allocated[ids] = t
        c = self._community(ids)
        yard = hh.kind[ids] == COURTYARD
        cy = np.bincount(c[yard], minlength=self.C)
        com.built[:, COURTYARD] += cy
        self.homes_done[:, COURTYARD] += cy
        f = np.unique(c[yard])
        self.first_home_done[f[self.first_home_done[f] < 0]] = t
        grp = c * len(KINDS) + hh.kind[ids]
        com.allocated += np.bincount(grp, minlength=com.built.size).reshape(com.built.shape)
        if t + m.b.move_lag_months < m.H:
            m.queues.move[t + m.b.move_lag_months].append(ids)
        m.rec.cols["new_allocations"][t] += ids.size

    # ------------------------------------------------------------------ other processes
    def may_give_up(self, ids: np.ndarray) -> np.ndarray:
        """Of households whose patience ran out: those not committed to a home under way.

        A household building its house gives up only after its house stalled too long; one
        whose building has started keeps its unit.  (A household whose house stalled too
        long may also be due by its patience in the same month: each counts once.)
        """
        ids = np.unique(ids)
        st = self.stage[ids]
        row = np.maximum(self.building[ids], 0)
        started = (st == BOUGHT) & (self.b.state[row] == BUILDING)
        building = (st == BUILDING_HOME) & ~self.quitting[ids]
        return ids[~(started | building)]

    def release(self, ids: np.ndarray, t: int) -> None:
        """Households that give up: plots freed, pre-payments refunded, half-built houses sunk."""
        m, hh = self.m, self.m.hh
        st = self.stage[ids]
        c = self._community(ids)
        plot = (st == PLOT) | (st == BUILDING_HOME)
        self.plots_used -= np.bincount(c[plot], minlength=self.C)
        bought = ids[st == BOUGHT]
        if bought.size:
            row = self.building[bought]
            np.subtract.at(self.b.sold, row, 1)
            refund = self.prepaid[bought] * ~self.funded[bought]   # the township's: not started
            np.subtract.at(self.b.cash_cny, row, refund)
            hh.savings_cny[bought] += refund
        was = ids[st == BUILDING_HOME]
        if was.size:
            self.builders_ = self.builders_[~np.isin(self.builders_, was)]
        self.stage[ids] = NONE
        self.building[ids] = -1
        self.prepaid[ids] = 0
        self.funded[ids] = False
        self.stalled[ids] = 0
        self.quitting[ids] = False

    def at_move(self, ids: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """What movers still owe for their home at the move, and what they borrowed while
        building (added to their debt)."""
        m, hh = self.m, self.m.hh
        c = self._community(ids)
        price = m.com.price_cny[c, APARTMENT]
        apt = hh.kind[ids] == APARTMENT
        # a builder already put its instruments' value into its house: at the move they are
        # not counted again (the move's out-of-pocket cost adds back what it received)
        due = np.where(apt, np.maximum(price - self.prepaid[ids], 0.0), self.value_used[ids])
        borrowed = np.where(apt, 0.0, self.borrowed[ids]).astype(np.float64)
        self.stage[ids] = NONE   # (a mover who returns needs no second home)
        return due, borrowed

    def view(self) -> np.ndarray:
        """What a household sees of each community (log hazard term), from occupied homes and
        open facilities."""
        from .works import facilities_open_share

        v = self.sp.view
        return view_term(self.m.com.occupied.sum(axis=1).astype(np.float64),
                         facilities_open_share(self.w, self.C), v.b_homes_occupied,
                         v.homes_scale, v.b_facilities)

    def first_section(self) -> tuple[int, int] | None:
        """The month the first community's first section was done and the homes it opened
        (plots + sites x units per building); None if it never was."""
        w = self.w
        rows = np.flatnonzero((w.community == 0) & ~w.facility)
        if rows.size == 0 or w.state[rows[0]] != DONE:
            return None
        r = rows[0]
        return int(w.month_done[r]), int(w.plots[r] + w.sites[r] * self.b.units[0]
                                         if self.b.n else w.plots[r])

    def any_home_done(self) -> np.ndarray:
        return self.first_home_done >= 0

    # ------------------------------------------------------------------ what the plan reads
    def own_schedule(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The township's public works as the plan sees them: monthly payment, under way
        (mask) and remaining cost of each section and facility (plan.TownshipPlan)."""
        from .works import remaining_cny

        w = self.w
        return w.monthly_cny, w.state == BUILDING, remaining_cny(w)

    def ready_works_cost(self, t: int, months: int = 12) -> float:
        """What the works ready to start now (demand gate met) would cost the township over
        the next ``months`` months (the plan's line for new works)."""
        from .works import ready

        w = self.w
        rows = ready(w, t, self.m.com.registrations)
        return float(np.minimum(w.cost_cny, months * w.monthly_cny)[rows].sum())

    def homes_finishing_within(self, months: int) -> int:
        """Homes under way that will be done within ``months`` paid months: units spoken for
        in buildings under way and courtyards being built (the plan's promises falling due)."""
        b = self.b
        go = (b.state == BUILDING) & (b.progress + months >= b.build_months)
        yards = self.builders_
        near = self.progress[yards] + months >= self.months[yards]
        return int(b.sold[go].sum()) + int(near.sum())

    # ------------------------------------------------------------------ public works
    def works_due(self) -> float:
        """What the works under way ask of the township this month (for the plan's split)."""
        w = self.w
        return float(w.monthly_cny[w.state == BUILDING].sum())

    def pay_works(self, t: int, budget: list[float] | None = None) -> float:
        """Settlement: works under way are paid a month each, in order, while the township's
        headroom (and, with a plan, the contractors' share ``budget[0]``) allows, as phases;
        unpaid, they stall.  Returns what was paid."""
        from . import works as wk

        w, tr = self.w, self.m.tr
        rows = np.flatnonzero(w.state == BUILDING)
        paid = np.zeros(rows.size, dtype=bool)
        total = 0.0
        for i, r in enumerate(rows):
            amount = float(w.monthly_cny[r])
            room = tr.headroom() if budget is None else min(tr.headroom(), budget[0])
            if amount <= room + 1e-9:
                tr.pay("exp_construction_cny", t, amount, partial=False)
                if budget is not None:
                    budget[0] -= amount
                paid[i] = True
                total += amount
        wk.progress(w, rows, paid, t)
        self.works_unpaid[rows[~paid]] += 1
        self.m.rec.put("supply_works_paid_cny", t, total)
        return total

    def works(self, t: int) -> None:
        """Construction slot: finished sections open plots and sites; ready works start when
        the township's room covers their whole cost (today's start rule)."""
        from . import works as wk

        m, w, tr = self.m, self.w, self.m.tr
        self.plots_open, sites = wk.opened(w, self.C)
        open_sites(self.b, sites)
        # records of why works wait (read by nothing in the model): ready but for demand
        if m.reg_open:
            due = wk.ready(w, t)
            gated = wk.ready(w, t, m.com.registrations)
            self.works_wait_demand[due & ~gated] += 1
            first = gated & (self.works_first_ready < 0)
            self.works_first_ready[first] = t
        else:
            gated = np.zeros(w.n, dtype=bool)
        if self.plan is not None:   # the plan's start rule on projected cash flow
            self.plan.works_waiting = 0
            if m.reg_open:
                rows = np.flatnonzero(wk.ready(w, t, m.com.registrations))
                if rows.size:
                    wk.start_on_cash_flow(w, rows, self.plan, t)
        elif m.reg_open and not tr.overcommitted:
            rows = np.flatnonzero(wk.ready(w, t, m.com.registrations))
            if rows.size:
                committed = float(wk.remaining_cny(w).sum())
                room = tr.cash + (tr.limit - tr.debt) - committed
                wk.start(w, rows, room, t)
        # ready (demand gate met) and still not started: waiting for money
        self.works_wait_money[gated & (w.state == PLANNED)] += 1
        rec = m.rec
        rec.put("supply_works_building", t, int((w.state == BUILDING).sum()))
        rec.put("supply_works_done", t, int((w.state == DONE).sum()))
        rec.put("supply_facilities_open", t, int((w.facility & (w.state == DONE)).sum()))

    # ------------------------------------------------------------------ invariants
    def check(self) -> list[str]:
        """Invariants of the supply state (run with ``check=True``)."""
        from .state import REGISTERED

        out = []
        hh, b = self.m.hh, self.b
        if (self.plots_used > self.plots_open).any() or (self.plots_used < 0).any():
            out.append("plots taken exceed the plots open (or are negative)")
        yard = (self.stage == PLOT) | (self.stage == BUILDING_HOME)
        held = np.bincount(self._community(np.flatnonzero(yard)), minlength=self.C)
        if not (held <= self.plots_used).all():
            out.append("households holding plots exceed the plots taken")
        if (b.sold > b.units).any() or (b.sold < 0).any():
            out.append("a building has more units spoken for than it has")
        bought = np.flatnonzero(self.stage == BOUGHT)
        if (np.bincount(self.building[bought], minlength=b.n) > b.sold).any():
            out.append("buyers of a building exceed its units spoken for")
        pipeline = np.flatnonzero((self.stage > NONE) & (self.stage < HOME_DONE))
        if (hh.status[pipeline] != REGISTERED).any():
            out.append("a household with a plot, house or unit under way is not registered")
        if not np.isin(self.builders_, np.flatnonzero(self.stage == BUILDING_HOME)).all():
            out.append("the builders' list holds a household that is not building")
        return out

    # ------------------------------------------------------------------ records
    def community_works(self) -> list[dict]:
        """Per community, why its works and homes waited (``communities.csv``, for the
        report's works timeline): planned and actual start of the first section, first home
        finished, and the months works spent ready but waiting for registrations (demand),
        ready and waiting for money, under way but unpaid; household-months ready to build a
        courtyard with no builder free.  Months are from the start of the run (blank: did not
        happen within the horizon)."""
        w = self.w
        out = []
        for c, name in enumerate(self.m.com.names):
            mine = w.community == c
            sec = mine & ~w.facility
            started = w.month_started[sec]
            started = started[started >= 0]
            planned = w.earliest[np.flatnonzero(sec)[:1]]   # its first section's month
            out.append({
                "community": name,
                "works": int(mine.sum()),
                "works_done": int((mine & (w.state == DONE)).sum()),
                "planned_start_month": int(planned.min()) if planned.size else None,
                "first_ready_month": (int(self.works_first_ready[mine][
                    self.works_first_ready[mine] >= 0].min())
                    if (self.works_first_ready[mine] >= 0).any() else None),
                "actual_start_month": int(started.min()) if started.size else None,
                "first_home_finished_month": (int(self.first_home_done[c])
                                              if self.first_home_done[c] >= 0 else None),
                "work_months_waiting_demand": int(self.works_wait_demand[mine].sum()),
                "work_months_waiting_money": int(self.works_wait_money[mine].sum()),
                "work_months_unpaid": int(self.works_unpaid[mine].sum()),
                "household_months_waiting_builders": int(self.wait_builders[c]),
            })
        return out

    # ------------------------------------------------------------------ summary
    def summary(self) -> dict:
        """Supply results and the per-community timeline (summary.json ``supply``)."""
        m, w, b = self.m, self.w, self.b
        hh = m.hh
        cols = m.rec.cols
        moved = hh.month_moved >= 0
        wait = (hh.month_moved - hh.month_registered)[moved & (hh.month_registered >= 0)]
        by_type = {}
        for ti, tn in enumerate(m.type_names):
            sel = moved & (hh.month_registered >= 0) & (hh.htype == ti)
            x = (hh.month_moved - hh.month_registered)[sel]
            by_type[tn] = float(np.median(x)) if x.size else None
        timeline = []
        for c, name in enumerate(m.com.names):
            mine = w.community == c
            sec = mine & ~w.facility
            fac = mine & w.facility

            def first(x):
                x = x[x >= 0]
                return int(x.min()) if x.size else None

            timeline.append({
                "community": name,
                "sections": int(sec.sum()),
                "first_section_started": first(w.month_started[sec]),
                "first_section_done": first(w.month_done[sec]),
                "sections_done": int((sec & (w.state == DONE)).sum()),
                "last_section_done": (int(w.month_done[sec].max())
                                      if sec.any() and (w.state[sec] == DONE).all() else None),
                "facilities": int(fac.sum()),
                "facilities_open": int((fac & (w.state == DONE)).sum()),
                "plots_opened": int(self.plots_open[c]),
                "building_sites_opened": int((b.site_open & (b.community == c)).sum()),
                "buildings_started": int(((b.community == c) &
                                          (b.month_started >= 0)).sum()),
                "buildings_finished": int(((b.community == c) & (b.state == DONE)).sum()),
                "courtyards_started": int(self.homes_started[c, COURTYARD]),
                "courtyards_built": int(self.homes_done[c, COURTYARD]),
                "apartment_units_started": int(self.homes_started[c, APARTMENT]),
                "apartments_delivered": int(self.homes_done[c, APARTMENT]),
                "first_home_started": (int(self.first_home_started[c])
                                       if self.first_home_started[c] >= 0 else None),
                "first_home_finished": (int(self.first_home_done[c])
                                        if self.first_home_done[c] >= 0 else None),
            })
        return {
            "mode": "demand",
            "courtyards_started": int(cols["supply_courtyards_started"].sum()),
            "courtyards_built": int(cols["supply_courtyards_built"].sum()),
            "courtyards_given_up": int(self.given_up),
            "apartments_sold": int(cols["supply_apartments_sold"].sum()),
            "buildings_started": int((b.month_started >= 0).sum()),
            "buildings_finished": int((b.state == DONE).sum()),
            "buildings_abandoned": int((b.state == ABANDONED).sum()),
            "bridging_credit_peak_cny": float(b.credit_cny.max()) if b.n else 0.0,
            "works_done": int((w.state == DONE).sum()),
            "works_cost_paid_cny": float(w.paid_cny.sum()),
            "months_registration_to_move_median": (float(np.median(wait)) if wait.size
                                                   else None),
            "months_registration_to_move_median_by_type": by_type,
            "peak_price_factor": float(cols["supply_price_factor"].max()),
            "peak_builders_busy": float(cols["supply_builders_busy"].max()),
            "peak_households_stalled": int(cols["supply_households_stalled"].max()),
            "timeline": timeline,
        }


def hhm_savings(m, ids: np.ndarray) -> np.ndarray:
    """Savings of households ``ids`` now (households.savings_at)."""
    from .households import savings_at

    return savings_at(m.hh, ids, m.clock.months_since_update).astype(np.float64)
