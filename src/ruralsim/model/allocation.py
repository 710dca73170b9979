"""Step 6 of the month, allocation: free units go to the waiting list by the strategy's rule.

Households that waited ``behaviour.switch_kind_after_months`` for a sold-out kind while the
other kind of their community is free switch kinds first.  With a consent rule
(``strategy.consent_share``) only households of villages whose share ever registered reached
it are served; the others keep their place.  An allocated household moves in after
``behaviour.move_lag_months`` of fitting out (queued for step 7, moves).

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=3)
    >>> int(r.timeseries["new_allocations"].sum()) >= r.summary["households_moved"]
    True
"""
from __future__ import annotations

import numpy as np

from .state import ALLOCATED, KINDS
from .waiting import switch_groups


class Allocation:
    """Free units of each community and kind to the households waiting for them."""

    def __init__(self, sc, pop, vil, com, waiting, keys, queues, rec,
                 ever_registered_v: np.ndarray) -> None:
        self.pop, self.vil, self.com, self.waiting, self.keys = pop, vil, com, waiting, keys
        self.queues, self.rec, self.ever_registered_v = queues, rec, ever_registered_v
        self.b, self.consent_share = sc.behaviour, sc.strategy.consent_share
        self.other = np.arange(com.built.size) ^ 1

    def step(self, t: int) -> None:
        wl = self.waiting
        if wl.size == 0:
            return
        hh, com = self.pop.hh, self.com
        free = com.free.ravel()
        if not free.any():
            return
        if ((free <= 0) & (free[self.other] > 0)).any():
            w = wl.ids
            wl.change_kind(switch_groups(wl.group, t - hh.month_registered[w], free,
                                         self.b.switch_kind_after_months), hh.kind, self.keys)
        got = wl.serve(free, self._consented())
        if got.size == 0:
            return
        self.pop.transition(got, ALLOCATED)
        hh.month_allocated[got] = t
        grp = self.vil.community[hh.village[got]].astype(np.int64) * len(KINDS) + hh.kind[got]
        com.allocated += np.bincount(grp, minlength=free.size).reshape(com.built.shape)
        self.queues.move[t + self.b.move_lag_months].append(got)
        self.rec.put("new_allocations", t, got.size)

    def _consented(self) -> np.ndarray | None:
        """Households whose village has reached the consent share (None: no consent rule)."""
        share = self.consent_share
        if share <= 0:
            return None
        vil = self.vil
        signed = np.divide(self.ever_registered_v, vil.n0, out=np.ones(vil.n), where=vil.n0 > 0)
        return (signed >= share)[self.pop.hh.village]
