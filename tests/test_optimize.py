"""ruralsim optimize and the budget (issue 24): the budget check in the summary and on screen,
a search with a known answer, resuming a study, the spec's errors, and the finalists' scenario
files reproducing their numbers under ``ruralsim run``.  Small problems: the teaching
villages over a short horizon, two or three replications."""
from __future__ import annotations

import json
import math
import sys

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import ruralsim
from ruralsim.cli import main
from ruralsim.errors import UsageError
from ruralsim.optimize import replication_seeds
from ruralsim.optimize.spec import (SpecError, canonical_quantity, load_spec, parse_constraint,
                                    parse_spec)

optuna = pytest.importorskip("optuna")

SHORT = ["run.horizon_months=36"]
SUBSIDY = {"key": "policy.instruments.cash_subsidy.value_cny",
           "also": ["policy.instruments.cash_subsidy.cost_once_cny"]}


# ----------------------------------------------------------------------------- the budget
def _run(budget: dict, horizon: int = 30):
    sets = [f"run.horizon_months={horizon}"] + [f"government.budget.{k}={v}"
                                                for k, v in budget.items()]
    return ruralsim.simulate(ruralsim.load_scenario("teaching", sets), seed=3)


def test_budget_in_the_summary_passes_and_fails_against_the_public_cost():
    free = _run({})
    b = free.summary["budget"]
    assert b["total_cny"] is None and b["pass"] is None and b["within_total"] is None
    assert b["public_cost_cny"] == free.summary["total_public_cost_cny"]
    ts = free.timeseries
    exp = [c for c in ts.columns if c.startswith("exp_") and c != "exp_debt_repayment_cny"]
    yearly = ts[exp].sum(axis=1).groupby(ts["date"].str[:4]).sum()
    assert b["max_year_cost_cny"] == pytest.approx(yearly.max())
    assert b["max_year"] == int(yearly.idxmax())
    cost, peak = b["public_cost_cny"], b["max_year_cost_cny"]
    ok = _run({"total_cny": cost * 1.01, "per_year_cny": peak * 1.01}).summary["budget"]
    assert ok["within_total"] and ok["within_per_year"] and ok["pass"] is True
    over = _run({"total_cny": cost * 0.99}).summary["budget"]
    assert over["within_total"] is False and over["within_per_year"] is None
    assert over["pass"] is False
    year = _run({"total_cny": cost * 2, "per_year_cny": peak * 0.5}).summary["budget"]
    assert year["within_total"] and year["within_per_year"] is False and year["pass"] is False
    # the budget is a statement, not a rule of the model: no number moves
    assert _run({"total_cny": 1.0}).timeseries.equals(free.timeseries)


def test_run_prints_the_budget_check_in_both_languages(tmp_path, capsys):
    assert main(["run", "teaching", "--set", "run.horizon_months=12", "--set",
                 "government.budget.total_cny=1", "--no-figures", "--out",
                 str(tmp_path / "a")]) == 0
    out = capsys.readouterr().out
    assert "预算检查 / budget check: 未通过 / FAIL" in out and "总公共成本 / total public cost" in out
    assert main(["run", "teaching", "--set", "run.horizon_months=12", "--no-figures",
                 "--out", str(tmp_path / "b")]) == 0
    assert "预算检查" not in capsys.readouterr().out      # no budget stated: no check


def test_budget_metrics_are_declared():
    from ruralsim.metrics import info

    for k in ("budget.public_cost_cny", "budget.max_year_cost_cny", "budget.pass",
              "budget.within_total", "budget.within_per_year", "budget.total_cny"):
        assert info(k) is not None, k
    assert info("budget.public_cost_cny").better == -1


