"""Issue 9, the loader side: hostile or careless input ends in a clear message and exit 2,
never a traceback, a hang or memory exhaustion; packages and built-in names never reach
outside the library unless given as a file."""
import contextlib
import io
import os
import subprocess
import sys
import time
import tracemalloc
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim import footprint
from ruralsim.cli import main
from ruralsim.scenario.load import BUILTIN_DIR
from ruralsim.scenario.yamlio import MAX_NODES, parse_scalar, read_yaml_text

ROOT = Path(__file__).resolve().parents[1]
TEACHING = ROOT / "scenarios" / "teaching.yaml"
MINIMAL = ROOT / "tests" / "fixtures" / "minimal.yaml"
PACKAGE = "name: evil\ninstruments:\n  - {name: evil_instrument, value_cny: 1}\n"


def run_cli(argv: list[str]) -> tuple[int, str]:
    """Exit code and stderr of the command line run in this process."""
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            rc = main(argv)
        except SystemExit as exc:   # argparse refusals
            rc = exc.code
    text = err.getvalue()
    assert "Traceback" not in text
    return rc, text


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


# ------------------------------------------------------------------ §2 packages and names
def test_package_path_without_yaml_suffix_is_not_loaded(tmp_path):
    write(tmp_path / "evil.yaml", PACKAGE)
    ref = os.path.relpath(tmp_path / "evil", Path.cwd())   # ../../tmp/.../evil
    rc, err = run_cli(["validate", str(TEACHING), "--package", ref])
    assert rc == 2
    assert "neither a built-in package name nor a YAML file" in err and "awards" in err
    # the same file named as a file is fine
    assert run_cli(["validate", str(TEACHING), "--package", str(tmp_path / "evil.yaml")])[0] == 0


def test_package_traversal_through_the_library_folder_is_refused(tmp_path):
    write(tmp_path / "evil.yaml", PACKAGE)
    ref = os.path.relpath(tmp_path / "evil", BUILTIN_DIR / "packages")
    with pytest.raises(ruralsim.ScenarioError, match="neither a built-in package name"):
        ruralsim.load_scenario(TEACHING, packages=[ref])


def test_packages_in_a_scenario_follow_the_same_rule_relative_to_the_file(tmp_path, monkeypatch):
    write(tmp_path / "pkg.yml", PACKAGE)
    write(tmp_path / "s.yaml", f"extends: {TEACHING}\npackages: [awards, pkg.yml]\n")
    monkeypatch.chdir(ROOT)   # relative to the scenario's folder, not to the current one
    sc = ruralsim.load_scenario(tmp_path / "s.yaml").model
    assert "evil_instrument" in [i.name for i in sc.policy.instruments]
    bad = write(tmp_path / "bad.yaml", f"extends: {TEACHING}\n\npackages: [awards, ../evil]\n")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(bad)
    issue = e.value.issues[0]
    assert (issue.file, issue.path, issue.line) == (str(bad), "packages", 3)
    assert "'../evil' is neither" in issue.message and "subsidised_loans" in issue.message


def test_unknown_package_name_lists_the_builtin_ones():
    rc, err = run_cli(["validate", str(TEACHING), "--package", "no_such"])
    assert rc == 2 and "unknown package 'no_such'" in err and "land_transfer" in err


def test_builtin_scenario_names_and_extends_stay_inside_the_library(tmp_path, monkeypatch):
    write(tmp_path / "evil.yaml", f"extends: {MINIMAL}\nname: evil\n")
    monkeypatch.chdir(tmp_path.parent)
    name = os.path.relpath(tmp_path / "evil", BUILTIN_DIR)   # exists only seen from the library
    assert not Path(name).exists()
    with pytest.raises(ruralsim.ScenarioError, match="scenario file not found"):
        ruralsim.load_scenario(name)
    other = tmp_path / "a" / "b" / "c" / "d" / "e" / "sub"   # where the name leads nowhere
    other.mkdir(parents=True)
    write(other / "s.yaml", f"extends: {name}.yaml\n")
    with pytest.raises(ruralsim.ScenarioError, match="file not found"):
        ruralsim.load_scenario(other / "s.yaml")
    # real library names still work, from anywhere
    assert ruralsim.load_scenario("teaching").name == "teaching"
    write(other / "t.yaml", "extends: teaching.yaml\nname: mine\n")
    assert ruralsim.load_scenario(other / "t.yaml").name == "mine"


