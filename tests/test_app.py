"""The planner's app (``ruralsim app``): its logic without a browser, then the page in a real
browser (Debian's Chromium driven by Playwright) against one app process."""
from __future__ import annotations

import io
import json
import os
import re
import subprocess
import sys
import threading
import time
import zipfile
from pathlib import Path
from urllib.parse import urlparse

import pytest

from ruralsim.app import logic
from ruralsim.cli import main
from ruralsim.errors import ScenarioError
from ruralsim.scenario.load import load_scenario
from ruralsim.simulate import simulate

BAD_CSV = ("name,households,community\n东村,120,新村\n西村,-5,新村\n南村,110,无此社区\n")


@pytest.fixture(scope="module")
def base():
    return logic.base_scenario("teaching")


# ----------------------------------------------------------------------------- logic
def test_village_table_of_a_builtin_scenario_has_no_problems(base):
    df = logic.villages_frame(base)
    assert list(df["name"]) == [v.name for v in base.model.village_list]
    assert logic.check_villages(base, df) == []


@pytest.mark.parametrize("cell, value", [(("households", 1), "-5"),
                                          (("community", 2), "无此社区"),
                                          (("name", 3), "东村")])
def test_cell_problems_carry_the_messages_of_validate(base, cell, value):
    column, row = cell
    df = logic.villages_frame(base)
    df.loc[row, column] = value
    problems = logic.check_villages(base, df)
    # the same change to the scenario file, as `ruralsim validate` reads it
    with pytest.raises(ScenarioError) as exc:
        load_scenario("teaching", [(f"villages.{row}.{column}",
                                    int(value) if column == "households" else value)])
    # (validate adds that the list is not a CSV reference either: the page leaves that out)
    cell_issues = [i for i in exc.value.issues if i.path == f"villages.{row}.{column}"]
    assert cell_issues and [(p.row, p.column, p.message) for p in problems] == \
        [(row, column, i.message) for i in cell_issues]


def test_an_uploaded_table_is_read_like_a_scenario_csv(base, tmp_path):
    csv_file = tmp_path / "villages.csv"
    csv_file.write_text(BAD_CSV, encoding="utf-8")
    df, read_problems = logic.read_village_table(csv_file, "villages.csv")
    assert read_problems == [] and list(df["households"]) == ["120", "-5", "110"]
    cells = {(p.row, p.column) for p in logic.check_villages(base, df)}
    assert cells == {(1, "households")}     # the community is checked once the cells are valid
    ragged = tmp_path / "ragged.csv"
    ragged.write_text("name,households,community\n东村,120,新村,extra\n", encoding="utf-8")
    df, read_problems = logic.read_village_table(ragged, "ragged.csv")
    assert df is None and read_problems[0].row == 0
    assert "more cells than header columns" in read_problems[0].message


def test_an_uploaded_excel_table_is_read_too(base, tmp_path):
    openpyxl = pytest.importorskip("openpyxl")
    wb = openpyxl.Workbook()
    for row in [["name", "households", "community"], ["东村", 120, "新村"], ["西村", 90, "新村"]]:
        wb.active.append(row)
    wb.save(tmp_path / "v.xlsx")
    df, problems = logic.read_village_table(tmp_path / "v.xlsx", "v.xlsx")
    assert problems == [] and list(df["name"]) == ["东村", "西村"]
    assert logic.check_villages(base, df) == []


def test_an_option_becomes_a_scenario(base):
    opt = logic.Option("免息", packages=("interest_free_loans", "free_housing"),
                       amounts={"policy.instruments.interest_free_loan.value_cny": 20000.0},
                       targeting=("poor",), targeting_months=(6, 30), priority="middle",
                       withdrawal=False)
    sc = logic.build_option(base, logic.villages_frame(base), opt).model
    assert sc.name == "免息"
    assert sorted(sc.policy.packages) == ["free_housing", "interest_free_loans"]
    loan = next(i for i in sc.policy.instruments if i.name == "interest_free_loan")
    assert loan.value_cny == 20000.0
    assert not any(i.name == "subsidised_loan" for i in sc.policy.instruments)
    assert [(o.types, o.start_month, o.end_month) for o in sc.strategy.outreach] == \
        [(["poor"], 6, 30)]
    assert sc.strategy.priority == ["ordinary", "recent", "poor", "five_guarantee"]
    assert sc.strategy.withdrawal.enabled is False


