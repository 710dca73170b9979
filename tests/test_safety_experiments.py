"""Issue 9, experiments: sweeps, comparisons and executors are safe with any input and folder.

Sweeps here run the built-in ``teaching`` scenario over 12 months (a few hundredths of a
second a run), so that even the tests that kill processes stay short.
"""
import importlib
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruralsim.cli import main
from ruralsim.errors import RuralsimError, ScenarioError, UsageError
from ruralsim.experiments import executors, replicate
from ruralsim.experiments import runs as runs_module

# the package's sweep() function shadows the module of the same name
sweep_mod = importlib.import_module("ruralsim.experiments.sweep")
REPO = Path(__file__).resolve().parents[1]
LINUX = sys.platform.startswith("linux")

SMALL = """base: teaching
overrides: {{run.horizon_months: 12}}
parameters:
  behaviour.b_social_moved: [{values}]
replications: 1
metrics: [share_moved, households_registered_after_withdrawal]
"""


def _sweep_file(folder: Path, values="1.0, 2.0, 3.0", text=SMALL, name="s.yaml") -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    f = folder / name
    f.write_text(text.format(values=values), encoding="utf-8")
    return f


def _run(f: Path, out: Path, *extra: str) -> int:
    return main(["sweep", str(f), "--out", str(out), "--workers", "1", "--quiet", *extra])


def _store_ids(out: Path) -> list[int]:
    return [json.loads(x)["run_id"] for x in (out / "runs.jsonl").read_text().splitlines()]


def _no_traceback(capsys) -> str:
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return err


# ----------------------------------------------------------------------------- 1. folders
@pytest.mark.parametrize("where", [".", ".."])
def test_sweep_refuses_the_current_folder_and_its_parents(tmp_path, monkeypatch, capsys, where):
    work = tmp_path / "work"
    f = _sweep_file(tmp_path / "sweeps")
    work.mkdir()
    (work / "design.csv").write_text("mine\n", encoding="utf-8")
    monkeypatch.chdir(work)
    assert _run(f, Path(where)) == 2
    assert "current folder" in _no_traceback(capsys)
    assert (work / "design.csv").read_text(encoding="utf-8") == "mine\n"
    assert sorted(os.listdir(work)) == ["design.csv"]


def test_sweep_refuses_home_and_root(tmp_path, monkeypatch, capsys):
    home = tmp_path / "home"
    home.mkdir()
    monkeypatch.setenv("HOME", str(home))
    f = _sweep_file(tmp_path / "sweeps")
    assert _run(f, home) == 2
    assert "home folder" in _no_traceback(capsys)
    assert _run(f, Path("/")) == 2
    assert "root" in _no_traceback(capsys)
    assert os.listdir(home) == []


def test_sweep_refuses_a_folder_holding_its_inputs(tmp_path, capsys):
    proj = tmp_path / "proj"
    (proj / "base").mkdir(parents=True)
    shutil.copy(REPO / "scenarios" / "teaching.yaml", proj / "base" / "b.yaml")
    f = _sweep_file(proj / "sweeps", text=SMALL.replace("base: teaching", "base: ../base/b.yaml"))
    for out in (proj / "sweeps", proj / "base", proj):   # the sweep file, the base, both
        assert _run(f, out) == 2
        assert "input file" in _no_traceback(capsys)
    assert sorted(os.listdir(proj / "sweeps")) == ["s.yaml"]
    assert sorted(os.listdir(proj / "base")) == ["b.yaml"]


def test_sweep_never_overwrites_a_users_folder_even_with_force(tmp_path, capsys):
    f = _sweep_file(tmp_path / "sweeps")
    user = tmp_path / "analysis"
    user.mkdir()
    for name in ("results.csv", "design.csv"):
        (user / name).write_text("my work\n", encoding="utf-8")
    assert _run(f, user) == 2
    assert "not a sweep folder" in _no_traceback(capsys)
    assert _run(f, user, "--force") == 2
    _no_traceback(capsys)
    assert sorted(os.listdir(user)) == ["design.csv", "results.csv"]
    assert (user / "results.csv").read_text(encoding="utf-8") == "my work\n"