# ------------------------------------------------------------------ §3 --set keys
HOSTILE_KEYS = ["villages.².name", "villages.١.name", "villages.٣", "a..b", ".run.seed",
                "run.seed.", "villages[0].name", "villages.0].name", "[0]",
                "villages." + "9" * 5000 + ".name", "a" * 5000, "run." * 200 + "seed",
                "villages.99999999999999999999999.name", "villages.-1.name", " . "]


@pytest.mark.parametrize("key", HOSTILE_KEYS, ids=range(len(HOSTILE_KEYS)))
def test_hostile_set_keys_exit_2_with_a_message(key):
    rc, err = run_cli(["validate", str(TEACHING), "--set", f"{key}=x"])
    assert rc == 2
    assert "--set " in err and len(err) < 2000   # names the override, without echoing 5 kB


def test_set_key_messages_say_what_to_write():
    assert "not villages[0].name" in run_cli(["validate", str(TEACHING), "--set",
                                              "villages[0].name=x"])[1]
    assert "digits 0-9" in run_cli(["validate", str(TEACHING), "--set", "villages.١.name=x"])[1]
    assert "empty" in run_cli(["validate", str(TEACHING), "--set", "a..b=1"])[1]
    assert "too long" in run_cli(["validate", str(TEACHING), "--set", "a" * 300 + "=1"])[1]


def test_python_override_pairs_use_the_same_rules():
    with pytest.raises(ruralsim.ScenarioError, match="digits 0-9"):
        ruralsim.load_scenario(TEACHING, overrides=[("villages.².name", "x")])
    with pytest.raises(ruralsim.ScenarioError, match="key path"):
        ruralsim.load_scenario(TEACHING, overrides=[(3, "x")])
    sc = ruralsim.load_scenario(TEACHING, overrides=[("villages.1.name", "x")])
    assert sc.model.village_list[1].name == "x"


_LOADED = ruralsim.load_scenario(TEACHING)


@settings(max_examples=150, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.one_of(st.text(max_size=8),
                          st.text(alphabet="0123456789²١٣.[]- _run", max_size=6),
                          st.sampled_from(["villages", "run", "seed", "0", "5", "policy",
                                           "instruments", "household_types"])),
                min_size=1, max_size=6),
       st.text(max_size=8))
def test_fuzzed_set_keys_load_or_raise_scenario_error(parts, value):
    key = ".".join(parts)
    try:
        ruralsim.load_scenario(_LOADED, overrides=[f"{key}={value}"])
    except ruralsim.ScenarioError as exc:
        assert str(exc).strip()


# ------------------------------------------------------------------ §3 seeds
@pytest.mark.parametrize("command", [["run", str(TEACHING)], ["compare", str(TEACHING)],
                                     ["demo"]])
@pytest.mark.parametrize("seed", ["-1", "1.5", str(2**63), "9" * 500, "abc", "١", ""])
def test_bad_seed_on_the_command_line_exits_2(tmp_path, command, seed):
    rc, err = run_cli(command + ["--seed", seed, "--out", str(tmp_path / "o")])
    assert rc == 2 and "seed" in err and "0 to 9223372036854775807" in err
    assert not (tmp_path / "o").exists()


BAD_SEEDS = [1.5, 3.0, True, np.bool_(True), "3", -1, 2**63, 10**5000, np.float64(2.0), object()]


