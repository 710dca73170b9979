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


# ---------------------------------------------------------------- issue 18
def _error_instances():
    from ruralsim.model.loop import InvariantError
    from ruralsim.errors import ArgumentTypeError, Issue, RuralsimError, ScenarioError, UsageError
    from ruralsim.report.html import PdfError

    issues = [Issue("a.yaml", "run.seed", "must be a whole number", 3, 5),
              Issue("b.csv", "", "empty CSV", 1)]
    return [ScenarioError(issues), UsageError("bad --out / 输出目录"), RuralsimError("x y"),
            ArgumentTypeError("packages must be a list"), PdfError("no PDF"),
            InvariantError("month 3: counts")]


def _raise(i):
    raise _error_instances()[i]


def _same_error(got, want):
    assert type(got) is type(want) and str(got) == str(want) and got.args == want.args
    assert getattr(got, "issues", None) == getattr(want, "issues", None)


def test_every_error_type_crosses_a_process_boundary_intact():
    from concurrent.futures import ProcessPoolExecutor

    errors = _error_instances()
    with ProcessPoolExecutor(1) as ex:
        for i, want in enumerate(errors):
            with pytest.raises(type(want)) as info:
                ex.submit(_raise, i).result()
            _same_error(info.value, want)
    if importlib.util.find_spec("distributed"):
        from dask.distributed import Client, LocalCluster

        with LocalCluster(n_workers=1, threads_per_worker=1, processes=True,
                          dashboard_address=None) as cl, Client(cl) as client:
            for i, want in enumerate(errors):
                with pytest.raises(type(want)) as info:
                    client.submit(_raise, i, pure=False).result()
                _same_error(info.value, want)


def test_results_xlsx_is_byte_identical_across_identical_runs(tmp_path):
    pytest.importorskip("openpyxl")
    for name in ("a", "b"):
        subprocess.run([sys.executable, "-m", "ruralsim.cli", "run", "teaching", "--out",
                        str(tmp_path / name), "--quiet", "--no-figures", "--xlsx",
                        "--set", "run.horizon_months=12"], check=True, cwd=ROOT)
        time.sleep(1.1)   # the workbook used to carry the time it was written
    assert (tmp_path / "a" / "results.xlsx").read_bytes() == \
        (tmp_path / "b" / "results.xlsx").read_bytes()


def test_ctrl_c_while_importing_ends_quietly():
    code = ("import sys\n"
            "class Stop:\n"
            "    def find_spec(self, name, path=None, target=None):\n"
            "        if name == 'numpy':\n"
            "            raise KeyboardInterrupt\n"
            "sys.meta_path.insert(0, Stop())\n"
            "from ruralsim.entry import main\n"
            "sys.exit(main(['validate', 'teaching']))\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                          cwd=ROOT)
    assert proc.returncode == 130, proc.stderr
    assert "Traceback" not in proc.stderr and "interrupted" in proc.stderr


def test_importing_the_package_loads_no_model():
    proc = subprocess.run([sys.executable, "-c", "import sys, ruralsim; "
                           "print('numpy' in sys.modules, callable(ruralsim.simulate)); "
                           "import ruralsim.simulate; print(callable(ruralsim.simulate))"],
                          capture_output=True, text=True, cwd=ROOT, check=True)
    assert proc.stdout.split() == ["False", "True", "True"]


def test_a_huge_subsidy_keeps_every_invariant():
    # a 10-million-yuan subsidy made the log hazard overflow float32 in exp (month 31)
    r = ruralsim.simulate("nanpu", overrides=["policy.instruments.cash_or_cement.value_cny="
                                              "10000000", "run.horizon_months=40"], check=True)
    assert r.summary["households_ever_registered"] > 0


def test_the_hazard_step_never_hands_exp_an_overflow():
    from ruralsim.model.decisions import LOG_HAZARD_CAP

    assert np.isfinite(np.exp(np.float32(LOG_HAZARD_CAP)))
    # Exp(1) thresholds are below 45; one month at the cap crosses every one of them
    assert np.exp(np.float32(LOG_HAZARD_CAP)) > 45


def test_village_batches_follow_a_long_order_then_the_rest():
    from ruralsim.model.policy import village_batches

    n, named = 20_000, 10_000
    names = [f"v{i}" for i in range(n)]
    order = names[::-1][:named]

    from types import SimpleNamespace as NS

    sc = NS(strategy=NS(sequence=NS(mode="batches", order=order, batch_villages=1000)))
    batches = village_batches(sc, names)
    idx = np.concatenate(batches)
    assert len(batches) == 20 and idx.size == n and np.unique(idx).size == n
    assert [names[i] for i in idx[:named]] == order
    assert idx[named:].tolist() == list(range(n - named))
