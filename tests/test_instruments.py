"""Known-answer tests: each way an instrument enters the decision moves utility by the
amount the model says (DESIGN.md §3), and the budget by its cost."""
import numpy as np
import pytest

import ruralsim
from ruralsim.engine import Model

TEACHING = "scenarios/teaching.yaml"


def utilities(extra_instrument=None, month=5, overrides=()):
    sc = ruralsim.load_scenario(TEACHING, list(overrides)).model
    if extra_instrument is not None:
        sc = ruralsim.load_scenario(TEACHING, list(overrides) + [
            (f"policy.instruments.{len(sc.policy.instruments)}", extra_instrument)]).model
    m = Model(sc, 1)
    m._refresh_policy(month)
    idx = np.arange(m.hh.n)
    return m, m.utility(idx, month)


def test_utility_shift_adds_exactly_to_the_logit():
    _, base = utilities()
    _, more = utilities({"name": "x", "utility_shift": 0.7})
    np.testing.assert_allclose(more - base, 0.7, atol=1e-5)


def test_money_value_lowers_cost_by_b_cost_per_10k():
    m, base = utilities()
    _, more = utilities({"name": "x", "value_cny": 10_000})
    b = m.b
    diff = more - base
    # b_cost for everyone, plus b_gap where the household could not afford the move
    assert (diff >= b.b_cost_per_10k_cny - 1e-5).all()
    assert (diff <= b.b_cost_per_10k_cny + b.b_gap_per_10k_cny + 1e-5).all()
    affordable = m.affordability_gap(np.arange(m.hh.n), 5) == 0
    np.testing.assert_allclose(diff[affordable], b.b_cost_per_10k_cny, atol=1e-5)


def test_credit_only_helps_those_who_cannot_afford():
    m, base = utilities()
    idx = np.arange(m.hh.n)
    gap = m.affordability_gap(idx, 5)
    _, more = utilities({"name": "x", "credit_cny": 10_000})
    expected = m.b.b_gap_per_10k_cny * (gap - np.maximum(gap - 10_000, 0)) / 1e4
    np.testing.assert_allclose(more - base, expected, atol=1e-4)


def test_eligibility_limits_the_effect_to_chosen_types():
    m, base = utilities()
    _, more = utilities({"name": "x", "utility_shift": 1.0, "eligible": {"types": ["recent"]}})
    recent = np.array(m.type_names)[m.hh.htype] == "recent"
    np.testing.assert_allclose((more - base)[recent], 1.0, atol=1e-5)
    np.testing.assert_allclose((more - base)[~recent], 0.0, atol=1e-5)


def test_instrument_outside_its_months_has_no_effect():
    _, base = utilities()
    _, later = utilities({"name": "x", "utility_shift": 1.0, "start_month": 50})
    np.testing.assert_allclose(later, base)


def test_field_distance_relief_removes_that_share_of_the_distance_term():
    m, base = utilities()
    _, more = utilities({"name": "x", "field_distance_relief": 0.5})
    km = m.vil.field_km[m.hh.village]
    np.testing.assert_allclose(more - base, 0.5 * m.b.b_field_distance_per_km * km, atol=1e-5)


def test_common_random_numbers_make_a_pure_incentive_monotone():
    # same seed: everyone who registered without the incentive registers with it, no later
    base = ruralsim.simulate(TEACHING, seed=9, keep_model=True, overrides=["run.horizon_months=12"])
    more = ruralsim.simulate(TEACHING, seed=9, keep_model=True, overrides=[
        "run.horizon_months=12", ("policy.instruments.3", {"name": "x", "utility_shift": 0.5})])
    rb, rm = base.model.hh.month_registered, more.model.hh.month_registered
    had = rb >= 0
    assert (rm[had] >= 0).all() and (rm[had] <= rb[had]).all()
    assert (rm >= 0).sum() > had.sum()


@pytest.mark.parametrize("field,expected", [("cost_once_cny", 1500.0)])
def test_one_off_cost_is_paid_per_recipient(field, expected):
    r = ruralsim.simulate(TEACHING, seed=4, overrides=[
        ("policy.instruments.3", {"name": "x", field: expected, "eligible": {"types": ["wealthy"]}})])
    moved_wealthy = int(r.timeseries["n_moved_wealthy"].iloc[-1])
    assert r.summary["cost_by_instrument_cny"]["x"] == expected * moved_wealthy
    assert r.summary["cost_per_household_by_instrument_cny"]["x"] == pytest.approx(
        expected * moved_wealthy / r.summary["households_moved"])


def test_monthly_cost_runs_for_its_months_after_each_move():
    r = ruralsim.simulate(TEACHING, seed=4, overrides=[
        ("policy.instruments.3", {"name": "x", "cost_monthly_cny": 10.0, "cost_months": 6})])
    ts = r.timeseries
    moves = ts["new_moves"].to_numpy()
    expected = np.array([10.0 * moves[max(0, t - 6):t].sum() for t in range(len(ts))])
    np.testing.assert_allclose(ts["exp_instr_x_cny"].to_numpy(), expected)
