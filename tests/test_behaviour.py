"""Known-answer tests for the household rules of model 2.0 (no SimPy involved).

The old logit rules of ``behaviour.py`` now live in ``decisions.py`` (the hazard clock),
``waiting.py`` (the sorted waiting list), ``services.py`` (withdrawal and decay) and
``households.py`` (the persistent part of the log hazard).
"""
import numpy as np
import pytest

import ruralsim
from ruralsim.model import decisions as dc
from ruralsim.model import households as hhm
from ruralsim.model import services as sv
from ruralsim.model import waiting as wt
from ruralsim.model import Model
from ruralsim.rng import Streams


def _active(n, A, thresh, hv0=0.0, hslope=0.0, g0=0.0, gflow=0.0, code=0):
    a = dc.ActiveSet()
    full = lambda x: np.broadcast_to(np.asarray(x, dtype=np.float32), (n,)).copy()  # noqa: E731
    a.add(np.arange(n), A=full(A), code=np.full(n, code), hv0=full(hv0), hslope=full(hslope),
          g0=full(g0), gflow=full(gflow), thresh=full(thresh))
    return a


# ------------------------------------------------------------------ the hazard clock
def test_cumulative_probability_is_one_minus_exp_of_the_summed_hazard():
    v = np.log(np.array([0.1, 0.5, 2.0]))
    np.testing.assert_allclose(dc.cumulative_probability(v, 1), 1 - np.exp(-np.exp(v)))
    np.testing.assert_allclose(dc.cumulative_probability(v, 7), 1 - np.exp(-7 * np.exp(v)))
    # for a small monthly probability the clog-log hazard is within 5% of a logit
    p_logit = 1 / (1 + np.exp(-np.log(0.05)))
    assert dc.cumulative_probability(np.array([np.log(0.05)]), 1)[0] == \
        pytest.approx(p_logit, rel=0.05)


def test_threshold_clock_registers_with_the_monthly_probability():
    # h = 0.2 per month: the share registering in month 0 is 1 - exp(-0.2), and the share
    # still deciding after 5 months is exp(-5 * 0.2), within sampling error
    n = 200_000
    e = Streams(5).exponential("decide", np.arange(n))
    a = _active(n, np.log(0.2), e)
    table = np.zeros(1, dtype=np.float32)
    first = a.step(table, month=0, months_since_update=0).size / n
    p = 1 - np.exp(-0.2)
    assert first == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n))
    for t in range(1, 5):
        a.step(table, month=t, months_since_update=t)
    q = np.exp(-1.0)
    assert a.size / n == pytest.approx(q, abs=4 * np.sqrt(q * (1 - q) / n))


def test_forbidden_cells_accumulate_no_hazard():
    # W = -inf (village not open, township overcommitted...) adds exp(-inf) = 0
    a = _active(3, 5.0, 0.5, code=np.array([0, 1, 1]))
    got = a.step(np.array([0.0, -np.inf], dtype=np.float32), 0, 0)
    assert got.tolist() == [0]
    assert a.cumhaz[a.alive].tolist() == [0.0, 0.0]


def test_house_and_gap_terms_decline_to_zero_and_stay():
    # log hazard = A - max(0, hv0 - hslope t) - max(0, g0 - gflow dt): with A = 0, hv0 = 2,
    # hslope = 1 the month's hazard is exp(-2), exp(-1), 1, 1 ... (t = 0, 1, 2, 3)
    a = _active(1, 0.0, np.inf, hv0=2.0, hslope=1.0)
    for t in range(4):
        a.step(np.zeros(1, np.float32), month=t, months_since_update=0)
    assert float(a.cumhaz[0]) == pytest.approx(np.exp(-2) + np.exp(-1) + 2, rel=1e-6)
    g = _active(1, 0.0, np.inf, g0=3.0, gflow=1.0)
    g.step(np.zeros(1, np.float32), month=0, months_since_update=1)     # gap 2
    g.step(np.zeros(1, np.float32), month=1, months_since_update=5)     # gap 0 (not -2)
    assert float(g.cumhaz[0]) == pytest.approx(np.exp(-2) + 1, rel=1e-6)
    assert g.gap(np.array([0]), 1).tolist() == [2.0]


def test_a_household_leaving_the_set_is_never_counted_again():
    a = _active(1000, 0.0, Streams(1).exponential("decide", np.arange(1000)))
    seen = []
    for t in range(30):
        seen.append(a.step(np.zeros(1, np.float32), t, t))
    ids = np.concatenate(seen)
    assert ids.size == np.unique(ids).size == 1000 - a.size
    assert sorted(a.members().tolist() + ids.tolist()) == list(range(1000))


