"""Model state as structs of equal-length numpy arrays, declared in one place.

Households, villages, communities and construction phases are each a
dataclass of arrays (one row per entity).  Group sums use
``np.bincount(ids, weights, minlength=n)`` and broadcasts use ``values[ids]``.
Initial household attributes are drawn from named streams indexed by household
id, so the same household gets the same attributes in every scenario that has
the same villages and type shares.

Example:
    >>> from ruralsim import load_scenario
    >>> from ruralsim.rng import Streams
    >>> sc = load_scenario("scenarios/teaching.yaml").model
    >>> hh = init_households(sc, Streams(1))
    >>> int((hh.status == IN_VILLAGE).sum()) == hh.n
    True
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .rng import Streams
from .scenario.schema import Scenario

# Household statuses: every household is in exactly one.
IN_VILLAGE, STRANDED, REGISTERED, ALLOCATED, MOVED = range(5)
STATUS_NAMES = ("in_village", "stranded", "registered", "allocated", "moved")
STATUS_LABELS_ZH = ("留在旧村", "滞留(服务恶化且无力搬迁)", "已报名待分配", "已分配待入住", "已入住新社区")
#: Statuses of households still living in the old village.
PRESENT = (IN_VILLAGE, STRANDED, REGISTERED, ALLOCATED)
#: Unit kinds.
KINDS = ("apartment", "courtyard")
KIND_LABELS_ZH = ("多层楼房", "独院")
NO_MONTH = -1


@dataclass
class Households:
    """One row per household."""

    htype: np.ndarray          # int8, index into the scenario's household types
    village: np.ndarray        # int32, index into villages
    size: np.ndarray           # int8, persons
    savings0_cny: np.ndarray   # float32, savings at month 0
    saving_cny_pm: np.ndarray  # float32, savings added per month
    income_cny_py: np.ndarray  # float32, income per year
    house_age0_y: np.ndarray   # float32, house age at month 0
    house_value_new_cny: np.ndarray  # float32
    attachment: np.ndarray     # float32 in [0, 1]
    kind_draw: np.ndarray      # float32 uniform, fixed taste for apartments vs courtyards
    status: np.ndarray         # int8, one of the statuses above
    kind: np.ndarray           # int8, unit kind asked for at registration (-1 none)
    month_registered: np.ndarray  # int16
    month_allocated: np.ndarray   # int16
    month_moved: np.ndarray       # int16
    pushed: np.ndarray         # bool, registered after its village's services were withdrawn
    stranded_months: np.ndarray   # int16
    debt_cny: np.ndarray       # float32, household debt taken to move
    instruments: np.ndarray    # uint64 bit mask of instruments received

    @property
    def n(self) -> int:
        return int(self.htype.shape[0])

    def nbytes(self) -> int:
        return sum(getattr(self, f).nbytes for f in self.__dataclass_fields__)


@dataclass
class Villages:
    """One row per old village."""

    names: list[str]
    community: np.ndarray      # int32
    n0: np.ndarray             # int64, households at the start
    homestead_mu_ph: np.ndarray  # float64
    maintenance_cny_pm: np.ndarray
    field_km: np.ndarray
    x_km: np.ndarray           # float64, NaN when unknown
    y_km: np.ndarray
    service: np.ndarray        # float64 [V, S], levels in [0, 1]
    withdrawn: np.ndarray      # bool [V, S], service s no longer maintained
    month_withdrawn: np.ndarray  # int32, -1 if never
    n_present: np.ndarray      # int64, households not yet moved
    land_freed_mu: np.ndarray  # float64, cumulative
    land_reclaimed_mu: np.ndarray

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def land0_mu(self) -> np.ndarray:
        return self.n0 * self.homestead_mu_ph


@dataclass
class Communities:
    """One row per new community; unit arrays are [C, kinds]."""

    names: list[str]
    price_cny: np.ndarray      # [C, K]
    land_mu_pu: np.ndarray     # [C, K]
    built: np.ndarray          # int64 [C, K]
    allocated: np.ndarray      # int64 [C, K] allocated, not yet moved in
    occupied: np.ndarray       # int64 [C, K]
    registrations: np.ndarray  # int64 [C] cumulative registrations

    @property
    def free(self) -> np.ndarray:
        return self.built - self.allocated - self.occupied


# Construction phase states: planned, building, done, or funded and waiting for a team.
PLANNED, BUILDING, DONE, FUNDED = 0, 1, 2, 3


@dataclass
class Phases:
    """One row per construction phase (all communities, in scenario order)."""

    community: np.ndarray      # int32
    order: np.ndarray          # int32, position within its community
    units: np.ndarray          # int64 [P, K]
    cost_cny: np.ndarray
    earliest: np.ndarray       # int32
    committed: np.ndarray      # bool, funding == 'committed'
    min_reg_share: np.ndarray
    build_months: np.ndarray   # int32, drawn at the start
    state: np.ndarray          # int8 PLANNED / FUNDED / BUILDING / DONE
    month_funded: np.ndarray   # int32
    month_started: np.ndarray  # int32
    month_done: np.ndarray     # int32
    paid_cny: np.ndarray       # float64


def _lognormal(streams: Streams, name: str, ids: np.ndarray, median: np.ndarray,
               sigma: np.ndarray) -> np.ndarray:
    return median * np.exp(sigma * streams.normal(name, ids))


def init_households(sc: Scenario, streams: Streams) -> Households:
    """Draw the initial household population (vectorized, by household id)."""
    villages = sc.village_list
    counts = np.array([v.households for v in villages], dtype=np.int64)
    n = int(counts.sum())
    ids = np.arange(n, dtype=np.int64)
    types = list(sc.household_types.values())
    shares = np.array([t.share for t in types])
    cdf = np.cumsum(shares)
    cdf[-1] = 1.0
    htype = np.searchsorted(cdf, streams.uniform("init.type", ids), side="right").astype(np.int8)
    htype = np.minimum(htype, len(types) - 1)

    def per_type(get) -> np.ndarray:
        return np.array([get(t) for t in types], dtype=np.float64)[htype]

    savings = _lognormal(streams, "init.savings", ids, per_type(lambda t: t.savings_cny.median),
                         per_type(lambda t: t.savings_cny.sigma))
    income = _lognormal(streams, "init.income", ids,
                        per_type(lambda t: t.income_cny_per_year.median),
                        per_type(lambda t: t.income_cny_per_year.sigma))
    lo, hi = per_type(lambda t: t.size_persons.low), per_type(lambda t: t.size_persons.high)
    size = np.floor(lo + (hi - lo + 1) * streams.uniform("init.size", ids))
    size = np.clip(size, lo, hi)
    alo, ahi = per_type(lambda t: t.house_age_years.low), per_type(lambda t: t.house_age_years.high)
    age = alo + (ahi - alo) * streams.uniform("init.house_age", ids)
    att = per_type(lambda t: t.attachment.mean) + per_type(lambda t: t.attachment.sd) * \
        streams.normal("init.attachment", ids)
    return Households(
        htype=htype,
        village=np.repeat(np.arange(len(villages), dtype=np.int32), counts),
        size=size.astype(np.int8),
        savings0_cny=savings.astype(np.float32),
        saving_cny_pm=(income * per_type(lambda t: t.saving_rate) / 12.0).astype(np.float32),
        income_cny_py=income.astype(np.float32),
        house_age0_y=age.astype(np.float32),
        house_value_new_cny=per_type(lambda t: t.house_value_new_cny).astype(np.float32),
        attachment=np.clip(att, 0.0, 1.0).astype(np.float32),
        kind_draw=streams.uniform("init.kind", ids).astype(np.float32),
        status=np.full(n, IN_VILLAGE, dtype=np.int8),
        kind=np.full(n, -1, dtype=np.int8),
        month_registered=np.full(n, NO_MONTH, dtype=np.int16),
        month_allocated=np.full(n, NO_MONTH, dtype=np.int16),
        month_moved=np.full(n, NO_MONTH, dtype=np.int16),
        pushed=np.zeros(n, dtype=bool),
        stranded_months=np.zeros(n, dtype=np.int16),
        debt_cny=np.zeros(n, dtype=np.float32),
        instruments=np.zeros(n, dtype=np.uint64),
    )


def init_villages(sc: Scenario) -> Villages:
    vs = sc.village_list
    comm = {c.name: i for i, c in enumerate(sc.communities)}
    n0 = np.array([v.households for v in vs], dtype=np.int64)
    nv, ns = len(vs), len(sc.services.names)

    def col(key: str) -> np.ndarray:
        return np.array([getattr(v, key) if getattr(v, key) is not None else np.nan for v in vs],
                        dtype=np.float64)

    return Villages(
        names=[v.name for v in vs],
        community=np.array([comm[v.community] for v in vs], dtype=np.int32),
        n0=n0, homestead_mu_ph=col("homestead_mu_per_household"),
        maintenance_cny_pm=col("maintenance_cny_per_month"), field_km=col("field_distance_km"),
        x_km=col("x_km"), y_km=col("y_km"),
        service=np.ones((nv, ns)), withdrawn=np.zeros((nv, ns), dtype=bool),
        month_withdrawn=np.full(nv, NO_MONTH, dtype=np.int32),
        n_present=n0.copy(),
        land_freed_mu=np.zeros(nv), land_reclaimed_mu=np.zeros(nv),
    )


def init_communities(sc: Scenario) -> Communities:
    cs = sc.communities
    nc, nk = len(cs), len(KINDS)
    return Communities(
        names=[c.name for c in cs],
        price_cny=np.array([[c.price_cny.apartment, c.price_cny.courtyard] for c in cs]),
        land_mu_pu=np.array([[c.land_mu_per_unit.apartment, c.land_mu_per_unit.courtyard]
                             for c in cs]),
        built=np.zeros((nc, nk), dtype=np.int64), allocated=np.zeros((nc, nk), dtype=np.int64),
        occupied=np.zeros((nc, nk), dtype=np.int64), registrations=np.zeros(nc, dtype=np.int64),
    )


def init_phases(sc: Scenario, streams: Streams) -> Phases:
    rows = [(ci, k, ph) for ci, c in enumerate(sc.communities) for k, ph in enumerate(c.phases)]
    n = len(rows)
    u = streams.uniform("construction.build_months", np.arange(n))
    lo = np.array([ph.build_months.low for _, _, ph in rows])
    mo = np.array([ph.build_months.mode for _, _, ph in rows])
    hi = np.array([ph.build_months.high for _, _, ph in rows])
    months = np.maximum(1, np.rint(triangular_ppf(u, lo, mo, hi))).astype(np.int32)
    return Phases(
        community=np.array([r[0] for r in rows], dtype=np.int32),
        order=np.array([r[1] for r in rows], dtype=np.int32),
        units=np.array([[ph.units.apartment, ph.units.courtyard] for _, _, ph in rows],
                       dtype=np.int64).reshape(n, len(KINDS)),
        cost_cny=np.array([ph.public_cost_cny for _, _, ph in rows], dtype=np.float64),
        earliest=np.array([ph.earliest_month for _, _, ph in rows], dtype=np.int32),
        committed=np.array([ph.funding == "committed" for _, _, ph in rows], dtype=bool),
        min_reg_share=np.array([ph.min_registered_share for _, _, ph in rows]),
        build_months=months,
        state=np.full(n, PLANNED, dtype=np.int8),
        month_funded=np.full(n, NO_MONTH, dtype=np.int32),
        month_started=np.full(n, NO_MONTH, dtype=np.int32),
        month_done=np.full(n, NO_MONTH, dtype=np.int32),
        paid_cny=np.zeros(n),
    )


def triangular_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray,
                   high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorized)."""
    span = np.where(high > low, high - low, 1.0)
    c = (mode - low) / span
    left = low + np.sqrt(u * span * (mode - low))
    right = high - np.sqrt((1 - u) * span * (high - mode))
    return np.where(high > low, np.where(u < c, left, right), low)
