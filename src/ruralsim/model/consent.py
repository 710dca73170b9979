"""Village consent as a collective decision (``strategy.consent.mode: ballot``).

A village is put to the vote once it is open (its batch is open, its community takes
registrations, registration is open) and again ``reballot_after_months`` after a ballot that
failed.  Each household present votes yes when, at this month's terms of its own log hazard
(decisions.py: persistent terms, what it sees of its village and community, the old house and
the affordability gap), its probability of registering within ``horizon_months`` is at least
``yes_probability``; households already registered vote yes.  The village passes when the share
in favour reaches ``rule_share``; then the whole village is scheduled: the yes-voters register
at once, the no-voters after ``holdout_delay_months`` (``holdout_rule: move``) or not at all,
deciding for themselves as holdouts (``holdout_rule: stay``).

The functions are arrays in, arrays out; :class:`Ballots` keeps the per-village state.

>>> share_in_favour(np.array([True, False, True, True]), np.array([0, 0, 1, 1]), 2).tolist()
[0.5, 1.0]
"""
from __future__ import annotations

import numpy as np

from .decisions import cumulative_probability

NEVER = -1


def votes(log_hazard: np.ndarray, horizon_months: int, yes_probability: float) -> np.ndarray:
    """Yes votes of households at constant log hazards: P(register within horizon) ≥ p.

    >>> votes(np.log(np.array([0.001, 0.05])), 36, 0.5).tolist()
    [False, True]
    """
    with np.errstate(over="ignore"):
        return cumulative_probability(np.asarray(log_hazard, np.float64),
                                      horizon_months) >= yes_probability


def share_in_favour(yes: np.ndarray, village: np.ndarray, n_villages: int) -> np.ndarray:
    """Share of each village's voters who vote yes (0 where a village has no voters)."""
    n = np.bincount(village, minlength=n_villages)
    y = np.bincount(village, weights=yes, minlength=n_villages)
    return np.divide(y, n, out=np.zeros(n_villages), where=n > 0)


def due(open_: np.ndarray, passed: np.ndarray, last_month: np.ndarray, t: int,
        reballot_after_months: int) -> np.ndarray:
    """Villages to ballot in month ``t``: open, not passed, never balloted or due again.

    >>> due(np.array([True, True, True, False]), np.array([False, True, False, False]),
    ...     np.array([NEVER, 3, 3, NEVER]), 15, 12).tolist()
    [True, False, True, False]
    """
    again = (last_month != NEVER) & (t - last_month >= reballot_after_months)
    return open_ & ~passed & ((last_month == NEVER) | again)


