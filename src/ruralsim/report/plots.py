"""Plots of one run. Each takes ``ax=None``, returns the figure and never calls ``show()``.

Example:
    >>> import ruralsim
    >>> from ruralsim.report.plots import plot_migration
    >>> r = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
    >>> fig = plot_migration(r.timeseries, r.scenario, lang="en")
    >>> len(fig.axes)
    1
"""
from __future__ import annotations

from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..state import STATUS_NAMES  # noqa: E402
from .fonts import apply_fonts, resolve_lang  # noqa: E402
from .labels import t, type_label  # noqa: E402

TYPE_COLORS = ("#d95f02", "#e7298a", "#7570b3", "#1b9e77", "#66a61e", "#a6761d", "#666666",
               "#e6ab02")
STATUS_COLORS = ("#bdbdbd", "#e31a1c", "#fdbf6f", "#a6cee3", "#1f78b4")


def _axes(ax, lang: str, figsize=(8, 4.5)):
    if ax is not None:
        return ax.figure, ax
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = plt.subplots(figsize=figsize, layout="constrained")
    return fig, ax


def _xaxis(ax, ts: pd.DataFrame, lang: str) -> None:
    ax.set_xlabel(t("month", lang))
    ax.set_xlim(0, max(1, len(ts) - 1))
    ticks = ax.get_xticks()
    ticks = [int(x) for x in ticks if 0 <= x < len(ts)]
    ax.set_xticks(ticks, [f"{x}\n{ts['date'].iloc[x]}" for x in ticks])


def plot_migration(ts: pd.DataFrame, sc, ax=None, lang: str | None = None):
    """Stacked households moved by type, with the month services were first withdrawn."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        names = list(sc.household_types)
        ys = [ts[f"n_moved_{n}"].to_numpy() for n in names]
        ax.stackplot(ts["month"], ys, labels=[type_label(sc, n, lang) for n in names],
                     colors=TYPE_COLORS[: len(names)], alpha=0.9)
        w = np.flatnonzero(ts["n_villages_withdrawn"].to_numpy() > 0)
        if w.size:
            ax.axvline(w[0], color="k", ls="--", lw=1)
            ax.annotate(t("withdrawn_at", lang), (w[0], ax.get_ylim()[1] * 0.95),
                        xytext=(4, 0), textcoords="offset points", va="top", fontsize=8)
        ax.set_title(t("migration_by_type", lang))
        ax.set_ylabel(t("households", lang))
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _xaxis(ax, ts, lang)
    return fig


def plot_status(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """All households stacked by status over time."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        ax.stackplot(ts["month"], [ts[f"n_{s}"] for s in STATUS_NAMES],
                     labels=[t(s, lang) for s in STATUS_NAMES], colors=STATUS_COLORS)
        ax.set_title(t("status", lang))
        ax.set_ylabel(t("households", lang))
        ax.legend(loc="center right", fontsize=8, frameon=True)
        _xaxis(ax, ts, lang)
    return fig


def plot_cash(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Cash balance and debt, with the financing gap shaded."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        m = ts["month"]
        cash = ts["cash_cny"] / 1e6
        gap = ts["financing_gap_cny"] / 1e6
        ax.plot(m, cash, color="#1f78b4", lw=2, label=t("cash", lang))
        ax.fill_between(m, 0, -gap, color="#e31a1c", alpha=0.35, lw=0, label=t("gap", lang))
        ax.axhline(0, color="k", lw=0.8)
        ax.set_title(t("cash_title", lang))
        ax.set_ylabel(t("million_cny", lang))
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _xaxis(ax, ts, lang)
    return fig


def plot_land(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Cumulative land freed, reclaimed and sold as quota."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        for col, key, color in (("land_freed_mu", "land_freed", "#8c510a"),
                                ("land_reclaimed_mu", "land_reclaimed", "#35978f"),
                                ("land_sold_mu", "land_sold", "#01665e")):
            ax.plot(ts["month"], ts[col], label=t(key, lang), color=color, lw=2)
        ax.set_title(t("land_title", lang))
        ax.set_ylabel(t("mu", lang))
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _xaxis(ax, ts, lang)
    return fig


def plot_housing(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Cumulative registrations and the waiting list against units built."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        m = ts["month"]
        ax.plot(m, ts["new_registrations"].cumsum(), color="#6a3d9a", lw=2,
                label=t("registered_cum", lang))
        ax.fill_between(m, 0, ts["n_waiting"], color="#fdbf6f", alpha=0.7, lw=0,
                        label=t("waiting", lang))
        ax.step(m, ts["units_built_apartment"] + ts["units_built_courtyard"], where="post",
                color="#1f78b4", lw=2, label=t("units_built", lang))
        ax.set_title(t("housing_title", lang))
        ax.set_ylabel(t("households", lang))
        ax.legend(loc="upper left", fontsize=8, frameon=False)
        _xaxis(ax, ts, lang)
    return fig


FIGURES = {
    "migration_by_type": lambda r, lang: plot_migration(r.timeseries, r.scenario, lang=lang),
    "status": lambda r, lang: plot_status(r.timeseries, lang=lang),
    "cash_and_gap": lambda r, lang: plot_cash(r.timeseries, lang=lang),
    "housing": lambda r, lang: plot_housing(r.timeseries, lang=lang),
    "land": lambda r, lang: plot_land(r.timeseries, lang=lang),
}


def save_figures(result, folder: Path, lang: str | None = None, dpi: int = 110) -> list[Path]:
    """Write every standard figure of ``result`` as PNG into ``folder``."""
    lang = resolve_lang(lang)
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for name, make in FIGURES.items():
        with plt.rc_context(apply_fonts(lang)):
            fig = make(result, lang)
            path = folder / f"{name}.png"
            fig.savefig(path, dpi=dpi)
        plt.close(fig)
        paths.append(path)
    return paths
