"""The subsidy response on Nanpu (docs/subsidy_response.md, issue 20): the document is what
its recorded runs give, it was measured on the scenario's current modes, and the differences
between levels are paired by seed."""
import json
import math
import shutil
from pathlib import Path

from ruralsim.evidence.subsidy_response import (BASE_LEVEL, DATA, DOC, LEVELS, NOTES, SETTINGS,
                                                jobs, modes, render, table)

DOCS = Path(__file__).resolve().parents[1] / "docs"


def test_document_is_what_its_runs_give(tmp_path):
    for f in (DATA, NOTES):
        shutil.copy(DOCS / f, tmp_path / f)
    text = render(tmp_path)
    assert text == (DOCS / DOC).read_text(encoding="utf-8"), \
        "docs/subsidy_response.md is stale: rebuild it (ruralsim.evidence.subsidy_response.render)"


def test_document_was_measured_on_the_scenarios_current_modes():
    record = json.loads((DOCS / DATA).read_text(encoding="utf-8"))
    assert record["modes"] == modes(), \
        "docs/subsidy_response.json was measured on other modes: ruralsim evidence subsidy-response"
    seeds = {(r["setting"], r["level"]): set() for r in record["rows"]}
    for r in record["rows"]:
        seeds[(r["setting"], r["level"])].add(r["seed"])
    # every level of a setting has the same seeds (common random numbers)
    for st in record["settings"]:
        assert {frozenset(seeds[(st, lv)]) for lv in LEVELS} == \
            {frozenset(range(1, record["seeds"] + 1))}, st


def test_differences_are_paired_by_seed():
    rows = []
    for lv in LEVELS:
        for seed, base in ((1, 100), (2, 300), (3, 500)):
            rows.append({"setting": "plan", "level": lv, "seed": seed,
                         "moved_180": base + (lv > BASE_LEVEL) * 10})
    c = table(rows)["plan"]
    assert c[LEVELS[-1]]["diff_moved_180"][0] == 10
    # the seeds differ by hundreds, the pairs by exactly 10: a zero-width interval
    assert c[LEVELS[-1]]["diff_moved_180"][1:] == (10.0, 10.0)
    assert c[BASE_LEVEL]["diff_moved_180"][0] == 0
    assert math.isclose(c[LEVELS[-1]]["moved_180"][0], 310)


def test_jobs_cover_every_setting_level_and_seed_once():
    js = jobs(3)
    assert len(js) == len(set(js)) == len(SETTINGS) * len(LEVELS) * 3
    assert {j[0] for j in js} == set(SETTINGS)
