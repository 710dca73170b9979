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
    assert np.isfinite(table["model"]).all()
    for key, verdict in robust_verdicts(record).items():
        assert table.loc[key, "verdict"] == verdict, key
