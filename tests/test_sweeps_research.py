"""Sweeps for research: policies x uncertainties, derived parameters, per-run time series,
shipped sweeps by name, a local dask cluster, and what a resumed sweep reports."""
from pathlib import Path

import pandas as pd
import pytest

import ruralsim
from ruralsim.cli import main
from ruralsim.errors import UsageError
from ruralsim.experiments import expressions
from ruralsim.experiments.executors import Progress, make_executor
from ruralsim.experiments.sweep import (SHIPPED_SWEEPS, build_design, load_sweep,
                                        resolve_sweep, run_sweep)

REPO = Path(__file__).resolve().parents[1]
TEACHING = (REPO / "scenarios" / "teaching.yaml").as_posix()

CROSSED = f"""base: {TEACHING}
overrides: {{run.horizon_months: 24}}
policies:
  parameters:
    strategy.withdrawal.threshold_share: [0.3, 0.5]
    policy.instruments.cash_subsidy.value_cny: [2000, 4000, 8000]
  design: {{method: grid}}
uncertainties:
  parameters:
    behaviour.b_social_moved: {{low: 0.5, high: 4.0}}
  design: {{method: lhs, samples: 2, seed: 3}}
derived:
  policy.instruments.cash_subsidy.cost_once_cny: "policy.instruments.cash_subsidy.value_cny * 1.5"
replications: 2
metrics: [share_moved, total_public_cost_cny]
"""


def _write(tmp_path, text, name="sweep.yaml"):
    f = tmp_path / name
    f.write_text(text, encoding="utf-8")
    return f


def test_a_crossed_design_runs_every_policy_in_every_world(tmp_path):
    spec, base = load_sweep(_write(tmp_path, CROSSED))
    d = build_design(spec, base)
    assert len(d) == (2 * 3) * 2                                  # policies x uncertainties
    pol = d[["strategy.withdrawal.threshold_share", "policy.instruments.cash_subsidy.value_cny"]]
    assert len(pol.drop_duplicates()) == 6
    worlds = d.groupby("policy")["behaviour.b_social_moved"].apply(tuple)
    assert worlds.nunique() == 1 and len(worlds.iloc[0]) == 2    # the same worlds each time
    assert list(d["uncertainty"]) == [0, 1] * 6 and list(d["policy"]) == sorted([*range(6)] * 2)
    # the tie between the subsidy and its cost, computed per point, kept as whole numbers
    cost = d["policy.instruments.cash_subsidy.cost_once_cny"]
    assert cost.dtype.kind == "i"
    assert (cost == d["policy.instruments.cash_subsidy.value_cny"] * 1.5).all()


def test_derived_parameters_reach_the_runs(tmp_path):
    table = ruralsim.sweep(_write(tmp_path, CROSSED.replace("samples: 2", "samples: 1")
                                  .replace("replications: 2", "replications: 1")),
                           tmp_path / "out")
    assert len(table) == 6 and (table["status"] == "ok").all()
    design = pd.read_csv(tmp_path / "out" / "design.csv")
    assert "policy.instruments.cash_subsidy.cost_once_cny" in design.columns
    # the cost paid follows the derived cost: the same policy with a dearer subsidy costs more
    by_value = table.groupby(["strategy.withdrawal.threshold_share",
                              "policy.instruments.cash_subsidy.value_cny"])[
        "total_public_cost_cny"].first().unstack()
    assert (by_value.diff(axis=1).iloc[:, 1:] > 0).all().all()