def test_a_different_sweep_is_replaced_only_with_force_and_only_its_own_files(tmp_path, capsys):
    f = _sweep_file(tmp_path / "a")
    out = tmp_path / "out"
    assert _run(f, out) == 0
    g = _sweep_file(tmp_path / "b", values="4.0, 5.0")
    assert _run(g, out) == 2
    assert "different sweep" in _no_traceback(capsys)
    (out / "notes.txt").write_text("keep me", encoding="utf-8")
    assert _run(g, out, "--force") == 2          # a file ruralsim did not write: refused
    assert "notes.txt" in _no_traceback(capsys)
    assert len(pd.read_csv(out / "results.csv")) == 3      # the old sweep is intact
    (out / "notes.txt").unlink()
    assert _run(g, out, "--force") == 0
    res = pd.read_csv(out / "results.csv")
    assert list(res["behaviour.b_social_moved"]) == [4.0, 5.0] and _store_ids(out) == [0, 1]


def test_resuming_the_same_sweep_into_its_folder_still_works(tmp_path):
    f = _sweep_file(tmp_path)
    out = tmp_path / "out"
    assert _run(f, out) == 0
    first = (out / "results.csv").read_bytes()
    assert _run(f, out) == 0 and _run(f, out, "--force") == 0
    assert (out / "results.csv").read_bytes() == first and _store_ids(out) == [0, 1, 2]


def test_check_sweep_out_is_one_function_with_the_whole_rule(tmp_path):
    inp = tmp_path / "in" / "s.yaml"
    inp.parent.mkdir()
    inp.touch()
    check = sweep_mod.check_sweep_out
    assert check(tmp_path / "new", inputs=[inp]) == "new"
    (tmp_path / "empty").mkdir()
    assert check(tmp_path / "empty", inputs=[inp]) == "new"
    (tmp_path / "file").touch()
    for bad in (tmp_path / "file", tmp_path / "in", tmp_path):
        with pytest.raises(UsageError):
            check(bad, force=True, inputs=[inp])


@settings(max_examples=80, deadline=None)
@given(st.lists(st.sampled_from([".", "..", "proj", "sweeps", "home", "out", "s.yaml", "x"]),
                min_size=1, max_size=4), st.booleans())
def test_no_choice_of_output_folder_swallows_inputs_the_current_folder_or_home(parts, force):
    root = Path(tempfile.mkdtemp()).resolve()
    (root / "home").mkdir()
    (root / "proj" / "sweeps").mkdir(parents=True)
    sweep_file = root / "proj" / "sweeps" / "s.yaml"
    sweep_file.touch()
    old_cwd, old_home = os.getcwd(), os.environ.get("HOME")
    try:
        os.chdir(root / "proj")
        os.environ["HOME"] = str(root / "home")
        try:
            sweep_mod.check_sweep_out(Path(*parts), force, inputs=[sweep_file])
        except UsageError:
            return
        real = Path(*parts).resolve()
        for kept in (root / "proj", root / "home", sweep_file):
            assert real != kept and real not in kept.parents
    finally:
        os.chdir(old_cwd)
        if old_home is None:
            os.environ.pop("HOME", None)
        else:
            os.environ["HOME"] = old_home
        shutil.rmtree(root)