# ------------------------------------------------------------------ what neighbours see
def test_village_shares_are_the_villages_own_unless_shrunk_toward_the_community():
    n0 = np.array([1, 11, 100, 50])
    count = np.array([0, 11, 0, 25])
    comm = np.array([0, 0, 0, 1])
    # by default (prior 0) a village sees only itself: no channel between villages
    np.testing.assert_allclose(dc.village_shares(n0, count, comm, 2, prior=0.0),
                               [0.0, 1.0, 0.0, 0.5])
    # with a prior its share is shrunk toward its community's, weight (n0 − 1)/(n0 − 1 + prior)
    shrunk = dc.village_shares(n0, count, comm, 2, prior=10.0)
    assert shrunk[0] == pytest.approx(11 / 112)       # a village of one sees its community
    w = 10 / 20
    assert shrunk[1] == pytest.approx(w * 1.0 + (1 - w) * 11 / 112)
    assert shrunk[3] == pytest.approx(0.5)          # village = community: nothing to shrink


def _lone_household_model(**behaviour):
    sc = {"name": "one", "run": {"horizon_months": 30},
          "household_types": {"h": {"share": 1.0, "asc": -6.0, "taste_sd": 0.0}},
          "villages": [{"name": "big", "households": 300, "community": "C"},
                       {"name": "single", "households": 1, "community": "C"}],
          "communities": [{"name": "C", "phases": [{"units": {"apartment": 10, "courtyard": 0},
                                                     "earliest_month": 1200}]}],
          "behaviour": behaviour,
          "policy": {"registration": {"lead_months": 1200}}}
    m = Model(ruralsim.load_scenario(sc).model, 1)
    m.vil.n_waiting[0] = 150                      # half of the big village has registered
    m.reg_open = True
    return m


def test_a_village_of_one_household_sees_its_community_when_shares_are_pooled():
    m = _lone_household_model(b_social_registered=30.0, social_prior_households=10.0)
    w = m.visible_terms(0)[:, 0]
    # the single household sees its community's share (its own weight is 0 / (0 + prior))
    assert w[1] == pytest.approx(30.0 * 150 / 301, rel=1e-5)
    big = 299 / 309 * 0.5 + 10 / 309 * 150 / 301
    assert w[0] == pytest.approx(30.0 * big, rel=1e-5)
    # by default villages do not pool: the lone household sees only itself
    m = _lone_household_model(b_social_registered=30.0)
    w = m.visible_terms(0)[:, 0]
    assert w[1] == 0.0 and w[0] == pytest.approx(15.0)


# ------------------------------------------------------------------ persistent differences
def _population(**behaviour):
    sc = ruralsim.load_scenario("teaching", [("behaviour", behaviour)] if behaviour else []).model
    return sc, hhm.init_households(sc, Streams(3))


def test_covariates_enter_the_persistent_log_hazard_with_their_signs():
    zero_taste = [(f"household_types.{t}.taste_sd", 0.0) for t in
                  ruralsim.load_scenario("teaching").model.household_types]
    sc = ruralsim.load_scenario("teaching", zero_taste).model
    hh = hhm.init_households(sc, Streams(3))
    b = sc.behaviour
    att_free = hh.base_util  # attachment is random; the other covariates are stored
    age = hh.head_age.astype(float)
    nonfarm = hh.nonfarm / hhm.NONFARM_SCALE
    two = hhm.two_homesteads(hh)
    rest = att_free + b.b_head_age_per_10y * (age - hhm.REFERENCE_AGE) / 10 \
        - b.b_nonfarm_share * nonfarm - b.b_two_homesteads * two
    # what is left is -b_attachment x attachment, in [-b_attachment, 0]
    assert (rest <= 0.02).all() and (rest >= -b.b_attachment - 0.02).all()
    # older heads: lower hazard; more non-farm income: higher (other things equal)
    old = np.polyfit(age, hh.base_util, 1)[0]
    assert old < 0
    assert np.polyfit(nonfarm, hh.base_util + b.b_head_age_per_10y * (age - 40) / 10, 1)[0] > 0


def test_taste_is_a_persistent_normal_draw_with_the_type_sd():
    sc, hh = _population(b_attachment=0.0, b_head_age_per_10y=0.0, b_nonfarm_share=0.0,
                         b_two_homesteads=0.0)
    for ti, t in enumerate(sc.household_types.values()):
        x = hh.base_util[hh.htype == ti]
        if x.size > 50:
            assert x.std() == pytest.approx(t.taste_sd, rel=0.25)
            assert abs(x.mean()) < 4 * t.taste_sd / np.sqrt(x.size)
    again = hhm.init_households(sc, Streams(3))
    np.testing.assert_array_equal(again.base_util, hh.base_util)


def test_apartment_band_shift_is_exact():
    sc = ruralsim.load_scenario("teaching").model
    m = Model(sc, 1)
    ids = np.arange(m.hh.n)
    before = m.intended_kind(ids)
    m.event_apt[:] += 0.1
    after = m.intended_kind(ids)
    # raising the share by 0.1 turns exactly the households whose draw is in the band
    band = (m.hh.kind_draw / hhm.DRAW_SCALE >= m.apt_share[m.hh.htype]) & \
        (m.hh.kind_draw / hhm.DRAW_SCALE < m.apt_share[m.hh.htype] + 0.1)
    np.testing.assert_array_equal((before == 1) & (after == 0), band)
    assert not ((before == 0) & (after == 1)).any()


