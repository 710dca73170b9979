"""Issue 14, the planner's side: a comparison to hand to leaders (report and terminal),
variants without YAML, the command line, and Excel."""
from __future__ import annotations

import csv
import math
import re
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim.cli import build_parser, main, print_comparison, print_effects, print_summary
from ruralsim.experiments.decompose import METRICS as DECOMPOSE_METRICS
from ruralsim.experiments.replicate import (COMPARE_METRICS, Comparison, Variant,
                                            build_scenarios)
from ruralsim.outputs import write_csv
from ruralsim.report.formatting import fmt_estimate, fmt_value, judge
from ruralsim.report.html import render_report
from ruralsim.report.inputs import CompareInput, CompareRow, DecomposeInput, EffectRow, \
    ReportInputs
from ruralsim.report.labels import UNITS, metric_info, metric_label

ROOT = Path(__file__).resolve().parents[1]
FAST = ["--set", "run.horizon_months=24"]
CJK = re.compile(r"[\u4e00-\u9fff]")
ALL_METRICS = sorted(set(COMPARE_METRICS) | set(DECOMPOSE_METRICS))


def _no_raw_numbers(text: str) -> None:
    """Nothing a planner cannot read: no scientific notation, no nan, no raw metric keys."""
    assert not re.search(r"\d[eE][+-]?\d", text), text
    assert not re.search(r"\bnan\b", text, flags=re.I), text
    for key in ALL_METRICS:
        assert key not in text, key


# ------------------------------------------------------------------ §1 labels and formats
@pytest.mark.parametrize("key", ALL_METRICS)
def test_every_compared_metric_has_both_labels_a_unit_and_a_direction(key):
    m = metric_info(key)
    assert m is not None, key
    assert CJK.search(m.zh) and m.en.isascii() and m.en[0].isupper()
    assert m.unit in UNITS and m.better in (-1, 0, 1)
    assert CJK.search(m.missing_zh) and m.missing_en.isascii()


def test_directions_say_which_way_is_better():
    for key, better in (("months_to_90pct_moved", -1), ("exposure_household_months", -1),
                        ("share_moved", +1), ("total_public_cost_cny", -1),
                        ("land_freed_mu", +1), ("households_moved_because_of_withdrawal", -1)):
        assert metric_info(key).better == better, key


def test_money_months_shares_and_counts_in_readable_units():
    assert fmt_value("total_public_cost_cny", 627_000, "zh") == "62.7万元"
    assert fmt_value("total_public_cost_cny", 3.2e8, "zh") == "3.20亿元"
    assert fmt_value("total_public_cost_cny", 627_000, "en") == "627 thousand CNY"
    assert fmt_value("total_public_cost_cny", 47_741_518, "en") == "47.7 million CNY"
    assert fmt_value("dividends_per_household_cny", 1527, "en") == "1,527 CNY"
    assert fmt_value("months_to_90pct_moved", 137.8, "en") == "138"
    assert fmt_value("share_moved", 0.9123, "zh") == "91.2%"
    assert fmt_value("exposure_household_months", 12345.6, "en") == "12,346"
    assert fmt_estimate("share_moved", -0.162, -0.176, -0.147, "en", diff=True) == \
        "-16.2 pp [-17.6, -14.7]"
    assert fmt_estimate("total_public_cost_cny", 4.651e7, 4.54e7, 4.81e7, "zh") == \
        "4,651万元 [4,540, 4,810]"
    assert fmt_estimate("months_to_90pct_moved", -9.1, -12.4, -5.8, "en", diff=True) == \
        "-9 [-12, -6]"


def test_a_share_is_100_percent_only_when_nobody_remains():
    assert fmt_value("share_moved", 1.0, "en") == "100.0%"
    assert fmt_value("share_moved", 0.9996, "en") == ">99.9%"
    assert fmt_value("share_moved", 0.0004, "en") == "<0.1%"


@pytest.mark.parametrize("key,zh,en", [
    ("months_to_90pct_moved", "期内未达到", "not reached within the horizon"),
    ("cost_per_relocated_household_cny", "无人搬迁", "no movers"),
    ("share_movers_worse_off", "无人搬迁", "no movers")])
def test_a_missing_value_says_why(key, zh, en):
    for missing in (None, float("nan"), float("inf")):
        assert fmt_value(key, missing, "zh") == zh and fmt_value(key, missing, "en") == en
        assert fmt_estimate(key, missing, missing, missing, "en", diff=True) == en