# ----------------------------------------------------------------------------- 2. named files
def _villages_csv(folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    p = folder / "v.csv"
    p.write_text("name,households,community\n东村,40,新村\n西村,30,新村\n", encoding="utf-8")
    return p


@pytest.mark.parametrize("where", ["parameters", "overrides"])
def test_village_files_named_in_a_sweep_follow_the_scenario_folder_rule(tmp_path, capsys,
                                                                         where):
    outside = _villages_csv(tmp_path / "elsewhere")
    for ref in (outside.as_posix(), "../elsewhere/v.csv"):
        if where == "parameters":
            text = (f"base: teaching\noverrides: {{run.horizon_months: 12}}\n"
                    f"parameters:\n  villages: [{{file: {ref}}}]\n")
        else:
            text = (f"base: teaching\noverrides: {{run.horizon_months: 12, villages: "
                    f"{{file: {ref}}}}}\nparameters: {{behaviour.b_social_moved: [1.0, 2.0]}}\n")
        f = _sweep_file(tmp_path / "proj", text=text.replace("{", "{{").replace("}", "}}"))
        assert _run(f, tmp_path / "out") == 2
        err = _no_traceback(capsys)
        assert "outside" in err and "v.csv" in err
        assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_a_village_file_beside_the_sweep_file_is_read_relative_to_it(tmp_path, monkeypatch):
    _villages_csv(tmp_path / "proj")
    text = ("base: teaching\noverrides: {run.horizon_months: 12}\n"
            "parameters:\n  villages: [{file: v.csv}]\nmetrics: [share_moved]\n")
    f = _sweep_file(tmp_path / "proj", text=text.replace("{", "{{").replace("}", "}}"))
    monkeypatch.chdir(tmp_path)               # not the sweep's folder
    assert _run(f, tmp_path / "out") == 0
    assert (pd.read_csv(tmp_path / "out" / "results.csv")["status"] == "ok").all()


def test_a_design_table_outside_the_sweep_folder_is_refused(tmp_path, capsys):
    (tmp_path / "t.csv").write_text("behaviour.b_social_moved\n1.0\n", encoding="utf-8")
    text = SMALL.replace("parameters:\n  behaviour.b_social_moved: [{values}]\n",
                         "design: {{method: table, file: ../t.csv}}\n")
    f = _sweep_file(tmp_path / "proj", text=text)
    assert _run(f, tmp_path / "out") == 2
    assert "outside" in _no_traceback(capsys)


# ----------------------------------------------------------------------------- 3. no tracebacks
TABLE_SWEEP = """base: teaching
overrides: {{run.horizon_months: 12}}
design: {{method: table, file: t.csv}}
metrics: [share_moved]
"""


@pytest.mark.parametrize("content, says", [
    (b"", "empty"),
    (b"\n\n", "empty"),
    (b"behaviour.b_social_moved\n", "no rows"),
    (b"behaviour.b_social_moved,run.seed\n1.0\n", "cells"),
    (b"behaviour.b_social_moved,behaviour.b_social_moved\n1.0,2.0\n", "duplicate"),
    (b"behaviour.b_social_moved,\n1.0,2\n", "no name"),
    (b"behaviour.b_social_moved,run.seed\n1.0,\n", "empty cell"),
    (b"behaviour.b_social_moved\n\xff\xfe\n", "UTF-8"),
    (b'behaviour.b_social_moved\n"1.0\n', ""),
])
def test_malformed_design_tables_give_a_message(tmp_path, capsys, content, says):
    f = _sweep_file(tmp_path, text=TABLE_SWEEP)
    (tmp_path / "t.csv").write_bytes(content)
    assert _run(f, tmp_path / "out") == 2
    err = _no_traceback(capsys)
    assert "t.csv" in err and says in err


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="needs FIFOs")
def test_a_design_table_that_is_a_fifo_is_refused_without_hanging(tmp_path, capsys):
    f = _sweep_file(tmp_path, text=TABLE_SWEEP)
    os.mkfifo(tmp_path / "t.csv")
    assert _run(f, tmp_path / "out") == 2
    assert "regular file" in _no_traceback(capsys)


@settings(max_examples=60, deadline=None)
@given(st.lists(st.lists(st.sampled_from(["behaviour.b_social_moved", "run.seed", "1.5", "2", "",
                                          " ", '"', "a,b", "x\ny", "\r", "é"]),
                         max_size=4), max_size=5))
def test_any_design_table_is_read_or_refused_with_a_scenario_error(rows):
    d = Path(tempfile.mkdtemp())
    try:
        p = d / "t.csv"
        p.write_text("\n".join(",".join(r) for r in rows), encoding="utf-8")
        try:
            table = sweep_mod.read_design_table(p)
        except ScenarioError as exc:
            assert "t.csv" in str(exc)
        else:
            assert len(table) >= 1 and table.columns.is_unique
            assert all(c.strip() for c in table.columns)
    finally:
        shutil.rmtree(d)


