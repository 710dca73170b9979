"""Village services: withdrawal from emptying villages, decay, and who lives with the loss.

Pure functions of village arrays.  A village whose remaining share (households living there
/ households at the start) falls below ``strategy.withdrawal.threshold_share`` stops being
maintained; each withdrawn service then loses ``decay_per_month`` of its level each month.
Services the township cannot pay for in a month (its budget rule, :mod:`ruralsim.model.treasury`)
decay that month in the same way.

*Exposure* counts, for everyone living in a village (registered or not), the months lived
while the village's mean service level is below ``exposure_service_level``.

Example:
    >>> decay_services(np.array([[1.0, 1.0]]), np.array([[True, False]]), 0.1).tolist()
    [[0.9, 1.0]]
"""
from __future__ import annotations

import numpy as np

from .state import F_EVER_STRANDED, NO_MONTH


def withdrawal_due(present_share: np.ndarray, threshold: float, already: np.ndarray) -> np.ndarray:
    """Villages whose remaining share has fallen below the threshold and are not yet withdrawn."""
    return (present_share < threshold) & ~already


def decay_services(level: np.ndarray, withdrawn: np.ndarray, rate: float,
                   unpaid_share: float = 0.0) -> np.ndarray:
    """Withdrawn services lose ``rate`` of their level each month; maintained services lose
    ``rate × unpaid_share`` (the share of upkeep the township could not pay)."""
    loss = np.where(withdrawn, rate, rate * unpaid_share)
    return level * (1.0 - loss)


def degraded(service: np.ndarray, level: float) -> np.ndarray:
    """Villages whose mean service level is below ``level``."""
    return service.mean(axis=1) < level


def exposure_by_type(present_vt: np.ndarray, degraded_v: np.ndarray) -> np.ndarray:
    """Households living in degraded villages this month, by type."""
    return present_vt[degraded_v].sum(axis=0)


class Services:
    """Step 3: villages below the withdrawal threshold lose services; upkeep falls due.

    The upkeep due is paid at settlement (priority 3); what could not be paid decays the
    services then.
    """

    def __init__(self, sc, vil, ledger, rec) -> None:
        self.w, self.vil, self.ledger, self.rec = sc.strategy.withdrawal, vil, ledger, rec
        names = sc.services.names
        w = self.w
        self.targets = np.isin(np.array(names), w.services if w.services is not None else names)
        self.saved = rec.cols["maintenance_saved_cny"]
        self._upkeep()

    def _upkeep(self) -> None:
        """Upkeep per village of the services still maintained, and of those withdrawn
        (recomputed only when a village loses services)."""
        vil = self.vil
        maintained = 1.0 - vil.withdrawn.mean(axis=1)
        self.kept_pm = vil.maintenance_cny_pm * maintained
        self.saved_pm = vil.maintenance_cny_pm * (1 - maintained)

    def step(self, t: int) -> None:
        vil, w = self.vil, self.w
        if w.enabled and t >= w.earliest_month:
            share = np.divide(vil.n_present, vil.n0, out=np.zeros(vil.n), where=vil.n0 > 0)
            due = withdrawal_due(share, w.threshold_share, vil.month_withdrawn != NO_MONTH) & \
                (vil.n0 > 0)
            if due.any():
                vil.withdrawn[np.ix_(due, self.targets)] = True
                vil.month_withdrawn[due] = t
                self._upkeep()
        occupied = vil.n_present > 0
        self.ledger.maint_due = float(self.kept_pm[occupied].sum())
        self.saved[t] = float(self.saved_pm[occupied].sum())


class Exposure:
    """Step 12: who lives with degraded services this month, who is stranded (a household of
    a withdrawn, degraded village still deciding that cannot afford to move)."""

    def __init__(self, sc, vil, pop, active, clock, rec) -> None:
        self.w, self.vil, self.pop, self.active, self.clock, self.rec = \
            sc.strategy.withdrawal, vil, pop, active, clock, rec

    def step(self, t: int) -> None:
        vil, w, rec, pop = self.vil, self.w, self.rec, self.pop
        deg = degraded(vil.service, w.exposure_service_level)
        rec.exposed[t] = exposure_by_type(pop.present_vt, deg)
        stranded_v = (vil.month_withdrawn != NO_MONTH) & degraded(vil.service,
                                                                  w.stranded_service_level)
        if not stranded_v.any() or self.active.size == 0:
            return
        a = self.active
        rows = np.flatnonzero(stranded_v[a.code // pop.T] & a.alive)
        rows = rows[a.gap(rows, self.clock.months_since_update) > 0]
        ids = a.ids[rows]
        pop.hh.flags[ids] |= F_EVER_STRANDED
        rec.stranded[t] = np.bincount(pop.hh.htype[ids], minlength=pop.T)
