"""Known-answer tests: each way an instrument enters the decision moves the monthly log hazard
by the amount the model says (docs/model.md), and the budget by its cost."""
import numpy as np
import pytest

import ruralsim
from ruralsim.model import Model
from ruralsim.model.households import farm_share

TEACHING = "scenarios/teaching.yaml"


def log_hazards(extra_instrument=None, month=5, overrides=()):
    """The monthly log hazard of every household in ``month`` without the visible term W
    (W depends on the village and the month, never on instruments), and the affordability
    term (the part of the cost savings and credit do not cover, in log-hazard units)."""
    sc = ruralsim.load_scenario(TEACHING, list(overrides)).model
    if extra_instrument is not None:
        sc = ruralsim.load_scenario(TEACHING, list(overrides) + [
            (f"policy.instruments.{len(sc.policy.instruments)}", extra_instrument)]).model
    m = Model(sc, 1)
    idx = np.arange(m.hh.n)
    A, hv0, hslope, g0, gflow, _, _ = m.decision_terms(idx, month)
    gap = np.maximum(g0 - gflow * month, 0.0)      # months since the yearly update = month
    return m, A - np.maximum(hv0 - hslope * month, 0.0) - gap, gap


def test_utility_shift_adds_exactly_to_the_log_hazard():
    _, base, _ = log_hazards()
    _, more, _ = log_hazards({"name": "x", "utility_shift": 0.7})
    np.testing.assert_allclose(more - base, 0.7, atol=1e-5)


def test_money_value_lowers_cost_by_b_cost_per_10k_and_shrinks_the_gap():
    m, base, gap = log_hazards()
    _, more, _ = log_hazards({"name": "x", "value_cny": 10_000})
    b = m.b
    # b_cost for everyone, plus up to b_gap where the household could not afford the move
    expected = b.b_cost_per_10k_cny + gap - np.maximum(gap - b.b_gap_per_10k_cny, 0.0)
    np.testing.assert_allclose(more - base, expected, atol=1e-5)
    assert (gap == 0).any() and (gap > b.b_gap_per_10k_cny).any()   # both cases occur


def test_credit_only_helps_those_who_cannot_afford():
    m, base, gap = log_hazards()
    _, more, _ = log_hazards({"name": "x", "credit_cny": 10_000})
    expected = gap - np.maximum(gap - m.b.b_gap_per_10k_cny, 0.0)
    np.testing.assert_allclose(more - base, expected, atol=1e-5)
    assert (more - base)[gap == 0].max() == 0


def test_eligibility_limits_the_effect_to_chosen_types():
    m, base, _ = log_hazards()
    _, more, _ = log_hazards({"name": "x", "utility_shift": 1.0, "eligible": {"types": ["recent"]}})
    recent = np.array(m.type_names)[m.hh.htype] == "recent"
    np.testing.assert_allclose((more - base)[recent], 1.0, atol=1e-5)
    np.testing.assert_allclose((more - base)[~recent], 0.0, atol=1e-5)


def test_eligibility_by_income_limit():
    m, base, _ = log_hazards()
    _, more, _ = log_hazards({"name": "x", "utility_shift": 1.0,
                              "eligible": {"max_income_cny_per_year": 15_000}})
    low = m.hh.income_cny <= 15_000
    assert low.any() and (~low).any()
    np.testing.assert_allclose((more - base)[low], 1.0, atol=1e-5)
    np.testing.assert_allclose((more - base)[~low], 0.0, atol=1e-5)


def test_instrument_outside_its_months_has_no_effect():
    _, base, _ = log_hazards()
    _, later, _ = log_hazards({"name": "x", "utility_shift": 1.0, "start_month": 50})
    np.testing.assert_allclose(later, base)
    _, ended, _ = log_hazards({"name": "x", "utility_shift": 1.0, "end_month": 4})
    np.testing.assert_allclose(ended, base)


def test_field_distance_relief_removes_that_share_of_the_farming_distance_term():
    m, base, _ = log_hazards()
    _, more, _ = log_hazards({"name": "x", "field_distance_relief": 0.5})
    km = m.vil.field_km[m.hh.village]
    farm = farm_share(m.hh)                 # the household's share of income from farming
    np.testing.assert_allclose(more - base, 0.5 * m.b.b_farm_distance_per_km * farm * km,
                               atol=1e-5)


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
    # every wealthy household that ever moved received it (moved, two homes or returned)
    moved_wealthy = r.summary["by_type"]["wealthy"]["moved"]
    assert r.summary["months_household_payments_deferred"] == 0
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
