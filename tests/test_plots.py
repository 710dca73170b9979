"""Plots: every figure renders in both languages without missing glyphs, with or without a
CJK font, and plot functions follow the ax=None / return-the-figure convention."""
import os
import subprocess
import sys
import warnings

import matplotlib.pyplot as plt
import pytest

import ruralsim
from ruralsim.report import plots


@pytest.fixture(scope="module")
def result():
    return ruralsim.simulate("scenarios/teaching.yaml", seed=1)


def test_plot_functions_draw_on_a_given_axis_and_return_its_figure(result):
    fig, ax = plt.subplots()
    for fn in (plots.plot_status, plots.plot_cash, plots.plot_land, plots.plot_housing):
        assert fn(result.timeseries, ax=ax, lang="en") is fig
    assert plots.plot_migration(result.timeseries, result.scenario, ax=ax, lang="en") is fig
    plt.close(fig)


def test_every_standard_figure_is_written(result, tmp_path):
    paths = plots.save_figures(result, tmp_path, lang="en")
    assert {p.stem for p in paths} == set(plots.FIGURES)


def test_map_is_skipped_without_coordinates():
    r = ruralsim.simulate("scenarios/teaching.yaml", seed=1,
                          overrides=["villages.0.x_km=null", "run.horizon_months=12"])
    assert plots.plot_village_map(r.villages, r.scenario, lang="en") is None


def test_without_a_cjk_font_plots_fall_back_to_english_with_one_warning(tmp_path):
    code = f"""
import warnings, ruralsim, pathlib
from ruralsim.report.plots import save_figures
warnings.filterwarnings("error", message=".*missing from font.*")
with warnings.catch_warnings(record=True) as w:
    warnings.simplefilter("always")
    r = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
    save_figures(r, pathlib.Path(r"{tmp_path}"), lang="zh")
msgs = [str(x.message) for x in w if "CJK" in str(x.message)]
assert len(msgs) == 1, msgs
assert not [x for x in w if "missing from font" in str(x.message)]
print("ok")
"""
    env = {"RURALSIM_CJK_FONT": "none", "PATH": "/usr/bin:/bin"}
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    assert out.stdout.strip() == "ok"
    assert len(list(tmp_path.glob("*.png"))) == len(plots.FIGURES)


def _backend_after_import(env_extra: dict, before: str = "") -> str:
    """The matplotlib backend a fresh Python has after importing the plotting modules."""
    code = (f"import matplotlib\n{before}\n"
            "import ruralsim.report.plots, ruralsim.report.experiment_plots, "
            "ruralsim.report.animation\n"
            "print(matplotlib.rcParams._get_backend_or_none())")
    env = {k: v for k, v in os.environ.items()
           if k not in ("MPLBACKEND", "DISPLAY", "WAYLAND_DISPLAY")}
    env.update(env_extra)
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env)
    assert out.returncode == 0, out.stderr[-2000:]
    return out.stdout.strip().lower()


def test_importing_the_plots_keeps_jupyters_inline_backend():
    inline = "module://matplotlib_inline.backend_inline"
    pytest.importorskip("matplotlib_inline")
    assert _backend_after_import({"MPLBACKEND": inline}) == inline


def test_importing_the_plots_keeps_a_backend_chosen_in_code():
    assert _backend_after_import({}, before="matplotlib.use('svg')") == "svg"


def test_without_a_display_or_a_choice_the_plots_use_agg():
    assert _backend_after_import({}) == "agg"


def test_with_a_display_matplotlib_chooses(monkeypatch):
    from ruralsim.report import fonts

    calls = []
    monkeypatch.setattr("matplotlib.use", lambda name: calls.append(name))
    monkeypatch.delenv("MPLBACKEND", raising=False)
    monkeypatch.setattr(fonts, "_has_display", lambda: True)
    monkeypatch.setattr("matplotlib.rcParams._get_backend_or_none", lambda: None,
                        raising=False)
    fonts.choose_backend()
    assert calls == []


