"""Issue 9 §1 and the CSV part of §2: outputs never lose, hide or half-write a user's file.

Output folders are never an input file, a folder holding one, the current, home or root
folder; --force replaces only folders ruralsim wrote; compare file names never collide;
every file is written whole and fsynced; a signal at any moment leaves the old outputs or
the new ones, never neither and never hidden; CSV text cells cannot run as formulas.
"""
import csv
import errno
import json
import os
import shutil
import signal
import subprocess
import sys
import time
import unicodedata
from pathlib import Path

import matplotlib.pyplot as plt
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim import outputs
from ruralsim.cli import main
from ruralsim.errors import UsageError
from ruralsim.outputs import (MARKER, check_out_dir, safe_file_stem, spreadsheet_safe,
                              staged_dir, unique_file_stems, write_csv, write_marker,
                              write_text_atomic)

ROOT = Path(__file__).resolve().parents[1]
SCEN = ROOT / "scenarios"
FAST = ["--set", "run.horizon_months=12"]


def _cli(argv, capsys):
    rc = main(argv)
    out, err = capsys.readouterr()
    assert "Traceback" not in err
    return rc, err


def _snapshot(folder: Path) -> dict:
    """Every entry under ``folder`` (links not followed) with its bytes or link target."""
    snap = {}
    for p in sorted(folder.rglob("*")):
        rel = str(p.relative_to(folder))
        if p.is_symlink():
            snap[rel] = ("link", os.readlink(p))
        elif p.is_file():
            snap[rel] = p.read_bytes()
        else:
            snap[rel] = "dir"
    return snap


TEACHING_VILLAGES = """name,households,community,x_km,y_km,field_distance_km
东村,120,新村,1.0,2.0,1.5
西村,90,新村,-1.5,1.0,2.0
南村,110,新村,0.5,-1.5,1.8
北村,80,河湾社区,4.0,4.5,2.2
前营,100,河湾社区,6.0,3.0,2.5
后营,100,河湾社区,5.5,5.5,3.0
"""


@pytest.fixture
def proj(tmp_path):
    """A user's project: a scenario extending a base file, reading a village CSV and a
    package file, and a notes file; every input folder looks like a ruralsim output."""
    p = tmp_path / "proj"
    (p / "base").mkdir(parents=True)
    shutil.copy(SCEN / "household_types.yaml", p / "base")
    shutil.copy(SCEN / "teaching.yaml", p / "base")
    (p / "data").mkdir()
    (p / "data" / "villages.csv").write_text(TEACHING_VILLAGES, encoding="utf-8")
    (p / "pkgs").mkdir()
    shutil.copy(SCEN / "packages" / "awards.yaml", p / "pkgs" / "mine.yaml")
    (p / "s.yaml").write_text("extends: base/teaching.yaml\nvillages: {file: data/villages.csv}\n"
                              "packages: [pkgs/mine.yaml]\n", encoding="utf-8")
    (p / "notes.txt").write_text("a week of work", encoding="utf-8")
    for d in (p, p / "base", p / "data", p / "pkgs"):
        write_marker(d, "run")   # so only the input rule can refuse them
    assert ruralsim.load_scenario(p / "s.yaml").model.policy.awards   # the package was read
    return p


# ----------------------------------------------------------------------------- inputs
@pytest.mark.parametrize("out,named", [
    ("proj", "s.yaml"),                       # the case: proj/s.yaml --out proj
    ("proj/base", "teaching.yaml"),           # an 'extends' target
    ("proj/data", "villages.csv"),            # a village CSV
    ("proj/pkgs", "mine.yaml"),               # a package named in the scenario
    ("proj/s.yaml", "s.yaml"),                # the scenario itself
    ("link", "villages.csv"),                 # a symlink to a folder holding an input
])
def test_run_never_writes_over_an_input_file(proj, capsys, monkeypatch, out, named):
    monkeypatch.chdir(proj.parent)
    (proj.parent / "link").symlink_to(proj / "data")
    before = _snapshot(proj)
    rc, err = _cli(["run", "proj/s.yaml", "--out", out, "--force", "--quiet", "--no-figures",
                    *FAST], capsys)
    assert rc == 2
    assert "input file" in err and named in err and "输入文件" in err
    assert _snapshot(proj) == before