@settings(max_examples=300, deadline=None, derandomize=True)
@given(key=st.sampled_from(ALL_METRICS), lang=st.sampled_from(["zh", "en"]),
       diff=st.booleans(),
       x=st.floats(min_value=-1e18, max_value=1e18)
       | st.sampled_from([math.nan, math.inf, -math.inf, None]))
def test_no_value_is_ever_shown_in_scientific_notation_or_as_nan(key, lang, diff, x):
    text = fmt_estimate(key, x, None if x is None else x * 0.9, None if x is None else x * 1.1,
                        lang, diff)
    _no_raw_numbers(text)


def test_better_or_worse_is_judged_per_metric_and_unclear_when_the_interval_spans_zero():
    assert judge("months_to_90pct_moved", -9.1, -12.0, -6.0) == "better"     # faster
    assert judge("total_public_cost_cny", 6.3e5, 2e5, 9e5) == "worse"         # dearer
    assert judge("land_freed_mu", 12.0, 3.0, 20.0) == "better"
    assert judge("share_moved", -0.1, -0.2, -0.05) == "worse"
    assert judge("exposure_household_months", -50, -120, 10) == "unclear"
    assert judge("months_to_90pct_moved", None, None, None) == "missing"
    assert judge("households", 3.0, 1.0, 5.0) == "changed"                    # neither way


def _comparison() -> Comparison:
    """A comparison as compare() makes it (the numbers of issue 14's complaint)."""
    rows = []
    for metric, base, diff, lo, hi in (
            ("months_to_90pct_moved", 140.0, -9.1, -12.0, -6.0),
            ("total_public_cost_cny", 4.65e7, 6.272e5, 2.0e5, 1.05e6),
            ("exposure_household_months", 7810.0, -120.0, -400.0, 150.0),
            ("months_to_50pct_moved", 58.0, math.nan, math.nan, math.nan)):
        rows.append({"metric": metric, "scenario": "base", "mean": base, "p2_5": base * 0.9,
                     "p97_5": base * 1.1, "diff_vs_first": 0.0, "diff_ci_low": 0.0,
                     "diff_ci_high": 0.0, "reps": 10, "runs": 10})
        rows.append({"metric": metric, "scenario": "贷款", "mean": base + diff,
                     "p2_5": base, "p97_5": base, "diff_vs_first": diff, "diff_ci_low": lo,
                     "diff_ci_high": hi, "reps": 10 if metric != "months_to_50pct_moved" else 0,
                     "runs": 10})
    return Comparison(["base", "贷款"], [], pd.DataFrame(rows))


def test_terminal_comparison_is_readable_labelled_and_judged(capsys):
    print_comparison(_comparison(), "zh")
    out = capsys.readouterr().out
    _no_raw_numbers(out)
    assert "政府公共支出合计 / Total public cost" in out
    assert "+63万元 [+20, +105] ×" in out              # more spending is worse
    assert "-9 [-12, -6] √" in out                      # 9 months faster is better
    assert "≈" in out and "无明显差异" in out           # exposure: interval spans zero
    assert "期内未达到" in out                           # 50% never reached by the variant
    print_comparison(_comparison(), "en")
    assert "+0.63 million CNY [+0.20, +1.05] ×" in capsys.readouterr().out


def test_report_comparison_table_colours_by_metric_with_a_legend():
    rows = [CompareRow(**{k: None if isinstance(v, float) and math.isnan(v) else v
                          for k, v in r.items() if k not in ("reps", "runs")})
            for r in _comparison().table.to_dict("records")]   # as the report reads them
    for lang, unclear, legend in (("zh", "无明显差异", "绿色"), ("en", "no clear difference",
                                                                 "green")):
        html = render_report(ReportInputs(compares=[CompareInput(Path("c"), rows, [])]), lang)
        table = html[html.index("<table class='judged'>"):]
        _no_raw_numbers(table)
        cells = re.findall(r'<td class="(\w+)">(.*?)</td>', table)
        assert ("better", True) in [(c, "-9" in t) for c, t in cells]
        assert ("worse", True) in [(c, "+63万元" in t or "+0.63 million CNY" in t)
                                   for c, t in cells]
        assert any(c == "unclear" and unclear in t for c, t in cells)
        assert legend in table and metric_label("total_public_cost_cny", lang) in table
        assert ("越少越好" if lang == "zh" else "lower is better") in table