@pytest.mark.parametrize("seed", BAD_SEEDS, ids=[type(s).__name__ for s in BAD_SEEDS])
def test_python_api_refuses_non_integer_and_out_of_range_seeds(seed):
    with pytest.raises(ruralsim.UsageError, match="seed"):
        ruralsim.simulate(TEACHING, seed=seed)


def test_python_api_accepts_numpy_integers_and_seed_sequences():
    short = ["run.horizon_months=6"]
    base = ruralsim.simulate(TEACHING, seed=3, overrides=short).summary
    for seed in (np.int64(3), np.uint32(3), np.random.SeedSequence(3), 2**63 - 1):
        got = ruralsim.simulate(TEACHING, seed=seed, overrides=short).summary
        if seed != 2**63 - 1:
            assert got["share_moved"] == base["share_moved"] and got["seed"] == "3"


# ------------------------------------------------------------------ §3 the YAML reader
@pytest.mark.parametrize("text", ["+e5", ".e5", "-e3", "e5", ".", "+.", "-_", "._1e", "1e"])
def test_number_like_text_is_text(text):
    assert parse_scalar(text, "--set x") == text


@pytest.mark.parametrize("text,value", [("1e3", 1000.0), ("+.5", 0.5), ("-1.", -1.0),
                                        ("1_000.5", 1000.5), ("-.inf", float("-inf")),
                                        ("010", 10), ("0x1F", 31), ("0o17", 15)])
def test_numbers_are_still_numbers(text, value):
    assert parse_scalar(text, "--set x") == value


@pytest.mark.parametrize("text,words", [
    ("a: !!int abc", "cannot read 'abc' as int"), ("a: !!float x", "as float"),
    ("a: !!bool maybe", "true or false"), ("a: !!timestamp x", "not allowed"),
    ("a: !!binary aGk=", "not allowed"), ("a: " + "7" * 5000, "too large"),
    ("a: \x07", "U+0007"), ("a: \ud800", "U+D800"),
])
def test_explicit_tags_and_odd_scalars_are_scenario_errors(text, words):
    with pytest.raises(ruralsim.ScenarioError, match="t.yaml") as e:
        read_yaml_text(text, "t.yaml")
    assert words in str(e.value)


def test_dates_stay_text():
    assert read_yaml_text("a: 2001-13-45\nb: 2001-12-14\n", "t").data == {
        "a": "2001-13-45", "b": "2001-12-14"}


@pytest.mark.parametrize("text", ["a: &x {b: 1}\nc:\n  <<: *x\n  d: 2\n", "<<: {b: 2}\n",
                                  "a: {<<: [{b: 1}]}\n", "a:\n  - <<: 5\n"])
def test_merge_keys_are_refused_with_their_line(text):
    with pytest.raises(ruralsim.ScenarioError) as e:
        read_yaml_text(text, "m.yaml")
    issue = e.value.issues[0]
    assert "merge keys ('<<') are not supported" in issue.message and "extends" in issue.message
    assert issue.line == next(i for i, ln in enumerate(text.splitlines(), 1) if "<<" in ln)


yaml_ish = st.text(alphabet=st.sampled_from(list("+-._eE0123456789xo:[]{},!&*<=~ \n\t#'\"|>-?"
                                                 "tTfFnN") + ["\x00", "\ud800", "２", "\u2028"]),
                   max_size=40)


@settings(max_examples=400, deadline=None, derandomize=True)
@given(st.one_of(yaml_ish, st.text(max_size=40),
                 st.builds("{}{}".format, st.sampled_from(["!!int ", "!!float ", "!!bool ",
                                                           "!!str ", "!!null ", "<<: ", "a: "]),
                           yaml_ish)))
def test_the_yaml_reader_returns_a_value_or_a_scenario_error(text):
    try:
        read_yaml_text(text, "fuzz.yaml")
        parse_scalar(text, "--set fuzz")
    except ruralsim.ScenarioError as exc:
        assert exc.issues and all(i.file in ("fuzz.yaml", "--set fuzz") for i in exc.issues)