def test_run_refuses_an_out_holding_a_package_given_on_the_command_line(proj, capsys,
                                                                        monkeypatch):
    monkeypatch.chdir(proj.parent)
    extra = proj.parent / "extra"
    extra.mkdir()
    shutil.copy(SCEN / "packages" / "study_tours.yaml", extra / "tours.yaml")
    write_marker(extra, "run")
    before = _snapshot(extra)
    rc, err = _cli(["run", "teaching", "--package", "extra/tours.yaml", "--out", "extra",
                    "--force", "--quiet", "--no-figures", *FAST], capsys)
    assert rc == 2 and "tours.yaml" in err
    assert _snapshot(extra) == before


def test_compare_never_writes_over_an_input_file(proj, capsys, monkeypatch):
    monkeypatch.chdir(proj.parent)
    before = _snapshot(proj)
    t0 = time.perf_counter()
    rc, err = _cli(["compare", "teaching", "proj/s.yaml", "--out", "proj/data", "--force",
                    "--reps", "2", "--quiet", *FAST], capsys)
    assert rc == 2 and "villages.csv" in err
    assert time.perf_counter() - t0 < 5   # refused before any run
    assert _snapshot(proj) == before


# ----------------------------------------------------------------------------- protected
@pytest.mark.parametrize("command", ["run", "compare", "demo"])
@pytest.mark.parametrize("out", [".", "..", "/", "HOME", "HOME/..", "./sub/../."])
def test_out_is_never_the_current_home_or_root_folder(tmp_path, capsys, monkeypatch, out,
                                                      command):
    home = tmp_path / "home"
    here = home / "work" / "here"
    here.mkdir(parents=True)
    (here / "sub").mkdir()
    (here / "thesis.txt").write_text("years of work")
    write_marker(here, "run")   # even a folder that looks like ours is protected
    write_marker(home, "run")
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("MPLCONFIGDIR", str(tmp_path / "mpl"))      # no caches in the fake home
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.chdir(here)
    out = out.replace("HOME", str(home))
    before = _snapshot(home)
    argv = {"run": ["run", "teaching", "--no-figures", *FAST],
            "compare": ["compare", "teaching", "teaching", "--reps", "2", *FAST],
            "demo": ["demo"]}[command]
    rc, err = _cli([*argv, "--out", out, "--force", "--quiet"], capsys)
    assert rc == 2
    assert any(w in err for w in ("current folder", "home folder", "root of the file system"))
    assert "choose a new folder" in err
    assert _snapshot(home) == before


# ----------------------------------------------------------------------------- --force
@pytest.mark.parametrize("command", ["run", "compare", "demo"])
def test_force_replaces_only_folders_ruralsim_wrote(tmp_path, capsys, command):
    user = tmp_path / "mine"
    user.mkdir()
    (user / "notes.txt").write_text("keep me")
    (user / "data.csv").write_text("a,b\n1,2\n")
    argv = {"run": ["run", "teaching", "--no-figures", *FAST],
            "compare": ["compare", "teaching", "teaching", "--reps", "2", *FAST],
            "demo": ["demo"]}[command]
    before = _snapshot(user)
    rc, err = _cli([*argv, "--out", str(user), "--force", "--quiet"], capsys)
    assert rc == 2
    assert "did not write" in err and MARKER in err and "new or empty folder" in err
    assert "notes.txt" in err or "data.csv" in err
    assert _snapshot(user) == before


def test_run_marks_its_folder_and_force_replaces_it(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "teaching", "--out", str(out), "--quiet", "--no-figures", *FAST]) == 0
    mark = json.loads((out / MARKER).read_text(encoding="utf-8"))
    assert mark["command"] == "run" and mark["ruralsim"] == ruralsim.__version__
    rc, err = _cli(["run", "teaching", "--out", str(out), "--quiet", "--no-figures", *FAST],
                   capsys)
    assert rc == 2 and "--force" in err            # not without --force
    assert main(["run", "teaching", "--out", str(out), "--quiet", "--no-figures", "--force",
                 "--set", "run.horizon_months=6"]) == 0
    assert json.loads((out / "summary.json").read_text())["horizon_months"] == 6
    assert (out / MARKER).is_file()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["o"]   # nothing left beside it


