"""Demolition of the old house as a decision (``policy.demolition.mode: decision``).

A mover demolishes its old house with probability

    logit p = α[type] + b_comp × compensation paid only on demolition / 10⁴
              − b_value × (remaining house value − its type's mean) / 10⁴
              − b_farm × (farm income share − its type's mean)
              + b_second × (second homestead − its type's share)
              + b_savings × (savings − its type's mean) / 10⁴
              + b_deadline × [demolition required]

with α[type] = logit(type's demolish_share): without compensation or deadline, a household
with its type's mean drivers demolishes at its type's share, and the drivers say who.  Each
household draws one uniform (stream ``demolition.decision``, keyed by household) and demolishes
when it is below p; the households the requirement reaches (``enforcement_share``, stream
``demolition.enforced`` as in model 2.0) demolish in any case.  The reason recorded is the
first driver that tips it: its own accord, compensation, the deadline, enforcement.
"""
from __future__ import annotations

import numpy as np

from .households import (compensation, farm_share, remaining_house_value, savings_at,
                         two_homesteads, type_table)

KEEP, OWN, COMPENSATION, DEADLINE, ENFORCED = range(5)
REASONS = ("kept", "own_accord", "compensation", "deadline", "enforced")


def logit(p: np.ndarray) -> np.ndarray:
    p = np.clip(np.asarray(p, np.float64), 1e-6, 1 - 1e-6)
    return np.log(p / (1 - p))


def sigmoid(x: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, np.float64)))


def type_means(x: np.ndarray, htype: np.ndarray, n_types: int) -> np.ndarray:
    """Mean of ``x`` by household type (0 for an empty type)."""
    n = np.bincount(htype, minlength=n_types)
    s = np.bincount(htype, weights=x, minlength=n_types)
    return np.divide(s, n, out=np.zeros(n_types), where=n > 0)


def keep_terms(d, house_value: np.ndarray, farm: np.ndarray, two: np.ndarray,
               savings: np.ndarray) -> np.ndarray:
    """The drivers of keeping the house, in log-odds of demolishing (uncentred)."""
    return (-d.b_house_value_per_10k_cny * house_value / 1e4 - d.b_farm * farm
            + d.b_second_homestead * two + d.b_savings_per_10k_cny * savings / 1e4)


def decide(alpha: np.ndarray, keep: np.ndarray, comp_conditional: np.ndarray,
           required: bool, enforced: np.ndarray, u: np.ndarray, d
           ) -> tuple[np.ndarray, np.ndarray]:
    """Whether movers demolish and why (codes of :data:`REASONS`).

    ``alpha``: intercepts minus the type means of the drivers (centring), per mover;
    ``keep``: :func:`keep_terms` per mover; ``comp_conditional``: compensation paid only if
    it demolishes (0 where paid anyway); ``enforced``: the requirement reaches it.
    Demolition rises with each driver: more compensation on condition, a deadline,
    enforcement never turn a demolition into a keep (same ``u``).

    >>> from types import SimpleNamespace as NS
    >>> d = NS(b_compensation_per_10k_cny=1.0, b_deadline=0.0)
    >>> dem, why = decide(np.zeros(3), np.zeros(3), np.array([0.0, 3e4, 0.0]), False,
    ...                   np.array([False, False, True]), np.array([0.7, 0.7, 0.7]), d)
    >>> dem.tolist(), [REASONS[r] for r in why]
    ([False, True, True], ['kept', 'compensation', 'enforced'])
    """
    base = alpha + keep
    p0 = sigmoid(base)
    x1 = base + d.b_compensation_per_10k_cny * comp_conditional / 1e4
    # equal arguments give equal probabilities (no compensation on condition, no deadline)
    p1 = p0 if np.array_equal(x1, base) else sigmoid(x1)
    x2 = x1 + (d.b_deadline if required else 0.0)
    p2 = p1 if np.array_equal(x2, x1) else sigmoid(x2)
    # the first reason that holds (np.select's rule), as nested choices
    why = np.where(u < p0, OWN, np.where(u < p1, COMPENSATION, np.where(
        u < p2, DEADLINE, np.where(enforced, ENFORCED, KEEP)))).astype(np.int8)
    return why != KEEP, why


# ----------------------------------------------------------------------------- in the month
def intercepts(sc, hh, type_names: list[str]) -> np.ndarray:
    """α[type] = logit(demolish_share) minus the type's mean drivers at the start."""
    d = sc.policy.demolition.decision
    ids = np.arange(hh.n, dtype=np.int64)
    k = keep_terms(d, remaining_house_value(sc, hh, ids, 0), farm_share(hh, ids),
                   two_homesteads(hh, ids).astype(np.float64),
                   hh.savings_cny.astype(np.float64))
    T = len(type_names)
    return logit(type_table(sc, lambda t: t.demolish_share)) - type_means(k, hh.htype, T)


class Demolition:
    """Whether movers demolish (``policy.demolition.mode: decision``), used by the decision
    terms (what a household expects) and by the moves (step 7, which records the reasons)."""

    def __init__(self, sc, streams, pop, clock, rec) -> None:
        self.sc, self.streams, self.hh, self.clock, self.rec = sc, streams, pop.hh, clock, rec
        self.type_names = pop.type_names
        self.alpha = intercepts(sc, pop.hh, pop.type_names)
        self.reasons = np.zeros((len(pop.type_names), len(REASONS)), dtype=np.int64)
        # the uniform of stream demolition.decision of every household and whether the
        # requirement reaches it (stream demolition.enforced): neither depends on the month
        self._u: np.ndarray | None = None
        self._enforced: np.ndarray | None = None
        for r in REASONS[1:]:
            rec.cols[f"new_demolitions_{r}"] = np.zeros(sc.run.horizon_months)

    def decide(self, ids: np.ndarray, t: int) -> tuple[np.ndarray, np.ndarray]:
        """Whether households ``ids`` demolish if they move in month ``t``, and why."""
        sc, hh = self.sc, self.hh
        pol = sc.policy
        d = pol.demolition.decision
        k = keep_terms(d, remaining_house_value(sc, hh, ids, t), farm_share(hh, ids),
                       two_homesteads(hh, ids).astype(np.float64),
                       savings_at(hh, ids, self.clock.months_since_update))
        comp = compensation(sc, hh, ids, t) if pol.compensation.requires_demolition else \
            np.zeros(ids.size)
        required = pol.demolition.required
        if self._u is None:   # each household's two draws (keyed by household): drawn once
            every = np.arange(hh.n, dtype=np.int64)
            self._u = self.streams.uniform("demolition.decision", every)
            if required:
                self._enforced = self.streams.uniform("demolition.enforced", every) < \
                    pol.demolition.enforcement_share
        enforced = self._enforced[ids] if required else np.zeros(ids.size, dtype=bool)
        return decide(self.alpha[hh.htype[ids]], k, comp, required, enforced, self._u[ids], d)

    def at_move(self, ids: np.ndarray, t: int) -> np.ndarray:
        """Movers ``ids`` decide in month ``t``; the reasons are recorded."""
        dem, why = self.decide(ids, t)
        R, T = len(REASONS), len(self.type_names)
        self.reasons += np.bincount(self.hh.htype[ids].astype(np.int64) * R + why,
                                    minlength=T * R).reshape(T, R)
        for r, name in enumerate(REASONS[1:], 1):
            self.rec.put(f"new_demolitions_{name}", t, int((why == r).sum()))
        return dem

    def summary(self) -> dict:
        return {tn: {r: int(self.reasons[ti, k]) for k, r in enumerate(REASONS)}
                for ti, tn in enumerate(self.type_names)}
