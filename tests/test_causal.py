"""Causal answers (issue 12): counterfactual twins, the strategy decomposition, metamorphic
properties over seeds, and shipped strategies that do what their names say."""
import numpy as np
import pytest
from hypothesis import given, settings, strategies as st

import ruralsim
from ruralsim.counterfactual import TWINS, compare_twin
from ruralsim.experiments.decompose import decompose, main_effects

SHORT = [("run.horizon_months", 96)]


# ----------------------------------------------------------------------------- twins
def test_a_run_against_itself_as_twin_differs_by_zero():
    r = ruralsim.simulate("teaching", seed=4, overrides=SHORT, keep_model=True)
    mm = r.model.hh.month_moved
    cf = compare_twin("no_withdrawal", mm, mm.copy(), r.summary, r.summary, r.model.hh.htype,
                      r.model.type_names)
    assert cf["moved_only_in_run"] == cf["moved_only_in_twin"] == 0
    assert cf["mean_months_earlier"] == 0 and cf["exposure_household_months_difference"] == 0


@pytest.mark.parametrize("twin", sorted(TWINS))
def test_every_twin_runs_and_counts_households_exactly(twin):
    r = ruralsim.simulate("teaching", seed=2, overrides=SHORT, counterfactual=twin)
    cf = r.summary["counterfactual"]
    assert cf["twin"] == twin
    assert cf["moved_in_run"] == r.summary["households_moved"]
    assert cf["moved_in_twin"] == r.twin.summary["households_moved"]
    assert cf["moved_in_run"] - cf["moved_in_twin"] == \
        cf["moved_only_in_run"] - cf["moved_only_in_twin"]


def test_the_causal_count_is_not_the_old_label():
    """'Registered after withdrawal' counts everyone who happened to register after the cut;
    the twin counts those the cut made move. The causal count is never larger."""
    r = ruralsim.simulate("teaching", seed=5, counterfactual="no_withdrawal")
    cf = r.summary["counterfactual"]
    assert cf["households_moved_because_of_withdrawal"] <= \
        r.summary["households_registered_after_withdrawal"] + cf["moved_only_in_run"]
    assert r.summary["exposure_household_months"] >= r.twin.summary["exposure_household_months"]


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_without_withdrawal_nobody_moves_because_of_it(seed):
    r = ruralsim.simulate("teaching", seed=seed, overrides=SHORT + [
        ("strategy.withdrawal.enabled", False)], counterfactual="no_withdrawal")
    assert r.summary["households_registered_after_withdrawal"] == 0
    assert r.summary["counterfactual"]["moved_only_in_run"] == 0
    assert r.summary["exposure_household_months"] == 0


@settings(max_examples=4, deadline=None)
@given(seed=st.integers(0, 10_000))
def test_doubling_unit_prices_never_raises_uptake(seed):
    def moved(factor):
        sc = ruralsim.load_scenario("teaching")
        ov = list(SHORT)
        for i, c in enumerate(sc.model.communities):
            ov += [(f"communities.{i}.price_cny.apartment", c.price_cny.apartment * factor),
                   (f"communities.{i}.price_cny.courtyard", c.price_cny.courtyard * factor)]
        return ruralsim.simulate(sc, seed=seed, overrides=ov).timeseries
    base, dear = moved(1.0), moved(2.0)
    assert (dear["n_ever_moved"].to_numpy() <= base["n_ever_moved"].to_numpy()).all()
    assert dear["new_registrations"].sum() <= base["new_registrations"].sum()


# ----------------------------------------------------------------------------- decomposition
@pytest.fixture(scope="module")
def decomposition():
    return decompose("teaching", factors=("targeting", "priority", "withdrawal"), reps=3,
                     seed=1, overrides=SHORT)


def test_the_factorial_has_every_cell_for_every_replication(decomposition):
    cells = decomposition.cells
    assert len(cells) == 8 * 3
    assert cells.groupby(["targeting", "priority", "withdrawal"]).size().eq(3).all()


def test_main_effects_are_the_difference_of_cell_means(decomposition):
    cells, eff = decomposition.cells, main_effects(decomposition)
    for f in ("targeting", "withdrawal"):
        per_rep = (cells[cells[f] == 1].groupby("rep")["exposure_household_months"].mean()
                   - cells[cells[f] == 0].groupby("rep")["exposure_household_months"].mean())
        row = eff[(eff.effect == f) & (eff.metric == "exposure_household_months")].iloc[0]
        assert row["mean"] == pytest.approx(per_rep.mean())
        assert row["ci_low"] <= row["mean"] <= row["ci_high"]