def schedule(ids: np.ndarray, yes: np.ndarray, village: np.ndarray, passed_now: np.ndarray,
             holdout_rule: str) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Who a ballot schedules: (register now, register later, holdouts) among voters ``ids``.

    Only households of villages that passed (``passed_now[village]``) are scheduled; the
    yes-voters now, the no-voters later (``move``) or never (``stay``: holdouts).

    >>> now, later, hold = schedule(np.arange(4), np.array([True, False, True, False]),
    ...                             np.array([0, 0, 1, 1]), np.array([True, False]), "stay")
    >>> now.tolist(), later.tolist(), hold.tolist()
    ([0], [], [1])
    """
    inside = passed_now[village]
    now = ids[inside & yes]
    rest = ids[inside & ~yes]
    if holdout_rule == "move":
        return now, rest, ids[:0]
    return now, ids[:0], rest


class Ballots:
    """Ballot state per village: last ballot month, passed, share in favour, counts."""

    def __init__(self, n_villages: int, n_households: int):
        self.last_month = np.full(n_villages, NEVER, dtype=np.int64)
        self.passed = np.zeros(n_villages, dtype=bool)
        self.month_passed = np.full(n_villages, NEVER, dtype=np.int64)
        self.n_ballots = np.zeros(n_villages, dtype=np.int64)
        self.first_share = np.full(n_villages, np.nan)
        self.last_share = np.full(n_villages, np.nan)
        #: households registered by their village's schedule (not of their own accord)
        self.scheduled = np.zeros(n_households, dtype=bool)
        self.holdout = np.zeros(n_households, dtype=bool)
        self.later: dict[int, list[np.ndarray]] = {}

    def record(self, villages: np.ndarray, share: np.ndarray, rule_share: float,
               t: int) -> np.ndarray:
        """Book the ballots of ``villages`` with their shares in favour; return those passing."""
        ok = share >= rule_share
        self.last_month[villages] = t
        self.n_ballots[villages] += 1
        first = np.isnan(self.first_share[villages])
        self.first_share[villages[first]] = share[first]
        self.last_share[villages] = share
        self.passed[villages[ok]] = True
        self.month_passed[villages[ok]] = t
        return villages[ok]

    def summary(self, n0: np.ndarray) -> dict:
        """Villages balloted, passed and failed (with the share in favour)."""
        live = n0 > 0
        balloted = (self.n_ballots > 0) & live
        share = self.last_share[balloted]
        return {
            "villages": int(live.sum()),
            "villages_balloted": int(balloted.sum()),
            "villages_passed": int((self.passed & live).sum()),
            "villages_failed_last_ballot": int((balloted & ~self.passed).sum()),
            "ballots_held": int(self.n_ballots.sum()),
            "ballots_failed": int(self.n_ballots.sum() - (self.passed & live).sum()),
            "passed_first_time": int((self.passed & (self.n_ballots == 1)).sum()),
            "share_in_favour_first_mean": _nanmean(self.first_share[balloted]),
            "share_in_favour_last_mean": _nanmean(share),
            "month_passed_median": (float(np.median(self.month_passed[self.passed & live]))
                                    if (self.passed & live).any() else None),
            "households_scheduled": int(self.scheduled.sum()),
            "holdouts": int(self.holdout.sum()),
        }


def _nanmean(x: np.ndarray) -> float | None:
    x = x[~np.isnan(x)]
    return float(x.mean()) if x.size else None


# ----------------------------------------------------------------------------- in the month
class Consent:
    """Step 4, first part (``consent.mode: ballot``): the villages due vote; a passing village
    is scheduled; no-voters scheduled for this month register.  Registration itself is
    :meth:`Decisions.register_rows`, as for a household deciding alone."""

    def __init__(self, sc, vil, active, decisions, rec, n_households: int) -> None:
        self.cons = sc.strategy.consent
        self.vil, self.active, self.decisions, self.rec = vil, active, decisions, rec
        self.T = len(sc.household_types)
        self.ballots = Ballots(vil.n, n_households)
        self.scheduling = False          # registering households scheduled by their village
        for c in ("new_ballots", "new_ballots_passed", "new_scheduled"):
            rec.cols[c] = np.zeros(sc.run.horizon_months)

    def on_register(self, schedule):
        """Wrap giving up's scheduler: households scheduled by their village do not give up
        (unless ``scheduled_may_give_up``)."""
        if self.cons.scheduled_may_give_up:
            return schedule

        def on_register(ids: np.ndarray, t: int) -> None:
            if not self.scheduling:
                schedule(ids, t)
        return on_register

    def step(self, t: int) -> None:
        b, cons, vil, a = self.ballots, self.cons, self.vil, self.active
        later = b.later.pop(t, None)
        if later:
            self._register(np.concatenate(later), t)
        W = self.decisions.visible_terms(t, for_ballot=True)
        open_ = np.isfinite(W.reshape(vil.n, self.T)).any(axis=1) & (vil.n0 > 0)
        todo = due(open_, b.passed, b.last_month, t, cons.reballot_after_months)
        self.rec.put("new_ballots", t, int(todo.sum()))
        if not todo.any():
            return
        rows = np.flatnonzero(a.alive & todo[a.code // self.T])
        V = self.decisions.log_hazard_rows(rows, W, t)
        yes = votes(V, cons.horizon_months, cons.yes_probability)
        v_rows = a.code[rows] // self.T
        n_yes = np.bincount(v_rows, weights=yes, minlength=vil.n) + vil.n_waiting
        share = np.divide(n_yes, vil.n_present, out=np.zeros(vil.n), where=vil.n_present > 0)
        villages = np.flatnonzero(todo)
        passed = b.record(villages, share[villages], cons.rule_share, t)
        self.rec.put("new_ballots_passed", t, passed.size)
        if passed.size == 0:
            return
        passed_now = np.zeros(vil.n, dtype=bool)
        passed_now[passed] = True
        now, rest, hold = schedule(a.ids[rows], yes, v_rows, passed_now, cons.holdout_rule)
        b.holdout[hold] = True
        if rest.size:
            b.later.setdefault(t + cons.holdout_delay_months, []).append(rest)
        self._register(now, t)

    def _register(self, ids: np.ndarray, t: int) -> None:
        """Households ``ids`` scheduled by their village register now (those still deciding)."""
        a = self.active
        rows = np.flatnonzero(a.alive & np.isin(a.ids, ids))
        if rows.size == 0:
            return
        self.scheduling = True
        try:
            got = self.decisions.register_rows(rows, t)
        finally:
            self.scheduling = False
        self.ballots.scheduled[got] = True
        self.rec.cols["new_scheduled"][t] += got.size

    def summary(self) -> dict:
        return self.ballots.summary(self.vil.n0)
