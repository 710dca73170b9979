"""The planner's report: one self-contained HTML file per run or comparison.

Everything is inline (figures as base64 PNG, styles in the page): the file opens offline
and can be mailed or printed. Chinese by default, English on request. Numbers come from
``summary.json`` / ``compare.csv`` of the result folders, checked by
:mod:`ruralsim.report.inputs`, and are formatted once, by
:mod:`ruralsim.report.formatting` (readable units; a difference judged better or worse for
its metric).

All HTML is built one way, by :func:`h`: the template is markup written in this module and
every value put into it is escaped (text and attribute contexts alike), unless it is
:class:`Markup` that :func:`h` itself produced.  No f-string builds HTML here.

Example:
    >>> import ruralsim, tempfile, pathlib
    >>> from ruralsim.outputs import write_run
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_run(ruralsim.simulate("scenarios/teaching.yaml", seed=1), d)
    >>> "<html" in build_report([d], lang="en")
    True
"""
from __future__ import annotations

import base64
import datetime as _dt
import math
import os
import re
import signal
import subprocess
import tempfile
from pathlib import Path
from typing import Iterable

import markupsafe

from .. import __version__
from ..errors import RuralsimError, warn_user
from ..outputs import fsync_path
from .inputs import CompareRow, Figure, ReportInputs, load_report_inputs
from .lessons import COMPONENT_NAMES, comparison_lessons, decomposition_lessons
from .formatting import (MARKS, direction_text, estimate_parts, fmt_metric, judge, legend_text,
                         verdict_text)
