"""Issue 9, the report: hostile result folders, report files and a failing Chromium.

Every case ends with a report or a message and exit code 2 (exit 1 for a failing Chromium),
never with a traceback, a live ``<script>``, a file of the machine inlined or a file lost.
"""
from __future__ import annotations

import csv
import io
import json
import os
import shutil
import stat
import threading
import time
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from ruralsim.cli import main
from ruralsim.report import html as report_html
from ruralsim.report import inputs as report_inputs
from ruralsim.report.html import Markup, h, join

HOSTILE = '<script>alert(1)</script>"><img src=x onerror=alert(1)>\'&'
PNG = b"\x89PNG\r\n\x1a\n"

COMPARE_CSV = """metric,scenario,mean,p2_5,p97_5,diff_vs_first,diff_ci_low,diff_ci_high,reps
share_moved,a,0.9,0.8,0.95,0,0,0,3
share_moved,b,0.8,0.7,0.9,-0.1,-0.2,0.0,3
npv_cny,a,1e6,9e5,1.1e6,0,0,0,3
npv_cny,b,,,,,,,3
"""


@pytest.fixture(scope="module")
def base(tmp_path_factory) -> Path:
    """A run folder of the teaching scenario, with figures (built once)."""
    out = tmp_path_factory.mktemp("base") / "teaching"
    assert main(["run", "scenarios/teaching.yaml", "--out", str(out), "--quiet"]) == 0
    return out


def _run_copy(base: Path, dest: Path, figures: bool = False) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    for name in ("summary.json", "scenario.json"):
        shutil.copy(base / name, dest / name)
    if figures:
        shutil.copytree(base / "figures", dest / "figures")
    return dest


def _compare_dir(dest: Path, text: str = COMPARE_CSV) -> Path:
    dest.mkdir(parents=True, exist_ok=True)
    (dest / "compare.csv").write_text(text, encoding="utf-8")
    return dest


def _report(capsys, *args) -> tuple[int, str]:
    code = main(["report", *map(str, args)])
    return code, capsys.readouterr().err


def _json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


def _set(doc, keys, value):
    for k in keys[:-1]:
        doc = doc[k]
    doc[keys[-1]] = value


# ---------------------------------------------------------------- §2 escaping

def test_h_escapes_every_value_in_text_and_attributes():
    assert h('<td title="{}">{}</td>', 'a"b\'c', "<b>&") == \
        '<td title="a&#34;b&#39;c">&lt;b&gt;&amp;</td>'
    inner = h("<b>{}</b>", "<i>")
    assert h("<p>{}</p>", inner) == "<p><b>&lt;i&gt;</b></p>"        # markup made by h stays
    assert join(["<x>", inner], "<br>") == "&lt;x&gt;<br><b>&lt;i&gt;</b>"
    assert h("<p>{:,.0f}</p>", 1234567.0) == "<p>1,234,567</p>"
    assert h("<p>{}</p>", Markup("<hr>")) == "<p><hr></p>"
    assert h("<p>{}</p>", "\ud800x") == "<p>\ufffdx</p>"              # writable as UTF-8


SUMMARY_TEXT = [("scenario",), ("scenario_hash",), ("version",), ("seed",)]
SCENARIO_TEXT = [("communities", 0, "name"), ("policy", "instruments", 0, "name"),
                 ("policy", "instruments", 0, "label_zh"), ("policy", "instruments", 1, "label_en"),
                 ("policy", "events", 0, "name"), ("policy", "events", 0, "label_zh"),
                 ("strategy", "name"), ("strategy", "label_zh"), ("strategy", "priority", 0),
                 ("household_types", "wealthy", "label_zh"),
                 ("household_types", "wealthy", "label_en")]


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_hostile_text_in_every_json_field_is_escaped(base, tmp_path, capsys, lang):
    run = _run_copy(base, tmp_path / "run")
    summary, sc = _json(run / "summary.json"), _json(run / "scenario.json")
    for keys in SUMMARY_TEXT:
        _set(summary, keys, HOSTILE + keys[0])
    for keys in SCENARIO_TEXT:
        _set(sc, keys, HOSTILE + str(keys[-1]))
    (run / "summary.json").write_text(json.dumps(summary), encoding="utf-8")
    (run / "scenario.json").write_text(json.dumps(sc), encoding="utf-8")
    out = tmp_path / "r.html"
    code, err = _report(capsys, run, "--lang", lang, "--out", out)
    assert code == 0, err
    text = out.read_text(encoding="utf-8")
    assert "<script" not in text.lower() and "<img src=x" not in text
    assert text.count("&lt;script&gt;alert(1)&lt;/script&gt;&#34;&gt;") >= 8


