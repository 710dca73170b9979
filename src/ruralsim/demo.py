"""The trainer's demo: what 抓两头、带中间 does, taken apart, on the teaching scenario.

One command writes, into one folder:

* one run each of 抓两头、带中间 (``teaching``), the middle first (``teaching_middle_first``)
  and the voluntary, untargeted strategy 自愿搬迁、不分先后 (``teaching_naive``: no targeting,
  no priority, services kept), and a side-by-side figure of who moves when;
* the strategy taken apart (:mod:`ruralsim.experiments.decompose`): every combination of
  targeting, allocation priority and service withdrawal, run with common random numbers, and
  the main effect of each with its interval: what targeting and priority buy, what withdrawal
  buys and what it costs in exposure and in households that move only because of it;
* the three strategies compared over replications, with bands;
* an animated GIF of villages emptying by household type while services decay, the three
  strategies side by side (1600 x 900, dated frames), and three 16:9 slides (``slides/``);
* the HTML report, whose lessons are written from these numbers (report/lessons.py),
  including where they disagree with the slogan.

Unless ``quiet``, one line per stage is printed (to stdout, also into a log or a pipe), with
the replications used and the time taken.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> run_demo(out, quiet=True, reps=2, animate=False, horizon=36)
    >>> (out / "report.html").exists(), (out / "decomposition" / "effects.csv").exists()
    (True, True)
"""
from __future__ import annotations

import sys
import time
from pathlib import Path

from .experiments import compare
from .experiments.decompose import decompose
from .outputs import (staged_dir, write_bytes_atomic, write_csv, write_marker, write_run,
                      write_text_atomic)
from .scenario.load import builtin_path, load_scenario
from .report.labels import scenario_title
from .simulate import simulate

STRATEGIES = (("zhua_liangtou", "teaching"), ("middle_first", "teaching_middle_first"),
              ("naive", "teaching_naive"))
SCENARIOS = dict(STRATEGIES)
FACTORS = ("targeting", "priority", "withdrawal")
#: Replications of the decomposition (per combination) and of the comparison (per strategy).
REPS = 10


def _title(key: str, lang: str, short: bool = False) -> str:
    return scenario_title(SCENARIOS[key], lang, short)


class _Stages:
    """One line per stage of the demo, on stdout (flushed: it shows in a log or a pipe too):
    what it does, then how long it took."""

    def __init__(self, total: int, quiet: bool):
        self.total, self.quiet, self.n = total, quiet, 0
        self.start = self.last = time.perf_counter()
        self.cpu0 = self.cpu = time.process_time()

    def __call__(self, zh: str, en: str) -> None:
        now, cpu = time.perf_counter(), time.process_time()
        if self.n and not self.quiet:
            print(f"      {now - self.last:.0f} s ({cpu - self.cpu:.0f} s CPU)", flush=True)
        self.n += 1
        self.last, self.cpu = now, cpu
        if self.quiet:
            return
        if self.n > self.total:
            print(f"演示完成 demo done: {now - self.start:.0f} s ({cpu - self.cpu0:.0f} s CPU)",
                  flush=True)
        else:
            print(f"[{self.n}/{self.total}] {zh} / {en} ...", flush=True)


