"""Validation that can fail (docs/validation.md): the document is current, and the patterns
rerun at fewer replications agree with it where its intervals are clear of the tolerances."""
import json
from pathlib import Path

import numpy as np
import pytest

from ruralsim.evidence.validation import PATTERNS, fingerprint, measure, pattern_table, robust_verdicts

DOC = Path(__file__).resolve().parents[1] / "docs" / "validation.md"
RECORD = DOC.with_suffix(".json")


@pytest.fixture(scope="module")
def record():
    return json.loads(RECORD.read_text(encoding="utf-8"))


def test_validation_document_is_current(record):
    fp = fingerprint()
    assert record["fingerprint"] == fp and f"fingerprint: {fp}" in DOC.read_text(
        encoding="utf-8"), "docs/validation.md is stale: run ruralsim evidence validate"


def test_every_pattern_has_a_source_a_tolerance_and_a_level():
    levels = {p.level for p in PATTERNS}
    assert levels == {"household", "programme", "finance", "land"}
    for p in PATTERNS:
        assert p.source and p.target and p.low <= p.high


def test_failures_are_reported_as_failures(record):
    text = DOC.read_text(encoding="utf-8")
    for p in record["patterns"]:
        if p["verdict"] == "FAILS":
            assert "**FAILS**" in text


def test_patterns_rerun_at_fewer_replications_agree_with_the_document(record):
    table = pattern_table(measure(reps=3)).set_index("key")
    assert set(table.index) == {p["key"] for p in record["patterns"]}
    # a pattern may be undefined (no movers: NaN) only where the document shows it undefined
    # in some of its runs; inf is "not reached within the horizon" (censored), a value
    undefined = {p["key"] for p in record["patterns"] if p["reps"] < record["reps"]}
    assert set(table.index[np.isnan(table["model"].astype(float))]) <= undefined
    for key, verdict in robust_verdicts(record).items():
        assert table.loc[key, "verdict"] == verdict, key


def test_a_pattern_is_a_test_only_if_some_alternative_fails_it(record):
    roles = {p["key"]: p for p in record["patterns"]}
    for p in roles.values():
        fails = [a for a, u in (p.get("alternatives") or {}).items() if not u["holds"]]
        if p["fitted"]:
            assert p["role"] == "fitted"
        else:
            assert p["role"] == ("test" if fails else "consistency"), p["key"]
    text = DOC.read_text(encoding="utf-8")
    assert "## Consistency checks" in text and "under alternative mechanisms" in text


def test_roles_follow_the_alternatives_verdicts():
    import pandas as pd

    rows = pd.DataFrame([{"alternative": "", "regime_c_empty": 0.6, "net_land_per_person": 0.07},
                         {"alternative": "x", "regime_c_empty": 0.2, "net_land_per_person": 0.08}])
    t = pattern_table(rows).set_index("key")
    assert t.loc["regime_c_empty", "role"] == "test"
    assert t.loc["net_land_per_person", "role"] == "consistency"
    assert t.loc["regime_c_empty", "alternatives"]["x"]["holds"] is False


def test_an_alternative_applies_only_where_its_mechanism_exists():
    from ruralsim.evidence.validation import ALTERNATIVES, Alternative, alternative_overrides
    from ruralsim.scenario.load import load_scenario

    sc = load_scenario("nanpu")
    missing = Alternative("x", "x", (("behaviour.no_such_key", 1),))
    assert alternative_overrides(missing, sc) is None
    same = Alternative("y", "y", (("strategy.withdrawal.enabled", sc.model.strategy.withdrawal.enabled),))
    assert alternative_overrides(same, sc) is None
    no_social = {a.key: a for a in ALTERNATIVES}["no_social"]
    assert alternative_overrides(no_social, sc)[:2] == list(no_social.overrides)[:2]
