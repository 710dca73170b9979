"""Local builders: capacity that follows demand with a lag, and a price that rises when stretched.

Capacity is the number of homes (courtyard houses and apartment buildings' units count as
one home each) that can be under construction at once, township-wide or per community
(``supply.builders.scope``).  Each month it moves toward the demand for building (homes under
construction plus homes whose owners are ready to start):

    capacity += (demand - capacity) / lag_months,   within [initial, max_capacity]

and the price factor on construction costs is

    factor = min(1 + elasticity * max(0, demand / capacity - 1), max_price_factor).

Both are documented assumptions (no source gives them): teams form or come in from outside
in about a year, and a builder asked for twice the work it can do charges more.

Example:
    >>> grow(np.array([10.0]), np.array([40.0]), 10.0, 10.0, None).tolist()
    [13.0]
    >>> price_factor(np.array([20.0]), np.array([10.0]), 0.3).tolist()
    [1.3]
"""
from __future__ import annotations

import numpy as np


def grow(capacity: np.ndarray, demand: np.ndarray, lag_months: float, floor: float,
         ceiling: float | None) -> np.ndarray:
    """Next month's capacity: a step of ``1/lag`` toward demand, within [floor, ceiling]."""
    nxt = capacity + (demand - capacity) / lag_months
    nxt = np.maximum(nxt, floor)
    if ceiling is not None:
        nxt = np.minimum(nxt, max(ceiling, floor))
    return nxt


def price_factor(demand: np.ndarray, capacity: np.ndarray, elasticity: float,
                 most: float = np.inf) -> np.ndarray:
    """1 + elasticity x excess demand over capacity (1 where capacity is not stretched), at
    most ``most``."""
    ratio = np.divide(demand, capacity, out=np.where(demand > 0, np.inf, 0.0),
                      where=capacity > 0)
    excess = np.minimum(np.maximum(ratio - 1.0, 0.0), 1e6)
    return np.minimum(1.0 + elasticity * excess, most)


def free_slots(capacity: np.ndarray, busy: np.ndarray) -> np.ndarray:
    """Whole homes that may start this month (capacity not yet used, never negative)."""
    return np.maximum(np.floor(capacity + 1e-9) - busy, 0).astype(np.int64)
