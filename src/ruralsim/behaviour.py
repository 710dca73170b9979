"""Household decision rules: pure functions of arrays, parameters and draws.

Nothing here knows about SimPy or the calendar, so every rule can be tested on
its own against closed-form answers.

The monthly move decision is a random-utility (logit) hazard:
``P(register in month t) = 1 / (1 + exp(-V))`` with

    V = asc[type] + shift - b_attachment * attachment
        - b_field_distance * km_to_fields - b_cost * net_cost / 1e4
        + b_social * committed_share[village] + b_service * (1 - service[village])
        + outreach[type]
        - b_house * remaining_house_value(t) / 1e4
        - b_gap * max(0, net_cost - savings(t) - credit) / 1e4

Example:
    >>> float(move_probability(np.array([0.0]))[0])
    0.5
"""
from __future__ import annotations

import numpy as np


def move_probability(v: np.ndarray) -> np.ndarray:
    """Monthly probability of registering, the logistic function of utility ``v``."""
    return 1.0 / (1.0 + np.exp(-v))


def static_utility(asc: np.ndarray, shift: np.ndarray, attachment: np.ndarray,
                   field_km: np.ndarray, net_cost_cny: np.ndarray, b_attachment: float,
                   b_field_km: float, b_cost_10k: float) -> np.ndarray:
    """The part of V that changes only when policy changes (per household)."""
    return (asc + shift - b_attachment * attachment - b_field_km * field_km
            - b_cost_10k * net_cost_cny / 1e4)


def decline(level0: np.ndarray, slope: np.ndarray | float, month: int) -> np.ndarray:
    """``max(0, level0 - slope * month)``: a quantity that falls linearly to zero.

    Used for the remaining value of the old house and for the affordability gap,
    which shrinks as savings grow.
    """
    return np.maximum(level0 - slope * month, 0.0)


def net_cost(price_cny: np.ndarray, fit_out_cny: float, value_cny: np.ndarray,
             covers_price: np.ndarray) -> np.ndarray:
    """What moving costs the household: unit price (unless the state pays it) plus
    fitting out, less the money value of the instruments it receives."""
    return np.where(covers_price, 0.0, price_cny) + fit_out_cny - value_cny


def choose_kind(kind_draw: np.ndarray, apartment_share: np.ndarray) -> np.ndarray:
    """0 (apartment) where the household's fixed taste draw is below its apartment share,
    else 1 (courtyard). Raising the share by x turns exactly the households with draws
    in the band of width x to apartments, so a study tour's effect is x on average."""
    return np.where(kind_draw < apartment_share, 0, 1).astype(np.int8)


def decide(v: np.ndarray, u: np.ndarray) -> np.ndarray:
    """Households whose uniform draw falls below their move probability register."""
    return u < move_probability(v)


def allocate(group: np.ndarray, priority: np.ndarray, month_registered: np.ndarray,
             ids: np.ndarray, free: np.ndarray) -> np.ndarray:
    """Allocate free units to a waiting list; returns a mask of households served.

    ``group`` is each waiting household's (community, kind) index into ``free``;
    within a group households are served by ``priority`` (low first), then by
    registration month, then by id.  Vectorized: one lexsort, no loop.

    >>> allocate(np.array([0, 0, 0, 1]), np.array([1, 0, 1, 0]), np.array([0, 5, 2, 0]),
    ...          np.arange(4), np.array([2, 0])).tolist()
    [True, True, False, False]
    """
    if group.size == 0:
        return np.zeros(0, dtype=bool)
    order = np.lexsort((ids, month_registered, priority, group))
    g_sorted = group[order]
    starts = np.searchsorted(g_sorted, g_sorted, side="left")
    rank = np.arange(g_sorted.size) - starts
    served_sorted = rank < free[g_sorted]
    served = np.empty_like(served_sorted)
    served[order] = served_sorted
    return served


def household_debt(cost_cny: np.ndarray, savings_cny: np.ndarray) -> np.ndarray:
    """Debt a household takes on to move: the part of the cost its savings do not cover."""
    return np.maximum(cost_cny - savings_cny, 0.0)


def withdrawal_due(present_share: np.ndarray, threshold: float, already: np.ndarray) -> np.ndarray:
    """Villages whose remaining share has fallen below the threshold and are not yet withdrawn."""
    return (present_share < threshold) & ~already


def decay_services(level: np.ndarray, withdrawn: np.ndarray, rate: float) -> np.ndarray:
    """Withdrawn services lose ``rate`` of their level each month; others stay."""
    return np.where(withdrawn, level * (1.0 - rate), level)
