"""Moving in, two homes, coming back: a mover's finances and livelihood after the move.

Pure array functions.  At the move a household pays what moving costs it out of its savings
and borrows the rest (an annuity over ``livelihood.loan_term_years``)::

    out of pocket = unit price (unless the township pays it) + fit-out
                    − money value of its instruments − compensation received − deposit paid

Its net income per year changes by::

    Δ = non-farm income gain share × non-farm income (nearer to jobs)
        + income gained from instruments (priority hiring, training)
        + transferred share × (rent of its farmland
                               − farm income × (1 − share of the freed labour redeployed))
        − kept share × farmland × km to fields × commuting cost per mu and km
        − 12 × extra living costs of the unit

(dividends from the village's collective land come on top, for movers and stayers alike;
debt service is reported apart, as the debt-service ratio).  A mover is *worse off* when Δ
plus its dividends is negative, and *in distress* while its debt service exceeds
``distress_debt_service_ratio`` of its income (until income growth or the end of the loan
brings it below).  A mover that kept its old house may return to it, with
a monthly hazard that is higher when it is worse off.

Example:
    >>> round(float(months_in_distress(np.array([0.5]), 0.4, 0.05, 120)[0]), 1)
    54.9
"""
from __future__ import annotations

import numpy as np


def livelihood_change(income: np.ndarray, farm_share: np.ndarray, farmland_mu: np.ndarray,
                      field_km: np.ndarray, relief: np.ndarray, income_gain: np.ndarray,
                      extra_living_pm: np.ndarray, rent_per_mu: float,
                      commute_per_mu_km: float, nonfarm_gain: float,
                      redeployed: float) -> np.ndarray:
    """Change of a mover's net income per year (without dividends or debt service).

    >>> livelihood_change(np.array([20000.0]), np.array([0.5]), np.array([5.0]),
    ...                   np.array([2.0]), np.array([0.0]), np.array([0.0]), np.array([100.0]),
    ...                   800.0, 15.0, 0.1, 0.5).tolist()   # 1,000 gain − 150 − 1,200
    [-350.0]
    """
    gain = nonfarm_gain * (1.0 - farm_share) * income + income_gain
    transfer = relief * (farmland_mu * rent_per_mu - farm_share * income * (1.0 - redeployed))
    commute = (1.0 - relief) * farmland_mu * field_km * commute_per_mu_km
    return gain + transfer - commute - 12.0 * extra_living_pm


def months_in_distress(dsr: np.ndarray, threshold: float, growth: np.ndarray | float,
                       term_months: float) -> np.ndarray:
    """Months a mover with debt-service ratio ``dsr`` at the move stays above ``threshold``.

    Income grows at ``growth`` per year and the payment is fixed, so the ratio falls below the
    threshold after ``12 log(dsr/threshold) / log(1 + growth)`` months, or at the end of the
    loan, whichever comes first (0 when the ratio starts below the threshold).
    """
    dsr = np.asarray(dsr, dtype=np.float64)
    g = np.broadcast_to(np.asarray(growth, dtype=np.float64), dsr.shape)
    over = dsr > threshold
    with np.errstate(divide="ignore", invalid="ignore"):
        t_growth = np.where(g > 0, 12.0 * np.log(np.maximum(dsr, 1e-300) / threshold)
                            / np.log1p(np.maximum(g, 1e-12)), np.inf)
    return np.where(over, np.minimum(t_growth, term_months), 0.0)


def return_month(move_month: int, worse_off: np.ndarray, e: np.ndarray, h_worse: float,
                 h_base: float) -> np.ndarray:
    """Month a mover that kept its old house returns to it, from its threshold ``e ~ Exp(1)``
    and a constant monthly hazard (``inf`` when the hazard is zero)."""
    h = np.where(worse_off, h_worse, h_base)
    with np.errstate(divide="ignore", over="ignore"):
        wait = np.where(h > 0, np.ceil(e / np.where(h > 0, h, 1.0)), np.inf)
    return move_month + np.maximum(wait, 1.0)