# ------------------------------------------------------------------ the waiting list
def _keys(rule, group, rank, month, ids, ticket=None):
    return wt.sort_key(group, wt.rule_key(rule, rank, month, ticket), ids)


def test_priority_rule_serves_rank_then_registration_month_then_id():
    wl = wt.WaitingList()
    ids = np.arange(6)
    group = np.array([0, 0, 0, 0, 1, 1])
    rank = np.array([2, 0, 0, 1, 0, 0])
    month = np.array([0, 9, 3, 1, 0, 0])
    wl.add(ids, _keys("priority", group, rank, month, ids))
    served = wl.serve(np.array([2, 1]))
    assert sorted(served.tolist()) == [1, 2, 4]
    assert wl.size == 3 and sorted(wl.ids.tolist()) == [0, 3, 5]


def test_registration_order_and_lottery_rules():
    ids = np.arange(4)
    group = np.zeros(4, dtype=np.int64)
    wl = wt.WaitingList()
    wl.add(ids, _keys("registration_order", group, np.array([0, 5, 5, 0]),
                      np.array([4, 1, 2, 3]), ids))
    assert wl.serve(np.array([2])).tolist() == [1, 2]      # rank ignored: first come
    lot = wt.WaitingList()
    ticket = np.array([0.9, 0.1, 0.5, 0.3])
    lot.add(ids, _keys("lottery", group, np.zeros(4), np.zeros(4), ids, ticket))
    assert lot.serve(np.array([3])).tolist() == [1, 3, 2]  # lowest tickets first


def test_serving_never_exceeds_free_units_and_fills_them_when_it_can():
    rng = np.random.default_rng(0)
    n = 5000
    ids = rng.permutation(n)
    group = rng.integers(0, 6, n)
    wl = wt.WaitingList()
    wl.add(ids, _keys("priority", group, rng.integers(0, 4, n), rng.integers(0, 200, n), ids))
    free = rng.integers(0, 1500, 6)
    served = wl.serve(free)
    counts = np.bincount(group[np.argsort(ids)][served], minlength=6)
    assert (counts == np.minimum(free, np.bincount(group, minlength=6))).all()
    assert wl.size == n - served.size


def test_removing_and_adding_keeps_the_list_sorted():
    rng = np.random.default_rng(1)
    ids = np.arange(300)
    keys = _keys("priority", rng.integers(0, 4, 300), rng.integers(0, 3, 300),
                 rng.integers(0, 50, 300), ids)
    wl = wt.WaitingList()
    wl.add(ids[:200], keys[:200])
    wl.remove(keys[50:120])
    wl.add(ids[200:], keys[200:])
    assert (np.diff(wl.key) > 0).all()
    assert sorted(wl.ids.tolist()) == sorted(ids[:50].tolist() + ids[120:].tolist())


def test_switch_to_the_other_kind_only_when_it_is_free_and_after_the_wait():
    free = np.array([0, 3, 2, 2])      # community 0: apartments sold out, courtyards free
    group = np.array([0, 0, 2, 1])
    waited = np.array([12, 11, 30, 30])
    assert wt.switch_groups(group, waited, free, 12).tolist() == [True, False, False, False]


def test_renege_wait_is_patience_plus_the_root_of_the_threshold():
    e = np.array([0.0, 0.5, 2.0])
    np.testing.assert_allclose(dc.renege_wait(np.full(3, 10.0), e, 0.04),
                               10 + np.sqrt(2 * e / 0.04))
    assert np.isinf(dc.renege_wait(np.array([5.0]), np.array([1.0]), 0.0)).all()


# ------------------------------------------------------------------ services
def test_withdrawal_and_decay():
    due = sv.withdrawal_due(np.array([0.2, 0.5, 0.1]), 0.3, np.array([False, False, True]))
    assert due.tolist() == [True, False, False]
    lvl = sv.decay_services(np.array([[1.0, 1.0]]), np.array([[True, False]]), 0.1)
    np.testing.assert_allclose(lvl, [[0.9, 1.0]])
    # upkeep the township could not pay decays maintained services in proportion
    lvl = sv.decay_services(np.array([[1.0, 1.0]]), np.array([[True, False]]), 0.1, 0.5)
    np.testing.assert_allclose(lvl, [[0.9, 0.95]])


def test_exposure_counts_everyone_living_in_degraded_villages():
    service = np.array([[0.4, 0.4], [0.9, 0.2], [1.0, 1.0]])
    deg = sv.degraded(service, 0.5)
    assert deg.tolist() == [True, False, False]
    present = np.array([[3, 1], [5, 5], [7, 0]])
    assert sv.exposure_by_type(present, deg).tolist() == [3, 1]
