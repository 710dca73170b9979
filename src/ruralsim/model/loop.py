"""The loop: SimPy decides *when*, the month's processes decide *what*.

SimPy owns the calendar: the monthly round, policy events, package changes, the opening of
registration, new years, and construction teams (a funded phase waits for a team and holds
it until the phase is done or abandoned).  Calendar processes only append to due events,
set flags or a phase's start month; every change to model state happens in
:meth:`Model.step`, the one order of work of a month, at ``t + 0.5`` (after the calendar
items of month ``t``).  This is the only module that imports SimPy.

Order of work in month ``t`` (reasons: docs/model.md, section 3; owner module at the end).
Before step 1, with ``government.plan.enabled``, in month 0 and each new year: the township's
plan (forecast, appropriation by line, the year's registration quota; plan.py).

1. budget opens   - revenues of the month are paid in: transfers, awards, rents and
                    instalments, collective land income, quota sales due (budget.py);
2. calendar       - policy events apply; a new year updates household finances; changed
                    decision terms are recomputed (events.py, terms.py);
3. services       - villages below the withdrawal threshold lose services (services.py);
4. decisions      - households in their old village accumulate their monthly hazard and
                    those whose clock crosses its threshold register (decisions.py); with
                    ballots the villages due vote first and passing ones are scheduled
                    (consent.py); with ties each household's pull from who moved is added
                    (influence.py);
5. giving up      - registered households whose wait passed their patience leave the list,
                    get their deposit back or lose it, and may rebuild; while the township
                    owes households, a month counts more on the patience clock (giving_up.py);
6. allocation     - free units go to the waiting list by the strategy's rule (allocation.py;
                    supply.mode demand: plots, houses and buildings as households pay, supply.py);
7. moves          - allocated households whose fit-out is done move in, demolish or keep
                    their old house (by a decision: demolition.py), pay, borrow; their
                    promised payments fall due (moves.py);
8. returns        - movers who kept their old house and are due back return (returns.py);
9. settlement     - the township pays what is due, in the budget rule's order of priority:
                    interest, households, maintenance, construction, reclamation, events;
                    paid phases progress, unpaid ones stall (settlement.py, treasury.py);
10. construction  - finished phases deliver units, phases stalled too long are abandoned,
                    ready phases are funded in the phase rule's order (construction.py;
                    supply.mode demand: sections and facilities, supply.py and works.py);
11. land          - reclaimed land becomes collective (or quota for sale) and earns (land.py);
12. exposure      - who lives with degraded services, who is stranded (services.py);
13. finance       - the month closes: borrowing or repayment, arrears, trust (finance.py);
14. record        - the month's row of the time series (results.py).

Adding a process (model 3.0: self-build, the township's plan, village consent): a module
with a class that takes the state it reads and writes (:mod:`ruralsim.model.state`) and has
``step(t)``; build it in :meth:`Model._wire`, add one line with its reason to
:meth:`Model.step`, and its line here and in docs/model.md.

Example:
    >>> import ruralsim
    >>> m = Model(ruralsim.load_scenario("teaching").model, seed=1).run()
    >>> int(m.rec.cols["n_ever_moved"][-1]) == m.pop.cum_moves
    True
"""
from __future__ import annotations

from typing import Callable

import numpy as np
import simpy

from . import households as hhm
from .allocation import Allocation
from .budget import Budget
from .consent import Consent
from .construction import Construction, PhaseOrder
from .decisions import ActiveSet, Decisions
from .demolition import Demolition
from .events import CalendarItems
from .finance import Close
from .giving_up import GivingUp
from .supply import DemandSupply
from .influence import Influence
from .invariants import InvariantError, check_month
from .land import Land, LandBook
from .moves import Moves
from .plan import TownshipPlan
from .policy import change_months, priority_rank
from .results import Recorder
from .returns import Returns
from .services import Exposure, Services
from .settlement import Settlement
from .state import (Clock, Ledger, Population, Queues, init_communities, init_phases,
                    init_villages)
from .terms import Terms
from .treasury import Developer, Treasury
from .waiting import WaitingList, WaitKeys
from ..rng import Streams


