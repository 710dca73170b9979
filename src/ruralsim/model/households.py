"""Households: who they are at the start, and their money over time.

Pure array functions (no SimPy): drawing the population from the scenario's type
distributions, the persistent part of each household's move hazard (a mixed logit: a
household-specific taste plus covariates), and the yearly update of income and savings.

Income is a trend with transitory yearly shocks::

    income(year y) = income0 × (1 + g)^y × exp(σ z_y − σ²/2),   z_y ~ N(0, 1) each year

and savings follow income::

    flow per month = saving_rate × (income + D − L) / 12   when income + D ≥ L
                   = (income + D − L) / 12                 otherwise (savings are drawn down)

(``L``: living costs × size; ``D``: dividends per household per year from the village's
collective land, added at each yearly update)
    savings(t)     = max(0, savings at the last yearly update + flow × months since)

Example:
    >>> from ruralsim import load_scenario
    >>> from ruralsim.rng import Streams
    >>> sc = load_scenario("teaching").model
    >>> hh = init_households(sc, Streams(1))
    >>> bool((hh.status == 0).all()), hh.n == sum(v.households for v in sc.village_list)
    (True, True)
"""
from __future__ import annotations

import numpy as np

from .. import compiled as _c
from ..rng import Streams
from ..scenario.schema import MAX_HOUSE_AGE_YEARS
from .state import F_TWO_HOMESTEADS, IN_VILLAGE, NO_MONTH, Households

#: Scale of the uint8 non-farm share and of the uint16 taste draws.
NONFARM_SCALE = 250.0
DRAW_SCALE = 65535.0
#: Age of the household head at which the age term is zero.
REFERENCE_AGE = 40.0


def type_table(sc, get) -> np.ndarray:
    """One value per household type (in the scenario's order), as float64."""
    return np.array([get(t) for t in sc.household_types.values()], dtype=np.float64)


