"""The planner's report and the trainer's demo."""
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from ruralsim.cli import main
from ruralsim.report.html import CHROMIUM_FLAGS, find_chromium
from ruralsim.report.labels import METRICS, fmt_metric


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "nanpu"
    assert main(["run", "--out", str(out), "--quiet"]) == 0
    return out


def _report(run_dir, *extra):
    out = run_dir.parent / f"report{len(extra)}.html"
    assert main(["report", str(run_dir), "--out", str(out), *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_and_matches_summary(run_dir):
    text = _report(run_dir)
    assert "<html lang=\"zh-CN\">" in text and "新型农村社区建设模拟报告" in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)      # nothing fetched from outside
    assert text.count("data:image/png;base64,") == len(list((run_dir / "figures").glob("*.png")))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    for key, *_ in METRICS:
        assert f'data-key="{key}">{fmt_metric(key, summary.get(key))}<' in text, key
    assert "28个村庄" in text and "抓两头、带中间" in text


def test_report_in_english(run_dir):
    text = _report(run_dir, "--lang", "en")
    assert "Headline numbers" in text and "Peak financing gap" in text


def test_report_of_a_comparison_has_the_interval_table(tmp_path):
    out = tmp_path / "cmp"
    assert main(["compare", "scenarios/teaching.yaml", "scenarios/teaching_naive.yaml", "--reps",
                 "3", "--workers", "1", "--out", str(out), "--quiet"]) == 0
    assert main(["report", str(out)]) == 0
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "方案比较" in text and "teaching_naive" in text and "<small>[" in text


def test_report_refuses_a_folder_that_is_not_a_result(tmp_path, capsys):
    assert main(["report", str(tmp_path)]) == 2
    assert "not a result folder" in capsys.readouterr().err


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(run_dir):
    html = run_dir.parent / "report0.html"
    if not html.exists():
        _report(run_dir)
    with tempfile.TemporaryDirectory() as profile:
        res = subprocess.run([find_chromium(), *CHROMIUM_FLAGS, f"--user-data-dir={profile}",
                              "--dump-dom", html.resolve().as_uri()],
                             capture_output=True, text=True, timeout=120)
    assert res.returncode == 0, res.stderr[-1500:]
    dom = res.stdout
    assert "主要结果" in dom and dom.count("<img") >= 5


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_report_prints_to_pdf(run_dir):
    out = run_dir.parent / "printed.html"
    assert main(["report", str(run_dir), "--out", str(out), "--pdf"]) == 0
    pdf = out.with_suffix(".pdf")
    assert pdf.read_bytes()[:5] == b"%PDF-" and pdf.stat().st_size > 50_000


def test_demo_writes_figures_animation_and_report(tmp_path):
    from PIL import Image

    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--quiet"]) == 0
    assert (out / "comparison" / "figures" / "migration_side_by_side.png").exists()
    assert (out / "decomposition" / "figures" / "decomposition.png").exists()
    gif = Image.open(out / "villages.gif")
    assert gif.n_frames > 30
    text = (out / "report.html").read_text(encoding="utf-8")
    assert "方案比较" in text and "策略拆分" in text and "先动员中间户" in text
    assert "<li>" in text   # the lessons, written from the numbers
    for sub in ("zhua_liangtou", "middle_first", "naive"):
        assert (out / sub / "summary.json").exists()
