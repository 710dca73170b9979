"""Documentation that cannot go stale: the parameter reference, the order of work, the examples."""
from __future__ import annotations

import ast
import doctest
import inspect
import re
import textwrap
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import ruralsim
import ruralsim.model.loop as engine
from ruralsim.scenario import docs
from ruralsim.scenario.docs import BEGIN, END, parameter_rows, parameter_table
from ruralsim.scenario.load import builtin_path, load_scenario
from ruralsim.scenario.schema import Scenario
from ruralsim.model.state import STATUS_NAMES

ROOT = Path(__file__).resolve().parents[1]
SCENARIOS = ROOT / "src" / "ruralsim" / "scenarios"
README = SCENARIOS / "README.md"
MODEL_DOC = ROOT / "docs" / "model.md"
#: Top-level sections of a scenario: a backticked name starting with one of these in
#: docs/model.md is a parameter's key path.
SECTIONS = ("run", "household_types", "villages", "communities", "government", "services",
            "land", "behaviour", "livelihood", "policy", "strategy", "calibration")


def _cells(table: str) -> list[list[str]]:
    """The body rows of a Markdown table, split into cells (``\\|`` is an escaped bar)."""
    rows = []
    for line in table.splitlines()[2:]:
        cells = re.split(r"(?<!\\)\|", line.strip())[1:-1]
        rows.append([c.strip() for c in cells])
    return rows


def _models(model: type[BaseModel], seen: set | None = None) -> set[type[BaseModel]]:
    """Every pydantic model reachable from ``model`` through its field annotations."""
    seen = set() if seen is None else seen
    if model in seen:
        return seen
    seen.add(model)
    for field in model.model_fields.values():
        stack = [field.annotation]
        while stack:
            ann = stack.pop()
            if isinstance(ann, type) and issubclass(ann, BaseModel):
                _models(ann, seen)
            stack.extend(typing.get_args(ann))
    return seen


@pytest.fixture(scope="module")
def rows() -> list[list[str]]:
    return _cells(parameter_table())


def test_table_has_a_row_for_known_paths(rows):
    paths = {r[0] for r in rows}
    for key in ["name", "run.horizon_months", "behaviour.b_social_moved",
                "household_types.<name>.share", "household_types.<name>.savings_cny.median",
                "household_types.<name>.patience_months.low",
                "villages[i].homestead_mu_per_household", "villages.file",
                "communities[i].phases[i].public_cost_cny",
                "communities[i].phases[i].units.apartment", "communities[i].phases[i].financing",
                "communities[i].price_cny.courtyard", "government.revenues[i].amount_cny",
                "government.borrowing.limit_cny", "government.arrears.cap_cny",
                "government.developer.credit_limit_cny", "land.quota.price_path[i].cny_per_mu",
                "livelihood.loan_rate_per_year", "policy.registration.deposit_cny",
                "policy.instruments[i].value_cny", "policy.instruments[i].eligible.types",
                "policy.events[i].apartment_share_shift", "policy.awards[i].moved_share",
                "strategy.withdrawal.threshold_share", "strategy.outreach[i].utility_shift",
                "strategy.sequence.open_next_below_share", "calibration.fitted.<name>.value"]:
        assert key in paths, key


def test_every_field_of_every_model_has_a_row(rows):
    last = {re.split(r"[.\]]", r[0])[-1] for r in rows}
    for model in _models(Scenario):
        for name in model.model_fields:
            assert name in last, f"{model.__name__}.{name} has no row"
    paths = [r[0] for r in rows]
    assert len(paths) == len(set(paths)), "a key path appears twice"


def test_every_row_has_a_unit_and_a_source(rows):
    assert len(rows) > 150
    for r in rows:
        assert len(r) == 5, r
        path, default, unit, source, meaning = r
        assert path and default and unit and source and meaning, r


def test_defaults_units_and_sources_come_from_the_declarations(rows):
    by_path = {r[0]: r for r in rows}
    assert by_path["behaviour.b_social_moved"][1:3] == ["2.0", "log hazard per unit share"]
    assert "Huai'an" in by_path["behaviour.b_social_moved"][3]
    assert by_path["villages[i].name"][1] == "required"
    assert by_path["household_types.<name>.vulnerable"][1] == "false"
    # keys of value models take the unit of the field that uses them
    assert by_path["household_types.<name>.savings_cny.median"][1:3] == ["40000", "CNY"]
    assert by_path["household_types.<name>.savings_cny.sigma"][2] == "log units"
    assert by_path["communities[i].price_cny.courtyard"][2] == "CNY/unit"
    # the section default differs from its keys' own defaults: the table says so
    assert by_path["strategy.withdrawal"][1] == "{enabled: false}"
    assert "enabled: true" in by_path["strategy.withdrawal"][4]
    assert "courtyard: 0.0" in by_path["communities[i].price_cny"][4]


def test_parameter_reference_in_scenarios_readme_is_current():
    text = README.read_text(encoding="utf-8")
    assert BEGIN in text and END in text, "scenarios/README.md lost its parameter markers"
    section = text[text.index(BEGIN) + len(BEGIN): text.index(END)]
    assert section == parameter_table(), (
        "the parameter reference in scenarios/README.md is stale: regenerate it with "
        "`python -m ruralsim.scenario.docs --write` (or paste the output of "
        "`python -m ruralsim.scenario.docs` between the markers)")


