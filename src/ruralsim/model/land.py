"""Land the source's way: demolished homesteads are reclaimed and stay collective.

A homestead is freed only when its house is demolished (a household that keeps its old house
keeps its plot).  Freed land is reclaimed after ``land.reclaim_lag_months`` at a cost per mu
(paid through the township's budget rule, so reclamation waits when money is short).
Reclaimed land then earns, for the village, either a farmland rent or the net income of
collective forest, paid out as dividends to the village's households.  Selling reclaimed land
as construction-land quota (城乡建设用地增减挂钩) is a switch (``land.quota``), off in the Nanpu
case, with a price path and a price level drawn once per run.

Example:
    >>> from ruralsim.scenario.schema import Land
    >>> collective_income_per_mu_year(Land(collective_use="rent", rent_cny_per_mu_per_year=800,
    ...                                    rent_paid_share=0.5))
    400.0
"""
from __future__ import annotations

import numpy as np


def collective_income_per_mu_year(land) -> float:
    """What a mu of reclaimed collective land earns per year."""
    if land.collective_use == "forest":
        return float(land.forest_net_cny_per_mu_per_year)
    return float(land.rent_cny_per_mu_per_year * land.rent_paid_share)


def quota_price(quota, month: int, level: float) -> float:
    """Quota price per mu in ``month``: the step path times the run's price level."""
    price = 0.0
    for p in sorted(quota.price_path, key=lambda p: p.month):
        if p.month <= month:
            price = p.cny_per_mu
    return price * level


def quota_level(quota, u: float) -> float:
    """The run's price level: lognormal with median 1 and ``price_sd_log`` (from a uniform)."""
    from scipy.special import ndtri

    return float(np.exp(quota.price_sd_log * ndtri(u)))


def quota_open(quota, month: int) -> bool:
    return bool(quota.enabled and month >= quota.available_from_month)


def community_footprint_mu(built: np.ndarray, land_mu_pu: np.ndarray) -> float:
    """Construction land used by the units built so far."""
    return float((built * land_mu_pu).sum())


class LandBook:
    """Land in the pipeline: reclamation due by month and village, the backlog the township
    could not pay for, what was reclaimed this month, quota sales due, the run's quota price
    level and what a mu of collective land earns."""

    def __init__(self, sc, streams, n_villages: int) -> None:
        land = sc.land
        span = sc.run.horizon_months + land.reclaim_lag_months + land.quota.sale_lag_months + 2
        self.reclaim_due = np.zeros((span, n_villages))
        self.reclaim_backlog = np.zeros(n_villages)
        self.reclaimed_now = np.zeros(n_villages)
        self.sale_due = np.zeros(span)
        self.quota_level = quota_level(land.quota, float(streams.uniform(
            "land.quota_price", np.zeros(1, dtype=np.int64))[0]))
        self.income_per_mu_year = collective_income_per_mu_year(land)


class Land:
    """Step 11: land reclaimed this month becomes collective, or quota for sale."""

    def __init__(self, sc, vil, book: LandBook) -> None:
        self.land, self.vil, self.book = sc.land, vil, book

    def step(self, t: int) -> None:
        vil, land, book = self.vil, self.land, self.book
        mu = book.reclaimed_now
        vil.land_reclaimed_mu += mu
        if quota_open(land.quota, t):
            q = mu * land.quota.share
            vil.land_quota_mu += q
            book.sale_due[t + land.quota.sale_lag_months] += float(q.sum())
            mu = mu - q
        vil.land_collective_mu += mu
