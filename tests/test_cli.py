"""The command line as a user meets it: outputs, refusals, exit codes, figures."""
import json
import warnings

import pandas as pd
import pytest

from ruralsim.cli import main

FAST = ["--set", "run.horizon_months=36"]


def test_run_writes_all_outputs(tmp_path, capsys):
    out = tmp_path / "out"
    assert main(["run", "scenarios/teaching.yaml", "--out", str(out), "--seed", "3"]) == 0
    for f in ("timeseries.csv", "villages.csv", "summary.json", "scenario.json"):
        assert (out / f).is_file()
    figs = sorted(p.name for p in (out / "figures").glob("*.png"))
    assert {"migration_by_type.png", "cash_and_gap.png"} <= set(figs)
    ts = pd.read_csv(out / "timeseries.csv")
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert len(ts) == summary["horizon_months"] == 150
    assert summary["seed"] == "3"
    assert ts["n_ever_moved"].iloc[-1] == summary["households_moved"]
    assert ts["n_in_community"].iloc[-1] == summary["households_in_community_final"]
    text = capsys.readouterr().out
    assert "Share moved" in text and "期末已入住比例" in text


def test_run_without_scenario_runs_builtin_nanpu(tmp_path):
    out = tmp_path / "o"
    assert main(["run", "--out", str(out), "--no-figures", "--quiet", *FAST]) == 0
    summary = json.loads((out / "summary.json").read_text(encoding="utf-8"))
    assert summary["scenario"] == "nanpu" and summary["villages"] == 28


def test_non_empty_output_folder_is_refused_without_force(tmp_path, capsys):
    out = tmp_path / "o"
    out.mkdir()
    (out / "precious.txt").write_text("keep me")
    rc = main(["run", "scenarios/teaching.yaml", "--out", str(out), "--no-figures", *FAST])
    assert rc == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "precious.txt").read_text() == "keep me"
    # --force replaces only a folder ruralsim wrote, never a user's (issue 9)
    assert main(["run", "scenarios/teaching.yaml", "--out", str(out), "--no-figures", "--force",
                 "--quiet", *FAST]) == 2
    assert (out / "precious.txt").read_text() == "keep me"
    assert main(["run", "scenarios/teaching.yaml", "--out", str(tmp_path / "r"), "--no-figures",
                 "--quiet", *FAST]) == 0
    assert main(["run", "scenarios/teaching.yaml", "--out", str(tmp_path / "r"), "--no-figures",
                 "--force", "--quiet", *FAST]) == 0
    assert (tmp_path / "r" / "summary.json").exists()


def test_bad_scenario_leaves_previous_outputs_untouched(tmp_path, capsys):
    out = tmp_path / "o"
    assert main(["run", "scenarios/teaching.yaml", "--out", str(out), "--no-figures", "--quiet",
                 *FAST]) == 0
    before = (out / "summary.json").read_bytes()
    rc = main(["run", "scenarios/teaching.yaml", "--out", str(out), "--force",
               "--set", "government.opening_cash_cny=-5"])
    err = capsys.readouterr().err
    assert rc == 2 and "government.opening_cash_cny" in err and "Traceback" not in err
    assert (out / "summary.json").read_bytes() == before
    assert not list(tmp_path.glob(".o.tmp-*"))


def test_set_override_changes_the_run(tmp_path):
    out = tmp_path / "o"
    assert main(["run", "scenarios/teaching.yaml", "--out", str(out), "--no-figures", "--quiet",
                 "--set", "run.horizon_months=24"]) == 0
    assert len(pd.read_csv(out / "timeseries.csv")) == 24


def test_validate_reports_valid_scenario(capsys):
    assert main(["validate", "scenarios/nanpu.yaml"]) == 0
    assert "28 villages" in capsys.readouterr().out


def test_usage_errors_exit_2(capsys):
    with pytest.raises(SystemExit) as e:
        main(["run", "--seed", "abc"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["frobnicate"])
    assert e.value.code == 2
    assert main([]) == 2


def test_check_flag_runs_invariants(tmp_path):
    assert main(["run", "scenarios/teaching.yaml", "--check", "--no-figures", "--quiet",
                 "--out", str(tmp_path / "c")]) == 0


@pytest.mark.parametrize("lang", ["zh", "en"])
def test_figures_have_no_missing_glyphs(tmp_path, lang):
    import ruralsim
    from ruralsim.report.fonts import find_cjk_font
    from ruralsim.report.plots import save_figures

    if lang == "zh" and find_cjk_font() is None:
        pytest.skip("no CJK font installed (CI installs fonts-wqy-microhei)")
    r = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
    with warnings.catch_warnings():
        warnings.filterwarnings("error", message=".*[Gg]lyph.*missing.*")
        warnings.filterwarnings("error", message=".*missing from font.*")
        paths = save_figures(r, tmp_path, lang=lang)
    assert all(p.stat().st_size > 10_000 for p in paths)