def test_a_marker_that_is_a_link_or_garbage_does_not_count(tmp_path, capsys):
    real = tmp_path / "real"
    real.mkdir()
    write_marker(real, "run")
    for i, make in enumerate([lambda m: m.symlink_to(real / MARKER),
                              lambda m: m.write_text("not json"),
                              lambda m: m.mkdir()]):
        user = tmp_path / f"u{i}"
        user.mkdir()
        (user / "notes.txt").write_text("keep me")
        make(user / MARKER)
        rc, err = _cli(["run", "teaching", "--out", str(user), "--force", "--quiet",
                        "--no-figures", *FAST], capsys)
        assert rc == 2 and "did not write" in err
        assert (user / "notes.txt").read_text() == "keep me"


# ----------------------------------------------------------------------------- compare names
def test_compare_files_never_collide_after_sanitising_and_labels_are_neutralised(tmp_path):
    for name in ("x y.yaml", "x_y.yaml", "X_Y.yaml", "=cmd.yaml"):
        (tmp_path / name).write_text(f"extends: {SCEN / 'teaching.yaml'}\n", encoding="utf-8")
    out = tmp_path / "c"
    assert main(["compare", *(str(tmp_path / n) for n in ("x y.yaml", "x_y.yaml", "X_Y.yaml",
                                                          "=cmd.yaml")),
                 "--reps", "2", "--workers", "1", "--out", str(out), "--quiet", *FAST]) == 0
    files = sorted(out.glob("replications_*.csv"))
    assert len(files) == 4
    assert len({f.name.casefold() for f in files}) == 4     # distinct on any file system
    labels = {f.name: set(pd.read_csv(f)["label"]) for f in files}
    assert labels["replications_x_y.csv"] == {"x_y"}       # a safe name keeps its file name
    assert labels["replications__cmd.csv"] == {"'=cmd"}    # text cells cannot run as formulas
    assert all(len(v) == 1 for v in labels.values())
    table = pd.read_csv(out / "compare.csv")
    assert set().union(*labels.values()) == set(table["scenario"])
    assert pd.api.types.is_numeric_dtype(table["diff_vs_first"])


names_st = st.lists(st.text(st.sampled_from(list("aA bB_-#./é\u0301ÉＡ东\x00:")), max_size=6)
                    | st.sampled_from(["x y", "x_y", "x_y-2", "X_Y", "", "CON", "a" * 200,
                                       "东" * 60]), max_size=8)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(names_st)
def test_unique_file_stems_are_safe_distinct_and_stable(names):
    stems = unique_file_stems(names)
    assert len(stems) == len(names) and stems == unique_file_stems(list(names))
    keys = [unicodedata.normalize("NFKC", s).casefold() for s in stems]
    assert len(set(keys)) == len(keys)
    for s in stems:
        assert s and all(ch.isalnum() or ch in "-_" for ch in s)
        assert len(f"replications_{s}.csv".encode()) < 255
    safe = [n for n in names if safe_file_stem(n) == n]
    if len({unicodedata.normalize("NFKC", n).casefold() for n in safe}) == len(safe):
        assert all(stems[i] == n for i, n in enumerate(names) if n in safe)


def test_repeated_labels_never_reuse_a_label_already_given():
    from ruralsim.experiments.replicate import _unique_names

    for names in (["a", "a", "a#2"], ["a#2", "a", "a"], ["b", "b", "b"]):
        got = _unique_names(names)
        assert len(set(got)) == len(got) and got[0] == names[0]


# ----------------------------------------------------------------------------- whole files
@pytest.fixture(scope="module")
def short_run():
    return ruralsim.simulate("teaching", seed=1, overrides=["run.horizon_months=12"])


def test_a_failed_write_keeps_the_old_files_and_leaves_no_temporary(tmp_path, short_run,
                                                                   monkeypatch):
    folder = tmp_path / "o"
    folder.mkdir()
    old = {n: f"old {n}".encode() for n in ("timeseries.csv", "villages.csv", "summary.json")}
    for n, b in old.items():
        (folder / n).write_bytes(b)

    def disk_full(fd):
        raise OSError(errno.ENOSPC, "No space left on device")

    monkeypatch.setattr(os, "fsync", disk_full)
    with pytest.raises(OSError):
        outputs.write_run(short_run, folder)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == old


