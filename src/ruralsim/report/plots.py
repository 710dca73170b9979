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

import io
import json
import struct
import zlib
from pathlib import Path

from .fonts import adopt_fonts, apply_fonts, choose_backend, displayable, resolve_lang

choose_backend()
import matplotlib  # noqa: E402
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.backends.backend_agg import FigureCanvasAgg  # noqa: E402
from matplotlib.layout_engine import PlaceHolderLayoutEngine  # noqa: E402
import numpy as np  # noqa: E402
import pandas as pd  # noqa: E402

from ..outputs import write_bytes_atomic, write_text_atomic  # noqa: E402
from ..model.state import STATUS_NAMES  # noqa: E402
from .labels import line_label, t, type_label  # noqa: E402

TYPE_COLORS = ("#d95f02", "#e7298a", "#7570b3", "#1b9e77", "#66a61e", "#a6761d", "#666666",
               "#e6ab02")
STATUS_COLORS = ("#bdbdbd", "#fdbf6f", "#ff7f00", "#1f78b4", "#a6cee3", "#e31a1c")


def _axes(ax, lang: str, figsize=(8, 4.5)):
    if ax is not None:
        adopt_fonts(ax, lang)
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


def _finish(ax, ts: pd.DataFrame, lang: str, title: str, ylabel: str, loc: str = "upper left",
            frame: bool = False) -> None:
    """Title, y label, legend and the month/date x axis shared by the time-series plots."""
    ax.set_title(title)
    ax.set_ylabel(t(ylabel, lang))
    ax.legend(loc=loc, fontsize=8, frameon=frame)
    _xaxis(ax, ts, lang)


def plot_migration(ts: pd.DataFrame, sc, ax=None, lang: str | None = None):
    """Households living in a new community, stacked by type, with the month services were
    first withdrawn."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        names = list(sc.household_types)
        ys = [ts[f"n_moved_{n}"].to_numpy() + ts[f"n_two_homes_{n}"].to_numpy() for n in names]
        ax.stackplot(ts["month"], ys, labels=[type_label(sc, n, lang) for n in names],
                     colors=TYPE_COLORS[: len(names)], alpha=0.9)
        w = np.flatnonzero(ts["n_villages_withdrawn"].to_numpy() > 0)
        if w.size:
            ax.axvline(w[0], color="k", ls="--", lw=1)
            # along the line, low down: clear of the legend in the upper left
            ax.annotate(t("withdrawn_at", lang), (w[0], ax.get_ylim()[1] * 0.04),
                        xytext=(3, 0), textcoords="offset points", va="bottom", ha="left",
                        rotation=90, fontsize=8,
                        bbox={"boxstyle": "round,pad=0.2", "fc": "w", "ec": "none",
                              "alpha": 0.75})
        _finish(ax, ts, lang, t("migration_by_type", lang), "households")
    return fig


def plot_status(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """All households stacked by status over time."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        ax.stackplot(ts["month"], [ts[f"n_{s}"] for s in STATUS_NAMES],
                     labels=[t(s, lang) for s in STATUS_NAMES], colors=STATUS_COLORS)
        _finish(ax, ts, lang, t("status", lang), "households", "center right", frame=True)
    return fig


