"""The recipes of docs/ecosystem.md run as written (their Python blocks, in order, in one
namespace)."""
from __future__ import annotations

import re
import warnings
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[1] / "docs" / "ecosystem.md"


def test_every_recipe_of_the_ecosystem_page_runs(tmp_path, monkeypatch):
    for extra in ("xarray", "ema_workbench", "SALib"):
        pytest.importorskip(extra)
    import matplotlib.pyplot as plt

    blocks = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 6
    monkeypatch.chdir(tmp_path)
    ns: dict = {}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")     # SALib's and EMA's own warnings
        for code in blocks:
            exec(compile(code, str(DOC), "exec"), ns)   # noqa: S102 - our own documentation
    plt.close("all")
    assert ns["c"].baseline == "teaching" and ns["sp"].results.shape == (16,)
    assert ns["d"].stats["cases"] == 8 and len(ns["outcomes"]["share_moved"]) == 6