def test_unusual_keys_in_a_file_are_named(tmp_path):
    f = write(tmp_path / "k.yaml", f"extends: {MINIMAL}\n'villages[0]': 1\nrun: {{'[x]': 2}}\n")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(f)
    assert {i.path for i in e.value.issues} == {"villages[0]", "run.[x]"}
    assert {i.line for i in e.value.issues} == {2, 3}


# ------------------------------------------------------------------ §3 village CSVs
def csv_scenario(tmp_path: Path, content: bytes) -> Path:
    (tmp_path / "v.csv").write_bytes(content)
    return write(tmp_path / "s.yaml", f"extends: {MINIMAL}\nvillages: {{file: v.csv}}\n")


@pytest.mark.parametrize("end", ["\r", "\r\n", "\n"], ids=["cr", "crlf", "lf"])
def test_csv_with_any_line_ends_is_read(tmp_path, end):
    rows = ["name,households,community", "A,10,C", '"B, the other",5,C']
    sc = ruralsim.load_scenario(csv_scenario(tmp_path, end.join(rows).encode() + end.encode()))
    assert [(v.name, v.households) for v in sc.model.village_list] == [("A", 10),
                                                                        ("B, the other", 5)]


def test_csv_cell_over_128_kib_is_refused_with_its_line(tmp_path):
    f = csv_scenario(tmp_path, b"name,households,community\nA,10,C\nB," + b"9" * 140_000 + b",C\n")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(f)
    issue = e.value.issues[0]
    assert issue.file.endswith("v.csv") and issue.line == 3 and "longer than" in issue.message


def test_csv_duplicate_columns_are_named(tmp_path):
    f = csv_scenario(tmp_path, b"name, households ,community,x_km,households\nA,10,C,1,20\n")
    rc, err = run_cli(["validate", str(f)])
    assert rc == 2 and "v.csv:1" in err
    assert "columns 2 and 5 of the header are both named 'households'" in err


def test_csv_in_gbk_says_to_save_it_as_utf8(tmp_path):
    f = csv_scenario(tmp_path, "name,households,community\n东村,10,C\n".encode("gbk"))
    rc, err = run_cli(["validate", str(f)])
    assert rc == 2 and "v.csv:2" in err and "GBK" in err and "as UTF-8" in err


def test_csv_with_too_many_rows_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr("ruralsim.scenario.load.MAX_CSV_ROWS", 3)
    f = csv_scenario(tmp_path, b"name,households,community\n" + b"".join(
        b"V%d,1,C\n" % i for i in range(5)))
    with pytest.raises(ruralsim.ScenarioError, match="more than 3 villages"):
        ruralsim.load_scenario(f)


# ------------------------------------------------------------------ §4 special files
needs_fifo = pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")


def _cli_subprocess(argv: list[str], cwd: Path, timeout: float = 60) -> subprocess.CompletedProcess:
    def limit_memory():   # so that a regression reading /dev/zero fails fast instead of swapping
        import resource
        resource.setrlimit(resource.RLIMIT_AS, (4 * 2**30, 4 * 2**30))

    return subprocess.run([sys.executable, "-m", "ruralsim.cli", *argv], cwd=cwd,
                          capture_output=True, text=True, timeout=timeout,
                          preexec_fn=limit_memory if os.name == "posix" else None)