# ----------------------------------------------------------------------------- known answer
def test_the_cheapest_subsidy_that_meets_a_monotone_target_is_found(tmp_path):
    """Brute force on a coarse grid with the same seeds; the optimiser must agree."""
    grid = [0, 6000, 12000, 18000]
    seeds = replication_seeds(5, 3)
    share, cost = [], []
    for v in grid:
        sc = ruralsim.load_scenario("teaching", [*SHORT, f"{SUBSIDY['key']}={v}",
                                                 f"{SUBSIDY['also'][0]}={v}"])
        runs = [ruralsim.simulate(sc, seed=s) for s in seeds]
        share.append(np.mean([r.timeseries["n_ever_moved"].iloc[35] / 600 for r in runs]))
        cost.append(np.mean([r.summary["total_public_cost_cny"] for r in runs]))
    assert np.all(np.diff(share) > 0) and np.all(np.diff(cost) > 0)   # monotone: one answer
    target = (share[1] + share[2]) / 2            # the cheapest level above it: 12000
    res = ruralsim.optimize(
        "teaching", [{**SUBSIDY, "range": [0, 18000], "step": 6000}],
        [f"share_moved_by_month[36] >= {target}"], [{"minimize": "public_cost_cny"}],
        n_trials=10, replications=3, confirm_replications=3, confidence=0.5, seed=5,
        sampler="grid", overrides=SHORT)
    cand = res.candidates.set_index(SUBSIDY["key"])
    assert sorted(cand.index) == grid                      # the grid, each point once
    assert list(cand.loc[grid, "feasible"]) == [False, False, True, True]
    assert cand.loc[12000, "share_moved_by_month[36]__mean"] == pytest.approx(share[2])
    assert cand.loc[6000, "total_public_cost_cny__mean"] == pytest.approx(cost[1])
    assert res.recommended is not None
    assert json.loads(res.recommended["levers_json"]) == {SUBSIDY["key"]: 12000}
    assert not res.baseline["feasible"]       # the scenario's own 2,000 CNY misses the target
    assert "share_moved_by_month[36]" in res.baseline["misses"][0]
    # a target nothing in the range reaches: none recommended, and the reason says so
    none = ruralsim.optimize(
        "teaching", [{**SUBSIDY, "range": [0, 18000], "step": 6000}],
        ["share_moved_by_month[36] >= 0.99"], [{"minimize": "public_cost_cny"}],
        n_trials=4, replications=3, confirm_replications=3, seed=5, sampler="grid",
        overrides=SHORT)
    assert none.recommended is None and "no package within the lever ranges" in none.reason
    assert "share_moved_by_month[36]" in none.reason


# ----------------------------------------------------------------------------- resume
LEVERS = [{**SUBSIDY, "range": [0, 20000], "step": 1000},
          {"key": "government.phase_rule", "choices": ["planner_order", "demand_first"]}]


def test_a_search_resumes_from_its_study_without_running_finished_trials(tmp_path,
                                                                         monkeypatch):
    from ruralsim.optimize import search

    out = tmp_path / "opt"
    kw = dict(levers=LEVERS, constraints=["share_moved_by_month[24] >= 0.2"],
              objectives=[{"minimize": "public_cost_cny"}, {"maximize": "share_moved"}],
              replications=2, confirm_replications=2, seed=2,
              overrides=["run.horizon_months=24"], out_dir=out)
    first = ruralsim.optimize("teaching", n_trials=4, **kw)
    assert first.trials_found == 0 and first.trials_run == 4 and len(first.candidates) == 4
    calls = []
    real = search.evaluate
    monkeypatch.setattr(search, "evaluate", lambda *a, **k: calls.append(1) or real(*a, **k))
    again = ruralsim.optimize("teaching", n_trials=8, **kw)
    assert again.trials_found == 4 and again.trials_run == 4 and len(again.candidates) == 8
    new = again.candidates[again.candidates["trial"] >= 4]
    assert len(calls) == int(new["same_as_trial"].isna().sum()) <= 4   # only the new ones ran
    for t in range(4):
        assert again.per_rep[t] == first.per_rep[t]
    study = optuna.load_study(study_name=again.study_name,
                              storage=f"sqlite:///{out / 'study.sqlite3'}")
    assert len(study.trials) == 8
    # the confirmation runs are kept too: asking again runs nothing at all
    confirmed = ruralsim.optimize("teaching", n_trials=8, **{**kw, "confirm_replications": 3})
    calls.clear()
    same = ruralsim.optimize("teaching", n_trials=8, **{**kw, "confirm_replications": 3})
    assert calls == [] and same.finalists.equals(confirmed.finalists)
    assert (same.finalists["reps"] == 3).all()
    # the folder holds this search: another one is refused without --force, replaced with it
    with pytest.raises(UsageError, match="another search"):
        ruralsim.optimize("teaching", n_trials=1, **{**kw, "seed": 3})
    other = ruralsim.optimize("teaching", n_trials=1, force=True, **{**kw, "seed": 3})
    assert other.trials_found == 0 and len(other.candidates) == 1


