"""Trust: hostile input never crashes, the same question gets byte-identical answers, the
results do not move silently, and interrupted runs never leave half-written outputs."""
import importlib.util
import json
import math
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim.cli import main

ROOT = Path(__file__).resolve().parents[1]
TEACHING_TEXT = (ROOT / "scenarios" / "teaching.yaml").read_text(encoding="utf-8")
TEACHING_DATA = yaml.safe_load(TEACHING_TEXT)

# ---------------------------------------------------------------- hostile input (>= 2,000 cases)
hostile_scalars = st.one_of(
    st.none(), st.booleans(), st.integers(-10**30, 10**30), st.floats(),
    st.sampled_from([".nan", ".inf", "-.inf", "1e999", "0x7fffffffffffffff", "!!python/none",
                     "!!python/object/apply:os.system ['true']", "*alias", "&anchor x",
                     "[" * 50, "{a: 1, a: 2}", "~", "''", "\u202e", "\x00", "9" * 400]),
    st.text(max_size=12))


def _mutate(seed_ops):
    data = json.loads(json.dumps(TEACHING_DATA))
    for path_choice, op, value in seed_ops:
        node, keys = data, []
        for _ in range(path_choice % 4 + 1):
            if isinstance(node, dict) and node:
                k = sorted(node, key=str)[path_choice % len(node)]
            elif isinstance(node, list) and node:
                k = path_choice % len(node)
            else:
                break
            keys.append(k)
            parent, node = node, node[k]
        if not keys:
            continue
        if op == "set":
            parent[keys[-1]] = value
        elif op == "delete" and isinstance(parent, dict):
            parent.pop(keys[-1], None)
        elif op == "unknown" and isinstance(parent, dict):
            parent["zz_" + str(value)[:5]] = value
    return data


@settings(max_examples=1400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 10**6), st.sampled_from(["set", "delete", "unknown"]),
                          hostile_scalars), min_size=1, max_size=3),
       st.sampled_from(["yaml", "raw", "bytes"]), st.binary(max_size=40))
def test_mutated_scenario_files_validate_or_exit_2(tmp_path_factory, ops, form, junk):
    d = tmp_path_factory.mktemp("fz")
    f = d / "s.yaml"
    if form == "yaml":
        text = "extends: " + str(ROOT / "scenarios" / "household_types.yaml") + "\n" + \
            yaml.safe_dump(_mutate(ops), allow_unicode=True)
        f.write_text(text, encoding="utf-8")
    elif form == "raw":   # splice hostile text into the real file
        lines = TEACHING_TEXT.splitlines()
        i = ops[0][0] % len(lines)
        lines.insert(i, str(ops[0][2]))
        f.write_text("\n".join(lines).replace("extends: household_types.yaml",
                     "extends: " + str(ROOT / "scenarios" / "household_types.yaml")),
                     encoding="utf-8")
    else:
        f.write_bytes(TEACHING_TEXT.encode()[: ops[0][0] % 2000] + junk)
    _assert_clean_exit(["validate", str(f)])


def _assert_clean_exit(argv):
    import contextlib
    import io

    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        rc = main(argv)
    assert rc in (0, 2), (rc, err.getvalue())
    assert "Traceback" not in err.getvalue()
    if rc == 2:
        assert err.getvalue().strip()


PATHS = ["run.horizon_months", "run.seed", "government.opening_cash_cny",
         "behaviour.b_social_moved", "villages.0.households", "villages.9.households",
         "communities.0.phases.0.units.apartment",
         "household_types.wealthy.share", "strategy.priority", "policy.instruments.0",
         "land.quota.share", "nope", "run", "villages", "a..b", ".x", "villages.-1.name"]


@settings(max_examples=700, deadline=None, derandomize=True)
@given(st.sampled_from(PATHS), hostile_scalars)
def test_hostile_set_values_validate_or_exit_2(path, value):
    text = value if isinstance(value, str) else json.dumps(value) if not (
        isinstance(value, float) and not math.isfinite(value)) else str(value)
    _assert_clean_exit(["validate", str(ROOT / "scenarios" / "teaching.yaml"),
                        "--set", f"{path}={text}"])


def test_a_file_of_many_megabytes_is_refused_quickly(tmp_path):
    f = tmp_path / "big.yaml"
    f.write_text("description: '" + "x" * (12 * 2**20) + "'\n", encoding="utf-8")
    t0 = time.perf_counter()
    _assert_clean_exit(["validate", str(f)])
    assert time.perf_counter() - t0 < 30   # a sanity bound, not a benchmark