def test_only_withdrawal_moves_households_because_of_withdrawal(decomposition):
    cells = decomposition.cells
    assert (cells.loc[cells.withdrawal == 0, "households_moved_because_of_withdrawal"] == 0).all()
    eff = main_effects(decomposition).set_index(["metric", "effect"])
    assert eff.loc[("exposure_household_months", "withdrawal"), "ci_low"] > 0


def test_a_component_the_strategy_lacks_is_refused():
    with pytest.raises(ruralsim.UsageError, match="sequencing"):
        decompose("teaching", factors=("sequencing",), reps=2)


def test_decompose_command_writes_effects_cells_and_figure(tmp_path):
    from ruralsim.cli import main

    out = tmp_path / "d"
    assert main(["decompose", "teaching", "--factors", "withdrawal", "targeting", "--reps", "2",
                 "--set", "run.horizon_months=36", "--out", str(out), "--quiet"]) == 0
    assert (out / "effects.csv").is_file() and (out / "cells.csv").is_file()
    assert (out / "figures" / "decomposition.png").is_file()


# ----------------------------------------------------------------------------- strategies
@pytest.fixture(scope="module")
def strategies():
    names = ["zhua_liangtou", "all_at_once", "voluntary", "early_withdrawal",
             "village_by_village", "middle_first"]
    return {n: ruralsim.simulate(f"scenarios/strategies/{n}.yaml", seed=7, keep_model=True)
            for n in names}


def test_both_ends_first_moves_the_two_ends_before_the_middle(strategies):
    med = strategies["zhua_liangtou"].summary["median_move_month_by_type"]
    assert max(med["wealthy"], med["urgent"]) < med["ordinary"]


def test_each_strategy_brings_its_targets_to_register_first(strategies):
    """Both ends first brings the wealthy and urgent to register earlier than all at once;
    middle first brings the ordinary and recently built. (Who *moves* first also depends on
    how many units there are: when supply is not rationed, priority changes little.)"""
    def undecided(name, t, month=47):
        return strategies[name].timeseries[f"n_in_village_{t}"].iloc[month]
    for t in ("wealthy", "urgent"):
        assert undecided("zhua_liangtou", t) < undecided("all_at_once", t)
    for t in ("ordinary", "recent"):
        assert undecided("middle_first", t) < undecided("zhua_liangtou", t)


def test_voluntary_never_withdraws_and_early_withdrawal_withdraws_earliest(strategies):
    first = {n: r.timeseries["n_villages_withdrawn"].to_numpy().nonzero()[0]
             for n, r in strategies.items()}
    assert first["voluntary"].size == 0
    assert first["early_withdrawal"][0] < first["zhua_liangtou"][0]


def test_all_at_once_targets_nobody_and_serves_in_registration_order(strategies):
    st_ = strategies["all_at_once"].scenario.strategy
    assert st_.outreach == [] and st_.priority == []


def test_village_by_village_opens_villages_community_by_community(strategies):
    from ruralsim.model.policy import village_batches

    r = strategies["village_by_village"]
    m = r.model
    batches = village_batches(r.scenario, m.vil.names)
    # batches of six, in the order of the communities' first phases, a community's villages
    # together: the community of the villages in opening order never goes back
    comm = np.concatenate([m.vil.community[b] for b in batches])
    first_phase = np.array([c.phases[0].earliest_month for c in r.scenario.communities])
    assert (np.diff(first_phase[comm]) >= 0).all()
    assert {len(b) for b in batches[:-1]} == {6}
    # and households of a later batch never register before the batch opens: the first
    # registration of each batch comes in batch order
    reg = m.hh.month_registered
    firsts = [reg[np.isin(m.hh.village, b) & (reg >= 0)].min() for b in batches
              if (np.isin(m.hh.village, b) & (reg >= 0)).any()]
    assert (np.diff(firsts) >= 0).all()
    # and it reaches the end: every batch opens and households of every batch move
    assert len(firsts) == len(batches)
    moved = m.hh.month_moved >= 0
    assert all(moved[np.isin(m.hh.village, b)].any() for b in batches)
