"""Figures are drawn in one language per run; a report in the other language draws its own
from the run's saved tables."""
import base64
import json
import os

import pytest

from ruralsim.cli import main
from ruralsim.outputs import MARKER
from ruralsim.report.fonts import find_cjk_font
from ruralsim.report.plots import FIGURES

pytestmark = pytest.mark.skipif(find_cjk_font() is None,
                                reason="no CJK font installed (CI installs fonts-wqy-microhei)")


@pytest.fixture(scope="module")
def zh_run(tmp_path_factory):
    out = tmp_path_factory.mktemp("runs") / "zh"
    assert main(["run", "scenarios/teaching.yaml", "--lang", "zh", "--quiet", "--out", str(out),
                 "--set", "run.horizon_months=24"]) == 0
    return out


def _pngs(folder):
    return sorted(p.name for p in folder.glob("*.png"))


def _copy(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def _inlined(html: str, png) -> bool:
    return base64.b64encode(png.read_bytes()).decode() in html


def test_run_writes_figures_in_one_language_only(zh_run):
    figs = zh_run / "figures"
    assert len(_pngs(figs)) >= len(FIGURES) - 1          # the map needs coordinates
    assert not (figs / "en").exists() and not (figs / "zh").exists()
    assert json.loads((figs / "figures.json").read_text())["lang"] == "zh"


def test_report_in_the_other_language_draws_its_figures_from_the_tables(zh_run, tmp_path):
    run = _copy(zh_run, tmp_path / "run")
    assert main(["report", str(run), "--lang", "en"]) == 0
    en = run / "figures" / "en"
    assert _pngs(en) == _pngs(run / "figures")
    html = (run / "report.html").read_text(encoding="utf-8")
    assert _inlined(html, en / "status.png")
    assert not _inlined(html, run / "figures" / "status.png")
    # the figures are kept: a second report reads them and draws nothing
    before = {p.name: p.stat().st_mtime_ns for p in en.iterdir()}
    assert main(["report", str(run), "--lang", "en", "--force"]) == 0
    assert {p.name: p.stat().st_mtime_ns for p in en.iterdir()} == before


def test_report_in_the_run_language_draws_nothing(zh_run, tmp_path):
    run = _copy(zh_run, tmp_path / "run")
    assert main(["report", str(run), "--lang", "zh"]) == 0
    assert not (run / "figures" / "zh").exists() and not (run / "figures" / "en").exists()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert _inlined(html, run / "figures" / "status.png")


def test_a_folder_ruralsim_did_not_write_is_only_read(zh_run, tmp_path):
    run = _copy(zh_run, tmp_path / "run")
    os.unlink(run / MARKER)
    assert main(["report", str(run), "--lang", "en"]) == 0
    assert not (run / "figures" / "en").exists()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert not _inlined(html, run / "figures" / "status.png")   # English ones, inlined


def test_tables_that_cannot_be_read_leave_the_run_figures_with_a_warning(zh_run, tmp_path,
                                                                         capsys):
    run = _copy(zh_run, tmp_path / "run")
    (run / "timeseries.csv").unlink()
    (run / "timeseries.csv").symlink_to(zh_run / "timeseries.csv")
    assert main(["report", str(run), "--lang", "en"]) == 0
    err = capsys.readouterr().err
    assert "could not be drawn from the saved tables" in err and "symbolic link" in err
    assert not (run / "figures" / "en").exists()
    html = (run / "report.html").read_text(encoding="utf-8")
    assert _inlined(html, run / "figures" / "status.png")
