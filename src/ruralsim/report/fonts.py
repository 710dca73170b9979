"""Setting matplotlib up: the backend, and a CJK font with per-character fallback.

Backend (:func:`choose_backend`, called when a plotting module is imported): Agg only when
nobody chose a backend (no ``MPLBACKEND``, no ``matplotlib.use``, no ``backend`` in a
matplotlibrc) and there is no display.  An interactive or inline backend (Jupyter's) is
never overridden, so notebooks and scripts show the figures; files are written the same
way under any backend.

Fonts: finding a CJK font robustly and configuring matplotlib with per-character fallback.

Order: the ``RURALSIM_CJK_FONT`` environment variable (a font file), fonts
matplotlib already knows, then system font files (added at run time, since
matplotlib's cache may predate their installation).  The family list puts the
CJK font first and DejaVu Sans after it, so Latin glyphs and symbols fall back
per character.  With no CJK font, plots use English labels and one warning.
"""
from __future__ import annotations

import glob
import os
import sys
from ..errors import warn_user
from functools import lru_cache

KNOWN_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Micro Hei",
                  "WenQuanYi Zen Hei", "Noto Serif CJK SC", "AR PL UMing CN", "SimHei",
                  "Microsoft YaHei", "PingFang SC", "Heiti SC")
SYSTEM_GLOBS = ("/usr/share/fonts/**/*wqy*.tt[cf]", "/usr/share/fonts/**/NotoSansCJK*.tt[cf]",
                "/usr/share/fonts/**/NotoSerifCJK*.tt[cf]", "/usr/share/fonts/**/*[Hh]ei*.tt[cf]",
                "/usr/share/fonts/**/*uming*.tt[cf]", "/System/Library/Fonts/PingFang.ttc",
                "C:/Windows/Fonts/msyh.tt[cf]", "C:/Windows/Fonts/simhei.ttf")


def _has_display() -> bool:
    """False on Linux and other X11/Wayland systems without a display; True elsewhere
    (Windows and macOS always have one)."""
    if sys.platform in ("win32", "cygwin", "darwin"):
        return True
    return bool(os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))


def choose_backend() -> None:
    """Use the Agg backend only when no backend was chosen and there is no display."""
    import matplotlib

    if os.environ.get("MPLBACKEND"):        # the user's or Jupyter's (ipykernel sets it)
        return
    chosen = getattr(matplotlib.rcParams, "_get_backend_or_none", lambda: "unknown")()
    if chosen is not None or _has_display():
        return                               # chosen already, or matplotlib picks a GUI
    matplotlib.use("Agg")


def _family_of(path: str) -> str | None:
    from matplotlib import font_manager

    try:
        font_manager.fontManager.addfont(path)
        return font_manager.FontProperties(fname=path).get_name()
    except (OSError, RuntimeError, ValueError):
        return None


@lru_cache(maxsize=1)
def find_cjk_font() -> str | None:
    """The family name of a usable CJK font, or None."""
    from matplotlib import font_manager

    env = os.environ.get("RURALSIM_CJK_FONT")
    if env == "none":
        return None
    if env and os.path.exists(env):
        fam = _family_of(env)
        if fam:
            return fam
    known = {f.name for f in font_manager.fontManager.ttflist}
    for fam in KNOWN_FAMILIES:
        if fam in known:
            return fam
    for pattern in SYSTEM_GLOBS:
        for path in sorted(glob.glob(pattern, recursive=True)):
            fam = _family_of(path)
            if fam:
                return fam
    return None


_warned = False


def resolve_lang(lang: str | None) -> str:
    """'zh' when asked for (or by default) and a CJK font exists, else 'en' (warn once)."""
    global _warned
    want = lang or "zh"
    if want == "zh" and find_cjk_font() is None:
        if not _warned:
            warn_user("no CJK font found: plots use English labels (install fonts-wqy-microhei "
                      "or fonts-noto-cjk, or set RURALSIM_CJK_FONT=/path/to/font) / 未找到中文字体，"
                      "图表使用英文标注")
            _warned = True
        return "en"
    return want


def apply_fonts(lang: str) -> dict:
    """rcParams for ``lang``: for zh the CJK font first and DejaVu Sans for fallback; for en
    DejaVu Sans first and the CJK font (when there is one) for Chinese names in the data."""
    fam = find_cjk_font()
    families = ([fam, "DejaVu Sans"] if lang == "zh" else ["DejaVu Sans", fam]) if fam \
        else ["DejaVu Sans"]
    # an explicit family list (not the generic 'sans-serif') is captured by each text
    # object when it is created, so figures render the same wherever they are saved
    return {"font.family": families, "axes.unicode_minus": False}


def adopt_fonts(ax, lang: str) -> None:
    """Give the texts of an axis made elsewhere (e.g. by ``plt.subplots`` in a notebook) the
    fonts of ``lang``: matplotlib fixes a text's font when the text object is created, so
    the title, axis labels and tick labels of a caller's axis would otherwise lack CJK."""
    fam = apply_fonts(lang)["font.family"]
    for text in (ax.title, ax.xaxis.label, ax.yaxis.label):
        text.set_fontfamily(fam)
    ax.tick_params(labelfontfamily=fam)


def displayable(text: str, fallback: str) -> str:
    """``text`` if it can be drawn without missing glyphs, else ``fallback`` (e.g. a village
    number instead of a Chinese village name on a machine without a CJK font)."""
    return text if text.isascii() or find_cjk_font() is not None else fallback