@pytest.mark.parametrize("edit, where, says", [
    (("derived:\n  policy.instruments.cash_subsidy.cost_once_cny: \"policy.instruments."
      "cash_subsidy.value_cny * 1.5\"", "derived:\n  policy.instruments.cash_subsidy."
      "cost_once_cny: \"__import__('os').system('x')\""), "sweep.yaml:13", "not allowed"),
    (("value_cny * 1.5", "value_cny * behaviour.b_service"), "sweep.yaml:13",
     "not a swept parameter"),
    (("policy.instruments.cash_subsidy.cost_once_cny:", "strategy.withdrawal.threshold_share:"),
     "sweep.yaml:13", "either swept or derived"),
    (("    behaviour.b_social_moved:", "    strategy.withdrawal.threshold_share:"),
     "sweep.yaml:10", "one space"),
    (("uncertainties:", "parameters: {behaviour.b_service: [1, 2]}\nuncertainties:"),
     "sweep.yaml:8", "cannot be used with policies"),
    (("design: {method: lhs, samples: 2, seed: 3}", "design: {method: morris}"),
     "uncertainties", "crossed design"),
])
def test_bad_crossed_or_derived_sweeps_are_refused_in_both_languages(tmp_path, capsys, edit,
                                                                      where, says):
    f = _write(tmp_path, CROSSED.replace(*edit))
    assert CROSSED.replace(*edit) != CROSSED
    assert main(["sweep", str(f), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert where in err and says in err and "Traceback" not in err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err)          # and in Chinese
    assert not (tmp_path / "o").exists()


def test_expressions_evaluate_arithmetic_only():
    e = expressions.parse("max(a.0.x * 2, 10) / 4 + round(b) - -1")
    assert expressions.names(e) == {"a.0.x", "b"}
    assert expressions.evaluate(e, {"a.0.x": 7, "b": 2.4}) == 14 / 4 + 2 + 1
    assert expressions.evaluate(expressions.parse("a"), {"a": "middle_first"}) == "middle_first"
    for bad in ["__import__('os')", "a.b()", "a[0]", "a if b else c", "lambda: 1", "'x'",
                "a < b", "round(a, 2)", "min(a)"]:
        with pytest.raises(expressions.ExpressionError):
            expressions.parse(bad)
    for text, values in [("a / b", {"a": 1, "b": 0}), ("10 ** 10 ** a", {"a": 10}),
                         ("a ** 0.5", {"a": -4}), ("a * 2", {"a": "x"})]:
        with pytest.raises(expressions.ExpressionError):
            expressions.evaluate(expressions.parse(text), values)


def test_a_derived_value_that_cannot_be_computed_names_the_point(tmp_path, capsys):
    f = _write(tmp_path, CROSSED.replace("policy.instruments.cash_subsidy.value_cny * 1.5",
                                         "1 / (policy.instruments.cash_subsidy.value_cny - 4000)"))
    assert main(["sweep", str(f), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "design point" in err and "value_cny=4000" in err and "除数为零" in err


def test_time_series_are_stored_in_long_form_beside_the_results(tmp_path):
    pytest.importorskip("pyarrow")
    f = _write(tmp_path, CROSSED.replace("samples: 2", "samples: 1")
               .replace("replications: 2", "replications: 1")
               + "timeseries: [n_moved, n_registered]\n")
    table = ruralsim.sweep(f, tmp_path / "out")
    ts = pd.read_parquet(tmp_path / "out" / "timeseries.parquet")
    assert list(ts.columns) == ["run_id", "month", "variable", "value"]
    assert len(ts) == len(table) * 24 * 2 and set(ts["variable"]) == {"n_moved", "n_registered"}
    one = ruralsim.simulate(TEACHING, seed=_seed(table, 3), overrides=_overrides(table, 3))
    got = ts[(ts.run_id == 3) & (ts.variable == "n_moved")]["value"].to_numpy()
    assert (got == one.timeseries["n_moved"].to_numpy()).all()
    # a resumed sweep keeps the series of the runs done before it stopped
    store = tmp_path / "out" / "runs.jsonl"
    store.write_text("\n".join(store.read_text().splitlines()[:2]) + "\n")
    (tmp_path / "out" / "timeseries.parquet").unlink()
    ruralsim.sweep(f, tmp_path / "out")
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "out" / "timeseries.parquet"), ts)


def _seed(table, i):
    from ruralsim.rng import spawn_seeds

    return spawn_seeds(1, 1)[int(table.loc[i, "rep"])]


def _overrides(table, i):
    keys = [c for c in table.columns if c.startswith(("strategy.", "policy.", "behaviour."))]
    return ["run.horizon_months=24"] + [f"{k}={table.loc[i, k]}" for k in keys]


def test_time_series_too_large_are_refused_before_anything_runs(tmp_path, capsys, monkeypatch):
    pytest.importorskip("pyarrow")
    from ruralsim.experiments import timeseries

    monkeypatch.setattr(timeseries, "MAX_TIMESERIES_VALUES", 500)
    f = _write(tmp_path, CROSSED + "timeseries: [n_moved]\n")
    assert main(["sweep", str(f), "--quiet", "--out", str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "24 runs x 24 months x 1 columns = 576 values, more than the limit of 500" in err
    assert "时间序列" in err
    assert not (tmp_path / "o").exists()
    assert main(["sweep", str(f), "--quiet", "--out", str(tmp_path / "o"),
                 "--timeseries", "n_moved,no_such_column"]) == 2
    assert "no_such_column" in capsys.readouterr().err


def test_shipped_sweeps_run_by_name(tmp_path, monkeypatch, capsys):
    assert resolve_sweep("withdrawal_grid") == SHIPPED_SWEEPS / "withdrawal_grid.yaml"
    assert resolve_sweep("withdrawal_grid.yaml") == SHIPPED_SWEEPS / "withdrawal_grid.yaml"
    spec, _ = load_sweep("withdrawal_grid")
    assert "strategy.withdrawal.threshold_share" in spec.parameters
    monkeypatch.chdir(tmp_path)
    assert main(["sweep", "policies_x_uncertainties", "--quiet", "--workers", "1"]) == 0
    table = pd.read_csv(tmp_path / "policies_x_uncertainties-out" / "results.csv")
    assert len(table) == 12 and (table["status"] == "ok").all()
    assert main(["sweep", "no_such_sweep", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "withdrawal_grid" in err and "内置扫描" in err


def test_a_local_dask_cluster_gives_the_same_results_as_the_pool(tmp_path):
    pytest.importorskip("dask.distributed")
    pytest.importorskip("pyarrow")
    f = _write(tmp_path, CROSSED.replace("samples: 2", "samples: 1") + "timeseries: [n_moved]\n")
    with make_executor(workers=2) as ex:
        pool = run_sweep(*load_sweep(f), tmp_path / "pool", ex, source=f)
    assert main(["sweep", str(f), "--quiet", "--out", str(tmp_path / "dask"),
                 "--scheduler", "local:2"]) == 0
    assert len(pool) == 12 and (pool["status"] == "ok").all()
    for name in ("results.csv", "design.csv"):
        assert (tmp_path / "dask" / name).read_bytes() == (tmp_path / "pool" / name).read_bytes()
    pd.testing.assert_frame_equal(pd.read_parquet(tmp_path / "dask" / "timeseries.parquet"),
                                  pd.read_parquet(tmp_path / "pool" / "timeseries.parquet"))
    with pytest.raises(UsageError, match="local:N"):
        with make_executor(scheduler="local:zero"):
            pass


def test_resume_reports_what_it_found_and_its_rate_counts_new_runs_only(tmp_path, capsys):
    f = _write(tmp_path, CROSSED.replace("samples: 2", "samples: 1")
               .replace("replications: 2", "replications: 1"))
    out = tmp_path / "out"
    ruralsim.sweep(f, out)
    store = out / "runs.jsonl"
    lines = store.read_text().splitlines()
    store.write_text("\n".join(lines[:4]) + "\n")                  # as if stopped after 4 runs
    capsys.readouterr()
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1"]) == 0
    err = capsys.readouterr().err
    assert "4 of 6 runs already done, 2 to do" in err and "已完成 4 次" in err
    assert len(store.read_text().splitlines()) == 6
    bar = Progress(10, "runs", enabled=True, initial=4)
    bar.bar.start_t -= 2.0                                          # two seconds ago
    bar.step(2)
    shown = bar.bar.format_dict
    assert shown["n"] == 6 and shown["initial"] == 4
    rate = (shown["n"] - shown["initial"]) / shown["elapsed"]
    assert 0.5 < rate < 1.01                                        # 2 new runs in 2 s, not 6
    bar.close()