def test_a_figure_that_fails_half_way_keeps_the_old_figure(tmp_path, short_run, monkeypatch):
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    from ruralsim.report.plots import save_figures

    figs = tmp_path / "figures"
    figs.mkdir()
    (figs / "migration_by_type.png").write_bytes(b"old figure")

    def half_then_fail(self, fname, **kw):
        if hasattr(fname, "write"):
            fname.write(b"\x89PNG half")
        else:
            Path(fname).write_bytes(b"\x89PNG half")
        raise RuntimeError("renderer crashed")

    def crash(self, *args, **kw):
        raise RuntimeError("renderer crashed")

    monkeypatch.setattr(Figure, "savefig", half_then_fail)
    # the standard figures are drawn by Agg into memory, then written whole
    monkeypatch.setattr(FigureCanvasAgg, "draw", crash)
    with pytest.raises(RuntimeError):
        save_figures(short_run, figs, lang="en")
    assert [p.name for p in figs.iterdir()] == ["migration_by_type.png"]
    assert (figs / "migration_by_type.png").read_bytes() == b"old figure"


@pytest.mark.skipif(not Path("/proc/self/fd").is_dir(), reason="needs /proc")
def test_every_file_and_folder_written_is_fsynced(tmp_path, short_run, monkeypatch):
    synced = set()
    real = os.fsync

    def spy(fd):
        st_ = os.fstat(fd)
        synced.add((st_.st_dev, st_.st_ino))
        return real(fd)

    monkeypatch.setattr(os, "fsync", spy)
    out = tmp_path / "o"
    with staged_dir(out, False, command="run") as tmp:
        outputs.write_run(short_run, tmp)
        fig, ax = plt.subplots()
        outputs.save_figure(fig, tmp / "figures" / "one.png")
        plt.close(fig)
    entries = [out, tmp_path, *out.rglob("*")]
    assert len(entries) >= 9
    missing = [str(p) for p in entries if (p.stat().st_dev, p.stat().st_ino) not in synced]
    assert not missing


# ----------------------------------------------------------------------------- signals
def _old_outputs(out: Path) -> None:
    if out.exists():
        shutil.rmtree(out)
    (out / "sub").mkdir(parents=True)
    (out / "a.txt").write_text("old")
    (out / "sub" / "b.txt").write_text("old")
    write_marker(out, "run")


def _state(out: Path) -> str:
    got = {(out / "a.txt").read_text(), (out / "sub" / "b.txt").read_text()}
    assert len(got) == 1, "a mix of old and new outputs"
    assert (out / MARKER).is_file()
    return got.pop()


def _child(out: Path, w: int, exchange: bool, from_start: bool) -> None:
    """In a forked child: write new outputs over ``out``, reporting each file-system step
    (from the start, or from the end of the body on)."""
    code = 3
    try:
        signal.signal(signal.SIGINT, signal.default_int_handler)
        signal.signal(signal.SIGTERM, lambda s, f: (_ for _ in ()).throw(KeyboardInterrupt()))

        armed = [1] if from_start else []

        def step(fn):
            def wrapped(*a, **k):
                r = fn(*a, **k)
                if armed:   # a slow disk, from the end of the body on
                    os.write(w, b"s\n")
                    time.sleep(0.01)
                return r
            return wrapped

        for mod, name in ((os, "fsync"), (os, "rename"), (os, "replace"), (os, "mkdir"),
                          (shutil, "rmtree")):
            setattr(mod, name, step(getattr(mod, name)))
        if not exchange:   # a system without renameat2(RENAME_EXCHANGE)
            outputs._exchange = lambda a, b: False
        try:
            with staged_dir(out, True, command="test") as tmp:
                (tmp / "sub").mkdir()
                write_text_atomic(tmp / "a.txt", "new")
                write_text_atomic(tmp / "sub" / "b.txt", "new")
                os.write(w, b"body\n")
                armed.append(1)
            code = 0
        except KeyboardInterrupt:
            code = 130
    finally:
        os._exit(code)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="needs fork")
@pytest.mark.parametrize("exchange,sig,from_start", [
    (True, signal.SIGINT, False), (True, signal.SIGTERM, False), (True, signal.SIGKILL, False),
    (False, signal.SIGINT, False), (False, signal.SIGKILL, False),
    (True, signal.SIGINT, True)])   # also while the staging folder is made and written
