"""The trainer's demo: 抓两头、带中间 against a naive strategy on the teaching scenario.

Writes, into one folder: each strategy's run outputs, a comparison over replications with
bands, side-by-side figures of who moves when, an animated GIF of villages emptying by
household type with services decaying, and the HTML report.

Example:
    >>> import tempfile, pathlib
    >>> out = pathlib.Path(tempfile.mkdtemp()) / "demo"
    >>> run_demo(out, quiet=True, reps=4, animate=False)
    >>> (out / "report.html").exists()
    True
"""
from __future__ import annotations

from pathlib import Path

from .experiments import compare
from .outputs import save_figure, staged_dir, write_csv, write_marker, write_run, \
    write_text_atomic
from .scenario.load import builtin_path, load_scenario
from .simulate import simulate

STRATEGIES = (("zhua_liangtou", "teaching"), ("naive", "teaching_naive"))
TITLES = {"zhua_liangtou": ("抓两头、带中间", "Both ends first"),
          "naive": ("一刀切", "Naive, all at once")}


def run_demo(out: Path, force: bool = False, lang: str | None = None, seed: int = 42,
             quiet: bool = False, reps: int = 20, animate: bool = True) -> None:
    import matplotlib.pyplot as plt

    from .report.animation import animate_villages
    from .report.experiment_plots import plot_comparison
    from .report.fonts import apply_fonts, resolve_lang
    from .report.html import build_report
    from .report.plots import plot_migration

    lang = resolve_lang(lang)
    inputs = [f for _, s in STRATEGIES for f in load_scenario(builtin_path(s)).inputs]
    with staged_dir(Path(out), force, command="demo", inputs=inputs) as tmp:
        results = []
        for key, scen in STRATEGIES:
            r = simulate(builtin_path(scen), seed=seed)
            write_run(r, tmp / key, lang=lang)
            write_marker(tmp / key, "demo")
            results.append((TITLES[key][0 if lang == "zh" else 1], r))
        figs = tmp / "figures"
        figs.mkdir()
        with plt.rc_context(apply_fonts(lang)):
            fig, axes = plt.subplots(1, 2, figsize=(14, 4.6), layout="constrained", sharey=True)
            for ax, (title, r) in zip(axes, results):
                plot_migration(r.timeseries, r.scenario, ax=ax, lang=lang)
                ax.set_title(title)
            save_figure(fig, figs / "migration_side_by_side.png", dpi=110)
        plt.close(fig)
        cmp = compare([builtin_path(s) for _, s in STRATEGIES], reps=reps, seed=seed,
                      progress=not quiet)
        cdir = tmp / "comparison"
        (cdir / "figures").mkdir(parents=True)
        write_marker(cdir, "demo")
        write_csv(cmp.table, cdir / "compare.csv")
        fig = plot_comparison(cmp, lang=lang)
        save_figure(fig, cdir / "figures" / "compare.png", dpi=110)
        plt.close(fig)
        if animate:
            animate_villages(results, tmp / "villages.gif", lang=lang)
        text = build_report([tmp / k for k, _ in STRATEGIES] + [cdir], lang=lang)
        write_text_atomic(tmp / "report.html", text)
