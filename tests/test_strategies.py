"""Strategy and package mechanisms change the run in the direction they should."""
import numpy as np
import pytest

import ruralsim

TEACHING = "scenarios/teaching.yaml"


def test_village_batches_open_one_village_at_a_time():
    r = ruralsim.simulate(TEACHING, seed=1, keep_model=True, overrides=[
        "strategy.sequence.mode=batches", "strategy.sequence.batch_villages=1",
        "strategy.sequence.open_next_below_share=0.5"])
    hh = r.model.hh
    reg = hh.month_registered
    first_reg = [reg[(hh.village == v) & (reg >= 0)].min() if ((hh.village == v) & (reg >= 0)).any()
                 else 10**6 for v in range(6)]
    assert first_reg == sorted(first_reg)
    assert first_reg[1] > first_reg[0]
    # village 2 (index 1) opened only once village 1 had fallen below half of its households
    present = r.villages.pivot(index="month", columns="village", values="share_present")
    assert present["东村"].iloc[first_reg[1] - 1] < 0.5


def test_batches_with_every_village_in_one_batch_equal_all_at_once():
    a = ruralsim.simulate(TEACHING, seed=2)
    b = ruralsim.simulate(TEACHING, seed=2, overrides=["strategy.sequence.mode=batches",
                                                        "strategy.sequence.batch_villages=6"])
    assert a.summary["households_moved"] == b.summary["households_moved"]


def test_land_transfer_relief_raises_moves_of_far_villages():
    base = ruralsim.simulate(TEACHING, seed=3, overrides=["run.horizon_months=48"])
    relief = ruralsim.simulate(TEACHING, seed=3, overrides=[
        "run.horizon_months=48", "policy.instruments.0.field_distance_relief=1.0"])
    assert relief.timeseries["new_registrations"].sum() > base.timeseries["new_registrations"].sum()


def test_award_is_paid_once_when_the_milestone_is_reached():
    r = ruralsim.simulate(TEACHING, seed=1, overrides=[
        ("policy.awards", [{"name": "half", "moved_share": 0.5, "amount_cny": 1.0e6}])])
    ts = r.timeseries
    assert ts["rev_award_half_cny"].sum() == pytest.approx(1.0e6)
    paid = int(np.flatnonzero(ts["rev_award_half_cny"].to_numpy() > 0)[0])
    n = r.summary["households"]
    assert ts["n_moved"].iloc[paid - 1] >= 0.5 * n > ts["n_moved"].iloc[max(0, paid - 2)] - 1


@pytest.mark.parametrize("name", ["zhua_liangtou", "all_at_once", "voluntary", "early_withdrawal",
                                  "village_by_village", "middle_first"])
def test_every_strategy_file_loads(name):
    sc = ruralsim.load_scenario(f"scenarios/strategies/{name}.yaml")
    assert sc.model.strategy.name == name


def test_voluntary_pushes_nobody_and_early_withdrawal_pushes_more():
    short = ["run.horizon_months=120"]
    vol = ruralsim.simulate("scenarios/strategies/voluntary.yaml", seed=1, overrides=short)
    base = ruralsim.simulate("scenarios/strategies/zhua_liangtou.yaml", seed=1, overrides=short)
    early = ruralsim.simulate("scenarios/strategies/early_withdrawal.yaml", seed=1, overrides=short)
    assert vol.summary["households_pushed"] == 0
    assert early.summary["households_pushed"] > base.summary["households_pushed"] > 0
    assert early.summary["households_ever_stranded"] > base.summary["households_ever_stranded"]


@pytest.mark.parametrize("name", ["nanpu", "teaching", "nanjing_qinhuai"])
def test_every_builtin_scenario_runs_with_invariants(name):
    r = ruralsim.simulate(name, seed=1, check=True)
    assert r.summary["households_moved"] > 0


def test_expropriation_case_relocates_everyone_quickly():
    r = ruralsim.simulate("nanjing_qinhuai", seed=1)
    assert r.summary["share_moved"] > 0.98
    assert r.summary["months_to_90pct_moved"] < 48
    assert r.summary["cost_by_instrument_cny"]["expropriation_compensation"] == \
        90_000 * r.summary["households_moved"]