@pytest.mark.parametrize("address", ["garbage", "tcp://", "tcp://host:notaport", ":::",
                                     "tcp://host:0", "tcp://host:99999", "ftp://host:1",
                                     "tcp://a b:1", "tcp://::1:8786", ""])
def test_malformed_scheduler_addresses_give_a_message(tmp_path, capsys, address):
    f = _sweep_file(tmp_path)
    t = time.perf_counter()
    assert main(["sweep", str(f), "--out", str(tmp_path / "o"), "--scheduler", address,
                 "--quiet"]) == 2
    assert "--scheduler" in _no_traceback(capsys) and time.perf_counter() - t < 10
    assert not (tmp_path / "o").exists()


def test_well_formed_scheduler_addresses_pass_the_check():
    ok = executors.check_scheduler_address
    assert ok("10.0.0.5:8786") == "tcp://10.0.0.5:8786"
    assert ok("tls://node-3.cluster:8786") == "tls://node-3.cluster:8786"
    assert ok("tcp://[::1]:8786") == "tcp://[::1]:8786"


# ----------------------------------------------------------------------------- the run store
@pytest.fixture(scope="module")
def finished_sweep(tmp_path_factory):
    d = tmp_path_factory.mktemp("done")
    f = _sweep_file(d)
    assert _run(f, d / "out") == 0
    return f, d / "out"


HOSTILE_LINES = [b"[1]", b"null", b"1e400", b"{}", b'{"run_id": 1e400}', b'{"run_id": -1}',
                 b'{"run_id": 10000000000000000000000}', b'{"run_id": "0", "status": "ok"}',
                 b'{"run_id": true, "status": "ok"}', b'{"run_id": 0}', b'{"status": "ok"}',
                 b'{"run_id": 0, "status": "weird"}', b"\xff\xfe\xfd", b"[" * 100_000,
                 b'{"run_id": 1, "status": "o', b'"just a string"', b"NaN", b"-Infinity"]


def _resume_with(finished, lines: list[bytes], tail: bytes = b"") -> Path:
    f, done = finished
    out = Path(tempfile.mkdtemp()) / "out"
    shutil.copytree(done, out)
    good = (out / "runs.jsonl").read_bytes().splitlines()
    mixed = [good[0]] + lines[: len(lines) // 2] + good[1:] + lines[len(lines) // 2:]
    (out / "runs.jsonl").write_bytes(b"\n".join(mixed) + b"\n" + tail)
    spec, base_dir = sweep_mod.load_sweep(f)
    table = sweep_mod.run_sweep(spec, base_dir, out, source=f)
    assert (table["status"] == "ok").all()
    return out


def test_resume_skips_every_kind_of_bad_store_line_and_says_so_once(finished_sweep, capsys):
    out = _resume_with(finished_sweep, HOSTILE_LINES, tail=b'{"run_id": 2, "sta')
    err = _no_traceback(capsys)
    assert f"skipped {len(HOSTILE_LINES) + 1} unusable line" in err
    assert (out / "results.csv").read_bytes() == (finished_sweep[1] / "results.csv").read_bytes()
    assert _store_ids(out) == [0, 1, 2]              # the store is clean again
    assert _run(finished_sweep[0], out) == 0
    assert "skipped" not in _no_traceback(capsys)    # said once, not at every resume
    shutil.rmtree(out.parent)


JSON = st.recursive(st.none() | st.booleans() | st.floats() | st.integers() | st.text(max_size=5),
                    lambda c: st.lists(c, max_size=3) | st.dictionaries(
                        st.sampled_from(["status", "error", "share_moved", "x"]), c, max_size=3),
                    max_leaves=8)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(JSON.map(lambda v: json.dumps(v).encode())
                | st.binary(max_size=30).map(lambda b: b.replace(b"\n", b"")), min_size=1,
                max_size=6))
def test_fuzzed_store_lines_never_crash_a_resume_nor_change_its_results(finished_sweep, lines):
    out = _resume_with(finished_sweep, lines)
    assert (out / "results.csv").read_bytes() == (finished_sweep[1] / "results.csv").read_bytes()
    shutil.rmtree(out.parent)


