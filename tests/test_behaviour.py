"""Known-answer tests for the decision rules (no SimPy involved)."""
import numpy as np
import pytest

from ruralsim import behaviour as bh
from ruralsim.rng import Streams


def test_move_probability_is_the_logistic_function():
    v = np.array([-np.log(3.0), 0.0, np.log(9.0)])
    np.testing.assert_allclose(bh.move_probability(v), [0.25, 0.5, 0.9])


def test_decide_frequency_matches_closed_form_probability():
    # V = ln(p/(1-p)) with p = 0.2: the share deciding must be 0.2 within sampling error
    n = 200_000
    v = np.full(n, np.log(0.2 / 0.8))
    share = bh.decide(v, Streams(5).uniform("decide", np.arange(n), 3)).mean()
    assert share == pytest.approx(0.2, abs=4 * np.sqrt(0.2 * 0.8 / n))


def test_static_utility_terms_have_documented_signs_and_units():
    base = dict(asc=np.array([-2.0]), shift=np.array([0.0]), attachment=np.array([0.5]),
                field_km=np.array([2.0]), net_cost_cny=np.array([100_000.0]),
                b_attachment=2.0, b_field_km=0.15, b_cost_10k=0.08)
    v = bh.static_utility(**base)
    assert v[0] == pytest.approx(-2.0 - 1.0 - 0.3 - 0.8)
    cheaper = bh.static_utility(**{**base, "net_cost_cny": np.array([90_000.0])})
    assert cheaper[0] - v[0] == pytest.approx(0.08)  # 10,000 CNY less cost = +b_cost


def test_net_cost_and_free_housing():
    cost = bh.net_cost(np.array([100_000.0, 100_000.0]), 20_000, np.array([2_000.0, 0.0]),
                       np.array([False, True]))
    np.testing.assert_allclose(cost, [118_000.0, 20_000.0])


def test_decline_reaches_zero_and_stays():
    np.testing.assert_allclose(bh.decline(np.array([10.0, 10.0]), np.array([1.0, 3.0]), 4),
                               [6.0, 0.0])


def test_choose_kind_band_shift_is_exact():
    u = Streams(1).uniform("kind", np.arange(100_000)).astype(np.float32)
    before = (bh.choose_kind(u, np.full(u.size, 0.5)) == 0).mean()
    after = (bh.choose_kind(u, np.full(u.size, 0.6)) == 0).mean()
    assert after - before == pytest.approx(0.10, abs=0.01)
    # nobody switches from apartment to courtyard when the share rises
    assert not ((bh.choose_kind(u, np.full(u.size, 0.5)) == 0) &
                (bh.choose_kind(u, np.full(u.size, 0.6)) == 1)).any()


def test_allocate_serves_priority_then_registration_order_within_each_group():
    group = np.array([0, 0, 0, 0, 1, 1])
    priority = np.array([2, 0, 0, 1, 0, 0])
    reg = np.array([0, 9, 3, 1, 0, 0])
    served = bh.allocate(group, priority, reg, np.arange(6), np.array([2, 1]))
    assert served.tolist() == [False, True, True, False, True, False]


def test_allocate_never_exceeds_free_units():
    rng = np.random.default_rng(0)
    group = rng.integers(0, 5, 1000)
    free = rng.integers(0, 300, 5)
    served = bh.allocate(group, rng.integers(0, 3, 1000), rng.integers(0, 50, 1000),
                         np.arange(1000), free)
    counts = np.bincount(group[served], minlength=5)
    assert (counts <= free).all()
    assert (counts == np.minimum(free, np.bincount(group, minlength=5))).all()


def test_household_debt_is_the_uncovered_cost():
    np.testing.assert_allclose(bh.household_debt(np.array([120e3, 50e3]), np.array([100e3, 80e3])),
                               [20e3, 0.0])


def test_withdrawal_and_decay():
    due = bh.withdrawal_due(np.array([0.2, 0.5, 0.1]), 0.3, np.array([False, False, True]))
    assert due.tolist() == [True, False, False]
    lvl = bh.decay_services(np.array([[1.0, 1.0]]), np.array([[True, False]]), 0.1)
    np.testing.assert_allclose(lvl, [[0.9, 1.0]])
