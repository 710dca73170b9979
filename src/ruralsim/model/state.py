"""Model state as structs of equal-length numpy arrays, declared in one place.

The entity structs (:class:`Households`, :class:`Villages`, :class:`Communities`,
:class:`Phases`) hold one row per entity.  The small shared objects below them are the only
state the month's processes share besides those structs: :class:`Population` (household
status counts kept up to date), :class:`Clock` (what the calendar set for the round),
:class:`Ledger` (money promised, held or due outside the township's treasury) and
:class:`Queues` (households due to give up, move in or return in a later month).  A process
receives the ones it reads or writes as explicit arguments.

Households, villages, communities and construction phases are each a dataclass of arrays
(one row per entity).  Group sums use ``np.bincount(ids, weights, minlength=n)`` and
broadcasts use ``values[ids]``.  Initial household attributes are drawn from named streams
indexed by household id (:mod:`ruralsim.model.households`), so the same household gets the same
attributes in every scenario that has the same villages and type shares.

Every household is in exactly one status:

=============  =====================================================================
in_village     lives in its old village, not registered (includes those who gave up
               waiting, and those who rebuilt on their old plot)
registered     on a community's waiting list for a unit (still in the old village)
allocated      a unit is reserved; fitting out (still in the old village)
moved          lives in the new community; the old house was demolished
two_homes      lives in the new community and kept the old house (两头住, 建新不拆旧)
returned       moved back to the kept old house; its unit became free again
=============  =====================================================================
"""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field, fields

import numpy as np

# Household statuses: every household is in exactly one.
IN_VILLAGE, REGISTERED, ALLOCATED, MOVED, TWO_HOMES, RETURNED = range(6)
STATUS_NAMES = ("in_village", "registered", "allocated", "moved", "two_homes", "returned")
STATUS_LABELS_ZH = ("留在旧村", "已报名待分配", "已分配待入住", "已入住(旧房已拆)", "两头住(保留旧房)",
                    "返回旧村")
STATUS_LABELS_EN = ("In old village", "Registered, waiting", "Allocated, fitting out",
                    "Moved (old house demolished)", "Two homes (kept old house)", "Returned")
#: Statuses of households living in the old village (present there).
PRESENT = (IN_VILLAGE, REGISTERED, ALLOCATED, RETURNED)
#: Statuses of households living in a new community.
IN_COMMUNITY = (MOVED, TWO_HOMES)
#: Unit kinds.
KINDS = ("apartment", "courtyard")
KIND_LABELS_ZH = ("多层楼房", "独院")
NO_MONTH = -1

# Household flag bits (``Households.flags``).
F_AFTER_WITHDRAWAL = np.uint8(1)   # registered (last) after its village's services were withdrawn
F_RENEGED = np.uint8(2)            # gave up waiting at least once
F_REBUILT = np.uint8(4)            # rebuilt on its old plot after giving up
F_TWO_HOMESTEADS = np.uint8(8)     # holds two homesteads
F_EVER_STRANDED = np.uint8(16)     # was once stranded (degraded village, cannot afford to move)
F_DISTRESS = np.uint8(32)          # debt service above the distress ratio at the move
F_WORSE_OFF = np.uint8(64)         # net income fell by moving (at the move)
F_EVER_REGISTERED = np.uint8(128)  # registered at least once


@dataclass
class Households:
    """One row per household (about 80 bytes each)."""

    htype: np.ndarray            # int8, index into the scenario's household types
    village: np.ndarray          # int32, index into villages
    size: np.ndarray             # int8, persons
    head_age: np.ndarray         # uint8, years at month 0
    nonfarm: np.ndarray          # uint8, non-farm income share x 250
    farmland_mu: np.ndarray      # float32, contracted farmland
    house_m2: np.ndarray         # uint16, floor area of the old house
    house_built: np.ndarray      # int16, month the old house was built (negative: before month 0)
    patience: np.ndarray         # uint16, months waited before giving up becomes possible
    kind_draw: np.ndarray        # uint16, fixed taste draw for apartments (x 65535)
    demolish_draw: np.ndarray    # uint16, fixed draw for demolishing the old house (x 65535)
    base_util: np.ndarray        # float32, persistent part of the log hazard (taste, covariates)
    income0_cny: np.ndarray      # float32, income per year at month 0 (before shocks)
    income_cny: np.ndarray       # float32, income per year this year (trend x shock)
    savings_cny: np.ndarray      # float32, savings at the last yearly update
    flow_cny_pm: np.ndarray      # float32, savings added per month this year (negative: drawdown)
    status: np.ndarray           # int8, one of the statuses above
    kind: np.ndarray             # int8, unit kind asked for (-1 none)
    spells: np.ndarray           # uint8, registration spells begun (slot of the next threshold draw)
    flags: np.ndarray            # uint8, F_* bits
    month_registered: np.ndarray  # int16
    month_allocated: np.ndarray   # int16
    month_moved: np.ndarray       # int16
    month_returned: np.ndarray    # int16
    debt_cny: np.ndarray         # float32, debt taken on to move
    debt_service_cny_pm: np.ndarray  # float32, monthly loan payment after the move
    income_change_cny_py: np.ndarray  # float32, change of net income per year by moving (at the move)
    instruments: np.ndarray      # uint64, bit mask of the instruments received

    @property
    def n(self) -> int:
        return int(self.htype.shape[0])

    def nbytes(self) -> int:
        return sum(getattr(self, f.name).nbytes for f in fields(self))