# ----------------------------------------------------------------------------- reproduction
def test_finalist_yaml_reproduces_its_numbers_under_ruralsim_run(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(
        "levers:\n"
        f"  - {{key: {SUBSIDY['key']}, also: [{SUBSIDY['also'][0]}], range: [0, 8000], "
        "step: 4000}\n"
        "  - {key: packages, choices: [[], [study_tours]]}\n"
        "constraints: ['share_moved_by_month[24] >= 0.1', 'months_in_arrears <= 12']\n"
        "objectives: [{minimize: public_cost_cny}, {maximize: 'share_moved_by_month[24]'}]\n"
        "replications: 2\nconfirm_replications: 3\nfinalists: 2\nconfidence: 0.5\nseed: 4\n"
        "sampler: grid\n", encoding="utf-8")
    out = tmp_path / "opt"
    argv = ["optimize", "teaching", "--spec", str(spec), "--out", str(out), "--set",
            "run.horizon_months=24", "--set", "government.budget.total_cny=1e9"]
    assert main(argv) == 0
    printed = capsys.readouterr()
    assert "推荐 / recommended" in printed.out and "0 trials found" in printed.err
    for name in ("candidates.csv", "finalists.csv", "optimize.md", "optimize.html",
                 "figures/tradeoff.png", "recommended.yaml", "optimize.json", "study.sqlite3"):
        assert (out / name).is_file(), name
    cand = pd.read_csv(out / "candidates.csv", encoding="utf-8-sig")
    assert len(cand) == 6 and {"total_public_cost_cny__ci_low", "feasible", "pareto"} <= \
        set(cand.columns)
    md = (out / "optimize.md").read_text(encoding="utf-8")
    assert "方案优化 / Package optimisation" in md and "total_public_cost_cny <= budget" in md
    assert "现行方案" in md and "the scenario as it is" in md
    record = json.loads((out / "optimize_result.json").read_text(encoding="utf-8"))
    assert record["recommended"] == yaml_trial(out / "recommended.yaml")
    assert record["budget"] == {"total_cny": 1e9, "per_year_cny": None}
    assert any(f["recommended"] for f in record["finalists"])
    rec = yaml_trial(out / "recommended.yaml")
    seeds = replication_seeds(4, 3)
    for rep in (0, 1):
        run_out = tmp_path / f"run{rep}"
        extra = ["--seed", str(seeds[rep])] if rep else []
        assert main(["run", str(out / "recommended.yaml"), "--out", str(run_out),
                     "--no-figures", "--quiet", *extra]) == 0
        summary = json.loads((run_out / "summary.json").read_text(encoding="utf-8"))
        ts = pd.read_csv(run_out / "timeseries.csv", encoding="utf-8-sig")
        per = _per_rep(out, rec)
        assert summary["total_public_cost_cny"] == per["total_public_cost_cny"][rep]
        assert summary["months_in_arrears"] == per["months_in_arrears"][rep]
        assert ts["n_ever_moved"].iloc[23] / summary["households"] == \
            per["share_moved_by_month[24]"][rep]
    # a second call finds the whole grid done and changes nothing
    assert main(argv) == 0
    assert "6 trials found" in capsys.readouterr().err


def yaml_trial(path) -> int:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    return int(first.split("trial ")[1].split()[0])


def _per_rep(out, trial: int) -> dict:
    study_name = json.loads((out / "optimize.json").read_text(encoding="utf-8"))["study_name"]
    study = optuna.load_study(study_name=study_name, storage=f"sqlite:///{out / 'study.sqlite3'}")
    return study.trials[trial].user_attrs["per_rep"]


# ----------------------------------------------------------------------------- the spec
GOOD = ("levers:\n  - {key: policy.instruments.cash_subsidy.value_cny, range: [0, 4000]}\n"
        "constraints: ['share_moved >= 0.5']\nobjectives: [{minimize: public_cost_cny}]\n")


@pytest.mark.parametrize("text, where, words", [
    (GOOD.replace("range: [0, 4000]", "range: [4000, 0]"), ".yaml:2: levers.0",
     "low must not exceed high"),
    (GOOD.replace("share_moved >= 0.5", "share_moved = 0.5"), ".yaml:3: constraints.0",
     "约束须写作"),
    (GOOD.replace("share_moved >=", "households_pushed >="), "constraints.0", "unknown quantity"),
    (GOOD.replace("share_moved >= 0.5", "public_cost_cny <= budget"), "constraints.0",
     "states no government.budget.total_cny"),
    (GOOD.replace("cash_subsidy.value_cny", "cash_subsidy.valu_cny"), "levers.0.range",
     "valu_cny"),
    (GOOD.replace("{minimize: public_cost_cny}", "{minimize: a, maximize: b}"), "objectives.0",
     "须写 minimize"),
    (GOOD + "trials: 100000\n", "trials", "less than or equal"),
    (GOOD + "levers2: 1\n", "levers2", ""),
    (GOOD.replace("constraints: ['share_moved >= 0.5']",
                  "constraints: ['share_moved_by_month[400] >= 0.5']"), "constraints.0",
     "from 1 to the horizon"),
])
def test_spec_errors_name_file_key_and_line_and_exit_2(tmp_path, capsys, text, where, words):
    spec = tmp_path / "spec.yaml"
    spec.write_text(text, encoding="utf-8")
    assert main(["optimize", "teaching", "--spec", str(spec), "--out",
                 str(tmp_path / "o")]) == 2
    err = capsys.readouterr().err
    assert "invalid optimisation spec / 优化设定有误" in err and str(spec) in err
    assert where in err and words in err and "Traceback" not in err
    assert not (tmp_path / "o").exists()


def test_without_optuna_optimize_says_how_to_install_it(tmp_path, capsys, monkeypatch):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD, encoding="utf-8")
    monkeypatch.setitem(sys.modules, "optuna", None)
    assert main(["optimize", "teaching", "--spec", str(spec), "--out",
                 str(tmp_path / "o")]) == 2
    assert "pip install 'ruralsim[optimize]'" in capsys.readouterr().err


