"""Closed forms of a household's money over time and its livelihood after moving
(households.py, moves.py): pure functions, no SimPy."""
import numpy as np
import pytest

import ruralsim
from ruralsim.model import households as hhm
from ruralsim.model import moves as mv
from ruralsim.rng import Streams

from kit import household_type, scenario


# ------------------------------------------------------------------ livelihood after the move
def _change(**kw):
    args = dict(income=np.array([20_000.0]), farm_share=np.array([0.5]),
                farmland_mu=np.array([5.0]), field_km=np.array([2.0]), relief=np.array([0.0]),
                income_gain=np.array([0.0]), extra_living_pm=np.array([100.0]),
                rent_per_mu=800.0, commute_per_mu_km=15.0, nonfarm_gain=0.1, redeployed=0.5)
    args.update({k: np.atleast_1d(np.asarray(v, dtype=float)) if k not in (
        "rent_per_mu", "commute_per_mu_km", "nonfarm_gain", "redeployed") else v
        for k, v in kw.items()})
    return float(mv.livelihood_change(**args)[0])


def test_livelihood_change_keeping_the_land():
    # non-farm gain 0.1 × 10,000; commuting 5 mu × 2 km × 15; 12 × 100 more living costs
    assert _change() == pytest.approx(1_000 - 150 - 1_200)
    assert _change(income_gain=3_000) == pytest.approx(1_000 + 3_000 - 150 - 1_200)
    assert _change(field_km=0.0, extra_living_pm=0.0) == pytest.approx(1_000)


def test_livelihood_change_transferring_the_land():
    # all land transferred: rent 5 × 800, farm income 10,000 given up, half of it earned back
    # by the freed labour; no commuting
    assert _change(relief=1.0) == pytest.approx(1_000 + 4_000 - 5_000 - 1_200)
    # half transferred: half of each term
    assert _change(relief=0.5) == pytest.approx(1_000 + 0.5 * (4_000 - 5_000) - 0.5 * 150 - 1_200)
    # a household that does not farm only gains from transferring
    assert _change(relief=1.0, farm_share=0.0) > _change(relief=0.0, farm_share=0.0)


def test_livelihood_change_is_vectorized():
    out = mv.livelihood_change(np.array([20_000.0, 10_000.0]), np.array([0.5, 1.0]),
                               np.array([5.0, 2.0]), np.array([2.0, 4.0]),
                               np.array([0.0, 1.0]), np.zeros(2), np.array([100.0, 0.0]),
                               800.0, 15.0, 0.1, 0.5)
    np.testing.assert_allclose(out, [-350.0, 1_600 - 5_000])


def test_annuity_repays_the_principal():
    p, rate, years = 100_000.0, 0.07, 10
    pmt = float(hhm.annuity(np.array([p]), rate, years)[0])
    r, n = rate / 12, 12 * years
    assert pmt == pytest.approx(p * r / (1 - (1 + r) ** -n))
    # the present value of the payments is the principal; the balance after n months is 0
    assert (pmt / (1 + r) ** np.arange(1, n + 1)).sum() == pytest.approx(p)
    bal = p
    for _ in range(n):
        bal = bal * (1 + r) - pmt
    assert bal == pytest.approx(0.0, abs=1e-6)
    assert float(hhm.annuity(np.array([p]), 0.0, years)[0]) == pytest.approx(p / n)
    assert float(hhm.annuity(np.array([0.0]), rate, years)[0]) == 0.0


@pytest.mark.parametrize("rate", [1e-6, 1e-12, 1e-17, 2.2250738585072014e-308])
def test_annuity_at_a_rate_near_zero_is_the_principal_over_the_months(rate):
    # regression: 1 − (1 + r)^−n is 0 in floating point once 1 + r rounds to 1, and the
    # payment came out inf or nan (found by the random-scenario invariants test)
    pmt = hhm.annuity(np.array([120_000.0]), rate, 10)
    assert np.isfinite(pmt).all()
    assert float(pmt[0]) == pytest.approx(1_000.0, rel=1e-5)


def test_months_in_distress_closed_form():
    th, g, term = 0.4, 0.05, 120.0
    dsr = np.array([0.3, 0.4, 0.5, 0.6, 3.0])
    months = mv.months_in_distress(dsr, th, g, term)
    assert months[0] == 0 and months[1] == 0          # at or below the threshold: none
    # income grows, the payment is fixed: dsr (1 + g)^(-m/12) reaches the threshold at m
    m = months[2]
    assert dsr[2] * (1 + g) ** (-m / 12) == pytest.approx(th)
    assert m == pytest.approx(12 * np.log(0.5 / 0.4) / np.log(1.05))
    assert months[3] == pytest.approx(12 * np.log(1.5) / np.log(1.05))
    assert months[4] == term                          # the loan ends first
    # without income growth distress lasts as long as the loan; growth per household works
    np.testing.assert_allclose(mv.months_in_distress(dsr[2:4], th, 0.0, term), [term, term])
    np.testing.assert_allclose(mv.months_in_distress(dsr[2:4], th, np.array([0.0, 0.05]), term),
                               [term, months[3]])


