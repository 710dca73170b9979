"""Experiments: replications, comparisons, executors, sweeps, resumption, sensitivity."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

import ruralsim
from ruralsim.cli import main
from ruralsim.experiments import SerialExecutor, compare, make_executor, replicate
from ruralsim.experiments.sweep import indices, load_sweep, run_sweep

TEACHING = "scenarios/teaching.yaml"
REPO = Path(__file__).resolve().parents[1]


def test_replications_use_spawned_child_seeds_and_stack_tidily():
    reps = replicate(TEACHING, reps=4, seed=3, columns=("n_moved", "cash_cny"))
    assert list(reps.summary["seed"]) == ["3/0", "3/1", "3/2", "3/3"]
    assert set(reps.timeseries.columns) == {"rep", "month", "metric", "value"}
    horizon = ruralsim.load_scenario(TEACHING).model.run.horizon_months
    assert len(reps.timeseries) == 4 * horizon * 2
    single = ruralsim.simulate(TEACHING, seed=np.random.SeedSequence(3).spawn(4)[2])
    np.testing.assert_array_equal(
        reps.timeseries.query("rep == 2 and metric == 'n_moved'")["value"].to_numpy(),
        single.timeseries["n_moved"].to_numpy())
    b = reps.bands("n_moved")
    assert (b["q05"] <= b["q50"]).all() and (b["q50"] <= b["q95"]).all()


def test_compare_reports_paired_differences_with_intervals():
    cmp = compare([TEACHING, TEACHING], reps=3, seed=1,
                  overrides=["run.horizon_months=60"])
    t = cmp.table
    assert cmp.names == ["teaching", "teaching#2"]
    second = t[t["scenario"] == "teaching#2"]
    # the same scenario with the same seeds: every paired difference is exactly zero
    assert (second["diff_vs_first"].fillna(0) == 0).all()
    first = t[(t["scenario"] == "teaching") & (t["metric"] == "share_moved")].iloc[0]
    assert first["p2_5"] <= first["mean"] <= first["p97_5"]


def _worlds_scenario(**behaviour):
    sc = ruralsim.load_scenario(TEACHING).model.model_dump(mode="python")
    sc["government"]["opening_cash_cny"] = 1.0e11     # money never binds
    for c in sc["communities"]:   # ample, committed housing: no competition between villages
        for ph in c["phases"]:
            ph["funding"] = "committed"
            ph["units"] = {"apartment": 2000, "courtyard": 2000}
            ph["min_registered_share"] = 0.0
    sc["behaviour"].update(behaviour)
    return sc


def _with_east_package(base):
    pkg = dict(base)
    pkg["policy"] = dict(base["policy"])
    pkg["policy"]["instruments"] = base["policy"]["instruments"] + [
        {"name": "only_east", "utility_shift": 1.5, "value_cny": 5000, "cost_once_cny": 3000,
         "eligible": {"villages": ["东村"]}}]
    return pkg


WORLD_FIELDS = ("month_registered", "month_allocated", "month_moved", "month_returned",
                "status", "kind", "flags", "debt_cny", "savings_cny", "income_cny")


def test_worlds_a_package_for_one_village_leaves_every_other_village_unchanged():
    # Philox streams keyed by household: with money and teams not binding, a twin run whose
    # policy differs in one village (东村) is identical for every household elsewhere
    base = _worlds_scenario()
    ra = ruralsim.simulate(base, seed=11, keep_model=True)
    rb = ruralsim.simulate(_with_east_package(base), seed=11, keep_model=True)
    a, b = ra.model.hh, rb.model.hh
    east = a.village == 0
    for field in WORLD_FIELDS:
        np.testing.assert_array_equal(getattr(a, field)[~east], getattr(b, field)[~east],
                                      err_msg=field)
    assert (b.month_registered[east] != a.month_registered[east]).any()
    assert (b.month_moved[east] != a.month_moved[east]).any()
    assert rb.summary["cost_by_instrument_cny"]["only_east"] > 0


def test_worlds_pooled_social_shares_reach_only_the_same_community():
    # pooling a village's shares with its community's (social_prior_households > 0) is a
    # documented channel between the villages of one community, never beyond it
    base = _worlds_scenario(social_prior_households=10.0)
    ra = ruralsim.simulate(base, seed=11, keep_model=True)
    rb = ruralsim.simulate(_with_east_package(base), seed=11, keep_model=True)
    a, b = ra.model.hh, rb.model.hh
    comm = ra.model.vil.community[a.village]
    east = a.village == 0
    other = comm != comm[east][0]
    assert other.sum() == 280
    for field in WORLD_FIELDS:
        np.testing.assert_array_equal(getattr(a, field)[other], getattr(b, field)[other],
                                      err_msg=field)
    neighbours = ~other & ~east
    assert (a.month_registered[neighbours] != b.month_registered[neighbours]).any()


def _summary_rows(executor):
    reps = replicate(TEACHING, reps=4, seed=5, executor=executor, columns=("n_moved",))
    return reps.summary.drop(columns=[]).sort_values("rep").reset_index(drop=True)


def test_results_identical_serial_and_process_pool():
    serial = _summary_rows(SerialExecutor())
    with make_executor(workers=2) as ex:
        pool = _summary_rows(ex)
    pd.testing.assert_frame_equal(serial, pool)


def test_results_identical_on_a_dask_cluster():
    distributed = pytest.importorskip("dask.distributed")
    serial = _summary_rows(SerialExecutor())
    with distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                  dashboard_address=None) as cluster, \
            distributed.Client(cluster) as client:
        dask_rows = _summary_rows(client.get_executor())
    pd.testing.assert_frame_equal(serial, dask_rows)


SWEEP = """base: {base}
parameters:
  behaviour.b_social_moved: {{low: 1.0, high: 5.0}}
  strategy.withdrawal.threshold_share: [0.3, 0.5]
