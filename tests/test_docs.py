"""Documentation that cannot go stale: the parameter reference, the order of work, the example."""
import re
from pathlib import Path

import ruralsim
from ruralsim.scenario.docs import BEGIN, END, parameter_table

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "src" / "ruralsim" / "scenarios" / "README.md"


def test_parameter_reference_in_scenarios_readme_is_current():
    text = README.read_text(encoding="utf-8")
    section = text[text.index(BEGIN) + len(BEGIN): text.index(END)]
    assert section == parameter_table(), \
        "scenarios/README.md is stale: run python -m ruralsim.scenario.docs --write"


def test_every_parameter_row_has_a_unit_and_a_source_column():
    rows = [r for r in parameter_table().splitlines()[2:]]
    assert len(rows) > 100
    for key in ["behaviour.b_social", "household_types.<name>.share",
                "communities[i].phases[i].public_cost_cny", "land.quota_price_cny_per_mu",
                "policy.instruments[i].value_cny", "strategy.withdrawal.threshold_share"]:
        assert any(r.startswith(f"| {key} |") for r in rows), key
    for r in rows:
        cells = [c.strip() for c in r.strip("|").split("|")]
        assert len(cells) == 5 and cells[2] and cells[3], r


def test_model_doc_lists_the_engines_order_of_work():
    import ruralsim.engine as engine

    steps = re.findall(r"^\d+\.\s+([a-z ]+?)\s+-", engine.__doc__, flags=re.M)
    assert len(steps) == 12
    doc = (ROOT / "docs" / "model.md").read_text(encoding="utf-8")
    for i, step in enumerate(steps, 1):
        assert re.search(rf"^{i}\. \*\*{step.strip()}\*\*", doc, flags=re.M), step


def test_readme_example_scenario_is_valid(tmp_path):
    text = README.read_text(encoding="utf-8")
    example = text.split("## A small example")[1].split("```yaml\n")[1].split("```")[0]
    f = tmp_path / "example.yaml"
    f.write_text(example, encoding="utf-8")
    r = ruralsim.simulate(f, seed=1)
    assert r.summary["households"] == 210
