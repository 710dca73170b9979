"""The planner's report: one self-contained HTML file per run or comparison.

Everything is inline (figures as base64 PNG, styles in the page): the file opens offline
and can be mailed or printed. Chinese by default, English on request. Numbers come from
``summary.json`` / ``compare.csv`` of the result folders and are formatted once, by
:func:`ruralsim.report.labels.fmt_metric`.

Example:
    >>> import ruralsim, tempfile, pathlib
    >>> from ruralsim.outputs import write_run
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> write_run(ruralsim.simulate("scenarios/teaching.yaml", seed=1), d, figures=False)
    >>> "<html" in build_report([d], lang="en")
    True
"""
from __future__ import annotations

import base64
import datetime as _dt
import html
import json
import shutil
import subprocess
from pathlib import Path

import pandas as pd

from .. import __version__
from ..errors import UsageError
from .labels import METRICS, TEXT, fmt_metric, metric_label, t

CSS = """
body{font-family:"Noto Sans CJK SC","WenQuanYi Micro Hei","Microsoft YaHei","PingFang SC",
sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222;line-height:1.55}
h1{font-size:1.6em;border-bottom:3px solid #1f78b4;padding-bottom:.3em}
h2{font-size:1.25em;margin-top:1.8em;color:#1f4e79}
table{border-collapse:collapse;margin:.8em 0;font-size:.92em}
th,td{border:1px solid #bbb;padding:.35em .7em;text-align:right}
th:first-child,td:first-child{text-align:left}
th{background:#eef3f8}
figure{margin:1.2em 0;page-break-inside:avoid}
figure img{max-width:100%;border:1px solid #ddd}
figcaption{font-size:.9em;color:#555}
.note{font-size:.9em;color:#555;background:#f7f7f7;padding:.6em 1em;border-left:4px solid #ccc}
.pos{color:#1a7f37}.neg{color:#b42318}
@media print{body{margin:0;max-width:none}}
"""

def _t(key: str, lang: str) -> str:
    return t(f"report_{key}", lang)


def _img(path: Path) -> str:
    data = base64.b64encode(path.read_bytes()).decode("ascii")
    return f'<img alt="{html.escape(path.stem)}" src="data:image/png;base64,{data}">'


def _figures(folder: Path, lang: str) -> str:
    if not folder.is_dir():
        return ""
    order = [k.removeprefix("fig_") for k in TEXT if k.startswith("fig_")]
    pngs = sorted(folder.glob("*.png"), key=lambda p: (order.index(p.stem) if p.stem in order
                                                         else len(order), p.name))
    out = []
    for p in pngs:
        caption = t(f"fig_{p.stem}", lang) if f"fig_{p.stem}" in TEXT else p.stem
        out.append(f"<figure>{_img(p)}<figcaption>{html.escape(caption)}</figcaption></figure>")
    return "\n".join(out)


def describe_scenario(sc: dict, summary: dict, lang: str) -> str:
    """The scenario in plain words, from scenario.json."""
    vil = sc["villages"]
    comms = [c["name"] for c in sc["communities"]]
    n = sum(v["households"] for v in vil)
    run = sc["run"]
    instr = [i.get("label_zh") or i["name"] if lang == "zh" else i.get("label_en") or i["name"]
             for i in sc["policy"]["instruments"]]
    events = [e.get("label_zh") or e["name"] if lang == "zh" else e["name"]
              for e in sc["policy"]["events"]]
    st = sc["strategy"]
    w = st["withdrawal"]
    prio = ("、" if lang == "zh" else ", ").join(_type_label(sc, t, lang)
                                                for t in st["priority"]) or "—"
    if lang == "zh":
        parts = [f"{len(vil)}个村庄、{n:,}户，规划整合为{len(comms)}个新型社区（{'、'.join(comms)}）。",
                 f"模拟自{run['start_year']}年{run['start_month']}月起，共{run['horizon_months']}个月。",
                 f"政策包：{'；'.join(instr) if instr else '无'}。",
                 f"政策活动：{'；'.join(events) if events else '无'}。",
                 f"推进策略：{st.get('label_zh') or st['name']}；住房分配优先顺序：{prio}。",
                 (f"当村庄剩余户数低于{w['threshold_share']:.0%}时停止公共服务，服务每月衰减"
                  f"{w['decay_per_month']:.0%}。" if w["enabled"] else "不停止旧村公共服务。")]
    else:
        parts = [f"{len(vil)} villages with {n:,} households, to be consolidated into "
                 f"{len(comms)} new communities ({', '.join(comms)}).",
                 f"Simulated from {run['start_year']}-{run['start_month']:02d} for "
                 f"{run['horizon_months']} months.",
                 f"Package: {'; '.join(instr) if instr else 'none'}.",
                 f"Policy events: {'; '.join(events) if events else 'none'}.",
                 f"Strategy: {st['name']}; allocation priority: {prio}.",
                 (f"Services are withdrawn from a village once fewer than "
                  f"{w['threshold_share']:.0%} of its households remain, and decay by "
                  f"{w['decay_per_month']:.0%} a month." if w["enabled"]
                  else "Services of old villages are never withdrawn.")]
    meta = (f"seed {summary.get('seed')}, scenario hash {summary.get('scenario_hash')}, "
            f"ruralsim {summary.get('version')}")
    return "<p>" + "<br>".join(html.escape(p) for p in parts) + \
        f'</p><p class="note">{html.escape(meta)}</p>'


