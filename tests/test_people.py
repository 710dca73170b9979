"""Model 3.0, people (issue 21): village ballots, influence by ties, demolition as a decision.

Known answers of the array functions, and the issue's properties as twins with common random
numbers on the small scenarios of tests/kit.py.
"""
from __future__ import annotations

from types import SimpleNamespace as NS

import numpy as np
import pytest

from kit import scenario
from ruralsim.model import Model, consent, demolition, influence
from ruralsim.scenario.load import load_scenario
from ruralsim.model.state import F_EVER_REGISTERED, MOVED

# ----------------------------------------------------------------------------- ties (arrays)


def test_kin_groups_are_within_villages_with_the_mean_size():
    rng = np.random.default_rng(0)
    village = np.repeat(np.arange(50), 200)
    g = influence.kin_groups(village, rng.random(village.size), 6.0)
    # a group never spans two villages
    assert (np.bincount(g, weights=village) / np.bincount(g) == village[np.unique(g, return_index=True)[1]]).all()
    sizes = np.bincount(g)
    assert 5.0 < sizes.mean() < 6.5


def _ties(w_kin=3.0, w_n=1.0, w_b=5.0, cross=0.0):
    village = np.array([0, 0, 0, 0, 1, 1])
    kin = np.array([0, 0, 1, 1, 2, 2])
    bell = np.array([True, False, False, False, False, True])
    return influence.Ties(village, kin, bell, np.array([0, 0]), w_kin, w_n, w_b, cross)


def test_exposure_known_answer_and_parts_sum_to_it():
    t = _ties()
    s = np.array([1.0, 0, 1.0, 0, 0, 0])     # household 0 (bellwether, kin of 1) and 2 moved
    e, parts = t.exposure(s)
    # household 1: ties 0 (kin, bellwether: 3 x 5), 2 and 3 (neighbours: 1 each)
    assert e[1] == pytest.approx((15 + 1) / (15 + 1 + 1))
    assert parts["bellwethers"][1] == pytest.approx(15 / 17)
    assert parts["neighbours"][1] == pytest.approx(1 / 17)
    # household 3: kin 2 (3), neighbours 0 (bellwether: 5) and 1 (1)
    assert e[3] == pytest.approx((3 + 5) / (3 + 5 + 1))
    assert parts["kin"][3] == pytest.approx(3 / 9)
    total = sum(parts[s_] for s_ in influence.SOURCES)
    np.testing.assert_allclose(total, e)
    assert e[4] == 0 and e[5] == 0             # the other village sees nothing (no cross ties)


def test_cross_village_ties_reach_the_other_villages_only_when_on():
    s = np.array([1.0, 1.0, 1.0, 1.0, 0, 0])
    assert _ties().exposure(s)[0][4] == 0
    e, parts = _ties(cross=0.1).exposure(s)
    assert e[4] > 0 and parts["other_villages"][4] == pytest.approx(e[4])


def test_threshold_response_is_s_shaped_and_monotone():
    x = np.linspace(0, 1, 101)
    f = influence.response(x, np.full(x.size, 0.3), 0.1)
    assert (np.diff(f) > 0).all()
    assert f[30] == pytest.approx(0.5)
    assert f[0] < 0.05 and f[-1] > 0.99


# ----------------------------------------------------------------------------- ballots (arrays)


def test_votes_share_and_schedule():
    V = np.log(np.array([1e-4, 0.1, 0.1, 1e-4, 0.1]))
    yes = consent.votes(V, 36, 0.5)
    assert yes.tolist() == [False, True, True, False, True]
    village = np.array([0, 0, 0, 1, 1])
    share = consent.share_in_favour(yes, village, 2)
    np.testing.assert_allclose(share, [2 / 3, 0.5])
    passed = share >= 2 / 3
    now, later, hold = consent.schedule(np.arange(5), yes, village, passed, "move")
    assert now.tolist() == [1, 2] and later.tolist() == [0] and hold.size == 0
    now, later, hold = consent.schedule(np.arange(5), yes, village, passed, "stay")
    assert later.size == 0 and hold.tolist() == [0]