def test_a_signal_at_any_step_of_the_swap_leaves_old_or_new_never_neither(tmp_path, exchange,
                                                                           sig, from_start):
    out = tmp_path / "o"
    seen = set()
    for k in range(0, 60):
        _old_outputs(out)
        r, w = os.pipe()
        pid = os.fork()
        if pid == 0:  # pragma: no cover  (the child)
            os.close(r)
            _child(out, w, exchange, from_start)
        os.close(w)
        buf, after, sent = b"", None, False
        while True:
            chunk = os.read(r, 4096)
            if not chunk:
                break
            buf += chunk
            lines = buf.split(b"\n")
            if after is None and (from_start or b"body" in lines):
                after = -1 if from_start else lines.index(b"body")
            if after is not None and not sent and lines[after + 1:].count(b"s") >= k:
                os.kill(pid, sig)
                sent = True
        os.close(r)
        _, status = os.waitpid(pid, 0)
        if os.WIFSIGNALED(status):
            assert sent and os.WTERMSIG(status) == signal.SIGKILL
            check_out_dir(out, True)           # the next write tidies what was left
        else:
            assert os.WEXITSTATUS(status) in ((130, 0) if sent else (0,))
        seen.add(_state(out))
        assert [p.name for p in tmp_path.iterdir()] == ["o"], "hidden folders left behind"
        if not sent:   # the child finished before step k: every step was covered
            break
    assert seen == {"old", "new"}


def test_a_killed_run_leaves_the_old_outputs_and_the_next_run_tidies_up(tmp_path):
    out = tmp_path / "o"
    args = ["run", "teaching", "--out", str(out), "--quiet", "--force"]
    assert main([*args, "--no-figures", *FAST]) == 0
    before = _snapshot(out)
    # with figures: a second or more of writing
    proc = subprocess.Popen([sys.executable, "-m", "ruralsim.cli", *args], cwd=ROOT)
    deadline = time.time() + 60
    while time.time() < deadline and not list(tmp_path.glob(".o.tmp-*/timeseries.csv")):
        time.sleep(0.01)
    proc.kill()
    proc.wait(timeout=60)
    assert _snapshot(out) == before
    assert main([*args, "--no-figures", "--set", "run.horizon_months=6"]) == 0
    assert json.loads((out / "summary.json").read_text())["horizon_months"] == 6
    assert [p.name for p in tmp_path.iterdir()] == ["o"]


def test_leftovers_are_recovered_only_when_they_are_ours_and_abandoned(tmp_path):
    out = tmp_path / "o"
    old = tmp_path / ".o.old-0123abcd"          # killed between the two renames
    (old / "a.txt").parent.mkdir()
    (old / "a.txt").write_text("old")
    write_marker(old, "run")
    stale = tmp_path / ".o.tmp-89abcdef"        # killed while writing
    stale.mkdir()
    write_marker(stale, "run")
    users = tmp_path / ".o.tmp-deadbeef"        # a user's folder that only looks like one
    users.mkdir()
    (users / "x").write_text("mine")
    live = tmp_path / ".o.tmp-feedface"         # another ruralsim still writing
    live.mkdir()
    write_marker(live, "run")
    fd = outputs._lock(live)
    try:
        with pytest.raises(UsageError, match="not empty"):   # the old outputs are back...
            check_out_dir(out, False)
        assert (out / "a.txt").read_text() == "old"         # ...in place
        assert not old.exists() and not stale.exists()
        assert (users / "x").read_text() == "mine" and live.is_dir()
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- CSV cells
def test_formula_like_text_is_neutralised_and_numbers_stay_numbers(tmp_path):
    df = pd.DataFrame({
        "name": ["=1+1", "+cmd", "-2+3", "@SUM(A1)", "\t=x", "\r=x", "ok", "-5", "+1.5e3", None],
        "mixed": [-5, "=HYPERLINK(\"x\")", 2.5, "a", "-", "@", "", float("nan"), "'=q", "-x"],
        "cash": [-1.5, 2.0, -3e9, 0.0, -0.0, 1, 2, 3, 4, -7],
        "n": [-1, 2, 3, 4, 5, 6, 7, 8, 9, -10],
        "=col": ["a"] * 10,
    })
    path = write_csv(df, tmp_path / "t.csv")
    with open(path, encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.reader(fh))
    assert len(rows) == 11   # a carriage return in a cell does not start a row
    assert rows[0] == ["name", "mixed", "cash", "n", "'=col"]
    assert [r[0] for r in rows[1:]] == ["'=1+1", "'+cmd", "'-2+3", "'@SUM(A1)", "'\t=x",
                                        "'\r=x", "ok", "-5", "+1.5e3", ""]
    assert [r[1] for r in rows[1:]] == ["-5", "'=HYPERLINK(\"x\")", "2.5", "a", "'-", "'@", "",
                                        "", "'=q", "'-x"]
    back = pd.read_csv(path)
    assert back["cash"].tolist() == df["cash"].tolist() and back["n"].tolist() == df["n"].tolist()
    assert df["name"].iloc[0] == "=1+1"        # the caller's frame is not changed


