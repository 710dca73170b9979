"""Plots of experiments: bands across replications, sweep responses, sensitivity indices.

Each takes ``ax=None`` where it draws one panel, returns the figure and never shows it.
"""
from __future__ import annotations

from .fonts import adopt_fonts, apply_fonts, choose_backend, displayable, resolve_lang

choose_backend()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from .labels import scenario_title, t  # noqa: E402

COLORS = ("#1f78b4", "#e31a1c", "#33a02c", "#ff7f00", "#6a3d9a", "#b15928")
BAND_METRICS = (("n_ever_moved", "households", 1.0), ("n_waiting", "households", 1.0),
                ("exposed_households", "households", 1.0), ("cash_cny", "million_cny", 1e-6),
                ("financing_gap_cny", "million_cny", 1e-6), ("land_freed_mu", "mu", 1.0))
TITLES = {"n_ever_moved": ("已搬入新社区户数(累计)", "Households moved (cumulative)"),
          "n_waiting": ("排队等待分配户数", "Waiting list"),
          "n_stranded": ("滞留户数", "Households stranded"),
          "exposed_households": ("生活在服务恶化村庄的户数", "Households living with degraded services"),
          "cash_cny": ("政府资金余额", "Government cash"),
          "financing_gap_cny": ("资金缺口(负债+欠款)", "Financing gap (debt + arrears)"),
          "land_freed_mu": ("腾退宅基地", "Homestead land freed")}


#: one look per scenario: colour, line style, width and marker all differ, so that lines
#: lying on top of each other stay visible (a thick solid line shows around a thinner
#: dashed one; markers are staggered so they never coincide)
LINESTYLES = ("-", "--", ":", "-.", (0, (5, 1, 1, 1)), (0, (1, 1)))
MARKERS = ("o", "s", "^", "D", "v", "P")
WIDTHS = (3.2, 2.2, 1.6, 1.4, 1.2, 1.0)