# ----------------------------------------------------------------------------- 4. sizes and workers
@pytest.mark.parametrize("design, replications", [
    ("{method: grid, levels: 1000}", 1),            # 1000^3 grid points
    ("{method: lhs, samples: 1000000}", 100),       # 10^8 runs
    ("{method: morris, samples: 1000000}", 1),      # 4 x 10^6 runs
])
def test_oversized_sweeps_are_refused_before_the_design_is_built(tmp_path, capsys, design,
                                                                 replications):
    text = ("base: teaching\nparameters:\n  behaviour.b_social_moved: {low: 1, high: 5}\n"
            "  behaviour.b_service: {low: 1, high: 5}\n  run.seed: {low: 1, high: 9}\n"
            f"design: {design}\nreplications: {replications}\n")
    f = _sweep_file(tmp_path, text=text.replace("{", "{{").replace("}", "}}"))
    t = time.perf_counter()
    assert _run(f, tmp_path / "o") == 2
    err = _no_traceback(capsys)
    assert "limit" in err and f"{sweep_mod.MAX_RUNS:,}" in err
    assert time.perf_counter() - t < 5 and not (tmp_path / "o").exists()


def test_a_design_table_times_replications_is_bounded_too(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(sweep_mod, "MAX_RUNS", 10)
    f = _sweep_file(tmp_path, text=TABLE_SWEEP.replace("metrics", "replications: 3\nmetrics"))
    (tmp_path / "t.csv").write_text("run.seed\n1\n2\n3\n4\n", encoding="utf-8")
    assert _run(f, tmp_path / "o") == 2
    assert "12 runs" in _no_traceback(capsys)


@pytest.mark.parametrize("argv, says", [
    (["--reps", "1"], "--reps"), (["--reps", "100000000"], "--reps"),
    (["--seed", "-1"], "--seed"), (["--seed", str(2**70)], "--seed"),
    (["--workers", "0"], "--workers"), (["--workers", "-2"], "--workers"),
])
def test_compare_sizes_and_seeds_are_bounded(tmp_path, capsys, argv, says):
    t = time.perf_counter()
    try:
        rc = main(["compare", "teaching", "--out", str(tmp_path / "c"), "--quiet", *argv])
    except SystemExit as exc:   # refused by the argument parser itself
        rc = exc.code
    assert rc == 2
    assert says in _no_traceback(capsys) and time.perf_counter() - t < 5


def test_replicate_refuses_non_integer_reps_and_seeds():
    for kw in ({"reps": 2.5}, {"reps": True}, {"seed": 1.5}, {"seed": -1}):
        with pytest.raises(UsageError):
            replicate("teaching", **{"reps": 2, **kw})


def test_workers_default_to_and_are_capped_at_the_usable_cores(monkeypatch):
    monkeypatch.setattr(executors, "usable_cores", lambda: 3)
    notes: list[str] = []
    assert executors.resolve_workers(None) == 3
    assert executors.resolve_workers(2) == 2
    assert executors.resolve_workers(64, warn=notes.append) == 3
    assert "--oversubscribe" in notes[0] and "3" in notes[0]
    assert executors.resolve_workers(5, oversubscribe=True) == 5
    for bad in (0, -1, 2.5, True):
        with pytest.raises(UsageError):
            executors.resolve_workers(bad)
    with pytest.raises(UsageError):
        executors.resolve_workers(10_000, oversubscribe=True)


@pytest.mark.parametrize("files, expected", [
    ({"cpu.max": "150000 100000\n"}, 1.5),                          # cgroup v2 quota
    ({"cpu.max": "max 100000\n"}, None),                            # v2, no quota
    ({"cpu/cpu.cfs_quota_us": "300000\n", "cpu/cpu.cfs_period_us": "100000\n"}, 3.0),  # v1
    ({"cpu/cpu.cfs_quota_us": "-1\n", "cpu/cpu.cfs_period_us": "100000\n"}, None),
])
def test_cgroup_cpu_quotas_are_read(tmp_path, files, expected):
    for name, text in files.items():
        (tmp_path / name).parent.mkdir(parents=True, exist_ok=True)
        (tmp_path / name).write_text(text)
    proc = tmp_path / "self_cgroup"
    proc.write_text("0::/\n" if "cpu.max" in files else "3:cpu:/\n")
    assert executors.cgroup_cpu_limit(tmp_path, proc) == expected


def test_usable_cores_respect_the_cpu_quota(monkeypatch):
    monkeypatch.setattr(executors, "cgroup_cpu_limit", lambda: 0.5)
    assert executors.usable_cores() == 1


# ----------------------------------------------------------------------------- 5. survival
def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(x) for x in text.split()]


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().split(") ")[1][0] not in "ZX"
    except (OSError, IndexError):
        return False