# ----------------------------------------------------------------------------- demolition (arrays)


def test_demolition_rises_with_each_driver_for_the_same_draws():
    rng = np.random.default_rng(1)
    n = 5000
    d = NS(b_compensation_per_10k_cny=0.5, b_deadline=1.0)
    alpha, keep, u = rng.normal(0, 1, n), rng.normal(0, 1, n), rng.random(n)
    comp = rng.uniform(0, 5e4, n)
    enf = rng.random(n) < 0.3
    no_cond, _ = demolition.decide(alpha, keep, np.zeros(n), False, np.zeros(n, bool), u, d)
    cond, why = demolition.decide(alpha, keep, comp, False, np.zeros(n, bool), u, d)
    dead, _ = demolition.decide(alpha, keep, comp, True, np.zeros(n, bool), u, d)
    forced, _ = demolition.decide(alpha, keep, comp, True, enf, u, d)
    assert (cond >= no_cond).all() and (dead >= cond).all() and (forced >= dead).all()
    assert cond.sum() > no_cond.sum()
    # the reason is compensation exactly for those it tipped
    assert ((why == demolition.COMPENSATION) == (cond & ~no_cond)).all()


# ----------------------------------------------------------------------------- twins (model)

def _model(data: dict, seed: int) -> Model:
    return Model(load_scenario(data).model, seed)


def _force_moved(m: Model, ids: np.ndarray) -> None:
    """Households ``ids`` have moved out before the first month (the twin's treatment)."""
    a = m.active
    a.remove(np.flatnonzero(np.isin(a.ids, ids) & a.alive))
    m.pop.transition(ids, MOVED)
    m.hh.month_moved[ids] = 0
    out = np.bincount(m.hh.village[ids], minlength=m.vil.n)
    m.vil.n_present -= out
    m.vil.n_out += out
    m.pop.shift_present(m.hh.village[ids], m.hh.htype[ids], -1)


TIES = {"behaviour.influence": {"mode": "ties", "bellwether_types": [], "cadre_share": 0.1,
                                "b_social": 4.0, "threshold_mean": 0.05, "threshold_sd": 0.05},
        "household_types.h.asc": -6.0}


def _others_registered(w_bellwether: float, w_kin: float, seed: int, k: int = 10) -> tuple:
    data = scenario(households=400, villages=2, horizon=36, changes={
        **TIES, "behaviour.influence.w_bellwether": w_bellwether,
        "behaviour.influence.w_kin": w_kin})
    out = []
    for which in ("bellwethers", "ordinary"):
        m = _model(data, seed)
        v0 = m.hh.village == 0
        bell = np.flatnonzero(v0 & m.influence.ties.bell)[:k]
        ordi = np.flatnonzero(v0 & ~m.influence.ties.bell)[:k]
        _force_moved(m, bell if which == "bellwethers" else ordi)
        m.run()
        others = v0.copy()
        others[bell] = others[ordi] = False
        out.append(int(((m.hh.flags[others] & F_EVER_REGISTERED) != 0).sum()))
    return tuple(out)


def test_forcing_bellwethers_moves_others_more_when_they_weigh_more():
    diffs = [np.subtract(*_others_registered(5.0, 3.0, seed)) for seed in range(6)]
    assert np.mean(diffs) > 0 and min(diffs) >= 0


def test_forcing_bellwethers_or_ordinary_households_is_the_same_with_equal_weights():
    # the first exposure is the same in both twins; the forced households of the other twin
    # then decide for themselves (other tastes, other thresholds): equal within sampling error
    for w_kin in (1.0, 3.0):
        diffs = np.array([np.subtract(*_others_registered(1.0, w_kin, seed))
                          for seed in range(8)])
        assert abs(diffs.mean()) <= 3 * max(diffs.std(ddof=1), 1.0) / np.sqrt(diffs.size)
        strong = np.array([np.subtract(*_others_registered(5.0, w_kin, seed))
                           for seed in range(8)])
        assert strong.mean() > diffs.mean() + 3 * max(diffs.std(ddof=1), 1.0) / np.sqrt(8)


