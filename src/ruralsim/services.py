"""Village services: withdrawal from emptying villages, decay, and who lives with the loss.

Pure functions of village arrays.  A village whose remaining share (households living there
/ households at the start) falls below ``strategy.withdrawal.threshold_share`` stops being
maintained; each withdrawn service then loses ``decay_per_month`` of its level each month.
Services the township cannot pay for in a month (its budget rule, :mod:`ruralsim.treasury`)
decay that month in the same way.

*Exposure* counts, for everyone living in a village (registered or not), the months lived
while the village's mean service level is below ``exposure_service_level``.

Example:
    >>> decay_services(np.array([[1.0, 1.0]]), np.array([[True, False]]), 0.1).tolist()
    [[0.9, 1.0]]
"""
from __future__ import annotations

import numpy as np


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
