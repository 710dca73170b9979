"""Step 13 of the month, finance closes: the township borrows to cover negative cash (credit
before arrears) or repays debt from surplus, and the overcommitted flag is set for the next
month (:meth:`ruralsim.model.treasury.Treasury.close_month`); the household-finance clock
advances a month.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1)
    >>> bool((r.timeseries["debt_cny"] >= 0).all())
    True
"""
from __future__ import annotations

from .state import Clock
from .treasury import Treasury


class Close:
    """The month's end: borrowing or repayment, arrears; the finance clock moves on."""

    def __init__(self, tr: Treasury, clock: Clock) -> None:
        self.tr, self.clock = tr, clock

    def step(self, t: int) -> None:
        self.tr.close_month(t)
        self.clock.months_since_update += 1
