"""The trainer's classroom (issue 25): honest names, no verdict on an interval that spans zero
as shown, an animation and slides for a projector, and a demo that says what it is doing."""
import subprocess
import sys
from pathlib import Path

import pytest

import ruralsim

ROOT = Path(__file__).resolve().parents[1]


def test_the_voluntary_strategy_is_never_called_yi_dao_qie():
    # 一刀切 (heavy-handed uniform enforcement) would reverse the lesson: the naive strategy is
    # the least coercive; only the trainer's guide says so, and why
    guide = ROOT / "docs" / "trainer_guide.md"
    files = [p for d in ("src", "docs", "notebooks") for p in (ROOT / d).rglob("*")
             if p.is_file() and p.suffix in {".py", ".yaml", ".md", ".ipynb", ".csv", ".json"}
             and p != guide]
    assert files and not [p for p in files if "一刀切" in p.read_text(encoding="utf-8")]
    from ruralsim.report.labels import scenario_title

    assert scenario_title("teaching_naive", "zh", short=True) == "自愿搬迁、不分先后"
    sc = ruralsim.load_scenario("teaching_naive").model
    assert sc.strategy.label_zh.startswith("自愿搬迁、不分先后")


@pytest.mark.parametrize("mean, low, high", [(-0.4, -1.2, -0.3), (0.3, 0.2, 0.6),
                                             (-9.0, -12.0, 0.2)])
def test_a_difference_whose_interval_spans_zero_as_shown_is_no_verdict(mean, low, high):
    from ruralsim.report.formatting import MARKS, fmt_estimate, judge

    v = judge("months_to_90pct_moved", mean, low, high)
    assert v == "unclear" and MARKS[v] == "≈"
    assert judge("months_to_90pct_moved", -9.1, -12.4, -5.8) == "better"
    for lang in ("zh", "en"):
        text = fmt_estimate("months_to_90pct_moved", mean, low, high, lang, diff=True)
        assert "√" not in text


def test_lessons_say_no_clear_effect_when_the_shown_interval_reaches_zero():
    from ruralsim.report.lessons import comparison_lessons, decomposition_lessons

    rows = [{"metric": "months_to_90pct_moved", "effect": "withdrawal", "mean": -0.6,
             "ci_low": -1.3, "ci_high": -0.2, "censored": False}]
    assert "无明显影响" in decomposition_lessons(rows, "zh")[0]
    cmp = [{"scenario": s, "metric": "months_to_50pct_moved", "diff_vs_first": d,
            "diff_ci_low": lo, "diff_ci_high": hi}
           for s, d, lo, hi in (("teaching", 0, 0, 0), ("teaching_middle_first", -4, -6, -1),
                                ("awards", -3, -5, -2))]
    zh = comparison_lessons(cmp, ["teaching", "teaching_middle_first", "awards"], "zh")
    # names, not identifiers, in Chinese sentences
    assert zh[0].startswith("与“抓两头、带中间”相比，“先动员中间户”使50%农户入住提前约4个月")
    assert "方案“awards”" in zh[1] and "teaching" not in "".join(zh)


def test_animation_is_for_a_projector(tmp_path):
    from ruralsim.report.animation import LABEL_PT, _layout, animate_villages
    from PIL import Image

    rs = [(n, ruralsim.simulate(n, seed=1, overrides=["run.horizon_months=12"]))
          for n in ("teaching", "teaching_middle_first", "teaching_naive")]
    fig, panels, stamp = _layout(rs, "en")
    w, h = fig.get_size_inches() * fig.dpi
    assert w >= 1600 and abs(w / h - 16 / 9) < 0.01 and len(panels) == 3
    texts = [x for x in fig.findobj(lambda a: hasattr(a, "get_fontsize") and
                                    hasattr(a, "get_text")) if x.get_text().strip()]
    assert texts and min(x.get_fontsize() for x in texts) >= LABEL_PT >= 14
    import matplotlib.pyplot as plt

    plt.close(fig)
    gif = Image.open(animate_villages(rs, tmp_path / "v.gif", lang="en"))
    assert gif.size[0] >= 1600


def test_frames_are_titled_with_calendar_dates():
    from ruralsim.report.animation import calendar_date

    sc = ruralsim.load_scenario("teaching").model     # starts January 2010
    assert calendar_date(sc, 50, "zh") == "2014年3月"
    assert calendar_date(sc, 50, "en") == "Mar 2014"


