"""Figures for a projector: 16:9, 1920 x 1080 pixels, no text smaller than 14 pt.

The demo writes three slides (``slides/``), each one message:

1. who moves when under each strategy (households moved by type, one panel per strategy);
2. the strategy taken apart: what targeting, priority and withdrawal each do to the time to
   50% moved, to the households who move only because services are withdrawn and to the
   household-months lived with degraded services (main effects with 95% intervals);
3. the strategies compared over replications: households moved, households living with
   degraded services and the financing gap (median and 5-95% band).

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1, overrides=["run.horizon_months=24"])
    >>> fig = slide_who_moves([("A", r), ("B", r)], "en")
    >>> [int(x) for x in fig.get_size_inches() * fig.dpi], min_font_pt(fig) >= MIN_PT
    ([1920, 1080], True)
"""
from __future__ import annotations

from .fonts import apply_fonts, choose_backend, resolve_lang

choose_backend()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.text import Text  # noqa: E402

from .experiment_plots import COLORS, DECOMP_METRICS, plot_bands  # noqa: E402
from .plots import plot_migration  # noqa: E402

#: Slide size in inches at :data:`DPI` (16:9, 1920 x 1080 pixels) and the smallest font.
SIZE, DPI, MIN_PT = (16.0, 9.0), 120, 14
#: The decomposition's metrics on the slide (the rest are in the report).
SLIDE_EFFECTS = ("months_to_50pct_moved", "households_moved_because_of_withdrawal",
                 "exposure_household_months")
SLIDE_BANDS = (("n_ever_moved", "households", 1.0), ("exposed_households", "households", 1.0),
               ("financing_gap_cny", "million_cny", 1e-6))


def _texts(fig) -> list[Text]:
    return [x for x in fig.findobj(Text) if x.get_text().strip() and x.get_visible()]


def min_font_pt(fig) -> float:
    """The smallest font size, in points, of any visible text of ``fig``."""
    return min(x.get_fontsize() for x in _texts(fig))


#: Characters a line may not start with (closing brackets and punctuation stay on the line
#: before, as Chinese typesetting does).
NO_LINE_START = ")）]】》，。、：；！？,.:;!?"


def _wrap(text: str, width: int) -> str:
    r"""``text`` in lines of at most ``width`` characters (a CJK character counts two; a
    closing bracket or punctuation mark never starts a line).

    >>> _wrap("已搬入新社区户数(累计)", 20)
    '已搬入新社区户数(累\n计)'
    """
    lines, line, n = [], "", 0
    for word in (text.split(" ") if text.isascii() else list(text)):
        w = len(word) if word.isascii() else 2 * len(word)
        sep = " " if text.isascii() and line else ""
        if line and n + len(sep) + w > width and word[0] not in NO_LINE_START:
            lines.append(line)
            line, n, sep = "", 0, ""
        line += sep + word
        n += len(sep) + w
    return "\n".join(lines + [line])


def for_projector(fig, title: str | None = None):
    """``fig`` at slide size with every text at least :data:`MIN_PT` (titles larger, panel
    titles wrapped to their panel's width)."""
    fig.set_size_inches(*SIZE)
    fig.set_dpi(DPI)
    if title:
        fig.suptitle(title, fontsize=MIN_PT + 8)
    for x in _texts(fig):
        x.set_fontsize(max(x.get_fontsize() * 1.5, MIN_PT))
    panels = max(1, sum(1 for ax in fig.axes if ax.get_label() != "<colorbar>"))
    for ax in fig.axes:
        if ax.get_title():
            ax.title.set_text(_wrap(ax.get_title(), int(64 / panels)))
    return fig


def _years(ax, ts, lang: str, every: int = 4) -> None:
    """Calendar years on the x axis (every ``every`` years): fewer, larger labels than the
    report's month-and-date ticks."""
    dates = ts["date"].astype(str)
    first = int(dates.iloc[0][:4])
    ticks = [i for i, d in enumerate(dates) if d.endswith("-01") and (int(d[:4]) - first) %
             every == 0]
    ax.set_xticks(ticks, [dates.iloc[i][:4] for i in ticks])
    ax.set_xlabel("年份" if lang == "zh" else "Year")


def slide_who_moves(results, lang: str | None = None):
    """One panel per (title, result): households moved, stacked by type."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang) | {"font.size": MIN_PT}):
        fig, axes = plt.subplots(1, len(results), figsize=SIZE, dpi=DPI, sharey=True,
                                 layout="constrained", squeeze=False)
        for i, (ax, (title, r)) in enumerate(zip(axes[0], results)):
            plot_migration(r.timeseries, r.scenario, ax=ax, lang=lang)
            _years(ax, r.timeseries, lang)
            ax.set_title(title)
            if i:                              # one legend is enough
                ax.get_legend().remove()
                ax.set_ylabel("")
        return for_projector(fig, "谁先搬？各类农户累计入住新社区" if lang == "zh" else
                             "Who moves when? Households moved, by type")


def slide_effects(decomposition, lang: str | None = None, metrics=SLIDE_EFFECTS):
    """Main effects of the strategy's components on ``metrics``, with 95% intervals."""
    from ..experiments.decompose import COMPONENTS

    lang = resolve_lang(lang)
    eff = decomposition.effects
    main = eff[eff["order"] == 1]
    metrics = [m for m in metrics if m in set(main["metric"])]
    with plt.rc_context(apply_fonts(lang) | {"font.size": MIN_PT}):
        fig, axes = plt.subplots(1, len(metrics), figsize=SIZE, dpi=DPI, layout="constrained",
                                 squeeze=False, sharey=True)
        for ax, metric in zip(axes[0], metrics):
            zh, en, scale, uzh, uen = DECOMP_METRICS[metric]
            d = main[main["metric"] == metric]
            y = np.arange(len(d))[::-1]
            mean, lo, hi = (d[k].to_numpy() * scale for k in ("mean", "ci_low", "ci_high"))
            colors = [COLORS[list(COMPONENTS).index(f) % len(COLORS)] for f in d["effect"]]
            ax.barh(y, mean, color=colors, alpha=0.8)
            ax.errorbar(mean, y, xerr=[mean - lo, hi - mean], fmt="none", ecolor="k",
                        capsize=5, lw=1.5)
            ax.axvline(0, color="k", lw=1)
            ax.set_yticks(y, [COMPONENTS[f][1] if lang == "zh" else COMPONENTS[f][2]
                              for f in d["effect"]])
            ax.set_title(zh if lang == "zh" else en)
            ax.set_xlabel(uzh if lang == "zh" else uen)
        return for_projector(fig, "拆开来看：每个组成部分的作用(打开减去关闭，95%置信区间)"
                             if lang == "zh" else "Taken apart: each component, on minus off "
                             "(95% interval)")


def slide_compare(comparison, lang: str | None = None, metrics=SLIDE_BANDS):
    """The strategies over replications: median and 5-95% band of ``metrics``; each named by
    its short title (:func:`~ruralsim.report.labels.scenario_title`)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang) | {"font.size": MIN_PT}):
        fig, axes = plt.subplots(1, len(metrics), figsize=SIZE, dpi=DPI, layout="constrained",
                                 squeeze=False)
        for ax, (metric, unit, scale) in zip(axes[0], metrics):
            plot_bands(comparison, metric, ax=ax, lang=lang, scale=scale, unit_key=unit,
                       legend=False, short=True)
        handles, labels = axes[0][0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=len(labels),
                   frameon=False)
        return for_projector(fig, "三种策略比较(中位数与5-95%范围)" if lang == "zh" else
                             "The three strategies compared (median, 5-95% band)")