def plot_cash(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Cash balance and debt, with the financing gap shaded."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        m = ts["month"]
        # cash in hand (never below zero: what the township owes is the gap, drawn below
        # the zero line here and in every other chart)
        cash = ts["cash_cny"].clip(lower=0) / 1e6
        gap = ts["financing_gap_cny"] / 1e6
        ax.plot(m, cash, color="#1f78b4", lw=2, label=t("cash", lang))
        ax.fill_between(m, 0, -gap, color="#e31a1c", alpha=0.35, lw=0, label=t("gap", lang))
        ax.axhline(0, color="k", lw=0.8)
        _finish(ax, ts, lang, t("cash_title", lang), "million_cny")
    return fig


def plot_land(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Cumulative land freed, reclaimed and sold as quota."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        for col, key, color, ls in (("land_freed_mu", "land_freed", "#8c510a", "-"),
                                    ("land_reclaimed_mu", "land_reclaimed", "#35978f", "-"),
                                    ("land_collective_mu", "land_collective", "#01665e", ":"),
                                    ("land_quota_mu", "land_sold", "#762a83", "-."),
                                    ("land_freed_net_mu", "land_net", "#999999", "--")):
            if col == "land_quota_mu" and not ts[col].any():
                continue
            ax.plot(ts["month"], ts[col], label=t(key, lang), color=color, lw=2, ls=ls)
        _finish(ax, ts, lang, t("land_title", lang), "mu")
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
        _finish(ax, ts, lang, t("housing_title", lang), "households")
    return fig


def plot_finance(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Arrears, payments owed to households and the developer's debt (budget stress)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        m = ts["month"]
        ax.fill_between(m, 0, ts["arrears_cny"] / 1e6, color="#e31a1c", alpha=0.4, lw=0,
                        label=t("arrears", lang))
        ax.plot(m, ts["deferred_household_cny"] / 1e6, color="#6a3d9a", lw=2,
                label=t("deferred", lang))
        ax.plot(m, ts["developer_debt_cny"] / 1e6, color="#b15928", lw=2, ls="--",
                label=t("developer_debt", lang))
        ax.plot(m, ts["debt_cny"] / 1e6, color="k", lw=1, label=t("debt", lang))
        _finish(ax, ts, lang, t("finance_title", lang), "million_cny")
    return fig


def plot_livelihoods(ts: pd.DataFrame, ax=None, lang: str | None = None):
    """Movers in debt distress (left) and their total monthly debt service (right)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        m = ts["month"]
        ax.fill_between(m, 0, ts["n_distress"], color="#fb9a99", lw=0, label=t("distress", lang))
        ax2 = ax.twinx()
        ax2.plot(m, ts["households_debt_service_cny"] / 1e3, color="#1f78b4", lw=2,
                 label=t("debt_service", lang))
        ax2.set_ylabel(t("thousand_cny", lang))
        ax2.set_ylim(bottom=0)
        h1, l1 = ax.get_legend_handles_labels()
        h2, l2 = ax2.get_legend_handles_labels()
        ax.set_title(t("livelihood_title", lang))
        ax.set_ylabel(t("households", lang))
        ax.set_ylim(bottom=0)
        ax.legend(h1 + h2, l1 + l2, loc="upper left", fontsize=8, frameon=False)
        _xaxis(ax, ts, lang)
    return fig


def plot_exposure(ts: pd.DataFrame, sc, ax=None, lang: str | None = None):
    """Households living in villages with degraded services, stacked by type, and how many
    of them are stranded (cannot afford to move)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang)
        names = list(sc.household_types)
        ax.stackplot(ts["month"], [ts[f"exposed_{n}"] for n in names],
                     labels=[type_label(sc, n, lang) for n in names],
                     colors=TYPE_COLORS[: len(names)], alpha=0.85)
        ax.plot(ts["month"], ts["n_stranded"], color="k", lw=1.5, ls="--",
                label=t("stranded_line", lang))
        _finish(ax, ts, lang, t("exposure_title", lang), "households")
    return fig


def _yearly(ts: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    years = ts["date"].str.slice(0, 4)
    return ts[cols].groupby(years).sum()


def plot_cash_flows(ts: pd.DataFrame, sc, ax=None, lang: str | None = None, top: int = 6):
    """Revenue (up) and spending (down) per year by line, with the year-end cash balance and
    the financing gap (debt + arrears, as in the summary) at its peak within each year.
    Small lines are grouped as 'other'."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig, ax = _axes(ax, lang, figsize=(9, 6))
        rev = [c for c in ts.columns if c.startswith("rev_") and c != "rev_borrowing_cny"]
        exp = [c for c in ts.columns if c.startswith("exp_") and c != "exp_debt_repayment_cny"]
        for cols, sign, cmap in ((rev, 1, plt.cm.Greens), (exp, -1, plt.cm.Reds)):
            yearly = _yearly(ts, cols) / 1e6
            order = yearly.sum().sort_values(ascending=False)
            keep = [c for c in order.index[:top] if order[c] > 0]
            rest = [c for c in cols if c not in keep]
            other = ["other"] if rest and yearly[rest].to_numpy().sum() > 0 else []
            x = np.arange(len(yearly))
            bottom = np.zeros(len(yearly))
            for i, c in enumerate(keep + other):
                vals = (yearly[rest].sum(axis=1) if c == "other" else yearly[c]).to_numpy()
                label = ("其他" if lang == "zh" else "other") if c == "other" else \
                    line_label(sc, c, lang)
                ax.bar(x, sign * vals, bottom=sign * bottom, width=0.8, label=label,
                       color=cmap(0.85 - 0.6 * i / max(1, len(keep))))
                bottom += vals
        years = _yearly(ts, ["cash_cny"]).index
        end = ts.groupby(ts["date"].str.slice(0, 4)).tail(1)
        ax.plot(np.arange(len(years)), end["cash_cny"].clip(lower=0).to_numpy() / 1e6,
                color="#1f78b4", lw=2,
                marker="o", ms=3, label=t("cash", lang))
        # the gap as in the headline (debt + arrears, financing_gap_cny), at its peak within
        # each year, so that the chart's deepest point is the summary's peak financing gap
        peak = ts.groupby(ts["date"].str.slice(0, 4))["financing_gap_cny"].max()
        ax.plot(np.arange(len(years)), -peak.to_numpy() / 1e6, color="k",
                lw=1.5, ls="--", marker="v", ms=3, label=t("gap_year_peak", lang))
        ax.axhline(0, color="k", lw=0.8)
        step = max(1, -(-len(years) // 10))
        ax.set_xticks(np.arange(len(years))[::step], list(years)[::step])
        ax.set_xlabel(t("year", lang))
        ax.set_ylabel(t("million_cny", lang))
        ax.set_title(t("flows_title", lang))
        ax.legend(fontsize=7, ncol=3, frameon=False, loc="upper center",
                  bbox_to_anchor=(0.5, -0.12))
    return fig


def plot_service_heatmap(villages: pd.DataFrame, ax=None, lang: str | None = None, sc=None):
    """Mean service level of each village (rows) per month (columns); calendar dates under
    the months when the scenario ``sc`` is given."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        piv = villages.pivot(index="village", columns="month", values="service_level")
        piv = piv.loc[villages["village"].drop_duplicates()]
        fig, ax = _axes(ax, lang, figsize=(9, 0.22 * len(piv) + 1.8))
        im = ax.imshow(piv.to_numpy(), aspect="auto", cmap="RdYlGn", vmin=0, vmax=1,
                       interpolation="nearest")
        ax.set_yticks(range(len(piv)), [displayable(str(v), f"#{i + 1}")
                                         for i, v in enumerate(piv.index)], fontsize=7)
        ax.set_xlabel(t("month", lang))
        if sc is not None:
            ticks = [int(x) for x in ax.get_xticks() if 0 <= x < piv.shape[1]]
            ax.set_xticks(ticks, [f"{x}\n{_date(villages, x, sc)}" for x in ticks])
        ax.set_title(t("service_title", lang))
        fig.colorbar(im, ax=ax, label=t("service_level", lang), fraction=0.04)
    return fig


def plot_village_map(villages: pd.DataFrame, sc, months: list[int] | None = None,
                     lang: str | None = None):
    """Villages shaded by the share of households remaining at chosen months, and the new
    communities (★, named), from the scenario's coordinates.  Villages carry numbers, and a
    key below the panels gives their names.  None when coordinates are missing.

    No two labels overlap (:func:`_place_labels`): a village's number sits on its circle
    unless it would cover another label or a community's star; then it is moved the least
    distance that frees it, boxed, with a thin line to its village.  Community names sit
    above their star, else below, right or left of it, else further out."""
    lang = resolve_lang(lang)
    first = villages[villages["month"] == 0]
    if first["x_km"].isna().any() or any(c.x_km is None for c in sc.communities):
        return None
    H = int(villages["month"].max()) + 1
    months = months or sorted({0, H // 3, 2 * H // 3, H - 1})
    names = list(first["village"])
    xs = np.concatenate([first["x_km"].to_numpy(float), [c.x_km for c in sc.communities]])
    ys = np.concatenate([first["y_km"].to_numpy(float), [c.y_km for c in sc.communities]])
    span = max(np.ptp(xs), np.ptp(ys), 1.0)
    pad = 0.08 * span + 0.3                   # room for the largest circle at the edge
    key = _village_key(names, lang)
    n_rows = len(key)
    cx = np.array([c.x_km for c in sc.communities], dtype=float)
    cy = np.array([c.y_km for c in sc.communities], dtype=float)
    with plt.rc_context(apply_fonts(lang)):
        fig, axes = plt.subplots(1, len(months), figsize=(3.6 * len(months), 4.1 + 0.2 * n_rows),
                                 layout="constrained", squeeze=False)
        size = 400 * first["n_households_start"].to_numpy() / first["n_households_start"].max()
        small = len(names) > 40
        shares = []
        for ax, mth in zip(axes[0], months):
            d = villages[villages["month"] == mth]
            shares.append(d["share_present"].to_numpy(float))
            sc_ = ax.scatter(d["x_km"], d["y_km"], s=size, c=d["share_present"], cmap="YlOrBr",
                             vmin=0, vmax=1, edgecolors="k", linewidths=0.5)
            ax.scatter(cx, cy, marker="*", s=STAR_SIZE, color="#1f78b4", edgecolors="k",
                       linewidths=0.6, zorder=3)
            ax.set_title(f"{t('month', lang)} {mth} ({_date(villages, mth, sc)})", fontsize=9)
            ax.set_xlim(xs.min() - pad, xs.max() + pad)
            ax.set_ylim(ys.min() - pad, ys.max() + pad)
            ax.set_aspect("equal")
            ax.set_xlabel(t("km", lang))
        axes[0][0].set_ylabel(t("km", lang))
        fig.colorbar(sc_, ax=axes[0].tolist(), label=t("share_remaining", lang), fraction=0.03)
        fig.suptitle(t("map_title", lang) + " (★ " + t("community", lang) + ")")
        fig.supxlabel("\n".join(key), fontsize=7)
        # the labels are placed on the panels as they will be drawn: the layout and the
        # panels' aspect first (the labels are left out of the layout, so it stays as it is)
        fig.get_layout_engine().execute(fig)
        renderer = fig.canvas.get_renderer()
        vx, vy = first["x_km"].to_numpy(float), first["y_km"].to_numpy(float)
        for ax, share in zip(axes[0], shares):
            ax.apply_aspect()                 # the panel's box as drawn (equal aspect)
            _label_map(ax, renderer, vx, vy, np.sqrt(size) / 2, share, cx, cy,
                       [displayable(c.name, f"C{j + 1}") for j, c in enumerate(sc.communities)],
                       5 if small else 6.5)
    return fig


#: Area of a community's star on the village map (points squared, as ``scatter``'s ``s``).
STAR_SIZE = 260
#: Room kept around each label on the map (points).
LABEL_MARGIN_PT = 1.0


def _label_map(ax, renderer, vx, vy, radii_pt, share, cx, cy, cnames, fontsize) -> None:
    """The numbers of the villages at (``vx``, ``vy``) (circles of ``radii_pt``; ``share``
    of households remaining) and the names ``cnames`` of the communities at (``cx``,
    ``cy``), placed by :func:`_place_labels`."""
    px = renderer.points_to_pixels(1.0)
    to_px = ax.transData.transform
    vpts, cpts = to_px(np.column_stack([vx, vy])), to_px(np.column_stack([cx, cy]))
    star = np.sqrt(STAR_SIZE) / 2 * px                # the star's half width, in pixels
    stars = np.column_stack([cpts - star, cpts + star])
    labels = [(str(i + 1), x, y, fontsize, "k") for i, (x, y) in enumerate(zip(vx, vy))]
    labels += [(n, x, y, 7, "#1f4e79") for n, x, y in zip(cnames, cx, cy)]
    margin = LABEL_MARGIN_PT * px
    wh = []
    for text, x, y, pt, _ in labels:              # each label's size, as it will be drawn
        a = ax.text(x, y, text, ha="center", va="center", fontsize=pt)
        b = a.get_window_extent(renderer)
        wh.append((b.width + 2 * margin, b.height + 2 * margin))
        a.remove()
    wh = np.array(wh)
    frame = ax.bbox.extents
    nv = len(vx)
    # a village's number: on its circle, else nudged out in steps of half its height, the
    # nearest free place first; a community's name: beside its star (above, below, right,
    # left), else further out
    cands = [_rings(wh[i], 0.5 * wh[i, 1], (0.0, 0.0)) for i in range(nv)]
    for k in range(len(cnames)):
        w, h = wh[nv + k]
        gap = star + 2 * px                       # clear of the star and its edge
        sides = [(0.0, gap + h / 2), (0.0, -gap - h / 2), (gap + w / 2, 0.0), (-gap - w / 2, 0.0)]
        cands.append(np.concatenate([_rings(wh[nv + k], 0.5 * h, side, rings=4)
                                     for side in sides])[_side_order(len(sides), 4)])
    offsets = _place_labels(np.vstack([vpts, cpts]), wh, cands, frame, stars)
    for i, ((text, x, y, pt, color), (ox, oy)) in enumerate(zip(labels, offsets)):
        kw = dict(xytext=(ox / px, oy / px), textcoords="offset points", ha="center",
                  va="center", fontsize=pt, color=color, in_layout=False, zorder=4)
        if i < nv and (ox or oy):      # a number moved off its circle's centre: boxed
            kw["bbox"] = dict(boxstyle="square,pad=0.1", fc="w", ec="none", alpha=0.85)
            if np.hypot(ox, oy) > radii_pt[i] * px:     # off its circle: a line to it
                kw["arrowprops"] = dict(arrowstyle="-", lw=0.4, color="0.3", shrinkA=0,
                                        shrinkB=0)
        elif i < nv:                   # on its circle: white on the dark ones
            kw["color"] = "w" if share[i] > 0.6 else "k"
        else:
            kw["zorder"] = 5
        ax.annotate(text, (x, y), **kw)


def _rings(wh, step: float, centre=(0.0, 0.0), rings: int = 12) -> np.ndarray:
    """Candidate offsets (pixels) of a label of size ``wh``: ``centre``, then ``rings`` rings
    around it ``step`` apart, each in the order right, left, up, down and the diagonals."""
    dirs = np.array([(1, 0), (-1, 0), (0, 1), (0, -1), (1, 1), (-1, 1), (1, -1), (-1, -1)],
                    dtype=float)
    out = [np.array([centre], dtype=float)]
    for k in range(1, rings + 1):
        out.append(np.asarray(centre, dtype=float) + k * step * dirs)
    return np.vstack(out)


def _side_order(n_sides: int, rings: int) -> np.ndarray:
    """Order of candidates made by :func:`_rings` around ``n_sides`` sides: each side's own
    place first, then ring 1 of every side, ring 2, and so on."""
    per = 1 + 8 * rings
    idx = [s * per for s in range(n_sides)]
    for k in range(rings):
        for s in range(n_sides):
            idx.extend(range(s * per + 1 + 8 * k, s * per + 9 + 8 * k))
    return np.array(idx)


def _place_labels(points, wh, candidates, frame, obstacles) -> np.ndarray:
    """Offsets (pixels) of labels of sizes ``wh`` (width, height) centred at ``points`` plus
    an offset: for each label in turn, the first of its ``candidates`` whose box lies inside
    ``frame`` (x0, y0, x1, y1) and overlaps neither a label placed before it nor one of the
    ``obstacles`` (boxes, rows x0, y0, x1, y1).  Where every candidate collides, the one that
    collides with the fewest boxes (the first of those).  Deterministic: the same inputs give
    the same places."""
    boxes = np.empty((0, 4))
    obstacles = np.asarray(obstacles, dtype=float).reshape(-1, 4)
    out = np.zeros((len(points), 2))
    for i, (p, (w, h), cand) in enumerate(zip(points, wh, candidates)):
        c = p + cand                                              # candidate centres
        box = np.column_stack([c[:, 0] - w / 2, c[:, 1] - h / 2, c[:, 0] + w / 2,
                               c[:, 1] + h / 2])
        inside = ((box[:, 0] >= frame[0]) & (box[:, 1] >= frame[1]) & (box[:, 2] <= frame[2])
                  & (box[:, 3] <= frame[3]))
        others = np.vstack([boxes, obstacles])
        hits = ((box[:, None, 0] < others[None, :, 2]) & (box[:, None, 2] > others[None, :, 0])
                & (box[:, None, 1] < others[None, :, 3])
                & (box[:, None, 3] > others[None, :, 1])).sum(axis=1) + ~inside
        k = int(np.argmin(hits))                  # the first free one, else the least bad
        out[i] = cand[k]
        boxes = np.vstack([boxes, box[k]])
    return out


def _village_key(names: list[str], lang: str, per_row: int = 10) -> list[str]:
    """Lines of the key: 'number name' for every village, ``per_row`` to a line."""
    shown = [displayable(str(n), "") for n in names]
    if not all(shown):                   # names that cannot be drawn (no CJK font)
        return [t("village_order", lang)]
    items = [f"{i + 1} {n}" for i, n in enumerate(shown)]
    rows = ["  ".join(items[k:k + per_row]) for k in range(0, len(items), per_row)]
    return [f"{t('village_key', lang)}: {rows[0]}", *rows[1:]] if rows else []


def _date(villages: pd.DataFrame, month: int, sc) -> str:
    a = sc.run.start_month - 1 + month
    return f"{sc.run.start_year + a // 12}-{a % 12 + 1:02d}"


def _nothing(ts: pd.DataFrame, cols: tuple[str, ...]) -> bool:
    """True when every one of ``cols`` is zero all along: a chart of them would be empty."""
    return not any(np.abs(ts[c].to_numpy()).any() for c in cols if c in ts.columns)


#: Figures of a run by name; a figure whose lines would all be zero is not drawn (None).
FIGURES = {
    "migration_by_type": lambda r, lang: plot_migration(r.timeseries, r.scenario, lang=lang),
    "status": lambda r, lang: plot_status(r.timeseries, lang=lang),
    "cash_and_gap": lambda r, lang: plot_cash(r.timeseries, lang=lang),
    "housing": lambda r, lang: plot_housing(r.timeseries, lang=lang),
    "land": lambda r, lang: None if _nothing(r.timeseries, (
        "land_freed_mu", "land_reclaimed_mu", "land_collective_mu", "land_quota_mu")) else
    plot_land(r.timeseries, lang=lang),
    "finance": lambda r, lang: None if _nothing(r.timeseries, (
        "arrears_cny", "deferred_household_cny", "developer_debt_cny", "debt_cny")) else
    plot_finance(r.timeseries, lang=lang),
    "livelihoods": lambda r, lang: None if _nothing(r.timeseries, (
        "n_distress", "households_debt_service_cny")) else
    plot_livelihoods(r.timeseries, lang=lang),
    "exposure": lambda r, lang: None if _nothing(r.timeseries, (
        "exposed_households", "n_stranded")) else
    plot_exposure(r.timeseries, r.scenario, lang=lang),
    "cash_flows": lambda r, lang: plot_cash_flows(r.timeseries, r.scenario, lang=lang),
    "services": lambda r, lang: plot_service_heatmap(r.villages, lang=lang, sc=r.scenario),
    "village_map": lambda r, lang: plot_village_map(r.villages, r.scenario, lang=lang),
}


#: Written beside the figures of a run: the language they are drawn in, so that a report in
#: the other language knows to draw its own from the saved tables (:func:`figures_from_tables`).
FIGURES_RECORD = "figures.json"


def save_one(make, folder: Path, name: str, lang: str | None = None, dpi: int = 110) -> Path | None:
    """Save the figure ``make(lang)`` as ``folder/name.png`` (atomically) and close it; None
    when ``make`` returns None (e.g. a map without coordinates)."""
    lang = resolve_lang(lang)
    with plt.rc_context(apply_fonts(lang)):
        fig = make(lang)
        if fig is None:
            return None
        try:
            path = Path(folder) / f"{name}.png"
            write_bytes_atomic(path, png_bytes(fig, dpi))
            return path
        finally:
            plt.close(fig)


def png_bytes(fig, dpi: int = 110) -> bytes:
    """``fig`` drawn by Agg at ``dpi`` and encoded as PNG: the pixels of
    ``fig.savefig(format="png", dpi=dpi)``, written without PIL's per-row filter search
    (about three times faster, and smaller files for these flat-coloured charts); RGB when
    the figure is opaque, as it is unless a transparent face colour was asked for.  The
    figure is left at ``dpi`` with its layout fixed (its layout engine switched off)."""
    canvas = fig.canvas
    if not isinstance(canvas, FigureCanvasAgg):     # a figure of a non-Agg GUI backend
        buf = io.BytesIO()
        fig.savefig(buf, format="png", dpi=dpi)
        return buf.getvalue()
    # the figure's own canvas (Agg's without a display, or in a notebook): its renderer
    # holds the text sizes that the layout measures
    _lay_out(fig, dpi)
    fig.set_dpi(dpi)
    FigureCanvasAgg.draw(canvas)
    rgba = np.asarray(canvas.buffer_rgba())
    pixels, colour = (rgba[..., :3], 2) if rgba[..., 3].min() == 255 else (rgba, 6)
    h, w = pixels.shape[:2]
    rows = np.zeros((h, 1 + w * pixels.shape[2]), dtype=np.uint8)   # filter byte 0: none
    rows[:, 1:] = pixels.reshape(h, -1)
    ppm = round(dpi / 0.0254)

    def chunk(tag: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + tag + data
                + struct.pack(">I", zlib.crc32(tag + data)))

    software = f"Matplotlib version{matplotlib.__version__}, https://matplotlib.org/"
    return b"".join((b"\x89PNG\r\n\x1a\n",
                     chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, colour, 0, 0, 0)),
                     chunk(b"pHYs", struct.pack(">IIB", ppm, ppm, 1)),
                     chunk(b"tEXt", b"Software\0" + software.encode("latin-1")),
                     chunk(b"IDAT", zlib.compress(rows.tobytes(), 3)),
                     chunk(b"IEND", b"")))


def _lay_out(fig, dpi: int) -> None:
    """Run the figure's layout engine once, at the dpi it is saved at, and switch it off.

    ``savefig`` of a figure with a layout engine first draws the whole figure without
    rendering, only to run the engine, then draws it again for real: the same layout run
    here spares that first draw, and the pixels are the same."""
    engine = fig.get_layout_engine()
    if engine is None or isinstance(engine, PlaceHolderLayoutEngine):
        return
    fig.set_dpi(dpi)
    engine.execute(fig)
    # None, not "none": "none" leaves a placeholder engine, and savefig draws twice for it
    fig.set_layout_engine(None)


def record_language(folder: Path, lang: str | None) -> Path:
    """Write :data:`FIGURES_RECORD` into ``folder``: its figures are drawn in ``lang``."""
    from .. import __version__

    path = Path(folder) / FIGURES_RECORD
    write_text_atomic(path, json.dumps({"lang": resolve_lang(lang), "ruralsim": __version__})
                      + "\n")
    return path


def save_figures(result, folder: Path, lang: str | None = None, dpi: int = 110) -> list[Path]:
    """Write every standard figure of ``result`` as PNG into ``folder``, in ``lang`` only
    (Chinese by default; English when no CJK font is installed), and record the language
    (:data:`FIGURES_RECORD`).  A report in the other language draws its own figures from
    the saved tables (:func:`figures_from_tables`).  Returns the paths written."""
    Path(folder).mkdir(parents=True, exist_ok=True)
    lang = resolve_lang(lang)
    paths = [save_one(lambda x, make=make: make(result, x), folder, name, lang, dpi)
             for name, make in FIGURES.items()]
    record_language(folder, lang)
    return [p for p in paths if p is not None]


class SavedRun:
    """A run read back from its saved tables: what the figures need of a result."""

    def __init__(self, timeseries: pd.DataFrame, villages: pd.DataFrame, scenario) -> None:
        self.timeseries, self.villages, self.scenario = timeseries, villages, scenario


def _read_table(data: bytes) -> pd.DataFrame:
    """A CSV written by :func:`ruralsim.outputs.write_csv`, its text cells as written
    before they were made spreadsheet-safe."""
    df = pd.read_csv(io.BytesIO(data), encoding="utf-8-sig")
    for c in df.columns:
        if df[c].dtype == object or pd.api.types.is_string_dtype(df[c].dtype):
            df[c] = df[c].map(lambda v: v[1:] if isinstance(v, str) and v[:1] == "'" and
                              v[1:2] in ("=", "+", "-", "@", "\t", "\r") else v)
    return df


def figures_from_tables(timeseries_csv: bytes, villages_csv: bytes, scenario: dict,
                        lang: str, dpi: int = 110) -> dict[str, bytes]:
    """The standard figures of a run in ``lang``, as PNG bytes by name, drawn from its saved
    ``timeseries.csv``, ``villages.csv`` and ``scenario.json`` (as bytes and a dict).
    Raises ValueError (pandas' parser errors, pydantic's ValidationError, a missing column
    as KeyError) when the tables are not those of a run."""
    from ..scenario.schema import Scenario

    ts = _read_table(timeseries_csv)
    # scenario.json is written with sorted keys: the household types take the model's order
    # (that of the time series' columns) again, so that colours and stacking match the run's
    types = scenario.get("household_types") if isinstance(scenario, dict) else None
    if isinstance(types, dict):
        order = [c[len("n_moved_"):] for c in ts.columns if c.startswith("n_moved_")]
        scenario = {**scenario, "household_types": {
            **{k: types[k] for k in order if k in types}, **types}}
    run = SavedRun(ts, _read_table(villages_csv), Scenario.model_validate(scenario))
    out = {}
    for name, make in FIGURES.items():
        with plt.rc_context(apply_fonts(lang)):
            fig = make(run, lang)
            if fig is None:
                continue
            try:
                out[name] = png_bytes(fig, dpi)
            finally:
                plt.close(fig)
    return out