def _type_label(sc: dict, name: str, lang: str) -> str:
    t = sc["household_types"].get(name, {})
    return (t.get("label_zh") if lang == "zh" else t.get("label_en")) or name


def _headline_table(summaries: list[tuple[str, dict]], lang: str) -> str:
    head = "".join(f"<th>{html.escape(name)}</th>" for name, _ in summaries)
    rows = [f"<tr><th>{_t('metric', lang)}</th>{head}</tr>"]
    for key, *_ in METRICS:
        cells = "".join(f'<td data-key="{key}">{html.escape(fmt_metric(key, s.get(key)))}</td>'
                        for _, s in summaries)
        rows.append(f"<tr><td>{html.escape(metric_label(key, lang))}</td>{cells}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def _comparison_table(table: pd.DataFrame, lang: str) -> str:
    names = list(dict.fromkeys(table["scenario"]))
    head = "".join(f"<th>{html.escape(n)}</th>" for n in names)
    rows = [f"<tr><th>{_t('metric', lang)}</th>{head}</tr>"]
    for metric, g in table.groupby("metric", sort=False):
        cells = []
        for r in g.itertuples():
            if r.scenario == names[0]:
                cells.append(f"<td>{fmt_metric(metric, r.mean)}<br><small>[{r.p2_5:,.4g}, "
                             f"{r.p97_5:,.4g}]</small></td>")
            else:
                cls = "pos" if r.diff_vs_first > 0 else "neg" if r.diff_vs_first < 0 else ""
                cells.append(f'<td class="{cls}">{r.diff_vs_first:+,.4g}<br><small>'
                             f"[{r.diff_ci_low:+,.4g}, {r.diff_ci_high:+,.4g}]</small></td>")
        rows.append(f"<tr><td>{html.escape(metric_label(metric, lang))}</td>{''.join(cells)}</tr>")
    return "<table>" + "".join(rows) + "</table>"


def build_report(dirs: list[Path], lang: str = "zh") -> str:
    """HTML text of the report for result folders of ``ruralsim run`` and ``ruralsim compare``."""
    runs, compares = [], []
    for d in dirs:
        d = Path(d)
        if (d / "summary.json").is_file():
            runs.append(d)
        elif (d / "compare.csv").is_file():
            compares.append(d)
        else:
            raise UsageError(f"{d} is not a result folder of 'ruralsim run' or 'ruralsim compare' "
                             "(no summary.json or compare.csv) / 不是结果目录")
    body = [f"<h1>{_t('title', lang)}</h1>",
            f"<p class='note'>{_t('generated', lang)}: "
            f"{_dt.datetime.now().strftime('%Y-%m-%d %H:%M')} · ruralsim {__version__}</p>"]
    summaries = []
    loaded = [json.loads((d / "summary.json").read_text(encoding="utf-8")) for d in runs]
    names = [s.get("scenario", d.name) for d, s in zip(runs, loaded)]
    for d, summary, name in zip(runs, loaded, names):
        if names.count(name) > 1:   # two runs of one scenario: tell them apart by folder
            name = f"{name} ({d.name})"
        summaries.append((name, summary))
        sc_path = d / "scenario.json"
        if sc_path.is_file():
            sc = json.loads(sc_path.read_text(encoding="utf-8"))
            body.append(f"<h2>{_t('scenario', lang)}: {html.escape(name)}</h2>")
            body.append(describe_scenario(sc, summary, lang))
    if summaries:
        body.append(f"<h2>{_t('headline', lang)}</h2>")
        body.append(_headline_table(summaries, lang))
    for d in compares:
        body.append(f"<h2>{_t('compare', lang)}</h2>")
        body.append(f"<p class='note'>{_t('compare_note', lang)}</p>")
        body.append(_comparison_table(pd.read_csv(d / "compare.csv"), lang))
        body.append(_figures(d / "figures", lang))
    for d, (name, _) in zip(runs, summaries):
        figs = _figures(d / "figures", lang)
        if figs:
            body.append(f"<h2>{_t('figures', lang)}: {html.escape(name)}</h2>{figs}")
    body.append(f"<p class='note'>{_t('caveat', lang)}</p>")
    return (f"<!DOCTYPE html>\n<html lang=\"{'zh-CN' if lang == 'zh' else 'en'}\"><head>"
            f"<meta charset=\"utf-8\"><title>{_t('title', lang)}</title><style>{CSS}</style>"
            f"</head><body>\n" + "\n".join(body) + "\n</body></html>\n")


def find_chromium() -> str | None:
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


CHROMIUM_FLAGS = ("--headless", "--no-sandbox", "--disable-gpu", "--disable-quic",
                  "--no-first-run", "--disable-background-networking",
                  "--disable-component-update", "--disable-sync")


def print_pdf(html_path: Path, pdf_path: Path, timeout: float = 120) -> None:
    """Print the report to PDF with headless Chromium (when installed)."""
    exe = find_chromium()
    if exe is None:
        raise UsageError("PDF output needs Chromium (apt-get install chromium) / 需要安装Chromium")
    import tempfile

    with tempfile.TemporaryDirectory() as profile:
        subprocess.run([exe, *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                        "--no-pdf-header-footer", f"--print-to-pdf={pdf_path}",
                        html_path.resolve().as_uri()],
                       check=True, capture_output=True, timeout=timeout)