@needs_fifo
def test_fifos_as_scenario_base_csv_and_package_are_refused_without_hanging(tmp_path):
    for name in ("fifo.yaml", "base.yaml", "v.csv", "pkg.yaml"):
        os.mkfifo(tmp_path / name)
    write(tmp_path / "ext.yaml", "extends: base.yaml\n")
    write(tmp_path / "csv.yaml", f"extends: {MINIMAL}\nvillages: {{file: v.csv}}\n")
    write(tmp_path / "pkg_user.yaml", f"extends: {MINIMAL}\npackages: [pkg.yaml]\n")
    script = ("import sys\nfrom ruralsim.cli import main\n"
              "codes = [main(['validate', f]) for f in sys.argv[1:]]\nprint(codes)\n")
    proc = subprocess.run([sys.executable, "-c", script, "fifo.yaml", "ext.yaml", "csv.yaml",
                           "pkg_user.yaml"], cwd=tmp_path, capture_output=True, text=True,
                          timeout=60)
    assert proc.stdout.strip() == "[2, 2, 2, 2]", proc.stderr
    assert "Traceback" not in proc.stderr
    assert proc.stderr.count("named pipe (FIFO)") == 4
    assert "ext.yaml:1: extends: base.yaml: is a named pipe" in proc.stderr
    assert "csv.yaml:2: villages.file: v.csv: is a named pipe" in proc.stderr


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="no /dev/zero")
def test_dev_zero_is_refused_without_reading_it(tmp_path):
    proc = _cli_subprocess(["validate", "/dev/zero"], tmp_path)
    assert proc.returncode == 2 and "character device" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_folders_are_refused(tmp_path):
    (tmp_path / "v.csv").mkdir()
    write(tmp_path / "s.yaml", f"extends: {MINIMAL}\nvillages: {{file: v.csv}}\n")
    assert "v.csv: is a folder" in run_cli(["validate", str(tmp_path / "s.yaml")])[1]
    assert "is a folder" in run_cli(["validate", str(tmp_path)])[1]


def test_a_two_million_line_list_is_refused_within_seconds(tmp_path):
    f = tmp_path / "long.yaml"
    f.write_text("description:\n" + "- 1\n" * 1_999_999, encoding="utf-8")
    assert 7_000_000 < f.stat().st_size < 8_388_608   # under the 8 MiB size limit
    t0 = time.perf_counter()
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(f)
    elapsed = time.perf_counter() - t0
    assert f"more than {MAX_NODES:,} YAML nodes" in str(e.value) and "CSV" in str(e.value)
    assert e.value.issues[0].line is not None and e.value.issues[0].line <= MAX_NODES + 2
    assert elapsed < 10   # about 1.5 s; a full parse took minutes


def test_a_scenario_with_thousands_of_inline_villages_still_loads(tmp_path):
    villages = "".join(f"  - {{name: V{i}, households: 3, community: C, x_km: {i % 50}, "
                       f"y_km: {i // 50}, field_distance_km: 1.5}}\n" for i in range(4000))
    f = write(tmp_path / "many.yaml", f"extends: {MINIMAL}\nvillages:\n{villages}")
    assert len(ruralsim.load_scenario(f).model.village_list) == 4000


# ------------------------------------------------------------------ §4 memory
def grown(villages: int, months: int, households: int) -> dict:
    data = ruralsim.load_scenario(TEACHING).model.model_dump(mode="python")
    base = data["villages"]
    data["villages"] = [dict(base[i % len(base)], name=f"v{i}", households=households)
                        for i in range(villages)]
    data["run"]["horizon_months"] = months
    return data


@pytest.mark.parametrize("villages,months,households", [(6, 120, 3000), (40, 240, 20)])
def test_the_estimate_covers_what_a_run_allocates(tmp_path, villages, months, households):
    from ruralsim.outputs import write_run

    sc = ruralsim.load_scenario(grown(villages, months, households))
    tracemalloc.start()
    try:
        write_run(ruralsim.simulate(sc, seed=1), tmp_path)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert footprint.estimate_bytes(sc.model) >= peak


def test_the_estimate_counts_villages_and_months_not_only_households():
    few = footprint.estimate_bytes(ruralsim.load_scenario(grown(6, 12, 100)).model)
    long = footprint.estimate_bytes(ruralsim.load_scenario(grown(6, 1200, 100)).model)
    wide = footprint.estimate_bytes(ruralsim.load_scenario(grown(600, 12, 1)).model)
    both = footprint.estimate_bytes(ruralsim.load_scenario(grown(1000, 1200, 1)).model)
    assert few < long < both and few < wide < both
    assert both > 300 * 2**20   # 1,000 households only, but 1.2 million village-months