def test_main_prints_the_table(capsys):
    assert docs.main([]) == 0
    assert capsys.readouterr().out == parameter_table()
    assert docs.main(["--bogus"]) == 2


def test_docs_module_examples_run():
    result = doctest.testmod(docs, raise_on_error=False)
    assert result.attempted > 0 and result.failed == 0


def _step_calls() -> list[str]:
    """The calls of ``Model.step``, in order, read from its source (``record_month`` included)."""
    fn = ast.parse(textwrap.dedent(inspect.getsource(engine.Model.step))).body[0]
    calls = []
    for stmt in fn.body:   # the month's calls are its top-level expression statements
        if isinstance(stmt, ast.Expr) and isinstance(stmt.value, ast.Call) \
                and isinstance(stmt.value.func, ast.Attribute):
            calls.append(stmt.value.func.attr)
    return calls


def _docstring_steps() -> list[tuple[int, str]]:
    """The numbered steps of the engine's module docstring: (number, name)."""
    return [(int(n), name.strip())
            for n, name in re.findall(r"^(\d+)\.\s+([a-z ]+?)\s+-", engine.__doc__, flags=re.M)]


def test_engine_docstring_lists_every_call_of_the_month():
    steps, calls = _docstring_steps(), _step_calls()
    assert calls[0] == "_budget" and calls[-1] == "record_month", calls
    assert [n for n, _ in steps] == list(range(1, len(calls) + 1)), (
        f"the engine docstring numbers {len(steps)} steps; Model.step makes {len(calls)} calls")


def test_model_doc_lists_the_engines_order_of_work():
    """docs/model.md section 3 gives step i as '<i>. **<name>** (`<call>`)', in the order of
    Model.step's calls and with the engine docstring's names."""
    doc = MODEL_DOC.read_text(encoding="utf-8")
    section = doc[doc.index("## 3. Process overview"):doc.index("# Design concepts")]
    listed = re.findall(r"^(\d+)\. \*\*([a-z ]+)\*\* \(`(?:rec\.)?(\w+)`\)", section, flags=re.M)
    want = [(str(n), name, call) for (n, name), call in zip(_docstring_steps(), _step_calls())]
    assert listed == want, "docs/model.md section 3 does not list the engine's order of work"


def test_model_doc_names_only_parameters_that_exist():
    """Every backticked key path in docs/model.md is a row of the parameter reference
    (`land.*` stands for a whole section)."""
    paths = {r.path for r in parameter_rows()}
    doc = MODEL_DOC.read_text(encoding="utf-8")
    named = {t.removesuffix(".*") for t in re.findall(r"`([^`\s]+)`", doc)
             if re.match(rf"({'|'.join(SECTIONS)})[.\[]", t)
             and not t.endswith((".py", ".csv", ".json", ".yaml", ".md"))}   # file names
    assert len(named) > 100, "docs/model.md names too few parameters by their key path"
    unknown = sorted(named - paths)
    assert not unknown, f"docs/model.md names key paths the schema does not have: {unknown}"


def test_model_doc_describes_every_status():
    doc = MODEL_DOC.read_text(encoding="utf-8")
    for name in STATUS_NAMES:
        assert f"| `{name}` |" in doc, f"docs/model.md does not describe the status {name}"


def test_scenarios_readme_lists_the_whole_library():
    """The library table names every scenario, strategy, package and sweep file shipped."""
    text = README.read_text(encoding="utf-8")
    library = text[text.index("## 情景库 / The library"):text.index("## 文件结构")]
    for f in sorted(SCENARIOS.glob("*.yaml")) + sorted(SCENARIOS.glob("*.csv")):
        assert f"`{f.name}`" in library, f"scenarios/README.md does not list {f.name}"
    for folder in ("strategies", "packages", "sweeps"):
        for f in sorted((SCENARIOS / folder).glob("*.yaml")):
            assert f"`{f.stem}`" in library, f"scenarios/README.md does not list {folder}/{f.name}"


def test_readme_example_scenario_is_valid(tmp_path):
    text = README.read_text(encoding="utf-8")
    example = text.split("## A small example")[1].split("```yaml\n")[1].split("```")[0]
    f = tmp_path / "example.yaml"
    f.write_text(example, encoding="utf-8")
    r = ruralsim.simulate(f, seed=1)
    assert r.summary["households"] == 210


def test_readme_set_examples_are_valid():
    text = README.read_text(encoding="utf-8")
    lines = [ln for ln in text.splitlines() if ln.startswith("ruralsim run ") and "--set" in ln
             and builtin_path(ln.split()[2].removesuffix(".yaml")).exists()]
    assert len(lines) >= 4
    for ln in lines:
        scenario = ln.split()[2]
        overrides = [m.group(1) or m.group(2)
                     for m in re.finditer(r'--set (?:"([^"]+)"|(\S+))', ln)]
        load_scenario(scenario.removesuffix(".yaml"), overrides=overrides)