def _wait_for(cond, timeout: float = 30.0) -> bool:
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return False


@pytest.mark.skipif(not LINUX, reason="reads /proc")
def test_workers_end_when_the_sweep_is_killed(tmp_path):
    f = _sweep_file(tmp_path, values=", ".join(str(1 + i / 100) for i in range(400)))
    out = tmp_path / "out"
    proc = subprocess.Popen([sys.executable, "-m", "ruralsim.cli", "sweep", str(f), "--out",
                             str(out), "--quiet", "--workers", "2"], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_for(lambda: (out / "runs.jsonl").exists() and len(_children(proc.pid)) >= 2)
        workers = _children(proc.pid)
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        assert _wait_for(lambda: not any(_alive(w) for w in workers), timeout=5)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()


HOLD_LOCK = """import importlib, sys, time
from pathlib import Path
sweep = importlib.import_module("ruralsim.experiments.sweep")
with sweep.sweep_lock(Path(sys.argv[1])):
    print("locked", flush=True)
    time.sleep(60)
"""


@pytest.mark.skipif(os.name != "posix", reason="sends POSIX signals")
def test_one_process_per_sweep_folder_and_a_dead_ones_lock_is_taken_over(tmp_path, capsys):
    f = _sweep_file(tmp_path)
    out = tmp_path / "out"
    holder = subprocess.Popen([sys.executable, "-c", HOLD_LOCK, str(out)], cwd=REPO,
                              stdout=subprocess.PIPE, text=True)
    try:
        assert holder.stdout.readline().strip() == "locked"
        assert _run(f, out) == 2
        err = _no_traceback(capsys)
        assert "in use" in err and f"process {holder.pid}" in err and "started" in err
        assert not (out / "runs.jsonl").exists()          # nothing computed twice
        os.kill(holder.pid, signal.SIGKILL)
        holder.wait()
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.wait()
        holder.stdout.close()
    assert _run(f, out) == 0                          # the dead process's lock is taken over
    assert _store_ids(out) == [0, 1, 2]


class _PoolThatLosesAWorker(ProcessPoolExecutor):
    """A real process pool whose third task kills its worker (as the OOM killer would)."""

    def __init__(self):
        super().__init__(max_workers=2)
        self.n = 0

    def submit(self, fn, *args, **kwargs):
        self.n += 1
        if self.n == 3:
            return super().submit(os._exit, 9)
        return super().submit(fn, *args, **kwargs)


def test_a_broken_process_pool_gives_a_message_and_the_sweep_resumes(tmp_path, capsys):
    f = _sweep_file(tmp_path, values="1.0, 1.5, 2.0, 2.5, 3.0, 3.5")
    spec, base_dir = sweep_mod.load_sweep(f)
    out = tmp_path / "out"
    with _PoolThatLosesAWorker() as pool, pytest.raises(RuralsimError, match="run the same"):
        sweep_mod.run_sweep(spec, base_dir, out, pool, source=f)
    assert not (out / "results.csv").exists()
    assert _run(f, out) == 0
    assert sorted(_store_ids(out)) == list(range(6))
    assert (pd.read_csv(out / "results.csv")["status"] == "ok").all()


def _run_out_of_memory(times: dict, monkeypatch):
    real = runs_module.simulate

    def flaky(sc, seed=None, **kw):
        if times["left"] > 0:
            times["left"] -= 1
            raise MemoryError("Unable to allocate 8.00 GiB for an array")
        return real(sc, seed=seed, **kw)

    monkeypatch.setattr(runs_module, "simulate", flaky)


def test_a_run_short_of_memory_is_retried_not_recorded_as_failed(tmp_path, monkeypatch):
    f = _sweep_file(tmp_path)
    _run_out_of_memory({"left": 1}, monkeypatch)
    assert _run(f, tmp_path / "out") == 0
    res = pd.read_csv(tmp_path / "out" / "results.csv")
    assert (res["status"] == "ok").all()


def test_runs_that_stay_short_of_memory_fail_the_sweep_until_resumed(tmp_path, monkeypatch,
                                                                     capsys):
    f = _sweep_file(tmp_path)
    out = tmp_path / "out"
    _run_out_of_memory({"left": 10**6}, monkeypatch)
    assert _run(f, out) == 1                                   # not 0 with runs missing
    assert "lack of resources" in _no_traceback(capsys)
    assert _store_ids(out) == []                               # nothing recorded as failed
    monkeypatch.undo()
    assert _run(f, out) == 0 and sorted(_store_ids(out)) == [0, 1, 2]


def test_memory_failures_recorded_by_older_versions_are_run_again(finished_sweep):
    f, done = finished_sweep
    out = Path(tempfile.mkdtemp()) / "out"
    shutil.copytree(done, out)
    lines = (out / "runs.jsonl").read_text().splitlines()
    rec = json.loads(lines[1])
    rec.update(status="error", error="MemoryError: Unable to allocate", share_moved=None,
               households_registered_after_withdrawal=None)
    lines[1] = json.dumps(rec)
    (out / "runs.jsonl").write_text("\n".join(lines) + "\n")
    assert _run(f, out) == 0
    assert (out / "results.csv").read_bytes() == (done / "results.csv").read_bytes()
    shutil.rmtree(out.parent)


def test_compare_refuses_to_report_replications_lost_to_memory(monkeypatch):
    _run_out_of_memory({"left": 1}, monkeypatch)
    with pytest.raises(RuralsimError, match="resources"):
        replicate("teaching", reps=2, overrides=["run.horizon_months=12"])


def test_store_reports_runs_as_done_only_once_synced(tmp_path):
    synced: list[int] = []
    path = tmp_path / "runs.jsonl"
    store = sweep_mod.RunStore(path, fsync_every=3600, on_synced=synced.append)
    for i in range(5):
        store.add({"run_id": i, "status": "ok", "error": ""})
    assert synced == []                                   # none reported before an fsync
    assert len(path.read_bytes().splitlines()) == 5       # yet written through: kill -9 safe
    store.close()
    assert synced == [5]
    every = sweep_mod.RunStore(tmp_path / "b.jsonl", fsync_every=0, on_synced=synced.append)
    every.add({"run_id": 0})
    every.add({"run_id": 1})
    every.close()
    assert synced == [5, 1, 1]


@pytest.mark.parametrize("value", ["-1", "nan", "inf", "1e9"])
def test_fsync_interval_is_checked(tmp_path, capsys, value):
    f = _sweep_file(tmp_path)
    assert _run(f, tmp_path / "o", "--fsync-every", value) == 2
    assert "--fsync-every" in _no_traceback(capsys)


@pytest.mark.skipif(os.name != "posix", reason="sends POSIX signals")
def test_pool_workers_stop_with_their_parent_in_every_start_method(tmp_path):
    """The watchdog alone (no PR_SET_PDEATHSIG) ends orphaned workers started by 'spawn'
    (the start method of macOS and Windows; 'fork' is covered by the test above)."""
    script = tmp_path / "pool.py"
    script.write_text(
        "import os, sys, time, multiprocessing as mp\n"
        "from concurrent.futures import ProcessPoolExecutor\n"
        "from ruralsim.experiments.executors import _worker_init\n"
        "if __name__ == '__main__':\n"
        "    ctx = mp.get_context(sys.argv[1])\n"
        "    with ProcessPoolExecutor(1, mp_context=ctx, initializer=_worker_init,\n"
        "                             initargs=(os.getpid(), False)) as ex:\n"
        "        print(ex.submit(os.getpid).result(), flush=True)\n"
        "        time.sleep(60)\n")
    for method in ("spawn",):
        proc = subprocess.Popen([sys.executable, str(script), method], stdout=subprocess.PIPE,
                                cwd=REPO, text=True)
        try:
            worker = int(proc.stdout.readline())
            os.kill(proc.pid, signal.SIGKILL)
            proc.wait()
            assert _wait_for(lambda: not _pid_exists(worker), timeout=10), method
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            proc.stdout.close()


def _pid_exists(pid: int) -> bool:
    if LINUX:
        return _alive(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


# ---------------------------------------------------------------- issue 18: sweeps
def test_an_unknown_metric_is_refused_with_the_valid_names(tmp_path, capsys):
    f = _sweep_file(tmp_path, text=SMALL.replace("share_moved,", "share_moovd,"))
    assert _run(f, tmp_path / "out") == 2
    err = _no_traceback(capsys)
    assert "share_moovd" in err and "valid metrics" in err and "share_moved" in err
    assert not (tmp_path / "out" / "runs.jsonl").exists()


def test_the_valid_metric_names_are_those_a_run_reports():
    from ruralsim.experiments.runs import flatten
    from ruralsim.results import SUMMARY_LABELS, metric_names

    names = metric_names("teaching")
    res = ruralsim_simulate("teaching")
    assert set(names) == set(flatten(res.summary)) - set(SUMMARY_LABELS)


def ruralsim_simulate(name):
    import ruralsim

    return ruralsim.simulate(name, overrides=["run.horizon_months=12"])


@pytest.mark.parametrize("method", ["grid", "lhs", "sobol"])
def test_an_integer_range_gives_whole_numbers(tmp_path, method):
    text = ("base: teaching\nparameters:\n  run.horizon_months: {low: 12, high: 36, "
            f"integer: true}}\ndesign: {{method: {method}, samples: 4, levels: 3}}\n"
            "metrics: [share_moved]\n")
    f = tmp_path / "s.yaml"
    f.write_text(text, encoding="utf-8")
    assert _run(f, tmp_path / "out") == 0
    table = pd.read_csv(tmp_path / "out" / "results.csv")
    assert (table["status"] == "ok").all(), table["error"].tolist()
    assert pd.api.types.is_integer_dtype(table["run.horizon_months"])
    assert table["run.horizon_months"].between(12, 36).all()


@pytest.mark.parametrize("kind", ["symlink", "fifo", "folder"])
def test_a_resumed_store_that_is_not_a_regular_file_is_refused(tmp_path, kind):
    f = _sweep_file(tmp_path / "in")
    out = tmp_path / "out"
    assert _run(f, out) == 0
    store = out / "runs.jsonl"
    store.unlink()
    outside = tmp_path / "outside.txt"
    outside.write_text("precious\n")
    if kind == "symlink":
        store.symlink_to(outside)
    elif kind == "fifo":
        os.mkfifo(store)
    else:
        store.mkdir()
    proc = subprocess.run([sys.executable, "-m", "ruralsim.cli", "sweep", str(f), "--out",
                           str(out), "--workers", "1", "--quiet"], capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2, proc.stderr
    assert "Traceback" not in proc.stderr and "regular file" in proc.stderr
    assert outside.read_text() == "precious\n"


def test_sweep_figures_go_through_the_atomic_writer(tmp_path, monkeypatch):
    import matplotlib.figure

    in_place = []
    real = matplotlib.figure.Figure.savefig

    def savefig(self, fname, *a, **kw):
        if isinstance(fname, (str, os.PathLike)):
            in_place.append(str(fname))
        return real(self, fname, *a, **kw)

    monkeypatch.setattr(matplotlib.figure.Figure, "savefig", savefig)
    f = _sweep_file(tmp_path)
    assert _run(f, tmp_path / "out") == 0
    assert list((tmp_path / "out" / "figures").glob("*.png"))
    assert in_place == []
