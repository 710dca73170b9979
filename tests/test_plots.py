"""Plots: every figure renders in both languages without missing glyphs, with or without a
CJK font, and plot functions follow the ax=None / return-the-figure convention."""
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
