"""Scenario discovery with EMA Workbench's PRIM over a small sweep whose failing region is
known by construction: the runs with a horizon under 40 months (``horizon_months`` is a
metric of every run), whatever the land rent."""
from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

pytest.importorskip("ema_workbench")

import ruralsim  # noqa: E402
from ruralsim.bridges.prim import discover, parse_condition  # noqa: E402
from ruralsim.errors import UsageError  # noqa: E402

SWEEP = """base: teaching
parameters:
  run.horizon_months: [12, 24, 36, 48, 60, 72]
  land.rent_cny_per_mu_per_year: [500, 800, 1100]
design: {method: grid}
replications: 2
metrics: [share_moved, horizon_months, months_to_90pct_moved]
"""


@pytest.fixture(scope="module")
def sweep_out(tmp_path_factory):
    d = tmp_path_factory.mktemp("discover")
    (d / "s.yaml").write_text(SWEEP, encoding="utf-8")
    ruralsim.sweep(d / "s.yaml", d / "s-out")
    return d / "s-out"


def _cli(*args, cwd):
    env = {**os.environ, "PYTHONWARNINGS": "ignore"}
    return subprocess.run([sys.executable, "-m", "ruralsim", "discover", *map(str, args)],
                          capture_output=True, text=True, cwd=cwd, env=env)


def test_prim_finds_the_region_built_into_the_sweep(sweep_out):
    d = discover(sweep_out, "horizon_months < 40")
    assert d.stats["cases"] == 36 and d.stats["cases_failing"] == 18
    assert d.stats["coverage"] == 1.0 and d.stats["density"] == 1.0
    box = d.box.set_index("parameter")
    assert box.loc["run.horizon_months", "restricted"]
    assert box.loc["run.horizon_months", "upper"] == 36
    assert not box.loc["land.rent_cny_per_mu_per_year", "restricted"]
    traj = d.trajectory
    assert {"coverage", "density", "mass", "res_dim"} <= set(traj.columns)
    assert traj["chosen"].sum() == 1 and traj.loc[d.chosen, "chosen"]
    # the first box holds everything: coverage 1, density = the share failing
    assert traj.loc[0, "mass"] == 1.0 and traj.loc[0, "density"] == pytest.approx(0.5)
    # the same from results.csv as from the folder (results.parquet)
    c = discover(sweep_out / "results.csv", "horizon_months < 40")
    assert c.box.equals(d.box) and c.stats["cases"] == 36


def test_a_censored_time_counts_as_later_than_any_month(sweep_out):
    # 90% never move within 72 months in the teaching case: every run is censored, so every
    # run "takes longer than 60 months": nothing to tell apart
    with pytest.raises(UsageError, match="every run"):
        discover(sweep_out, "months_to_90pct_moved > 60")
    # joined with a region that does not fail, 'and' brings it back
    d = discover(sweep_out, "months_to_90pct_moved > 60 and horizon_months < 40")
    assert d.stats["cases_failing"] == 18


def test_one_case_per_design_point(sweep_out):
    d = discover(sweep_out, "horizon_months < 40", per_point=True)
    assert d.stats["cases"] == 18 and d.stats["cases_failing"] == 9
    assert d.box.set_index("parameter").loc["run.horizon_months", "upper"] == 36


def test_conditions_are_parsed_or_refused():
    c = parse_condition("share_moved < 0.8 or months_to_90pct_moved >= 1.2e2")
    assert c.join == "or" and c.terms == [("share_moved", "<", 0.8),
                                          ("months_to_90pct_moved", ">=", 120.0)]
    for bad in ("", "share_moved", "share_moved << 1", "a < 1 and b > 2 or c < 3",
                "share_moved = 1"):
        with pytest.raises(UsageError):
            parse_condition(bad)


def test_discover_command_writes_the_table_and_the_figure(sweep_out, tmp_path, capsys):
    from ruralsim.cli import main

    out = tmp_path / "disc"
    assert main(["discover", str(sweep_out), "--where", "horizon_months < 40", "--out",
                 str(out), "--lang", "en"]) == 0
    printed = capsys.readouterr().out
    assert "run.horizon_months" in printed and "coverage 1.00" in printed
    assert {"trajectory.csv", "box.csv", "discovery.json", "tradeoff.png"} <= {
        p.name for p in out.iterdir()}
    stats = json.loads((out / "discovery.json").read_text(encoding="utf-8"))
    assert stats["density"] == 1.0 and stats["restricted"] == 1


@pytest.mark.parametrize("args, message", [
    (["--where", "share_moovd < 0.5"], "no metric 'share_moovd'"),
    (["--where", "share_moved <> 0.5"], "METRIC OP NUMBER"),
    (["--where", "share_moved < 2"], "every run"),
    (["--where", "horizon_months < 40", "--box", "99"], "box must be from 0"),
    (["--where", "horizon_months < 40", "--threshold", "1.5"], "threshold"),
])
def test_bad_input_exits_2_with_a_bilingual_message_and_writes_nothing(sweep_out, tmp_path,
                                                                       capsys, args, message):
    from ruralsim.cli import main

    out = tmp_path / "disc"
    assert main(["discover", str(sweep_out), *args, "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err)
    assert not out.exists()


def test_a_missing_results_file_exits_2_without_a_traceback(tmp_path):
    r = _cli(tmp_path / "nothere", "--where", "share_moved < 0.8", cwd=tmp_path)
    assert r.returncode == 2 and "nothere" in r.stderr and "Traceback" not in r.stderr


def test_a_finished_sweep_becomes_a_salib_problem_spec(sweep_out):
    pytest.importorskip("SALib")
    import pandas as pd

    from ruralsim.bridges.salib import from_sweep

    sp = from_sweep(sweep_out, ["share_moved", "months_to_90pct_moved"])
    table = pd.read_csv(sweep_out / "results.csv")
    assert sp["names"] == ["run.horizon_months", "land.rent_cny_per_mu_per_year"]
    assert sp.samples.shape == (18, 2) and sp.results.shape == (18, 2)
    per_point = table.groupby("point")
    assert list(sp.results[:, 0]) == list(per_point["share_moved"].mean())
    # never reached: horizon + 1 of each run, and the share censored is kept
    assert list(sp.results[:, 1]) == list(per_point["run.horizon_months"].first() + 1)
    assert sp.censored_share == {"months_to_90pct_moved": 1.0}


def test_the_command_line_parser_stays_light():
    code = ("import sys; from ruralsim.cli import build_parser; build_parser(); "
            "print(sorted(m for m in ('numpy', 'pandas', 'ema_workbench') if m in sys.modules))")
    r = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert r.returncode == 0 and r.stdout.strip() == "[]", r.stdout + r.stderr
