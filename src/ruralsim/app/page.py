"""The Shiny page of ``ruralsim app``: controls and outputs only; the work is in
:mod:`ruralsim.app.logic`.

Chinese by default; ``?lang=en`` (the switch at the top) gives the page in English. Runs go
to a background thread, polled by the page for progress, so that the page stays responsive
and a run can be cancelled.
"""
from __future__ import annotations

import asyncio
import base64
import threading
import traceback
from dataclasses import dataclass, field
from typing import Any

import pandas as pd
from shiny import App, Inputs, Outputs, Session, reactive, render, ui
from shiny.types import SafeException

from ..errors import RuralsimError, ScenarioError
from ..scenario.load import builtin_packages
from . import logic
from .logic import MAX_OPTIONS, Option

#: Words of the page (zh, en).
T = {
    "title": ("新型农村社区规划：方案比较", "Planning new rural communities: compare options"),
    "switch": ("English", "中文"),
    "tab_villages": ("① 我的村庄", "① My villages"),
    "tab_options": ("② 方案", "② Options"),
    "tab_run": ("③ 运行与结果", "③ Run and results"),
    "base": ("从内置情景开始", "Start from a built-in scenario"),
    "upload": ("或上传村庄表(CSV或Excel)", "or upload a village table (CSV or Excel)"),
    "browse": ("选择文件…", "Browse…"),
    "no_file": ("未选择文件", "No file selected"),
    "villages_help": ("双击单元格即可修改，空白处用默认值；每个村庄须属于该情景的一个新型社区(见上)。"
                      "有问题的单元格标红，问题写在该行第一列。",
                      "Double-click a cell to edit it; empty cells take the default. Each "
                      "village belongs to one of the scenario's new communities (above). Cells "
                      "with a problem are red; the problem is in the row's first column."),
    "communities": ("新型社区", "New communities"),
    "problems": ("问题", "Problems"),
    "no_problems": ("村庄表没有问题。", "The village table has no problems."),
    "n_problems": ("村庄表有 {} 个问题，请修改标红的单元格：", "The village table has {} problem(s); "
                   "fix the red cells:"),
    "n_options": ("比较几个方案", "Options to compare"),
    "option": ("方案", "Option"),
    "name": ("名称", "Name"),
    "packages": ("政策包", "Incentive packages"),
    "amounts": ("金额(按户计)", "Amounts (per household)"),
    "strategy": ("策略", "Strategy"),
    "targeting": ("重点动员的农户", "Households targeted by outreach"),
    "targeting_months": ("动员期(第几月至第几月)", "Outreach from month to month"),
    "priority": ("分房优先顺序", "Who gets a unit first"),
    "withdrawal": ("旧村剩余户数少时停止公共服务", "Withdraw services from emptying villages"),
    "threshold": ("剩余比例低于", "when the share remaining falls below"),
    "withdrawal_month": ("最早从第几月开始", "not before month"),
    "budget": ("预算", "Budget"),
    "budget_total": ("总预算(万元，可空)", "Total budget (10,000 CNY, optional)"),
    "budget_year": ("每年预算(万元，可空)", "Budget per year (10,000 CNY, optional)"),
    "budget_off": ("本版本的模型尚无预算约束(government.budget)，此项暂不可用。",
                   "This version of the model has no budget limit (government.budget) yet; "
                   "the budget cannot be set."),
    "reps": ("重复次数(越多越准，越慢)", "Replications (more: surer, slower)"),
    "run": ("运行比较", "Run the comparison"),
    "cancel": ("取消", "Cancel"),
    "idle": ("设置好村庄和方案后，点击“运行比较”。", "Set up villages and options, then press "
             "“Run the comparison”."),
    "running": ("正在运行：{} / {} 次模拟", "Running: {} of {} simulations"),
    "cancelled": ("已取消。", "Cancelled."),
    "done": ("完成：每个方案 {} 次重复(相同随机数)。", "Done: {} replications of each option "
             "(common random numbers)."),
    "failed": ("运行失败：", "The run failed: "),
    "bad_options": ("方案有误，未运行：", "An option has problems; nothing was run:"),
    "bad_villages": ("村庄表有问题，未运行(见“① 我的村庄”)：", "The village table has problems; "
                     "nothing was run (see “① My villages”):"),
    "headline": ("各方案的一次运行(情景自带的随机种子)", "One run of each option (the scenario's "
                 "own seed)"),
    "headline_note": ("下载的方案文件用 ruralsim run 运行，得到的正是这些数字。",
                      "ruralsim run of an option's downloaded file gives exactly these "
                      "numbers."),
    "compare": ("方案比较(多次重复，95%区间)", "Comparison (replications, 95% intervals)"),
    "so_far": ("(运行中：已有 {} / {} 次重复)", "(running: {} of {} replications so far)"),
    "so_far_cancelled": ("(已取消：只有 {} / {} 次重复)", "(cancelled: only {} of {} "
                         "replications)"),
    "conclusion": ("结论", "Conclusion"),
    "charts": ("图表", "Charts"),
    "timeline": ("工程进度", "Works timeline"),
    "no_timeline": ("本情景按规划分期建设，没有按需建设的工程进度表。", "This scenario builds in "
                    "planned phases; there is no demand-driven works timeline."),
    "downloads": ("下载", "Downloads"),
    "dl_report": ("报告(HTML)", "Report (HTML)"),
    "dl_pdf": ("报告(PDF)", "Report (PDF)"),
    "dl_xlsx": ("Excel工作簿", "Excel workbook"),
    "dl_yaml": ("方案文件", "Scenario file"),
    "wait_results": ("运行完成后可下载。", "Downloads are ready when a run has finished."),
    "chart_migration": ("入住进度", "Moves"),
    "chart_cash": ("资金", "Money"),
    "chart_land": ("土地", "Land"),
    "chart_map": ("村庄地图", "Village map"),
    "col_problems": ("问题 problems", "problems"),
    "registration": ("从第几月开始登记", "Registration opens in month"),
    "own_amounts": ("情景自带的补助", "The scenario's own payments"),
    "dl_docx": ("报告(Word)", "Report (Word)"),
    "tab_goal": ("④ 目标寻优", "④ Goal-seek"),
    "gs_intro": ("说出目标和预算，程序从一个方案出发，调整下面勾选的设置，找出达到目标、不超预算且花钱"
                 "最少的组合。每个候选都可以填入一个方案，再到“③ 运行与结果”中与其他方案比较。"
                 "“一次性现金补助”指情景中发给每户、搬迁时一次付清、农户所得正是政府所付(不含贷款、"
                 "按月支出和住房)的补助，如有几项取金额最大的一项(南蒲的每户2000元现金或水泥)；"
                 "拆迁补偿由法定标准决定，不作调整。",
                 "State a target and a budget: starting from one option, the program adjusts "
                 "the settings ticked below and looks for the cheapest combination that reaches "
                 "the target within the budget. Any candidate can be put into an option and "
                 "compared with the others in “③ Run and results”. The “one-off cash payment” is "
                 "the scenario's payment to every household, made once at the move, that is "
                 "worth to the household what it costs the township (no loan, no monthly cost, "
                 "not a home); of several, the largest (Nanpu's 2,000 yuan in cash or cement). "
                 "Compensation for expropriation is set by the legal standards and is not "
                 "searched."),
    "gs_start": ("从哪个方案出发", "Start from option"),
    "gs_share": ("目标：入住比例(%)", "Target: share of households moved (%)"),
    "gs_month": ("在第几个月末", "by the end of month"),
    "gs_budget_total": ("总预算(万元，可空)", "Budget in all (10,000 CNY, optional)"),
    "gs_budget_year": ("每年预算(万元，可空)", "Budget per year (10,000 CNY, optional)"),
    "gs_no_arrears": ("不拖欠工程款", "Never in arrears with the builders"),
    "gs_levers": ("可以调整的设置", "Settings to adjust"),
    "gs_trials": ("试几种组合", "Combinations to try"),
    "gs_reps": ("每种重复几次", "Replications of each"),
    "gs_effort": ("最多 {} 次模拟(试 {} 种组合，每种 {} 次；现行方案 {} 次；入围的 {} 个候选再各加 {} 次复核)。"
                  "组合越多、重复越多，结果越可靠，也越慢。",
                  "At most {} simulations ({} combinations of {} replications each; the option "
                  "as it is {}; {} finalists get {} more each). More combinations and "
                  "replications: surer, slower."),
    "gs_run": ("开始寻找", "Search"),
    "gs_idle": ("填好目标和预算后，点击“开始寻找”。", "Fill in the target and the budget, then "
                "press “Search”."),
    "gs_running": ("正在寻找：{} / 最多 {} 次模拟", "Searching: {} of at most {} simulations"),
    "gs_done": ("完成：试了 {} 种组合。", "Done: {} combinations tried."),
    "gs_bad": ("设置有误，未运行：", "The settings have problems; nothing was run:"),
    "gs_figure": ("成本与进度的权衡", "Cost against progress"),
    "gs_figure_note": ("每个点是一个候选：横轴为公共成本，纵轴为目标月份的入住比例；绿色为平均达到目标且不超"
                       "预算，灰色为未达到，圈出的是入围复核的候选，星号为推荐。",
                       "Each point is a candidate: public cost across, share moved by the "
                       "target month up; green reaches the target within the budget on "
                       "average, grey does not; ringed: confirmed finalists; star: "
                       "recommended."),
    "gs_table": ("候选方案", "Candidates"),
    "gs_col_trial": ("候选", "Candidate"),
    "gs_col_settings": ("设置", "Settings"),
    "gs_col_share": ("第{}月末入住比例(均值，95%区间)", "Share moved by month {} (mean, 95% "
                     "interval)"),
    "gs_col_cost": ("公共成本", "Public cost"),
    "gs_col_verdict": ("目标与预算", "Target and budget"),
    "gs_col_note": ("备注", "Note"),
    "gs_pick": ("把候选", "Put candidate"),
    "gs_card": ("填入", "into"),
    "gs_pick_go": ("填入方案", "Put into the option"),
    "gs_picked": ("已把候选{}填入{}(见“② 方案”)。运行比较即可与其他方案对照。",
                  "Candidate {} is now {} (see “② Options”). Run the comparison to set it "
                  "against the others."),
    "gs_stale": ("村庄表或情景在寻找之后改过了，请重新寻找。", "The villages or the scenario "
                 "changed since the search; search again."),
    "gs_candidate": ("候选{}", "Candidate {}"),
}
#: Village table headers shown above the key names.
COLUMN_ZH = {"name": "村名", "households": "户数", "community": "新型社区",
             "homestead_mu_per_household": "户均宅基地(亩)", "maintenance_cny_per_month":
             "每月维护费(元)", "field_distance_km": "到耕地距离(公里)", "x_km": "东西坐标(公里)",
             "y_km": "南北坐标(公里)"}
