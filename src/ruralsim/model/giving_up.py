"""Step 5 of the month, giving up: registered households whose wait passed their patience
leave the list, get their deposit back or lose it, may rebuild, and decide again.

At registration :meth:`GivingUp.schedule` draws once per spell when the household would
leave if it is still waiting then (:func:`ruralsim.model.decisions.renege_wait`; a deposit
that is forfeited deters); the month it falls due, :meth:`GivingUp.step` takes off the list
those still registered in that same spell.  A household that needs to build and may rebuild
builds on its old plot once, which lowers the value of moving.  Then its decision clock
starts again (spell ≥ 1, with the ``reneged_shift`` in its log hazard).

While the township owes households deferred payments (treasury.py), a month of waiting counts
``behaviour.overdue_wait_weight`` months on every registered household's patience clock: each
such month moves the running total ``overdue_extra`` by ``weight − 1``, and a household gives up
when ``t + overdue_extra`` reaches its due month plus the total at its registration.  Those who
leave sooner than their due month this way are counted in ``new_reneges_overdue``.  With a
weight of 1, or a township that never defers, the due months are the only ones.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=3)
    >>> r.summary["households_reneged"] >= r.summary["households_rebuilt"]
    True
"""
from __future__ import annotations

import numpy as np

from .decisions import ActiveSet, renege_wait
from .state import F_REBUILT, F_RENEGED, IN_VILLAGE, REGISTERED, by_month


class GivingUp:
    """Who leaves the waiting list this month, and what it costs them."""

    def __init__(self, sc, pop, vil, tr, ledger, waiting, keys, terms, active: ActiveSet,
                 queues, rec) -> None:
        self.sc, self.pop, self.vil, self.tr, self.ledger = sc, pop, vil, tr, ledger
        self.waiting, self.keys, self.terms, self.active = waiting, keys, terms, active
        self.queues, self.rec, self.H = queues, rec, sc.run.horizon_months
        reg, b = sc.policy.registration, sc.behaviour
        self.reg = reg
        slope = b.renege_slope_per_month2
        if reg.deposit_rule == "forfeit" and reg.deposit_cny > 0:   # losing the deposit deters
            slope *= float(np.exp(-b.b_cost_per_10k_cny * reg.deposit_cny / 1e4))
        self.slope = slope
        self.supply = None   # supply.mode 'demand': set by the loop (supply.py)
        self.overdue_step = b.overdue_wait_weight - 1.0   # extra months per overdue month
        self.overdue_extra = 0.0   # extra months counted so far, the same for everyone
        # due month + overdue_extra at registration, per household (only when it can matter)
        self.due_clock = (np.full(pop.hh.n, np.inf, dtype=np.float32)
                          if self.overdue_step > 0 else None)

    def schedule(self, ids: np.ndarray, t: int) -> None:
        """Households ``ids`` registered in month ``t``: when they give up if still waiting."""
        e = self.terms.per_spell("renege", ids)
        wait = renege_wait(self.pop.hh.patience[ids].astype(np.float64), e, self.slope)
        due = t + np.ceil(np.maximum(wait, 1.0))
        if self.due_clock is not None:   # a wait beyond float32's range is never due: inf
            with np.errstate(over="ignore"):
                self.due_clock[ids] = due + self.overdue_extra
        keep = due < self.H
        for month, group in by_month(due[keep], ids[keep]):
            self.queues.renege[month].append((group, t))

    def step(self, t: int) -> None:
        self._due(t)
        if self.due_clock is None:
            return
        if self.tr.deferred:   # owed households: the waiting list's patience runs faster
            self.overdue_extra += self.overdue_step
        if self.overdue_extra > 0:
            hh = self.pop.hh
            early = np.flatnonzero((self.due_clock <= t + self.overdue_extra)
                                   & (hh.status == REGISTERED))
            n = self._leave(early, t)
            self.rec.add("new_reneges_overdue", t, n)

    def _due(self, t: int) -> None:
        """Those whose due month is this month and who are still waiting in that spell."""
        due = self.queues.renege.pop(t, None)
        if not due:
            return
        hh = self.pop.hh
        ids = np.concatenate([i for i, _ in due])
        if all(isinstance(m, int) for _, m in due):   # one month per group: no array per group
            since = np.repeat(np.array([m for _, m in due], dtype=np.int64),
                              [i.size for i, _ in due])
        else:
            since = np.concatenate([np.full(i.size, m) for i, m in due])
        still = (hh.status[ids] == REGISTERED) & (hh.month_registered[ids] == since)
        self._leave(ids[still], t)

    def _leave(self, ids: np.ndarray, t: int) -> int:
        """Registered households ``ids`` leave the list (those with a home under way keep it);
        returns how many left."""
        hh, vil, sc = self.pop.hh, self.vil, self.sc
        if self.supply is not None:   # a household with a home under way keeps it
            ids = self.supply.may_give_up(ids)
            self.supply.release(ids, t)
        if ids.size == 0:
            return 0
        self.waiting.remove(self.keys(ids))
        vil.n_waiting -= np.bincount(hh.village[ids], minlength=vil.n)
        self.pop.transition(ids, IN_VILLAGE)
        hh.flags[ids] |= F_RENEGED
        reg = self.reg
        if reg.deposit_cny > 0:
            self.ledger.escrow_cny -= reg.deposit_cny * ids.size
            if reg.deposit_rule == "refund":
                hh.savings_cny[ids] += reg.deposit_cny
            else:
                self.tr.earn("rev_forfeited_deposits_cny", t, reg.deposit_cny * ids.size)
        # a household rebuilds once: then it has a new house and no longer needs to build
        terms = self.terms
        rebuild = terms.needs_build[hh.htype[ids]] & sc.policy.rebuild_allowed & \
            ((hh.flags[ids] & F_REBUILT) == 0)
        rb = ids[rebuild]
        if rb.size:
            hh.house_built[rb] = t
            hh.savings_cny[rb] = np.maximum(hh.savings_cny[rb] - terms.value_new[hh.htype[rb]], 0)
            hh.flags[rb] |= F_REBUILT
        A, hv0, hslope, g0, gflow, C, _ = terms.decision_terms(ids, t)
        self.active.add(ids, A=A, code=terms.code(ids), hv0=hv0, hslope=hslope, g0=g0,
                        gflow=gflow, C=C, thresh=terms.per_spell("decide", ids))  # spell >= 1
        self.rec.add("new_reneges", t, ids.size)
        self.rec.add("new_rebuilds", t, rb.size)
        return int(ids.size)