design: {{method: grid, levels: 3}}
replications: 2
seed: 4
metrics: [share_moved, months_to_50pct_moved, households_registered_after_withdrawal]
"""


def _write_sweep(tmp_path, text=SWEEP):
    f = tmp_path / "sweep.yaml"
    f.write_text(text.format(base=(REPO / TEACHING).as_posix()), encoding="utf-8")
    return f


def test_sweep_grid_writes_one_row_per_run(tmp_path):
    f = _write_sweep(tmp_path)
    table = ruralsim.sweep(f, tmp_path / "out")
    assert len(table) == 3 * 2 * 2 and (table["status"] == "ok").all()
    assert sorted(table["behaviour.b_social_moved"].unique()) == [1.0, 3.0, 5.0]
    csv = pd.read_csv(tmp_path / "out" / "results.csv")
    assert list(csv["run_id"]) == list(range(12))
    if pytest.importorskip("pyarrow"):
        pq = pd.read_parquet(tmp_path / "out" / "results.parquet")
        assert len(pq) == 12


@pytest.mark.parametrize("method", ["lhs", "sobol"])
def test_sweep_qmc_designs_stay_in_range(tmp_path, method):
    f = _write_sweep(tmp_path, SWEEP.replace("method: grid, levels: 3",
                                             f"method: {method}, samples: 4"))
    spec, base_dir = load_sweep(f)
    from ruralsim.experiments.sweep import build_design

    d = build_design(spec, base_dir)
    assert len(d) == 4
    assert d["behaviour.b_social_moved"].between(1.0, 5.0).all()
    assert set(d["strategy.withdrawal.threshold_share"]) <= {0.3, 0.5}


def test_sweep_resumes_after_being_killed_and_matches_uninterrupted(tmp_path):
    f = _write_sweep(tmp_path, SWEEP.replace("levels: 3", "levels: 20").replace(
        "replications: 2", "replications: 4"))
    full = ruralsim.sweep(f, tmp_path / "full")
    out = tmp_path / "killed"
    cmd = [sys.executable, "-m", "ruralsim.cli", "sweep", str(f), "--out", str(out),
           "--workers", "1", "--quiet"]
    proc = subprocess.Popen(cmd, cwd=REPO, start_new_session=True)
    store = out / "runs.jsonl"
    deadline = time.time() + 60
    while time.time() < deadline:
        if store.exists() and len(store.read_text().splitlines()) >= 10:
            break
        time.sleep(0.05)
    os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    n_before = len(store.read_text().splitlines())
    assert 10 <= n_before < len(full)
    with open(store, "a") as fh:
        fh.write('{"run_id": 47, "status": "o')      # a torn line, as if killed mid-write
    assert main(["sweep", str(f), "--out", str(out), "--workers", "1", "--quiet"]) == 0
    lines = [json.loads(x) for x in store.read_text().splitlines() if x.endswith("}")]
    ids = [x["run_id"] for x in lines]
    assert len(ids) == len(set(ids)) == len(full)      # nothing lost, nothing repeated
    resumed = pd.read_csv(out / "results.csv")
    pd.testing.assert_frame_equal(resumed, pd.read_csv(tmp_path / "full" / "results.csv"))


def test_a_sweep_without_metrics_keeps_the_default_metrics_with_values(tmp_path):
    # regression: the defaults named summary keys of model 1 (households_pushed,
    # households_stranded_final) and those columns came out empty
    from ruralsim.experiments.sweep import SweepSpec

    f = _write_sweep(tmp_path, """base: {base}
overrides: {{run.horizon_months: 48}}
parameters:
  strategy.withdrawal.threshold_share: [0.5]