@dataclass
class Villages:
    """One row per old village."""

    names: list[str]
    community: np.ndarray        # int32
    n0: np.ndarray               # int64, households at the start
    homestead_mu_ph: np.ndarray  # float64, mean homestead land per household
    two_share: np.ndarray        # float64, share of households with two homesteads
    maintenance_cny_pm: np.ndarray
    field_km: np.ndarray
    x_km: np.ndarray             # float64, NaN when unknown
    y_km: np.ndarray
    service: np.ndarray          # float64 [V, S], levels in [0, 1]
    withdrawn: np.ndarray        # bool [V, S], service s no longer maintained
    month_withdrawn: np.ndarray  # int32, -1 if never
    n_present: np.ndarray        # int64, households living in the village
    n_waiting: np.ndarray        # int64, registered or allocated (visible commitment)
    n_out: np.ndarray            # int64, living in a new community (moved or two homes)
    land_freed_mu: np.ndarray    # float64, homesteads demolished, cumulative
    land_reclaimed_mu: np.ndarray
    land_collective_mu: np.ndarray  # reclaimed land in collective use
    land_quota_mu: np.ndarray    # reclaimed land sold as quota

    @property
    def n(self) -> int:
        return len(self.names)

    @property
    def land0_mu(self) -> np.ndarray:
        return self.n0 * self.homestead_mu_ph

    def homestead_mu(self, village: np.ndarray, two: np.ndarray) -> np.ndarray:
        """Homestead land of households (two homesteads count twice; village totals stay n0 x mean)."""
        return self.homestead_mu_ph[village] * (1.0 + two) / (1.0 + self.two_share[village])


@dataclass
class Communities:
    """One row per new community; unit arrays are [C, kinds]."""

    names: list[str]
    price_cny: np.ndarray        # [C, K]
    unit_m2: np.ndarray          # [C, K]
    housing_cost_cny: np.ndarray  # [C, K]
    land_mu_pu: np.ndarray       # [C, K]
    built: np.ndarray            # int64 [C, K]
    allocated: np.ndarray        # int64 [C, K] allocated, not yet moved in
    occupied: np.ndarray         # int64 [C, K]
    unsold: np.ndarray           # int64 [seller, C, K]: units of developer (0) and township (1) not yet sold
    registrations: np.ndarray    # int64 [C] cumulative registrations
    open_month: np.ndarray       # int32 [C] first month of registration (lead before its first phase)

    @property
    def free(self) -> np.ndarray:
        return self.built - self.allocated - self.occupied


# Construction phase states.
PLANNED, FUNDED, BUILDING, DONE, ABANDONED = range(5)
PHASE_STATE_NAMES = ("planned", "funded", "building", "done", "abandoned")
# Who pays for the housing of a phase.
HOUSEHOLDS, DEVELOPER, TOWNSHIP = range(3)
FINANCING = {"households": HOUSEHOLDS, "developer": DEVELOPER, "township": TOWNSHIP}


@dataclass
class Phases:
    """One row per construction phase (all communities, in scenario order)."""

    community: np.ndarray        # int32
    order: np.ndarray            # int32, position within its community
    units: np.ndarray            # int64 [P, K]
    cost_cny: np.ndarray         # float64, public works
    housing_cny: np.ndarray      # float64, housing cost (developer or township financing)
    financing: np.ndarray        # int8, HOUSEHOLDS / DEVELOPER / TOWNSHIP
    earliest: np.ndarray         # int32
    committed: np.ndarray        # bool, funding == 'committed'
    min_reg_share: np.ndarray
    build_months: np.ndarray     # int32, paid months needed, drawn at the start
    state: np.ndarray            # int8, PHASE_STATE_NAMES
    progress: np.ndarray         # int32, paid months so far
    stalled: np.ndarray          # int32, unpaid months in a row
    stalled_total: np.ndarray    # int32, unpaid months in all
    month_funded: np.ndarray     # int32
    month_started: np.ndarray    # int32
    month_done: np.ndarray       # int32 (done or abandoned)
    paid_cny: np.ndarray         # float64, public works paid
    housing_paid_cny: np.ndarray  # float64, housing paid (by its financer)

    @property
    def n(self) -> int:
        return int(self.community.shape[0])

    @property
    def monthly_cny(self) -> np.ndarray:
        """Public works payment of one month of progress."""
        return self.cost_cny / self.build_months

    @property
    def housing_monthly_cny(self) -> np.ndarray:
        return self.housing_cny / self.build_months