@settings(max_examples=200, deadline=None, derandomize=True)
@given(st.lists(st.text(max_size=8) | st.integers(-10**6, 10**6)
                | st.floats(allow_nan=False, allow_infinity=False), min_size=1, max_size=6))
def test_no_csv_cell_can_start_a_formula_and_nothing_else_changes(cells):
    df = pd.DataFrame({"v": pd.Series(cells, dtype=object)})
    safe = spreadsheet_safe(df)["v"].tolist()
    for orig, got in zip(cells, safe):
        if isinstance(orig, str) and orig[:1] in ("=", "+", "-", "@", "\t", "\r") and got != orig:
            assert got == "'" + orig
        else:
            assert got is orig or got == orig
        if isinstance(got, str) and got[:1] in ("=", "+", "-", "@", "\t", "\r"):
            float(got)   # only a plain number may start so


def test_village_and_community_names_cannot_run_in_a_spreadsheet(tmp_path):
    out = tmp_path / "o"
    assert main(["run", "teaching", "--out", str(out), "--quiet", "--no-figures", *FAST,
                 "--set", "villages.0.name==HYPERLINK(\"http://x\",\"y\")",
                 "--set", "villages.1.name='@SUM(1+1)'"]) == 0
    with open(out / "villages.csv", encoding="utf-8-sig", newline="") as fh:
        rows = list(csv.DictReader(fh))
    names = {r["village"] for r in rows}
    assert "'=HYPERLINK(\"http://x\",\"y\")" in names and "'@SUM(1+1)" in names
    assert not any(c.startswith(("=", "+", "-", "@", "\t", "\r")) and not _is_number(c)
                   for r in rows for c in r.values())
    ts = pd.read_csv(out / "timeseries.csv")
    assert ts.select_dtypes("number").shape[1] == ts.shape[1] - 1    # only 'date' is text


def _is_number(text: str) -> bool:
    try:
        float(text)
        return True
    except ValueError:
        return False


# ---------------------------------------------------------------- issue 18
def test_a_name_too_long_for_the_file_system_is_exit_2(tmp_path, capsys):
    code = main(["run", "teaching", "--quiet", "--no-figures", "--set",
                 "run.horizon_months=12", "--out", str(tmp_path / ("a" * 300))])
    err = capsys.readouterr().err
    assert code == 2 and "shorter" in err
    assert "Traceback" not in err and "Errno" not in err


def test_report_pdf_without_chromium_is_exit_2_before_writing(tmp_path, monkeypatch, capsys):
    from ruralsim.report import html

    out = tmp_path / "r"
    assert main(["run", "teaching", "--quiet", "--no-figures", "--set",
                 "run.horizon_months=12", "--out", str(out)]) == 0
    monkeypatch.setattr(html, "find_chromium", lambda: None)
    assert main(["report", str(out), "--pdf"]) == 2
    err = capsys.readouterr().err
    assert "Chromium" in err and "Traceback" not in err
    assert not (out / "report.html").exists() and not (out / "report.pdf").exists()