def line_style(i: int, n_points: int, n_lines: int) -> dict:
    """Keyword arguments of ``ax.plot`` for line ``i`` of ``n_lines`` (of ``n_points``)."""
    every = max(1, n_points // 8)
    return {"color": COLORS[i % len(COLORS)], "ls": LINESTYLES[i % len(LINESTYLES)],
            "lw": WIDTHS[min(i, len(WIDTHS) - 1)], "marker": MARKERS[i % len(MARKERS)],
            "ms": 5, "markevery": ((i * every) // max(1, n_lines), every), "zorder": 3 + i}


#: Band metrics drawn below the zero line (amounts owed), as in the run's charts.
OWED = ("financing_gap_cny", "arrears_cny", "debt_cny")


def band_is_empty(comparison, metric: str) -> bool:
    """True when ``metric`` is zero in every month of every replication (nothing to draw)."""
    for reps in comparison.replications:
        ts = reps.timeseries
        if not ts.empty and (ts.loc[ts["metric"] == metric, "value"].abs() > 0).any():
            return False
    return True


def _date_ticks(ax, start: tuple[int, int] | None, months: int) -> None:
    """Month numbers with their calendar dates under them (``start``: year, month)."""
    if start is None:
        return
    ax.set_xlim(0, max(1, months - 1))
    y0, m0 = start
    ticks = [int(x) for x in ax.get_xticks() if 0 <= x < months]
    ax.set_xticks(ticks, [f"{x}\n{y0 + (m0 - 1 + x) // 12}-{(m0 - 1 + x) % 12 + 1:02d}"
                          for x in ticks])


def plot_bands(comparison, metric: str, ax=None, lang: str | None = None, scale: float = 1.0,
               unit_key: str = "households", legend: bool = True,
               start: tuple[int, int] | None = None, short: bool = False):
    """Median and 5-95% band of ``metric`` per month; each scenario in its own colour, line
    style and marker (see :func:`line_style`), named in the legend by its title in ``lang``
    (:func:`~ruralsim.report.labels.scenario_title`, ``short`` for the short form; any other
    name as it is).  Amounts owed (:data:`OWED`) are drawn below
    zero and cash is cash in hand (never below zero), as in a run's charts; ``start`` (year,
    month) puts calendar dates under the months.  A metric that is zero throughout gets a
    note in the panel instead of empty axes."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 4), layout="constrained")
        adopt_fonts(ax, lang)
        fig = ax.figure
        n = len(comparison.names)
        sign = -1.0 if metric in OWED else 1.0
        months = 0
        for i, (name, reps) in enumerate(zip(comparison.names, comparison.replications)):
            if reps.timeseries.empty:
                continue
            b = reps.bands(metric)
            if metric == "cash_cny":
                b[["q05", "q50", "q95"]] = b[["q05", "q50", "q95"]].clip(lower=0)
            months = max(months, len(b))
            st = line_style(i, len(b), n)
            ax.fill_between(b["month"], sign * b["q05"] * scale, sign * b["q95"] * scale,
                            color=st["color"], alpha=0.15, lw=0)
            ax.plot(b["month"], sign * b["q50"] * scale,
                    label=displayable(scenario_title(str(name), lang, short),
                                      f"scenario {i + 1}"), **st)
        zh, en = TITLES.get(metric, (metric, metric))
        if sign < 0:
            zh, en = zh + "，画在零线以下", en + ", drawn below zero"
            ax.axhline(0, color="k", lw=0.8)
        ax.set_title(zh if lang == "zh" else en)
        if band_is_empty(comparison, metric):
            ax.text(0.5, 0.5, "期内始终为零" if lang == "zh" else "zero throughout",
                    transform=ax.transAxes, ha="center", va="center", color="#666")
        ax.set_xlabel(t("month", lang))
        _date_ticks(ax, start, months)
        ax.set_ylabel(t(unit_key, lang))
        if legend:
            ax.legend(fontsize=8, frameon=False)
    return fig


def plot_comparison(comparison, lang: str | None = None, start: tuple[int, int] | None = None):
    """Side-by-side panels with bands: households moved, waiting, stranded; cash, financing
    gap; land freed; one legend for all, below the panels (scenarios named as in
    :func:`plot_bands`)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, axes = plt.subplots(2, 3, figsize=(15, 8.4), layout="constrained")
        for ax, (metric, unit, scale) in zip(axes.ravel(), BAND_METRICS):
            plot_bands(comparison, metric, ax=ax, lang=lang, scale=scale, unit_key=unit,
                       legend=False, start=start)
        handles, labels = axes.ravel()[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncol=min(len(labels), 3),
                   fontsize=10, frameon=False)
    return fig


def plot_response(table: pd.DataFrame, params: list[str], metric: str, lang: str | None = None):
    """``metric`` against each parameter (scatter with point means); a heat map for two."""
    lang = resolve_lang(lang)
    ok = table[table["status"] == "ok"]
    y = pd.to_numeric(ok[metric], errors="coerce")
    with plt.rc_context(apply_fonts(lang)):
        if len(params) == 2 and ok[params[0]].nunique() * ok[params[1]].nunique() <= 400:
            fig, ax = plt.subplots(figsize=(6, 4.8), layout="constrained")
            piv = ok.assign(y=y).pivot_table(index=params[1], columns=params[0], values="y")
            im = ax.imshow(piv.to_numpy(dtype=float), origin="lower", aspect="auto", cmap="viridis")
            ax.set_xticks(range(piv.shape[1]), [f"{v:.3g}" for v in piv.columns], rotation=45)
            ax.set_yticks(range(piv.shape[0]), [f"{v:.3g}" for v in piv.index])
            ax.set_xlabel(params[0])
            ax.set_ylabel(params[1])
            fig.colorbar(im, ax=ax, label=metric)
            ax.set_title(metric)
            return fig
        n = max(1, len(params))
        fig, axes = plt.subplots(1, n, figsize=(4.2 * n, 3.8), layout="constrained", squeeze=False)
        for ax, p in zip(axes[0], params):
            x = pd.to_numeric(ok[p], errors="coerce")
            ax.scatter(x, y, s=10, alpha=0.5, color=COLORS[0])
            means = pd.DataFrame({"x": x, "y": y}).groupby("x")["y"].mean()
            if len(means) <= 50:
                ax.plot(means.index, means.to_numpy(), color=COLORS[1], lw=1.5)
            ax.set_xlabel(p)
            ax.set_ylabel(metric)
        return fig


def plot_sensitivity(result: pd.DataFrame, metric: str, ax=None, lang: str | None = None):
    """Bar plot of Sobol S1/ST (with confidence intervals) or Morris mu* for one metric."""
    lang = resolve_lang(lang)
    r = result[result["metric"] == metric]
    with plt.rc_context(apply_fonts(lang)):
        if ax is None:
            fig, ax = plt.subplots(figsize=(7, 0.5 * len(r) + 1.8), layout="constrained")
        adopt_fonts(ax, lang)
        fig = ax.figure
        ypos = np.arange(len(r))
        if "ST" in r.columns:
            ax.barh(ypos + 0.2, r["ST"], 0.4, xerr=r["ST_conf"], color=COLORS[0],
                    label="ST 总效应" if lang == "zh" else "ST (total)")
            ax.barh(ypos - 0.2, r["S1"], 0.4, xerr=r["S1_conf"], color=COLORS[2],
                    label="S1 一阶" if lang == "zh" else "S1 (first order)")
        else:
            ax.barh(ypos, r["mu_star"], 0.6, xerr=r["mu_star_conf"], color=COLORS[0],
                    label="Morris μ*")
        ax.set_yticks(ypos, r["parameter"])
        ax.set_title(("敏感性: " if lang == "zh" else "Sensitivity: ") + metric)
        ax.legend(fontsize=8, frameon=False)
    return fig


#: Labels of the decomposition's metrics and components: (zh, en, scale, unit zh, unit en).
DECOMP_METRICS = {
    "months_to_50pct_moved": ("50%入住所需月数", "Months to 50% moved", 1.0, "月", "months"),
    "months_to_90pct_moved": ("90%入住所需月数", "Months to 90% moved", 1.0, "月", "months"),
    "total_public_cost_cny": ("政府公共支出", "Public cost", 1e-6, "百万元", "million CNY"),
    "peak_financing_gap_cny": ("资金缺口峰值", "Peak financing gap", 1e-6, "百万元", "million CNY"),
    "households_moved_because_of_withdrawal": ("因停止服务才搬迁的户数",
                                               "Households moved because of withdrawal", 1.0,
                                               "户", "households"),
    "exposure_household_months": ("生活在服务恶化村庄的户·月",
                                  "Household-months with degraded services", 1e-3,
                                  "千户·月", "thousand household-months"),
    "share_movers_worse_off": ("入住后收入下降的比例", "Share of movers worse off", 100.0,
                               "百分点", "percentage points"),
}


def _panel_grid(n: int, panel_w: float, base_h: float, row_h: float, ncol: int = 3):
    """A figure with ``n`` panels in rows of ``ncol``; returns it and the ``n`` axes in use
    (the unused cells of the last row are hidden)."""
    nrow = -(-n // ncol)
    fig, axes = plt.subplots(nrow, ncol, figsize=(panel_w * ncol, base_h + row_h * nrow),
                             layout="constrained", squeeze=False)
    for ax in axes.ravel()[n:]:
        ax.axis("off")
    return fig, axes.ravel()[:n]


def plot_decomposition(decomposition, lang: str | None = None):
    """One panel per metric: the main effect of each strategy component (switching it on),
    with its 95% interval over replications."""
    from ..experiments.decompose import COMPONENTS

    lang = resolve_lang(lang)
    eff = decomposition.effects
    main = eff[eff["order"] == 1]
    metrics = [m for m in DECOMP_METRICS if m in set(main["metric"])]
    with plt.rc_context(apply_fonts(lang)):
        fig, axes = _panel_grid(len(metrics), panel_w=4.6, base_h=2.4, row_h=1.9)
        for ax, metric in zip(axes, metrics):
            zh, en, scale, uzh, uen = DECOMP_METRICS[metric]
            d = main[main["metric"] == metric]
            y = np.arange(len(d))[::-1]
            mean = d["mean"].to_numpy() * scale
            lo = d["ci_low"].to_numpy() * scale
            hi = d["ci_high"].to_numpy() * scale
            colors = [COLORS[list(COMPONENTS).index(f) % len(COLORS)] for f in d["effect"]]
            ax.barh(y, mean, color=colors, alpha=0.8)
            ax.errorbar(mean, y, xerr=[mean - lo, hi - mean], fmt="none", ecolor="k",
                        capsize=3, lw=1)
            ax.axvline(0, color="k", lw=0.8)
            names = [COMPONENTS[f][1] if lang == "zh" else COMPONENTS[f][2] for f in d["effect"]]
            ax.set_yticks(y, names, fontsize=8)
            title = zh if lang == "zh" else en
            if d["censored"].any():
                title += " *"
            ax.set_title(title, fontsize=10)
            ax.set_xlabel(uzh if lang == "zh" else uen, fontsize=8)
        note = ("各策略组成部分的主效应(打开减去关闭)及95%置信区间；*：部分情形在期末前未达到该比例"
                if lang == "zh" else "Main effect of each strategy component (on minus off) "
                "with its 95% interval; *: some cells never reached the share within the horizon")
        fig.suptitle(note, fontsize=9)
    return fig


#: Short labels of the sensitivity outputs (Chinese, English).
SENS_OUTPUTS = {"months_to_50pct_moved": ("搬迁过半所需月数", "months to 50%"),
                "months_to_90pct_moved": ("搬迁九成所需月数", "months to 90%"),
                "share_moved": ("期末入住比例", "share moved by the end"),
                "total_public_cost_cny": ("公共支出", "public cost"),
                "peak_financing_gap_cny": ("最大资金缺口", "peak gap"),
                "households_moved_because_of_withdrawal": ("因撤并服务而搬迁户数",
                                                           "moved because of withdrawal"),
                "share_movers_worse_off": ("搬迁后收入下降户占比", "movers worse off")}


def sens_label(output: str, lang: str) -> str:
    """The short label of a sensitivity output in ``lang`` ("zh" or "en")."""
    zh, en = SENS_OUTPUTS[output]
    return zh if lang == "zh" else en


def plot_morris_ranking(indices: pd.DataFrame, top: int = 15, lang: str | None = None):
    """Heat map of normalised Morris μ* (factor × output), the top factors by their sum."""
    lang = resolve_lang(lang)
    piv = indices.pivot(index="factor", columns="output", values="mu_star_norm")
    piv = piv.loc[piv.sum(axis=1).sort_values(ascending=False).index[:top]]
    piv = piv[[c for c in SENS_OUTPUTS if c in piv.columns]]
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = plt.subplots(figsize=(9, 0.38 * len(piv) + 2), layout="constrained")
        im = ax.imshow(piv.to_numpy(), cmap="viridis", aspect="auto")
        ax.set_yticks(range(len(piv)), piv.index, fontsize=8)
        ax.set_xticks(range(piv.shape[1]), [sens_label(c, lang) for c in piv.columns], rotation=30,
                      ha="right", fontsize=8)
        fig.colorbar(im, ax=ax, label="μ* / sd(output)", fraction=0.04)
        ax.set_title("Morris 筛选：各参数的影响(标准化 μ*)" if lang == "zh"
                     else "Morris screening: influence of each parameter (normalised μ*)")
    return fig


def plot_sobol_indices(indices: pd.DataFrame, lang: str | None = None):
    """First-order (S1) and total (ST) Sobol indices per output, with confidence intervals."""
    lang = resolve_lang(lang)
    outs = [c for c in SENS_OUTPUTS if c in set(indices["output"])]
    with plt.rc_context(apply_fonts(lang)):
        fig, axes = _panel_grid(len(outs), panel_w=5.0, base_h=2.6, row_h=2.2)
        for ax, out in zip(axes, outs):
            d = indices[indices["output"] == out]
            y = np.arange(len(d))[::-1]
            ax.barh(y + 0.18, d["ST"], height=0.36, color=COLORS[0],
                    label="ST 总效应" if lang == "zh" else "ST (total)",
                    xerr=d["ST_conf"], error_kw={"lw": 0.8})
            ax.barh(y - 0.18, d["S1"], height=0.36, color=COLORS[2],
                    label="S1 一阶" if lang == "zh" else "S1 (first order)",
                    xerr=d["S1_conf"], error_kw={"lw": 0.8})
            ax.set_yticks(y, d["factor"], fontsize=7)
            ax.axvline(0, color="k", lw=0.6)
            ax.set_title(sens_label(out, lang), fontsize=10)
        axes[0].legend(fontsize=7, frameon=False)
    return fig