def test_many_villages_over_many_months_are_refused_under_a_small_limit(monkeypatch):
    monkeypatch.setattr(footprint, "physical_memory", lambda: 2**30)
    monkeypatch.setattr(footprint, "cgroup_limit", lambda *a: None)
    monkeypatch.setattr(footprint, "address_space_limit", lambda: None)
    data = grown(4000, 1200, 1)   # 4,000 households only, but 4.8 million village-months
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(data)
    msg = str(e.value)
    assert "4,000 villages" in msg and "1,200 months" in msg and "physical memory" in msg
    assert "limit found is 1.0 GiB" in msg


def test_ulimit_v_is_respected(monkeypatch):
    import resource

    used = footprint._address_space_used()
    soft = used + 300 * 2**20
    real = resource.getrlimit
    monkeypatch.setattr(resource, "getrlimit",
                        lambda which: (soft, soft) if which == resource.RLIMIT_AS else real(which))
    with pytest.raises(ruralsim.ScenarioError, match=r"ulimit -v \(address space\)"):
        ruralsim.load_scenario(grown(6, 120, 1_000_000))
    assert ruralsim.load_scenario(grown(6, 120, 100))   # a small one still fits


def test_ulimit_v_in_a_real_process(tmp_path):
    script = ("import resource, sys\nfrom ruralsim.cli import main\n"
              "lim = 3 * 2**30\nresource.setrlimit(resource.RLIMIT_AS, (lim, lim))\n"
              "sys.exit(main(['validate', 'teaching', '--set', "
              "'villages.0.households=10000000', '--set', 'villages.1.households=10000000']))\n")
    proc = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          timeout=60, cwd=tmp_path)
    assert proc.returncode == 2 and "ulimit -v" in proc.stderr, proc.stderr


def test_cgroup_limits_are_read(tmp_path):
    root = tmp_path / "fs"
    (root / "user.slice" / "job").mkdir(parents=True)
    (root / "memory.max").write_text("max\n")
    (root / "user.slice" / "memory.max").write_text(f"{3 * 2**30}\n")
    (root / "user.slice" / "job" / "memory.max").write_text(f"{5 * 2**30}\n")
    v2 = write(tmp_path / "v2", "0::/user.slice/job\n")
    assert footprint.cgroup_limit(v2, root) == (3 * 2**30, str(root / "user.slice" / "memory.max"))
    (root / "memory" / "docker" / "abc").mkdir(parents=True)
    (root / "memory" / "docker" / "abc" / "memory.limit_in_bytes").write_text(f"{2**30}\n")
    v1 = write(tmp_path / "v1", "5:cpu:/docker/abc\n4:memory:/docker/abc\n")
    assert footprint.cgroup_limit(v1, root)[0] == 2**30
    # inside a container the cgroup's own folder is mounted as the root
    (root / "memory" / "memory.limit_in_bytes").write_text(f"{2**29}\n")
    v1c = write(tmp_path / "v1c", "4:memory:/docker/elsewhere\n")
    assert footprint.cgroup_limit(v1c, root)[0] == 2**29
    (root / "memory" / "memory.limit_in_bytes").write_text("9223372036854771712\n")
    assert footprint.cgroup_limit(v1c, root) is None   # v1's "no limit"
    assert footprint.cgroup_limit(tmp_path / "missing", root) is None


def test_a_cgroup_limit_is_named_in_the_message(monkeypatch):
    monkeypatch.setattr(footprint, "cgroup_limit",
                        lambda *a: (2**28, "/sys/fs/cgroup/memory.max"))
    with pytest.raises(ruralsim.ScenarioError, match="cgroup.*memory.max"):
        ruralsim.load_scenario(grown(6, 120, 1_000_000))
