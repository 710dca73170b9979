"""The Nanpu case reproduces the source's patterns within their tolerances (docs/validation.md)."""
import pytest

from ruralsim.validation import PATTERNS, measure, pattern_table


@pytest.fixture(scope="module")
def table():
    return pattern_table(measure("nanpu", reps=30)).set_index("pattern")


@pytest.mark.parametrize("pattern", [p.key for p in PATTERNS])
def test_pattern_holds_within_tolerance(table, pattern):
    row = table.loc[pattern]
    assert row["reps"] == 30
    assert row["holds"], f"{pattern}: model {row['model']:.3g} outside {row['tolerance']}"


def test_validation_doc_shows_the_current_table(table):
    from pathlib import Path

    text = Path("docs/validation.md").read_text(encoding="utf-8")
    for r in table.itertuples():
        assert f"| {r.model_text} | {r.interval_95} |" in text, \
            "docs/validation.md is stale: run python -m ruralsim.validation"