def test_decomposition_table_and_terminal_effects_judged_per_metric(capsys):
    def row(metric, effect, mean, lo, hi):
        return EffectRow(metric, effect, False, 1, mean, lo, hi, 10)

    rows = [row("months_to_90pct_moved", "withdrawal", -9.0, -12.0, -6.0),
            row("exposure_household_months", "withdrawal", 2500.0, 2000.0, 3000.0),
            row("households_moved_because_of_withdrawal", "withdrawal", 55.0, 40.0, 70.0),
            row("months_to_90pct_moved", "targeting", -0.1, -0.7, 0.5)]
    html = render_report(ReportInputs(decompositions=[DecomposeInput(Path("d"), rows, [])]),
                         "en")
    table = html[html.index("<table class='judged'>"):]
    _no_raw_numbers(table)
    cells = re.findall(r'<td class="(\w+)">(.*?)</td>', table)
    assert [c for c, _ in cells] == ["better", "unclear", "worse", "worse"]
    main_effects = pd.DataFrame([{**vars(r)} for r in rows])
    print_effects(main_effects, "en")
    out = capsys.readouterr().out
    _no_raw_numbers(out)
    assert "Households that moved only because services were withdrawn" in out
    assert "√ 更好 better" in out and "× 更差 worse" in out and "≈ 无明显差异" in out


def test_run_summary_in_readable_units_and_missing_values_explained(capsys):
    s = {"scenario": "t", "seed": 1, "scenario_hash": "x", "households": 600,
         "share_moved": 0.9995, "months_to_90pct_moved": None,
         "total_public_cost_cny": 47_741_518.0, "npv_cny": -9_805_634.0}
    print_summary(s, Path("o"), "zh")
    out = capsys.readouterr().out
    assert "4,774万元" in out and "-981万元" in out and ">99.9%" in out
    assert re.search(r"90%农户入住所需月数 / Months to 90% moved\s+期内未达到", out)


# ------------------------------------------------------------------ §2 variants
def test_variant_grammar():
    v = Variant.parse("免息: -subsidised_loans +interest_free_loans run.horizon_months=12")
    assert v == Variant("免息", ("-subsidised_loans", "+interest_free_loans"),
                        ("run.horizon_months=12",))
    assert Variant.parse("x：+awards").name == "x"     # a full-width colon works too
    for bad, says in (("+awards", "NAME: ITEMS"), ("x: awards", "+awards"),
                      ("x:", "changes nothing"), ("x: 'a", "quotation"),
                      ("x: +a=1", "not a package")):
        with pytest.raises(ruralsim.UsageError, match=re.escape(says)):
            Variant.parse(bad)


def _instruments(sc) -> list[str]:
    return [i.name for i in sc.model.policy.instruments]


def test_variants_stack_take_off_and_override_by_name():
    built = dict(build_scenarios("teaching", variants={
        "instead": "-subsidised_loans +interest_free_loans",
        "more": ["policy.instruments.cash_subsidy.value_cny=20000"]}))
    assert list(built) == ["teaching", "instead", "more"]
    assert "subsidised_loan" in _instruments(built["teaching"])
    assert "interest_free_loan" in _instruments(built["instead"])
    assert "subsidised_loan" not in _instruments(built["instead"])     # instead, not as well
    assert "subsidised_loans" not in built["instead"].model.policy.packages
    cash = {i.name: i.value_cny for i in built["more"].model.policy.instruments}
    assert cash["cash_subsidy"] == 20000


