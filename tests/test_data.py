"""Results as data: flat metrics with censoring flags, tidy tables, xarray datasets, plots,
baseline/reform comparisons and the winners-and-losers table."""
from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest

import ruralsim
from ruralsim.errors import UsageError
from ruralsim.experiments import compare_reform, replicate, winners_losers
from ruralsim.experiments.winners import paired_households, tabulate

SHORT = ["run.horizon_months=24"]


@pytest.fixture(scope="module")
def run():
    return ruralsim.simulate("teaching", seed=1, overrides=SHORT)


@pytest.fixture(scope="module")
def reps():
    return replicate("teaching", reps=3, seed=1, overrides=SHORT)


@pytest.fixture(scope="module")
def comp():
    return compare_reform("teaching", "teaching_naive", reps=3, seed=1, overrides=SHORT)


def test_metrics_are_flat_floats_with_nan_and_a_censoring_flag(run):
    m, c = run.metrics, run.censored
    assert all(isinstance(v, float) for v in m.values())
    assert m["share_moved"] == run.summary["share_moved"]
    assert m["by_type.poor.moved"] == run.summary["by_type"]["poor"]["moved"]
    # 24 months: 90% is not reached; the value is NaN and flagged censored
    assert run.summary["months_to_90pct_moved"] is None
    assert math.isnan(m["months_to_90pct_moved"]) and c["months_to_90pct_moved"] is True
    # flags exist only for the declared time-to-event metrics, and agree with the NaNs
    from ruralsim.metrics import info

    assert set(c) == {k for k in m if info(k) is not None and info(k).censored}
    assert all(math.isnan(m[k]) == flag for k, flag in c.items())
    # labels and text are not metrics
    assert "scenario" not in m and "seed" not in m and "version" not in m


def test_to_long_is_tidy_and_holds_the_same_numbers(run):
    long = run.to_long()
    assert list(long.columns) == ["month", "date", "variable", "value"]
    wide = long.pivot(index="month", columns="variable", values="value")
    assert (wide["n_ever_moved"].to_numpy() == run.timeseries["n_ever_moved"].to_numpy()).all()
    v = run.to_long("villages")
    assert {"month", "village", "community", "variable", "value"} == set(v.columns)
    present = v[v["variable"] == "n_present"].groupby("month")["value"].sum()
    ts = run.timeseries
    living = ts["n_in_village"] + ts["n_registered"] + ts["n_allocated"] + ts["n_returned"]
    np.testing.assert_array_equal(present.to_numpy(), living.to_numpy())
    mt = run.to_long("metrics")
    assert mt.set_index("metric").loc["share_moved", "value"] == run.summary["share_moved"]
    with pytest.raises(UsageError, match="timeseries"):
        run.to_long("nope")


def test_to_xarray_month_by_variable_and_village_by_month(run):
    ds = run.to_xarray()
    H = run.summary["horizon_months"]
    assert ds.sizes["month"] == H and ds.sizes["village"] == run.summary["villages"]
    assert ds["n_ever_moved"].dims == ("month",)
    np.testing.assert_array_equal(ds["n_ever_moved"].values, run.timeseries["n_ever_moved"])
    assert ds["village_n_present"].dims == ("village", "month")
    first = run.villages[run.villages["village"] == ds["village"].values[0]]
    np.testing.assert_array_equal(ds["village_n_present"].values[0], first["n_present"])
    assert float(ds["metric__share_moved"]) == run.summary["share_moved"]
    assert bool(ds["metric_censored__months_to_90pct_moved"]) is True


def test_to_xarray_without_xarray_says_how_to_install(run, monkeypatch):
    import sys

    monkeypatch.setitem(sys.modules, "xarray", None)
    with pytest.raises(UsageError, match=r"ruralsim\[xarray\]"):
        run.to_xarray()


def test_replications_metrics_long_and_xarray(reps):
    m, c = reps.metrics, reps.censored
    assert list(m.index) == [0, 1, 2] and m.dtypes.map(lambda d: d.kind == "f").all()
    assert c["months_to_90pct_moved"].all() and m["months_to_90pct_moved"].isna().all()
    np.testing.assert_array_equal(m["share_moved"], reps.summary["share_moved"])
    long = reps.to_long()
    assert list(long.columns) == ["rep", "month", "variable", "value"]
    ds = reps.to_xarray()
    assert ds["n_ever_moved"].dims == ("rep", "month")
    assert ds.sizes["rep"] == 3 and ds.sizes["month"] == 24
    np.testing.assert_array_equal(ds["metric__share_moved"].values, reps.summary["share_moved"])
    # the band of the Dataset is the band of the replications
    b = reps.bands("n_ever_moved")
    np.testing.assert_allclose(ds["n_ever_moved"].median("rep").values, b["q50"])


