"""Whole-run behaviour and invariants (DESIGN.md §5) on the built-in scenarios."""
import numpy as np
import pandas as pd
import pytest

import ruralsim
from ruralsim.state import MOVED

TEACHING = "scenarios/teaching.yaml"


@pytest.fixture(scope="module")
def nanpu():
    return ruralsim.simulate("nanpu", seed=1, check=True, keep_model=True)


@pytest.fixture(scope="module")
def teaching():
    return ruralsim.simulate(TEACHING, seed=1, check=True, keep_model=True)


def test_invariants_hold_every_month_on_nanpu(nanpu):
    # check=True verified every invariant every month; the end state is consistent too
    ts = nanpu.timeseries
    statuses = ["n_in_village", "n_stranded", "n_registered", "n_allocated", "n_moved"]
    assert (ts[statuses].sum(axis=1) == nanpu.summary["households"]).all()


def test_cash_identity_holds_in_the_timeseries(nanpu):
    ts = nanpu.timeseries
    rev = ts.filter(regex=r"^rev_.*_cny$").sum(axis=1).cumsum()
    exp = ts.filter(regex=r"^exp_.*_cny$").sum(axis=1).cumsum()
    opening = nanpu.scenario.government.opening_cash_cny
    np.testing.assert_allclose(ts["cash_cny"], opening + rev - exp, atol=0.5)


def test_land_is_conserved_and_ordered(nanpu):
    ts = nanpu.timeseries
    assert (ts["land_reclaimed_mu"] <= ts["land_freed_mu"] + 1e-9).all()
    assert (ts["land_sold_mu"] <= ts["land_reclaimed_mu"] + 1e-9).all()
    assert (np.diff(ts["land_freed_mu"]) >= -1e-9).all()
    m = nanpu.model
    freed_from_households = (m.hh.status == MOVED) @ m.vil.homestead_mu_ph[m.hh.village]
    assert ts["land_freed_mu"].iloc[-1] == pytest.approx(freed_from_households)


def test_units_occupied_never_exceed_units_built(nanpu):
    ts = nanpu.timeseries
    built = ts["units_built_apartment"] + ts["units_built_courtyard"]
    assert (ts["units_occupied"] + ts["n_allocated"] <= built).all()
    assert (ts[["units_free_apartment", "units_free_courtyard"]] >= 0).all().all()


def test_nanpu_reproduces_the_broad_source_facts(nanpu):
    s = nanpu.summary
    assert 10_000 < s["households"] < 12_000
    assert s["villages"] == 28 and s["communities"] == 5
    assert s["land_freed_mu"] == pytest.approx(12_000, rel=0.1)  # source: about 12,000 mu
    assert s["first_community_registrations_per_planned_unit"] > 2  # source: far above plan


def test_zhua_liangtou_moves_the_two_ends_before_the_recently_built(nanpu):
    med = nanpu.summary["median_move_month_by_type"]
    assert med["wealthy"] < med["ordinary"] < med["recent"]
    assert med["urgent"] < med["recent"]
    assert nanpu.summary["households_pushed"] > 0


def test_same_seed_same_outputs_and_other_seed_differs():
    a = ruralsim.simulate(TEACHING, seed=4)
    b = ruralsim.simulate(TEACHING, seed=4)
    c = ruralsim.simulate(TEACHING, seed=5)
    pd.testing.assert_frame_equal(a.timeseries, b.timeseries)
    assert a.summary == b.summary
    assert not a.timeseries["n_moved"].equals(c.timeseries["n_moved"])


def test_registration_opens_when_the_scenario_says(teaching):
    ts = teaching.timeseries
    opens = teaching.scenario.policy.registration_opens_month
    assert ts["new_registrations"].iloc[:opens].sum() == 0
    assert ts["new_registrations"].iloc[opens:].sum() > 0


def test_no_withdrawal_means_nobody_is_pushed_or_stranded():
    r = ruralsim.simulate(TEACHING, seed=1, overrides=["strategy.withdrawal.enabled=false"])
    assert r.summary["households_pushed"] == 0
    assert r.summary["households_ever_stranded"] == 0
    assert r.summary["maintenance_saved_cny"] == 0
    with_w = ruralsim.simulate(TEACHING, seed=1)
    assert with_w.summary["share_moved"] > r.summary["share_moved"]


def test_financing_gap_delays_construction():
    rich = ruralsim.simulate(TEACHING, seed=1, overrides=["government.opening_cash_cny=1.0e+9"])
    poor = ruralsim.simulate(TEACHING, seed=1, overrides=[
        "government.opening_cash_cny=0", "government.borrowing.limit_cny=0"])
    def first_units(r):
        built = r.timeseries["units_built_apartment"] + r.timeseries["units_built_courtyard"]
        return int(np.flatnonzero(built.to_numpy() >= 400)[0]) if (built >= 400).any() else 10**6
    assert first_units(poor) > first_units(rich)
    assert rich.summary["peak_financing_gap_cny"] == 0


def test_borrowing_covers_shortfalls_up_to_the_limit(teaching):
    ts = teaching.timeseries
    limit = teaching.scenario.government.borrowing.limit_cny
    assert (ts["debt_cny"] <= limit + 1e-6).all()
    assert (ts["arrears_cny"][ts["debt_cny"] < limit - 1] <= 1e-6).all()


def test_study_tour_raises_apartment_requests_by_its_shift():
    base = ruralsim.simulate(TEACHING, seed=2, overrides=["policy.events.0.apartment_share_shift=0"])
    tour = ruralsim.simulate(TEACHING, seed=2, overrides=["policy.events.0.apartment_share_shift=0.1",
                                                          "policy.events.0.month=0"])
    diff = tour.summary["apartment_share_of_registrations"] - \
        base.summary["apartment_share_of_registrations"]
    assert 0.03 < diff < 0.2


def test_free_housing_helps_the_poor_move_and_costs_the_unit_price():
    off = ruralsim.simulate(TEACHING, seed=3, overrides=["policy.instruments.2.eligible.types=[]"])
    on = ruralsim.simulate(TEACHING, seed=3)
    assert on.summary["vulnerable_moved"] > off.summary["vulnerable_moved"]
    assert off.summary["cost_by_instrument_cny"]["free_housing_vulnerable"] == 0
    assert on.summary["cost_by_instrument_cny"]["free_housing_vulnerable"] >= \
        on.summary["vulnerable_moved"] * 100_000 * 0.99


def test_cash_subsidy_costs_exactly_its_amount_per_mover(teaching):
    cost = teaching.summary["cost_by_instrument_cny"]["cash_subsidy"]
    assert cost == 2000 * teaching.summary["households_moved"]


def test_construction_teams_limit_parallel_phases():
    one = ruralsim.simulate("nanpu", seed=1, overrides=["government.construction_teams=1",
                                                         "run.horizon_months=96"])
    assert one.timeseries["phases_building"].max() == 1
    many = ruralsim.simulate("nanpu", seed=1, overrides=["run.horizon_months=96"])
    assert many.timeseries["phases_building"].max() > 1


def test_timeseries_schema_is_stable(teaching):
    cols = set(teaching.timeseries.columns)
    for c in ["month", "date", "n_moved", "n_moved_wealthy", "new_registrations", "n_waiting",
              "units_built_apartment", "service_level_mean", "n_villages_withdrawn",
              "land_freed_mu", "land_reclaimed_mu", "land_sold_mu", "cash_cny", "debt_cny",
              "financing_gap_cny", "exp_construction_cny", "rev_county_transfer_cny"]:
        assert c in cols
    assert teaching.timeseries["date"].iloc[0] == "2010-01"