def test_amounts_are_per_household_instrument_values():
    amounts = {a.key: a.value for a in logic.package_amounts("subsidised_loans")}
    assert amounts == {"value_cny": 2700.0, "cost_monthly_cny": 75.0, "credit_cny": 30000.0}
    assert logic.package_amounts("study_tours") == []    # events only: nothing per household


def test_the_budget_goes_to_its_key_path_or_is_refused_until_the_model_has_it(base):
    opt = logic.Option("B", packages=("subsidised_loans",), budget_total_cny=5e6)
    if logic.budget_supported():
        sc = logic.build_option(base, None, opt)
        assert sc.model.government.budget.total_cny == 5e6
        run = simulate(sc)           # the run says whether it kept to it (5 million: no)
        assert logic.budget_check(run, "zh").startswith("超出预算：总公共成本")
        assert logic.budget_check(run, "en").startswith("over budget: total public cost")
        assert logic.budget_check(simulate(logic.build_option(
            base, None, logic.Option("C", packages=("subsidised_loans",)))), "zh") == ""
    else:
        with pytest.raises(ScenarioError, match="budget"):
            logic.build_option(base, None, opt)
        # without a budget the option loads
        logic.build_option(base, None, logic.Option("B", packages=("subsidised_loans",)))


def test_option_yaml_reproduces_the_option(base, tmp_path):
    sc = logic.build_option(base, logic.villages_frame(base),
                            logic.Option("甲", packages=("awards",), priority="none"))
    path = tmp_path / "甲.yaml"
    path.write_text(logic.option_yaml(sc), encoding="utf-8")
    again = load_scenario(str(path))
    assert again.hash == sc.hash
    assert main(["run", str(path), "--out", str(tmp_path / "out"), "--no-figures",
                 "--quiet"]) == 0
    summary = json.loads((tmp_path / "out" / "summary.json").read_text(encoding="utf-8"))
    mine = simulate(sc).summary
    for key in ("share_moved", "total_public_cost_cny", "months_to_50pct_moved"):
        assert summary[key] == mine[key]


def test_runs_report_progress_and_can_be_cancelled(base):
    df = logic.villages_frame(base)
    built = [(n, logic.build_option(base, df, logic.Option(n, packages=p))) for n, p in
             (("A", ("subsidised_loans",)), ("B", ("interest_free_loans",)))]
    seen = []
    res = logic.run_options(built, reps=2, progress=lambda d, t, w: seen.append((d, t)))
    assert seen[-1] == (6, 6) and [d for d, _ in seen] == list(range(1, 7))
    assert res.comparison.names == ["A", "B"] and len(res.runs) == 2
    html = logic.comparison_html(res.comparison, "zh")
    assert "<table class='judged'>" in html and "更好" in html or "更差" in html \
        or "无明显差异" in html
    assert logic.conclusion(res.comparison, "en")[0].startswith("B compared with A: ")
    assert 'data-key="share_moved"' in logic.headline_html(res, "zh")
    assert logic.chart_png(res.runs[0], "map", "zh")[:4] == b"\x89PNG"
    # results as they come: each option's run, then the comparison after each round
    states = []
    logic.run_options(built, reps=3, partial=lambda r: states.append(
        (len(r.runs), r.reps, r.complete)))
    assert states == [(1, 0, False), (2, 0, False), (2, 2, False), (2, 3, True)]
    stop = threading.Event()
    stop.set()
    with pytest.raises(logic.Cancelled):
        logic.run_options(built, reps=2, cancel=stop)
    # downloads: the report and the workbook
    report = logic.report_html(res, "zh")
    assert "<table class='judged'>" in report and "A" in report
    assert zipfile.ZipFile(io.BytesIO(logic.workbook_bytes(res))).namelist()