def init_villages(sc) -> Villages:
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
        n0=n0, homestead_mu_ph=col("homestead_mu_per_household"), two_share=np.zeros(nv),
        maintenance_cny_pm=col("maintenance_cny_per_month"), field_km=col("field_distance_km"),
        x_km=col("x_km"), y_km=col("y_km"),
        service=np.ones((nv, ns)), withdrawn=np.zeros((nv, ns), dtype=bool),
        month_withdrawn=np.full(nv, NO_MONTH, dtype=np.int32),
        n_present=n0.copy(), n_waiting=np.zeros(nv, dtype=np.int64),
        n_out=np.zeros(nv, dtype=np.int64),
        land_freed_mu=np.zeros(nv), land_reclaimed_mu=np.zeros(nv),
        land_collective_mu=np.zeros(nv), land_quota_mu=np.zeros(nv),
    )


def _kinds(obj) -> list[float]:
    return [obj.apartment, obj.courtyard]


def init_communities(sc) -> Communities:
    cs = sc.communities
    nc, nk = len(cs), len(KINDS)
    lead = sc.policy.registration.lead_months
    # registration must also be open at all (policy.registration_opens_month or an event)
    opens = [c.phases[0].earliest_month - lead for c in cs]   # its first phase
    return Communities(
        names=[c.name for c in cs],
        price_cny=np.array([_kinds(c.price_cny) for c in cs]),
        unit_m2=np.array([_kinds(c.unit_m2) for c in cs]),
        housing_cost_cny=np.array([_kinds(c.housing_cost_cny) for c in cs]),
        land_mu_pu=np.array([_kinds(c.land_mu_per_unit) for c in cs]),
        built=np.zeros((nc, nk), dtype=np.int64), allocated=np.zeros((nc, nk), dtype=np.int64),
        occupied=np.zeros((nc, nk), dtype=np.int64), unsold=np.zeros((2, nc, nk), dtype=np.int64),
        registrations=np.zeros(nc, dtype=np.int64),
        open_month=np.array(opens, dtype=np.int32),
    )


def init_phases(sc, streams) -> Phases:
    rows = [(ci, k, ph) for ci, c in enumerate(sc.communities) for k, ph in enumerate(c.phases)]
    n = len(rows)
    u = streams.uniform("construction.build_months", np.arange(n))
    lo = np.array([ph.build_months.low for _, _, ph in rows])
    mo = np.array([ph.build_months.mode for _, _, ph in rows])
    hi = np.array([ph.build_months.high for _, _, ph in rows])
    months = np.maximum(1, np.rint(triangular_ppf(u, lo, mo, hi))).astype(np.int32)
    units = np.array([[ph.units.apartment, ph.units.courtyard] for _, _, ph in rows],
                     dtype=np.int64).reshape(n, len(KINDS))
    cost_pu = np.array([_kinds(sc.communities[ci].housing_cost_cny) for ci, _, _ in rows])
    financing = np.array([FINANCING[ph.financing] for _, _, ph in rows], dtype=np.int8)
    housing = np.where(financing == HOUSEHOLDS, 0.0, (units * cost_pu.reshape(n, -1)).sum(axis=1))
    none = np.full(n, NO_MONTH, dtype=np.int32)
    return Phases(
        community=np.array([r[0] for r in rows], dtype=np.int32),
        order=np.array([r[1] for r in rows], dtype=np.int32),
        units=units,
        cost_cny=np.array([ph.public_cost_cny for _, _, ph in rows], dtype=np.float64),
        housing_cny=housing, financing=financing,
        earliest=np.array([ph.earliest_month for _, _, ph in rows], dtype=np.int32),
        committed=np.array([ph.funding == "committed" for _, _, ph in rows], dtype=bool),
        min_reg_share=np.array([ph.min_registered_share for _, _, ph in rows]),
        build_months=months,
        state=np.full(n, PLANNED, dtype=np.int8),
        progress=np.zeros(n, dtype=np.int32), stalled=np.zeros(n, dtype=np.int32),
        stalled_total=np.zeros(n, dtype=np.int32),
        month_funded=none.copy(), month_started=none.copy(), month_done=none.copy(),
        paid_cny=np.zeros(n), housing_paid_cny=np.zeros(n),
    )


