"""The planner's report and the trainer's demo."""
import base64
import json
import re
import subprocess
import tempfile
from pathlib import Path

import pytest

from ruralsim.cli import main
from ruralsim.report.html import CHROMIUM_FLAGS, find_chromium
from ruralsim.report.formatting import fmt_metric
from ruralsim.report.labels import METRICS


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("r") / "nanpu"
    assert main(["run", "--out", str(out), "--quiet"]) == 0
    return out


def _report(run_dir, *extra):
    out = run_dir.parent / f"report{len(extra)}.html"
    assert main(["report", str(run_dir), "--out", str(out), "--force", *extra]) == 0
    return out.read_text(encoding="utf-8")


def test_report_is_self_contained_and_matches_summary(run_dir):
    text = _report(run_dir)
    assert "<html lang=\"zh-CN\">" in text and "新型农村社区建设模拟报告" in text
    assert not re.search(r"(src|href)=\"(https?:)?//", text)      # nothing fetched from outside
    assert text.count("data:image/png;base64,") == len(list((run_dir / "figures").glob("*.png")))
    summary = json.loads((run_dir / "summary.json").read_text(encoding="utf-8"))
    from ruralsim.report.html import PHASE_METRICS

    for key, *_ in METRICS:
        if summary.get("supply") is not None and key in PHASE_METRICS:
            # demand mode has no phases: no row reading 0 (the works timeline says how works went)
            assert f'data-key="{key}"' not in text
            continue
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
    # the strategies by their titles, not their scenario identifiers
    assert "方案比较" in text and "自愿搬迁、不分先后" in text and "<small>[" in text
    assert "<th>teaching_naive</th>" not in text


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
    # the side-by-side figure and the animation are in the report
    assert 'alt="migration_side_by_side"' in text and 'alt="villages" src="data:image/gif' in text
    for sub in ("zhua_liangtou", "middle_first", "naive"):
        assert (out / sub / "summary.json").exists()


# ---------------------------------------------------------------- languages and fonts

@pytest.fixture
def no_cjk_font(monkeypatch):
    """A machine without a CJK font (as a fresh CI machine may be)."""
    from ruralsim.report import fonts

    monkeypatch.setenv("RURALSIM_CJK_FONT", "none")
    monkeypatch.setattr(fonts, "_warned", False)
    fonts.find_cjk_font.cache_clear()
    yield
    fonts.find_cjk_font.cache_clear()


def _inlined(text: str) -> set[bytes]:
    return {base64.b64decode(m) for m in re.findall(r'src="data:image/\w+;base64,([^"]+)"', text)}


def test_without_a_cjk_font_the_report_stays_chinese_and_charts_fall_back(no_cjk_font,
                                                                         tmp_path):
    from ruralsim.demo import run_demo

    out = tmp_path / "demo"
    with pytest.warns(UserWarning, match="no CJK font"):
        run_demo(out, quiet=True, reps=2, horizon=24)
    text = (out / "report.html").read_text(encoding="utf-8")
    assert '<html lang="zh-CN">' in text and "主要结果" in text and "方案比较" in text
    assert "抓两头、带中间" in text                   # scenario names in the tables stay Chinese
    assert "Headline numbers" not in text
    # the charts are there, drawn with English labels (no Chinese-only copies beside them)
    assert 'alt="migration_side_by_side"' in text and 'alt="decomposition"' in text
    assert not (out / "zhua_liangtou" / "figures" / "zh").exists()


def test_report_in_english_embeds_the_english_figures(run_dir):
    from ruralsim.report.fonts import find_cjk_font

    if find_cjk_font() is None:
        pytest.skip("without a CJK font every figure is drawn in English anyway")
    figures = run_dir / "figures"
    shown_en = _inlined(_report(run_dir, "--lang", "en"))   # draws figures/en from the tables
    zh = {p.name: p.read_bytes() for p in figures.glob("*.png")}
    en = {p.name: p.read_bytes() for p in (figures / "en").glob("*.png")}
    assert set(en) == set(zh) and len(zh) >= 10
    assert shown_en == set(en.values())
    shown_zh = _inlined(_report(run_dir))
    assert shown_zh == set(zh.values())


def test_shares_never_round_up_to_all_or_down_to_none():
    assert fmt_metric("share_moved", 0.9996) == ">99.9%"
    assert fmt_metric("share_moved", 1.0) == "100.0%"
    assert fmt_metric("share_ever_registered", 0.0004) == "<0.1%"
    assert fmt_metric("share_moved", 0.934) == "93.4%"


# ---------------------------------------------------------------- printing

def _long_comparison(folder: Path, n: int = 70) -> Path:
    """A comparison folder whose table runs over several printed pages."""
    from ruralsim.outputs import write_marker

    folder.mkdir()
    rows = ["metric,scenario,mean,p2_5,p97_5,diff_vs_first,diff_ci_low,diff_ci_high,reps"]
    for i in range(n):
        rows.append(f"metric_{i:02d},基准方案甲,{i},0,{2 * i},0,0,0,3")
        rows.append(f"metric_{i:02d},对照方案乙,{i + 1},0,{2 * i},1,0.5,1.5,3")
    (folder / "compare.csv").write_text("\n".join(rows) + "\n", encoding="utf-8")
    write_marker(folder, "compare")
    return folder


def _pdf_pages(html_args: list[str], out: Path) -> list:
    pypdf = pytest.importorskip("pypdf")
    assert main(["report", *html_args, "--out", str(out), "--pdf", "--force"]) == 0
    return pypdf.PdfReader(out.with_suffix(".pdf")).pages


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_printed_report_is_a4_and_tables_repeat_their_header(tmp_path):
    pages = _pdf_pages([str(_long_comparison(tmp_path / "cmp"))], tmp_path / "r.html")
    for p in pages:
        assert abs(float(p.mediabox.width) - 595.3) < 2 and \
            abs(float(p.mediabox.height) - 841.9) < 2          # A4, not US letter
    with_rows = [p.extract_text() for p in pages if "metric_" in p.extract_text()]
    assert len(with_rows) >= 2                                    # the table is split...
    for text in with_rows:                                        # ...with its header on each
        assert "基准方案甲" in text and "对照方案乙" in text


@pytest.mark.skipif(find_chromium() is None, reason="Chromium not installed (.ci/run installs it)")
def test_printed_report_has_no_near_empty_last_page(run_dir, tmp_path):
    pages = _pdf_pages([str(run_dir)], tmp_path / "r.html")
    last = pages[-1]
    images = last["/Resources"].get("/XObject") or {}
    assert len(images) >= 1 or len(last.extract_text()) > 400


def test_a_language_folder_gets_the_same_checks_as_figures(run_dir, tmp_path, capsys):
    import shutil

    run = tmp_path / "run"
    (run / "figures").mkdir(parents=True)
    for name in ("summary.json", "scenario.json"):
        shutil.copy(run_dir / name, run / name)
    shutil.copy(run_dir / "figures" / "status.png", run / "figures" / "status.png")
    outside = tmp_path / "outside"
    outside.mkdir()
    secret = (run_dir / "figures" / "land.png").read_bytes() + b"SECRET"
    (outside / "status.png").write_bytes(secret)
    (run / "figures" / "en").symlink_to(outside)          # a linked language folder
    out = tmp_path / "r.html"
    assert main(["report", str(run), "--out", str(out), "--lang", "en"]) == 0
    assert "figures/en: skipped, not a folder inside the result folder" in capsys.readouterr().err
    assert _inlined(out.read_text(encoding="utf-8")) == {
        (run / "figures" / "status.png").read_bytes()}