def test_package_stacked_twice_is_one_error_naming_both_places(tmp_path):
    f = tmp_path / "v.yaml"
    f.write_text("extends: teaching\npackages: [subsidised_loans, awards]\n", encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario(f)
    assert len(e.value.issues) == 1
    issue = e.value.issues[0]
    assert issue.file == str(f) and issue.line == 2
    assert re.search(r"teaching\.yaml:36", issue.message) and "-subsidised_loans" in \
        issue.message
    with pytest.raises(ruralsim.ScenarioError, match=r"variant 'x': \+free_housing.*stacked twice"):
        build_scenarios("teaching", variants=["x: +free_housing"])


def test_a_duplicate_instrument_names_where_the_first_was_defined(tmp_path):
    pkg = tmp_path / "mine.yaml"
    pkg.write_text("name: mine\ninstruments:\n  - {name: cash_subsidy, value_cny: 10}\n",
                   encoding="utf-8")
    with pytest.raises(ruralsim.ScenarioError) as e:
        ruralsim.load_scenario("teaching", packages=[str(pkg)])
    (issue,) = e.value.issues
    assert issue.file == str(pkg) and issue.line == 3
    assert re.search(r"first defined at .*teaching\.yaml:40", issue.message)


def test_removing_a_package_that_is_not_there_is_an_error():
    with pytest.raises(ruralsim.ScenarioError, match="cannot remove package 'awards'"):
        ruralsim.load_scenario("teaching", packages=["-awards"])


def test_an_unknown_item_name_in_an_override_lists_the_names():
    with pytest.raises(ruralsim.ScenarioError, match="no item named 'cash'.*cash_subsidy"):
        ruralsim.load_scenario("teaching", ["policy.instruments.cash.value_cny=1"])


def test_cli_compare_with_variants_and_packages(tmp_path, capsys):
    out = tmp_path / "c"
    assert main(["compare", "teaching", "--variant", "免息: -subsidised_loans "
                 "+interest_free_loans", "--package", "awards", "--reps", "2", "--workers", "1",
                 "--out", str(out), *FAST]) == 0
    text = capsys.readouterr().out
    assert "免息" in text and "≈ 灰色：无明显差异" in text and "√ green: better" in text
    _no_raw_numbers(text)
    table = pd.read_csv(out / "compare.csv")
    assert set(table["scenario"]) == {"teaching", "免息"}
    assert (out / "replications_免息.csv").exists()
    assert main(["compare", "teaching", "--variant", "x: +free_housing", "--reps", "2",
                 "--out", str(tmp_path / "d"), *FAST]) == 2
    err = capsys.readouterr().err
    assert "stacked twice" in err and "Traceback" not in err and not (tmp_path / "d").exists()
    assert main(["compare", "teaching", "--variant", "nonsense", "--reps", "2",
                 "--out", str(tmp_path / "d")]) == 2
    assert "NAME: ITEMS" in capsys.readouterr().err


def test_notebook_02_runs_from_its_folder_and_compares_one_loan_instead_of_the_other():
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    path = ROOT / "notebooks" / "02_planner_compare_packages.ipynb"
    nb = nbformat.read(path, as_version=4)
    assert "scenarios/" not in "".join(c.source for c in nb.cells if c.cell_type == "code")
    nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                            resources={"metadata": {"path": str(path.parent)}}).execute()
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    assert not [o for o in outputs if o.output_type == "error"]
    text = "".join(o.get("text", "") for o in outputs)
    assert "loans in the interest_free variant: ['interest_free_loan']" in text
    tables = "".join(o.get("data", {}).get("text/plain", "") for o in outputs)
    assert "interest_free" in tables and "better" in tables or "worse" in tables