def test_an_option_card_reads_back_the_option_it_shows(base):
    df = logic.villages_frame(base)
    opt = logic.Option("乙", packages=("interest_free_loans", "awards"),
                       amounts={"policy.instruments.interest_free_loan.value_cny": 12000.0,
                                "policy.instruments.cash_subsidy.value_cny": 5000.0},
                       targeting=("poor",), targeting_months=(3, None), priority="middle",
                       withdrawal_threshold=0.45, withdrawal_month=12, registration_month=6,
                       budget_total_cny=4.5e7)
    shown = logic.option_inputs(2, opt, base)
    assert shown["own2_cash_subsidy__value_cny"] == 5000 and shown["reg2"] == 6
    again = logic.option_from_inputs(2, shown.get, base)
    built = logic.build_option(base, df, again)
    assert built.hash == logic.build_option(base, df, opt).hash
    assert built.model.policy.registration_opens_month == 6
    cash = next(i for i in built.model.policy.instruments if i.name == "cash_subsidy")
    assert cash.value_cny == 5000 and cash.cost_once_cny == 2000   # only what was edited


def test_the_report_downloads_as_a_word_file(base):
    docx = pytest.importorskip("docx")
    built = [(n, logic.build_option(base, None, logic.Option(n, packages=p))) for n, p in
             (("甲", ("subsidised_loans",)), ("乙", ("awards",)))]
    res = logic.run_options(built, reps=2)
    doc = docx.Document(io.BytesIO(logic.report_docx(res, "zh")))
    text = "\n".join(p.text for p in doc.paragraphs)
    assert "乙" in text and "结论" in text or "比较" in text
    assert doc.tables and doc.inline_shapes       # the tables and the figures


# ----------------------------------------------------------------------------- goal-seek
@pytest.fixture(scope="module")
def goal_seek(base):
    pytest.importorskip("optuna")
    from ruralsim.app import goalseek

    df = logic.villages_frame(base)
    start = logic.Option("方案A", packages=tuple(base.model.policy.packages))
    form = goalseek.GoalSeek(target_share=0.5, target_month=60, budget_total_cny=6e7,
                             trials=4, replications=2)
    seen = []
    gs = goalseek.run_goal_seek(base, df, start, form, progress=lambda d, t: seen.append((d, t)))
    return gs, seen


def test_the_goal_seek_form_becomes_an_optimize_spec(base):
    from ruralsim.app import goalseek
    from ruralsim.optimize import SpecError

    start = logic.Option("A", packages=tuple(base.model.policy.packages))
    form = goalseek.GoalSeek(target_share=0.7, target_month=48, budget_total_cny=5e7,
                             levers=("subsidy", "packages"), no_arrears=False, trials=5,
                             replications=3)
    sc = logic.build_option(base, None, goalseek.start_option(start, form))
    assert sc.model.government.budget.total_cny == 5e7
    spec = goalseek.build_spec(sc, form, start)
    assert spec.constraints == ["share_moved_by_month[48] >= 0.7"]
    assert [(o.direction, o.quantity) for o in spec.objectives] == \
        [("minimize", "total_public_cost_cny"), ("maximize", "share_moved_by_month[48]")]
    assert [lv.key for lv in spec.levers] == ["policy.instruments.cash_subsidy.value_cny",
                                              "packages"]
    assert spec.levers[0].also == ["policy.instruments.cash_subsidy.cost_once_cny"]
    assert spec.levers[1].choices == [[], ["study_tours"], ["awards"],
                                      ["-subsidised_loans", "interest_free_loans"]]
    assert (spec.trials, spec.replications, spec.confirm_replications) == (5, 3, 6)
    assert goalseek.planned_runs(form) == 5 * 3 + 3 + goalseek.FINALISTS * 3
    with pytest.raises(SpecError, match="trials"):
        goalseek.build_spec(sc, goalseek.GoalSeek(trials=500), start)
    late = goalseek.GoalSeek(target_month=400)   # beyond the horizon of 150 months
    with pytest.raises(SpecError, match=r"from 1 to the scenario's horizon \(150\)"):
        goalseek.run_goal_seek(base, None, start, late)
    with pytest.raises(SpecError, match="目标入住比例"):
        goalseek.build_spec(sc, goalseek.GoalSeek(target_share=1.5), start)
    # a scenario without a one-off cash payment to every household has no cash lever
    unpaid = load_scenario("teaching", ["policy.instruments.cash_subsidy.cost_once_cny=0"])
    assert goalseek.subsidy_amount(unpaid) is None
    with pytest.raises(SpecError, match="no one-off cash payment"):
        goalseek.build_spec(unpaid, goalseek.GoalSeek(levers=("subsidy",)))


