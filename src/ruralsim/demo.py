"""The trainer's demo: what 抓两头、带中间 does, taken apart, on the teaching scenario.

One command writes, into one folder:

* one run each of 抓两头、带中间 (``teaching``), the middle first (``teaching_middle_first``)
  and a naive strategy (``teaching_naive``: no targeting, no priority, services kept), and a
  side-by-side figure of who moves when;
* the strategy taken apart (:mod:`ruralsim.experiments.decompose`): every combination of
  targeting, allocation priority and service withdrawal, run with common random numbers, and
  the main effect of each with its interval: what targeting and priority buy, what withdrawal
  buys and what it costs in exposure and in households that move only because of it;
* the three strategies compared over replications, with bands;
* an animated GIF of villages emptying by household type while services decay;
* the HTML report, whose lessons are written from these numbers (report/lessons.py),
  including where they disagree with the slogan.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> run_demo(out, quiet=True, reps=2, animate=False, horizon=36)
    >>> (out / "report.html").exists(), (out / "decomposition" / "effects.csv").exists()
    (True, True)
"""
from __future__ import annotations

from pathlib import Path

from .experiments import compare
from .experiments.decompose import decompose
from .outputs import (staged_dir, write_bytes_atomic, write_csv, write_marker, write_run,
                      write_text_atomic)
from .scenario.load import builtin_path, load_scenario
from .simulate import simulate

STRATEGIES = (("zhua_liangtou", "teaching"), ("middle_first", "teaching_middle_first"),
              ("naive", "teaching_naive"))
TITLES = {"zhua_liangtou": ("抓两头、带中间", "Both ends first"),
          "middle_first": ("先动员中间户", "Middle first"),
          "naive": ("一刀切(不针对、不优先、不停止服务)", "Naive (no targeting, no priority, services kept)")}
FACTORS = ("targeting", "priority", "withdrawal")


def _title(key: str, lang: str) -> str:
    return TITLES[key][0 if lang == "zh" else 1]


def run_demo(out: Path, force: bool = False, lang: str | None = None, seed: int = 42,
             quiet: bool = False, reps: int = 10, animate: bool = True,
             horizon: int | None = None) -> None:
    """Write the demo into ``out`` (``horizon`` shortens every run, for quick checks).

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

    report_lang = lang or "zh"
    fig_lang = resolve_lang(lang)
    ov = [("run.horizon_months", horizon)] if horizon else []
    loaded = {key: load_scenario(builtin_path(s), ov) for key, s in STRATEGIES}
    keys = [key for key, _ in STRATEGIES]
    inputs = [f for sc in loaded.values() for f in sc.inputs]
    with staged_dir(Path(out), force, command="demo", inputs=inputs) as tmp:
        results = {}
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
        d = decompose(loaded["zhua_liangtou"], factors=FACTORS, reps=reps, seed=seed,
                      progress=not quiet)
        ddir = tmp / "decomposition"
        (ddir / "figures").mkdir(parents=True)
        write_marker(ddir, "demo")
        write_csv(d.effects, ddir / "effects.csv")
        write_csv(d.cells, ddir / "cells.csv")
        save_one(lambda x: plot_decomposition(d, lang=x), ddir / "figures", "decomposition",
                 fig_lang, 100)
        record_language(ddir / "figures", fig_lang)
        # the strategies compared: named in the report's language in compare.csv, and in
        # each figure's language in its legend
        cmp = compare([loaded[k] for k in keys], reps=reps, seed=seed, progress=not quiet)
        names = dict(zip([loaded[k].name for k in keys], [_title(k, report_lang) for k in keys]))
        write_csv(cmp.table.assign(scenario=cmp.table["scenario"].map(names)),
                  cdir / "compare.csv")

        def compared(x: str):
            cmp.names = [_title(k, x) for k in keys]
            for reps_, name in zip(cmp.replications, cmp.names):
                reps_.name = name
            return plot_comparison(cmp, lang=x)

        save_one(compared, cdir / "figures", "compare", fig_lang, 100)
        record_language(cdir / "figures", fig_lang)
        plt.close("all")
        if animate:
            pair = [keys[0], keys[-1]]           # both ends first vs naive
            gif = animate_villages([(_title(k, fig_lang), results[k]) for k in pair],
                                   cdir / "figures" / "villages.gif", lang=fig_lang)
            write_bytes_atomic(tmp / "villages.gif", gif.read_bytes())
        text = build_report([ddir, cdir] + [tmp / k for k in keys], lang=report_lang)
        write_text_atomic(tmp / "report.html", text)