from .labels import scenario_title, METRICS, TEXT, metric_label, t

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.55}
h1{font-size:1.6em;border-bottom:3px solid #1f78b4;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;color:#1f4e79}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
th,td{border:1px solid #bbb;padding:.35em .7em;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#eef3f8}
figure{margin:1.2em 0}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#555}
.note{font-size:.9em;color:#555;background:#f7f7f7;padding:.6em 1em;border-left:4px solid #ccc}
.pos{color:#1a7f37}.neg{color:#b42318}
table.judged td.better{color:#1a7f37;background:#eef8f0}
table.judged td.worse{color:#b42318;background:#fdf0ef}
table.judged td.unclear,table.judged td.missing{color:#666}
table.judged small.dir{color:#666}
table.leader td,table.leader th{text-align:left;vertical-align:top}
table.leader{font-size:.85em;width:100%}
table.leader td,table.leader th{padding:.3em .4em}
.legend{font-size:.85em;color:#555;margin-top:-.4em}
.print-only{display:none}
@page{size:A4;margin:14mm 12mm 16mm;
@bottom-center{content:counter(page) " / " counter(pages);font-size:9pt;color:#777}}
@media print{
body{margin:0;max-width:none;padding:0;font-size:10.5pt;line-height:1.45}
h1{margin-top:0}
h2{break-after:avoid;page-break-after:avoid}
thead{display:table-header-group}
tbody tr:nth-child(-n+3),tbody tr:nth-last-child(-n+2){break-before:avoid;page-break-before:avoid}
tr,figure,.note,li{break-inside:avoid;page-break-inside:avoid}
figure{margin:.6em 0}
figure img{max-height:118mm;width:auto;max-width:100%}
figure.anim img{display:none}
.print-only{display:inline}
table.leader{font-size:8pt}
}
"""

PDF_TIMEOUT_S = 120.0


# ---------------------------------------------------------------- building HTML

_SURROGATE = re.compile("[\ud800-\udfff]")


class Markup(markupsafe.Markup):
    """HTML that is safe to put into a page as it is (made by :func:`h` or :func:`join`).

    markupsafe's ``Markup``: its ``format`` and ``join`` escape every value that is not
    markup already; one addition: a lone surrogate (from JSON ``"\\ud800"`` or an
    undecodable file name), which cannot be written as UTF-8, becomes U+FFFD.
    """

    __slots__ = ()

    @classmethod
    def escape(cls, s: object) -> "Markup":
        if hasattr(s, "__html__"):
            return cls(s)
        return cls(markupsafe.escape(_SURROGATE.sub("\ufffd", str(s))))


def escape(value: object) -> Markup:
    """``value`` as HTML text, safe in element content and in quoted attributes."""
    return Markup.escape(value)


def h(template: str, /, *args, **kwargs) -> Markup:
    """Fill ``template`` (trusted markup) with ``args`` / ``kwargs``, escaping each of them.

    >>> h('<td title="{}">{}</td>', 'a"b', '<script>')
    Markup('<td title="a&#34;b">&lt;script&gt;</td>')
    >>> h('<p>{}</p>', h('<b>{}</b>', 'x & y'))
    Markup('<p><b>x &amp; y</b></p>')
    """
    return Markup(template).format(*args, **kwargs)


def join(parts: Iterable[object], sep: str = "") -> Markup:
    """Concatenate ``parts`` (each escaped unless :class:`Markup`) with markup ``sep``."""
    return Markup(sep).join(parts)


# ---------------------------------------------------------------- the report's parts

def _t(key: str, lang: str) -> str:
    return t(f"report_{key}", lang)


def _metric(key: str, value: float | None, lang: str = "zh") -> str:
    return fmt_metric(key, None if value is None or not math.isfinite(value) else value, lang)


def _img(fig: Figure) -> Markup:
    data = base64.b64encode(fig.data).decode("ascii")
    return h('<img alt="{}" src="data:{};base64,{}">', fig.stem, fig.mime, data)


def in_language(figures: list[Figure], lang: str) -> list[Figure]:
    """One figure per name: the one drawn in ``lang`` (from ``figures/<lang>/``) where there
    is one, else the one of ``figures/`` (drawn in the run's language)."""
    chosen = {f.stem: f for f in figures if f.lang is None}
    chosen.update({f.stem: f for f in figures if f.lang == lang})
    return list(chosen.values())


def _figures(figures: list[Figure], lang: str) -> Markup:
    order = [k.removeprefix("fig_") for k in TEXT if k.startswith("fig_")]
    figs = sorted(in_language(figures, lang),
                  key=lambda f: (order.index(f.stem) if f.stem in order else len(order), f.stem))
    out = []
    for f in figs:
        caption = figure_caption(f.stem, lang)
        if f.mime == "image/gif":      # an animation: on paper, its caption says where to see it
            out.append(h('<figure class="anim">{}<figcaption>{}<span class="print-only">'
                         "{}</span></figcaption></figure>", _img(f), caption,
                         _t("animation_print", lang)))
        else:
            out.append(h("<figure>{}<figcaption>{}</figcaption></figure>", _img(f), caption))
    return join(out, "\n")


def figure_caption(stem: str, lang: str) -> str:
    """The caption of figure ``stem`` in words (never its file name)."""
    from .experiment_plots import TITLES

    if f"fig_{stem}" in TEXT:
        return t(f"fig_{stem}", lang)
    metric = stem.removeprefix("compare_")
    if stem.startswith("compare_") and metric in TITLES:
        zh, en = TITLES[metric]
        return (f"各方案比较：{zh}（中位数及5%–95%区间）" if lang == "zh" else
                f"Options compared: {en} (median and 5-95% band)")
    return "图" if lang == "zh" else "Figure"


def blocks_html(blocks) -> Markup:
    """HTML of :class:`ruralsim.report.leader.Block` s."""
    out = []
    for b in blocks:
        if b.kind == "h2":
            out.append(h("<h2>{}</h2>", b.text))
        elif b.kind == "p":
            out.append(h("<p>{}</p>", b.text))
        elif b.kind == "note":
            out.append(h("<p class='note'>{}</p>", b.text))
        elif b.kind == "ul":
            out.append(h("<ul class='lessons'>{}</ul>", join(h("<li>{}</li>", x)
                                                             for x in b.items)))
        elif b.kind == "table":
            rows = [h("<tr>{}</tr>", join(h("<th>{}</th>", c) for c in b.head))]
            rows += [h("<tr>{}</tr>", join(h("<td>{}</td>", c) for c in r)) for r in b.rows]
            out.append(table(rows, "leader"))
        elif b.kind == "img":
            data = base64.b64encode(b.data).decode("ascii")
            out.append(h('<figure><img alt="{}" src="data:image/png;base64,{}">'
                         "<figcaption>{}</figcaption></figure>", b.text, data, b.text))
    return join(out, "\n")


def describe_scenario(sc, summary, lang: str) -> Markup:
    """The scenario in plain words, from checked scenario.json and summary.json."""
    vil = sc.villages
    comms = [c.name for c in sc.communities]
    n = sum(v.households for v in vil)
    run = sc.run
    instr = [(i.label_zh or i.name) if lang == "zh" else (i.label_en or i.name)
             for i in sc.policy.instruments]
    events = [(e.label_zh or e.name) if lang == "zh" else
              (e.label_en or e.name.replace("_", " ")) for e in sc.policy.events]
    st = sc.strategy
    w = st.withdrawal
    prio = ("、" if lang == "zh" else ", ").join(_type_label(sc, p, lang)
                                                for p in st.priority) or "—"
    if lang == "zh":
        parts = [f"{len(vil)}个村庄、{n:,}户，规划整合为{len(comms)}个新型社区（{'、'.join(comms)}）。",
                 f"模拟自{run.start_year}年{run.start_month}月起，共{run.horizon_months}个月。",
                 f"政策包：{'；'.join(instr) if instr else '无'}。",
                 f"政策活动：{'；'.join(events) if events else '无'}。",
                 f"推进策略：{st.label_zh or st.name}；住房分配优先顺序：{prio}。",
                 (f"当村庄剩余户数低于{w.threshold_share:.0%}时停止公共服务，服务每月衰减"
                  f"{w.decay_per_month:.0%}。" if w.enabled else "不停止旧村公共服务。")]
    else:
        parts = [f"{len(vil)} villages with {n:,} households, to be consolidated into "
                 f"{len(comms)} new communities ({', '.join(comms)}).",
                 f"Simulated from {run.start_year}-{run.start_month:02d} for "
                 f"{run.horizon_months} months.",
                 f"Package: {'; '.join(instr) if instr else 'none'}.",
                 f"Policy events: {'; '.join(events) if events else 'none'}.",
                 f"Strategy: {st.label_en or st.label_zh or st.name}; allocation priority: "
                 f"{prio}.",
                 (f"Services are withdrawn from a village once fewer than "
                  f"{w.threshold_share:.0%} of its households remain, and decay by "
                  f"{w.decay_per_month:.0%} a month." if w.enabled
                  else "Services of old villages are never withdrawn.")]
    meta = (f"seed {summary.seed}, scenario hash {summary.scenario_hash}, "
            f"ruralsim {summary.version}")
    return h('<p>{}</p><p class="note">{}</p>', join(parts, "<br>"), meta)


def _type_label(sc, name: str, lang: str) -> str:
    ht = sc.household_types.get(name)
    label = None if ht is None else (ht.label_zh if lang == "zh" else ht.label_en)
    return label or name


def table(rows: list[Markup], cls: str = "") -> Markup:
    """A table whose first row is its header: in ``<thead>``, so that a table printed across
    pages repeats it on each (``cls``: its class, e.g. 'judged' for coloured differences)."""
    if cls:
        return h("<table class='{}'><thead>{}</thead><tbody>{}</tbody></table>", cls, rows[0],
                 join(rows[1:]))
    return h("<table><thead>{}</thead><tbody>{}</tbody></table>", rows[0], join(rows[1:]))


#: Headline rows about phases (model 2.0's construction); in supply.mode 'demand' there are
#: none, and a row reading 0 would read as all well: the works timeline says how works went.
PHASE_METRICS = ("phases_abandoned",)


def _headline_table(summaries: list[tuple[str, object]], lang: str) -> Markup:
    head = join(h("<th>{}<br><small>{}</small></th>", name,
                  f"单次模拟，种子{s.seed}" if lang == "zh" else f"one run, seed {s.seed}")
                for name, s in summaries)
    rows = [h("<tr><th>{}</th>{}</tr>", _t("metric", lang), head)]
    demand = all(getattr(s, "supply", None) is not None for _, s in summaries)
    for key, *_ in METRICS:
        if demand and key in PHASE_METRICS:
            continue
        cells = join(h('<td data-key="{}">{}</td>', key, _metric(key, getattr(s, key), lang))
                     for _, s in summaries)
        rows.append(h("<tr><td>{}</td>{}</tr>", metric_label(key, lang), cells))
    return table(rows)


def _timeline_table(supply, lang: str, start: tuple[int, int] | None = None) -> Markup:
    """The per-community supply timeline of a demand-mode run (summary.json supply.timeline):
    one column per community; months as calendar dates when ``start`` is known."""
    from .options import month_date

    rows_in = supply.timeline
    head = join(h("<th>{}</th>", r.community) for r in rows_in)
    rows = [h("<tr><th>{}</th>{}</tr>", t("community", lang), head)]

    def month(v):
        return "" if v is None else month_date(v, start) if start else str(v)

    lines = [
        ("tl_first_section_started", lambda r: month(r.first_section_started)),
        ("tl_first_section_done", lambda r: month(r.first_section_done)),
        ("tl_sections_done", lambda r: f"{r.sections_done}/{r.sections}"),
        ("tl_facilities_open", lambda r: f"{r.facilities_open}/{r.facilities}"),
        ("tl_plots_opened", lambda r: f"{r.plots_opened:,}"),
        ("tl_building_sites_opened", lambda r: f"{r.building_sites_opened:,}"),
        ("tl_buildings", lambda r: f"{r.buildings_started:,}/{r.buildings_finished:,}"),
        ("tl_courtyards", lambda r: f"{r.courtyards_started:,}/{r.courtyards_built:,}"),
        ("tl_apartments_delivered", lambda r: f"{r.apartments_delivered:,}"),
        ("tl_first_home_started", lambda r: month(r.first_home_started)),
        ("tl_first_home_finished", lambda r: month(r.first_home_finished)),
    ]
    for key, cell in lines:
        rows.append(h("<tr><td>{}</td>{}</tr>", _t(key, lang),
                      join(h("<td>{}</td>", cell(r)) for r in rows_in)))
    return table(rows)


def _metric_cell(metric: str, lang: str) -> Markup:
    """A metric's label with which way is better, e.g. 'Months to 90% moved (lower is better)'."""
    hint = direction_text(metric, lang)
    if not hint:
        return h("<td>{}</td>", metric_label(metric, lang))
    return h("<td>{}<br><small class='dir'>({})</small></td>", metric_label(metric, lang), hint)


def _judged_cell(metric: str, mean, low, high, lang: str) -> Markup:
    """A difference with its interval, coloured and worded by whether it is better or worse
    for ``metric`` ("no clear difference" when the interval spans zero)."""
    v = judge(metric, mean, low, high)
    value, interval = estimate_parts(metric, mean, low, high, lang, diff=True)
    if v == "missing":
        return h('<td class="missing">{}</td>', value)
    return h('<td class="{}">{}<br><small>{}<br>{} {}</small></td>', v, value, interval,
             MARKS[v], verdict_text(v, lang))


def _estimate_cell(metric: str, mean, low, high, lang: str) -> Markup:
    value, interval = estimate_parts(metric, mean, low, high, lang)
    return h("<td>{}<br><small>{}</small></td>", value, interval) if interval else \
        h("<td>{}</td>", value)


def _legend(lang: str, kind: str) -> Markup:
    return h("<p class='legend'>{}</p>", legend_text(lang, kind))


def _comparison_table(rows: list[CompareRow], lang: str) -> Markup:
    """The first scenario's mean [2.5%, 97.5%], then each other scenario's paired difference
    to it [95% CI], in readable units, coloured better / worse for that metric."""
    names = list(dict.fromkeys(r.scenario for r in rows))
    metrics = list(dict.fromkeys(r.metric for r in rows))
    cell = {(r.metric, r.scenario): r for r in rows}
    head = join(h("<th>{}</th>", scenario_title(str(n), lang)) for n in names)
    out = [h("<tr><th>{}</th>{}</tr>", _t("metric", lang), head)]
    for metric in metrics:
        cells = []
        for name in names:
            r = cell.get((metric, name))
            if r is None:
                cells.append(h("<td>—</td>"))
            elif name == names[0]:
                cells.append(_estimate_cell(metric, r.mean, r.p2_5, r.p97_5, lang))
            else:
                cells.append(_judged_cell(metric, r.diff_vs_first, r.diff_ci_low,
                                          r.diff_ci_high, lang))
        out.append(h("<tr>{}{}</tr>", _metric_cell(metric, lang), join(cells)))
    return join([table(out, "judged"), _legend(lang, "compare")])


def _lessons(sentences: list[str]) -> Markup:
    if not sentences:
        return Markup("")
    return h("<ul class='lessons'>{}</ul>", join(h("<li>{}</li>", x) for x in sentences))


def _effects_table(rows, lang: str) -> Markup:
    """Main effects of the strategy's components: metric × component, mean [95% interval],
    coloured better / worse for that metric."""
    main = [r for r in rows if r.order == 1]
    comps = list(dict.fromkeys(r.effect for r in main))
    head = join(h("<th>{}</th>", COMPONENT_NAMES.get(c, (c, c))[0 if lang == "zh" else 1])
                for c in comps)
    out = [h("<tr><th>{}</th>{}</tr>", _t("metric", lang), head)]
    censored = False
    for metric in dict.fromkeys(r.metric for r in main):
        cells = []
        for c in comps:
            r = next((x for x in main if x.metric == metric and x.effect == c), None)
            if r is None:
                cells.append(h("<td>—</td>"))
                continue
            censored = censored or r.censored
            cells.append(_judged_cell(metric, r.mean, r.ci_low, r.ci_high, lang))
        out.append(h("<tr>{}{}</tr>", _metric_cell(metric, lang), join(cells)))
    note = (h("<p class='legend'>{}</p>", "部分情形期末前未达到该比例，按期末+1个月计。" if lang == "zh"
              else "Some runs never reached that share; they count at the horizon + 1 month.")
            if censored else Markup(""))
    return join([table(out, "judged"), _legend(lang, "effects"), note])


def compare_heading(c, lang: str) -> str:
    """The comparison's heading, saying how many replications its numbers come from."""
    reps = max((len(o.reps) for o in c.options.options), default=0) if c.options else 0
    return _t("compare", lang) + ((f"（每个方案{reps}次重复）" if lang == "zh" else
                                   f" ({reps} replications each)") if reps else "")


def _start(r) -> tuple[int, int] | None:
    return None if r.scenario is None else (r.scenario.run.start_year,
                                            r.scenario.run.start_month)


def run_blocks(r, name: str, lang: str):
    """The plan, works timeline and village schedule of run ``r`` as blocks."""
    from .leader import plan_blocks, village_blocks, works_blocks

    start = _start(r)
    return (plan_blocks(name, r.summary, start, lang, r.scenario)
            + works_blocks(name, r.communities, start, lang)
            + village_blocks(name, r.villages, r.scenario, start, lang))


def render_report(inputs: ReportInputs, lang: str = "zh", target_share: float | None = None,
                  target_month: int | None = None) -> str:
    """HTML text of the report for checked inputs (see :func:`load_report_inputs`): page one
    for the decision (options in words, ranked against the target and the budget, a
    recommendation), then the details."""
    from .leader import decision_blocks

    body = [h("<h1>{}</h1>", _t("title", lang)),
            h("<p class='note'>{}: {} · ruralsim {}</p>", _t("generated", lang),
              _dt.datetime.now().strftime("%Y-%m-%d %H:%M"), __version__),
            # the caveat opens the report: read with the numbers, and never left alone on a
            # last printed page
            h("<p class='note'>{}</p>", _t("caveat", lang))]
    body.append(blocks_html(decision_blocks(inputs, lang, target_share, target_month)))
    names = [r.summary.scenario for r in inputs.runs]
    summaries = []
    for r, name in zip(inputs.runs, names):
        title = scenario_title(name, lang)     # a teaching strategy by its title
        shown = title if title == name else f"{title} ({name})"
        if names.count(name) > 1:   # two runs of one scenario: tell them apart by folder
            title = shown = f"{shown} ({r.folder.name})"
        summaries.append((title, r.summary))
        if r.scenario is not None:
            body.append(h("<h2>{}: {}</h2>", _t("scenario", lang), shown))
            body.append(describe_scenario(r.scenario, r.summary, lang))
    if summaries:
        body.append(h("<h2>{}</h2>", _t("headline", lang)))
        body.append(_headline_table(summaries, lang))
    for d in inputs.decompositions:
        body.append(h("<h2>{}</h2>", _t("decompose", lang)))
        body.append(h("<p class='note'>{}</p>", _t("decompose_note", lang)))
        body.append(_lessons(decomposition_lessons(d.rows, lang)))
        body.append(_effects_table(d.rows, lang))
        body.append(_figures(d.figures, lang))
    for c in inputs.compares:
        body.append(h("<h2>{}</h2>", compare_heading(c, lang)))
        body.append(h("<p class='note'>{}</p>", _t("compare_note", lang)))
        names = list(dict.fromkeys(r.scenario for r in c.rows))
        body.append(_lessons(comparison_lessons(c.rows, names, lang)))
        body.append(_comparison_table(c.rows, lang))
        body.append(_figures(c.figures, lang))
    for r, (name, _) in zip(inputs.runs, summaries):
        body.append(blocks_html(run_blocks(r, name, lang)))
        if r.summary.supply is not None:   # supply.mode 'demand'
            body.append(h("<h2>{}: {}</h2>", _t("supply_title", lang), name))
            body.append(h("<p class='note'>{}</p>", _t("supply_note", lang)))
            body.append(_timeline_table(r.summary.supply, lang, _start(r)))
    for r, (name, _) in zip(inputs.runs, summaries):
        if r.figures:
            body.append(h("<h2>{}: {}</h2>{}", _t("figures", lang), name,
                          _figures(r.figures, lang)))
    return h('<!DOCTYPE html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title>'
             "<style>{}</style></head><body>\n{}\n</body></html>\n",
             "zh-CN" if lang == "zh" else "en", _t("title", lang), Markup(CSS),
             join(body, "\n"))


OPTIMIZE_TITLE = ("新型农村社区建设方案优化报告", "Village consolidation: package optimisation report")


def render_optimize_report(inputs, lang: str = "zh") -> str:
    """HTML text of the report of an optimisation folder
    (:func:`ruralsim.report.optimize_report.load_optimize_inputs`): page one for the decision,
    then the finalists, the trade-off figure and how the search was done."""
    from .optimize_report import optimize_blocks

    title = OPTIMIZE_TITLE[0 if lang == "zh" else 1]
    body = [h("<h1>{}</h1>", title),
            h("<p class='note'>{}: {} · ruralsim {}</p>", _t("generated", lang),
              _dt.datetime.now().strftime("%Y-%m-%d %H:%M"), __version__),
            h("<p class='note'>{}</p>", _t("caveat", lang)),
            blocks_html(optimize_blocks(inputs, lang))]
    return h('<!DOCTYPE html>\n<html lang="{}"><head><meta charset="utf-8"><title>{}</title>'
             "<style>{}</style></head><body>\n{}\n</body></html>\n",
             "zh-CN" if lang == "zh" else "en", title, Markup(CSS), join(body, "\n"))


def build_report(dirs: list[Path], lang: str = "zh", target_share: float | None = None,
                 target_month: int | None = None) -> str:
    """HTML text of the report for result folders of ``ruralsim run`` and ``ruralsim compare``;
    runs whose figures are in the other language get figures in ``lang`` drawn from their
    saved tables (:mod:`ruralsim.report.redraw`).

    Bad content of a folder raises :class:`~ruralsim.errors.UsageError`; figures that are not
    safe to inline are skipped with a warning.
    """
    from .redraw import plan_redraw, redraw

    inputs = load_report_inputs([Path(d) for d in dirs])
    redraw(plan_redraw(inputs, lang), inputs, lang)
    for w in inputs.warnings:
        warn_user(w)
    return render_report(inputs, lang, target_share, target_month)


# ---------------------------------------------------------------- PDF

class PdfError(RuralsimError):
    """Printing to PDF failed (Chromium missing, failing or hanging). Exit code 1."""


def require_chromium() -> str:
    """The Chromium to print with; :class:`~ruralsim.errors.UsageError` (exit 2) saying how
    to install it when there is none (checked before anything is written)."""
    from ..errors import UsageError

    exe = find_chromium()
    if exe is None:
        raise UsageError("--pdf needs Chromium (apt-get install chromium, or install Google "
                         "Chrome); nothing was written. Leave out --pdf for the HTML report / "
                         "--pdf 需要安装Chromium，未写出任何文件；不加 --pdf 可只生成HTML报告")
    return exe


def find_chromium() -> str | None:
    import shutil

    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def _kill_group(proc: subprocess.Popen) -> None:
    """End Chromium and every process it started (they share its new session)."""
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    proc.wait()


def print_pdf(html_path: Path, pdf_path: Path, timeout: float | None = None) -> None:
    """Print the report to PDF with headless Chromium (when installed).

    The PDF is printed to a temporary name beside ``pdf_path`` and renamed into place only
    when it is a PDF; any failure raises :class:`PdfError` and leaves ``pdf_path`` as it was.
    """
    timeout = PDF_TIMEOUT_S if timeout is None else timeout
    exe = find_chromium()
    if exe is None:
        raise PdfError("PDF output needs Chromium (apt-get install chromium); the HTML report "
                       "was written / 需要安装Chromium才能生成PDF，HTML报告已写出")
    pdf_path = Path(pdf_path)
    tmp = pdf_path.absolute().with_name(f".{pdf_path.name}.tmp-{os.getpid()}.pdf")
    try:
        with tempfile.TemporaryDirectory() as work:
            with open(Path(work) / "chromium.log", "w+b") as log:
                try:
                    proc = subprocess.Popen(
                        [exe, *CHROMIUM_FLAGS, f"--user-data-dir={work}/profile",
                         "--no-pdf-header-footer", f"--print-to-pdf={tmp}",
                         Path(html_path).resolve().as_uri()],
                        stdin=subprocess.DEVNULL, stdout=log, stderr=log,
                        start_new_session=True)
                except OSError as exc:
                    raise PdfError(f"cannot start Chromium {exe} ({exc.strerror}); the HTML "
                                   "report was written / 无法启动Chromium，HTML报告已写出") from None
                try:
                    code = proc.wait(timeout)
                except subprocess.TimeoutExpired:
                    raise PdfError(f"Chromium did not finish the PDF within {timeout:g} s and "
                                   "was stopped; the HTML report was written / Chromium超时，"
                                   "已终止，HTML报告已写出") from None
                finally:
                    _kill_group(proc)    # also on Ctrl-C; and helpers left behind
                log.seek(max(0, log.seek(0, os.SEEK_END) - 600))
                tail = log.read().decode("utf-8", "replace").strip()
            if code != 0:
                raise PdfError(f"Chromium failed (exit code {code}); the HTML report was "
                               f"written / Chromium出错，HTML报告已写出\n{tail}".rstrip())
            try:
                with open(tmp, "rb") as f:
                    ok = f.read(5) == b"%PDF-"
                    os.fsync(f.fileno())
            except OSError:
                ok = False
            if not ok:
                raise PdfError("Chromium wrote no PDF; the HTML report was written / "
                               "Chromium未生成PDF，HTML报告已写出")
            os.replace(tmp, pdf_path)
            fsync_path(pdf_path.parent)
    finally:
        try:
            os.unlink(tmp)
        except OSError:
            pass