def test_an_expropriations_compensation_is_not_a_cash_lever():
    """Compensation is set by the legal standards: the goal-seek never searches it to 0."""
    from ruralsim.app import goalseek

    assert goalseek.subsidy_amount(load_scenario("nanjing_qinhuai")) is None


@pytest.mark.parametrize("name, instrument, top", [
    ("teaching", "cash_subsidy", 20_000), ("nanpu", "cash_or_cement", 20_000)])
def test_the_cash_lever_finds_the_scenarios_one_off_cash_payment(name, instrument, top):
    """Whatever it is called: paid once to every household, worth what it costs, the largest
    (Nanpu's 300 yuan certificate fee waiver is one too, but smaller), searched from 0 to twice
    its amount (at least to 20,000)."""
    from ruralsim.app import goalseek

    sc = load_scenario(name)
    assert goalseek.subsidy_amount(sc)[0] == instrument
    spec = goalseek.build_spec(sc, goalseek.GoalSeek(levers=("subsidy",)))
    (lever,) = spec.levers
    assert lever.key == f"policy.instruments.{instrument}.value_cny"
    assert lever.also == [f"policy.instruments.{instrument}.cost_once_cny"]
    assert lever.range == [0, top] and lever.step == top / 20


def test_a_candidate_picked_into_an_option_is_the_candidate(base, goal_seek):
    from ruralsim.app import goalseek

    gs, seen = goal_seek
    total = goalseek.planned_runs(gs.form)
    assert seen[-1] == (total, total) and [d for d, _ in seen] == sorted(d for d, _ in seen)
    rows = goalseek.candidate_rows(gs, "zh")
    assert rows and all(r["settings"] and r["cost"].endswith("万元") for r in rows)
    assert goalseek.candidate_rows(gs, "en")[0]["cost"].endswith("million CNY")
    assert goalseek.conclusion(gs, "zh") and goalseek.conclusion(gs, "en")
    assert goalseek.baseline_text(gs, "zh").startswith("出发方案“方案A”不作调整：第60个月末入住")
    assert goalseek.tradeoff_png(gs, "zh")[:4] == b"\x89PNG"
    df = logic.villages_frame(base)
    for row in rows:
        trial = row["trial"]
        name = f"候选{trial}"
        cand = gs.candidate_option(trial, name)
        # the card shows the candidate, the planner runs the card: the same scenario file
        card = logic.option_from_inputs(3, logic.option_inputs(3, cand, base).get, base)
        picked = logic.build_option(base, df, card)
        assert logic.option_yaml(picked) == logic.option_yaml(gs.candidate_scenario(trial, name))
        # and it is the scenario the search ran, but for the name the card gives it
        searched = gs.result.scenario(trial).model.model_dump(mode="json")
        mine = picked.model.model_dump(mode="json")
        for d in (searched, mine):
            d["name"] = d["strategy"]["label_zh"] = "x"
        assert mine == searched
        assert picked.model.government.budget.total_cny == 6e7


def test_a_goal_seek_can_be_cancelled(base):
    pytest.importorskip("optuna")
    from ruralsim.app import goalseek

    stop = threading.Event()
    calls = []

    def progress(done, total):
        calls.append(done)
        stop.set()                  # the planner presses cancel after the first run

    with pytest.raises(logic.Cancelled):
        goalseek.run_goal_seek(base, None, logic.Option("A"), goalseek.GoalSeek(trials=3),
                               progress=progress, cancel=stop)
    assert calls == [1]


