"""The engine: SimPy decides *when*, vectorized numpy rules decide *what*.

SimPy owns the calendar: the monthly round, policy events, instrument start and end dates,
the opening of registration, the yearly update of household finances, and construction
teams (a funded phase waits for a team, holds it while under way and frees it when the phase
is done or abandoned).  Calendar processes only append to ``due_*`` lists, set flags or set a
phase's start month; every change to model state happens in :meth:`Model.step`, the one
documented order of work in a month.  Calendar items fall on whole months; the round of
month ``t`` runs at ``t + 0.5``, after them.

Order of work in month ``t`` (each step's reason is in docs/model.md, section 3):

1. budget opens   - revenues of the month are paid in: transfers, awards, rents and
                    instalments, collective land income, quota sales due;
2. calendar       - policy events apply; a new year updates household incomes and savings;
                    if policy or finances changed, the decision terms are recomputed;
3. services       - villages below the withdrawal threshold lose services; upkeep is due;
4. decisions      - households in their old village accumulate their monthly hazard and
                    those whose clock crosses its threshold register (decisions.py);
5. giving up      - registered households whose wait passed their patience leave the list,
                    get their deposit back or lose it, and may rebuild (waiting.py);
6. allocation     - free units go to the waiting list by the strategy's rule;
7. moves          - allocated households whose fit-out is done move in, demolish or keep
                    their old house, pay, borrow; their promised payments fall due (moves.py);
8. returns        - movers who kept their old house and are due to return go back;
9. settlement     - the township pays what is due, in the budget rule's order of priority:
                    interest, households, maintenance, construction, reclamation, events;
                    paid phases progress, unpaid ones stall (treasury.py, construction.py);
10. construction  - finished phases deliver units, phases stalled too long are abandoned,
                    ready phases are funded in the phase rule's order;
11. land          - reclaimed land becomes collective (or quota for sale) and earns;
12. exposure      - who lives with degraded services this month, who is stranded;
13. finance       - the month closes: borrowing or repayment, arrears, trust;
14. record        - the month's row of the time series.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np
import simpy

from . import construction as cons
from . import households as hhm
from .decisions import ActiveSet, renege_wait, village_shares
from .model import consent as consent_m
from .model import demolition as demolition_m
from .model import influence as influence_m
from .land import collective_income_per_mu_year, quota_level, quota_open, quota_price
from .moves import livelihood_change, months_in_distress, return_month
from .policy import Eligible, PolicyTable, active_at, active_set, change_months, \
    eligible_mask, outreach_shift, priority_rank, village_batches
from .results import Recorder
from .rng import Streams
from .services import decay_services, degraded, exposure_by_type, withdrawal_due
from .state import (ABANDONED, ALLOCATED, BUILDING, DEVELOPER, DONE, F_AFTER_WITHDRAWAL,
                    F_DISTRESS, F_EVER_REGISTERED, F_EVER_STRANDED, F_RENEGED, F_REBUILT,
                    F_WORSE_OFF, FUNDED, IN_VILLAGE, KINDS, MOVED, NO_MONTH, REGISTERED,
                    RETURNED, STATUS_NAMES, TOWNSHIP, TWO_HOMES, init_communities, init_phases,
                    init_villages)
from .treasury import Developer, Treasury
from .waiting import MAX_HOUSEHOLDS, WaitingList, rule_key, sort_key, switch_groups

K = len(KINDS)
#: Households whose finances change each year: those not yet living in a new community.
NOT_MOVED = (IN_VILLAGE, REGISTERED, ALLOCATED)
#: Households whose decision terms are recomputed at once (bounds the working arrays).
REFRESH_CHUNK = 1 << 17


def _by_month(months: np.ndarray, ids: np.ndarray):
    """Yield (month, ids due that month) for due months ``months`` (one sort, no scans)."""
    if ids.size == 0:
        return
    order = np.argsort(months, kind="stable")
    m_sorted = months[order].astype(np.int64)
    starts = np.flatnonzero(np.r_[True, m_sorted[1:] != m_sorted[:-1]])
    ends = np.r_[starts[1:], m_sorted.size]
    for a, b in zip(starts, ends):
        yield int(m_sorted[a]), ids[order[a:b]]


class InvariantError(AssertionError):
    """A model invariant failed (only raised when running with ``check=True``)."""


class Model:
    """One simulation run of one scenario with one seed."""

    def __init__(self, sc, seed, progress: Callable[[int, int], None] | None = None,
                 check: bool = False):
        self.sc = sc
        self.H = H = sc.run.horizon_months
        self.check = check
        self.progress = progress
        self.streams = Streams(seed)
        self.type_names = list(sc.household_types)
        self.T = T = len(self.type_names)
        self.hh = hh = hhm.init_households(sc, self.streams)
        self.vil = vil = init_villages(sc)
        vil.two_share = np.divide(np.bincount(hh.village, weights=hhm.two_homesteads(hh),
                                              minlength=vil.n), vil.n0,
                                  out=np.zeros(vil.n), where=vil.n0 > 0)
        self.com = init_communities(sc)
        self.ph = init_phases(sc, self.streams)
        self.rec = Recorder(sc, self.type_names, vil.n)
        self.tr = Treasury(sc.government, self.rec)
        self.dev = Developer(sc.government.developer)
        b = self.b = sc.behaviour
        tt = lambda get: hhm.type_table(sc, get)  # noqa: E731
        self.asc = tt(lambda t: t.asc) + b.asc_offset
        self.apt_share = tt(lambda t: t.apartment_share)
        self.needs_build = tt(lambda t: t.needs_to_build).astype(bool)
        self.growth = tt(lambda t: t.income_growth_per_year)
        self.value_new = tt(lambda t: t.house_value_new_cny)
        self.rank = priority_rank(sc, self.type_names)
        self.counts = np.zeros((T, len(STATUS_NAMES)), dtype=np.int64)
        self.counts[:, IN_VILLAGE] = np.bincount(hh.htype, minlength=T)
        self.present_vt = np.bincount(hh.village.astype(np.int64) * T + hh.htype,
                                      minlength=vil.n * T).reshape(vil.n, T)
        # events: lasting shifts by (village, type); per household only with income limits
        self.event_shift = np.zeros((vil.n, T))
        self.event_apt = np.zeros((vil.n, T))
        self.event_shift_hh: np.ndarray | None = None
        self.event_apt_hh: np.ndarray | None = None
        self.active = ActiveSet()
        self.waiting = WaitingList()
        self.move_due: dict[int, list[np.ndarray]] = defaultdict(list)
        self.renege_due: dict[int, list[tuple[np.ndarray, int]]] = defaultdict(list)
        self.return_due: dict[int, list[np.ndarray]] = defaultdict(list)
        land = sc.land
        span = H + land.reclaim_lag_months + land.quota.sale_lag_months + 2
        self.reclaim_due = np.zeros((span, vil.n))
        self.reclaim_backlog = np.zeros(vil.n)
        self.reclaimed_now = np.zeros(vil.n)
        self.sale_due = np.zeros(span)
        self.quota_level = quota_level(land.quota, float(self.streams.uniform(
            "land.quota_price", np.zeros(1, dtype=np.int64))[0]))
        self.income_per_mu_year = collective_income_per_mu_year(land)
        self.dividend_phy = np.zeros(vil.n)   # dividends per household per year, by village
        ni = max(len(sc.policy.instruments), 1)
        # recurring instrument flows as difference arrays: [cost/revenue, instrument, month]
        self.recurring_diff = np.zeros((2, ni, H + 2))
        self.recurring_rate = np.zeros((2, ni))
        self.distress_diff = np.zeros(H + 2, dtype=np.int64)
        self.service_diff = np.zeros(H + 2)
        self.hh_due: dict[str, float] = defaultdict(float)
        self.pending_events_cny = 0.0
        self.escrow_cny = 0.0
        self.maint_due = 0.0
        self.cum_moves = 0
        self.ever_registered_v = np.zeros(vil.n, dtype=np.int64)
        self.months_since_update = 0
        self.year = 0
        self.reg_open = False
        self.year_due = False
        self.policy_dirty = True
        self.batches = village_batches(sc, vil.names)
        self.open_village = np.zeros(vil.n, dtype=bool)
        self.open_village[self.batches[0]] = True
        self.n_batches_open = 1
        self.batch_opened_month = sc.policy.registration_opens_month
        self.awards_paid = np.zeros(len(sc.policy.awards), dtype=bool)
        self.instr_eligible = [Eligible(i.eligible, self.type_names, vil.names)
                               for i in sc.policy.instruments]
        self.to_date = cons.units_to_date(self.ph)
        names = {c.name: i for i, c in enumerate(sc.communities)}
        first = [(c.phases[0].earliest_month, i) for i, c in enumerate(sc.communities)]
        self.community_order = np.array([i for _, i in sorted(first)])
        self.planner_pos = self._planner_positions(names)
        self.community_closed = np.zeros(len(self.com.names), dtype=bool)
        self._tables: dict[tuple[int, ...], PolicyTable] = {}
        self.due_events: list = []
        self.env = simpy.Environment()
        teams = sc.government.construction_teams
        self.teams = simpy.Resource(self.env, capacity=teams) if teams else None
        self.phase_end: dict[int, simpy.Event] = {}
        # everyone starts deciding (terms are set by the first refresh, in month 0)
        ids = np.arange(hh.n, dtype=np.int64)
        zeros = np.zeros(hh.n, dtype=np.float32)
        self.active.add(ids, A=zeros, code=self._code(ids), hv0=zeros, hslope=zeros, g0=zeros,
                        gflow=zeros, thresh=self._thresholds(ids))
        self._init_people()

    def _init_people(self) -> None:
        """Model 3.0's household-side mechanisms (model/consent.py, influence.py,
        demolition.py), each on by its scenario mode; off, the run is model 2.0's."""
        sc = self.sc
        self.ballots: consent_m.Ballots | None = None
        self.ties: influence_m.Ties | None = None
        self.dem_alpha: np.ndarray | None = None
        cols: list[str] = []
        if sc.strategy.consent.mode == "ballot":
            self.ballots = consent_m.Ballots(self.vil.n, self.hh.n)
            cols += ["new_ballots", "new_ballots_passed", "new_scheduled"]
        if sc.behaviour.influence.mode == "ties":
            self.ties, self.theta = influence_m.build(sc, self.streams, self.hh, self.vil,
                                                      self.type_names)
            self.social_s: np.ndarray | None = None
            self.social_s_month = -1
            self.influence_received = np.zeros(len(influence_m.SOURCES))
            cols += [f"influence_{s}" for s in influence_m.SOURCES]
        if sc.policy.demolition.mode == "decision":
            self.dem_alpha = demolition_m.intercepts(sc, self.hh, self.type_names)
            self.dem_reasons = np.zeros((self.T, len(demolition_m.REASONS)), dtype=np.int64)
            cols += [f"new_demolitions_{r}" for r in demolition_m.REASONS[1:]]
        for c in cols:
            self.rec.cols[c] = np.zeros(self.H)

    def people_summary(self) -> dict | None:
        """Ballots, influence by source and demolition by type and reason (None when all
        three mechanisms are in their model 2.0 modes)."""
        out: dict = {}
        if self.ballots is not None:
            out["consent"] = self.ballots.summary(self.vil.n0)
        if self.ties is not None:
            tot = self.influence_received
            out["influence"] = {
                "bellwethers": int(self.ties.bell.sum()),
                "kin_groups": int(self.ties.n_kin),
                "received_by_source_share": {
                    s: (float(tot[i] / tot.sum()) if tot.sum() > 0 else None)
                    for i, s in enumerate(influence_m.SOURCES)}}
        if self.dem_alpha is not None:
            out["demolition"] = {tn: {r: int(self.dem_reasons[ti, k])
                                      for k, r in enumerate(demolition_m.REASONS)}
                                 for ti, tn in enumerate(self.type_names)}
        return out or None

    def _planner_positions(self, names: dict[str, int]) -> np.ndarray | None:
        order = self.sc.government.planner_order
        if not order:
            return None
        pos = np.full(self.ph.n, len(order), dtype=np.int64)
        first_row = {c: int(np.flatnonzero(self.ph.community == c)[0]) for c in names.values()}
        for i, ref in enumerate(order):
            cname, num = ref.rsplit("/", 1)
            pos[first_row[names[cname]] + int(num) - 1] = i
        return pos

    def policy_terms(self, ids: np.ndarray, t: int):
        """What the package active in month ``t`` gives households ``ids`` (policy.py)."""
        key = active_set(self.sc, t)
        if key not in self._tables:
            self._tables[key] = PolicyTable(self.sc, key, self.type_names, self.vil.names)
        hh = self.hh
        return self._tables[key].terms(hh.htype[ids], hh.village[ids], hh.income_cny[ids])

    def _code(self, ids: np.ndarray) -> np.ndarray:
        return self.hh.village[ids].astype(np.int32) * self.T + self.hh.htype[ids]

    # ------------------------------------------------------------------ calendar (SimPy)
    def run(self) -> "Model":
        """Run all months on the SimPy calendar."""
        self.env.process(self._calendar())
        self.env.process(self._rounds())
        self.env.run(until=self.H)
        return self

    def _rounds(self):
        yield self.env.timeout(0.5)
        for t in range(self.H):
            self.step(t)
            if self.progress is not None:
                self.progress(t + 1, self.H)
            if t + 1 < self.H:
                yield self.env.timeout(1)

    def _calendar(self):
        """Policy events, package changes, registration opening and new years, in month order.

        Each sets a flag or appends to ``due_events``; the next round applies it.
        """
        def event(i):
            return lambda: self.due_events.append(self.sc.policy.events[i])

        def package_changes():
            self.policy_dirty = True

        def registration_opens():
            self.reg_open = True

        def new_year():
            self.year_due = True

        items = [(e.month, 0, i, event(i)) for i, e in enumerate(self.sc.policy.events)]
        items += [(m, 1, 0, package_changes) for m in change_months(self.sc)]
        items.append((self.sc.policy.registration_opens_month, 2, 0, registration_opens))
        items += [(m, 3, 0, new_year) for m in range(12, self.H, 12)]
        for month, _, _, apply in sorted(items, key=lambda x: x[:3]):
            if month >= self.H:
                break
            if month > self.env.now:
                yield self.env.timeout(month - self.env.now)
            apply()

    def _build(self, p: int):
        """A funded phase waits for a construction team and holds it until it ends."""
        if self.teams is None:
            self.ph.month_started[p] = int(np.ceil(self.env.now))
            return
        with self.teams.request() as req:
            yield req
            self.ph.month_started[p] = int(np.ceil(self.env.now))
            yield self.phase_end[p]

    # ------------------------------------------------------------------ the month
    def step(self, t: int) -> None:
        """One month, in the documented order of work (module docstring)."""
        self._budget(t)
        self._calendar_items(t)
        self._services(t)
        self._decisions(t)
        self._giving_up(t)
        self._allocation(t)
        self._moves(t)
        self._returns(t)
        self._settle(t)
        self._construction(t)
        self._land(t)
        self._exposure(t)
        self._close(t)
        self.rec.record_month(t, self)
        if self.check:
            self.check_invariants(t)

    # 1 ---------------------------------------------------------------- budget opens
    def _budget(self, t: int) -> None:
        tr, sc = self.tr, self.sc
        share = self.cum_moves / max(1, self.hh.n)
        for i, aw in enumerate(sc.policy.awards):
            if not self.awards_paid[i] and share >= aw.moved_share:
                self.awards_paid[i] = True
                tr.earn(f"rev_award_{aw.name}_cny", t, aw.amount_cny)
        for r in sc.government.revenues:
            if t >= r.start_month and (r.end_month is None or t <= r.end_month) and \
                    (t - r.start_month) % r.every_months == 0:
                amount = r.amount_cny * (1 + r.growth_per_year) ** ((t - r.start_month) / 12)
                tr.earn(f"rev_{r.name}_cny", t, amount)
        self.recurring_rate += self.recurring_diff[:, :, t]
        for i, ins in enumerate(sc.policy.instruments):
            if self.recurring_rate[1, i]:
                tr.earn(f"rev_instr_{ins.name}_cny", t, float(self.recurring_rate[1, i]))
        tr.earn("rev_collective_land_cny", t,
                float(self.vil.land_collective_mu.sum()) * self.income_per_mu_year / 12.0)
        sold = float(self.sale_due[t])
        if sold:
            tr.earn("rev_land_quota_cny", t,
                    sold * quota_price(sc.land.quota, t, self.quota_level))

    # 2 ---------------------------------------------------------------- calendar items
    def _calendar_items(self, t: int) -> None:
        hh, vil = self.hh, self.vil
        for ev in self.due_events:
            if ev.eligible.max_income_cny_per_year is None:
                cell = np.outer(Eligible(ev.eligible, self.type_names, vil.names).villages
                                if ev.eligible.villages is not None else np.ones(vil.n, bool),
                                np.isin(np.array(self.type_names), ev.eligible.types)
                                if ev.eligible.types is not None else np.ones(self.T, bool))
                self.event_shift[cell] += ev.utility_shift
                self.event_apt[cell] += ev.apartment_share_shift
            else:
                if self.event_shift_hh is None:
                    self.event_shift_hh = np.zeros(hh.n, dtype=np.float32)
                    self.event_apt_hh = np.zeros(hh.n, dtype=np.float32)
                m = eligible_mask(ev.eligible, self.type_names, vil.names, hh.htype, hh.village,
                                  hh.income_cny)
                self.event_shift_hh[m] += ev.utility_shift
                self.event_apt_hh[m] += ev.apartment_share_shift
            self.pending_events_cny += ev.cost_cny
            if ev.opens_registration:
                self.reg_open = True
            self.policy_dirty = True
        self.due_events.clear()
        if self.year_due:
            self.year += 1
            idx = np.flatnonzero(hh.status <= ALLOCATED)   # not yet moved (NOT_MOVED)
            hhm.yearly_update(self.sc, self.streams, hh, idx, self.year,
                              self.dividend_phy[hh.village[idx]])
            self.months_since_update = 0
            self.year_due = False
            if not self.policy_dirty:
                self._refresh_finances()
        if self.policy_dirty:
            self._refresh(t)

    def _refresh(self, t: int) -> None:
        """Recompute the decision terms of the households deciding (policy changed), in chunks
        so that the working arrays stay small."""
        ids = self.active.members()
        if ids.size:
            names = ("A", "hv0", "hslope", "g0", "gflow", "C")
            out = {k: np.empty(ids.size, dtype=np.float32) for k in names}
            for a in range(0, ids.size, REFRESH_CHUNK):
                terms = self.decision_terms(ids[a:a + REFRESH_CHUNK], t)
                for k, v in zip(names, terms):
                    out[k][a:a + REFRESH_CHUNK] = v
            self.active.set_terms(**out)
        self.policy_dirty = False

    def _refresh_finances(self) -> None:
        """A new year: only the affordability term of the households deciding changes."""
        ids = self.active.members()
        if ids.size:
            g0, gflow = self._gap_terms(ids, self.active.C[self.active.alive]
                                        if self.active.n_dead else self.active.C)
            self.active.set_terms(g0=g0, gflow=gflow)

    def _gap_terms(self, ids: np.ndarray, net_cost: np.ndarray):
        """Affordability term at the last yearly update and its monthly decline (log hazard)."""
        hh, b = self.hh, self.b
        bg = b.b_gap_per_10k_cny / 1e4
        g0 = bg * (net_cost - hh.savings_cny[ids] - b.credit_years_of_income * hh.income_cny[ids])
        return g0, bg * hh.flow_cny_pm[ids]

    def intended_kind(self, ids: np.ndarray) -> np.ndarray:
        hh = self.hh
        apt = self.apt_share[hh.htype[ids]] + self.event_apt[hh.village[ids], hh.htype[ids]]
        if self.event_apt_hh is not None:
            apt = apt + self.event_apt_hh[ids]
        return np.where(hh.kind_draw[ids] / hhm.DRAW_SCALE < apt, 0, 1).astype(np.int8)

    def decision_terms(self, ids: np.ndarray, t: int):
        """The terms of the log hazard of households ``ids`` (decisions.py) and their unit kind."""
        hh, vil, com, b, sc = self.hh, self.vil, self.com, self.b, self.sc
        ty, v = hh.htype[ids], hh.village[ids]
        terms = self.policy_terms(ids, t)
        kind = self.intended_kind(ids)
        price = np.where(terms.covers_price, 0.0, com.price_cny[vil.community[v], kind])
        dem = self._demolishes(ids, t)
        comp = hhm.compensation(sc, hh, ids, t)
        if sc.policy.compensation.requires_demolition:
            comp = comp * dem
        cost = price + b.fit_out_cny - terms.value_cny - comp
        C = cost - terms.credit_cny
        g0, gflow = self._gap_terms(ids, C)
        life = 12.0 * b.house_life_years
        f = np.where(dem, 1.0, b.house_kept_factor) * b.b_house_value_per_10k_cny / 1e4
        vn = self.value_new[ty]
        hv0 = f * vn * (1.0 + hh.house_built[ids] / life)
        hslope = f * vn / life
        farm = b.b_farm_distance_per_km * hhm.farm_share(hh, ids) * vil.field_km[v] * \
            (1.0 - terms.field_relief)
        A = (hh.base_util[ids] + self.asc[ty] + terms.shift + self.event_shift[v, ty]
             - b.b_cost_per_10k_cny * cost / 1e4 - farm
             + b.reneged_shift * ((hh.flags[ids] & F_RENEGED) != 0))
        if self.event_shift_hh is not None:
            A = A + self.event_shift_hh[ids]
        return A, hv0, hslope, g0, gflow, C, kind

    # 3 ---------------------------------------------------------------- services
    def _services(self, t: int) -> None:
        vil, w, sc = self.vil, self.sc.strategy.withdrawal, self.sc
        share = np.divide(vil.n_present, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        if w.enabled and t >= w.earliest_month:
            due = withdrawal_due(share, w.threshold_share, vil.month_withdrawn != NO_MONTH) & \
                (vil.n0 > 0)
            if due.any():
                targets = np.isin(np.array(sc.services.names),
                                  w.services if w.services is not None else sc.services.names)
                vil.withdrawn[np.ix_(due, targets)] = True
                vil.month_withdrawn[due] = t
        maintained = 1.0 - vil.withdrawn.mean(axis=1)
        occupied = vil.n_present > 0
        self.maint_due = float((vil.maintenance_cny_pm * maintained)[occupied].sum())
        self.rec.put("maintenance_saved_cny", t,
                     float((vil.maintenance_cny_pm * (1 - maintained))[occupied].sum()))

    # 4 ---------------------------------------------------------------- decisions
    def visible_terms(self, t: int, for_ballot: bool = False) -> np.ndarray:
        """The [village × type] term W of the log hazard this month (−inf: may not register).

        With influence by ties the shares of the village are not in W (each household's ties
        term is added per household); with the ballot a village may register once it passed
        (``for_ballot``: the terms its households vote on, before it passed)."""
        vil, com, b, C = self.vil, self.com, self.b, len(self.com.names)
        sreg = village_shares(vil.n0, vil.n_waiting, vil.community, C, b.social_prior_households)
        smov = village_shares(vil.n0, vil.n_out, vil.community, C, b.social_prior_households)
        done = np.bincount(self.ph.community, weights=self.ph.state == DONE, minlength=C) > 0
        if self.ties is None:
            wv = (b.b_social_registered * sreg + b.b_social_moved * smov
                  + b.b_demonstration * done[vil.community]
                  + b.b_service * (1.0 - vil.service.mean(axis=1)))
        else:
            wv = (b.b_demonstration * done[vil.community]
                  + b.b_service * (1.0 - vil.service.mean(axis=1)))
        tt = outreach_shift(self.sc, self.type_names, t)
        if self.tr.deferred:
            tt = tt + b.trust_shift_overdue
        W = (wv[:, None] + tt[None, :]).astype(np.float32)
        may = self.open_village & (t >= com.open_month[vil.community]) & \
            ~self.community_closed[vil.community]   # reg_open: by the month or by an event
        if self.ballots is not None and not for_ballot:
            may &= self.ballots.passed
        if self.tr.overcommitted or not self.reg_open:
            may[:] = False
        W[~may] = -np.inf
        return W

    def _decisions(self, t: int) -> None:
        if not self.reg_open or self.active.size == 0:
            return
        self._open_batches(t)
        if self.ballots is not None:
            consent_m.step(self, t)
        extra = None
        if self.ties is not None:
            extra = influence_m.social_terms(self, self.active.ids, t, self.active.alive)
        rows = self.active.step_rows(self.visible_terms(t).ravel(), t, self.months_since_update,
                                     extra)
        if rows.size == 0:
            return
        self.register_rows(rows, t)

    def log_hazard_rows(self, rows: np.ndarray, W: np.ndarray, t: int) -> np.ndarray:
        """This month's log hazard of active-set rows ``rows`` under terms ``W`` (the ballot's
        vote: what each household would do of its own accord)."""
        a = self.active
        V = (W.ravel()[a.code[rows]].astype(np.float64) + a.A[rows]
             - np.maximum(a.hv0[rows] - a.hslope[rows] * t, 0.0) - a.gap(rows, self.months_since_update))
        if self.ties is not None:
            V = V + influence_m.social_terms(self, a.ids[rows], t)
        return V

    def register_rows(self, rows: np.ndarray, t: int) -> np.ndarray:
        """Households of active-set rows ``rows`` register (those who can pay the deposit);
        returns their ids."""
        hh, vil = self.hh, self.vil
        ids = self.active.ids[rows]
        deposit = self.sc.policy.registration.deposit_cny
        if deposit > 0:   # a household that cannot pay the deposit stays and decides again
            ok = hhm.savings_at(hh, ids, self.months_since_update) >= deposit
            rows, ids = rows[ok], ids[ok]
        self.active.remove(rows)
        if ids.size == 0:
            return ids
        self._transition(ids, REGISTERED)
        hh.month_registered[ids] = t
        hh.kind[ids] = self.intended_kind(ids)
        after = vil.month_withdrawn[hh.village[ids]] != NO_MONTH
        first = (hh.flags[ids] & F_EVER_REGISTERED) == 0
        self.ever_registered_v += np.bincount(hh.village[ids[first]], minlength=vil.n)
        hh.flags[ids] = (hh.flags[ids] & ~F_AFTER_WITHDRAWAL) | F_EVER_REGISTERED | \
            np.where(after, F_AFTER_WITHDRAWAL, np.uint8(0))
        c = vil.community[hh.village[ids]]
        self.com.registrations += np.bincount(c, minlength=len(self.com.names))
        vil.n_waiting += np.bincount(hh.village[ids], minlength=vil.n)
        self.waiting.add(ids, self._wait_keys(ids))
        if deposit > 0:
            hh.savings_cny[ids] -= deposit
            self.escrow_cny += deposit * ids.size
        self._schedule_giving_up(ids, t)
        hh.spells[ids] = np.minimum(hh.spells[ids].astype(np.int64) + 1, 255)
        cols = self.rec.cols   # a month may register twice (a village's schedule, then own)
        cols["new_registrations"][t] += ids.size
        cols["new_registrations_after_withdrawal"][t] += int(after.sum())
        cols["new_registrations_apartment"][t] += int((hh.kind[ids] == 0).sum())
        return ids

    def _schedule_giving_up(self, ids: np.ndarray, t: int) -> None:
        if self.ballots is not None and not self.sc.strategy.consent.scheduled_may_give_up:
            ids = ids[~self.ballots.scheduled[ids]]   # signed with its village: does not leave
        reg, b = self.sc.policy.registration, self.b
        slope = b.renege_slope_per_month2
        if reg.deposit_rule == "forfeit" and reg.deposit_cny > 0:   # losing the deposit deters
            slope *= float(np.exp(-b.b_cost_per_10k_cny * reg.deposit_cny / 1e4))
        e = self._per_spell("renege", ids)
        wait = renege_wait(self.hh.patience[ids].astype(np.float64), e, slope)
        due = t + np.ceil(np.maximum(wait, 1.0))
        keep = due < self.H
        for month, group in _by_month(due[keep], ids[keep]):
            self.renege_due[month].append((group, t))

    def _demolishes(self, ids: np.ndarray, t: int) -> np.ndarray:
        """Whether movers ``ids`` would demolish in month ``t`` (by the scenario's mode)."""
        if self.dem_alpha is None:
            return hhm.demolishes(self.sc, self.streams, self.hh, ids, t)
        return demolition_m.decide_for(self, ids, t)[0]

    def _per_spell(self, stream: str, ids: np.ndarray) -> np.ndarray:
        """An Exp(1) draw of ``stream`` for each household's current registration spell."""
        return self.streams.exponential(stream, ids, 0, self.hh.spells[ids])

    def _thresholds(self, ids: np.ndarray) -> np.ndarray:
        """Exp(1) thresholds of the hazard clocks: spell 0 from a packed draw of stream
        ``decide.first`` (four households per Philox block), later spells per household."""
        spells = self.hh.spells[ids]
        if not spells.any():
            return -np.log(self.streams.uniform_packed("decide.first", ids))
        return self._per_spell("decide", ids)

    def _open_batches(self, t: int) -> None:
        """Village-by-village sequencing: open the next batch once most households of the open
        villages have committed (registered, allocated or moved): the share still undecided
        in their village falls below ``open_next_below_share``."""
        seq, vil = self.sc.strategy.sequence, self.vil
        while self.n_batches_open < len(self.batches):
            opened = self.open_village & (vil.n0 > 0)
            undecided = (vil.n_present - vil.n_waiting)[opened].sum()
            share = undecided / max(1, vil.n0[opened].sum())
            waited = t - self.batch_opened_month
            overdue = seq.open_next_after_months is not None and \
                waited >= seq.open_next_after_months
            if opened.any() and share >= seq.open_next_below_share and not overdue:
                break
            self.open_village[self.batches[self.n_batches_open]] = True
            self.n_batches_open += 1
            self.batch_opened_month = t

    # 5 ---------------------------------------------------------------- giving up
    def _giving_up(self, t: int) -> None:
        due = self.renege_due.pop(t, None)
        if not due:
            return
        hh, vil, sc = self.hh, self.vil, self.sc
        ids = np.concatenate([i for i, _ in due])
        since = np.concatenate([np.full(i.size, m) for i, m in due])
        still = (hh.status[ids] == REGISTERED) & (hh.month_registered[ids] == since)
        ids = ids[still]
        if ids.size == 0:
            return
        self.waiting.remove(self._wait_keys(ids))
        vil.n_waiting -= np.bincount(hh.village[ids], minlength=vil.n)
        self._transition(ids, IN_VILLAGE)
        hh.flags[ids] |= F_RENEGED
        reg = sc.policy.registration
        if reg.deposit_cny > 0:
            self.escrow_cny -= reg.deposit_cny * ids.size
            if reg.deposit_rule == "refund":
                hh.savings_cny[ids] += reg.deposit_cny
            else:
                self.tr.earn("rev_forfeited_deposits_cny", t, reg.deposit_cny * ids.size)
        # a household rebuilds once: then it has a new house and no longer needs to build
        rebuild = self.needs_build[hh.htype[ids]] & sc.policy.rebuild_allowed & \
            ((hh.flags[ids] & F_REBUILT) == 0)
        rb = ids[rebuild]
        if rb.size:
            hh.house_built[rb] = t
            hh.savings_cny[rb] = np.maximum(hh.savings_cny[rb] - self.value_new[hh.htype[rb]], 0)
            hh.flags[rb] |= F_REBUILT
        A, hv0, hslope, g0, gflow, C, _ = self.decision_terms(ids, t)
        self.active.add(ids, A=A, code=self._code(ids), hv0=hv0, hslope=hslope, g0=g0,
                        gflow=gflow, C=C, thresh=self._per_spell("decide", ids))  # spell >= 1
        self.rec.put("new_reneges", t, ids.size)
        self.rec.put("new_rebuilds", t, rb.size)

    # 6 ---------------------------------------------------------------- allocation
    def _wait_keys(self, ids: np.ndarray) -> np.ndarray:
        """Sort keys of waiting households: (community × kind, the allocation rule's key, id)."""
        hh = self.hh
        rule = self.sc.strategy.allocation
        ticket = None
        if rule == "lottery":   # a ticket drawn at registration (keyed by its month)
            ticket = self.streams.uniform("lottery", ids, hh.month_registered[ids])
        group = self.vil.community[hh.village[ids]].astype(np.int64) * K + hh.kind[ids]
        return sort_key(group, rule_key(rule, self.rank[hh.htype[ids]],
                                        hh.month_registered[ids], ticket), ids)

    def _allocation(self, t: int) -> None:
        wl = self.waiting
        if wl.size == 0:
            return
        hh, com = self.hh, self.com
        free = com.free.ravel()
        if not free.any():
            return
        other = np.arange(free.size) ^ 1
        if ((free <= 0) & (free[other] > 0)).any():
            w = wl.ids
            sw = switch_groups(wl.group, t - hh.month_registered[w], free,
                               self.b.switch_kind_after_months)
            if sw.any():
                ids = w[sw]
                wl.remove(wl.key[sw])
                hh.kind[ids] ^= 1
                wl.add(ids, self._wait_keys(ids))
        got = wl.serve(free, self._consented())
        if got.size == 0:
            return
        self._transition(got, ALLOCATED)
        hh.month_allocated[got] = t
        grp = self.vil.community[hh.village[got]].astype(np.int64) * K + hh.kind[got]
        com.allocated += np.bincount(grp, minlength=free.size).reshape(com.built.shape)
        self.move_due[t + self.b.move_lag_months].append(got)
        self.rec.put("new_allocations", t, got.size)

    def _consented(self) -> np.ndarray | None:
        """Households whose village has reached the consent share (None: no consent rule)."""
        share = self.sc.strategy.consent_share
        if share <= 0 or self.ballots is not None:
            return None
        vil = self.vil
        signed = np.divide(self.ever_registered_v, vil.n0, out=np.ones(vil.n), where=vil.n0 > 0)
        return (signed >= share)[self.hh.village]

    # 7 ---------------------------------------------------------------- moves
    def _moves(self, t: int) -> None:
        due = self.move_due.pop(t, None)
        if not due:
            return
        m = np.concatenate(due)
        hh, vil, com, b, sc, T = self.hh, self.vil, self.com, self.b, self.sc, self.T
        v = hh.village[m]
        c = vil.community[v]
        kind = hh.kind[m]
        if self.dem_alpha is None:
            dem = hhm.demolishes(sc, self.streams, hh, m, t)
        else:
            dem, why = demolition_m.decide_for(self, m, t)
            R = len(demolition_m.REASONS)
            self.dem_reasons += np.bincount(hh.htype[m].astype(np.int64) * R + why,
                                            minlength=self.T * R).reshape(self.T, R)
            for r, name in enumerate(demolition_m.REASONS[1:], 1):
                self.rec.put(f"new_demolitions_{name}", t, int((why == r).sum()))
        self._transition(m[dem], MOVED)
        self._transition(m[~dem], TWO_HOMES)
        hh.month_moved[m] = t
        self.cum_moves += m.size
        grp = c.astype(np.int64) * K + kind
        group = np.bincount(grp, minlength=com.built.size).reshape(com.built.shape)
        com.allocated -= group
        com.occupied += group
        self._sell(group, t)
        out_v = np.bincount(v, minlength=vil.n)
        vil.n_present -= out_v
        vil.n_waiting -= out_v
        vil.n_out += out_v
        self.present_vt -= np.bincount(v.astype(np.int64) * T + hh.htype[m],
                                       minlength=self.present_vt.size).reshape(self.present_vt.shape)
        # land: only a demolished homestead is freed
        two = hhm.two_homesteads(hh, m)
        freed = np.bincount(v[dem], weights=vil.homestead_mu(v[dem], two[dem]), minlength=vil.n)
        vil.land_freed_mu += freed
        self.reclaim_due[t + sc.land.reclaim_lag_months] += freed
        # promised payments: instruments and compensation
        price = com.price_cny[c, kind]
        value, covers = self._instruments_at_move(m, price, t)
        comp = hhm.compensation(sc, hh, m, t)
        if sc.policy.compensation.requires_demolition:
            comp = comp * dem
        self.hh_due["exp_compensation_cny"] += float(comp.sum())
        # the household pays out of savings and borrows the rest
        deposit = sc.policy.registration.deposit_cny
        self.escrow_cny -= deposit * m.size
        savings = hhm.savings_at(hh, m, self.months_since_update)
        oop = np.where(covers, 0.0, price) + b.fit_out_cny - value - comp - deposit
        debt = np.maximum(oop - savings, 0.0)
        hh.savings_cny[m] = np.maximum(savings - oop, 0.0)
        lv = sc.livelihood
        pmt = hhm.annuity(debt, lv.loan_rate_per_year, lv.loan_term_years)
        hh.debt_cny[m] = debt
        hh.debt_service_cny_pm[m] = pmt
        terms = self.policy_terms(m, t)
        income = hh.income_cny[m].astype(np.float64)
        change = livelihood_change(
            income, hhm.farm_share(hh, m), hh.farmland_mu[m], vil.field_km[v],
            terms.field_relief, terms.income_gain,
            np.array([lv.living_cost_change_cny_per_month.apartment,
                      lv.living_cost_change_cny_per_month.courtyard])[kind],
            sc.land.rent_cny_per_mu_per_year * sc.land.rent_paid_share,
            lv.farm_commute_cost_cny_per_mu_km_year, lv.nonfarm_income_gain_share,
            lv.labour_redeployed_share)
        hh.income_change_cny_py[m] = change
        worse = change + self.dividend_phy[v] < 0
        dsr = np.divide(12.0 * pmt, income, out=np.full(m.size, np.inf), where=income > 0)
        distress = dsr > lv.distress_debt_service_ratio
        hh.flags[m] |= np.where(worse, F_WORSE_OFF, np.uint8(0)) | \
            np.where(distress, F_DISTRESS, np.uint8(0))
        term = 12.0 * lv.loan_term_years
        months = months_in_distress(dsr, lv.distress_debt_service_ratio,
                                    self.growth[hh.htype[m]], term)
        self.distress_diff[t] += int(distress.sum())
        ends = np.minimum(t + np.ceil(months[distress]), self.H + 1).astype(np.int64)
        np.subtract.at(self.distress_diff, ends, 1)
        self.service_diff[t + 1] += float(pmt.sum())
        loan_end = min(self.H + 1, t + 1 + int(np.ceil(term)))
        self.service_diff[loan_end] -= float(pmt.sum())
        # a mover that kept its house may come back
        keep = m[~dem]
        if keep.size:
            e = self.streams.exponential("return", keep)
            back = return_month(t, worse[~dem], e, lv.return_hazard_worse_per_month,
                                lv.return_hazard_base_per_month)
            soon = back < self.H
            for month, group in _by_month(back[soon], keep[soon]):
                self.return_due[month].append(group)
        aw = (hh.flags[m] & F_AFTER_WITHDRAWAL) != 0
        self.rec.put("new_moves", t, m.size)
        self.rec.put("new_moves_after_withdrawal", t, int(aw.sum()))
        self.rec.put("new_demolitions", t, int(dem.sum()))

    def _instruments_at_move(self, m: np.ndarray, price: np.ndarray,
                             t: int) -> tuple[np.ndarray, np.ndarray]:
        """Instruments received by movers ``m``: their money value and whether the township
        pays the price; the township's payments fall due (household payments)."""
        hh = self.hh
        value = np.zeros(m.size)
        covers = np.zeros(m.size, dtype=bool)
        for i, ins in enumerate(self.sc.policy.instruments):
            if not active_at(ins, t):
                continue
            got = self.instr_eligible[i].mask(hh.htype[m], hh.village[m], hh.income_cny[m])
            k = int(got.sum())
            if k == 0:
                continue
            hh.instruments[m[got]] |= np.uint64(1) << np.uint64(i)
            value[got] += ins.value_cny
            cost = k * ins.cost_once_cny
            if ins.covers_price:  # the price is paid once, by the first instrument covering it
                cost += float(price[got & ~covers].sum())
                covers |= got
            self.hh_due[f"exp_instr_{ins.name}_cny"] += cost
            end = min(t + 1 + ins.cost_months, self.H + 1)
            for j, amount in enumerate((ins.cost_monthly_cny, ins.revenue_monthly_cny)):
                if amount and ins.cost_months:
                    self.recurring_diff[j, i, t + 1] += k * amount
                    self.recurring_diff[j, i, end] -= k * amount
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

    # 8 ---------------------------------------------------------------- returns
    def _returns(self, t: int) -> None:
        due = self.return_due.pop(t, None)
        if not due:
            return
        hh, vil, com, T = self.hh, self.vil, self.com, self.T
        ids = np.concatenate(due)
        ids = ids[hh.status[ids] == TWO_HOMES]
        if ids.size == 0:
            return
        self._transition(ids, RETURNED)
        hh.month_returned[ids] = t
        v = hh.village[ids]
        grp = vil.community[v].astype(np.int64) * K + hh.kind[ids]
        com.occupied -= np.bincount(grp, minlength=com.built.size).reshape(com.built.shape)
        back = np.bincount(v, minlength=vil.n)
        vil.n_present += back
        vil.n_out -= back
        self.present_vt += np.bincount(v.astype(np.int64) * T + hh.htype[ids],
                                       minlength=self.present_vt.size).reshape(self.present_vt.shape)
        self.rec.put("new_returns", t, ids.size)

    # 9 ---------------------------------------------------------------- settlement
    def _settle(self, t: int) -> None:
        """Pay what is due this month in the budget rule's order of priority (treasury.py)."""
        tr, sc, vil, ph = self.tr, self.sc, self.vil, self.ph
        tr.interest(t)                                           # 1 interest
        tr.pay_deferred(t)                                       # 2 households: owed first,
        for line, amount in self.hh_due.items():                 #   then this month's
            tr.pay_household(line, t, amount)
        self.hh_due.clear()
        for i, ins in enumerate(sc.policy.instruments):
            if self.recurring_rate[0, i]:
                tr.pay_household(f"exp_instr_{ins.name}_cny", t, float(self.recurring_rate[0, i]))
        income_v = vil.land_collective_mu * self.income_per_mu_year / 12.0
        dividends = float(income_v.sum()) * sc.land.dividend_share
        tr.pay_household("exp_dividends_cny", t, dividends)
        self.dividend_phy = 12.0 * sc.land.dividend_share * np.divide(
            income_v, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        paid = tr.pay("exp_maintenance_cny", t, self.maint_due)  # 3 maintenance
        unpaid = 1.0 - paid / self.maint_due if self.maint_due > 0 else 0.0
        vil.service = decay_services(vil.service, vil.withdrawn,
                                     sc.strategy.withdrawal.decay_per_month, unpaid)
        self._pay_construction(t)                                # 4 construction
        mu = self.reclaim_due[t] + self.reclaim_backlog          # 5 reclamation
        cost = float(mu.sum()) * sc.land.reclaim_cost_cny_per_mu
        frac = tr.pay("exp_reclamation_cny", t, cost) / cost if cost > 0 else 1.0
        self.reclaimed_now = mu * frac
        self.reclaim_backlog = mu * (1.0 - frac)
        self.pending_events_cny -= tr.pay("exp_events_cny", t, self.pending_events_cny)  # 6
        self.dev.accrue_interest()
        self.rec.put("phases_stalled", t, int(((ph.state == BUILDING) & (ph.stalled > 0)).sum()))

    def _pay_construction(self, t: int) -> None:
        ph, tr, dev = self.ph, self.tr, self.dev
        rows = cons.under_way(ph, t)
        if rows.size == 0:
            return
        ph.state[rows] = BUILDING
        demand = self._demand()
        for p in cons.order_key(rows, self.sc.government.phase_rule, demand, self.planner_pos):
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

    def _demand(self) -> np.ndarray:
        """Registrations per planned unit up to each phase (for the demand-first rule)."""
        return self.com.registrations[self.ph.community] / np.maximum(self.to_date, 1)

    # 10 --------------------------------------------------------------- construction
    def _construction(self, t: int) -> None:
        ph, com, sc = self.ph, self.com, self.sc
        for p in cons.finished(ph):
            ph.state[p] = DONE
            ph.month_done[p] = t
            c = ph.community[p]
            com.built[c] += ph.units[p]
            if ph.financing[p] == DEVELOPER:
                com.unsold[0, c] += ph.units[p]
            elif ph.financing[p] == TOWNSHIP:
                com.unsold[1, c] += ph.units[p]
            self._end_phase(int(p))
        for p in cons.to_abandon(ph, sc.government.stall_limit_months):
            ph.state[p] = ABANDONED
            ph.month_done[p] = t
            self._end_phase(int(p))
        ended = cons.ended(ph.state)
        closed = np.bincount(ph.community, weights=~ended, minlength=len(com.names)) == 0
        self.community_closed = closed & (com.free.sum(axis=1) <= 0)
        if not self.reg_open or self.tr.overcommitted:
            return
        rows = np.flatnonzero(cons.ready(ph, t, com.registrations, self.to_date))
        if sc.government.phase_rule == "one_community_at_a_time":
            cur = cons.current_community(ph, self.community_order)
            rows = rows[ph.community[rows] == cur]
        if rows.size == 0:
            return
        tr, dev = self.tr, self.dev
        own = ph.cost_cny + np.where(ph.financing == TOWNSHIP, ph.housing_cny, 0.0)
        committed = float(cons.remaining_cost(ph).sum()) + float(
            cons.remaining_housing(ph)[ph.financing == TOWNSHIP].sum())
        headroom = tr.cash + (tr.limit - tr.debt) - committed
        dev_room = dev.cash + dev.limit - dev.debt - float(
            cons.remaining_housing(ph)[ph.financing == DEVELOPER].sum())
        presales = None
        for p in cons.order_key(rows, sc.government.phase_rule, self._demand(), self.planner_pos):
            # a developer starts a phase when its credit plus the sales it expects from the
            # households waiting for the community cover the housing (committed or not); the
            # township's own share must be covered unless the phase is committed
            if ph.financing[p] == DEVELOPER:
                if presales is None:
                    presales = self._expected_sales()
                if ph.housing_cny[p] > dev_room + presales[ph.community[p]]:
                    continue
            if not ph.committed[p] and own[p] > headroom:
                continue
            headroom -= own[p]
            if ph.financing[p] == DEVELOPER:
                dev_room -= ph.housing_cny[p]
            ph.state[p] = FUNDED
            ph.month_funded[p] = t
            self.phase_end[int(p)] = self.env.event()
            self.env.process(self._build(int(p)))

    def _expected_sales(self) -> np.ndarray:
        """CNY a developer expects from the households waiting for each community's units that
        its phases already funded or under way, and its unsold units, do not already serve."""
        com, ph = self.com, self.ph
        waiting = np.bincount(self.waiting.group, minlength=com.built.size).reshape(com.built.shape)
        going = (ph.financing == DEVELOPER) & ((ph.state == FUNDED) | (ph.state == BUILDING))
        pending = np.zeros_like(waiting)
        np.add.at(pending, ph.community[going], ph.units[going])
        pending += com.unsold[0]
        return (np.maximum(waiting - pending, 0) * com.price_cny).sum(axis=1)

    def _end_phase(self, p: int) -> None:
        ev = self.phase_end.get(p)
        if ev is not None and not ev.triggered:
            ev.succeed()

    # 11 --------------------------------------------------------------- land
    def _land(self, t: int) -> None:
        vil, land = self.vil, self.sc.land
        mu = self.reclaimed_now
        vil.land_reclaimed_mu += mu
        if quota_open(land.quota, t):
            q = mu * land.quota.share
            vil.land_quota_mu += q
            self.sale_due[t + land.quota.sale_lag_months] += float(q.sum())
            mu = mu - q
        vil.land_collective_mu += mu

    # 12 --------------------------------------------------------------- exposure
    def _exposure(self, t: int) -> None:
        vil, w, rec = self.vil, self.sc.strategy.withdrawal, self.rec
        deg = degraded(vil.service, w.exposure_service_level)
        rec.exposed[t] = exposure_by_type(self.present_vt, deg)
        stranded_v = (vil.month_withdrawn != NO_MONTH) & degraded(vil.service,
                                                                  w.stranded_service_level)
        if not stranded_v.any() or self.active.size == 0:
            return
        a = self.active
        rows = np.flatnonzero(stranded_v[a.code // self.T] & a.alive)
        rows = rows[a.gap(rows, self.months_since_update) > 0]
        ids = a.ids[rows]
        self.hh.flags[ids] |= F_EVER_STRANDED
        rec.stranded[t] = np.bincount(self.hh.htype[ids], minlength=self.T)

    # 13 --------------------------------------------------------------- finance
    def _close(self, t: int) -> None:
        self.tr.close_month(t)
        self.months_since_update += 1

    # ------------------------------------------------------------------ bookkeeping
    def _transition(self, idx: np.ndarray, new: int) -> None:
        """Move households ``idx`` to status ``new``, keeping the type x status counts."""
        if idx.size == 0:
            return
        hh, S = self.hh, len(STATUS_NAMES)
        size = self.counts.size
        codes = hh.htype[idx].astype(np.int64) * S
        self.counts -= np.bincount(codes + hh.status[idx], minlength=size).reshape(self.counts.shape)
        self.counts += np.bincount(codes + new, minlength=size).reshape(self.counts.shape)
        hh.status[idx] = new

    def check_invariants(self, t: int) -> None:
        """Raise :class:`InvariantError` if any model invariant fails in month ``t``."""
        from .invariants import check_model

        problems = check_model(self, t)
        if problems:
            raise InvariantError(f"month {t}: " + "; ".join(problems))
