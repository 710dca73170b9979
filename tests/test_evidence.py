"""Calibration that identifies (docs/calibration.md): a target constrains a parameter only
when it moves beyond run-to-run noise *and* beyond the target's tolerance or range; the
document is what its recorded draws give."""
import shutil
from pathlib import Path

import pandas as pd

from ruralsim.evidence.calibrate import identifies, render

DOCS = Path(__file__).resolve().parents[1] / "docs"


def _profile(over, share, spread, sd=0.01):
    return pd.DataFrame({"oversubscription_mean": over, "oversubscription_std": sd,
                         "share_registered_60_mean": share, "share_registered_60_std": sd,
                         "village_spread_60_mean": spread, "village_spread_60_std": sd})


def test_a_summary_that_moves_inside_a_wide_range_does_not_constrain():
    p = _profile([3.8, 3.85, 3.9], [0.72, 0.66, 0.61], [0.10, 0.07, 0.05])
    assert identifies(p, "share_registered_60")[2:] == (True, False)
    assert identifies(p, "oversubscription")[2:] == (True, False)    # within 3.9 +- 10%
    assert identifies(p, "village_spread_60")[2:] == (True, None)    # no observed value
    q = _profile([1.4, 3.9, 6.3], [0.29, 0.66, 0.91], [0.05, 0.07, 0.03])
    assert identifies(q, "share_registered_60")[3] and identifies(q, "oversubscription")[3]


def test_calibration_document_is_what_its_draws_give(tmp_path):
    for f in ("calibration_profiles.csv", "calibration_abc.csv", "calibration_budget.json",
              "calibration_draws.csv"):
        shutil.copy(DOCS / f, tmp_path / f)
    text = render(tmp_path)
    assert text == (DOCS / "calibration.md").read_text(encoding="utf-8"), \
        "docs/calibration.md is stale: rebuild it (ruralsim.evidence.calibrate.render)"
    assert "**Remain priors**" in text and "`taste_sd`" in text.split("**Remain priors**")[1]


def test_every_alternative_mechanism_runs_where_it_applies():
    """Each alternative of docs/validation.md switches a mechanism the scenario has, and the
    scenario runs under it (a year, one seed)."""
    from ruralsim.evidence.validation import ALTERNATIVES, SCENARIOS, alternative_overrides
    from ruralsim.scenario.load import BUILTIN_DIR, load_scenario
    from ruralsim.simulate import simulate

    nanpu = load_scenario(BUILTIN_DIR / SCENARIOS["nanpu"], [("run.horizon_months", 36)])
    applied = 0
    for alt in ALTERNATIVES:
        ov = alternative_overrides(alt, nanpu)
        if ov is None:
            continue
        applied += 1
        r = simulate(load_scenario(nanpu, ov), seed=1)
        assert r.summary["horizon_months"] == 36, alt.key
    assert applied >= 2


def test_validation_rows_keep_their_mechanism_whatever_order_runs_finish():
    """run_all returns results as they complete: each row carries its own label."""
    from concurrent.futures import ThreadPoolExecutor

    import ruralsim.evidence.validation as v

    def fake(seed, horizon, alternative):
        import time
        time.sleep(0.05 if alternative is None else 0.0)   # the model's rows finish last
        return {"x": 1.0 if alternative is None else 2.0}

    orig = v.measure_one
    v.measure_one = fake
    try:
        with ThreadPoolExecutor(4) as ex:
            rows = v.measure(reps=3, executor=ex, alternatives=["no_social"])
    finally:
        v.measure_one = orig
    assert (rows.loc[rows["alternative"] == "", "x"] == 1.0).all()
    assert (rows.loc[rows["alternative"] == "no_social", "x"] == 2.0).all()


def test_sensitivity_document_is_what_its_indices_give(tmp_path):
    """docs/sensitivity.md is rebuilt from its recorded indices and budget, and says which
    scenario modes it was computed on (the current ones)."""
    import json

    from ruralsim.evidence import describe_modes, scenario_modes
    from ruralsim.evidence.sensitivity import render as render_sensitivity

    (tmp_path / "sensitivity").mkdir()
    for f in ("budget.json", "morris_indices.csv", "sobol_indices.csv"):
        shutil.copy(DOCS / "sensitivity" / f, tmp_path / "sensitivity" / f)
    render_sensitivity(tmp_path)
    text = (tmp_path / "sensitivity.md").read_text(encoding="utf-8")
    assert text == (DOCS / "sensitivity.md").read_text(encoding="utf-8"), \
        "docs/sensitivity.md is stale: rebuild it (ruralsim.evidence.sensitivity.render)"
    budget = json.loads((DOCS / "sensitivity" / "budget.json").read_text(encoding="utf-8"))
    assert describe_modes(scenario_modes("nanpu")) in budget["model"], \
        "docs/sensitivity.md was computed on other modes: ruralsim evidence sensitivity"