def test_hostile_names_in_compare_csv_are_escaped(tmp_path, capsys):
    text = COMPARE_CSV.replace(",a,", ',"<script>alert(1)</script>",').replace(
        "share_moved", '"<img src=x onerror=alert(1)>"')
    cmp = _compare_dir(tmp_path / "cmp", text)
    code, err = _report(capsys, cmp, "--out", tmp_path / "r.html")
    assert code == 0, err
    page = (tmp_path / "r.html").read_text(encoding="utf-8")
    assert "<script" not in page.lower() and "<img src=x" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page and "&lt;img src=x" in page


def test_a_script_in_a_number_cell_of_compare_csv_is_refused(tmp_path, capsys):
    # today: a live <script> in the report
    text = COMPARE_CSV + "my_metric,a,<script>alert(1)</script>,1,2,0,0,0,3\n"
    cmp = _compare_dir(tmp_path / "cmp", text)
    code, err = _report(capsys, cmp, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert "compare.csv:6: mean:" in err and "not a finite number" in err


def test_figure_names_are_escaped_in_alt_and_caption(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run")
    (run / "figures").mkdir()
    shutil.copy(base / "figures" / "status.png", run / "figures" / 'x"onerror="alert(1)<b>.png')
    out = tmp_path / "r.html"
    code, err = _report(capsys, run, "--out", out)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert 'alt="x&#34;onerror=&#34;alert(1)&lt;b&gt;"' in page
    # the caption is in words, never the file name
    assert "<figcaption>图</figcaption>" in page and "alert(1)<" not in page


# ---------------------------------------------------------------- §2 only regular files inside

def _images(page: str) -> int:
    return page.count('src="data:image/')


def test_only_regular_image_files_inside_the_folder_are_inlined(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run", figures=True)
    n = len(list((base / "figures").glob("*.png")))
    outside = tmp_path / "outside.png"              # a real PNG, so only the link gives it away
    outside.write_bytes((base / "figures" / "status.png").read_bytes() + b"SECRET-OUTSIDE")
    (run / "figures" / "leak.png").symlink_to(outside)
    (run / "figures" / "zero.png").symlink_to("/dev/zero")
    (run / "figures" / "inner.png").symlink_to(run / "figures" / "status.png")
    (run / "figures" / "text.png").write_text("not an image\n")
    (run / "figures" / "folder.png").mkdir()
    out = tmp_path / "r.html"
    code, err = _report(capsys, run, "--out", out)
    assert code == 0, err
    page = out.read_text(encoding="utf-8")
    assert _images(page) == n
    import base64
    assert base64.b64encode(outside.read_bytes())[-40:].decode() not in page
    for name in ("leak.png", "zero.png", "inner.png"):
        assert f"{name}: skipped, is a symbolic link" in err, err
    assert "text.png: skipped, is not a PNG or GIF image" in err
    assert "folder.png: skipped, is not a regular file" in err


def test_a_fifo_among_the_figures_is_skipped_without_hanging(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run")
    (run / "figures").mkdir()
    fifo = run / "figures" / "pipe.png"
    os.mkfifo(fifo)
    # a writer that opens the FIFO, so that code reading it (as before) would not hang forever
    writer = threading.Thread(target=lambda: os.close(os.open(fifo, os.O_WRONLY)), daemon=True)
    writer.start()
    try:
        code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    finally:
        os.close(os.open(fifo, os.O_RDONLY | os.O_NONBLOCK))       # release the writer
        writer.join(5)
    assert code == 0, err
    assert "pipe.png: skipped, is not a regular file" in err
    assert _images((tmp_path / "r.html").read_text(encoding="utf-8")) == 0


def test_a_linked_figures_folder_and_oversized_images_are_skipped(base, tmp_path, capsys,
                                                                  monkeypatch):
    run = _run_copy(base, tmp_path / "run")
    (run / "figures").symlink_to(base / "figures")
    code, err = _report(capsys, run, "--out", tmp_path / "a.html")
    assert code == 0 and "not a folder inside the result folder" in err
    assert _images((tmp_path / "a.html").read_text(encoding="utf-8")) == 0

    (run / "figures").unlink()
    (run / "figures").mkdir()
    (run / "figures" / "big.png").write_bytes(PNG + b"\0" * 5000)
    (run / "figures" / "small.gif").write_bytes(b"GIF89a" + b"\0" * 10)
    monkeypatch.setattr(report_inputs, "MAX_FIGURE_BYTES", 1000)
    code, err = _report(capsys, run, "--out", tmp_path / "b.html")
    assert code == 0 and "big.png: skipped, is too large" in err
    page = (tmp_path / "b.html").read_text(encoding="utf-8")
    assert _images(page) == 1 and 'src="data:image/gif;base64,' in page


@pytest.mark.parametrize("name", ["summary.json", "scenario.json"])
def test_a_linked_input_file_is_refused(base, tmp_path, capsys, name):
    run = _run_copy(base, tmp_path / "run")
    elsewhere = tmp_path / "elsewhere.json"
    shutil.move(run / name, elsewhere)
    (run / name).symlink_to(elsewhere)
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert f"{name}: is a symbolic link" in err


# ---------------------------------------------------------------- §3 bad content: exit 2

def _summary_case(base, keys, value):
    doc = _json(base / "summary.json")
    if keys is None:
        return doc
    if value is KeyError:
        d = doc
        for k in keys[:-1]:
            d = d[k]
        del d[keys[-1]]
    else:
        _set(doc, keys, value)
    return doc


RAW_JSON = [  # (text, what the message says)
    (b"", "not valid JSON"), (b"{", "not valid JSON"), (b"[1]", "holds an array, not a JSON object"),
    (b"3", "holds a number, not a JSON object"), (b"null", "holds null, not a JSON object"),
    (b'"x"', "holds a string, not a JSON object"), (b"\xff\xfe{}", "not UTF-8"),
    (b"[" * 100_000 + b"]" * 100_000, "not valid JSON"),
    (b'{"scenario": NaN}', "NaN is not allowed"), (b'{"a": Infinity}', "Infinity is not allowed"),
    (b'{"a": -Infinity}', "-Infinity is not allowed"),
]


@pytest.mark.parametrize("name", ["summary.json", "scenario.json"])
@pytest.mark.parametrize("raw,says", RAW_JSON)
def test_unreadable_json_is_refused(base, tmp_path, capsys, name, raw, says):
    run = _run_copy(base, tmp_path / "run")
    (run / name).write_bytes(raw)
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert name in err and says in err and "ruralsim run" in err


SUMMARY_CASES = [  # (key path, value, message fragment)
    (("scenario",), KeyError, "scenario: Field required"),
    (("npv_cny",), KeyError, "npv_cny: Field required"),
    (("share_moved",), "0.9", "share_moved: Input should be a valid number"),
    (("households",), {"n": 1}, "households: Input should be a valid number"),
    (("households",), [600], "households: Input should be a valid number"),
    (("households",), True, "households: Input should be a valid number"),
    (("npv_cny",), 10**400, "npv_cny:"),
    (("npv_cny",), 1e300, "npv_cny: Input should be less than or equal to"),
    (("scenario",), 5, "scenario: Input should be a valid string"),
    (("scenario",), "", "scenario: String should have at least 1 character"),
    (("scenario",), "x" * 5000, "scenario: String should have at most"),
    (("seed",), None, "seed:"),
]


@pytest.mark.parametrize("keys,value,says", SUMMARY_CASES)
def test_summary_with_missing_keys_or_wrong_types_is_refused(base, tmp_path, capsys, keys,
                                                             value, says):
    run = _run_copy(base, tmp_path / "run")
    (run / "summary.json").write_text(json.dumps(_summary_case(base, keys, value)))
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert "summary.json" in err and says in err, err


SCENARIO_CASES = [
    (("villages",), KeyError, "villages: Field required"),
    (("villages",), {"file": "v.csv"}, "villages: Input should be a valid list"),
    (("villages", 0, "households"), "120", "villages.0.households: Input should be a valid int"),
    (("villages", 0, "households"), 1.5, "villages.0.households: Input should be a valid int"),
    (("villages", 0, "households"), -1, "villages.0.households: Input should be greater"),
    (("communities", 0, "name"), None, "communities.0.name: Input should be a valid string"),
    (("run", "start_month"), 13, "run.start_month: Input should be less than or equal to 12"),
    (("run", "start_year"), 10**30, "run.start_year:"),
    (("run",), [], "run: Input should be an object"),
    (("policy", "instruments"), None, "policy.instruments: Input should be a valid list"),
    (("strategy", "withdrawal", "threshold_share"), "half", "threshold_share: Input should be"),
    (("strategy", "withdrawal", "enabled"), "yes", "withdrawal.enabled: Input should be a valid"),
    (("strategy", "priority"), "wealthy", "strategy.priority: Input should be a valid list"),
    (("household_types",), ["poor"], "household_types: Input should be an object"),
]


@pytest.mark.parametrize("keys,value,says", SCENARIO_CASES)
def test_scenario_json_with_missing_keys_or_wrong_types_is_refused(base, tmp_path, capsys,
                                                                   keys, value, says):
    run = _run_copy(base, tmp_path / "run")
    doc = _json(base / "scenario.json")
    if value is KeyError:
        del doc[keys[0]]
    else:
        _set(doc, keys, value)
    (run / "scenario.json").write_text(json.dumps(doc))
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert "scenario.json" in err and says in err, err


HEADER = "metric,scenario,mean,p2_5,p97_5,diff_vs_first,diff_ci_low,diff_ci_high,reps\n"
COMPARE_CASES = [
    ("", "is empty"), ("\n\n", "is empty"), (HEADER, "header but no rows"),
    ("metric,scenario,mean\nshare_moved,a,1\n", "missing column(s) p2_5"),
    (HEADER.replace("reps", "mean") + "share_moved,a,1,1,1,0,0,0,1\n",
     "mean appear more than once"),
    (HEADER + "share_moved,a,abc,1,1,0,0,0,3\n", ":2: mean: 'abc' is not a finite number"),
    (HEADER + "share_moved,a,inf,1,1,0,0,0,3\n", ":2: mean:"),
    (HEADER + "share_moved,a,1e400,1,1,0,0,0,3\n", ":2: mean:"),
    (HEADER + "share_moved,a,1,1,1,0,0,{x},3\n", ":2: diff_ci_high:"),
    (HEADER + ",a,1,1,1,0,0,0,3\n", ":2: metric: '' must be a name"),
    (HEADER + "share_moved,a,1,1\n", ":2: 4 cells, the header has 9"),
    (HEADER + "share_moved,a,1,1,1,0,0,0,3\nshare_moved,a,2,1,1,0,0,0,3\n", ":3: a second row"),
    ((HEADER + "share_moved,a,1,1,1,0,0,0,3\n").encode("utf-16"), "not UTF-8"),
    (HEADER + 'share_moved,"' + "x" * 200_000 + '",1,1,1,0,0,0,3\n', "not a readable CSV"),
]


@pytest.mark.parametrize("text,says", COMPARE_CASES)
def test_bad_compare_csv_is_refused(tmp_path, capsys, text, says):
    cmp = tmp_path / "cmp"
    cmp.mkdir()
    (cmp / "compare.csv").write_bytes(text if isinstance(text, bytes) else text.encode())
    code, err = _report(capsys, cmp, "--out", tmp_path / "r.html")
    assert code == 2 and not (tmp_path / "r.html").exists()
    assert "compare.csv" in err and says in err, err


def test_missing_folders_files_and_special_inputs_are_refused(base, tmp_path, capsys):
    code, err = _report(capsys, tmp_path / "nowhere")
    assert code == 2 and "does not exist" in err
    (tmp_path / "file").write_text("x")
    code, err = _report(capsys, tmp_path / "file")
    assert code == 2 and "is not a folder" in err
    run = tmp_path / "run"
    run.mkdir()
    (run / "summary.json").mkdir()
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and "summary.json: is not a regular file" in err
    os.rmdir(run / "summary.json")
    os.mkfifo(run / "summary.json")                     # refused before it is opened
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and "summary.json: is not a regular file" in err
    assert not (tmp_path / "r.html").exists()


def test_lone_surrogates_in_names_never_break_writing_the_report(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run")
    text = (run / "summary.json").read_text().replace('"teaching"', '"teach\\ud800ing"')
    (run / "summary.json").write_text(text)
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and "scenario: Input should be a valid string" in err
    # a folder name that is not UTF-8 names a column when two runs share a scenario
    other = _run_copy(base, tmp_path / os.fsdecode(b"run-\xff"))
    run = _run_copy(base, tmp_path / "run")
    code, err = _report(capsys, run, other, "--out", tmp_path / "r.html")
    assert code == 0, err
    assert "(teaching) (run-\ufffd)" in (tmp_path / "r.html").read_text(encoding="utf-8")


def test_oversized_input_files_are_refused_before_reading(base, tmp_path, capsys, monkeypatch):
    run = _run_copy(base, tmp_path / "run")
    monkeypatch.setattr(report_inputs, "MAX_JSON_BYTES", 100)
    code, err = _report(capsys, run, "--out", tmp_path / "r.html")
    assert code == 2 and "summary.json: is too large" in err


# ---------------------------------------------------------------- §3 fuzzing

TEXTS = st.text(max_size=20) | st.sampled_from([HOSTILE, "<SCRIPT>x</SCRIPT>", "<scr<script>ipt>",
                                                "", "&lt;script&gt;", "1e5"])
NUMBERS = (st.integers(min_value=-(10**30), max_value=10**30) | st.floats()
           | st.sampled_from([10**400, -1, 0, 13, 2**63, 1e18, -1e19]))
JSON_VALUES = st.recursive(st.none() | st.booleans() | NUMBERS | TEXTS,
                           lambda inner: st.lists(inner, max_size=3)
                           | st.dictionaries(st.text(max_size=5), inner, max_size=3),
                           max_leaves=6)
NUMBER_KEYS = ["households", "share_moved", "npv_cny", "months_to_50pct_moved", "unused"]
SUMMARY_EDITS = (st.tuples(st.sampled_from([k[0] for k in SUMMARY_TEXT]), TEXTS)
                 | st.tuples(st.sampled_from(NUMBER_KEYS), NUMBERS)
                 | st.tuples(st.sampled_from([k[0] for k in SUMMARY_TEXT] + NUMBER_KEYS),
                             JSON_VALUES))
SCENARIO_PATHS = SCENARIO_TEXT + [
    ("villages",), ("villages", 0), ("villages", 0, "households"), ("communities",),
    ("run",), ("run", "start_year"), ("run", "start_month"), ("run", "horizon_months"),
    ("policy",), ("policy", "events"), ("strategy", "withdrawal"),
    ("strategy", "withdrawal", "enabled"), ("strategy", "withdrawal", "threshold_share"),
    ("strategy", "withdrawal", "decay_per_month"), ("household_types",),
    ("household_types", "poor"), ("description",)]
SCENARIO_EDITS = (st.tuples(st.sampled_from(SCENARIO_TEXT), TEXTS)
                  | st.tuples(st.sampled_from(SCENARIO_PATHS), JSON_VALUES))
FUZZ = settings(max_examples=60, deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow])


def _fuzz_report(folder: Path, out: Path) -> None:
    out.unlink(missing_ok=True)
    code = main(["report", str(folder), "--out", str(out)])
    assert code in (0, 2)
    if code == 0:
        assert "<script" not in out.read_text(encoding="utf-8").lower()
    else:
        assert not out.exists()


@pytest.fixture(scope="module")
def fuzz_dir(base, tmp_path_factory) -> Path:
    return _run_copy(base, tmp_path_factory.mktemp("fuzz") / "run")


@FUZZ
@given(edits=st.lists(SUMMARY_EDITS, max_size=3), whole=st.none() | JSON_VALUES)
def test_fuzz_summary_json(base, fuzz_dir, edits, whole):
    doc = _json(base / "summary.json") if whole is None else whole
    for key, value in edits:
        if isinstance(doc, dict):
            doc[key] = value
    (fuzz_dir / "summary.json").write_text(json.dumps(doc))      # NaN / Infinity literals too
    shutil.copy(base / "scenario.json", fuzz_dir / "scenario.json")
    _fuzz_report(fuzz_dir, fuzz_dir.parent / "r.html")


@FUZZ
@given(edits=st.lists(SCENARIO_EDITS, min_size=1, max_size=3))
def test_fuzz_scenario_json(base, fuzz_dir, edits):
    doc = _json(base / "scenario.json")
    for keys, value in edits:
        try:
            _set(doc, keys, value)
        except (KeyError, IndexError, TypeError):
            pass                                       # an earlier change removed the parent
    (fuzz_dir / "scenario.json").write_text(json.dumps(doc))
    shutil.copy(base / "summary.json", fuzz_dir / "summary.json")
    _fuzz_report(fuzz_dir, fuzz_dir.parent / "r.html")


CSV_EDITS = (st.tuples(st.integers(0, 4), st.integers(0, 1), TEXTS)
             | st.tuples(st.integers(1, 4), st.integers(2, 7), NUMBERS.map(str))
             | st.tuples(st.integers(0, 4), st.integers(0, 8),
                         TEXTS | st.sampled_from(["nan", "inf", "-1e400", "", "1,5"])))


@FUZZ
@given(edits=st.lists(CSV_EDITS, max_size=6), drop=st.integers(0, 30))
def test_fuzz_compare_csv(tmp_path_factory, edits, drop):
    rows = list(csv.reader(io.StringIO(COMPARE_CSV)))
    for r, c, value in edits:
        rows[r][c] = value
    if drop < 9:                                       # now and then, a column goes missing
        for r in rows:
            del r[drop]
    buf = io.StringIO()
    csv.writer(buf).writerows(rows)
    cmp = _compare_dir(tmp_path_factory.getbasetemp() / "fuzz_cmp", buf.getvalue())
    _fuzz_report(cmp, cmp.parent / "fuzz_cmp.html")


# ---------------------------------------------------------------- §3 a failing Chromium: exit 1

def _fake_chromium(tmp_path: Path, body: str) -> str:
    exe = tmp_path / "fake-chromium"
    exe.write_text("#!/bin/sh\n" + body + "\n")
    exe.chmod(exe.stat().st_mode | stat.S_IXUSR)
    return str(exe)


def _writes(content: str) -> str:
    """A shell script body that writes ``content`` where --print-to-pdf asks, and exits 0."""
    return ('for a in "$@"; do case $a in --print-to-pdf=*) '
            f'printf "%s" "{content}" > "${{a#*=}}";; esac; done')

CHROMIUM_FAILURES = [   # no Chromium at all is exit 2 before writing (test_safety_outputs)
    ("echo broken >&2; exit 3", "Chromium failed (exit code 3)"),
    ("exit 0", "Chromium wrote no PDF"),
    (_writes("not-a-pdf"), "Chromium wrote no PDF"),
    ("sleep 30 & echo $! > \"$(dirname \"$0\")/child.pid\"; sleep 30", "did not finish"),
]


@pytest.mark.parametrize("script,says", CHROMIUM_FAILURES)
def test_a_failing_chromium_gives_exit_1_and_keeps_the_html(base, tmp_path, capsys, monkeypatch,
                                                           script, says):
    exe = None if script is None else _fake_chromium(tmp_path, script)
    monkeypatch.setattr(report_html, "find_chromium", lambda: exe)
    monkeypatch.setattr(report_html, "PDF_TIMEOUT_S", 1.0)
    run = _run_copy(base, tmp_path / "run")
    out = tmp_path / "out" / "r.html"
    out.parent.mkdir()
    (out.parent / "r.pdf").write_bytes(b"%PDF-old")          # an earlier PDF stays as it was
    start = time.monotonic()
    code, err = _report(capsys, run, "--out", out, "--pdf", "--force")
    assert code == 1 and says in err and "HTML report was written" in err, err
    assert "Traceback" not in err and time.monotonic() - start < 10
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    assert (out.parent / "r.pdf").read_bytes() == b"%PDF-old"
    assert sorted(p.name for p in out.parent.iterdir()) == ["r.html", "r.pdf"]
    pid_file = tmp_path / "child.pid"
    if pid_file.exists():                       # the hung Chromium's helpers were ended too
        pid = int(pid_file.read_text())
        for _ in range(50):
            try:
                state = Path(f"/proc/{pid}/stat").read_text().split(")")[-1].split()[0]
            except OSError:
                break
            if state == "Z":
                break
            time.sleep(0.05)
        else:
            pytest.fail(f"Chromium's child {pid} still runs")


def test_a_working_chromium_replaces_the_pdf_atomically(base, tmp_path, capsys, monkeypatch):
    exe = _fake_chromium(tmp_path, _writes("%PDF-new"))
    monkeypatch.setattr(report_html, "find_chromium", lambda: exe)
    run = _run_copy(base, tmp_path / "run")
    out = tmp_path / "r.html"
    code, err = _report(capsys, run, "--out", out, "--pdf")
    assert code == 0, err
    assert (tmp_path / "r.pdf").read_bytes() == b"%PDF-new"


# ---------------------------------------------------------------- §1 the report file

def test_report_out_refuses_to_overwrite_without_force(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run")
    out = tmp_path / "notes.html"
    out.write_text("my notes")
    code, err = _report(capsys, run, "--out", out)
    assert code == 2 and "already exists; use --force" in err
    assert out.read_text() == "my notes"
    assert _report(capsys, run, "--out", out, "--force")[0] == 0
    assert out.read_text(encoding="utf-8").startswith("<!DOCTYPE html>")
    # the default report.html of the first folder is protected the same way
    assert _report(capsys, run)[0] == 0
    code, err = _report(capsys, run)
    assert code == 2 and "report.html already exists" in err


@pytest.mark.parametrize("target", ["summary.json", "scenario.json", "figures/status.png",
                                    "figures/../summary.json"])
def test_report_out_is_never_an_input_even_with_force(base, tmp_path, capsys, target):
    run = _run_copy(base, tmp_path / "run", figures=True)
    before = (run / target).read_bytes()
    code, err = _report(capsys, run, "--out", run / target, "--force")
    assert code == 2 and "is a file the report reads" in err
    assert (run / target).read_bytes() == before


def test_report_out_of_a_comparison_is_never_its_csv(tmp_path, capsys):
    cmp = _compare_dir(tmp_path / "cmp")
    code, err = _report(capsys, cmp, "--out", cmp / "compare.csv", "--force")
    assert code == 2 and (cmp / "compare.csv").read_text() == COMPARE_CSV


@pytest.mark.parametrize("where", [".", "..", "/", "run", "run/figures"])
def test_report_out_refuses_a_folder(base, tmp_path, capsys, monkeypatch, where):
    monkeypatch.chdir(tmp_path)
    _run_copy(base, tmp_path / "run", figures=True)
    code, err = _report(capsys, "run", "--out", where, "--force")
    assert code == 2 and "is a folder" in err


def test_report_out_under_a_file_is_refused(base, tmp_path, capsys):
    run = _run_copy(base, tmp_path / "run")
    (tmp_path / "plain").write_text("x")
    code, err = _report(capsys, run, "--out", tmp_path / "plain" / "r.html")
    assert code == 2 and "is not a folder" in err


def test_the_pdf_path_is_checked_before_anything_is_written(base, tmp_path, capsys,
                                                           monkeypatch):
    monkeypatch.setattr(report_html, "find_chromium", lambda: None)
    run = _run_copy(base, tmp_path / "run")
    out = tmp_path / "r.html"
    (tmp_path / "r.pdf").write_bytes(b"%PDF-mine")
    code, err = _report(capsys, run, "--out", out, "--pdf")
    assert code == 2 and "PDF" in err and "already exists" in err
    assert not out.exists() and (tmp_path / "r.pdf").read_bytes() == b"%PDF-mine"
    (tmp_path / "r.pdf").unlink()
    (tmp_path / "r.pdf").mkdir()
    code, err = _report(capsys, run, "--out", out, "--pdf", "--force")
    assert code == 2 and "is a folder" in err and not out.exists()
    code, err = _report(capsys, run, "--out", tmp_path / "r.pdf.pdf", "--pdf", "--force")
    assert code == 2 and "ends in .pdf" in err