def test_titles_and_labels_on_a_callers_axis_get_the_cjk_font(result):
    from ruralsim.report.fonts import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("no CJK font installed")
    fig, ax = plt.subplots()                      # made outside ruralsim's font settings
    plots.plot_status(result.timeseries, ax=ax, lang="zh")
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*missing from font.*")
        fig.canvas.draw()
    plt.close(fig)


# ---------------------------------------------------------------- what the charts show

def _texts(fig) -> str:
    from matplotlib.text import Text

    return "\n".join(t.get_text() for t in fig.findobj(Text))


def test_village_map_numbers_its_villages_and_names_them_in_a_key(result):
    from ruralsim.report.fonts import find_cjk_font
    from ruralsim.report.labels import t

    fig = plots.plot_village_map(result.villages, result.scenario, lang="en")
    names = list(result.villages.loc[result.villages["month"] == 0, "village"])
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    font = find_cjk_font() is not None          # the names are Chinese
    for ax in panels:                           # every village carries its number
        numbers = sorted(int(t.get_text()) for t in ax.texts if t.get_text().isdigit())
        assert numbers == list(range(1, len(names) + 1))
        shown = [t.get_text() for t in ax.texts]
        for j, c in enumerate(result.scenario.communities):   # every community its name
            assert (c.name if font else f"C{j + 1}") in shown
    key = _texts(fig)
    if font:
        for i, name in enumerate(names):
            assert f"{i + 1} {name}" in key
    else:                                       # names that cannot be drawn: say the order
        assert t("village_order", "en") in key
    plt.close(fig)


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_village_map_labels_do_not_overlap_on_nanpu(lang):
    """Nanpu's villages 24 and 4, 18 and 11 lie almost on top of each other: their numbers,
    and the communities' names, are drawn apart, inside their panel (as saved, at 110 dpi)."""
    from matplotlib.text import Text

    r = ruralsim.simulate("nanpu", seed=1, overrides=["run.horizon_months=12"])
    fig = plots.plot_village_map(r.villages, r.scenario, lang=lang)
    plots.png_bytes(fig, 110)
    renderer = fig.canvas.get_renderer()
    panels = [ax for ax in fig.axes if ax.get_label() != "<colorbar>"]
    n = int((r.villages["month"] == 0).sum())
    for ax in panels:
        texts = [x for x in ax.texts if x.get_text()]
        assert len(texts) == n + len(r.scenario.communities)
        # the text's own box (an annotation's extent would include its leader line)
        boxes = [Text.get_window_extent(x, renderer) for x in texts]
        for i, a in enumerate(boxes):
            assert ax.bbox.x0 <= a.x0 and a.x1 <= ax.bbox.x1, texts[i].get_text()
            assert ax.bbox.y0 <= a.y0 and a.y1 <= ax.bbox.y1, texts[i].get_text()
            for j in range(i):
                assert not a.overlaps(boxes[j]), (texts[i].get_text(), texts[j].get_text())
    plt.close(fig)


def test_comparison_lines_stay_visible_when_they_coincide():
    from ruralsim.experiments import compare
    from ruralsim.report.experiment_plots import plot_comparison

    cmp = compare(["teaching", "teaching", "teaching_naive"], reps=2, seed=1, progress=False,
                  overrides=["run.horizon_months=24"])
    cmp.names = ["A", "B", "C"]
    fig = plot_comparison(cmp, lang="en")
    for ax in fig.axes:
        lines = [ln for ln in ax.lines if ln.get_label() in cmp.names]
        assert len(lines) == 3
        # A and B are the same scenario: identical lines, told apart by style and width
        looks = {(str(ln.get_linestyle()), ln.get_marker(), ln.get_linewidth()) for ln in lines}
        assert len(looks) == 3
        assert lines[0].get_linewidth() > lines[1].get_linewidth()   # the first shows around
        assert ax.get_legend() is None
    assert len(fig.legends) == 1                                     # one legend, below
    plt.close(fig)


