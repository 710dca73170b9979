"""The trade-off figure of ``ruralsim optimize``: cost against speed, coloured by feasibility.

Takes the result, returns the figure, never shows it (:mod:`ruralsim.report.experiment_plots`).
"""
from __future__ import annotations

from .fonts import apply_fonts, choose_backend, resolve_lang

choose_backend()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from ..optimize.spec import is_money, quantity_label  # noqa: E402

FEASIBLE, INFEASIBLE, RECOMMENDED = "#33a02c", "#bdbdbd", "#e31a1c"


def axes_of(result) -> tuple[str, str]:
    """(x, y): the cost objective (the first in CNY, else the first) and the speed: the next
    objective, else the first constraint on another quantity, else the share moved."""
    p = result.problem
    objs = [o.quantity for o in p.objectives]
    x = next((q for q in objs if is_money(q)), objs[0])
    rest = [q for q in objs if q != x] + [c.quantity for c in p.constraints if c.quantity != x]
    return x, (rest[0] if rest else "share_moved")


def plot_tradeoff(result, ax=None, lang: str | None = None):
    """Each evaluated package as a point (mean over its replications): grey when it misses a
    constraint on average, green when it meets them all; finalists ringed, the recommended
    one a red star.  Money in millions."""
    lang = resolve_lang(lang)
    x, y = axes_of(result)
    df = result.candidates
    df = df[df["status"] == "ok"]
    sx = 1e-6 if is_money(x) else 1.0
    sy = 1e-6 if is_money(y) else 1.0
    with plt.rc_context(apply_fonts(lang)):
        if ax is None:
            fig, ax = plt.subplots(figsize=(6.4, 4.6), layout="constrained")
        else:
            fig = ax.figure
        xs = df[f"{x}__mean"].to_numpy(dtype=float) * sx
        ys = df[f"{y}__mean"].to_numpy(dtype=float) * sy
        ok = df["feasible"].to_numpy(dtype=bool)
        zh = lang == "zh"
        if (~ok).any():
            ax.scatter(xs[~ok], ys[~ok], s=22, color=INFEASIBLE, edgecolor="#636363", lw=0.4,
                       label="未满足约束 / misses a constraint" if zh else "misses a constraint", zorder=2)
        if ok.any():
            ax.scatter(xs[ok], ys[ok], s=26, color=FEASIBLE, edgecolor="#006d2c", lw=0.4,
                       label="满足全部约束(均值) / meets every constraint (mean)" if zh
                       else "meets every constraint (mean)",
                       zorder=3)
        fin = df["finalist"].to_numpy(dtype=bool) if "finalist" in df else np.zeros(len(df), bool)
        if fin.any():
            ax.scatter(xs[fin], ys[fin], s=90, facecolor="none", edgecolor="black", lw=1.1,
                       label="入围复核 / finalist" if zh else "finalist (confirmed)", zorder=4)
        rec = df["recommended"].to_numpy(dtype=bool) if "recommended" in df else fin & False
        if rec.any():
            ax.scatter(xs[rec], ys[rec], s=220, marker="*", color=RECOMMENDED, edgecolor="black",
                       lw=0.6, label="推荐 / recommended" if zh else "recommended", zorder=5)
        base = getattr(result, "baseline", None) or {}
        if x in base.get("means", {}) and y in base.get("means", {}):
            ax.scatter([base["means"][x][0] * sx], [base["means"][y][0] * sy], s=90, marker="X",
                       color="black", label="现行方案 / as it is" if zh else "the scenario as it is",
                       zorder=5)
        for c, lim in zip(result.problem.constraints, result.problem.limits):
            if c.quantity == y and np.isfinite(lim):
                ax.axhline(lim * sy, color="#1f78b4", ls="--", lw=1)
            if c.quantity == x and np.isfinite(lim):
                ax.axvline(lim * sx, color="#1f78b4", ls="--", lw=1)
        # Chinese figures carry the English too (a CJK font draws both); English ones English
        unit = "（百万元 / million CNY）" if zh else " (million CNY)"
        both = "both" if zh else "en"
        ax.set_xlabel(quantity_label(x, both) + (unit if is_money(x) else ""))
        ax.set_ylabel(quantity_label(y, both) + (unit if is_money(y) else ""))
        ax.set_title("成本与速度的权衡（虚线：约束）/ Cost against speed (dashed: constraints)"
                     if zh else "Cost against speed (dashed: constraints)", fontsize=10)
        ax.grid(alpha=0.3)
        ax.legend(fontsize=8, loc="best")
    return fig
