"""Documentation that cannot go stale: the parameter reference, the order of work, the examples."""
from __future__ import annotations

import doctest
import re
import typing
from pathlib import Path

import pytest
from pydantic import BaseModel

import ruralsim
import ruralsim.engine as engine
from ruralsim.scenario import docs
from ruralsim.scenario.docs import BEGIN, END, parameter_table
from ruralsim.scenario.load import builtin_path, load_scenario
from ruralsim.scenario.schema import Scenario

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "src" / "ruralsim" / "scenarios" / "README.md"
MODEL_DOC = ROOT / "docs" / "model.md"


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
    for key in ["name", "run.horizon_months", "behaviour.b_social",
                "household_types.<name>.share", "household_types.<name>.savings_cny.median",
                "villages[i].homestead_mu_per_household", "villages.file",
                "communities[i].phases[i].public_cost_cny",
                "communities[i].phases[i].units.apartment",
                "communities[i].price_cny.courtyard", "government.revenues[i].amount_cny",
                "government.borrowing.limit_cny", "land.quota_price_cny_per_mu",
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
    assert by_path["behaviour.b_social"][1:3] == ["3.0", "logit per unit share"]
    assert "Huai'an" in by_path["behaviour.b_social"][3]
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


def test_model_doc_lists_the_engines_order_of_work():
    steps = re.findall(r"^\d+\.\s+([a-z ]+?)\s+-", engine.__doc__, flags=re.M)
    assert len(steps) == 12, steps
    doc = MODEL_DOC.read_text(encoding="utf-8")
    for i, step in enumerate(steps, 1):
        assert re.search(rf"^{i}\. \*\*{re.escape(step.strip())}\*\*", doc, flags=re.M), \
            f"docs/model.md does not list step {i} '{step.strip()}' of the engine's order of work"
    # and the engine's step() calls them in that order
    calls = re.findall(r"self\._(\w+)\(t\)", Path(engine.__file__).read_text().split(
        "def step(")[1].split("def _budget")[0])
    assert len(calls) == 12


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
