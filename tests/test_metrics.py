"""Metrics are named once (ruralsim.metrics): every metric declared with unit, direction and
censoring; experiments refuse unknown names with the list of valid ones; the commands, sweep
files and key paths the README and docs/experiments.md show are valid, and the cheap ones run;
sensitivity never imputes a missing outcome."""
from __future__ import annotations

import json
import re
import shlex
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
import yaml

from ruralsim.cli import build_parser, main
from ruralsim.errors import ScenarioError, UsageError
from ruralsim.experiments.sweep import (SweepSpec, build_design, check_metrics, design_runs,
                                        load_sweep, sensitivity)
from ruralsim.metrics import HEAVY_CENSORING, catalogue, check_metric_names, info, table
from ruralsim.results import metric_names
from ruralsim.scenario.load import BUILTIN_DIR, load_scenario

ROOT = Path(__file__).resolve().parents[1]
DOCS = (ROOT / "README.md", ROOT / "docs" / "experiments.md")
SCENARIO_FILES = sorted([*BUILTIN_DIR.glob("*.yaml"), *(BUILTIN_DIR / "strategies").glob("*.yaml"),
                         *(BUILTIN_DIR / "regimes").glob("*.yaml")])
SCENARIO_FILES = [f for f in SCENARIO_FILES if f.name != "household_types.yaml"]


@pytest.mark.parametrize("path", SCENARIO_FILES, ids=lambda p: p.stem)
def test_every_metric_of_every_builtin_scenario_is_declared(path):
    undeclared = [k for k in metric_names(path) if info(k) is None]
    assert not undeclared, f"declare these metrics in ruralsim/metrics.py: {undeclared}"


def test_declarations_agree_with_the_labels():
    from ruralsim.report.labels import METRICS

    for m in METRICS:
        i = info(m.key)
        assert i is not None and i.better == m.better and i.en == m.en, m.key
    assert info("months_to_90pct_moved").censored and info("median_move_month_by_type.poor").censored
    assert not any(i.censored for k, i in catalogue().items() if not ("month" in k))


def test_metrics_command_lists_unit_direction_and_censoring(capsys):
    assert main(["metrics", "--format", "json"]) == 0
    rows = {r["metric"]: r for r in json.loads(capsys.readouterr().out)}
    assert rows["months_to_90pct_moved"]["unit"] == "months"
    assert rows["months_to_90pct_moved"]["better"] == -1 and rows["months_to_90pct_moved"]["censored"]
    assert rows["share_moved"]["better"] == 1 and not rows["share_moved"]["censored"]
    assert rows["by_type.poor.moved"]["unit"] == "households"
    assert rows["households_moved_because_of_withdrawal"]["origin"] == "experiment"
    assert all(r["direction"] != "undeclared" for r in rows.values())
    assert main(["metrics"]) == 0
    out = capsys.readouterr().out
    assert "90%农户入住所需月数 / Months to 90% moved" in out and "more better / 越多越好" in out


def test_unknown_metric_names_are_refused_with_the_valid_ones():
    with pytest.raises(UsageError) as e:
        check_metric_names(["households_pushed"], "teaching")
    assert "households_pushed" in str(e.value) and "months_to_90pct_moved" in str(e.value)
    spec = SweepSpec(base="teaching", metrics=["share_moved", "nonsense"])
    with pytest.raises(ScenarioError) as e:
        check_metrics(spec, load_scenario("teaching"))
    assert "nonsense" in str(e.value) and "share_moved" in str(e.value)


@pytest.mark.parametrize("argv", [
    ["compare", "teaching", "--reps", "2", "--metrics", "households_pushed"],
    ["decompose", "teaching", "--reps", "2", "--metrics", "households_pushed",
     "--factors", "withdrawal"],
])
def test_compare_and_decompose_refuse_unknown_metrics(argv, tmp_path, capsys):
    assert main([*argv, "--out", str(tmp_path / "out"), "--workers", "1"]) == 2
    err = capsys.readouterr().err
    assert "households_pushed" in err and "valid metrics are" in err
    assert not (tmp_path / "out").exists()


