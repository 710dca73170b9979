"""Calibration with uncertainty: approximate Bayesian computation on two stated targets.

Two behavioural constants are fitted; every other parameter keeps its documented prior.

* ``behaviour.asc_offset`` (added to every type's constant) and
* ``taste_sd`` (the spread of households' own taste, one value for all types).

Targets (both from the source or the survey literature, marked as *used for fitting* in
docs/validation.md, so they cannot also test the model):

1. registrations for the first community by the end of its first phase, per planned unit:
   3.9 (seed essay 4: "报名农户超过了计划入住户数的290%");
2. the share of households that register at least once within 60 months of registration
   opening under the package *without* service withdrawal (the voluntary strategy): within
   the range of stated willingness across surveys, 37-79%.

Method: rejection ABC with local-linear regression adjustment (Beaumont, Zhang and Balding
2002).  Parameters are drawn from uniform priors; each draw is simulated once with its own
seed (the simulator is stochastic, so the posterior includes run-to-run noise).  The
willingness target is a range, so it acts as a rejection constraint (a draw must fall inside
it); among those draws, the ones closest to the oversubscription target are kept and adjusted
on that summary.  All draws are written to ``docs/calibration_draws.csv``.  The posterior mean is the
value used, and the posterior (sd, 5% and 95% quantiles, and a sample) is recorded in the
scenario's ``calibration`` section, next to the values.  ``pyabc`` is not needed.

    ruralsim evidence calibrate [draws] [workers]   # prints the posterior and the YAML

Example:
    >>> from ruralsim.evidence.calibrate import summaries
    >>> s = summaries(3.4, 2.5, seed=1, horizon=72)
    >>> 0 < s["oversubscription"] < 20 and 0 <= s["share_registered_60"] <= 1
    True
"""
from __future__ import annotations

import sys
from concurrent.futures import Executor
from pathlib import Path
from typing import Any

import numpy as np

from ..rng import as_seed_sequence
from ..scenario.load import BUILTIN_DIR, load_scenario
from ..simulate import simulate

TARGET_OVERSUBSCRIPTION = 3.9
WILLINGNESS_RANGE = (0.37, 0.79)
WINDOW_MONTHS = 60
PRIORS = {"behaviour.asc_offset": (0.0, 7.0), "taste_sd": (0.5, 5.0)}
TYPES_FILE_KEY = "household_types"


def _overrides(asc_offset: float, taste_sd: float, sc) -> list[tuple[str, Any]]:
    ov: list[tuple[str, Any]] = [("behaviour.asc_offset", float(asc_offset))]
    ov += [(f"household_types.{t}.taste_sd", float(taste_sd)) for t in sc.model.household_types]
    return ov


def summaries(asc_offset: float, taste_sd: float, seed: Any, horizon: int | None = None,
              base: str = "nanpu",
              voluntary: str = "strategies/voluntary.yaml") -> dict[str, float]:
    """The two calibration summaries for one parameter draw and one seed."""
    sc = load_scenario(base)
    ov = _overrides(asc_offset, taste_sd, sc)
    opens = sc.model.policy.registration_opens_month
    short = [("run.horizon_months", horizon or 72)]
    first = simulate(sc, seed=seed, overrides=ov + short).summary[
        "first_community_registrations_per_planned_unit"]
    vol = load_scenario(BUILTIN_DIR / voluntary, ov)
    r = simulate(vol, seed=seed, overrides=[("run.horizon_months", opens + WINDOW_MONTHS)])
    share = float(r.summary["share_ever_registered"])
    return {"oversubscription": float(first) if first is not None else 0.0,
            "share_registered_60": share}


def distance(s: dict[str, float]) -> float:
    """How far summaries are from the targets (0 when both are met)."""
    lo, hi = WILLINGNESS_RANGE
    d1 = (s["oversubscription"] - TARGET_OVERSUBSCRIPTION) / (0.1 * TARGET_OVERSUBSCRIPTION)
    d2 = max(0.0, lo - s["share_registered_60"], s["share_registered_60"] - hi) / 0.05
    return float(np.hypot(d1, d2))


def _one(args: tuple) -> dict[str, Any]:
    i, asc, sd, seed = args
    try:
        s = summaries(asc, sd, seed)
        return {"i": i, "asc_offset": asc, "taste_sd": sd, **s, "distance": distance(s)}
    except Exception as exc:  # a failed draw is dropped and counted
        return {"i": i, "error": f"{type(exc).__name__}: {exc}"}