def test_app_without_shiny_says_so(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "shiny", None)
    assert main(["app", "--no-browser"]) == 2
    assert "pip install 'ruralsim[app]'" in capsys.readouterr().err


def test_app_refuses_a_port_in_use(capsys):
    pytest.importorskip("shiny")
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        assert main(["app", "--port", str(port), "--no-browser"]) == 2
    assert f"--port {port}: cannot listen" in capsys.readouterr().err


# ----------------------------------------------------------------------------- browser
def _chromium() -> str | None:
    from ruralsim.report.html import find_chromium

    return find_chromium()


@pytest.fixture(scope="module")
def app_url():
    pytest.importorskip("shiny")
    proc = subprocess.Popen([sys.executable, "-m", "ruralsim", "app", "--no-browser"],
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    try:
        line = proc.stdout.readline()
        m = re.search(r"http://127\.0\.0\.1:(\d+)/", line)
        assert m, f"no address printed: {line!r}"
        url = m.group(0)
        import urllib.request

        for _ in range(300):        # until the server answers (bounded: 60 s)
            try:
                urllib.request.urlopen(url, timeout=2).read(100)
                break
            except OSError:
                time.sleep(0.2)
        yield url
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()


@pytest.fixture(scope="module")
def browser():
    sync_api = pytest.importorskip("playwright.sync_api")
    exe = _chromium()
    if exe is None:
        pytest.skip("Chromium not installed (.ci/run installs it)")
    args = ["--no-sandbox"] if hasattr(os, "geteuid") and os.geteuid() == 0 else []
    with sync_api.sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, args=args)
        yield b
        b.close()


def _wait_text(page, selector: str, pattern: str, timeout_s: float = 240) -> str:
    """The text of ``selector`` once it matches ``pattern`` (bounded wait)."""
    end = time.monotonic() + timeout_s
    text = ""
    while time.monotonic() < end:
        loc = page.locator(selector)
        text = loc.inner_text() if loc.count() else ""
        if re.search(pattern, text):
            return text
        page.wait_for_timeout(300)
    raise AssertionError(f"{selector} never showed {pattern!r}; last text: {text[:300]!r}")


def _run(page, n: int) -> str:
    """Run the comparison (the page's ``n``-th run) and return its table's text."""
    page.get_by_role("tab", name="③ 运行与结果").click()
    page.locator("#reps").fill("2")
    page.locator("#run").click()
    page.locator(f"#status > div[data-run='{n}'][data-state='done']").wait_for(
        timeout=240_000)
    _wait_text(page, "#run_status", "完成")
    return page.locator("#compare_table").inner_text()