class Model:
    """One simulation run of one scenario with one seed."""

    def __init__(self, sc, seed, progress: Callable[[int, int], None] | None = None,
                 check: bool = False):
        self.sc, self.H, self.check, self.progress = sc, sc.run.horizon_months, check, progress
        self.streams = streams = Streams(seed)
        self.type_names = list(sc.household_types)
        hh = hhm.init_households(sc, streams)
        self.vil = vil = init_villages(sc)
        vil.two_share = np.divide(np.bincount(hh.village, weights=hhm.two_homesteads(hh),
                                              minlength=vil.n), vil.n0,
                                  out=np.zeros(vil.n), where=vil.n0 > 0)
        self.com, self.ph = init_communities(sc), init_phases(sc, streams)
        self.rec = Recorder(sc, self.type_names, vil.n)
        self.tr, self.dev = Treasury(sc.government, self.rec), Developer(sc.government.developer)
        self.pop = Population(hh, self.type_names, vil.n)
        self.clock, self.queues = Clock(), Queues()
        self.ledger = Ledger(self.H, len(sc.policy.instruments), vil.n)
        self.land = LandBook(sc, streams, vil.n)
        self.terms = Terms(sc, streams, hh, vil, self.com)
        self.active, self.waiting = ActiveSet(), WaitingList()
        self.env = simpy.Environment()
        teams = sc.government.construction_teams
        self.teams = simpy.Resource(self.env, capacity=teams) if teams else None
        self.phase_end: dict[int, simpy.Event] = {}
        self._wire()
        self.rec.watch(self.pop, vil, self.com, self.ph, self.tr, self.dev, self.waiting,
                       self.ledger)
        # everyone starts deciding (terms are set by the first refresh, in month 0)
        ids = np.arange(hh.n, dtype=np.int64)
        z = np.zeros(hh.n, dtype=np.float32)
        self.active.add(ids, A=z, code=self.terms.code(ids), hv0=z, hslope=z, g0=z, gflow=z,
                        thresh=self.terms.thresholds(ids))

    def _wire(self) -> None:
        """Build the month's processes, each with the state it reads and writes."""
        sc, st, pop, vil, com, ph = self.sc, self.streams, self.pop, self.vil, self.com, self.ph
        tr, dev, rec, clock, ledger, queues = (self.tr, self.dev, self.rec, self.clock,
                                               self.ledger, self.queues)
        terms, active, waiting, land = self.terms, self.active, self.waiting, self.land
        keys = WaitKeys(sc.strategy.allocation, st, pop.hh, vil.community,
                        priority_rank(sc, self.type_names))
        closed = np.zeros(len(com.names), dtype=bool)     # communities closed to registration
        ever_registered_v = np.zeros(vil.n, dtype=np.int64)
        order = PhaseOrder(sc, ph, com)
        giving_up = GivingUp(sc, pop, vil, tr, ledger, waiting, keys, terms, active, queues, rec)
        on_register = giving_up.schedule
        self.decisions = Decisions(sc, pop, vil, com, ph, tr, terms, active, waiting, keys,
                                   clock, ledger, rec, closed, ever_registered_v,
                                   on_register=on_register)
        # model 3.0, people (issue 21): each on by its scenario mode; off, model 2.0
        self.consent = self.influence = self.demolition = None
        if sc.strategy.consent.mode == "ballot":   # villages vote first in step 4
            self.consent = Consent(sc, vil, active, self.decisions, rec, pop.hh.n)
            self.decisions.consent = self.consent
            self.decisions.on_register = self.consent.on_register(on_register)
        if sc.behaviour.influence.mode == "ties":   # a term per household in step 4
            self.influence = Influence(sc, st, pop, vil, rec)
            self.decisions.influence = self.influence
        if sc.policy.demolition.mode == "decision":  # decision terms and step 7
            self.demolition = terms.demolition = Demolition(sc, st, pop, clock, rec)
        self._budget = Budget(sc, tr, pop, vil, ledger, land).step
        self._calendar_items = CalendarItems(sc, st, pop, vil, clock, ledger, terms, active).step
        self._services = Services(sc, vil, ledger, rec).step
        self._decisions = self.decisions.step
        self._giving_up = giving_up.step
        self._allocation = Allocation(sc, pop, vil, com, waiting, keys, queues, rec,
                                      ever_registered_v).step
        self._moves = Moves(sc, st, pop, vil, com, terms, tr, dev, ledger, land, queues, clock,
                            rec).step
        self._returns = Returns(pop, vil, com, queues, rec).step
        settlement = Settlement(sc, tr, dev, vil, ph, ledger, land, order, rec)
        construction = Construction(sc, ph, com, tr, dev, clock, waiting, order, closed,
                                    self._start_phase, self._end_phase)
        self._settle, self._construction = settlement.step, construction.step
        self.construction = construction   # its records of why phases waited (report)
        self.supply = None   # supply.mode 'demand': homes, works (model/supply.py, 7.21)
        if sc.supply.mode == "demand":
            self.supply = sup = DemandSupply(self, keys, self._allocation.__self__._consented)
            self._allocation, self._construction = sup.homes, sup.works
            settlement.works = sup.pay_works   # at construction's priority
            for process in (giving_up, self._moves.__self__, self.decisions):
                process.supply = sup   # homes under way, what households see
        # the township's plan (issue 20, plan.py): consulted by decisions, settlement and
        # construction; None (model 2.0) unless government.plan.enabled
        self.plan = TownshipPlan(sc, self) if sc.government.plan.enabled else None
        if self.plan is not None:
            self.decisions.plan = settlement.plan = construction.plan = rec.plan = self.plan
            self.decisions.rank = priority_rank(sc, self.type_names)
            if self.supply is not None:
                self.supply.plan = self.plan
        self._land = Land(sc, vil, land).step
        self._exposure = Exposure(sc, vil, pop, active, clock, rec).step
        self._close = Close(tr, clock).step

    # ------------------------------------------------------------------ the month
    def step(self, t: int) -> None:
        """One month, in the documented order of work (module docstring)."""
        if self.plan is not None:
            self.plan.step(t)    # a new year's plan before its money comes in or anyone is promised
        self._budget(t)          # money first: this month's revenues pay this month's bills
        self._calendar_items(t)  # events and a new year change the terms before anyone decides
        self._services(t)        # withdrawal follows last month's emptying; upkeep falls due
        self._decisions(t)       # households decide on what they see now (services included)
        self._giving_up(t)       # who leaves the list, before free units are handed out
        self._allocation(t)      # free units to those still waiting, new registrations included
        self._moves(t)           # fitted-out households move; their payments fall due
        self._returns(t)         # movers due back leave their unit
        self._settle(t)          # pay what fell due, by the budget rule's priority
        self._construction(t)    # paid progress delivers units; fund ready phases with what is left
        self._land(t)            # land reclaimed at settlement becomes collective or quota
        self._exposure(t)        # who lives with this month's degraded services
        self._close(t)           # borrow or repay, set overcommitted for next month
        self.rec.record_month(t)  # the month's row, after every change
        if self.check:
            self.check_invariants(t)

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
        """Policy events, package changes, registration opening and new years, in month order;
        each sets a flag or appends to ``clock.due_events``; the next round applies it."""
        sc, clock = self.sc, self.clock
        event = lambda i: lambda: clock.due_events.append(sc.policy.events[i])  # noqa: E731
        flag = lambda name: lambda: setattr(clock, name, True)  # noqa: E731
        items = [(e.month, 0, i, event(i)) for i, e in enumerate(sc.policy.events)]
        items += [(m, 1, 0, flag("policy_dirty")) for m in change_months(sc)]   # package changes
        items.append((sc.policy.registration_opens_month, 2, 0, flag("reg_open")))
        items += [(m, 3, 0, flag("year_due")) for m in range(12, self.H, 12)]       # new years
        for month, _, _, apply in sorted(items, key=lambda x: x[:3]):
            if month >= self.H:
                break
            if month > self.env.now:
                yield self.env.timeout(month - self.env.now)
            apply()

    def _start_phase(self, p: int) -> None:   # a funded phase queues for a team
        self.phase_end[p] = self.env.event()
        self.env.process(self._build(p))

    def _build(self, p: int):
        """A funded phase waits for a construction team and holds it until it ends."""
        if self.teams is None:
            self.ph.month_started[p] = int(np.ceil(self.env.now))
            return
        with self.teams.request() as req:
            yield req
            self.ph.month_started[p] = int(np.ceil(self.env.now))
            yield self.phase_end[p]

    def _end_phase(self, p: int) -> None:   # a phase done or abandoned frees its team
        ev = self.phase_end.get(p)
        if ev is not None and not ev.triggered:
            ev.succeed()

    def people_summary(self) -> dict | None:
        """Ballots, influence by source and demolition by type and reason (None when all
        three mechanisms of issue 21 are in their model 2.0 modes)."""
        out = {name: part.summary() for name, part in (
            ("consent", self.consent), ("influence", self.influence),
            ("demolition", self.demolition)) if part is not None}
        return out or None

    def check_invariants(self, t: int) -> None:
        """Raise :class:`InvariantError` if any model invariant fails in month ``t``."""
        problems = check_month(t, self.sc, self.pop, self.vil, self.com, self.waiting,
                               self.active, self.rec, self.tr, self.ledger, self.clock)
        if self.supply is not None:
            problems += self.supply.check()
        if problems:
            raise InvariantError(f"month {t}: " + "; ".join(problems))

    # ------------------------------------------------------------------ views for callers
    hh = property(lambda self: self.pop.hh, doc="The households (state.Households).")
    b = property(lambda self: self.sc.behaviour, doc="The behaviour parameters.")
    dividend_phy = property(lambda self: self.ledger.dividend_phy, doc="Dividends/household/year.")
    open_village = property(lambda self: self.decisions.open_village, doc="Villages open.")
    event_apt = property(lambda self: self.terms.event_apt, doc="Apartment share shifts.")
    apt_share = property(lambda self: self.terms.apt_share, doc="Apartment share by type.")
    reg_open = property(lambda self: self.clock.reg_open,
                        lambda self, value: setattr(self.clock, "reg_open", value),
                        doc="Registration is open.")

    def visible_terms(self, t: int) -> np.ndarray:
        """The [village × type] term W of the log hazard in month ``t`` (decisions.py)."""
        return self.decisions.visible_terms(t)

    def decision_terms(self, ids: np.ndarray, t: int):
        """The log-hazard terms of households ``ids`` (terms.py)."""
        return self.terms.decision_terms(ids, t)

    def intended_kind(self, ids: np.ndarray) -> np.ndarray:
        """The unit kind households ``ids`` ask for (terms.py)."""
        return self.terms.intended_kind(ids)