def abc(draws: int = 400, keep: float = 0.1, seed: int = 11, executor: Executor | None = None,
        progress: bool = False) -> dict[str, Any]:
    """Rejection ABC with regression adjustment; returns the posterior and all draws."""
    from ..experiments.executors import Progress, SerialExecutor, run_all

    ss = as_seed_sequence(seed)
    u = np.random.Generator(np.random.Philox(ss.spawn(1)[0])).random((draws, 2))
    (a0, a1), (s0, s1) = PRIORS["behaviour.asc_offset"], PRIORS["taste_sd"]
    params = np.column_stack([a0 + (a1 - a0) * u[:, 0], s0 + (s1 - s0) * u[:, 1]])
    seeds = ss.spawn(draws + 1)[1:]
    specs = [(i, float(p[0]), float(p[1]), seeds[i]) for i, p in enumerate(params)]
    results = run_all(executor or SerialExecutor(), _one, specs,
                      Progress(draws, "ABC draws", progress))
    ok = [r for r in results if "error" not in r]
    # the willingness target is a range: a draw must fall inside it (a rejection constraint,
    # no pull toward any point of the range); among those, the draws closest to the
    # oversubscription target are kept and adjusted on that summary only
    lo_w, hi_w = WILLINGNESS_RANGE
    inside = [r for r in ok if lo_w <= r["share_registered_60"] <= hi_w]
    pool = inside if len(inside) >= 20 else ok
    d = np.array([abs(r["oversubscription"] - TARGET_OVERSUBSCRIPTION) if pool is inside
                  else r["distance"] for r in pool])
    n_keep = max(10, int(round(keep * len(ok))))
    order = np.argsort(d)[:n_keep]
    eps = float(d[order[-1]])
    theta = np.array([[pool[j]["asc_offset"], pool[j]["taste_sd"]] for j in order])
    stats = np.array([[pool[j]["oversubscription"]] for j in order])
    adjusted = regression_adjust(theta, stats, d[order], eps,
                                 np.array([TARGET_OVERSUBSCRIPTION]))
    lo = np.array([a0, s0])
    hi = np.array([a1, s1])
    adjusted = np.clip(adjusted, lo, hi)
    post = {}
    for k, name in enumerate(("behaviour.asc_offset", "taste_sd")):
        x = adjusted[:, k]
        post[name] = {"value": round(float(x.mean()), 3), "sd": round(float(x.std(ddof=1)), 3),
                      "q05": round(float(np.quantile(x, 0.05)), 3),
                      "q95": round(float(np.quantile(x, 0.95)), 3)}
    return {"posterior": post, "sample": adjusted, "accepted": len(order), "draws": draws,
            "failed": draws - len(ok), "epsilon": eps, "inside_range": len(inside), "all": ok}


def regression_adjust(theta: np.ndarray, stats: np.ndarray, d: np.ndarray, eps: float,
                      target: np.ndarray) -> np.ndarray:
    """Local-linear regression adjustment of accepted draws (Epanechnikov weights).

    >>> th = np.array([[1.0], [2.0], [3.0]]); st = np.array([[1.0], [2.0], [3.0]])
    >>> regression_adjust(th, st, np.array([0.1, 0.2, 0.3]), 0.4, np.array([2.0])).round(6).ravel().tolist()
    [2.0, 2.0, 2.0]
    """
    w = np.clip(1 - (d / max(eps, 1e-12)) ** 2, 1e-6, None)
    x = stats - target
    X = np.column_stack([np.ones(len(x)), x])
    W = np.sqrt(w)[:, None]
    beta, *_ = np.linalg.lstsq(X * W, theta * W, rcond=None)
    return theta - x @ beta[1:]


def yaml_block(res: dict[str, Any], n_sample: int = 40) -> str:
    """The ``calibration`` section to paste into the scenario (values, posterior, sample)."""
    p = res["posterior"]
    sample = res["sample"][:n_sample]
    lines = ["calibration:", "  method: >-",
             f"    rejection ABC with local-linear regression adjustment (Beaumont et al. 2002):",
             f"    {res['draws']} draws from uniform priors {PRIORS}, one seed each,",
             f"    {res['inside_range']} inside the willingness range, the {res['accepted']} "
             f"closest to 3.9 kept (epsilon {res['epsilon']:.3g});",
             "    ruralsim evidence calibrate", "  fitted:"]
    for name, v in p.items():
        lines.append(f"    {name}: {{value: {v['value']}, sd: {v['sd']}, q05: {v['q05']}, "
                     f"q95: {v['q95']}}}")
    lines += ["  targets:",
              "    first_community_oversubscription: \"3.9 registrations per planned unit "
              "(essay 4: 报名农户超过了计划入住户数的290%)\"",
              "    willingness_without_withdrawal: \"37-79% register within 60 months "
              "without service withdrawal (range of stated willingness across surveys)\"",
              "  posterior_sample:",
              f"    behaviour.asc_offset: [{', '.join(f'{x:.3f}' for x in sample[:, 0])}]",
              f"    taste_sd: [{', '.join(f'{x:.3f}' for x in sample[:, 1])}]"]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """``python -m ruralsim.evidence.calibrate [DRAWS] [WORKERS] [--out FOLDER]``."""
    from . import main as evidence_main

    return evidence_main("calibrate", argv)


def run(args, docs: Path) -> int:
    """Calibrate with ``args.draws`` draws; write ``docs/calibration_draws.csv``."""
    from ..experiments import make_executor

    with make_executor(args.workers) as ex:
        res = abc(draws=args.draws, executor=ex, progress=True)
    import pandas as pd

    from ..outputs import write_csv
    write_csv(pd.DataFrame(res["all"]), docs / "calibration_draws.csv")
    for name, v in res["posterior"].items():
        print(f"{name}: {v['value']} (sd {v['sd']}; 90% interval [{v['q05']}, {v['q95']}])")
    print(f"accepted {res['accepted']} of {res['draws']} draws ({res['failed']} failed), "
          f"epsilon {res['epsilon']:.3g}")
    print(yaml_block(res))
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
