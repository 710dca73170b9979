"""The notebooks run top to bottom as a user runs them (started from notebooks/, the way
Jupyter starts them), their figure cells show figures, and they are stored without outputs."""
import os
import re
import time
from pathlib import Path

import pytest

NOTEBOOKS = sorted((Path(__file__).resolve().parents[1] / "notebooks").glob("*.ipynb"))
#: a cell that draws: it calls a plot_* function or plt.show()
DRAWS = re.compile(r"\bplot_\w+\(|\bplt\.show\(\)")


def test_there_are_three_notebooks():
    assert [p.stem[:2] for p in NOTEBOOKS] == ["01", "02", "03"]


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_is_stored_without_outputs(path):
    nbformat = pytest.importorskip("nbformat")
    nb = nbformat.read(path, as_version=4)
    for cell in nb.cells:
        if cell.cell_type == "code":
            assert not cell.outputs and cell.execution_count is None


@pytest.mark.parametrize("path", NOTEBOOKS, ids=lambda p: p.stem)
def test_notebook_runs_from_its_folder_and_shows_its_figures(path, executed):
    nb = executed[path.stem[:2]][0]
    code = [c for c in nb.cells if c.cell_type == "code"]
    errors = [o for c in code for o in c.outputs if o.output_type == "error"]
    assert not errors
    drawing = [c for c in code if DRAWS.search(c.source)]
    assert drawing, "every notebook draws something"
    for c in drawing:
        images = [o for o in c.outputs if "image/png" in o.get("data", {})]
        assert len(images) == 1, (len(images), c.source)   # shown once, not twice


# ------------------------------------------------ the words of the notebooks and their numbers
#: run after a notebook's own cells, in its kernel: the numbers its sentences were written from
CHECKS = {
    "01": """
import json as _j
from ruralsim.report.labels import type_label as _tl
from ruralsim.report.lessons import display_name as _dn
print("__CHECK__" + _j.dumps({
    "lang": LANG,
    "moves": {c: {k: (None if v != v else v) for k, v in moves[c].items()} for c in moves},
    "labels": {tn: _tl(sc, tn, LANG) for tn in moves.index},
    "names": {c: _dn(c, LANG) for c in moves},
    "cf": {k: cf[k] for k in ("moved_only_in_run", "exposure_household_months_difference")},
    "after": int(after),
    "main": main[["metric", "effect", "mean", "ci_low", "ci_high"]].to_dict("records"),
    "cmp": table[["metric", "scenario", "diff_vs_first", "diff_ci_low",
                  "diff_ci_high"]].to_dict("records"),
    "cmp_names": {s: _dn(s, LANG) for s in cmp.names}}, default=float))
""",
    "02": """
import json as _j
print("__CHECK__" + _j.dumps({"binds": binds[["metric", "scenario", "mean"]].to_dict("records"),
                              "names": list(cmp.names)}, default=float))
""",
    "03": """
import json as _j
print("__CHECK__" + _j.dumps({p: grid.groupby(p)[list(CAUSAL)].mean().to_dict("list")
                              for p in ("threshold_share", "b_service")}))
""",
}


def _printed(nb, marker: str) -> list[str]:
    """The lines printed by the code cells whose source holds ``marker``."""
    out = []
    for c in nb.cells:
        if c.cell_type == "code" and marker in c.source:
            out += [ln for o in c.outputs if o.output_type == "stream"
                    for ln in o.text.splitlines()]
    return out


@pytest.fixture(scope="module")
def executed():
    """Each notebook run once, with a last cell that prints the numbers behind its words."""
    nbformat = pytest.importorskip("nbformat")
    nbclient = pytest.importorskip("nbclient")
    pytest.importorskip("ipykernel")
    pytest.importorskip("SALib")
    import json

    # as a user's Jupyter: whatever the test run set, the kernel chooses its own backend
    backend = os.environ.pop("MPLBACKEND", None)
    done = {}
    for path in NOTEBOOKS:
        start = time.perf_counter()
        nb = nbformat.read(path, as_version=4)
        nb.cells.append(nbformat.v4.new_code_cell(CHECKS[path.stem[:2]]))
        nbclient.NotebookClient(nb, timeout=600, kernel_name="python3",
                                resources={"metadata": {"path": str(path.parent)}}).execute()
        line = next(ln for ln in _printed(nb, "__CHECK__") if ln.startswith("__CHECK__"))
        done[path.stem[:2]] = (nb, json.loads(line[len("__CHECK__"):]))
        print(f"{path.name}: {time.perf_counter() - start:.1f} s")
    if backend is not None:
        os.environ["MPLBACKEND"] = backend
    return done


def _bullets(nb, marker: str) -> list[str]:
    return [ln[2:] for ln in _printed(nb, marker) if ln.startswith("• ")]


MONTHS = re.compile(r"(提前|推迟)约(\d+)个月\[(\d+), (\d+)\]|(\d+) months? (sooner|later) "
                    r"\[(\d+), (\d+)\]")


def _month_claims(sentence: str):
    """(sooner?, months, low, high) of every timing claim in ``sentence``."""
    for m in MONTHS.finditer(sentence):
        if m.group(1):
            yield m.group(1) == "提前", int(m.group(2)), int(m.group(3)), int(m.group(4))
        else:
            yield m.group(6) == "sooner", int(m.group(5)), int(m.group(7)), int(m.group(8))


