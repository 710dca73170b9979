"""An animated GIF of villages emptying, by household type, with services decaying.

Each village is a stacked bar of the households still there, coloured by type; the
strip under each bar shows its service level (green: maintained, red: withdrawn and
decayed), explained by a colour scale beside the panels; the legend of household types
sits below the panels, clear of the bars. Several results side by side show several strategies
with the same seed (the demo shows its three).  Made for a projector: 16:9, at least 1600 pixels
wide, every label at least 14 pt at that size, the calendar date of each frame in its title.

Example:
    >>> import ruralsim, tempfile, pathlib
    >>> r = ruralsim.simulate("scenarios/teaching.yaml", seed=1, overrides=["run.horizon_months=6"])
    >>> p = animate_villages([("A", r)], pathlib.Path(tempfile.mkdtemp()) / "a.gif", lang="en")
    >>> p.stat().st_size > 0
    True
"""
from __future__ import annotations

from pathlib import Path

from .fonts import apply_fonts, choose_backend, displayable, resolve_lang

choose_backend()
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
from matplotlib.cm import ScalarMappable  # noqa: E402
from matplotlib.colors import Normalize  # noqa: E402
from PIL import Image  # noqa: E402  (Pillow comes with matplotlib)

from ..outputs import atomic_file  # noqa: E402
from .labels import t, type_label  # noqa: E402
from .plots import TYPE_COLORS  # noqa: E402

SERVICE_CMAP = plt.get_cmap("RdYlGn")
#: The frame in pixels (16:9) and the smallest font size on it, in points.
WIDTH_PX, HEIGHT_PX, DPI = 1600, 900, 100
LABEL_PT, TITLE_PT = 14, 16
MONTHS_EN = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def calendar_date(sc, month: int, lang: str) -> str:
    """Model month ``month`` of scenario ``sc`` as a date: '2014年3月' or 'Mar 2014'."""
    a = sc.run.start_month - 1 + month
    year, mon = sc.run.start_year + a // 12, a % 12 + 1
    return f"{year}年{mon}月" if lang == "zh" else f"{MONTHS_EN[mon - 1]} {year}"


def _frames(result) -> tuple[np.ndarray, np.ndarray, list[str]]:
    v = result.villages
    names = list(v["village"].drop_duplicates())
    H, V = int(v["month"].max()) + 1, len(names)
    types = list(result.scenario.household_types)
    present = np.stack([v[f"n_present_{tn}"].to_numpy().reshape(H, V) for tn in types], axis=2)
    service = v["service_level"].to_numpy().reshape(H, V)
    return present, service, names


def _layout(results: list[tuple[str, object]], lang: str, dpi: int = DPI):
    """The animation's figure (16:9, :data:`WIDTH_PX` wide at ``dpi``), laid out and frozen,
    its panels (bars, strip, title, data) and the date above them."""
    sc = results[0][1].scenario
    data = [_frames(r) for _, r in results]
    types = list(sc.household_types)
    ymax = max(d[0][0].sum(axis=1).max() for d in data) * 1.08
    with plt.rc_context(apply_fonts(lang)):
        fig, axes = plt.subplots(1, len(results), figsize=(WIDTH_PX / DPI, HEIGHT_PX / DPI),
                                 layout="constrained", squeeze=False, dpi=dpi, sharey=True)
        strip = -0.06 * ymax
        panels = []   # per panel: (bar containers by type, service strip, title, data)
        for ax, (title, _), (present, service, names) in zip(axes[0], results, data):
            x = np.arange(len(names))
            bars = [ax.bar(x, np.zeros(len(names)), width=0.75, label=type_label(sc, tn, lang),
                           color=TYPE_COLORS[ti % len(TYPE_COLORS)])
                    for ti, tn in enumerate(types)]
            svc = ax.bar(x, -strip, bottom=strip, width=0.75, edgecolor="k", linewidth=0.3)
            ax.axhline(0, color="k", lw=0.6)
            ax.set_ylim(strip * 1.2, ymax)
            ax.set_xticks(x, [displayable(n, f"#{i + 1}") for i, n in enumerate(names)],
                          fontsize=LABEL_PT, rotation=90 if len(names) > 8 else 0)
            ax.tick_params(labelsize=LABEL_PT)
            if ax is axes[0][0]:
                ax.set_ylabel(t("households", lang), fontsize=LABEL_PT)
            head = ax.set_title("", fontsize=TITLE_PT)
            panels.append((bars, svc, head, title, present, service))
        # the legend below the panels (never over a bar), and the strip explained by its scale
        fig.legend(handles=panels[0][0], fontsize=LABEL_PT, frameon=False,
                   loc="outside lower center", ncol=len(types))
        cbar = fig.colorbar(ScalarMappable(Normalize(0, 1), SERVICE_CMAP), ax=axes[0].tolist(),
                            location="bottom", shrink=0.45, aspect=45, pad=0.02)
        cbar.set_label(t("service_strip", lang), fontsize=LABEL_PT)
        cbar.ax.tick_params(labelsize=LABEL_PT)
        stamp = fig.suptitle("2000年12月" if lang == "zh" else "Dec 2000",
                             fontsize=TITLE_PT + 6)   # room for any date
        for p in panels:
            p[2].set_text(p[3])
        fig.canvas.draw()                 # lay out once, then freeze the layout for speed
        fig.set_layout_engine("none")
    return fig, panels, stamp


def animate_villages(results: list[tuple[str, object]], path: Path, lang: str | None = None,
                     step: int = 3, fps: int = 6, dpi: int = DPI) -> Path:
    """Write a GIF with one panel per (title, result); frames every ``step`` months, each
    titled with its calendar date."""
    lang = resolve_lang(lang)
    H = int(results[0][1].villages["month"].max()) + 1
    months = list(range(0, H, step)) + ([H - 1] if (H - 1) % step else [])
    with plt.rc_context(apply_fonts(lang)):
        fig, panels, stamp = _layout(results, lang, dpi)
        sc = results[0][1].scenario

        def draw(frame: int):
            mth = months[frame]
            for bars, svc, head, title, present, service in panels:
                bottom = np.zeros(present.shape[1])
                for ti, cont in enumerate(bars):
                    h = present[mth, :, ti]
                    for rect, hv, b in zip(cont.patches, h, bottom):
                        rect.set_y(b)
                        rect.set_height(hv)
                    bottom += h
                for rect, lvl in zip(svc.patches, service[mth]):
                    rect.set_facecolor(SERVICE_CMAP(lvl))
            stamp.set_text(calendar_date(sc, mth, lang))

        # one draw per frame, straight into Pillow (matplotlib's writer draws each frame 3x)
        frames = []
        for i in range(len(months)):
            draw(i)
            fig.canvas.draw()
            rgba = np.asarray(fig.canvas.buffer_rgba())
            frames.append(Image.fromarray(rgba[:, :, :3]).quantize(colors=64, method=2))
        plt.close(fig)
    path = Path(path)
    with atomic_file(path) as fh:
        frames[0].save(fh, format="GIF", save_all=True, append_images=frames[1:],
                       duration=int(1000 / fps), loop=0, optimize=True)
    return path
