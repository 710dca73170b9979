"""Step 8 of the month, returns: movers who kept their old house (两头住) and whose return
month has come go back to it; their unit becomes free again.

The return month was drawn at the move (:func:`ruralsim.model.moves.return_month`: a constant
monthly hazard, higher for a mover worse off), so this step only applies what is due.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=3)
    >>> r.summary["households_returned"] <= r.summary["households_kept_old_house"]
    True
"""
from __future__ import annotations

import numpy as np

from .state import KINDS, RETURNED, TWO_HOMES


class Returns:
    """Step 8: movers who kept their old house and are due to return go back; their unit
    becomes free again."""

    def __init__(self, pop, vil, com, queues, rec) -> None:
        self.pop, self.vil, self.com, self.queues, self.rec = pop, vil, com, queues, rec

    def step(self, t: int) -> None:
        due = self.queues.back.pop(t, None)
        if not due:
            return
        pop, vil, com = self.pop, self.vil, self.com
        hh = pop.hh
        ids = np.concatenate(due)
        ids = ids[hh.status[ids] == TWO_HOMES]
        if ids.size == 0:
            return
        pop.transition(ids, RETURNED)
        hh.month_returned[ids] = t
        v = hh.village[ids]
        grp = vil.community[v].astype(np.int64) * len(KINDS) + hh.kind[ids]
        com.occupied -= np.bincount(grp, minlength=com.built.size).reshape(com.built.shape)
        back = np.bincount(v, minlength=vil.n)
        vil.n_present += back
        vil.n_out -= back
        pop.shift_present(v, hh.htype[ids], +1)
        self.rec.put("new_returns", t, ids.size)
