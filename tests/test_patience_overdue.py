"""Households' patience while the township owes them (issue 20, part 3; docs/model.md 7.5).

While any household is owed a deferred payment, a month counts
``behaviour.overdue_wait_weight`` months on every registered household's giving-up clock.
Metamorphic properties over seeds on ``weak_finance`` (a township that falls behind):
"""
from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

import ruralsim

SEEDS = (1, 2, 3)


def _run(seed: int, weight: float, *more: str):
    return ruralsim.simulate("weak_finance", seed=seed,
                             overrides=[f"behaviour.overdue_wait_weight={weight}", *more])


@pytest.mark.parametrize("seed", SEEDS)
def test_twin_runs_are_identical_until_the_township_first_owes_households(seed):
    """A twin run with the same seed differs only where the policy acts: nothing changes
    before the first month the township owes households, and something changes after."""
    a, b = _run(seed, 1.0).timeseries, _run(seed, 2.0).timeseries
    owed = np.flatnonzero(a["deferred_household_cny"].to_numpy() > 0)
    assert owed.size, "weak_finance is meant to fall behind on households"
    first = int(owed[0])   # owed at the end of this month: clocks run faster from the next
    pd.testing.assert_frame_equal(a.iloc[:first + 1], b.iloc[:first + 1])
    assert b["new_reneges_overdue"].sum() > 0
    assert not a.equals(b)


@pytest.mark.parametrize("seed", SEEDS)
def test_a_weight_of_one_never_gives_up_early(seed):
    ts = _run(seed, 1.0).timeseries
    assert (ts["new_reneges_overdue"] == 0).all()


@pytest.mark.parametrize("seed", SEEDS)
def test_early_give_ups_are_part_of_all_give_ups_and_follow_a_debt(seed):
    r = _run(seed, 3.0)
    ts = r.timeseries
    early, all_ = ts["new_reneges_overdue"].to_numpy(), ts["new_reneges"].to_numpy()
    assert (early <= all_).all()
    owed_before = np.concatenate([[False], np.cumsum(ts["deferred_household_cny"] > 0)[:-1] > 0])
    assert (early[~owed_before] == 0).all(), "nobody gives up early before anyone is owed"
    assert early.sum() > 0
    assert r.summary["households_reneged"] >= early.sum()


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_a_township_that_never_defers_is_not_affected(seed):
    """With money that does not bind, nobody is owed, and the weight changes nothing."""
    rich = "government.opening_cash_cny=1.0e+10"
    a, b = _run(seed, 1.0, rich), _run(seed, 4.0, rich)
    assert (a.timeseries["deferred_household_cny"] == 0).all()
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    keep = [k for k in a.summary if k not in ("scenario_hash", "version")]
    assert {k: a.summary[k] for k in keep} == {k: b.summary[k] for k in keep}


def test_a_faster_clock_while_owed_never_keeps_more_households_waiting_at_first():
    """In the first month households are owed and clocks run faster, the waiting list is
    never longer than with the clock at its normal pace (over seeds)."""
    for seed in SEEDS:
        a, b = _run(seed, 1.0).timeseries, _run(seed, 2.0).timeseries
        first = int(np.flatnonzero(a["deferred_household_cny"].to_numpy() > 0)[0]) + 1
        assert b["n_registered"].iloc[first] <= a["n_registered"].iloc[first]
        assert b["new_reneges"].iloc[first] >= a["new_reneges"].iloc[first]