def test_xlsx_takes_control_characters_in_names_and_says_so(tmp_path, capsys):
    pytest.importorskip("openpyxl")
    import openpyxl

    src = ruralsim.scenario.load.BUILTIN_DIR
    (tmp_path / "s.yaml").write_text(
        f"extends: {src / 'teaching.yaml'}\nvillages: {{file: v.csv}}\n", encoding="utf-8")
    sc = ruralsim.load_scenario("teaching")
    rows = ["name,households,community,x_km,y_km"]
    for i, v in enumerate(sc.model.village_list):
        name = f"v{i}\x01bell\x07" if i == 0 else v.name
        rows.append(f"{name},{v.households},{v.community},{v.x_km},{v.y_km}")
    (tmp_path / "v.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    code = main(["run", str(tmp_path / "s.yaml"), "--quiet", "--no-figures", "--xlsx",
                 "--set", "run.horizon_months=12", "--out", str(out)])
    err = capsys.readouterr().err
    assert code == 0, err
    assert "control characters" in err
    wb = openpyxl.load_workbook(out / "results.xlsx")
    names = {c.value for c in wb["villages"]["B"]}
    assert any(isinstance(n, str) and "\\x01" in n for n in names)


def test_the_font_warning_points_at_the_callers_code(tmp_path, monkeypatch):
    from ruralsim.report import fonts, plots

    monkeypatch.setattr(fonts, "find_cjk_font", lambda: None)
    monkeypatch.setattr(fonts, "_warned", False)
    r = ruralsim.simulate("teaching", overrides=["run.horizon_months=12"])
    with pytest.warns(UserWarning, match="CJK") as rec:
        plots.save_figures(r, tmp_path / "f", lang="zh")
    assert [Path(w.filename).resolve() for w in rec] == [Path(__file__).resolve()]


def test_the_font_warning_on_the_command_line_is_a_plain_line(tmp_path):
    env = dict(os.environ, RURALSIM_CJK_FONT="none")
    proc = subprocess.run([sys.executable, "-m", "ruralsim.cli", "run", "teaching", "--quiet",
                           "--set", "run.horizon_months=12", "--out", str(tmp_path / "o")],
                          capture_output=True, text=True, env=env, cwd=tmp_path)
    assert proc.returncode == 0, proc.stderr
    assert "CJK" in proc.stderr and "resolve_lang" not in proc.stderr
    assert "UserWarning" not in proc.stderr and ".py:" not in proc.stderr


@pytest.mark.parametrize("module,args", [
    ("calibrate", ["--help"]), ("calibrate", ["abc"]), ("calibrate", ["-5"]),
    ("calibrate", ["0"]), ("calibrate", ["1e9"]), ("sensitivity", ["0"]),
    ("validation", ["1", "1"]), ("validation", ["30", "0"]), ("subsidy_response", ["1"]),
    ("subsidy_response", ["12", "0"]), ("subsidy_response", ["--settings", "nope"])])
def test_evidence_commands_check_their_arguments(tmp_path, module, args):
    proc = subprocess.run([sys.executable, "-m", f"ruralsim.evidence.{module}", *args],
                          capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert proc.returncode == (0 if args == ["--help"] else 2), proc.stderr
    assert "Traceback" not in proc.stderr
    assert not (tmp_path / "docs").exists()


@pytest.mark.parametrize("command", ["calibrate", "validate", "sensitivity", "subsidy-response"])
def test_evidence_commands_write_docs_only_in_the_repository(tmp_path, monkeypatch, capsys,
                                                             command):
    user_docs = tmp_path / "docs"
    user_docs.mkdir()
    (user_docs / "calibration_draws.csv").write_text("mine\n")
    monkeypatch.chdir(tmp_path)
    assert main(["evidence", command]) == 2
    err = capsys.readouterr().err
    assert "--out" in err and "Traceback" not in err
    assert [p.name for p in user_docs.iterdir()] == ["calibration_draws.csv"]
    assert (user_docs / "calibration_draws.csv").read_text() == "mine\n"
    # --out follows the rules of run: a folder of the user's is not written into
    assert main(["evidence", command, "--out", str(user_docs)]) == 2
    assert (user_docs / "calibration_draws.csv").read_text() == "mine\n"


def test_evidence_finds_the_repository_from_inside_it():
    from ruralsim.evidence import find_repository

    assert find_repository(ROOT / "tests") == ROOT.resolve()
    assert find_repository(Path("/")) is None
