"""The report a leader reads: page one names each option's contents in words, ranks the
options against the target and the budget and recommends one; every figure has a caption in
words and calendar dates on its time axis; no empty chart; the Word file says the same."""
import json
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from ruralsim.cli import main
from ruralsim.report.options import Target, judge_option, rank

FAST = ["--set", "run.horizon_months=36"]


@pytest.fixture(scope="module")
def cmp_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("leader") / "cmp"
    assert main(["compare", "teaching", "--variant",
                 "高补助: policy.instruments.cash_subsidy.value_cny=20000",
                 "--variant", "加贷款: +interest_free_loans",
                 "--reps", "2", "--workers", "1", "--quiet", "--out", str(out), *FAST]) == 0
    return out


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("leader") / "run"
    assert main(["run", "nanpu", "--out", str(out), "--quiet", "--set",
                 "run.horizon_months=84"]) == 0
    return out


def _html(folders, tmp, *extra, name="r.html"):
    out = tmp / name
    assert main(["report", *map(str, folders), "--out", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


def _first_h2_section(html: str) -> str:
    a = html.index("<h2>")
    return html[a:html.index("<h2>", a + 4)]


def test_page_one_says_what_each_option_contains_ranks_and_recommends(cmp_dir, tmp_path):
    page = _first_h2_section(_html([cmp_dir], tmp_path))
    assert "给决策者的摘要" in page and "目标：" in page
    assert "基础方案。政策包：" in page                      # the base, its package in words
    assert "每户补助金额由" in page and "改为20,000元" in page   # a changed setting in words
    assert "增加：无息贷款" in page                           # a package added, by its label
    assert "cash_subsidy" not in page and "interest_free_loans" not in page   # no identifiers
    assert re.search(r"<td>1</td><td>[^<]+</td>", page)     # ranked
    assert "建议：" in page or "没有一个方案达到目标" in page
    assert "2次重复模拟" in page                              # where the numbers come from


def test_english_page_one_and_no_identifier_headers(cmp_dir, tmp_path):
    html = _html([cmp_dir], tmp_path, "--lang", "en")
    page = _first_h2_section(html)
    assert "What it contains" in page and "The base. Package:" in page
    heads = re.findall(r"<th>(.*?)</th>", html)
    assert heads and not [h for h in heads if re.fullmatch(r"[a-z0-9]+(_[a-z0-9]+)+", h)]
    assert not re.search(r"\d+ million CNY \[\d+, \d+\]", html)    # three significant digits


def test_every_figure_has_a_caption_in_words(cmp_dir, run_dir, tmp_path):
    html = _html([cmp_dir, run_dir], tmp_path)
    caps = re.findall(r"<figcaption>(.*?)</figcaption>", html, re.S)
    assert caps and all(c.strip() for c in caps)
    assert not [c for c in caps if re.search(r"compare_|_cny|\.png", c)]
    assert "单次模拟，种子" in html                 # the single run is said to be one


def test_run_report_has_plan_works_timeline_and_village_schedule(run_dir, tmp_path):
    html = _html([run_dir], tmp_path)
    assert "乡镇年度资金计划" in html and "开放名额(户)" in html and "名额用尽" in html
    assert "各社区建设进度与停滞原因" in html and "等待资金(工程·月)" in html
    assert "等待施工队(户·月)" in html and "为什么慢" in html
    assert "各村搬迁时间表" in html and "留下的是谁" in html
    assert "停工烂尾的建设期数" not in html          # demand mode: no phase row reading 0
    assert re.search(r"<td>20\d\d-\d\d</td>", html)  # calendar dates, not month numbers


def test_communities_csv_records_why_works_waited(run_dir):
    c = pd.read_csv(run_dir / "communities.csv")
    assert {"planned_start_month", "actual_start_month", "work_months_waiting_money",
            "work_months_waiting_demand", "household_months_waiting_builders"} <= set(c.columns)
    late = c["actual_start_month"] >= c["planned_start_month"]
    assert late[c["actual_start_month"].notna()].all()


def test_no_empty_chart_is_drawn():
    from ruralsim.report.plots import FIGURES, SavedRun

    months = 12
    ts = pd.DataFrame({c: np.zeros(months) for c in (
        "arrears_cny", "deferred_household_cny", "developer_debt_cny", "debt_cny", "n_distress",
        "households_debt_service_cny", "exposed_households", "n_stranded")})
    run = SavedRun(ts, None, None)
    for name in ("finance", "livelihoods", "exposure"):
        assert FIGURES[name](run, "en") is None


def test_time_axes_carry_calendar_dates(cmp_dir):
    import matplotlib.pyplot as plt

    from ruralsim.experiments.replicate import compare
    from ruralsim.report.experiment_plots import plot_bands

    cmp = compare("teaching", reps=2, overrides=["run.horizon_months=24"])
    fig = plot_bands(cmp, "financing_gap_cny", lang="en", scale=1e-6, unit_key="million_cny",
                     start=(2004, 1))
    labels = [t.get_text() for t in fig.axes[0].get_xticklabels()]
    plt.close(fig)
    assert labels and all(re.search(r"\n20\d\d-\d\d$", x) for x in labels)
    assert "drawn below zero" in fig.axes[0].get_title()


def test_budget_pass_and_fail_rank_options():
    curve = [0.5, 0.85]
    cheap_over = {"name": "A", "reps": [{"moved": curve, "cost": 90.0}],
                  "budget_summary": {"pass": False}}
    dear_within = {"name": "B", "reps": [{"moved": curve, "cost": 120.0}],
                   "budget_summary": {"pass": True}}
    ranked = rank([cheap_over, dear_within], Target(0.8, 2))
    assert [j["name"] for j in ranked] == ["B", "A"]
    assert ranked[0]["feasible"] and ranked[1]["budget"] == "fail"
    # replications against a stated total: pass when 80% of them stay within it
    o = {"name": "C", "reps": [{"moved": curve, "cost": c} for c in (90, 95, 99, 101, 98)]}
    assert judge_option(o, Target(0.8, 2), {"total_cny": 100.0})["p_budget"] == 0.8


def test_report_shows_the_budget_of_a_summary(run_dir, tmp_path):
    import shutil

    d = tmp_path / "run"
    shutil.copytree(run_dir, d)
    s = json.loads((d / "summary.json").read_text(encoding="utf-8"))
    s["budget"] = {"total_cny": 1e8, "per_year_cny": None, "public_cost_cny": 2e8,
                   "max_year_cost_cny": 5e7, "max_year": 2008, "within_total": False,
                   "within_per_year": None, "pass": False}
    (d / "summary.json").write_text(json.dumps(s), encoding="utf-8")
    page = _first_h2_section(_html([d], tmp_path))
    assert "预算：总额1.00亿元" in page and "超出预算" in page
    page_en = _first_h2_section(_html([d], tmp_path, "--lang", "en", name="e.html"))
    assert "budget: over" in page_en and "does not meet the target (or the budget)" in page_en


def test_target_options_change_the_target(cmp_dir, tmp_path):
    page = _first_h2_section(_html([cmp_dir], tmp_path, "--target-share", "10%",
                                   "--target-month", "30"))
    assert "到第30个月末" in page and "入住农户达到10%" in page


def test_docx_has_the_same_headings_and_table(cmp_dir, run_dir, tmp_path):
    docx = pytest.importorskip("docx")
    html = _html([cmp_dir, run_dir], tmp_path, "--docx")
    doc = docx.Document(str(tmp_path / "r.docx"))
    heads = [p.text for p in doc.paragraphs if p.style.name.startswith("Heading")]
    html_heads = [re.sub("<[^>]+>", "", h) for h in re.findall(r"<h2>(.*?)</h2>", html)]
    assert "给决策者的摘要" in heads
    for h in ("给决策者的摘要", "方案比较（每个方案2次重复）", "乡镇年度资金计划：nanpu",
              "各村搬迁时间表：nanpu"):
        assert h in html_heads and h in heads
    first = doc.tables[0]
    assert [c.text for c in first.rows[0].cells][:3] == ["排名", "方案", "内容"]
    assert len(first.rows) == 4                     # three options
    assert doc.inline_shapes                         # the figures


def test_docx_without_python_docx_says_how_to_install_it(run_dir, tmp_path, capsys,
                                                          monkeypatch):
    monkeypatch.setitem(sys.modules, "docx", None)
    out = tmp_path / "r.html"
    assert main(["report", str(run_dir), "--out", str(out), "--docx"]) == 2
    assert "pip install 'ruralsim[docx]'" in capsys.readouterr().err
    assert not out.exists() and not out.with_suffix(".docx").exists()


def test_the_plan_section_says_what_was_deferred_to_whom_and_who_gave_up(tmp_path):
    """A township that falls behind (weak_finance): the report's plan section names the
    deferred total, its largest lines and the households who gave up sooner, as in summary."""
    out = tmp_path / "run"
    assert main(["run", "weak_finance", "--seed", "1", "--out", str(out), "--quiet",
                 "--no-figures"]) == 0
    s = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert s["registrations_given_up_while_owed"] > 0 and s["plan_deferred_households_cny"] > 0
    top = max(s["deferred_household_by_line_cny"].items(), key=lambda kv: kv[1])
    zh = _html([out], tmp_path, name="zh.html")
    assert "乡镇共延付农户款" in zh and f"有{s['registrations_given_up_while_owed']:,}次登记比原来更早被放弃" in zh
    en = _html([out], tmp_path, "--lang", "en", name="en.html")
    assert f"{s['registrations_given_up_while_owed']:,} registrations were given up sooner" in en
    assert top[0] == "instr_free_housing_vulnerable" and "Free housing for the poor" in en