def test_compare_and_decompose_accept_named_metrics():
    from ruralsim.experiments.decompose import decompose
    from ruralsim.experiments.replicate import compare

    ov = [("run.horizon_months", 24)]
    c = compare(["teaching"], reps=2, overrides=ov, metrics=["share_moved", "by_type.poor.moved"])
    assert set(c.table["metric"]) == {"share_moved", "by_type.poor.moved"}
    d = decompose("teaching", factors=["withdrawal"], reps=2, overrides=ov,
                  metrics=["share_moved", "households_moved_because_of_withdrawal"])
    assert set(d.effects["metric"]) == {"share_moved", "households_moved_because_of_withdrawal"}


# ----------------------------------------------------------------------- sensitivity
def _sobol_table(y: np.ndarray, metric: str) -> tuple[SweepSpec, pd.DataFrame]:
    spec = SweepSpec(base="teaching", parameters={"behaviour.b_service": {"low": 1, "high": 5},
                                                  "behaviour.b_attachment": {"low": 1, "high": 3}},
                     design={"method": "salib_sobol", "samples": 16}, metrics=[metric])
    runs = design_runs(spec, build_design(spec, BUILTIN_DIR))
    return spec, runs.assign(status="ok", error="", **{metric: list(y)})


def test_sensitivity_never_imputes_and_refuses_heavy_censoring():
    pytest.importorskip("SALib")
    rng = np.random.default_rng(1)
    n = 16 * 4
    y = rng.uniform(10, 100, n).astype(object)
    y[: int(0.3 * n)] = None                       # 30% never reached the threshold
    spec, tab = _sobol_table(y, "months_to_90pct_moved")
    said = []
    res = sensitivity(spec, tab, horizon=120, warn=said.append)
    assert res["note"].str.startswith("refused").all() and said
    assert res["censored_share"].iloc[0] > HEAVY_CENSORING
    assert "S1" not in res.columns or res["S1"].isna().all()
    y2 = rng.uniform(10, 100, n).astype(object)
    y2[:3] = None                                   # light censoring: horizon + 1, counted
    spec, tab = _sobol_table(y2, "months_to_90pct_moved")
    res = sensitivity(spec, tab, horizon=120, warn=said.append)
    assert res["censored_share"].iloc[0] == pytest.approx(3 / n)
    assert "horizon + 1" in res["note"].iloc[0] and np.isfinite(res["ST"]).all()
    assert {"S1_resolved", "ST_resolved", "ST_half_N"} <= set(res.columns)
    y3 = rng.uniform(0, 1, n).astype(object)
    y3[5] = None                                    # undefined, not censorable: refused
    spec, tab = _sobol_table(y3, "share_movers_worse_off")
    res = sensitivity(spec, tab, warn=said.append)
    assert res["note"].str.contains("no value is imputed").all()


def test_a_large_index_with_a_tight_interval_is_resolved_and_noise_is_not():
    pytest.importorskip("SALib")
    from ruralsim.experiments.sweep import indices, salib_problem, Range

    problem = salib_problem({"a": Range(low=0, high=1), "b": Range(low=0, high=1)})
    spec, tab = _sobol_table(np.zeros(16 * 4), "share_moved")
    x = tab[["behaviour.b_service", "behaviour.b_attachment"]].to_numpy()
    y = (x[:, 0] - 1) / 4 * 10 + np.random.default_rng(2).normal(0, 0.01, len(x))
    res = {r["parameter"]: r for r in indices("salib_sobol", problem, x, y)}
    assert res["a"]["ST_resolved"] and not res["b"]["ST_resolved"]


# ----------------------------------------------------------------------- the docs' examples
def _blocks(text: str, lang: str) -> list[str]:
    return re.findall(rf"```{lang}\n(.*?)```", text, flags=re.S)


def _commands() -> list[list[str]]:
    out = []
    for doc in DOCS:
        for block in _blocks(doc.read_text(encoding="utf-8"), "bash"):
            block = block.replace("\\\n", " ")
            for line in block.splitlines():
                line = line.split("  #")[0].strip()
                if line.startswith("ruralsim "):
                    out.append(shlex.split(line)[1:])
    return out


