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
from .outputs import save_figure, staged_dir, write_csv, write_marker, write_run, \
    write_text_atomic
from .scenario.load import builtin_path, load_scenario
from .simulate import simulate

STRATEGIES = (("zhua_liangtou", "teaching"), ("middle_first", "teaching_middle_first"),
              ("naive", "teaching_naive"))
TITLES = {"zhua_liangtou": ("抓两头、带中间", "Both ends first"),
          "middle_first": ("先动员中间户", "Middle first"),
          "naive": ("一刀切(不针对、不优先、不停止服务)", "Naive (no targeting, no priority, services kept)")}
FACTORS = ("targeting", "priority", "withdrawal")


def run_demo(out: Path, force: bool = False, lang: str | None = None, seed: int = 42,
             quiet: bool = False, reps: int = 10, animate: bool = True,
             horizon: int | None = None) -> None:
    """Write the demo into ``out`` (``horizon`` shortens every run, for quick checks)."""
    import matplotlib.pyplot as plt

    from .report.animation import animate_villages
    from .report.experiment_plots import plot_comparison, plot_decomposition
    from .report.fonts import apply_fonts, resolve_lang
    from .report.html import build_report
    from .report.plots import plot_migration

    lang = resolve_lang(lang)
    ov = [("run.horizon_months", horizon)] if horizon else []
    loaded = {key: load_scenario(builtin_path(s), ov) for key, s in STRATEGIES}
    inputs = [f for sc in loaded.values() for f in sc.inputs]
    with staged_dir(Path(out), force, command="demo", inputs=inputs) as tmp:
        results = []
        for key, _ in STRATEGIES:
            r = simulate(loaded[key], seed=seed)
            write_run(r, tmp / key, lang=lang)
            write_marker(tmp / key, "demo")
            results.append((TITLES[key][0 if lang == "zh" else 1], r))
        cdir = tmp / "comparison"
        (cdir / "figures").mkdir(parents=True)
        write_marker(cdir, "demo")
        with plt.rc_context(apply_fonts(lang)):
            fig, axes = plt.subplots(1, len(results), figsize=(6.2 * len(results), 4.6),
                                     layout="constrained", sharey=True)
            for ax, (title, r) in zip(axes, results):
                plot_migration(r.timeseries, r.scenario, ax=ax, lang=lang)
                ax.set_title(title)
            save_figure(fig, cdir / "figures" / "migration_side_by_side.png", dpi=100)
        plt.close(fig)
        # the strategy taken apart
        d = decompose(loaded["zhua_liangtou"], factors=FACTORS, reps=reps, seed=seed,
                      progress=not quiet)
        ddir = tmp / "decomposition"
        (ddir / "figures").mkdir(parents=True)
        write_marker(ddir, "demo")
        write_csv(d.effects, ddir / "effects.csv")
        write_csv(d.cells, ddir / "cells.csv")
        fig = plot_decomposition(d, lang=lang)
        save_figure(fig, ddir / "figures" / "decomposition.png", dpi=100)
        plt.close(fig)
        # the strategies compared
        cmp = compare([loaded[k] for k, _ in STRATEGIES], reps=reps, seed=seed,
                      progress=not quiet)
        cmp.names = [TITLES[k][0 if lang == "zh" else 1] for k, _ in STRATEGIES]
        for reps_, name in zip(cmp.replications, cmp.names):
            reps_.name = name
        write_csv(cmp.table.assign(scenario=cmp.table["scenario"].map(
            dict(zip([sc.name for sc in loaded.values()], cmp.names)))), cdir / "compare.csv")
        fig = plot_comparison(cmp, lang=lang)
        save_figure(fig, cdir / "figures" / "compare.png", dpi=100)
        plt.close(fig)
        if animate:
            animate_villages(results[::2], cdir / "figures" / "villages.gif", lang=lang)
            (tmp / "villages.gif").write_bytes((cdir / "figures" / "villages.gif").read_bytes())
        text = build_report([ddir, cdir] + [tmp / k for k, _ in STRATEGIES], lang=lang)
        write_text_atomic(tmp / "report.html", text)
