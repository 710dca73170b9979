"""Public works in sections and facilities (supply.mode 'demand'), as arrays.

Each community's public works are a list of **sections** (roads, water and power of a block;
each opens courtyard plots and apartment building sites when done) and **facilities**
(school, kindergarten, clinic, service centre, plaza; each opens when built).  They are
paid by the township month by month over their build months; a month unpaid is a month
without progress.

Start rule without the township's plan (model 2.0's, :func:`start`): works that are ready
start in order (community by community, sections before facilities, scenario order) when the
township's room - cash plus unused credit minus what works under way still need - covers
their whole cost.  With the plan (docs/model.md 7.22), :func:`start_on_cash_flow`: the plan's
one start rule on projected cash flow, which counts these works under way.  A section is ready when its earliest month has come and the section
before it has started; a facility is ready once the section it follows is done.

Example:
    >>> w = Works.from_lists(community=[0, 0], facility=[False, False], cost=[10.0, 20.0],
    ...                      months=[2, 2], earliest=[0, 0], after=[-1, 0], plots=[5, 7],
    ...                      sites=[1, 0])
    >>> ready(w, 0).tolist()
    [True, False]
    >>> start(w, np.flatnonzero(ready(w, 0)), room=15.0, t=0).tolist()
    [0]
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .state import BUILDING, DONE, NO_MONTH, PLANNED, triangular_ppf


@dataclass
class Works:
    community: np.ndarray      # int32 community of each work
    facility: np.ndarray       # bool: a facility (else a section)
    cost_cny: np.ndarray       # float64 whole cost
    build_months: np.ndarray   # int32 paid months needed
    earliest: np.ndarray       # int32 earliest start month
    after: np.ndarray          # int64 row this work waits for (-1: none)
    plots: np.ndarray          # int64 courtyard plots opened when done (sections)
    sites: np.ndarray          # int64 building sites opened when done (sections)
    state: np.ndarray          # int8 PLANNED / BUILDING / DONE
    progress: np.ndarray       # int32 paid months so far
    stalled: np.ndarray        # int32 unpaid months in a row
    paid_cny: np.ndarray       # float64 paid so far
    month_started: np.ndarray  # int32
    month_done: np.ndarray     # int32
    min_share: np.ndarray | None = None   # float64 registrations per home opened to date
    homes_to_date: np.ndarray | None = None  # float64 homes opened by sections up to this one
    kind: tuple = ()           # facility kind names (for reports), '' for sections
    name: tuple = ()           # section names, '' for facilities

    @property
    def n(self) -> int:
        return int(self.community.size)

    @property
    def monthly_cny(self) -> np.ndarray:
        return self.cost_cny / np.maximum(self.build_months, 1)

    @classmethod
    def from_lists(cls, community, facility, cost, months, earliest, after, plots, sites,
                   kind=(), name=()) -> "Works":
        n = len(community)
        none = np.full(n, NO_MONTH, dtype=np.int32)
        return cls(community=np.asarray(community, dtype=np.int32),
                   facility=np.asarray(facility, dtype=bool),
                   cost_cny=np.asarray(cost, dtype=np.float64),
                   build_months=np.maximum(np.asarray(months, dtype=np.int32), 1),
                   earliest=np.asarray(earliest, dtype=np.int32),
                   after=np.asarray(after, dtype=np.int64),
                   plots=np.asarray(plots, dtype=np.int64),
                   sites=np.asarray(sites, dtype=np.int64),
                   state=np.full(n, PLANNED, dtype=np.int8),
                   progress=np.zeros(n, dtype=np.int32), stalled=np.zeros(n, dtype=np.int32),
                   paid_cny=np.zeros(n), month_started=none.copy(), month_done=none.copy(),
                   kind=tuple(kind) or ("",) * n, name=tuple(name) or ("",) * n)


def init_works(communities, streams, units_per_building: int = 1) -> Works:
    """The works of all communities: each community's sections in order, then its facilities.

    Build months are drawn from each work's triangular distribution with stream
    ``works.build_months`` keyed by the work's row.
    """
    rows = []   # (community, facility, spec, after-row, kind, name)
    for ci, c in enumerate(communities):
        first = len(rows)
        for k, s in enumerate(c.sections):
            rows.append((ci, False, s, first + k - 1 if k else -1, "", s.name))
        for f in c.facilities:
            rows.append((ci, True, f, first + f.opens_after_section - 1, f.kind, ""))
    n = len(rows)
    u = streams.uniform("works.build_months", np.arange(n, dtype=np.int64))
    lo = np.array([r[2].build_months.low for r in rows], dtype=np.float64)
    mo = np.array([r[2].build_months.mode for r in rows], dtype=np.float64)
    hi = np.array([r[2].build_months.high for r in rows], dtype=np.float64)
    months = np.rint(triangular_ppf(u, lo, mo, hi)) if n else np.zeros(0)
    w = Works.from_lists(
        community=[r[0] for r in rows], facility=[r[1] for r in rows],
        cost=[r[2].cost_cny for r in rows], months=months,
        earliest=[0 if r[1] else r[2].earliest_month for r in rows],
        after=[r[3] for r in rows],
        plots=[0 if r[1] else r[2].plots for r in rows],
        sites=[0 if r[1] else r[2].building_sites for r in rows],
        kind=[r[4] for r in rows], name=[r[5] for r in rows])
    w.min_share = np.array([0.0 if r[1] else r[2].min_registered_share for r in rows])
    homes = (w.plots + w.sites * units_per_building).astype(np.float64)
    to_date = np.zeros(n)
    for c in np.unique(w.community):
        sec = np.flatnonzero((w.community == c) & ~w.facility)
        to_date[sec] = np.cumsum(homes[sec])
    w.homes_to_date = to_date
    return w


def ready(w: Works, t: int, registrations: np.ndarray | None = None) -> np.ndarray:
    """Works that may start in month ``t``: planned, earliest month come, predecessor ready
    (a section's previous section started; a facility's section done) and, given the
    communities' ``registrations``, a section's demand gate met (registrations >= its
    ``min_registered_share`` x homes opened by the sections up to it)."""
    ok = (w.state == PLANNED) & (t >= w.earliest)
    if registrations is not None and w.min_share is not None:
        ok &= registrations[w.community] >= w.min_share * w.homes_to_date
    has = w.after >= 0
    prev = w.state[np.where(has, w.after, 0)]
    need = np.where(w.facility, prev == DONE, prev != PLANNED)
    return ok & (~has | need)


def remaining_cny(w: Works) -> np.ndarray:
    """What works under way still need (0 for planned and done works)."""
    return np.where(w.state == BUILDING, w.cost_cny - w.paid_cny, 0.0)


def start(w: Works, rows: np.ndarray, room: float, t: int) -> np.ndarray:
    """Start ready works ``rows`` in the given order while ``room`` covers each whole cost
    (a work that does not fit is skipped, later ones may still fit); returns the rows
    started."""
    started = []
    for r in rows:
        if w.cost_cny[r] <= room + 1e-9:
            room -= float(w.cost_cny[r])
            started.append(int(r))
    out = np.array(started, dtype=np.int64)
    w.state[out] = BUILDING
    w.month_started[out] = t
    return out


def start_on_cash_flow(w: Works, rows: np.ndarray, plan, t: int) -> np.ndarray:
    """With the township's plan: start ready works ``rows`` in order when the projected cash
    flow over their build time covers them (:func:`ruralsim.model.plan.cash_flow_ok`, the
    same rule as phases); returns the rows started and counts the others as waiting for
    money (``plan.works_waiting``)."""
    from .plan import cash_flow_ok

    horizon = int(max(1, w.build_months[rows].max())) if rows.size else 1
    room, committed = plan.projection(horizon)
    inflow = plan.inflow(horizon)
    started = []
    for r in rows:
        bm, pm = int(w.build_months[r]), float(w.monthly_cny[r])
        if cash_flow_ok(room, inflow, plan.fixed_pm, committed, pm, bm):
            committed[:bm] += pm
            started.append(int(r))
        else:
            plan.works_waiting += 1
    out = np.array(started, dtype=np.int64)
    w.state[out] = BUILDING
    w.month_started[out] = t
    return out


def progress(w: Works, rows: np.ndarray, paid: np.ndarray, t: int) -> np.ndarray:
    """Works ``rows`` under way progress where ``paid`` (else stall); returns rows done now."""
    p, s = rows[paid], rows[~paid]
    w.progress[p] += 1
    w.stalled[p] = 0
    w.paid_cny[p] += w.monthly_cny[p]
    w.stalled[s] += 1
    done = p[w.progress[p] >= w.build_months[p]]
    w.state[done] = DONE
    w.month_done[done] = t
    return done


def opened(w: Works, n_communities: int) -> tuple[np.ndarray, np.ndarray]:
    """Plots and building sites opened so far by each community's finished sections."""
    done = (w.state == DONE) & ~w.facility
    plots = np.bincount(w.community[done], weights=w.plots[done], minlength=n_communities)
    sites = np.bincount(w.community[done], weights=w.sites[done], minlength=n_communities)
    return plots.astype(np.int64), sites.astype(np.int64)


def facilities_open_share(w: Works, n_communities: int) -> np.ndarray:
    """Share of each community's facilities that are open (0 where it has none)."""
    total = np.bincount(w.community[w.facility], minlength=n_communities)
    open_ = np.bincount(w.community[w.facility & (w.state == DONE)], minlength=n_communities)
    return np.divide(open_, total, out=np.zeros(n_communities), where=total > 0)