def test_docs_show_commands():
    cmds = _commands()
    assert len(cmds) >= 15 and {c[0] for c in cmds} >= {"run", "compare", "sweep", "decompose",
                                                       "metrics"}


@pytest.mark.parametrize("argv", _commands(), ids=lambda a: " ".join(a)[:60])
def test_documented_command_parses_and_its_key_paths_and_files_exist(argv):
    if "--help" in argv:
        return
    args = build_parser().parse_args(argv)
    for name in ("scenario", "scenarios", "sweep"):
        for s in np.atleast_1d(getattr(args, name, None) or []):
            s = str(s)
            if s.endswith(".yaml") and not s.startswith("my_"):
                assert (ROOT / s).is_file(), s
    overrides = getattr(args, "overrides", None) or []
    if overrides or getattr(args, "variants", None) or getattr(args, "packages", None):
        from ruralsim.experiments.replicate import build_scenarios

        first = (getattr(args, "scenarios", None) or [getattr(args, "scenario", None) or "nanpu"])
        first = [str(ROOT / s) if str(s).endswith(".yaml") else s for s in first]
        build_scenarios(first[:1], overrides, getattr(args, "packages", []) or [],
                        getattr(args, "variants", []) or [])
    if args.command == "sweep":   # a file of the checkout, or a shipped sweep by name
        spec, base_dir = load_sweep(ROOT / args.sweep if (ROOT / args.sweep).exists()
                                    else args.sweep)
        check_metrics(spec, load_scenario(base_dir / spec.base))


CHEAP = ("run", "compare", "decompose", "metrics")


@pytest.mark.parametrize("argv", [a for a in _commands() if a[0] in CHEAP and "--help" not in a
                                  and not any(x.startswith("my_") for x in a)],
                         ids=lambda a: " ".join(a)[:60])
def test_documented_command_runs_at_a_small_size(argv, tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    argv = list(argv)
    for opt in ("--out", "--reps", "--workers", "--seed"):
        while opt in argv:
            i = argv.index(opt)
            del argv[i:i + 2]
    extra = []
    if argv[0] != "metrics":
        extra = ["--out", str(tmp_path / "out"), "--set", "run.horizon_months=12"]
        extra += ["--reps", "2", "--workers", "1", "--quiet"] if argv[0] in ("compare", "decompose") \
            else ["--no-figures"]
    if argv[0] == "run" and "--xlsx" in argv:
        pytest.importorskip("openpyxl")
    assert main([*argv, *extra]) == 0


def test_every_sweep_file_and_documented_sweep_names_real_keys_and_metrics(tmp_path):
    files = sorted((BUILTIN_DIR / "sweeps").glob("*.yaml"))
    for f in files:
        spec, base_dir = load_sweep(f)
        base = load_scenario(base_dir / spec.base)
        check_metrics(spec, base)
        for key, p in spec.swept().items():          # crossed designs' spaces too
            value = p[0] if isinstance(p, list) else p.low
            load_scenario(base, [(key, int(value) if getattr(p, "integer", False) else value)])
    text = (ROOT / "docs" / "experiments.md").read_text(encoding="utf-8")
    sweeps = [b for b in _blocks(text, "yaml") if "parameters:" in b and "metrics:" in b]
    assert sweeps
    for b in sweeps:
        data = yaml.safe_load(b)
        f = BUILTIN_DIR / "sweeps" / "documented.yaml"
        spec = SweepSpec.model_validate(data)
        base = load_scenario(BUILTIN_DIR / "nanpu.yaml", list(spec.overrides.items()))
        check_metrics(spec, base, str(f))
        for key, p in spec.parameters.items():
            load_scenario(base, [(key, p[0] if isinstance(p, list) else p.low)])


def test_metric_table_rows_have_a_unit_and_direction():
    rows = table("teaching")
    assert all(r["unit"] and r["unit"] != "?" for r in rows)
    assert {r["better"] for r in rows} <= {-1, 0, 1}