# ---------------------------------------------------------------- reproducibility
def _cli_run(out: Path, hashseed: str, *extra):
    env = dict(os.environ, PYTHONHASHSEED=hashseed)
    subprocess.run([sys.executable, "-m", "ruralsim.cli", "run", "--out", str(out), "--quiet",
                    "--no-figures", *extra], env=env, check=True, cwd=ROOT)


def test_same_scenario_and_seed_give_byte_identical_files_across_processes(tmp_path):
    _cli_run(tmp_path / "a", "1")
    _cli_run(tmp_path / "b", "98765")
    for name in ("timeseries.csv", "summary.json", "villages.csv", "scenario.json"):
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name


def test_a_run_in_a_pool_or_on_dask_equals_the_run_alone(tmp_path):
    from ruralsim.experiments import make_executor, replicate
    from ruralsim.rng import spawn_seeds

    seed = spawn_seeds(7, 3)[1]
    alone = ruralsim.simulate("nanpu", seed=seed)
    cols = ("n_moved", "cash_cny", "land_freed_mu", "financing_gap_cny")
    with make_executor(workers=2) as ex:
        pooled = replicate("nanpu", reps=3, seed=7, executor=ex, columns=cols)
    for c in cols:
        got = pooled.timeseries.query("rep == 1 and metric == @c")["value"].to_numpy()
        np.testing.assert_array_equal(got, alone.timeseries[c].to_numpy(dtype=float))
    row = pooled.summary.set_index("rep").loc[1]
    assert row["peak_financing_gap_cny"] == alone.summary["peak_financing_gap_cny"]
    if importlib.util.find_spec("distributed"):
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=1, threads_per_worker=1, dashboard_address=None) as cl, \
                Client(cl) as client:
            on_dask = replicate("nanpu", reps=3, seed=7, executor=client.get_executor(),
                                columns=cols)
        pd.testing.assert_frame_equal(on_dask.summary, pooled.summary)


def test_nanpu_summary_matches_the_regression_baseline():
    spec = importlib.util.spec_from_file_location("update", ROOT / "tests" / "baselines" / "update.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    base = json.loads(mod.PATH.read_text(encoding="utf-8"))
    now = json.loads(json.dumps(mod.current()))
    moved = {k: (base.get(k), now.get(k)) for k in set(base) | set(now)
             if base.get(k) != now.get(k)}
    assert not moved, ("the Nanpu results moved: " + "; ".join(
        f"{k}: {a} -> {b}" for k, (a, b) in sorted(moved.items())[:12]) +
        ". If this is intended, run python tests/baselines/update.py and say so in the commit.")


def test_nanpu_time_series_is_byte_identical_to_the_regression_baseline():
    """Every number of every month, not only the summary: the CSV of the time series and of
    the village table hash to the baseline's sha256."""
    spec = importlib.util.spec_from_file_location("update", ROOT / "tests" / "baselines" / "update.py")
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    base = json.loads(mod.TABLES.read_text(encoding="utf-8"))
    now = mod.table_hashes()
    assert set(base) == {"timeseries", "villages"}
    moved = sorted(k for k in base if base[k] != now[k])
    assert not moved, (f"the Nanpu {' and '.join(moved)} moved (sha256 differs). If this is "
                       "intended, run python tests/baselines/update.py and say so in the commit.")


# ---------------------------------------------------------------- safe outputs
@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_interrupted_run_keeps_the_previous_outputs_and_says_so(tmp_path, sig):
    out = tmp_path / "o"
    _cli_run(out, "0", "--set", "run.horizon_months=12")
    before = {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()}
    proc = subprocess.Popen([sys.executable, "-m", "ruralsim.cli", "run", "--out", str(out),
                             "--force", "--quiet"], cwd=ROOT, stderr=subprocess.PIPE, text=True)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".o.tmp-*")):
        time.sleep(0.01)
    proc.send_signal(sig)
    _, err = proc.communicate(timeout=60)
    if proc.returncode == 0:   # finished before the signal arrived: the new outputs are whole
        assert json.loads((out / "summary.json").read_text())["horizon_months"] == 180
    else:
        assert proc.returncode == 130
        assert "interrupted" in err and "Traceback" not in err
        assert {p.name: p.read_bytes() for p in out.iterdir() if p.is_file()} == before
    assert not list(tmp_path.glob(".o.tmp-*")) and not list(tmp_path.glob(".o.old-*"))