DEFAULT_BASE = "teaching"
DEFAULT_REPS = 10


def tr(key: str, lang: str) -> str:
    zh, en = T[key]
    return zh if lang == "zh" else en


def _lang_of(search: str | None) -> str:
    return "en" if search and "lang=en" in search else "zh"


# ----------------------------------------------------------------------------- page
def page(request) -> ui.Tag:
    """The page for one request (``?lang=en``: in English)."""
    lang = "en" if request.query_params.get("lang") == "en" else "zh"
    other = "?lang=en" if lang == "zh" else "?lang=zh"
    header = ui.div(
        ui.h2(tr("title", lang), style="margin:0;font-size:1.5rem"),
        ui.a(tr("switch", lang), href=other, id="lang_switch", class_="btn btn-sm "
             "btn-outline-secondary"),
        style="display:flex;justify-content:space-between;align-items:center;"
              "padding:.6rem 0;border-bottom:3px solid #1f78b4;margin-bottom:.8rem")
    return ui.page_fluid(
        ui.tags.style(CSS),
        header,
        ui.navset_tab(
            ui.nav_panel(tr("tab_villages", lang), _villages_panel(lang), value="villages"),
            ui.nav_panel(tr("tab_options", lang), _options_panel(lang), value="options"),
            ui.nav_panel(tr("tab_run", lang), _run_panel(lang), value="run"),
            ui.nav_panel(tr("tab_goal", lang), _goal_panel(lang), value="goal"),
            id="tabs"),
        title=tr("title", lang), lang="zh-CN" if lang == "zh" else "en")


CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
sans-serif}
.problem-list{color:#b42318;margin:.4rem 0}
.ok-note{color:#1a7f37}
.bad-note{color:#b42318}
#options_grid > *{align-self:start}
.opt-card .form-group{margin-bottom:.45rem}
.opt-card .shiny-input-checkboxgroup label{font-weight:normal}
.amount-box{border-left:3px solid #cde;padding-left:.5rem;margin:.2rem 0 .4rem}
.amount-box .pkg{font-size:.85em;color:#1f4e79;margin-top:.2rem}
table{border-collapse:collapse;margin:.6em 0;font-size:.92em}
#results_box th,#results_box td{border:1px solid #bbb;padding:.3em .6em;text-align:right}
#results_box th:first-child,#results_box td:first-child{text-align:left}
#results_box th{background:#eef3f8}
#gs_box th,#gs_box td{border:1px solid #bbb;padding:.3em .6em;vertical-align:top}
#gs_box th{background:#eef3f8}
#gs_box td.settings{max-width:28rem}
#gs_box td.nowrap{white-space:nowrap}
#gs_box td.better{color:#1a7f37;background:#eef8f0}
#gs_box td.worse{color:#b42318;background:#fdf0ef}
table.judged td.better{color:#1a7f37;background:#eef8f0}
table.judged td.worse{color:#b42318;background:#fdf0ef}
table.judged td.unclear,table.judged td.missing{color:#666}
table.judged small.dir{color:#666}
.legend{font-size:.85em;color:#555}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(520px,1fr));gap:.4rem 1rem;
margin-top:.6rem}
.chart.wide{grid-column:1/-1}
.chart img{max-width:100%;border:1px solid #ddd;margin:.3rem 0}
progress{width:100%;height:1.2rem}
.status{margin:.4rem 0}
.err{color:#b42318;white-space:pre-wrap}
"""


def _villages_panel(lang: str) -> ui.Tag:
    choices = {name: logic.base_label(name, lang) for name in logic.BASE_SCENARIOS}
    return ui.div(
        ui.layout_columns(
            ui.input_select("base", tr("base", lang), choices, selected=DEFAULT_BASE),
            ui.input_file("upload", tr("upload", lang), accept=[".csv", ".xlsx"],
                          button_label=tr("browse", lang), placeholder=tr("no_file", lang)),
            col_widths=(4, 8)),
        ui.output_ui("base_note"),
        ui.p(tr("villages_help", lang), class_="text-muted", style="font-size:.9em"),
        ui.output_ui("village_problems"),
        ui.output_data_frame("villages"),
        style="padding-top:.8rem")


def _package_choices(lang: str) -> dict[str, str]:
    return {p: f"{logic.package_label(p, lang)}" for p in builtin_packages()}


_amount_id = logic.amount_id


def _option_card(i: int, lang: str) -> ui.Tag:
    n = i + 1
    amounts = []
    for p in builtin_packages():
        items = logic.package_amounts(p)
        if not items:
            continue
        boxes = [ui.div(logic.package_label(p, lang), class_="pkg")]
        for a in items:
            zh, en = logic.AMOUNT_KEYS[a.key]
            inst = a.instrument_zh if lang == "zh" else a.instrument_en
            boxes.append(ui.input_numeric(_amount_id(i, a.path), f"{inst}: "
                                          f"{zh if lang == 'zh' else en}",
                                          int(a.value) if a.value.is_integer() else a.value,
                                          min=-1e7,
                                          max=1e7, step=100, width="100%"))
        amounts.append(ui.panel_conditional(
            f"input.pkg{i} && input.pkg{i}.includes('{p}')", *boxes, class_="amount-box"))
    prio = {k: (v[0][0] if lang == "zh" else v[0][1]) for k, v in logic.PRIORITIES.items()}
    budget: list[Any]
    if logic.budget_supported():
        budget = [ui.input_numeric(f"budget_total{i}", tr("budget_total", lang), None, min=0),
                  ui.input_numeric(f"budget_year{i}", tr("budget_year", lang), None, min=0)]
    else:
        budget = [ui.p(tr("budget_off", lang), class_="text-muted", style="font-size:.85em")]
    letter = "ABCD"[i]
    card = ui.card(
        ui.card_header(f"{tr('option', lang)} {letter}"),
        ui.input_text(f"name{i}", tr("name", lang), f"{tr('option', lang)}{letter}"
                      if lang == "zh" else f"Option {letter}"),
        ui.input_checkbox_group(f"pkg{i}", tr("packages", lang), _package_choices(lang)),
        ui.tags.details(ui.tags.summary(tr("amounts", lang)),
                        ui.div(ui.output_ui(f"own_amounts{i}"), class_="amount-box"), *amounts),
        ui.h6(tr("strategy", lang), style="margin-top:.6rem"),
        ui.input_checkbox_group(f"target{i}", tr("targeting", lang), {}),
        ui.layout_columns(ui.input_numeric(f"tstart{i}", tr("targeting_months", lang), 0, min=0),
                          ui.input_numeric(f"tend{i}", "\u00a0", 24, min=0), col_widths=(6, 6)),
        ui.input_select(f"prio{i}", tr("priority", lang), prio),
        ui.input_numeric(f"reg{i}", tr("registration", lang), 0, min=0),
        ui.input_checkbox(f"wd{i}", tr("withdrawal", lang), True),
        ui.layout_columns(ui.input_numeric(f"wdshare{i}", tr("threshold", lang), 0.35, min=0,
                                           max=1, step=0.05),
                          ui.input_numeric(f"wdmonth{i}", tr("withdrawal_month", lang), 0, min=0),
                          col_widths=(6, 6)),
        ui.h6(tr("budget", lang), style="margin-top:.6rem"),
        *budget,
        class_="opt-card", id=f"card{i}")
    if i < 2:
        return card
    return ui.panel_conditional(f"Number(input.n_options) >= {n}", card)


def _options_panel(lang: str) -> ui.Tag:
    return ui.div(
        ui.input_radio_buttons("n_options", tr("n_options", lang),
                               {str(k): str(k) for k in range(2, MAX_OPTIONS + 1)},
                               selected="3", inline=True),
        ui.layout_columns(*[_option_card(i, lang) for i in range(MAX_OPTIONS)],
                          col_widths=(3, 3, 3, 3), fillable=False, id="options_grid"),
        style="padding-top:.8rem")


def _run_panel(lang: str) -> ui.Tag:
    return ui.div(
        ui.layout_columns(
            ui.input_numeric("reps", tr("reps", lang), DEFAULT_REPS, min=2, max=logic.MAX_REPS),
            ui.div(ui.input_action_button("run", tr("run", lang), class_="btn-primary"),
                   ui.input_action_button("cancel", tr("cancel", lang)),
                   style="padding-top:1.9rem;display:flex;gap:.5rem"),
            col_widths=(3, 9)),
        ui.output_ui("status"),
        ui.div(ui.output_ui("results"), id="results_box"),
        style="padding-top:.8rem")


def _goal_panel(lang: str) -> ui.Tag:
    from .goalseek import LEVERS, MAX_REPS, MAX_TRIALS, GoalSeek

    d = GoalSeek()
    zh = lang == "zh"
    form = ui.div(
        ui.input_select("gs_start", tr("gs_start", lang),
                        {str(i): f"{tr('option', lang)} {'ABCD'[i]}" for i in range(MAX_OPTIONS)}),
        ui.layout_columns(ui.input_numeric("gs_share", tr("gs_share", lang),
                                           round(d.target_share * 100), min=1, max=100),
                          ui.input_numeric("gs_month", tr("gs_month", lang), d.target_month,
                                           min=1), col_widths=(6, 6)),
        ui.layout_columns(ui.input_numeric("gs_budget_total", tr("gs_budget_total", lang), None,
                                           min=0),
                          ui.input_numeric("gs_budget_year", tr("gs_budget_year", lang), None,
                                           min=0), col_widths=(6, 6)),
        ui.input_checkbox("gs_no_arrears", tr("gs_no_arrears", lang), d.no_arrears),
        ui.input_checkbox_group("gs_levers", tr("gs_levers", lang),
                                {k: v[0 if zh else 1] for k, v in LEVERS.items()},
                                selected=list(d.levers)),
        ui.layout_columns(ui.input_numeric("gs_trials", tr("gs_trials", lang), d.trials, min=1,
                                           max=MAX_TRIALS),
                          ui.input_numeric("gs_reps", tr("gs_reps", lang), d.replications,
                                           min=2, max=MAX_REPS), col_widths=(6, 6)),
        ui.output_ui("gs_effort"),
        ui.div(ui.input_action_button("gs_run", tr("gs_run", lang), class_="btn-primary"),
               ui.input_action_button("gs_cancel", tr("cancel", lang)),
               style="display:flex;gap:.5rem;margin-top:.4rem"),
        class_="gs-form")
    return ui.div(
        ui.p(tr("gs_intro", lang), class_="text-muted", style="font-size:.92em"),
        ui.layout_columns(form, ui.div(ui.output_ui("gs_status"),
                                       ui.div(ui.output_ui("gs_results"), id="gs_box")),
                          col_widths=(4, 8)),
        style="padding-top:.8rem")


# ----------------------------------------------------------------------------- server
@dataclass
class Job:
    """A run in the background thread and what it has reported so far."""

    thread: threading.Thread | None = None
    cancel: threading.Event = field(default_factory=threading.Event)
    done: int = 0
    total: int = 1
    results: Any = None
    state: str = "idle"            # idle, running, done, cancelled, failed
    error: str = ""
    version: int = 0               # bumped on each report, so the page redraws
    runs: int = 0                  # runs started in this page (data-run of the status)
    reps: int = 0                  # replications asked for in the current run
    charts: list = field(default_factory=list)   # per option: its charts (HTML), drawn by
    #                                               the worker, not by the page's thread

    def begin(self) -> None:
        """A new run: the one still winding down is told to stop; what the page shows resets."""
        self.cancel.set()
        self.cancel = threading.Event()
        self.done, self.total, self.state, self.error, self.results = 0, 1, "running", "", None
        self.runs += 1

    def launch(self, compute, name: str, bad=lambda exc: None) -> None:
        """``compute()`` in a daemon thread: its value, a cancel or an error ends the run.
        ``bad(exc)`` names the problems of the page's own input (state "bad"); any other error
        is shown in full (state "failed")."""
        def work():
            try:
                self.results = compute()
                self.state = "done"
            except logic.Cancelled:
                self.state = "cancelled"
            except Exception as exc:   # noqa: BLE001 - shown on the page, never lost
                message = bad(exc)
                if message is not None:
                    self.state, self.error = "bad", message
                else:
                    self.error = f"{type(exc).__name__}: {exc}"
                    if not isinstance(exc, RuralsimError):
                        self.error += "\n" + traceback.format_exc(limit=4)
                    self.state = "failed"
            self.version += 1

        self.thread = threading.Thread(target=work, name=name, daemon=True)
        self.thread.start()


def _follow(job: Job, cancel_event, status_msg, tick, publish) -> None:
    """The page's side of a background run: the cancel button, and a poll that shows progress
    and hands each new report to ``publish(job)``."""
    @reactive.effect
    @reactive.event(cancel_event)
    def _cancel():
        if job.state == "running":
            job.cancel.set()

    seen = {"version": -1}

    @reactive.effect
    def _poll():
        tick()
        if job.state == "running":
            reactive.invalidate_later(0.4)
        with reactive.isolate():
            status_msg.set((job.state, f"{job.done}/{job.total}"))
            if job.version != seen["version"]:
                seen["version"] = job.version
                publish(job)


def server(input: Inputs, output: Outputs, session: Session) -> None:
    @reactive.calc
    def lang() -> str:
        return _lang_of(input[".clientdata_url_search"]())

    first = logic.base_scenario(DEFAULT_BASE)
    base = reactive.value(first)
    table = reactive.value(logic.villages_frame(first))
    upload_problems = reactive.value([])
    job = Job()
    # a closed page stops its run
    session.on_ended(lambda: job.cancel.set())
    tick = reactive.value(0)
    results_rv = reactive.value(None)
    # per card: the values its own-payment inputs show (drawn when the card is)
    own_shown = [reactive.value({a.path: a.value for a in logic.own_amounts(first)})
                 for _ in range(MAX_OPTIONS)]

    # --- villages
    @reactive.effect
    @reactive.event(input.base)
    def _base_changed():
        sc = logic.base_scenario(input.base())
        base.set(sc)
        table.set(logic.villages_frame(sc))
        upload_problems.set([])
        _fill_options(sc)

    def _fill_options(sc) -> None:
        from ..report.labels import type_label

        types = {t: type_label(sc.model, t, lang()) for t in sc.model.household_types}
        stacked = list(sc.model.policy.packages)
        for i in range(MAX_OPTIONS):
            pk = list(stacked)
            if i == 1:   # a second option to look at: interest-free loans instead
                pk = [p for p in pk if p != "subsidised_loans"] + ["interest_free_loans"]
            elif i == 2:
                pk = pk + ["awards"]
            ui.update_checkbox_group(f"pkg{i}", selected=list(dict.fromkeys(pk)))
            targ = [o for out in sc.model.strategy.outreach for o in out.types]
            ui.update_checkbox_group(f"target{i}", choices=types, selected=targ)
            w = sc.model.strategy.withdrawal
            ui.update_checkbox(f"wd{i}", value=w.enabled)
            ui.update_numeric(f"wdshare{i}", value=w.threshold_share)
            ui.update_numeric(f"wdmonth{i}", value=w.earliest_month)
            ui.update_numeric(f"reg{i}", value=sc.model.policy.registration_opens_month)
            own_shown[i].set({a.path: a.value for a in logic.own_amounts(sc)})
            if sc.model.strategy.outreach:
                o = sc.model.strategy.outreach[0]
                ui.update_numeric(f"tstart{i}", value=o.start_month)
                ui.update_numeric(f"tend{i}", value=o.end_month)

    @reactive.effect
    @reactive.event(input.upload)
    def _uploaded():
        files = input.upload()
        if not files:
            return
        f = files[0]
        df, problems = logic.read_village_table(f["datapath"], f["name"])
        upload_problems.set(problems)
        if df is not None:
            table.set(df)

    @reactive.calc
    def problems() -> list:
        return list(upload_problems()) + logic.check_villages(base(), table())

    @render.ui
    def base_note():
        sc = base()
        names = ", ".join(c.name for c in sc.model.communities)
        return ui.p(ui.strong(tr("communities", lang()) + ": "), names,
                    ui.span(f" · {sc.model.description}", class_="text-muted"),
                    style="font-size:.9em")

    @render.ui
    def village_problems():
        ps = problems()
        if not ps:
            return ui.p(tr("no_problems", lang()), class_="ok-note")
        return ui.div(ui.p(tr("n_problems", lang()).format(len(ps))),
                      ui.tags.ul(*[ui.tags.li(p.text(lang())) for p in ps]),
                      class_="problem-list", id="problem_list")

    @render.data_frame
    def villages():
        df = table().copy()
        ps = problems()
        col = tr("col_problems", lang())
        # the problems first, where the planner sees them beside the row's name
        df.insert(0, col, ["; ".join(p.message if p.column is None else
                                     f"{p.column}: {p.message}" for p in ps if p.row == r)
                           for r in range(len(df))])
        cols = list(df.columns)
        styles = [{"rows": [p.row], "cols": [cols.index(p.column)],
                   "style": {"background-color": "#fdecea", "color": "#b42318"}}
                  for p in ps if p.row is not None and p.row < len(df) and p.column in cols]
        styles.append({"cols": [0], "style": {"color": "#b42318", "white-space": "normal",
                                              "max-width": "22rem", "font-size": ".85em"}})
        if lang() == "zh":
            df.columns = [f"{COLUMN_ZH.get(c, '')} {c}".strip() if c in COLUMN_ZH else c
                          for c in cols]
        return render.DataGrid(df, editable=True, styles=styles, width="100%", height="420px")

    @villages.set_patch_fn
    def _(*, patch):
        cols = list(logic.VILLAGE_COLUMNS)
        j = patch["column_index"] - 1          # column 0 shows the problems
        if not 0 <= j < len(cols):
            raise SafeException("read-only / 只读")
        df = table().copy()
        df.iloc[patch["row_index"], j] = str(patch["value"])
        table.set(df)
        return patch["value"]

    # --- options
    def read_option(i: int) -> Option:
        sc = base()
        own = {logic.own_amount_id(i, p): v for p, v in own_shown[i]().items()}

        def get(key: str) -> Any:
            if key in own:       # shown once the card has been drawn; else what it will show
                v = input[key]() if key in input else None
                return own[key] if v is None else v
            return input[key]() if key in input else None

        return logic.option_from_inputs(i, get, sc)

    for k in range(MAX_OPTIONS):
        _own_amounts_ui(k, output, base, own_shown[k], lang)

    # --- running
    status_msg = reactive.value(("idle", ""))

    @reactive.effect
    @reactive.event(input.run)
    def _start():
        if job.state == "running":
            return
        ps = problems()
        if ps:
            status_msg.set(("bad_villages", "\n".join(p.text(lang()) for p in ps)))
            return
        n = int(input.n_options())
        try:
            opts = [read_option(i) for i in range(n)]
            names = logic_unique([o.name for o in opts])
            built = [(nm, logic.build_option(base(), table(), o)) for nm, o in zip(names, opts)]
            reps = int(input.reps() or DEFAULT_REPS)
        except (ScenarioError, RuralsimError, ValueError, TypeError) as exc:
            status_msg.set(("bad", str(exc)))
            return
        job.begin()
        job.total, job.reps = len(built) * (reps + 1), reps
        results_rv.set(None)

        def progress(done, total, what):
            job.done, job.total = done, total

        lg = lang()
        job.charts = []

        def partial(res):
            while len(job.charts) < len(res.runs):
                job.charts.append(_charts(res.runs[len(job.charts)], lg))
            job.results = res
            job.version += 1

        job.launch(lambda: logic.run_options(built, reps, progress=progress, cancel=job.cancel,
                                             partial=partial), "ruralsim-app-run")
        status_msg.set(("running", ""))
        tick.set(tick() + 1)

    # a new value each time: the results object grows in place
    _follow(job, input.cancel, status_msg, tick,
            lambda j: results_rv.set((j.version, j.results)))

    @render.ui
    def status():
        return ui.div(_status(), **{"data-run": str(job.runs), "data-state": job.state})

    def _status():
        state, detail = status_msg()
        lg = lang()
        if state == "running":
            return ui.div(ui.tags.progress(value=str(job.done), max=str(job.total)),
                          ui.p(tr("running", lg).format(job.done, job.total)),
                          class_="status", id="run_status")
        if state in ("bad", "bad_villages"):
            return ui.div(ui.p(tr("bad_options" if state == "bad" else "bad_villages", lg)),
                          ui.pre(detail), class_="status err", id="run_status")
        if state == "failed":
            return ui.div(ui.p(tr("failed", lg)), ui.pre(job.error), class_="status err",
                          id="run_status")
        if state == "cancelled":
            return ui.p(tr("cancelled", lg), class_="status", id="run_status")
        if state == "done" and job.results is not None:
            return ui.p(tr("done", lg).format(job.results.reps), class_="status ok-note",
                        id="run_status")
        return ui.p(tr("idle", lg), class_="status text-muted", id="run_status")

    @render.ui
    def results():
        res = (results_rv() or (0, None))[1]
        lg = lang()
        if res is None or not res.runs:
            return ui.div()
        checks = [(name, logic.budget_check(run, lg)) for name, run in zip(res.names, res.runs)]
        budget = [ui.tags.li(ui.strong(f"{name}: "), text, class_="ok-note"
                             if (run.summary.get("budget") or {}).get("pass") else "bad-note")
                  for (name, text), run in zip(checks, res.runs) if text]
        headline = ui.div(ui.h4(tr("headline", lg)),
                          ui.p(tr("headline_note", lg), class_="text-muted",
                               style="font-size:.9em"),
                          ui.div(ui.h6(tr("budget", lg)), ui.tags.ul(*budget), id="budget_checks")
                          if budget else ui.div(),
                          ui.HTML(logic.headline_html(res, lg)), id="headline")
        parts: list[Any] = []
        if res.comparison is not None:
            parts += [ui.h4(tr("conclusion", lg)),
                      ui.tags.ul(*[ui.tags.li(s) for s in logic.conclusion(res.comparison, lg)],
                                 id="conclusion"),
                      _downloads(res, lg),
                      ui.layout_columns(
                          ui.div(ui.h4(tr("compare", lg), " ", ui.tags.small(
                              "" if res.complete else tr(
                                  "so_far_cancelled" if job.state == "cancelled" else "so_far",
                                  lg).format(res.reps, job.reps), class_="text-muted")),
                                 ui.div(ui.HTML(logic.comparison_html(res.comparison, lg)),
                                        id="compare_table")),
                          headline, col_widths=(7, 5))]
        else:
            parts += [headline, _downloads(res, lg)]
        parts.append(ui.h4(tr("charts", lg)))
        tabs = [ui.nav_panel(name, charts) for name, charts in zip(res.names, job.charts)]
        parts.append(ui.navset_pill(*tabs, id="chart_tabs"))
        return ui.div(*parts)

    def _downloads(res, lg: str) -> ui.Tag:
        if not res.complete:
            return ui.p(tr("wait_results", lg), class_="text-muted")
        items = [ui.download_button("dl_report", tr("dl_report", lg)),
                 ui.download_button("dl_docx", tr("dl_docx", lg)),
                 ui.download_button("dl_xlsx", tr("dl_xlsx", lg))]
        from ..report.html import find_chromium

        if find_chromium():
            items.insert(1, ui.download_button("dl_pdf", tr("dl_pdf", lg)))
        for i, name in enumerate(res.names):
            items.append(ui.download_button(f"dl_yaml{i}", f"{tr('dl_yaml', lg)}: {name}"))
        return ui.div(ui.h4(tr("downloads", lg)),
                      ui.div(*items, style="display:flex;flex-wrap:wrap;gap:.5rem"))

    def _done_results():
        res = job.results
        if res is None or not res.complete:
            raise SafeException(tr("wait_results", lang()))
        return res

    # the report takes a while to draw: in a thread, so that the page goes on answering
    @render.download_button(filename="ruralsim-report.html")
    async def dl_report():
        res, lg = _done_results(), lang()
        yield (await asyncio.to_thread(logic.report_html, res, lg)).encode("utf-8")

    @render.download_button(filename="ruralsim-report.pdf")
    async def dl_pdf():
        res, lg = _done_results(), lang()
        yield await asyncio.to_thread(logic.report_pdf, res, lg)

    @render.download_button(filename="ruralsim-report.docx")
    async def dl_docx():
        res, lg = _done_results(), lang()
        yield await asyncio.to_thread(logic.report_docx, res, lg)

    @render.download_button(filename="ruralsim.xlsx")
    async def dl_xlsx():
        res = _done_results()
        yield await asyncio.to_thread(logic.workbook_bytes, res)

    for k in range(MAX_OPTIONS):
        _yaml_download(k, output, job, lang)

    _goal_seek_server(input, output, session, lang, base, table, problems, read_option,
                      own_shown)


def _yaml_download(k: int, output: Outputs, job: Job, lang) -> None:
    def filename() -> str:
        res = job.results
        name = res.names[k] if res is not None and k < len(res.names) else f"option{k + 1}"
        from ..outputs import unique_file_stems

        return f"{unique_file_stems([name])[0]}.yaml"

    @output(id=f"dl_yaml{k}")
    @render.download_button(filename=filename)
    def _dl():
        res = job.results
        if res is None or k >= len(res.scenarios):
            raise SafeException(tr("wait_results", lang()))
        yield logic.option_yaml(res.scenarios[k], lang()).encode("utf-8")


def _own_amounts_ui(k: int, output: Outputs, base, shown, lang) -> None:
    """Option card ``k``'s inputs for the scenario's own payments (they change with it)."""
    @output(id=f"own_amounts{k}")
    @render.ui
    def _own():
        lg, values = lang(), shown()
        items = logic.own_amounts(base())
        if not items:
            return ui.div()
        boxes: list[Any] = [ui.div(tr("own_amounts", lg), class_="pkg")]
        for a in items:
            zh, en = logic.AMOUNT_KEYS[a.key]
            inst = a.instrument_zh if lg == "zh" else a.instrument_en
            v = values.get(a.path, a.value)
            boxes.append(ui.input_numeric(logic.own_amount_id(k, a.path),
                                          f"{inst}: {zh if lg == 'zh' else en}",
                                          int(v) if float(v).is_integer() else v, min=-1e7,
                                          max=1e7, step=100, width="100%"))
        return ui.div(*boxes)


# ----------------------------------------------------------------------------- goal-seek
def _goal_seek_server(input: Inputs, output: Outputs, session: Session, lang, base, table,
                      problems, read_option, own_shown) -> None:
    from . import goalseek

    job = Job()
    session.on_ended(lambda: job.cancel.set())
    tick = reactive.value(0)
    status_msg = reactive.value(("idle", ""))
    shown = reactive.value(None)
    picked = reactive.value("")

    def form() -> "goalseek.GoalSeek":
        def num(key: str, scale: float = 1.0) -> float | None:
            v = input[key]()
            return None if v is None else float(v) * scale

        return goalseek.GoalSeek(
            target_share=(num("gs_share") or 0) / 100, target_month=int(num("gs_month") or 0),
            budget_total_cny=num("gs_budget_total", 1e4),
            budget_per_year_cny=num("gs_budget_year", 1e4),
            levers=tuple(input.gs_levers()), no_arrears=bool(input.gs_no_arrears()),
            trials=int(num("gs_trials") or 0), replications=int(num("gs_reps") or 0))

    @reactive.effect
    def _budget_of_scenario():
        b = base().model.government.budget if logic.budget_supported() else None
        with reactive.isolate():   # the budget the scenario states, as a starting point
            for key, v in (("gs_budget_total", b and b.total_cny),
                           ("gs_budget_year", b and b.per_year_cny)):
                ui.update_numeric(key, value="" if v is None else v / 1e4)

    @render.ui
    def gs_effort():
        f = form()
        r = f.replications
        return ui.p(tr("gs_effort", lang()).format(goalseek.planned_runs(f), f.trials, r, r,
                                                   goalseek.FINALISTS, r),
                    class_="text-muted", style="font-size:.85em", id="gs_effort_text")

    @reactive.effect
    @reactive.event(input.gs_run)
    def _start():
        if job.state == "running":
            return
        ps = problems()
        if ps:
            status_msg.set(("bad", "\n".join(p.text(lang()) for p in ps)))
            return
        try:
            f = form()
            if not f.levers:
                raise ValueError("tick at least one setting to adjust / 请至少勾选一项可调整的设置")
            option = read_option(int(input.gs_start()))
        except (ScenarioError, RuralsimError, ValueError, TypeError) as exc:
            status_msg.set(("bad", str(exc)))
            return
        sc, villages = base(), table().copy()
        job.begin()
        picked.set("")
        lg = lang()

        def progress(done, total):
            job.done, job.total = done, total

        def compute():
            gs = goalseek.run_goal_seek(sc, villages, option, f, progress=progress,
                                        cancel=job.cancel)
            job.charts = [goalseek.tradeoff_png(gs, lg)]
            return gs

        def bad(exc):   # the form's own problems in plain words
            if not isinstance(exc, (ScenarioError, RuralsimError)):
                return None
            from ..optimize import SpecError

            return ("\n".join(i.message for i in exc.issues) if isinstance(exc, SpecError)
                    else str(exc))

        job.launch(compute, "ruralsim-app-goal-seek", bad)
        status_msg.set(("running", ""))
        tick.set(tick() + 1)

    _follow(job, input.gs_cancel, status_msg, tick,
            lambda j: shown.set((j.version, j.results if j.state == "done" else None)))

    @render.ui
    def gs_status():
        return ui.div(_status(), **{"data-run": str(job.runs), "data-state": job.state})

    def _status():
        state, _ = status_msg()
        lg = lang()
        if state == "running":
            return ui.div(ui.tags.progress(value=str(job.done), max=str(job.total)),
                          ui.p(tr("gs_running", lg).format(job.done, job.total)),
                          class_="status", id="gs_run_status")
        if state == "bad":
            return ui.div(ui.p(tr("gs_bad", lg)), ui.pre(job.error or status_msg()[1]),
                          class_="status err", id="gs_run_status")
        if state == "failed":
            return ui.div(ui.p(tr("failed", lg)), ui.pre(job.error), class_="status err",
                          id="gs_run_status")
        if state == "cancelled":
            return ui.p(tr("cancelled", lg), class_="status", id="gs_run_status")
        if state == "done" and job.results is not None:
            return ui.p(tr("gs_done", lg).format(len(job.results.result.candidates)),
                        class_="status ok-note", id="gs_run_status")
        return ui.p(tr("gs_idle", lg), class_="status text-muted", id="gs_run_status")

    @render.ui
    def gs_results():
        gs = (shown() or (0, None))[1]
        lg = lang()
        if gs is None:
            return ui.div()
        rows = goalseek.candidate_rows(gs, lg)
        head = [tr("gs_col_trial", lg), tr("gs_col_settings", lg),
                tr("gs_col_share", lg).format(gs.form.target_month), tr("gs_col_cost", lg),
                tr("gs_col_verdict", lg), tr("gs_col_note", lg)]
        body = [ui.tags.tr(ui.tags.td(tr("gs_candidate", lg).format(r["trial"]),
                                      class_="nowrap"),
                           ui.tags.td(r["settings"], class_="settings"),
                           ui.tags.td(r["share"], class_="nowrap"),
                           ui.tags.td(r["cost"], class_="nowrap"),
                           ui.tags.td(r["verdict"], class_="better" if r["feasible"]
                                      else "worse"),
                           ui.tags.td(r["note"]), **{"data-trial": str(r["trial"])})
                for r in rows]
        table_ = ui.tags.table(ui.tags.thead(ui.tags.tr(*[ui.tags.th(h) for h in head])),
                               ui.tags.tbody(*body), class_="judged", id="gs_table")
        png = job.charts[0] if job.charts else None
        fig = [] if png is None else [
            ui.h5(tr("gs_figure", lg)),
            ui.tags.img(src="data:image/png;base64," + base64.b64encode(png).decode("ascii"),
                        style="max-width:560px;width:100%;border:1px solid #ddd"),
            ui.p(tr("gs_figure_note", lg), class_="legend")]
        choices = {str(r["trial"]): tr("gs_candidate", lg).format(r["trial"]) for r in rows}
        pick = ui.div(
            ui.input_select("gs_pick", tr("gs_pick", lg), choices),
            ui.input_select("gs_card", tr("gs_card", lg),
                            {str(i): f"{tr('option', lg)} {'ABCD'[i]}"
                             for i in range(MAX_OPTIONS)}, selected=str(MAX_OPTIONS - 1)),
            ui.input_action_button("gs_pick_go", tr("gs_pick_go", lg), class_="btn-primary",
                                   style="margin-top:1.9rem"),
            style="display:flex;gap:.8rem;align-items:flex-start") if rows else ui.div()
        return ui.div(ui.p(ui.strong(goalseek.conclusion(gs, lg)), id="gs_conclusion"),
                      ui.p(goalseek.baseline_text(gs, lg), id="gs_baseline"),
                      *fig, ui.h5(tr("gs_table", lg)), table_, pick,
                      ui.output_ui("gs_pick_msg"))

    @render.ui
    def gs_pick_msg():
        text = picked()
        return ui.p(text, class_="ok-note" if not text.startswith("!") else "bad-note",
                    id="gs_picked") if text else ui.div()

    @reactive.effect
    @reactive.event(input.gs_pick_go)
    def _pick():
        gs = job.results
        lg = lang()
        if gs is None or job.state != "done":
            return
        if gs.base is not base() or not gs.villages.equals(table()):
            picked.set("!" + tr("gs_stale", lg))
            return
        trial, card = int(input.gs_pick()), int(input.gs_card())
        name = tr("gs_candidate", lg).format(trial)
        opt = gs.candidate_option(trial, name)
        _show_option(card, opt, gs.base, own_shown)
        if int(input.n_options()) < card + 1:
            ui.update_radio_buttons("n_options", selected=str(card + 1))
        picked.set(tr("gs_picked", lg).format(trial, f"{tr('option', lg)} {'ABCD'[card]}"))


def _show_option(i: int, option: Option, sc, own_shown) -> None:
    """Fill option card ``i`` with ``option`` (what :func:`logic.option_from_inputs` reads
    back as the same scenario)."""
    values = logic.option_inputs(i, option, sc)
    own = {}
    for key, v in values.items():
        if key.startswith(f"own{i}_"):
            own[key] = v
        elif key == f"name{i}":
            ui.update_text(key, value=v)
        elif key in (f"pkg{i}", f"target{i}"):
            ui.update_checkbox_group(key, selected=v)
        elif key == f"prio{i}":
            ui.update_select(key, selected=v)
        elif key == f"wd{i}":
            ui.update_checkbox(key, value=v)
        else:       # numbers; an empty one (no budget, no end month) is cleared
            ui.update_numeric(key, value="" if v is None else v)
    ids = {logic.own_amount_id(i, a.path): a.path for a in logic.own_amounts(sc)}
    own_shown[i].set({ids[k]: float(v) for k, v in own.items()})


def _charts(run, lang: str) -> ui.Tag:
    out: list[Any] = []
    for which in logic.CHARTS:
        png = logic.chart_png(run, which, lang)
        if png is None:
            continue
        src = "data:image/png;base64," + base64.b64encode(png).decode("ascii")
        out.append(ui.div(ui.h6(tr(f"chart_{which}", lang)), ui.tags.img(src=src),
                          class_="chart wide" if which == "map" else "chart"))
    tl = logic.timeline_html(run, lang)
    out.append(ui.div(ui.h6(tr("timeline", lang)),
                      ui.HTML(tl) if tl else ui.p(tr("no_timeline", lang), class_="text-muted"),
                      class_="chart wide"))
    return ui.div(*out, class_="charts")


def logic_unique(names: list[str]) -> list[str]:
    from ..experiments.replicate import _unique_names

    return _unique_names([n or "option" for n in names])


def make_app() -> App:
    """The Shiny app of ``ruralsim app``."""
    return App(page, server)