def triangular_ppf(u: np.ndarray, low: np.ndarray, mode: np.ndarray,
                   high: np.ndarray) -> np.ndarray:
    """Inverse CDF of the triangular distribution (vectorized)."""
    span = np.where(high > low, high - low, 1.0)
    c = (mode - low) / span
    left = low + np.sqrt(u * span * (mode - low))
    right = high - np.sqrt((1 - u) * span * (high - mode))
    return np.where(high > low, np.where(u < c, left, right), low)


# ---------------------------------------------------------------- shared state of the month
class Population:
    """The households and the counts kept up to date as they change status.

    ``counts`` [type, status] and ``present_vt`` [village, type] (households living in their
    old village) are kept incrementally by :meth:`transition` and the processes that move
    households between places, so that no month recounts all households.
    """

    def __init__(self, hh: Households, type_names: list[str], n_villages: int) -> None:
        self.hh = hh
        self.type_names = type_names
        self.T = T = len(type_names)
        self.S = len(STATUS_NAMES)
        self.counts = np.zeros((T, self.S), dtype=np.int64)
        self.counts[:, IN_VILLAGE] = np.bincount(hh.htype, minlength=T)
        self.present_vt = np.bincount(hh.village.astype(np.int64) * T + hh.htype,
                                      minlength=n_villages * T).reshape(n_villages, T)
        self.cum_moves = 0

    def transition(self, idx: np.ndarray, new: int) -> None:
        """Move households ``idx`` to status ``new``, keeping the type x status counts."""
        if idx.size == 0:
            return
        hh, S = self.hh, self.S
        size = self.counts.size
        codes = hh.htype[idx].astype(np.int64) * S
        self.counts -= np.bincount(codes + hh.status[idx], minlength=size).reshape(self.counts.shape)
        self.counts += np.bincount(codes + new, minlength=size).reshape(self.counts.shape)
        hh.status[idx] = new

    def shift_present(self, village: np.ndarray, htype: np.ndarray, sign: int) -> None:
        """Households of ``village`` x ``htype`` arrive (+1) in or leave (-1) their old village."""
        delta = np.bincount(village.astype(np.int64) * self.T + htype,
                            minlength=self.present_vt.size).reshape(self.present_vt.shape)
        if sign > 0:
            self.present_vt += delta
        else:
            self.present_vt -= delta


@dataclass
class Clock:
    """What the calendar set for the next round, and the household-finance year."""

    reg_open: bool = False          # registration is open (by its month or by an event)
    policy_dirty: bool = True       # package or events changed: recompute decision terms
    year_due: bool = False          # a new year began: update incomes and savings
    year: int = 0
    months_since_update: int = 0    # months since the last yearly update
    due_events: list = field(default_factory=list)   # policy events due this round


class Ledger:
    """Money promised, held or due that is not (yet) the township's cash.

    ``hh_due``: household payments fallen due this month, by expenditure line (paid at
    settlement); ``recurring_*``: instruments' monthly costs [0] and revenues [1] as
    difference arrays over months; ``distress_diff`` / ``service_diff``: movers in distress
    and their debt service, as difference arrays; ``dividend_phy``: dividends per household
    per year, by village (set at settlement).
    """

    def __init__(self, horizon: int, n_instruments: int, n_villages: int) -> None:
        ni = max(n_instruments, 1)
        self.hh_due: dict[str, float] = defaultdict(float)
        self.pending_events_cny = 0.0
        self.escrow_cny = 0.0
        self.maint_due = 0.0
        self.recurring_diff = np.zeros((2, ni, horizon + 2))
        self.recurring_rate = np.zeros((2, ni))
        self.distress_diff = np.zeros(horizon + 2, dtype=np.int64)
        self.service_diff = np.zeros(horizon + 2)
        self.dividend_phy = np.zeros(n_villages)


class Queues:
    """Households due in a later month: to give up waiting, to move in, to return.

    ``renege[month]`` holds (ids, month registered) so that a household that registered
    again since is not taken off the list by an old spell.
    """

    def __init__(self) -> None:
        self.renege: dict[int, list[tuple[np.ndarray, int]]] = defaultdict(list)
        self.move: dict[int, list[np.ndarray]] = defaultdict(list)
        self.back: dict[int, list[np.ndarray]] = defaultdict(list)


def by_month(months: np.ndarray, ids: np.ndarray):
    """Yield (month, ids due that month) for due months ``months`` (one sort, no scans)."""
    if ids.size == 0:
        return
    order = np.argsort(months, kind="stable")
    m_sorted = months[order].astype(np.int64)
    cut = np.flatnonzero(m_sorted[1:] != m_sorted[:-1]) + 1
    firsts = m_sorted[np.concatenate(([0], cut))].tolist()
    yield from zip(firsts, np.split(ids[order], cut))
