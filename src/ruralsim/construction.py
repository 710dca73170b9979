"""Construction phases: which phase goes next, progress month by month, stalls, abandonment.

Pure functions of the phase arrays (:class:`ruralsim.state.Phases`); the engine pays for
progress through the township's budget rule and SimPy queues funded phases for a
construction team.

* A phase is **ready** when it is planned, its ``earliest_month`` has come, the phase before
  it in its community has been funded (or has started or ended), and registrations for its community reach
  ``min_registered_share`` of the units planned up to it.
* Ready phases are considered in the order of ``government.phase_rule``: the planner's order
  (``planner_order``, then scenario order), demand first (registrations per planned unit,
  highest first), or one community at a time (only the first community, in the order of the
  communities' first phases, that still has a phase not yet funded).
* A phase under way progresses one month each month its payment is made (public works by the
  township and, for 'developer' or 'township' financing, the housing); a month unpaid is a
  month without progress.  Unpaid ``stall_limit_months`` in a row, it is abandoned: its units
  are never delivered and what was paid is sunk.

Channels between communities (a change in one village can move another community only
through these): the shared budget (cash, credit, arrears), the shared construction teams, the
developer's shared credit line, and the phase rules (``demand_first`` orders ready phases by
demand; ``one_community_at_a_time`` holds the next community until every phase of the
current one has been funded), and village-by-village sequencing (a batch opens when the open
villages have committed).  Within a community, villages also share its units and its phase
demand gates.

Example:
    >>> order_key(np.array([0, 1, 2]), "demand_first", np.array([0.5, 2.0, 1.0]), None).tolist()
    [2, 0, 1]
"""
from __future__ import annotations

import numpy as np

from .state import ABANDONED, BUILDING, DONE, FUNDED, PLANNED, Phases


def units_to_date(ph: Phases) -> np.ndarray:
    """Units planned in each phase's community up to and including the phase.

    Phases are stored community by community, in order (:func:`ruralsim.state.init_phases`).
    """
    total = ph.units.sum(axis=1).astype(np.float64)
    out = np.empty(ph.n)
    for c in np.unique(ph.community):
        m = ph.community == c
        out[m] = np.cumsum(total[m])
    return out


def ready(ph: Phases, month: int, registrations: np.ndarray, to_date: np.ndarray) -> np.ndarray:
    """Mask of phases that may be funded in ``month``."""
    prev_started = np.ones(ph.n, dtype=bool)
    has_prev = ph.order > 0
    prev = np.flatnonzero(has_prev)
    # phases are stored community by community in order: the previous phase is the row before
    prev_started[prev] = ph.state[prev - 1] != PLANNED
    demand = registrations[ph.community] >= ph.min_reg_share * to_date
    return (ph.state == PLANNED) & (month >= ph.earliest) & prev_started & demand


def current_community(ph: Phases, community_order: np.ndarray) -> int | None:
    """Under 'one community at a time': the first community with a phase not yet funded."""
    for c in community_order:
        if ((ph.community == c) & (ph.state == PLANNED)).any():
            return int(c)
    return None


def order_key(rows: np.ndarray, rule: str, demand: np.ndarray,
              planner_pos: np.ndarray | None) -> np.ndarray:
    """``rows`` sorted in the order the phase rule considers them (stable, scenario order last)."""
    if rule == "demand_first":
        return rows[np.lexsort((rows, -demand[rows]))]
    if rule == "planner_order" and planner_pos is not None:
        return rows[np.lexsort((rows, planner_pos[rows]))]
    return rows


def under_way(ph: Phases, month: int) -> np.ndarray:
    """Rows of phases that hold a team and have started by ``month`` (building or stalled)."""
    return np.flatnonzero(((ph.state == BUILDING) | (ph.state == FUNDED))
                          & (ph.month_started >= 0) & (ph.month_started <= month))


def remaining_cost(ph: Phases) -> np.ndarray:
    """Public works still to pay for phases funded or under way (0 for the others)."""
    active = (ph.state == FUNDED) | (ph.state == BUILDING)
    return np.where(active, ph.cost_cny - ph.paid_cny, 0.0)


def remaining_housing(ph: Phases) -> np.ndarray:
    active = (ph.state == FUNDED) | (ph.state == BUILDING)
    return np.where(active, ph.housing_cny - ph.housing_paid_cny, 0.0)


def finished(ph: Phases) -> np.ndarray:
    """Rows of phases under way whose paid months reached their build time."""
    return np.flatnonzero((ph.state == BUILDING) & (ph.progress >= ph.build_months))


def to_abandon(ph: Phases, limit: int) -> np.ndarray:
    """Rows of phases under way unpaid for ``limit`` months in a row."""
    return np.flatnonzero((ph.state == BUILDING) & (ph.stalled >= limit))


def ended(state: np.ndarray) -> np.ndarray:
    return (state == DONE) | (state == ABANDONED)
