"""Construction phases: which phase goes next, progress month by month, stalls, abandonment.

Pure functions of the phase arrays (:class:`ruralsim.model.state.Phases`); settlement pays for
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
    [1, 2, 0]
"""
from __future__ import annotations

import numpy as np

from .plan import cash_flow_ok
from .state import ABANDONED, BUILDING, DEVELOPER, DONE, FUNDED, PLANNED, TOWNSHIP, Phases


def units_to_date(ph: Phases) -> np.ndarray:
    """Units planned in each phase's community up to and including the phase.

    Phases are stored community by community, in order (:func:`ruralsim.model.state.init_phases`).
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


class PhaseOrder:
    """The order in which the phase rule considers phases (for paying and for funding)."""

    def __init__(self, sc, ph: Phases, com) -> None:
        self.rule, self.ph, self.com = sc.government.phase_rule, ph, com
        self.to_date = units_to_date(ph)
        names = {c.name: i for i, c in enumerate(sc.communities)}
        self.planner_pos = self._planner_positions(sc.government.planner_order, names)

    def _planner_positions(self, order, names: dict[str, int]) -> np.ndarray | None:
        if not order:
            return None
        ph = self.ph
        pos = np.full(ph.n, len(order), dtype=np.int64)
        first_row = {c: int(np.flatnonzero(ph.community == c)[0]) for c in names.values()}
        for i, ref in enumerate(order):
            cname, num = ref.rsplit("/", 1)
            pos[first_row[names[cname]] + int(num) - 1] = i
        return pos

    def demand(self) -> np.ndarray:
        """Registrations per planned unit up to each phase (for the demand-first rule)."""
        return self.com.registrations[self.ph.community] / np.maximum(self.to_date, 1)

    def __call__(self, rows: np.ndarray) -> np.ndarray:
        return order_key(rows, self.rule, self.demand(), self.planner_pos)


class Construction:
    """Step 10: finished phases deliver units, phases stalled too long are abandoned, and
    ready phases are funded in the phase rule's order.

    A funded phase is handed to the calendar (``start_phase``), which queues it for a
    construction team; ``end_phase`` frees its team when it is done or abandoned.  The
    communities closed to registration (every phase ended, no unit free) are written into
    the shared array ``closed``.
    """

    #: The township's plan (set by the loop when ``government.plan.enabled``): ready phases
    #: then start on projected cash flow (:func:`ruralsim.model.plan.cash_flow_ok`).
    plan = None

    def __init__(self, sc, ph: Phases, com, tr, dev, clock, waiting, order: PhaseOrder,
                 closed: np.ndarray, start_phase, end_phase) -> None:
        self.sc, self.ph, self.com, self.tr, self.dev = sc, ph, com, tr, dev
        self.clock, self.waiting, self.order, self.closed = clock, waiting, order, closed
        self.start_phase, self.end_phase = start_phase, end_phase
        first = [(c.phases[0].earliest_month, i) for i, c in enumerate(sc.communities)]
        self.community_order = np.array([i for _, i in sorted(first)])
        self.stall_limit = sc.government.stall_limit_months
        # why phases wait (records only, for the report's works timeline; nothing of the
        # model reads them): months ready but for registrations (demand gate), ready and
        # waiting for money, funded and waiting for a construction team
        self.wait_demand = np.zeros(ph.n, dtype=np.int64)
        self.wait_money = np.zeros(ph.n, dtype=np.int64)
        self.wait_teams = np.zeros(ph.n, dtype=np.int64)

    def step(self, t: int) -> None:
        self.wait_teams[self.ph.state == FUNDED] += 1
        self._step(t)
        if self.clock.reg_open:
            ph, com = self.ph, self.com
            gated = ready(ph, t, com.registrations, self.order.to_date)
            due = ready(ph, t, np.full(com.registrations.shape, np.inf), self.order.to_date)
            self.wait_demand[due & ~gated] += 1
            if self.order.rule == "one_community_at_a_time":   # others wait for their turn
                gated &= ph.community == current_community(ph, self.community_order)
            self.wait_money[gated] += 1      # ready this month and still not funded

    def community_phases(self, names: list[str]) -> list[dict]:
        """Per community, why its phases waited (``communities.csv``, as
        :meth:`ruralsim.model.supply.DemandSupply.community_works`): planned and actual start
        of its first phase, first units delivered, and phase-months waiting for registrations,
        for money, for a construction team, and under way but unpaid."""
        ph = self.ph
        out = []
        for c, name in enumerate(names):
            mine = ph.community == c
            first = np.flatnonzero(mine)[:1]
            started = ph.month_started[mine]
            started = started[started >= 0]
            done = ph.month_done[mine & (ph.state == DONE)]
            out.append({
                "community": name,
                "works": int(mine.sum()),
                "works_done": int((mine & (ph.state == DONE)).sum()),
                "works_abandoned": int((mine & (ph.state == ABANDONED)).sum()),
                "planned_start_month": int(ph.earliest[first][0]) if first.size else None,
                "actual_start_month": int(started.min()) if started.size else None,
                "first_home_finished_month": int(done.min()) if done.size else None,
                "work_months_waiting_demand": int(self.wait_demand[mine].sum()),
                "work_months_waiting_money": int(self.wait_money[mine].sum()),
                "work_months_unpaid": int(ph.stalled_total[mine].sum()),
                "work_months_waiting_teams": int(self.wait_teams[mine].sum()),
            })
        return out

    def _step(self, t: int) -> None:
        ph, com = self.ph, self.com
        for p in finished(ph):
            ph.state[p] = DONE
            ph.month_done[p] = t
            c = ph.community[p]
            com.built[c] += ph.units[p]
            if ph.financing[p] == DEVELOPER:
                com.unsold[0, c] += ph.units[p]
            elif ph.financing[p] == TOWNSHIP:
                com.unsold[1, c] += ph.units[p]
            self.end_phase(int(p))
        for p in to_abandon(ph, self.stall_limit):
            ph.state[p] = ABANDONED
            ph.month_done[p] = t
            self.end_phase(int(p))
        done = ended(ph.state)
        closed = np.bincount(ph.community, weights=~done, minlength=len(com.names)) == 0
        self.closed[:] = closed & (com.free.sum(axis=1) <= 0)
        if not self.clock.reg_open or (self.plan is None and self.tr.overcommitted):
            return
        rows = np.flatnonzero(ready(ph, t, com.registrations, self.order.to_date))
        if self.order.rule == "one_community_at_a_time":
            cur = current_community(ph, self.community_order)
            rows = rows[ph.community[rows] == cur]
        if rows.size == 0:
            return
        self._fund(rows, t)

    def _fund(self, rows: np.ndarray, t: int) -> None:
        ph, tr, dev = self.ph, self.tr, self.dev
        own = ph.cost_cny + np.where(ph.financing == TOWNSHIP, ph.housing_cny, 0.0)
        committed = float(remaining_cost(ph).sum()) + float(
            remaining_housing(ph)[ph.financing == TOWNSHIP].sum())
        headroom = tr.cash + (tr.limit - tr.debt) - committed
        dev_room = dev.cash + dev.limit - dev.debt - float(
            remaining_housing(ph)[ph.financing == DEVELOPER].sum())
        presales = None
        plan = self.plan
        if plan is not None:   # the start rule on projected cash flow (model/plan.py)
            room, committed = plan.projection(int(ph.build_months.max()))
            inflow = plan.inflow(committed.size)
            own_pm = ph.monthly_cny + np.where(ph.financing == TOWNSHIP, ph.housing_monthly_cny,
                                               0.0)
            plan.works_waiting = 0
        for p in self.order(rows):
            # a developer starts a phase when its credit plus the sales it expects from the
            # households waiting for the community cover the housing (committed or not); the
            # township's own share must be covered unless the phase is committed
            if ph.financing[p] == DEVELOPER:
                if presales is None:
                    presales = self._expected_sales()
                if ph.housing_cny[p] > dev_room + presales[ph.community[p]]:
                    continue
            if plan is not None:
                bm = int(ph.build_months[p])
                if not ph.committed[p] and not cash_flow_ok(
                        room, inflow, plan.fixed_pm, committed, float(own_pm[p]), bm):
                    plan.works_waiting += 1
                    continue
                committed[:bm] += own_pm[p]
            elif not ph.committed[p] and own[p] > headroom:
                continue
            headroom -= own[p]
            if ph.financing[p] == DEVELOPER:
                dev_room -= ph.housing_cny[p]
            ph.state[p] = FUNDED
            ph.month_funded[p] = t
            self.start_phase(int(p))

    def _expected_sales(self) -> np.ndarray:
        """CNY a developer expects from the households waiting for each community's units that
        its phases already funded or under way, and its unsold units, do not already serve."""
        com, ph = self.com, self.ph
        waiting = self.waiting.group_counts(com.built.size).reshape(com.built.shape)
        going = (ph.financing == DEVELOPER) & ((ph.state == FUNDED) | (ph.state == BUILDING))
        pending = np.zeros_like(waiting)
        np.add.at(pending, ph.community[going], ph.units[going])
        pending += com.unsold[0]
        return (np.maximum(waiting - pending, 0) * com.price_cny).sum(axis=1)
