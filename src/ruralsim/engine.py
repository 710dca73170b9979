"""The engine: SimPy decides *when*, vectorized numpy rules decide *what*.

SimPy owns the calendar: the monthly round, construction phases (each waits for
funding and a construction team, then takes its build time), policy events and
instrument start/end dates.  Calendar processes only append to ``due_*`` lists
or set due dates; every change to model state happens in :meth:`Model.step`,
the one documented order of work in a month.  Calendar events fall on whole
months; the round of month ``t`` runs at ``t + 0.5``, after them.

Order of work in month ``t`` (see docs/model.md):

1. budget opens      - revenue lines due this month are paid in;
2. events due        - policy events fired by the calendar apply; if the package
                       changed, per-household policy terms are recomputed;
3. construction      - phases due complete and add units; phases under way are
                       paid; waiting phases start if funded (cash + credit);
4. services          - villages below the withdrawal threshold lose services,
                       withdrawn services decay, the rest are maintained (paid);
5. decisions         - households still in old villages draw their monthly move
                       hazard and register, asking for a unit kind;
6. allocation        - free units go to the waiting list by the strategy's priority;
7. moves             - allocated households whose fit-out is done move in; their
                       homestead is freed, their instruments are paid;
8. stranding         - who is left in a degraded village and cannot afford to move;
9. land              - freed land is reclaimed after its lag (paid), reclaimed quota
                       is sold after its lag (revenue), the rest is collective;
10. recurring costs  - monthly instrument costs for movers;
11. finance          - interest; borrowing when cash is short, repayment when ample;
12. record           - the month's row of the time series.
"""
from __future__ import annotations

from collections import defaultdict
from typing import Callable

import numpy as np
import simpy

from . import behaviour as bh
from .policy import Eligible, active_at, change_months, eligible_mask, outreach_shift, \
    policy_terms, priority_rank, village_batches
from .results import Recorder
from .rng import Streams
from .scenario.schema import Scenario
from .state import (ALLOCATED, BUILDING, DONE, FUNDED, IN_VILLAGE, KINDS, MOVED, NO_MONTH,
                    PLANNED, REGISTERED, STATUS_NAMES, STRANDED, init_communities,
                    init_households, init_phases, init_villages)

K = len(KINDS)


class InvariantError(AssertionError):
    """A model invariant failed (only raised when running with ``check=True``)."""