def test_comparison_figures_name_scenarios_by_their_titles():
    """A comparison holds identifiers; its figure and slide name them at display time."""
    from ruralsim.experiments import compare
    from ruralsim.report.experiment_plots import plot_comparison
    from ruralsim.report.slides import slide_compare

    cmp = compare(["teaching", "teaching_naive", "weak_finance"], reps=2, seed=1, progress=False,
                  overrides=["run.horizon_months=12"])
    assert cmp.names == ["teaching", "teaching_naive", "weak_finance"]
    for lang, titles in (("zh", ["抓两头、带中间", "自愿搬迁、不分先后(不针对、不优先、保留服务)",
                                 "weak_finance"]),
                         ("en", ["Both ends first, then the middle",
                                 "Voluntary, untargeted (no priority, services kept)",
                                 "weak_finance"])):
        fig = plot_comparison(cmp, lang=lang)
        assert [x.get_text() for x in fig.legends[0].get_texts()] == titles
        plt.close(fig)
    fig = slide_compare(cmp, "en")
    assert [x.get_text() for x in fig.legends[0].get_texts()] == [
        "Both ends first", "Voluntary, untargeted", "weak_finance"]
    plt.close(fig)


def test_animation_legend_covers_no_bar_and_the_strip_is_explained(result):
    from ruralsim.report.animation import _layout
    from ruralsim.report.labels import t

    fig, panels, _ = _layout([("A", result), ("B", result)], "en")
    renderer = fig.canvas.get_renderer()
    legend = fig.legends[0].get_window_extent(renderer)
    for ax in fig.axes:
        if ax.get_label() != "<colorbar>":
            assert not legend.overlaps(ax.get_window_extent(renderer))
    bars = [ax for ax in fig.axes if ax.get_label() == "<colorbar>"]
    assert len(bars) == 1 and bars[0].get_xlabel() == t("service_strip", "en")
    plt.close(fig)


def test_cash_flow_chart_shows_the_headline_financing_gap():
    from ruralsim.report.labels import t

    # in this case the gap peaks within a year, above its year-end value
    r = ruralsim.simulate("nanjing_qinhuai", seed=1)
    fig = plots.plot_cash_flows(r.timeseries, r.scenario, lang="en")
    gap = next(ln for ln in fig.axes[0].lines if ln.get_label() == t("gap_year_peak", "en"))
    assert -gap.get_ydata().min() * 1e6 == pytest.approx(r.summary["peak_financing_gap_cny"])
    plt.close(fig)


def test_saved_png_has_the_pixels_matplotlib_would_save(result, tmp_path):
    import io

    import numpy as np
    from PIL import Image

    path = plots.save_one(lambda lang: plots.plot_status(result.timeseries, lang=lang),
                          tmp_path, "status", "en")
    fig = plots.plot_status(result.timeseries, lang="en")
    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=110)
    plt.close(fig)
    ours, theirs = Image.open(path), Image.open(buf)
    assert ours.size == theirs.size and round(ours.info["dpi"][0]) == 110
    assert ours.mode == "RGB"                       # an opaque figure: no alpha channel
    assert np.array_equal(np.asarray(ours), np.asarray(theirs.convert("RGB")))


def test_a_transparent_figure_keeps_its_alpha_channel():
    import io

    import numpy as np
    from PIL import Image

    fig, ax = plt.subplots(figsize=(2, 1), layout="constrained")
    fig.patch.set_alpha(0.0)
    ax.plot([0, 1], [0, 1])
    img = Image.open(io.BytesIO(plots.png_bytes(fig, dpi=50)))
    plt.close(fig)
    assert img.mode == "RGBA" and img.size == (100, 50)
    assert np.asarray(img)[0, 0, 3] == 0            # the corner outside the axes is clear