# ------------------------------------------------------------------ §6 command line
def test_builtin_names_work_with_and_without_yaml_everywhere(tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    h = ruralsim.load_scenario("teaching").hash
    assert ruralsim.load_scenario("teaching.yaml").hash == h
    for ref in ("teaching", "teaching.yaml"):
        (tmp_path / "e.yaml").write_text(f"extends: {ref}\n", encoding="utf-8")
        assert ruralsim.load_scenario(tmp_path / "e.yaml").hash == h
    assert main(["validate", "teaching.yaml"]) == 0
    assert main(["validate", "strategies/middle_first"]) == 0


def test_run_missing_file_says_it_is_missing(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "ruralsim-out").mkdir()
    (tmp_path / "ruralsim-out" / "notes.txt").write_text("mine")   # a non-empty default folder
    assert main(["run", "missing.yaml"]) == 2
    err = capsys.readouterr().err
    assert "missing.yaml: scenario file not found" in err and "teaching" in err
    assert "not empty" not in err and "Traceback" not in err


def test_validate_warns_when_planned_units_fall_far_short(capsys):
    short = [f"communities.0.phases.{i}.units={{apartment: 10, courtyard: 0}}" for i in (0, 1)]
    assert main(["validate", "teaching", *sum((["--set", s] for s in short), [])]) == 0
    err = capsys.readouterr().err
    assert "warning" in err and "警告" in err and "320 units for 600 households" in err
    assert "community 新村 builds 20 units for the 320 households" in err
    assert main(["validate", "teaching"]) == 0
    assert "warning" not in capsys.readouterr().err


def test_progress_lines_only_on_a_terminal(tmp_path, capsys, monkeypatch):
    assert main(["compare", "teaching", "teaching_naive", "--reps", "2", "--workers", "1",
                 "--out", str(tmp_path / "c"), *FAST]) == 0
    err = capsys.readouterr().err
    assert "runs" not in err and "\r" not in err     # stderr is not a terminal here
    from ruralsim import cli

    assert cli._progress_printer(False) is None

    class Tty:
        def isatty(self):
            return True

        def write(self, text):
            pass

        def flush(self):
            pass

    monkeypatch.setattr(sys, "stderr", Tty())
    assert cli._progress_printer(False) is not None and cli._progress_printer(True) is None


def test_piping_into_head_ends_quietly(tmp_path):
    proc = subprocess.Popen([sys.executable, "-m", "ruralsim.cli", "validate", "teaching"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=tmp_path)
    proc.stdout.close()                       # the reader goes away before anything is written
    err = proc.stderr.read().decode()
    assert proc.wait() == 141
    assert err == "", err


def _actions(parser):
    yield parser
    for a in parser._actions:
        if a.__class__.__name__ == "_SubParsersAction":
            for p in a.choices.values():
                yield from _actions(p)


def test_help_is_bilingual_throughout_including_argparses_own_words():
    for p in _actions(build_parser()):
        text = p.format_help()
        assert text.startswith("用法 / usage: ") and "选项 / options" in text
        assert "显示此帮助并退出 / show this help message and exit" in text
        assert "positional arguments" not in text or "位置参数 / positional arguments" in text
        for a in p._actions:
            if a.help:
                assert CJK.search(a.help) and re.search("[A-Za-z]{3}", a.help), (p.prog, a.help)


def test_argparse_errors_carry_a_chinese_gloss(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--reps", "3"])
    assert e.value.code == 2
    err = capsys.readouterr().err
    assert "用法 / usage:" in err and "无法识别的参数" in err and "Traceback" not in err
    with pytest.raises(SystemExit):
        main(["compare"])
    assert "缺少必需的参数" in capsys.readouterr().err


# ------------------------------------------------------------------ §7 Excel
def test_csv_outputs_carry_a_bom_and_every_reader_accepts_it(tmp_path, capsys):
    path = write_csv(pd.DataFrame({"村庄": ["东村"], "n": [1]}), tmp_path / "t.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")
    assert list(pd.read_csv(path).columns) == ["村庄", "n"]
    with open(path, encoding="utf-8-sig", newline="") as fh:
        assert next(csv.reader(fh)) == ["村庄", "n"]
    out = tmp_path / "c"
    assert main(["compare", "teaching", "teaching_naive", "--reps", "2", "--workers", "1",
                 "--quiet", "--out", str(out), *FAST]) == 0
    assert (out / "compare.csv").read_bytes().startswith(b"\xef\xbb\xbf")
    assert main(["report", str(out)]) == 0                    # the report reads it
    # the report names the second scenario of compare.csv (by its title)
    assert "自愿搬迁、不分先后" in (out / "report.html").read_text(encoding="utf-8")


def test_xlsx_has_a_sheet_per_table_with_chinese_intact(tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    out = tmp_path / "o"
    assert main(["run", "teaching", "--out", str(out), "--quiet", "--no-figures", "--xlsx",
                 "--set", "villages.0.name==HYPERLINK(\"x\")", *FAST]) == 0
    wb = openpyxl.load_workbook(out / "results.xlsx")
    assert wb.sheetnames == ["summary", "timeseries", "villages", "columns"]
    rows = list(wb["summary"].values)
    assert rows[0][:2] == ("指标", "metric") and rows[1][0] == "农户总数"
    header, *cells = wb["villages"].values
    # headers in both languages; the 'columns' sheet maps each to its identifier
    assert "村庄 / Village" in header and "留在村中比例 / Share present" in header
    ts_header = next(wb["timeseries"].values)
    assert "月份 / Month" in ts_header and "资金缺口(负债+欠款，元) / Financing gap, debt + " \
        "arrears (CNY)" in ts_header
    key = {r[1]: r[2] for r in list(wb["columns"].values)[1:]}
    assert key["村庄 / Village"] == "village"
    names = [r[header.index("村庄 / Village")] for r in cells]
    assert "西村" in names and "'=HYPERLINK(\"x\")" in names   # no formula runs in Excel


def test_xlsx_without_openpyxl_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "openpyxl", None)
    out = tmp_path / "o"
    assert main(["run", "teaching", "--out", str(out), "--quiet", "--xlsx", *FAST]) == 2
    err = capsys.readouterr().err
    assert "pip install 'ruralsim[excel]'" in err and "openpyxl" in err
    assert not out.exists()