def init_households(sc, streams: Streams) -> Households:
    """Draw the initial household population (vectorized, by household id)."""
    villages = sc.village_list
    counts = np.array([v.households for v in villages], dtype=np.int64)
    n = int(counts.sum())
    ids = np.arange(n, dtype=np.int64)
    types = list(sc.household_types.values())
    cdf = np.cumsum([t.share for t in types])
    cdf[-1] = 1.0
    f32 = np.float32
    # Four Philox blocks of four 32-bit uniforms give every initial attribute; each block is
    # drawn, turned into compact arrays and dropped before the next (low peak memory).
    u_type, u_kind, u_two, u_dem = streams.uniform4("init.a", ids)
    htype = np.minimum(np.searchsorted(cdf, u_type, side="right"), len(types) - 1).astype(np.int8)
    del u_type

    def per(get) -> np.ndarray:
        return type_table(sc, get).astype(f32)[htype]

    def uniform_between(u: np.ndarray, get) -> np.ndarray:
        lo, hi = per(lambda t: get(t).low), per(lambda t: get(t).high)
        return lo + (hi - lo) * u.astype(f32)

    kind_draw = np.rint(u_kind * DRAW_SCALE).astype(np.uint16)
    two = u_two < per(lambda t: t.two_homesteads_share)
    demolish_draw = np.rint(u_dem * DRAW_SCALE).astype(np.uint16)
    del u_kind, u_two, u_dem
    u_sav, u_inc, u_size, u_age = streams.uniform4("init.b", ids)
    savings = (per(lambda t: t.savings_cny.median)
               * np.exp(per(lambda t: t.savings_cny.sigma) * _normal(u_sav).astype(f32)))
    income = (per(lambda t: t.income_cny_per_year.median)
              * np.exp(per(lambda t: t.income_cny_per_year.sigma) * _normal(u_inc).astype(f32)))
    lo, hi = per(lambda t: t.size_persons.low), per(lambda t: t.size_persons.high)
    size = np.clip(np.floor(lo + (hi - lo + 1) * u_size.astype(f32)), lo, hi).astype(np.int8)
    head_age = np.rint(np.clip(uniform_between(u_age, lambda t: t.head_age_years), 16, 110)
                       ).astype(np.uint8)
    del u_sav, u_inc, u_size, u_age, lo, hi
    u_nonfarm, u_farm, u_house, u_m2 = streams.uniform4("init.c", ids)
    nonfarm = np.rint(np.clip(uniform_between(u_nonfarm, lambda t: t.nonfarm_income_share), 0, 1)
                      * NONFARM_SCALE).astype(np.uint8)
    farmland = np.maximum(uniform_between(u_farm, lambda t: t.farmland_mu), 0).astype(f32)
    house_built = (-np.rint(np.clip(uniform_between(u_house, lambda t: t.house_age_years), 0,
                                    MAX_HOUSE_AGE_YEARS) * 12)).astype(np.int16)   # a schema bound
    house_m2 = np.rint(np.clip(uniform_between(u_m2, lambda t: t.house_m2), 0, 65535)
                       ).astype(np.uint16)
    del u_nonfarm, u_farm, u_house, u_m2
    u_pat, u_att, u_taste, _ = streams.uniform4("init.d", ids)
    patience = np.rint(np.clip(uniform_between(u_pat, lambda t: t.patience_months), 0, 65535)
                       ).astype(np.uint16)
    att = np.clip(per(lambda t: t.attachment.mean)
                  + per(lambda t: t.attachment.sd) * _normal(u_att).astype(f32), 0, 1)
    b = sc.behaviour
    base = per(lambda t: t.taste_sd) * _normal(u_taste).astype(f32)
    del u_pat, u_att, u_taste, _
    base -= f32(b.b_attachment) * att
    base -= f32(b.b_head_age_per_10y / 10.0) * (head_age.astype(f32) - f32(REFERENCE_AGE))
    base += f32(b.b_nonfarm_share / NONFARM_SCALE) * nonfarm
    base += f32(b.b_two_homesteads) * two
    del att
    hh = Households(
        htype=htype,
        village=np.repeat(np.arange(len(villages), dtype=np.int32), counts),
        size=size,
        head_age=head_age,
        nonfarm=nonfarm,
        farmland_mu=farmland,
        house_m2=house_m2,
        house_built=house_built,
        patience=patience,
        kind_draw=kind_draw,
        demolish_draw=demolish_draw,
        base_util=base.astype(f32),
        income0_cny=income.astype(f32),
        income_cny=income.astype(f32),
        savings_cny=savings.astype(f32),
        flow_cny_pm=np.zeros(n, dtype=f32),
        status=np.full(n, IN_VILLAGE, dtype=np.int8),
        kind=np.full(n, -1, dtype=np.int8),
        spells=np.zeros(n, dtype=np.uint8),
        flags=np.where(two, F_TWO_HOMESTEADS, np.uint8(0)).astype(np.uint8),
        month_registered=np.full(n, NO_MONTH, dtype=np.int16),
        month_allocated=np.full(n, NO_MONTH, dtype=np.int16),
        month_moved=np.full(n, NO_MONTH, dtype=np.int16),
        month_returned=np.full(n, NO_MONTH, dtype=np.int16),
        debt_cny=np.zeros(n, dtype=f32),
        debt_service_cny_pm=np.zeros(n, dtype=f32),
        income_change_cny_py=np.zeros(n, dtype=f32),
        instruments=np.zeros(n, dtype=np.uint64),
    )
    hh.flow_cny_pm[:] = saving_flow(sc, hh.htype, hh.size, hh.income_cny)
    return hh


def _normal(u: np.ndarray) -> np.ndarray:
    from scipy.special import ndtri

    return ndtri(u)


