"""Step 2 of the month, calendar items: policy events apply, a new year updates household
finances, and the decision terms are recomputed if policy or finances changed.

The SimPy calendar (:mod:`ruralsim.model.loop`) only appends due events to
:attr:`Clock.due_events` and sets flags (``policy_dirty``, ``year_due``, ``reg_open``); this
step applies them, so that every change to model state happens inside the month's order.
An event shifts the log hazard and the apartment share of the households it names
(lastingly, by village and type, or per household when it has an income limit), adds its
one-off cost to what settlement pays (priority 6) and may open registration.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("nanpu", seed=1, overrides=["run.horizon_months=13"])
    >>> r.summary["horizon_months"]
    13
"""
from __future__ import annotations

import numpy as np

from . import households as hhm
from .decisions import ActiveSet
from .policy import Eligible, eligible_mask
from .state import ALLOCATED, Clock, Ledger, Population, Villages
from .terms import REFRESH_CHUNK, Terms


class CalendarItems:
    """Apply the events due, the yearly update of finances, and refresh decision terms."""

    def __init__(self, sc, streams, pop: Population, vil: Villages, clock: Clock,
                 ledger: Ledger, terms: Terms, active: ActiveSet) -> None:
        self.sc, self.streams, self.pop, self.vil = sc, streams, pop, vil
        self.clock, self.ledger, self.terms, self.active = clock, ledger, terms, active
        self.types = np.array(pop.type_names)

    def step(self, t: int) -> None:
        clock = self.clock
        for ev in clock.due_events:
            self._event(ev)
        clock.due_events.clear()
        if clock.year_due:
            clock.year += 1
            hh = self.pop.hh
            idx = np.flatnonzero(hh.status <= ALLOCATED)   # not yet moved
            for a in range(0, idx.size, REFRESH_CHUNK):   # household by household: in chunks
                part = idx[a:a + REFRESH_CHUNK]            # the working arrays stay small
                hhm.yearly_update(self.sc, self.streams, hh, part, clock.year,
                                  self.ledger.dividend_phy[hh.village[part]])
            clock.months_since_update = 0
            clock.year_due = False
            if not clock.policy_dirty:
                self.terms.refresh_finances(self.active)
        if clock.policy_dirty:
            self.terms.refresh(self.active, t)
            clock.policy_dirty = False

    def _event(self, ev) -> None:
        hh, vil, terms, T = self.pop.hh, self.vil, self.terms, self.pop.T
        names = self.pop.type_names
        if ev.eligible.max_income_cny_per_year is None:
            cell = np.outer(Eligible(ev.eligible, names, vil.names).villages
                            if ev.eligible.villages is not None else np.ones(vil.n, bool),
                            np.isin(self.types, ev.eligible.types)
                            if ev.eligible.types is not None else np.ones(T, bool))
            terms.event_shift[cell] += ev.utility_shift
            terms.event_apt[cell] += ev.apartment_share_shift
        else:
            if terms.event_shift_hh is None:
                terms.event_shift_hh = np.zeros(hh.n, dtype=np.float32)
                terms.event_apt_hh = np.zeros(hh.n, dtype=np.float32)
            m = eligible_mask(ev.eligible, names, vil.names, hh.htype, hh.village, hh.income_cny)
            terms.event_shift_hh[m] += ev.utility_shift
            terms.event_apt_hh[m] += ev.apartment_share_shift
        self.ledger.pending_events_cny += ev.cost_cny
        if ev.opens_registration:
            self.clock.reg_open = True
        self.clock.policy_dirty = True
