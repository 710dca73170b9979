"""The bridges run the real libraries: EMA Workbench (perform_experiments with ruralsim's
seeds equals ruralsim.replicate) and SALib (a ProblemSpec in, results set, PAWN analysis)."""
from __future__ import annotations

import warnings

import numpy as np
import pytest

import ruralsim
from ruralsim.errors import UsageError

SHORT = ["run.horizon_months=36"]


def _ema():
    pytest.importorskip("ema_workbench")
    from ruralsim.bridges.ema import import_ema

    return import_ema()


def test_ema_perform_experiments_equals_ruralsim_replicate():
    ema = _ema()
    from ruralsim.bridges.ema import ema_model

    model = ema_model("teaching", uncertainties={"behaviour.b_attachment": (0.5, 3.0)},
                      levers={"government.construction_teams": (1, 3)},
                      outcomes=["share_moved", "households_moved", "months_to_90pct_moved"],
                      timeseries=["n_ever_moved"], replications=2, seed=5, overrides=SHORT)
    with ema.SequentialEvaluator(model) as ev:
        experiments, outcomes = ema.perform_experiments(model, scenarios=2, policies=2,
                                                        evaluator=ev)
    assert len(experiments) == 4
    assert outcomes["ts_n_ever_moved"].shape == (4, 36)
    assert (outcomes["months_to_90pct_moved__censored_share"] == 1.0).all()
    for i in (0, 3):
        row = experiments.iloc[i]
        reps = ruralsim.replicate(
            "teaching", reps=2, seed=5, columns=("n_ever_moved",),
            overrides=[*SHORT, ("behaviour.b_attachment", float(row["behaviour__b_attachment"])),
                       ("government.construction_teams",
                        int(row["government__construction_teams"]))])
        assert outcomes["share_moved"][i] == reps.summary["share_moved"].mean()
        assert outcomes["households_moved"][i] == reps.summary["households_moved"].mean()
        np.testing.assert_array_equal(outcomes["ts_n_ever_moved"][i],
                                      reps.bands("n_ever_moved")["mean"].to_numpy())


def test_ema_model_refuses_unknown_names():
    _ema()
    from ruralsim.bridges.ema import ema_model

    with pytest.raises(UsageError, match="not a parameter"):
        ema_model("teaching", uncertainties={"behaviour.no_such_thing": (0.0, 1.0)},
                  overrides=SHORT)
    with pytest.raises(UsageError, match="unknown metric"):
        ema_model("teaching", outcomes=["share_moovd"], overrides=SHORT)
    with pytest.raises(UsageError, match="unknown column"):
        ema_model("teaching", timeseries=["n_everything"], overrides=SHORT)
    with pytest.raises(UsageError, match="high"):
        ema_model("teaching", uncertainties={"behaviour.b_attachment": (3.0, 1.0)},
                  overrides=SHORT)


def test_importing_the_ema_bridge_is_quiet():
    _ema()
    from ruralsim.bridges.ema import import_ema

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        import_ema()


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # SALib's PAWN cv
def test_salib_problem_spec_in_and_out_with_pawn():
    pytest.importorskip("SALib")
    from ruralsim.bridges.salib import evaluate, problem_spec

    sp = problem_spec({"behaviour.b_attachment": (0.5, 3.0),
                       "government.construction_teams": (1, 4)})
    sp.sample_latin(16, seed=1)
    with pytest.warns(UserWarning, match="censored"):
        out = evaluate(sp, "teaching", outputs=["share_moved", "months_to_90pct_moved"],
                       overrides=SHORT, integers=["government.construction_teams"], seed=2)
    assert out is sp and sp.results.shape == (16, 2)
    assert sp["outputs"] == ["share_moved", "months_to_90pct_moved"]
    assert sp.censored_share == {"months_to_90pct_moved": 1.0}
    assert (sp.results[:, 1] == 37).all()     # never reached: horizon + 1
    # a row of the results is a ruralsim run with ruralsim's seed
    x0 = sp.samples[0]
    r = ruralsim.simulate("teaching", seed=ruralsim.rng.spawn_seeds(2, 1)[0], overrides=[
        *SHORT, ("behaviour.b_attachment", float(x0[0])),
        ("government.construction_teams", int(round(x0[1])))])
    assert sp.results[0, 0] == r.summary["share_moved"]
    sp.analyze_pawn(S=4, seed=1)
    pawn = sp.analysis["share_moved"]
    assert set(pawn["names"]) == {"behaviour.b_attachment", "government.construction_teams"}
    assert np.isfinite(pawn["median"]).all()


def test_salib_evaluate_refuses_a_spec_without_samples():
    pytest.importorskip("SALib")
    from ruralsim.bridges.salib import evaluate, problem_spec

    sp = problem_spec({"behaviour.b_attachment": (0.5, 3.0)})
    with pytest.raises(UsageError, match="sample"):
        evaluate(sp, "teaching", overrides=SHORT)
    with pytest.raises(UsageError, match="range"):
        problem_spec({"behaviour.b_attachment": [1, 2, 3]})


def test_evidence_sensitivity_hands_out_a_problem_spec():
    pytest.importorskip("SALib")
    from SALib import ProblemSpec

    from ruralsim.evidence.sensitivity import FACTORS, problem_spec

    sp = problem_spec(FACTORS[:3])
    assert isinstance(sp, ProblemSpec)
    assert sp["names"] == [f.name for f in FACTORS[:3]]
    assert sp["bounds"] == [[f.low, f.high] for f in FACTORS[:3]]


def test_evidence_sensitivity_sets_the_results_of_a_problem_spec(monkeypatch):
    """The glue of evaluate_spec, with a known function in place of the Nanpu runs (17 s)."""
    pytest.importorskip("SALib")
    from ruralsim.evidence import sensitivity as sens

    def known(values, seeds, horizon=None, scenario="nanpu"):
        a, b = values["behaviour.b_service"], values["behaviour.b_attachment"]
        out = {k: 2 * a + b for k in sens.OUTPUTS}
        out["share_moved"] = a - b
        out["months_to_90pct_moved"] = 121.0       # censored in every run: refused
        return out | {"censored.months_to_50pct_moved": 0.0,
                      "censored.months_to_90pct_moved": 1.0}

    monkeypatch.setattr(sens, "evaluate", known)
    sp = sens.problem_spec([f for f in sens.FACTORS
                            if f.name in ("behaviour.b_service", "behaviour.b_attachment")])
    sp.sample_latin(8, seed=1)
    assert sens.evaluate_spec(sp, seeds=1) is sp
    assert "months_to_90pct_moved" not in sp["outputs"]
    x = sp.samples
    col = sp["outputs"].index("share_moved")
    np.testing.assert_allclose(sp.results[:, col], x[:, 0] - x[:, 1])
    assert sp.censored_share["months_to_90pct_moved"] == 1.0
    assert sp.results.shape == (8, len(sp["outputs"]))