def test_the_planner_compares_options_in_the_browser(app_url, browser, tmp_path):
    page = browser.new_page(viewport={"width": 1400, "height": 900}, accept_downloads=True)
    requests: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.goto(app_url)
    _wait_text(page, "#village_problems", "没有问题")
    assert "新型农村社区规划" in page.title()

    # two options: B swaps the subsidised loans for awards
    page.get_by_role("tab", name="② 方案").click()
    page.locator("#n_options").get_by_label("2").check()
    page.locator("#pkg1").get_by_label("贴息贷款").uncheck()
    page.locator("#pkg1").get_by_label("以奖代补").check()
    if logic.budget_supported():          # B's budget: 500万元 in all
        page.locator("#budget_total1").fill("500")
    first = _run(page, 1)
    if logic.budget_supported():
        assert re.search("方案B: (超出预算|通过)：总公共成本.*预算500万元",
                         page.locator("#budget_checks").inner_text())
    assert "方案B" in first and re.search("更好|更差|无明显差异", first)
    assert page.locator("#conclusion li").count() == 1

    # a package changed: the table changes
    page.get_by_role("tab", name="② 方案").click()
    page.locator("#pkg1").get_by_label("以奖代补").uncheck()
    page.locator("#pkg1").get_by_label("无息贷款").check()
    second = _run(page, 2)
    assert second != first

    # option B's scenario file: `ruralsim run` gives the numbers the page showed
    with page.expect_download() as dl:
        page.locator("#dl_yaml1").click()
    yaml_path = tmp_path / "option_b.yaml"
    dl.value.save_as(yaml_path)
    shown = {el.get_attribute("data-key"): el.inner_text()
             for el in page.locator("#results td[data-key]").all()[1::2]}
    out = tmp_path / "run_b"
    subprocess.run([sys.executable, "-m", "ruralsim", "run", str(yaml_path), "--out", str(out),
                    "--no-figures", "--quiet"], check=True)
    from ruralsim.report.formatting import fmt_metric

    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(shown) > 10
    assert shown == {k: fmt_metric(k, summary.get(k), "zh") for k in shown}

    # the workbook (written in a thread, as the report is)
    with page.expect_download() as dl:
        page.locator("#dl_xlsx").click()
    xlsx = tmp_path / "ruralsim.xlsx"
    dl.value.save_as(xlsx)
    assert "xl/workbook.xml" in zipfile.ZipFile(xlsx).namelist()
    assert page.locator("#dl_docx").is_visible()     # the Word report beside the HTML

    # goal-seek: a tiny search (2 trials of 2 replications), a candidate put into option D
    page.get_by_role("tab", name="④ 目标寻优").click()
    page.locator("#gs_budget_total").fill("5000")
    page.locator("#gs_trials").fill("2")
    _wait_text(page, "#gs_effort_text", "最多 12 次模拟")
    page.locator("#gs_run").click()
    page.locator("#gs_status > div[data-run='1'][data-state='done']").wait_for(timeout=120_000)
    assert page.locator("#gs_table tbody tr").count() >= 1
    assert re.search("候选|没有候选", page.locator("#gs_conclusion").inner_text())
    trial = page.locator("#gs_table tbody tr").first.get_attribute("data-trial")
    page.screenshot(path=str(tmp_path / "goal_seek.png"), full_page=True)
    page.locator("#gs_pick_go").click()
    _wait_text(page, "#gs_picked", f"候选{trial}")
    assert page.locator("#name3").input_value() == f"候选{trial}"
    assert page.locator("#budget_total3").input_value() == "5000"

    # a long run shows its progress and can be cancelled; the page answers meanwhile
    page.get_by_role("tab", name="③ 运行与结果").click()
    page.locator("#reps").fill("200")
    page.locator("#run").click()
    page.locator("#status > div[data-run='3'][data-state='running'] progress").wait_for(
        timeout=60_000)
    page.get_by_role("tab", name="① 我的村庄").click()
    assert page.locator("#village_problems").inner_text()
    page.get_by_role("tab", name="③ 运行与结果").click()
    page.locator("#cancel").click()
    page.locator("#status > div[data-run='3'][data-state='cancelled']").wait_for(
        timeout=120_000)
    assert "已取消" in page.locator("#run_status").inner_text()

    # an uploaded table with a mistake: the message of `ruralsim validate` next to it
    page.get_by_role("tab", name="① 我的村庄").click()
    bad = tmp_path / "我的村庄.csv"
    bad.write_text(BAD_CSV, encoding="utf-8")
    page.locator("#upload").set_input_files(str(bad))
    text = _wait_text(page, "#problem_list", "greater than or equal to 0")
    assert "第2行 households" in text
    assert page.locator("#villages").get_by_text("无此社区").count() >= 1
    # the cell corrected in the page: the next problem (an unknown community) shows
    cell = page.locator("#villages tbody tr").nth(1).locator("td").nth(2)   # households
    cell.dblclick()
    page.locator("#villages textarea").fill("95")
    page.locator("#villages textarea").press("Enter")
    text = _wait_text(page, "#problem_list", "无此社区")
    assert "第3行 community" in text and "households" not in text

    page.screenshot(path=str(tmp_path / "app.png"), full_page=True)
    assert (tmp_path / "app.png").stat().st_size > 10_000
    off = {urlparse(u).hostname for u in requests if not u.startswith(("data:", "blob:"))}
    assert off == {"127.0.0.1"}, f"requests off this computer: {off}"
    page.close()