def test_comparison_names_baseline_and_reform(comp):
    assert comp.baseline == "teaching" and comp.reforms == ["teaching_naive"]
    d = comp.differences()
    row = d[d["metric"] == "share_moved"].iloc[0]
    t = comp.table
    want = t[(t["metric"] == "share_moved") & (t["scenario"] == "teaching_naive")].iloc[0]
    assert row["reform"] == "teaching_naive" and row["baseline"] == "teaching"
    assert row["diff_vs_baseline"] == want["diff_vs_first"]
    paired = (comp.metrics.loc["teaching_naive", "share_moved"]
              - comp.metrics.loc["teaching", "share_moved"]).mean()
    assert row["diff_vs_baseline"] == pytest.approx(paired)
    long = comp.to_long()
    assert set(long["role"]) == {"baseline", "reform"}
    assert set(long.loc[long["role"] == "baseline", "scenario"]) == {"teaching"}
    ds = comp.to_xarray()
    assert ds["n_ever_moved"].dims == ("scenario", "rep", "month")
    assert list(ds["role"].values) == ["baseline", "reform"]
    np.testing.assert_array_equal(ds["metric__share_moved"].sel(scenario="teaching_naive").values,
                                  comp.replications[1].summary["share_moved"])


def test_plots_return_figures_and_draw_on_a_given_axis(run, reps, comp):
    import matplotlib.pyplot as plt
    from matplotlib.figure import Figure

    for fig in (run.plot(), run.plot("cash", lang="en"), reps.plot(), comp.plot("n_waiting")):
        assert isinstance(fig, Figure) and fig.axes
        plt.close(fig)
    fig, ax = plt.subplots()
    assert run.plot("status", ax=ax) is fig and ax.collections
    assert reps.plot("n_ever_moved", ax=ax) is fig
    plt.close(fig)
    with pytest.raises(UsageError, match="kind"):
        run.plot("pie")
    with pytest.raises(UsageError, match="not among the time series kept"):
        reps.plot("no_such_series")


def test_winners_and_losers_partition_every_group():
    pairs = paired_households("teaching", "teaching_naive", reps=2, seed=1,
                              overrides=["run.horizon_months=36"])
    t = tabulate(pairs)
    everyone = t[(t["household_type"] == "all") & (t["income_group"] == "all")].iloc[0]
    assert everyone["households"] == 600
    shares = t[["share_gain", "share_lose", "share_unchanged"]]
    np.testing.assert_allclose(shares.sum(axis=1), 1.0)
    assert (shares >= 0).all().all()
    # income groups are quintiles of the same households
    per_group = pairs.groupby(["rep", "income_group"]).size().unstack()
    assert (per_group.to_numpy() == 120).all()
    # the gain is reform minus baseline, household by household
    g = pairs["change_reform_cny_per_year"] - pairs["change_baseline_cny_per_year"]
    np.testing.assert_array_equal(pairs["gain_cny_per_year"], g)
    row = t[(t["household_type"] == "poor") & (t["income_group"] == "all")].iloc[0]
    poor = pairs[pairs["household_type"] == "poor"]
    assert row["share_gain"] == pytest.approx((poor["gain_cny_per_year"] > 1.0).mean())
    assert row["moved_only_in_reform"] == pytest.approx(
        (poor["moved_reform"] & ~poor["moved_baseline"]).sum() / 2)


def test_a_reform_against_itself_has_no_winners_or_losers():
    t = winners_losers("teaching", "teaching", reps=1, seed=3,
                       overrides=["run.horizon_months=24"])
    assert (t["share_unchanged"] == 1.0).all() and (t["mean_gain_cny_per_year"] == 0).all()
    assert (t["moved_only_in_reform"] == 0).all()


def test_winners_and_losers_refuse_different_households():
    with pytest.raises(UsageError, match="same households"):
        paired_households("teaching", "nanpu", reps=1, seed=1,
                          overrides=["run.horizon_months=1"])