""")
    from ruralsim.experiments.runs import flatten

    table = ruralsim.sweep(f, tmp_path / "out")
    defaults = SweepSpec.model_fields["metrics"].get_default(call_default_factory=True)
    assert (table["status"] == "ok").all()
    summary = flatten(ruralsim.simulate(TEACHING, seed=1,
                                        overrides=["run.horizon_months=48"]).summary)
    for metric in defaults:
        assert metric in summary and metric in table.columns, metric
    measured = [m for m in defaults if summary[m] is not None]   # (90% is not reached)
    assert len(measured) >= len(defaults) - 1
    assert table[measured].notna().all().all()


def test_failed_runs_are_recorded_and_do_not_stop_the_sweep(tmp_path):
    f = _write_sweep(tmp_path, """base: {base}
parameters:
  run.horizon_months: [24, 0, 36]
replications: 1
metrics: [share_moved]
""")
    table = ruralsim.sweep(f, tmp_path / "out")
    assert list(table["status"]) == ["ok", "error", "ok"]
    assert "horizon_months" in table.loc[1, "error"]


def test_a_different_sweep_in_the_same_folder_is_refused(tmp_path, capsys):
    f = _write_sweep(tmp_path)
    ruralsim.sweep(f, tmp_path / "out")
    g = _write_sweep(tmp_path, SWEEP.replace("seed: 4", "seed: 5"))
    assert main(["sweep", str(g), "--out", str(tmp_path / "out"), "--quiet"]) == 2
    assert "different sweep" in capsys.readouterr().err


def test_bad_sweep_file_names_key_and_line(tmp_path, capsys):
    f = tmp_path / "bad.yaml"
    f.write_text("base: teaching\nreplications: 2\ndesgin: {method: grid}\n", encoding="utf-8")
    assert main(["sweep", str(f), "--quiet"]) == 2
    err = capsys.readouterr().err
    assert "bad.yaml:3" in err and "desgin" in err and "Traceback" not in err


def test_sobol_indices_of_the_ishigami_function():
    pytest.importorskip("SALib")
    from SALib.sample import sobol as sobol_sample

    problem = {"num_vars": 3, "names": ["x1", "x2", "x3"], "bounds": [[-np.pi, np.pi]] * 3}
    x = sobol_sample.sample(problem, 2048, calc_second_order=False, seed=1)
    y = np.sin(x[:, 0]) + 7 * np.sin(x[:, 1]) ** 2 + 0.1 * x[:, 2] ** 4 * np.sin(x[:, 0])
    res = {r["parameter"]: r for r in indices("salib_sobol", problem, x, y)}
    # analytical values (Ishigami & Homma 1990; a = 7, b = 0.1)
    assert res["x1"]["S1"] == pytest.approx(0.3139, abs=0.05)
    assert res["x2"]["S1"] == pytest.approx(0.4424, abs=0.05)
    assert res["x3"]["S1"] == pytest.approx(0.0, abs=0.05)
    assert res["x1"]["ST"] == pytest.approx(0.5576, abs=0.05)
    assert res["x3"]["ST"] == pytest.approx(0.2437, abs=0.05)


def test_sensitivity_sweep_writes_indices(tmp_path):
    pytest.importorskip("SALib")
    f = _write_sweep(tmp_path, """base: {base}
overrides: {{run.horizon_months: 60}}
parameters:
  behaviour.b_social_moved: {{low: 1.0, high: 5.0}}
  behaviour.b_service: {{low: 1.0, high: 5.0}}
design: {{method: morris, samples: 4}}
metrics: [share_moved]
""")
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--workers", "1",
                 "--quiet"]) == 0
    s = pd.read_csv(tmp_path / "o" / "sensitivity.csv")
    assert set(s["parameter"]) == {"behaviour.b_social_moved", "behaviour.b_service"}
    assert (s["mu_star"] >= 0).all()
    assert (tmp_path / "o" / "figures" / "sensitivity_share_moved.png").exists()


def test_cli_compare_writes_table_and_figures(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", TEACHING, "scenarios/strategies/voluntary.yaml", "--reps", "2",
                 "--workers", "1", "--set", "run.horizon_months=48", "--out", str(out),
                 "--quiet"]) == 0
    t = pd.read_csv(out / "compare.csv")
    assert set(t["scenario"]) == {"teaching", "voluntary"}
    assert (out / "figures" / "compare.png").exists()


def test_bands_of_a_series_not_kept_names_the_series_kept():
    from ruralsim.experiments import replicate

    reps = replicate("teaching", reps=2, seed=1)
    with pytest.raises(KeyError, match=r"no time series 'n_moved'.*kept: .*n_ever_moved"):
        reps.bands("n_moved")
    assert set(reps.bands("n_ever_moved").columns) >= {"month", "q05", "q50", "q95", "mean"}
