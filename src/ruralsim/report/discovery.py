"""The figure of scenario discovery (:mod:`ruralsim.bridges.prim`): the trade-off between
coverage and density along PRIM's peeling trajectory.

Takes ``ax=None``, returns the figure and never shows it.
"""
from __future__ import annotations

from .fonts import adopt_fonts, apply_fonts, choose_backend, resolve_lang

choose_backend()
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.ticker import MaxNLocator  # noqa: E402


def plot_discovery(d, ax=None, lang: str | None = None):
    """Coverage against density of every box on the peeling trajectory (colour: restricted
    parameters; the chosen box ringed); without ``ax``, a second panel shows coverage and
    density along the trajectory."""
    lang = resolve_lang(lang)
    zh = lang == "zh"
    tr = d.trajectory
    with plt.rc_context(apply_fonts(lang)):
        if ax is None:
            fig, (ax, ax2) = plt.subplots(1, 2, figsize=(11, 4.4), layout="constrained")
        else:
            fig, ax2 = ax.figure, None
            adopt_fonts(ax, lang)
        sc = ax.scatter(tr["coverage"], tr["density"], c=tr["res_dim"], cmap="viridis", s=28,
                        zorder=3)
        c = tr.iloc[d.chosen]
        ax.scatter([c["coverage"]], [c["density"]], s=160, facecolors="none",
                   edgecolors="#e31a1c", lw=2, zorder=4,
                   label=(f"所选盒子 {d.chosen}" if zh else f"chosen box {d.chosen}"))
        ax.set_xlabel("覆盖率 coverage" if zh else "coverage")
        ax.set_ylabel("密度 density" if zh else "density")
        ax.set_xlim(0, 1.02)
        ax.set_ylim(0, 1.02)
        ax.set_title(("权衡: " if zh else "Trade-off: ") + d.condition)
        ax.legend(fontsize=8, frameon=False, loc="lower left")
        cb = fig.colorbar(sc, ax=ax, label="受限参数个数" if zh else "restricted parameters")
        cb.locator = MaxNLocator(integer=True)
        cb.update_ticks()
        if ax2 is not None:
            adopt_fonts(ax2, lang)
            ax2.plot(tr["box"], tr["coverage"], "-o", ms=3, color="#1f78b4",
                     label="覆盖率" if zh else "coverage")
            ax2.plot(tr["box"], tr["density"], "--s", ms=3, color="#33a02c",
                     label="密度" if zh else "density")
            ax2.plot(tr["box"], tr["mass"], ":", color="#666666",
                     label="质量(盒内运行比例)" if zh else "mass (share of runs in box)")
            ax2.axvline(d.chosen, color="#e31a1c", lw=1)
            ax2.xaxis.set_major_locator(MaxNLocator(integer=True))
            ax2.set_xlabel("剥离步骤(盒子编号)" if zh else "peeling step (box)")
            ax2.set_ylim(0, 1.02)
            ax2.set_title("剥离轨迹" if zh else "Peeling trajectory")
            ax2.legend(fontsize=8, frameon=False)
    return fig