def test_bounds_of_a_search_are_refused_clearly(tmp_path, capsys):
    spec = tmp_path / "spec.yaml"
    spec.write_text(GOOD, encoding="utf-8")
    assert main(["optimize", "teaching", "--spec", str(spec), "--out", str(tmp_path / "o"),
                 "--replications", "1"]) == 2
    assert "--replications must be from 2" in capsys.readouterr().err
    with pytest.raises(SpecError, match="runs, more than"):
        parse_spec({**load_spec(spec)[0].model_dump(), "trials": 5000, "replications": 200,
                    "confirm_replications": 200})


def test_the_example_spec_is_valid_for_the_teaching_budget_scenario():
    from ruralsim.optimize.search import build_problem
    from ruralsim.scenario.load import BUILTIN_DIR

    spec, doc = load_spec(BUILTIN_DIR / "optimize" / "teaching_budget.yaml")
    problem = build_problem(ruralsim.load_scenario("teaching_budget"), spec, doc.file, doc.lines)
    texts = [c.text for c in problem.constraints]
    assert "total_public_cost_cny <= budget" in texts       # the stated budget, added
    assert "budget.max_year_cost_cny <= budget.per_year_cny" in texts


QUANTITIES = st.sampled_from(["share_moved", "months_in_arrears", "public_cost_cny",
                              "share_moved_by_month[60]", "months_to_share_moved[0.8]",
                              "by_type.poor.moved"])


@settings(max_examples=60, deadline=None)
@given(q=QUANTITIES, op=st.sampled_from(["<=", ">=", "<", ">"]),
       x=st.floats(-1e9, 1e9, allow_nan=False), space=st.sampled_from(["", " ", "  "]))
def test_constraints_parse_to_quantity_direction_and_bound(q, op, x, space):
    c = parse_constraint(f"{space}{q}{space}{op}{space}{x!r}{space}")
    assert c.quantity == canonical_quantity(q) and c.op == {"<": "<=", ">": ">="}.get(op, op)
    assert c.bound == x


@settings(max_examples=80, deadline=None)
@given(st.text(max_size=40))
def test_any_constraint_text_parses_or_is_refused_with_a_message(text):
    try:
        c = parse_constraint(text)
    except ValueError as exc:
        assert "/" in str(exc)           # bilingual
    else:
        assert c.op in ("<=", ">=") and (isinstance(c.bound, str) or math.isfinite(c.bound))


_VALUES = st.recursive(st.none() | st.booleans() | st.integers(-5, 5) | st.text(max_size=5),
                       lambda v: st.lists(v, max_size=3) | st.dictionaries(
                           st.sampled_from(["key", "range", "choices", "minimize", "x"]), v,
                           max_size=3), max_leaves=8)


@settings(max_examples=80, deadline=None)
@given(st.dictionaries(st.sampled_from(["levers", "constraints", "objectives", "trials",
                                        "seed", "sampler", "oops"]), _VALUES, max_size=5))
def test_any_spec_data_validates_or_fails_with_a_spec_error(data):
    try:
        spec = parse_spec(data, "s.yaml")
    except SpecError as exc:
        assert exc.issues and all(i.file == "s.yaml" for i in exc.issues)
    else:
        assert spec.levers and spec.objectives


def test_output_folder_rules_as_for_every_command(tmp_path, capsys, monkeypatch):
    (tmp_path / "in").mkdir()
    spec = tmp_path / "in" / "spec.yaml"
    spec.write_text(GOOD, encoding="utf-8")
    monkeypatch.chdir(tmp_path)
    base = ["optimize", "teaching", "--spec", str(spec), "--set", "run.horizon_months=12"]
    assert main([*base, "--out", "."]) == 2                      # the current folder
    assert "current folder" in capsys.readouterr().err
    assert main([*base, "--out", str(tmp_path / "in")]) == 2     # holds the spec
    assert "input file" in capsys.readouterr().err
    other = tmp_path / "notes"
    other.mkdir()
    (other / "mine.txt").write_text("keep", encoding="utf-8")
    for extra in ([], ["--force"]):
        assert main([*base, "--out", str(other), *extra]) == 2    # not a search: never touched
        assert "holds no search" in capsys.readouterr().err
    assert (other / "mine.txt").read_text(encoding="utf-8") == "keep"
    assert [p.name for p in other.iterdir()] == ["mine.txt"]