BALLOT = {"strategy.consent": {"mode": "ballot", "rule_share": 2 / 3,
                               "reballot_after_months": 12, "holdout_delay_months": 2},
          "household_types.h.asc": -8.0}


def test_a_failed_ballot_schedules_nobody():
    m = _model(scenario(households=300, villages=3, horizon=24, changes=BALLOT), 3)
    m.run()
    b = m.consent.ballots
    assert not b.passed.any() and (b.n_ballots == 2).all()    # months 0 and 12
    assert b.scheduled.sum() == 0
    assert ((m.hh.flags & F_EVER_REGISTERED) == 0).all()      # nobody registers alone either


def test_a_village_passing_later_is_scheduled_whole():
    ev = [{"name": "tour", "month": 10, "utility_shift": 6.0,
           "eligible": {"villages": ["V0"]}}]
    data = scenario(households=300, villages=3, horizon=30,
                    changes={**BALLOT, "policy.events": ev})
    m = _model(data, 3)
    m.run()
    b, hh = m.consent.ballots, m.hh
    assert b.passed.tolist() == [True, False, False]
    assert b.month_passed[0] == 12 and b.n_ballots[0] == 2      # failed at 0, passed at 12
    v0 = hh.village == 0
    assert b.scheduled[v0].all() and not b.scheduled[~v0].any()
    assert ((hh.flags[~v0] & F_EVER_REGISTERED) == 0).all()


def test_holdouts_stay_and_decide_for_themselves():
    ev = [{"name": "tour", "month": 0, "utility_shift": 6.0, "eligible": {"villages": ["V0"]}}]
    data = scenario(households=300, villages=3, horizon=12, changes={
        **BALLOT, "policy.events": ev, "strategy.consent.rule_share": 0.5,
        "strategy.consent.holdout_rule": "stay",
        "household_types.h.taste_sd": 3.0})
    m = _model(data, 4)
    m.run()
    b = m.consent.ballots
    v0 = m.hh.village == 0
    assert b.passed[0] and b.holdout[v0].sum() > 0
    assert not (b.scheduled & b.holdout).any()
    assert (b.scheduled | b.holdout)[v0].all()


def test_demolition_as_a_condition_of_compensation_never_lowers_demolitions():
    phase = [{"units": {"apartment": 400, "courtyard": 400}, "earliest_month": 0,
              "public_cost_cny": 0.0, "build_months": {"low": 1, "mode": 2, "high": 3}}]
    for seed in range(4):
        dem = []
        for cond in (False, True):
            data = scenario(households=600, villages=3, horizon=36, phases=phase, changes={
                "household_types.h.asc": -2.0, "household_types.h.demolish_share": 0.4,
                "policy.demolition.mode": "decision",
                "policy.compensation": {"cny_per_m2": 400.0, "requires_demolition": cond}})
            m = _model(data, seed)
            m.run()
            dem.append(int(m.demolition.reasons[:, 1:].sum()))
        assert dem[1] >= dem[0], (seed, dem)


def test_new_mechanisms_off_by_default_and_outputs_only_when_on():
    m = _model(scenario(households=100, villages=2), 1)
    assert m.consent is None and m.influence is None and m.demolition is None
    assert m.people_summary() is None
    assert "new_ballots" not in m.rec.cols


def test_regime_a_consents_by_the_ballot_not_by_a_chosen_share():
    sc = load_scenario("scenarios/regimes/a_fully_financed_consent.yaml").model
    assert sc.strategy.consent.mode == "ballot" and sc.strategy.consent_share == 0
    assert sc.strategy.consent.rule_share == 0.95          # Tianjin's rule, PATTERNS.md §6