def test_slides_are_16_9_with_no_text_below_14_pt():
    from ruralsim.report.slides import MIN_PT, min_font_pt, slide_who_moves

    r = ruralsim.simulate("teaching", seed=1, overrides=["run.horizon_months=24"])
    fig = slide_who_moves([("A", r), ("B", r), ("C", r)], "zh")
    w, h = fig.get_size_inches() * fig.dpi
    assert (w, h) == (1920, 1080) and min_font_pt(fig) >= MIN_PT >= 14


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo, short, run once in a subprocess whose stdout and stderr are pipes."""
    out = tmp_path_factory.mktemp("demo") / "d"
    code = ("from ruralsim.demo import run_demo; import pathlib; "
            f"run_demo(pathlib.Path({str(out)!r}), reps=2, animate=False, horizon=24)")
    p = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                       timeout=600)
    assert p.returncode == 0, p.stderr
    return p, out


def test_demo_prints_a_line_per_stage_when_not_on_a_terminal(demo):
    # stdout and stderr are pipes here, as in a log: stages are printed, bars are not
    p, out = demo
    lines = p.stdout.splitlines()
    assert [ln[:5] for ln in lines if ln.startswith("[")] == ["[1/5]", "[2/5]", "[3/5]",
                                                              "[4/5]", "[5/5]"]
    assert any("2 replications" in ln for ln in lines) and "demo done" in lines[-1]
    assert "\r" not in p.stderr
    assert sorted(p.name for p in (out / "slides").iterdir()) == [
        "1_who_moves_when.png", "2_taken_apart.png", "3_compared.png"]


def test_demo_tables_keep_identifiers_and_the_reports_show_titles(demo):
    """compare.csv is data: it names the scenarios by identifier, whatever the report's
    language; the report names them by their titles, in Chinese and in English."""
    import pandas as pd

    from ruralsim.demo import STRATEGIES
    from ruralsim.report.html import build_report
    from ruralsim.report.labels import STRATEGY_TITLES

    _, out = demo
    table = pd.read_csv(out / "comparison" / "compare.csv", encoding="utf-8-sig")
    assert list(dict.fromkeys(table["scenario"])) == [s for _, s in STRATEGIES]
    for path in out.rglob("*.csv"):     # no title written as data anywhere in the demo
        text = path.read_text(encoding="utf-8-sig")
        assert not [zh for zh, _ in STRATEGY_TITLES.values() if zh in text], path
    dirs = [out / "decomposition", out / "comparison"] + [out / k for k, _ in STRATEGIES]
    zh = (out / "report.html").read_text(encoding="utf-8")
    en = build_report(dirs, lang="en")
    for name, (title_zh, title_en) in STRATEGY_TITLES.items():
        # the comparison table and the headline table (one run each) name them by title
        assert f"<th>{title_zh}</th>" in zh and f"<th>{title_en}</th>" in en
        assert f"<th>{title_zh}<br>" in zh and f"<th>{title_en}<br>" in en
        assert f"<th>{name}</th>" not in zh + en and f"<th>{name}<br>" not in zh + en
    assert "与“抓两头、带中间”相比，“先动员中间户”" in zh
    assert "Middle first compared with Both ends first, then the middle" in en
    docx = pytest.importorskip("docx")
    from ruralsim.report.docx import build_docx
    from ruralsim.report.inputs import load_report_inputs

    heads = [[c.text for c in tb.rows[0].cells] for tb in
             build_docx(load_report_inputs(dirs), "en").tables]
    assert [t for _, t in STRATEGY_TITLES.values()] in [h[1:] for h in heads]


def test_the_notebooks_extra_opens_and_runs_them():
    import shutil
    import tomllib

    extras = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"][
        "optional-dependencies"]["notebooks"]
    names = {e.split(">")[0].split("=")[0].split("[")[0].strip() for e in extras}
    assert {"jupyterlab", "nbconvert", "ipykernel"} <= names
    jupyter = shutil.which("jupyter", path=str(Path(sys.executable).parent))
    if jupyter is None:
        pytest.skip("the notebooks extra is not installed here")
    for sub in ("lab", "nbconvert"):
        p = subprocess.run([jupyter, sub, "--version"], capture_output=True, text=True,
                           timeout=120)
        assert p.returncode == 0 and p.stdout.strip()[0].isdigit(), (sub, p.stderr)


def test_a_strategy_title_written_in_one_language_is_shown_in_the_other():
    """A comparison table written by an older Chinese demo holds Chinese titles (the demo now
    writes identifiers); the English report made from it names the strategies in English
    (and back)."""
    from ruralsim.report.labels import STRATEGY_SHORT, STRATEGY_TITLES, scenario_title

    for key, (zh, en) in STRATEGY_TITLES.items():
        assert scenario_title(zh, "en") == en and scenario_title(en, "zh") == zh
        assert scenario_title(STRATEGY_SHORT[key][0], "en") == en
    assert scenario_title("my_town", "en") == "my_town"
