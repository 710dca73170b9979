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


def _amount_id(i: int, path: str) -> str:
    return f"amt{i}_" + path.replace("policy.instruments.", "").replace(".", "__")


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
        ui.tags.details(ui.tags.summary(tr("amounts", lang)), *amounts),
        ui.h6(tr("strategy", lang), style="margin-top:.6rem"),
        ui.input_checkbox_group(f"target{i}", tr("targeting", lang), {}),
        ui.layout_columns(ui.input_numeric(f"tstart{i}", tr("targeting_months", lang), 0, min=0),
                          ui.input_numeric(f"tend{i}", "\u00a0", 24, min=0), col_widths=(6, 6)),
        ui.input_select(f"prio{i}", tr("priority", lang), prio),
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
        pk = tuple(input[f"pkg{i}"]())
        amounts = {}
        for p in pk:
            for a in logic.package_amounts(p):
                v = input[_amount_id(i, a.path)]()
                if v is not None and v != a.value:
                    amounts[a.path] = float(v)
        budget = {}
        if logic.budget_supported():
            for key, iid in (("budget_total_cny", f"budget_total{i}"),
                             ("budget_per_year_cny", f"budget_year{i}")):
                v = input[iid]()
                if v is not None:
                    budget[key] = float(v) * 1e4
        end = input[f"tend{i}"]()
        return Option(name=(input[f"name{i}"]() or f"{'ABCD'[i]}").strip(), packages=pk,
                      amounts=amounts, targeting=tuple(input[f"target{i}"]()),
                      targeting_months=(int(input[f"tstart{i}"]() or 0),
                                        None if end is None else int(end)),
                      priority=input[f"prio{i}"](), withdrawal=bool(input[f"wd{i}"]()),
                      withdrawal_threshold=float(input[f"wdshare{i}"]() or 0),
                      withdrawal_month=int(input[f"wdmonth{i}"]() or 0), **budget)

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
        job.cancel.set()              # (a run still winding down)
        job.cancel = threading.Event()
        job.done, job.state, job.error, job.results = 0, "running", "", None
        job.total, job.reps = len(built) * (reps + 1), reps
        job.runs += 1
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

        def work():
            try:
                job.results = logic.run_options(built, reps, progress=progress,
                                                 cancel=job.cancel, partial=partial)
                job.state = "done"
            except logic.Cancelled:
                job.state = "cancelled"
            except Exception as exc:   # noqa: BLE001 - shown on the page, never lost
                job.error = f"{type(exc).__name__}: {exc}"
                if not isinstance(exc, RuralsimError):
                    job.error += "\n" + traceback.format_exc(limit=4)
                job.state = "failed"
            job.version += 1

        job.thread = threading.Thread(target=work, name="ruralsim-app-run", daemon=True)
        job.thread.start()
        status_msg.set(("running", ""))
        tick.set(tick() + 1)

    @reactive.effect
    @reactive.event(input.cancel)
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
                # a new value each time: the results object grows in place
                results_rv.set((job.version, job.results))

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

    @render.download_button(filename="ruralsim.xlsx")
    async def dl_xlsx():
        res = _done_results()
        yield await asyncio.to_thread(logic.workbook_bytes, res)

    for k in range(MAX_OPTIONS):
        _yaml_download(k, output, job, lang)


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