def run_demo(out: Path, force: bool = False, lang: str | None = None, seed: int = 42,
             quiet: bool = False, reps: int = REPS, animate: bool = True,
             horizon: int | None = None, bars: bool | None = None) -> None:
    """Write the demo into ``out`` (``horizon`` shortens every run, for quick checks).

    ``quiet`` prints nothing; otherwise a line per stage, and (``bars``; by default when
    stderr is a terminal) a progress bar of the runs within a stage.

    The report is in ``lang`` (Chinese by default, whatever the fonts: HTML needs none);
    every figure is drawn once, in ``lang`` (English labels where no CJK font is installed);
    ``ruralsim report --lang`` in the other language draws the runs' figures again from
    their saved tables."""
    import matplotlib.pyplot as plt

    from .report.animation import animate_villages
    from .report.experiment_plots import plot_comparison, plot_decomposition
    from .report.html import build_report
    from .report.fonts import resolve_lang
    from .report.plots import plot_migration, record_language, save_figures, save_one
    from .report.slides import DPI, slide_compare, slide_effects, slide_who_moves

    if bars is None:
        bars = hasattr(sys.stderr, "isatty") and sys.stderr.isatty()
    bars = bars and not quiet
    stage = _Stages(6 if animate else 5, quiet)
    report_lang = lang or "zh"
    fig_lang = resolve_lang(lang)
    ov = [("run.horizon_months", horizon)] if horizon else []
    loaded = {key: load_scenario(builtin_path(s), ov) for key, s in STRATEGIES}
    keys = [key for key, _ in STRATEGIES]
    inputs = [f for sc in loaded.values() for f in sc.inputs]
    with staged_dir(Path(out), force, command="demo", inputs=inputs) as tmp:
        results = {}
        stage("三种策略各运行一次并作图", "one run of each of the three strategies, with figures")
        for key in keys:
            r = simulate(loaded[key], seed=seed)
            write_run(r, tmp / key)
            save_figures(r, tmp / key / "figures", lang=fig_lang)
            write_marker(tmp / key, "demo")
            results[key] = r
        cdir = tmp / "comparison"
        (cdir / "figures").mkdir(parents=True)
        write_marker(cdir, "demo")

        def side_by_side(x: str):
            fig, axes = plt.subplots(1, len(keys), figsize=(6.2 * len(keys), 4.6),
                                     layout="constrained", sharey=True)
            for ax, key in zip(axes, keys):
                plot_migration(results[key].timeseries, results[key].scenario, ax=ax, lang=x)
                ax.set_title(_title(key, x))
            return fig

        save_one(side_by_side, cdir / "figures", "migration_side_by_side", fig_lang, 100)
        # the strategy taken apart
        stage(f"拆分策略：{2 ** len(FACTORS)}种组合，每种重复{reps}次",
              f"the strategy taken apart: {2 ** len(FACTORS)} combinations, {reps} "
              "replications each")
        d = decompose(loaded["zhua_liangtou"], factors=FACTORS, reps=reps, seed=seed,
                      progress=bars)
        ddir = tmp / "decomposition"
        (ddir / "figures").mkdir(parents=True)
        write_marker(ddir, "demo")
        write_csv(d.effects, ddir / "effects.csv")
        write_csv(d.cells, ddir / "cells.csv")
        save_one(lambda x: plot_decomposition(d, lang=x), ddir / "figures", "decomposition",
                 fig_lang, 100)
        record_language(ddir / "figures", fig_lang)
        # the strategies compared: compare.csv keeps the scenarios' identifiers (a table is
        # data); the report and the figures name them by their titles when they show them
        stage(f"比较三种策略：每种重复{reps}次", f"the three strategies compared: {reps} "
              "replications each")
        cmp = compare([loaded[k] for k in keys], reps=reps, seed=seed, progress=bars)
        write_csv(cmp.table, cdir / "compare.csv")

        save_one(lambda x: plot_comparison(cmp, lang=x), cdir / "figures", "compare", fig_lang,
                 100)
        record_language(cdir / "figures", fig_lang)
        # slides for a projector (16:9), in the figures' language
        stage("投影用幻灯片(16:9)", "slides for a projector (16:9)")
        sdir = tmp / "slides"
        sdir.mkdir()
        save_one(lambda x: slide_who_moves([(_title(k, x, True), results[k]) for k in keys], x),
                 sdir, "1_who_moves_when", fig_lang, DPI)
        save_one(lambda x: slide_effects(d, x), sdir, "2_taken_apart", fig_lang, DPI)
        save_one(lambda x: slide_compare(cmp, x), sdir, "3_compared", fig_lang, DPI)
        plt.close("all")
        if animate:
            stage("村庄动画(三种策略并排)", "the villages animated, three strategies side by side")
            gif = animate_villages([(_title(k, fig_lang, True), results[k]) for k in keys],
                                   cdir / "figures" / "villages.gif", lang=fig_lang)
            write_bytes_atomic(tmp / "villages.gif", gif.read_bytes())
        stage("HTML报告", "the HTML report")
        text = build_report([ddir, cdir] + [tmp / k for k in keys], lang=report_lang)
        write_text_atomic(tmp / "report.html", text)
        stage("", "")