def _agrees(claim, mean, low, high) -> bool:
    sooner, n, a, b = claim
    return (sooner == (high < 0) and (low > 0 or high < 0) and n == round(abs(mean))
            and sorted((a, b)) == sorted((round(abs(low)), round(abs(high)))))


def test_notebook_01_says_who_moves_first_as_its_table_shows(executed):
    nb, num = executed["01"]
    lines = _bullets(nb, "who_moves_first(")
    assert len(lines) == len(num["labels"])
    for tn, label in num["labels"].items():
        line = next(ln for ln in lines if ln.startswith(label))
        months = {s: num["moves"][s][tn] for s in num["moves"]}
        best = min(v for v in months.values() if v is not None)
        first = [s for s, v in months.items() if v == best]
        assert f"{best:g}" in line
        if len(first) == len(months):
            assert "没有先后" in line or "same median month" in line
        else:
            head = line.split("；" if num["lang"] == "zh" else ";")[0]
            for s in months:   # the first named in the first clause, no other
                assert (num["names"][s] in head) == (s in first), (s, line)
            for s, v in months.items():
                assert s in first or f"{v:g}" in line


def test_notebook_01_states_effects_and_costs_from_its_numbers(executed):
    nb, num = executed["01"]
    cost = _bullets(nb, "withdrawal_cost_lessons(")
    only, after = num["cf"]["moved_only_in_run"], num["after"]
    assert str(only) in cost[0] and str(after) in cost[0]
    assert (("多" in cost[0] or "more" in cost[0]) if after > only else
            ("少" in cost[0] or "fewer" in cost[0]) if after < only else True)
    assert f"{round(num['cf']['exposure_household_months_difference']):,}" in cost[-1]
    # every timing claim of the decomposition agrees with its effect and interval
    from ruralsim.report.lessons import COMPONENT_NAMES

    effects = {(r["effect"], r["metric"]): r for r in num["main"]}
    checked = 0
    for line in _bullets(nb, "decomposition_lessons("):
        comp = next((c for c, names in COMPONENT_NAMES.items()
                     if line.startswith(names[0]) or line.startswith(names[1])), None)
        if comp is None:
            continue
        for claim in _month_claims(line):
            cands = [effects[(comp, m)] for m in ("months_to_50pct_moved", "months_to_90pct_moved")
                     if (comp, m) in effects]
            assert any(_agrees(claim, r["mean"], r["ci_low"], r["ci_high"]) for r in cands), line
            checked += 1
    # and every timing claim of the comparison agrees with its paired difference
    diffs = {(r["scenario"], r["metric"]): r for r in num["cmp"]}
    for line in _bullets(nb, "comparison_lessons("):
        scen = next(s for s, shown in num["cmp_names"].items()
                    if shown in line.split("，" if num["lang"] == "zh" else ",", 1)[1][:40])
        for claim in _month_claims(line):
            cands = [diffs[(scen, m)] for m in ("months_to_50pct_moved", "months_to_90pct_moved")]
            assert any(r["diff_vs_first"] is not None and r["diff_vs_first"] == r["diff_vs_first"]
                       and _agrees(claim, r["diff_vs_first"], r["diff_ci_low"], r["diff_ci_high"])
                       for r in cands), line
            checked += 1
    assert checked >= 2


def test_notebook_02_town_is_bound_by_money_and_says_so(executed):
    from ruralsim.report.lessons import MONEY_BINDS

    nb, num = executed["02"]
    lines = _bullets(nb, "financing_lessons(")
    assert len(lines) == len(num["names"])
    for name, line in zip(num["names"], lines):
        means = {r["metric"]: r["mean"] for r in num["binds"] if r["scenario"] == name}
        binds = any(round(means[m], 1) > 0 for m, _, _ in MONEY_BINDS)
        assert ("money binds" in line) == binds and ("does not bind" in line) == (not binds)
        for m, _, en in MONEY_BINDS:
            if round(means[m], 1) > 0:
                assert f"{en} {means[m]:,.1f}" in line
    base = {r["metric"]: r["mean"] for r in num["binds"] if r["scenario"] == num["names"][0]}
    assert base["plan_years_quota_binding"] > 0      # the town's own budget binds


def test_notebook_03_analyses_causal_metrics_and_says_what_its_grid_shows(executed):
    nb, num = executed["03"]
    source = "".join(c.source for c in nb.cells[:-1])
    assert "households_registered_after_withdrawal" not in source
    assert 'counterfactual="no_withdrawal"' in source
    lines = _bullets(nb, "response_lessons(")
    for param, label in (("threshold_share", "withdrawal threshold"), ("b_service", "b_service")):
        for metric, values in num[param].items():
            line = next(ln for ln in lines if label in ln and
                        ("because of withdrawal" in ln) == (metric.startswith("moved")))
            a, b = values[0], values[-1]
            assert " → ".join(f"{v:,.0f}" for v in values) in line
            word = "hardly changes" if round(a) == round(b) else "rises" if b > a else "falls"
            assert word in line