def test_return_month_closed_form_and_hazard():
    e = np.array([0.5, 0.5, 0.001, 3.0])
    worse = np.array([True, False, True, False])
    got = mv.return_month(10, worse, e, 0.1, 0.0)
    assert got[0] == 10 + np.ceil(0.5 / 0.1)          # 15
    assert np.isinf(got[1]) and np.isinf(got[3])      # hazard 0: never
    assert got[2] == 11                               # at least one month after the move
    # the share back within w months is 1 − exp(−h w)
    n, h, w = 100_000, 0.02, 24
    e = Streams(4).exponential("return", np.arange(n))
    back = mv.return_month(0, np.ones(n, bool), e, h, 0.0) <= w
    p = -np.expm1(-h * w)
    assert back.mean() == pytest.approx(p, abs=4 * np.sqrt(p * (1 - p) / n))


# ------------------------------------------------------------------ money over time
def _pop(n=20_000, **kw):
    sc = ruralsim.load_scenario(scenario(n, changes={"household_types.h": household_type(**kw)}))
    return sc.model, hhm.init_households(sc.model, Streams(9))


def test_saving_flow_saves_a_share_of_the_surplus_and_draws_down_a_deficit():
    sc, hh = _pop(1, saving_rate=0.25, living_cost_cny_per_person_per_year=2_000)
    size = np.array([3, 3], dtype=np.int8)
    flow = hhm.saving_flow(sc, np.zeros(2, np.int8), size, np.array([12_000.0, 3_000.0]))
    np.testing.assert_allclose(flow, [0.25 * 6_000 / 12, -3_000 / 12])


def test_savings_grow_by_the_flow_and_never_fall_below_zero():
    sc, hh = _pop(2)
    hh.savings_cny[:] = [1_000.0, 1_000.0]
    hh.flow_cny_pm[:] = [100.0, -300.0]
    np.testing.assert_allclose(hhm.savings_at(hh, np.arange(2), 5), [1_500.0, 0.0])
    hhm.yearly_update(sc, Streams(1), hh, np.arange(2), 1)
    np.testing.assert_allclose(hh.savings_cny, [2_200.0, 0.0])


def test_income_grows_on_trend_with_mean_preserving_yearly_shocks():
    g, sd = 0.08, 0.3
    sc, hh = _pop(income_growth_per_year=g, income_shock_sd=sd,
                  income_cny_per_year={"median": 20_000, "sigma": 0.0})
    idx = np.arange(hh.n)
    streams = Streams(9)
    np.testing.assert_allclose(hhm.income_at(sc, streams, hh, idx, 0), 20_000, rtol=1e-6)
    for year in (1, 5):
        inc = hhm.income_at(sc, streams, hh, idx, year)
        trend = 20_000 * (1 + g) ** year
        # lognormal shock with mean 1: E[income] = trend, sd of log income = sd
        assert inc.mean() == pytest.approx(trend, rel=4 * sd / np.sqrt(hh.n))
        assert np.log(inc).std() == pytest.approx(sd, rel=0.03)
        # a pure function of (household, year): asking again gives the same incomes
        np.testing.assert_array_equal(inc, hhm.income_at(sc, streams, hh, idx, year))
    a, b = (hhm.income_at(sc, streams, hh, idx, y) for y in (1, 2))
    assert abs(np.corrcoef(np.log(a), np.log(b))[0, 1]) < 0.05   # shocks independent by year


def test_compensation_by_floor_area_and_condition():
    sc = ruralsim.load_scenario(scenario(3, changes={
        "policy.compensation": {"cny_per_m2": 400.0, "condition_floor": 0.3},
        "behaviour.house_life_years": 30})).model
    hh = hhm.init_households(sc, Streams(1))
    hh.house_m2[:] = 100
    hh.house_built[:] = [0, -180, -600]        # new, 15 years old, 50 years old
    comp = hhm.compensation(sc, hh, np.arange(3), 0)
    np.testing.assert_allclose(comp, [40_000.0, 20_000.0, 12_000.0])
    value = hhm.remaining_house_value(sc, hh, np.arange(3), 0)
    vn = sc.household_types["h"].house_value_new_cny
    np.testing.assert_allclose(value, [vn, vn / 2, 0.0])