class Model:
    """One simulation run of one scenario with one seed."""

    def __init__(self, sc: Scenario, seed: int | np.random.SeedSequence,
                 progress: Callable[[int, int], None] | None = None, check: bool = False):
        self.sc = sc
        self.H = sc.run.horizon_months
        self.check = check
        self.progress = progress
        self.streams = Streams(seed)
        self.type_names = list(sc.household_types)
        types = list(sc.household_types.values())
        self.hh = init_households(sc, self.streams)
        self.vil = init_villages(sc)
        self.com = init_communities(sc)
        self.ph = init_phases(sc, self.streams)
        self.rec = Recorder(sc, self.type_names, self.vil.n)
        b = sc.behaviour
        self.b = b
        self.asc = np.array([t.asc for t in types]) + sc.behaviour.asc_offset
        self.apt_share = np.array([t.apartment_share for t in types])
        self.rank = priority_rank(sc, self.type_names)
        n, T = self.hh.n, len(types)
        self.counts = np.zeros((T, len(STATUS_NAMES)), dtype=np.int64)
        self.counts[:, IN_VILLAGE] = np.bincount(self.hh.htype, minlength=T)
        # households still present, by village and type (only moves change it)
        self.present_vt = np.bincount(self.hh.village.astype(np.int64) * T + self.hh.htype,
                                      minlength=self.vil.n * T).reshape(self.vil.n, T)
        # per-household policy terms (refreshed when the package or an event changes them)
        self.event_shift = np.zeros(n, dtype=np.float32)
        self.event_apt_shift = np.zeros(n, dtype=np.float32)
        self.util0 = np.zeros(n, dtype=np.float32)
        self.gap0_cny = np.zeros(n, dtype=np.float32)   # cost - savings0 - credit
        self.house0 = np.zeros(n, dtype=np.float32)
        self.house_slope = (b.b_house_value_per_10k_cny * self.hh.house_value_new_cny / 1e4
                            / (12 * b.house_life_years)).astype(np.float32)
        self.intended_kind = np.zeros(n, dtype=np.int8)
        self.terms = None
        self.active = np.arange(n, dtype=np.int64)     # IN_VILLAGE or STRANDED
        self.waiting = np.zeros(0, dtype=np.int64)     # REGISTERED
        self.waiting_group = np.zeros(0, dtype=np.int64)   # their (community, kind) group
        self.move_due: dict[int, list[np.ndarray]] = defaultdict(list)
        lag = sc.land.reclaim_lag_months + sc.land.quota_sale_lag_months
        self.reclaim_due = np.zeros((self.H + lag + 2, self.vil.n))
        self.sale_due = np.zeros(self.H + lag + 2)
        self.collective_mu = 0.0
        self.sold_mu = 0.0
        ni = len(sc.policy.instruments)
        # recurring instrument flows as difference arrays: [instrument, month], cost and revenue
        self.recurring_diff = np.zeros((2, max(ni, 1), self.H + 2))
        self.recurring_rate = np.zeros((2, max(ni, 1)))
        self.cash = sc.government.opening_cash_cny
        self.debt = 0.0
        self.reg_open = False
        self.batches = village_batches(sc, self.vil.names)
        self.open_village = np.zeros(self.vil.n, dtype=bool)
        self.open_village[self.batches[0]] = True
        self.n_batches_open = 1
        self.awards_paid = np.zeros(len(sc.policy.awards), dtype=bool)
        self.instr_eligible = [Eligible(i.eligible, self.type_names, self.vil.names)
                               for i in sc.policy.instruments]
        self.policy_dirty = True
        self.due_events: list = []
        self.due_phases: list[int] = []
        self.env = simpy.Environment()
        teams = sc.government.construction_teams
        self.teams = simpy.Resource(self.env, capacity=teams) if teams else None

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
        """Policy events, package changes and the opening of registration, in month order.

        Each sets a flag or appends to ``due_events``; the next round applies it.
        """
        def event(i):
            return lambda: self.due_events.append(self.sc.policy.events[i])

        def package_changes():
            self.policy_dirty = True

        def registration_opens():
            self.reg_open = True

        items = [(e.month, 0, i, event(i)) for i, e in enumerate(self.sc.policy.events)]
        items += [(m, 1, 0, package_changes) for m in change_months(self.sc)]
        items.append((self.sc.policy.registration_opens_month, 2, 0, registration_opens))
        for month, _, _, apply in sorted(items, key=lambda x: x[:3]):
            if month >= self.H:
                break
            if month > self.env.now:
                yield self.env.timeout(month - self.env.now)
            apply()

    def _build(self, p: int):
        """A funded phase waits for a construction team, then builds for its drawn time."""
        if self.teams is None:
            yield from self._construct(p)
        else:
            with self.teams.request() as req:
                yield req
                yield from self._construct(p)

    def _construct(self, p: int):
        start = int(np.ceil(self.env.now))
        self.ph.month_started[p] = start
        due = start + int(self.ph.build_months[p])
        yield self.env.timeout(due - self.env.now)
        self.due_phases.append(p)

    # ------------------------------------------------------------------ the month
    def step(self, t: int) -> None:
        """One month, in the documented order of work (module docstring)."""
        self._budget(t)
        self._events(t)
        self._construction(t)
        self._services(t)
        self._decisions(t)
        self._allocation(t)
        self._moves(t)
        self._stranding(t)
        self._land(t)
        self._recurring(t)
        self._finance(t)
        self._record(t)
        if self.check:
            self.check_invariants(t)

    def _budget(self, t: int) -> None:
        self._awards(t)
        for r in self.sc.government.revenues:
            if t >= r.start_month and (r.end_month is None or t <= r.end_month) and \
                    (t - r.start_month) % r.every_months == 0:
                amount = r.amount_cny * (1 + r.growth_per_year) ** ((t - r.start_month) / 12)
                self.rec.earn(f"rev_{r.name}_cny", t, amount)

    def _awards(self, t: int) -> None:
        """以奖代补: a higher level pays an award once a share of households has moved."""
        moved = self.counts[:, MOVED].sum() / max(1, self.hh.n)
        for i, aw in enumerate(self.sc.policy.awards):
            if not self.awards_paid[i] and moved >= aw.moved_share:
                self.awards_paid[i] = True
                self.rec.earn(f"rev_award_{aw.name}_cny", t, aw.amount_cny)

    def _events(self, t: int) -> None:
        hh = self.hh
        for ev in self.due_events:
            m = eligible_mask(ev.eligible, self.type_names, self.vil.names, hh.htype, hh.village,
                              hh.income_cny_py)
            self.event_shift[m] += ev.utility_shift
            self.event_apt_shift[m] += ev.apartment_share_shift
            if ev.cost_cny:
                self.rec.spend("exp_events_cny", t, ev.cost_cny)
            if ev.opens_registration:
                self.reg_open = True
            self.policy_dirty = True
        self.due_events.clear()
        if self.policy_dirty:
            self._refresh_policy(t)

    def _refresh_policy(self, t: int) -> None:
        """Recompute per-household terms that change only with policy (full pass)."""
        hh, b, sc = self.hh, self.b, self.sc
        self.terms = policy_terms(sc, t, self.type_names, self.vil.names, hh.htype, hh.village,
                                  hh.income_cny_py)
        self.intended_kind = bh.choose_kind(hh.kind_draw,
                                            self.apt_share[hh.htype] + self.event_apt_shift)
        price = self.com.price_cny[self.vil.community[hh.village], self.intended_kind]
        cost = bh.net_cost(price, b.fit_out_cny, self.terms.value_cny, self.terms.covers_price)
        field = self.vil.field_km[hh.village] * (1.0 - self.terms.field_relief)
        self.util0 = bh.static_utility(self.asc[hh.htype], self.terms.shift + self.event_shift,
                                       hh.attachment, field, cost, b.b_attachment,
                                       b.b_field_distance_per_km,
                                       b.b_cost_per_10k_cny).astype(np.float32)
        liquid = hh.savings0_cny + self.terms.credit_cny + b.credit_years_of_income * hh.income_cny_py
        self.gap0_cny = (cost - liquid).astype(np.float32)
        remaining0 = hh.house_value_new_cny * np.maximum(0, 1 - hh.house_age0_y / b.house_life_years)
        self.house0 = (b.b_house_value_per_10k_cny * remaining0 / 1e4).astype(np.float32)
        self.policy_dirty = False

    def _construction(self, t: int) -> None:
        ph, com, rec = self.ph, self.com, self.rec
        for p in self.due_phases:
            ph.state[p] = DONE
            ph.month_done[p] = t
            com.built[ph.community[p]] += ph.units[p]
        self.due_phases.clear()
        building = (ph.state == BUILDING) | ((ph.state == FUNDED) & (ph.month_started >= 0))
        ph.state[building] = BUILDING
        paying = building & (ph.month_started <= t) & (ph.paid_cny < ph.cost_cny - 1e-6)
        pay = np.where(paying, ph.cost_cny / ph.build_months, 0.0)
        pay = np.minimum(pay, ph.cost_cny - ph.paid_cny)
        ph.paid_cny += pay
        rec.spend("exp_construction_cny", t, float(pay.sum()))
        if not self.reg_open:
            return
        committed = float((ph.cost_cny - ph.paid_cny)[(ph.state == BUILDING) | (ph.state == FUNDED)].sum())
        headroom = self.cash + rec.net(t) + self.sc.government.borrowing.limit_cny - self.debt - committed
        for p in np.flatnonzero(ph.state == PLANNED):
            c = ph.community[p]
            prev_open = ph.order[p] == 0 or ph.state[p - 1] != PLANNED
            units_to_date = ph.units[(ph.community == c) & (ph.order <= ph.order[p])].sum()
            demand_ok = com.registrations[c] >= ph.min_reg_share[p] * units_to_date
            if not (prev_open and demand_ok and t >= ph.earliest[p]):
                continue
            if not ph.committed[p] and ph.cost_cny[p] > headroom:
                continue
            headroom -= ph.cost_cny[p]
            ph.state[p] = FUNDED
            ph.month_funded[p] = t
            self.env.process(self._build(int(p)))

    def _services(self, t: int) -> None:
        vil, w, rec = self.vil, self.sc.strategy.withdrawal, self.rec
        share = np.divide(vil.n_present, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        if w.enabled and t >= w.earliest_month:
            already = vil.month_withdrawn != NO_MONTH
            due = bh.withdrawal_due(share, w.threshold_share, already) & (vil.n0 > 0)
            if due.any():
                targets = np.isin(np.array(self.sc.services.names),
                                  w.services if w.services is not None else self.sc.services.names)
                vil.withdrawn[np.ix_(due, targets)] = True
                vil.month_withdrawn[due] = t
            vil.service = bh.decay_services(vil.service, vil.withdrawn, w.decay_per_month)
        maintained = 1.0 - vil.withdrawn.mean(axis=1)
        occupied = vil.n_present > 0
        rec.spend("exp_maintenance_cny", t, float((vil.maintenance_cny_pm * maintained)[occupied].sum()))
        rec.put("maintenance_saved_cny", t,
                float((vil.maintenance_cny_pm * (1 - maintained))[occupied].sum()))

    def village_pull(self) -> np.ndarray:
        """Per-village utility term: neighbours already gone and services lost."""
        vil, b = self.vil, self.b
        gone = np.divide(vil.n0 - vil.n_present, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
        return b.b_social * gone + b.b_service * (1.0 - vil.service.mean(axis=1))

    def utility(self, idx: np.ndarray, t: int) -> np.ndarray:
        """Monthly utility V of moving for households ``idx`` (see behaviour module)."""
        hh = self.hh
        vt = self.village_pull().astype(np.float32)
        tt = outreach_shift(self.sc, self.type_names, t).astype(np.float32)
        return (self.util0[idx] + vt[hh.village[idx]] + tt[hh.htype[idx]]
                - bh.decline(self.house0[idx], self.house_slope[idx], t)
                - self.b.b_gap_per_10k_cny / 1e4 * self.affordability_gap(idx, t))

    def affordability_gap(self, idx: np.ndarray, t: int) -> np.ndarray:
        """CNY of the net cost that savings (grown to month ``t``) and credit do not cover."""
        return bh.decline(self.gap0_cny[idx], self.hh.saving_cny_pm[idx], t)

    def _decisions(self, t: int) -> None:
        if not self.reg_open or self.active.size == 0:
            return
        hh, vil = self.hh, self.vil
        self._open_batches()
        idx = self.active
        v = self.utility(idx, t)
        go = bh.decide(v, self.streams.uniform("decide", idx, t))
        if not self.open_village.all():
            go &= self.open_village[hh.village[idx]]
        new = idx[go]
        self.active = idx[~go]
        if new.size == 0:
            return
        self._transition(new, REGISTERED)
        hh.month_registered[new] = t
        hh.kind[new] = self.intended_kind[new]
        hh.pushed[new] = vil.month_withdrawn[hh.village[new]] != NO_MONTH
        self.com.registrations += np.bincount(vil.community[hh.village[new]],
                                              minlength=len(self.com.names))
        self.waiting = np.concatenate([self.waiting, new])
        self.waiting_group = np.concatenate([
            self.waiting_group, vil.community[hh.village[new]].astype(np.int64) * K + hh.kind[new]])
        self.rec.put("new_registrations", t, new.size)
        self.rec.put("new_registrations_pushed", t, int(hh.pushed[new].sum()))
        self.rec.put("new_registrations_apartment", t, int((hh.kind[new] == 0).sum()))

    def _open_batches(self) -> None:
        """Village-by-village sequencing: open the next batch once the open ones have emptied."""
        seq, vil = self.sc.strategy.sequence, self.vil
        while self.n_batches_open < len(self.batches):
            opened = self.open_village & (vil.n0 > 0)
            share = vil.n_present[opened].sum() / max(1, vil.n0[opened].sum())
            if opened.any() and share >= seq.open_next_below_share:
                break
            self.open_village[self.batches[self.n_batches_open]] = True
            self.n_batches_open += 1

    def _allocation(self, t: int) -> None:
        w = self.waiting
        if w.size == 0:
            return
        hh, com = self.hh, self.com
        free = com.free.ravel()
        if not free.any():
            return
        group = self.waiting_group
        self._switch_kind(w, group, free, t)
        cand = np.flatnonzero(free[group] > 0)   # only groups with a free unit need sorting
        if cand.size == 0:
            return
        wc, gc = w[cand], group[cand]
        served_c = bh.allocate(gc, self.rank[hh.htype[wc]], hh.month_registered[wc], wc, free)
        got = wc[served_c]
        if got.size == 0:
            return
        served = np.zeros(w.size, dtype=bool)
        served[cand[served_c]] = True
        self.waiting, self.waiting_group = w[~served], group[~served]
        self._transition(got, ALLOCATED)
        hh.month_allocated[got] = t
        com.allocated += np.bincount(gc[served_c], minlength=free.size).reshape(com.built.shape)
        self.move_due[t + self.b.move_lag_months].append(got)
        self.rec.put("new_allocations", t, got.size)

    def _switch_kind(self, w: np.ndarray, group: np.ndarray, free: np.ndarray, t: int) -> None:
        """Households waiting long for a sold-out kind accept the other kind if it is free."""
        other = np.arange(free.size) ^ 1          # group of the other kind, same community
        switchable = (free <= 0) & (free[other] > 0)
        if not switchable.any():
            return
        hh = self.hh
        sw = switchable[group] & ((t - hh.month_registered[w]) >= self.b.switch_kind_after_months)
        if sw.any():
            hh.kind[w[sw]] ^= 1
            group[sw] = other[group[sw]]

    def _moves(self, t: int) -> None:
        due = self.move_due.pop(t, None)
        if not due:
            return
        m = np.concatenate(due)
        hh, vil, com, b = self.hh, self.vil, self.com, self.b
        self._transition(m, MOVED)
        hh.month_moved[m] = t
        c = vil.community[hh.village[m]]
        group = np.bincount(c.astype(np.int64) * K + hh.kind[m], minlength=com.built.size)
        com.allocated -= group.reshape(com.built.shape)
        com.occupied += group.reshape(com.built.shape)
        vil.n_present -= np.bincount(hh.village[m], minlength=vil.n)
        T = len(self.type_names)
        self.present_vt -= np.bincount(hh.village[m].astype(np.int64) * T + hh.htype[m],
                                       minlength=self.present_vt.size).reshape(self.present_vt.shape)
        freed = np.bincount(hh.village[m], weights=vil.homestead_mu_ph[hh.village[m]], minlength=vil.n)
        vil.land_freed_mu += freed
        self.reclaim_due[t + self.sc.land.reclaim_lag_months] += freed
        price = com.price_cny[c, hh.kind[m]]
        value = np.zeros(m.size)
        covers = np.zeros(m.size, dtype=bool)
        for i, ins in enumerate(self.sc.policy.instruments):
            if not active_at(ins, t):
                continue
            got = self.instr_eligible[i].mask(hh.htype[m], hh.village[m], hh.income_cny_py[m])
            k = int(got.sum())
            if k == 0:
                continue
            hh.instruments[m[got]] |= np.uint64(1) << np.uint64(i)
            value[got] += ins.value_cny
            cost = k * ins.cost_once_cny
            if ins.covers_price:  # the price is paid once, by the first instrument covering it
                cost += float(price[got & ~covers].sum())
                covers |= got
            self.rec.spend(f"exp_instr_{ins.name}_cny", t, cost)
            end = min(t + 1 + ins.cost_months, self.H + 1)
            for j, amount in enumerate((ins.cost_monthly_cny, ins.revenue_monthly_cny)):
                if amount and ins.cost_months:
                    self.recurring_diff[j, i, t + 1] += k * amount
                    self.recurring_diff[j, i, end] -= k * amount
        cost_hh = bh.net_cost(price, b.fit_out_cny, value, covers)
        savings = hh.savings0_cny[m] + hh.saving_cny_pm[m] * t
        hh.debt_cny[m] = bh.household_debt(cost_hh, savings)
        self.rec.put("new_moves", t, m.size)
        self.rec.put("new_moves_pushed", t, int(hh.pushed[m].sum()))

    def _stranding(self, t: int) -> None:
        w = self.sc.strategy.withdrawal
        vil, hh = self.vil, self.hh
        degraded = (vil.month_withdrawn != NO_MONTH) & \
            (vil.service.mean(axis=1) < w.stranded_service_level)
        if not degraded.any() or self.active.size == 0:
            return
        idx = self.active[degraded[hh.village[self.active]]]
        cannot = self.affordability_gap(idx, t) > 0
        now_stranded = idx[cannot & (hh.status[idx] == IN_VILLAGE)]
        freed = idx[~cannot & (hh.status[idx] == STRANDED)]
        self._transition(now_stranded, STRANDED)
        self._transition(freed, IN_VILLAGE)
        st = idx[cannot]
        hh.stranded_months[st] += 1

    def _land(self, t: int) -> None:
        land, rec, vil = self.sc.land, self.rec, self.vil
        mu = self.reclaim_due[t]
        total = float(mu.sum())
        vil.land_reclaimed_mu += mu
        if total:
            rec.spend("exp_reclamation_cny", t, total * land.reclaim_cost_cny_per_mu)
            self.sale_due[t + land.quota_sale_lag_months] += total * land.quota_share
            self.collective_mu += total * (1 - land.quota_share)
        sold = float(self.sale_due[t])
        self.sold_mu += sold
        if sold:
            rec.earn("rev_land_quota_cny", t, sold * land.quota_price_cny_per_mu)
        rec.put("land_freed_mu", t, float(vil.land_freed_mu.sum()))
        rec.put("land_reclaimed_mu", t, float(vil.land_reclaimed_mu.sum()))
        rec.put("land_sold_mu", t, self.sold_mu)
        rec.put("land_collective_mu", t, self.collective_mu)
        rec.put("collective_dividends_cny", t,
                self.collective_mu * land.collective_income_cny_per_mu_per_year / 12)

    def _recurring(self, t: int) -> None:
        self.recurring_rate += self.recurring_diff[:, :, t]
        for i, ins in enumerate(self.sc.policy.instruments):
            cost, revenue = self.recurring_rate[:, i]
            if cost:
                self.rec.spend(f"exp_instr_{ins.name}_cny", t, float(cost))
            if revenue:
                self.rec.earn(f"rev_instr_{ins.name}_cny", t, float(revenue))

    def _finance(self, t: int) -> None:
        bor, rec = self.sc.government.borrowing, self.rec
        if self.debt:
            rec.spend("exp_interest_cny", t, self.debt * bor.interest_rate_per_year / 12)
        cash = self.cash + rec.net(t)
        if cash < 0 and self.debt < bor.limit_cny:
            draw = min(-cash, bor.limit_cny - self.debt)
            rec.earn("rev_borrowing_cny", t, draw)
            self.debt += draw
        elif cash > bor.cash_buffer_cny and self.debt > 0:
            repay = min(self.debt, cash - bor.cash_buffer_cny)
            rec.spend("exp_debt_repayment_cny", t, repay)
            self.debt -= repay
        self.cash += rec.net(t)

    def _record(self, t: int) -> None:
        self.rec.record_month(t, self)

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