def two_homesteads(hh: Households, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """1.0 where a household holds two homesteads, else 0.0."""
    return ((hh.flags[idx] & F_TWO_HOMESTEADS) != 0).astype(np.float64)


def farm_share(hh: Households, idx: np.ndarray | slice = slice(None)) -> np.ndarray:
    """Share of income from farming (1 − non-farm share)."""
    return 1.0 - hh.nonfarm[idx] / NONFARM_SCALE


def saving_flow(sc, htype: np.ndarray, size: np.ndarray, income: np.ndarray) -> np.ndarray:
    """Savings added per month (negative: drawn down) at yearly income ``income``."""
    living = type_table(sc, lambda t: t.living_cost_cny_per_person_per_year)[htype] * size
    rate = type_table(sc, lambda t: t.saving_rate)[htype]
    surplus = income - living
    return (np.where(surplus >= 0, rate * surplus, surplus) / 12.0).astype(np.float32)


def income_at(sc, streams: Streams, hh: Households, idx: np.ndarray, year: int) -> np.ndarray:
    """Income per year of households ``idx`` in year ``year`` (trend × that year's shock).

    A pure function of (household, year): the shock of year ``y`` is the (packed) draw of
    stream ``income.shock`` at month ``12 y``; year 0 has no shock.
    """
    ty = hh.htype[idx]
    trend = (1.0 + type_table(sc, lambda t: t.income_growth_per_year)) ** year
    if year == 0:
        return hh.income0_cny[idx] * trend[ty]
    sd = type_table(sc, lambda t: t.income_shock_sd)
    z = _normal(streams.uniform_packed("income.shock", idx, 12 * year))
    factor = np.exp(sd[ty] * z - (0.5 * sd * sd)[ty]) * trend[ty]
    return hh.income0_cny[idx] * factor


def savings_at(hh: Households, idx: np.ndarray, months_since_update: int) -> np.ndarray:
    """Savings of households ``idx`` now, ``months_since_update`` after the last yearly update."""
    return np.maximum(hh.savings_cny[idx] + hh.flow_cny_pm[idx] * months_since_update, 0.0)


def yearly_update(sc, streams: Streams, hh: Households, idx: np.ndarray, year: int,
                  dividends: np.ndarray | float = 0.0) -> None:
    """A new year for households ``idx``: bank last year's savings, draw this year's income.

    ``dividends`` (CNY per year, from the village's collective land) add to what they save.
    """
    if _c.ENABLED and year > 0:   # one pass over the households; numpy's own exp and ndtri
        idx = np.ascontiguousarray(idx, dtype=np.int64)
        sd = type_table(sc, lambda t: t.income_shock_sd)
        arg = np.empty(idx.size)
        _c.shock_argument(_normal(streams.uniform_packed("income.shock", idx, 12 * year)), sd,
                          0.5 * sd * sd, hh.htype, idx, arg)
        _c.yearly_finances(np.exp(arg), (1.0 + type_table(sc, lambda t: t.income_growth_per_year))
                           ** year, type_table(sc, lambda t: t.living_cost_cny_per_person_per_year),
                           type_table(sc, lambda t: t.saving_rate),
                           np.atleast_1d(np.asarray(dividends, dtype=np.float64)), idx, hh.htype,
                           hh.size, hh.income0_cny, hh.income_cny, hh.flow_cny_pm, hh.savings_cny)
        return
    hh.savings_cny[idx] = np.maximum(hh.savings_cny[idx] + 12.0 * hh.flow_cny_pm[idx], 0.0)
    income = income_at(sc, streams, hh, idx, year)
    hh.income_cny[idx] = income
    hh.flow_cny_pm[idx] = saving_flow(sc, hh.htype[idx], hh.size[idx], income + dividends)


def remaining_house_value(sc, hh: Households, idx: np.ndarray, month: int) -> np.ndarray:
    """What the old house is still worth in ``month`` (linear depreciation)."""
    value_new = type_table(sc, lambda t: t.house_value_new_cny)[hh.htype[idx]]
    life = 12.0 * sc.behaviour.house_life_years
    age = month - hh.house_built[idx].astype(np.float64)
    return value_new * np.clip(1.0 - age / life, 0.0, 1.0)


def compensation(sc, hh: Households, idx: np.ndarray, month: int) -> np.ndarray:
    """Compensation for the old house if demolished in ``month``: m² × rate × condition."""
    comp = sc.policy.compensation
    if comp.cny_per_m2 == 0:
        return np.zeros(np.size(idx))
    life = 12.0 * sc.behaviour.house_life_years
    age = month - hh.house_built[idx].astype(np.float64)
    condition = np.maximum(comp.condition_floor, 1.0 - age / life)
    return hh.house_m2[idx] * comp.cny_per_m2 * condition


def demolishes(sc, streams: Streams, hh: Households, idx: np.ndarray, month: int) -> np.ndarray:
    """Whether movers ``idx`` demolish their old house when they move in ``month``.

    A household demolishes (a) of its own accord (its fixed draw below its type's
    ``demolish_share``), (b) when compensation is paid only on demolition and exceeds what the
    house is still worth, or (c) when policy requires it and the requirement reaches it (a
    fixed draw below ``policy.demolition.enforcement_share``).
    """
    u = hh.demolish_draw[idx] / DRAW_SCALE
    share = type_table(sc, lambda t: t.demolish_share)[hh.htype[idx]]
    out = u < share
    comp = sc.policy.compensation
    if comp.cny_per_m2 > 0 and comp.requires_demolition:
        out |= compensation(sc, hh, idx, month) >= remaining_house_value(sc, hh, idx, month)
    dem = sc.policy.demolition
    if dem.required:
        out |= streams.uniform("demolition.enforced", idx) < dem.enforcement_share
    return out


def annuity(principal: np.ndarray, rate_per_year: float, years: float) -> np.ndarray:
    """Monthly payment that repays ``principal`` over ``years`` at ``rate_per_year``."""
    n = 12.0 * years
    r = rate_per_year / 12.0
    if r == 0:
        return principal / n
    # 1 − (1 + r)^−n computed without cancellation: exact to rounding for any r > 0 (the
    # direct form divides by zero once 1 + r rounds to 1)
    return principal * r / -np.expm1(-n * np.log1p(r))
