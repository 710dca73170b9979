"""Global sensitivity analysis of the Nanpu case, with replications (needs ``SALib``).

Two stages (Saltelli et al. 2008):

1. **Morris screening** over every behavioural, household, livelihood, fiscal, construction,
   land and strategy parameter (:data:`FACTORS`, each varied over a stated range around its
   prior), ``r`` trajectories; each design point is run on ``seeds`` seeds and the outputs are
   averaged (the model is stochastic).  Ranking by μ* (mean absolute elementary effect,
   normalised by the output's spread).
2. **Sobol indices** (first order and total, Saltelli sampling) for the most influential
   factors of the screening, again averaged over seeds.

Outputs: months to 50% and 90% moved (censored at the horizon + 1), public cost, peak
financing gap, households moved because of withdrawal (against the no-withdrawal twin with
the same seed) and the share of movers worse off.

    ruralsim evidence sensitivity [morris_r] [sobol_n] [seeds] [workers]

writes docs/sensitivity.md, docs/sensitivity/*.csv and docs/sensitivity/*.png.

Example:
    >>> out = evaluate({"behaviour.b_service": 3.0}, seeds=[1], horizon=48)
    >>> sorted(out)[:2]
    ['households_moved_because_of_withdrawal', 'months_to_50pct_moved']
"""
from __future__ import annotations

import sys
from concurrent.futures import Executor
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Sequence

import numpy as np
import pandas as pd

from ..rng import spawn_seeds
from ..scenario.load import load_scenario
from ..simulate import simulate

OUTPUTS = ("months_to_50pct_moved", "months_to_90pct_moved", "total_public_cost_cny",
           "peak_financing_gap_cny", "households_moved_because_of_withdrawal",
           "share_movers_worse_off")
DOCS = Path("docs")   # in the repository (or --out)
TYPES = ("wealthy", "urgent", "ordinary", "recent", "poor", "five_guarantee")


@dataclass(frozen=True)
class Factor:
    name: str
    group: str
    low: float
    high: float
    keys: tuple[str, ...] = ()        # override keys set to the value (default: the name)
    scale: bool = False               # multiply the base values of ``keys`` by the value
    clip: tuple[float, float] | None = None   # bounds of a scaled value (e.g. a probability)


def _types(field: str) -> tuple[str, ...]:
    return tuple(f"household_types.{t}.{field}" for t in TYPES)


FACTORS: tuple[Factor, ...] = (
    # behaviour (the calibrated ones over their posterior's 90% range, the rest around priors)
    Factor("behaviour.asc_offset", "behaviour", 2.9, 3.85),   # posterior 90% interval
    Factor("taste_sd", "behaviour", 1.2, 4.6, _types("taste_sd")),  # posterior 90% interval
    Factor("behaviour.b_cost_per_10k_cny", "behaviour", 0.1, 0.4),
    Factor("behaviour.b_gap_per_10k_cny", "behaviour", 0.1, 0.6),
    Factor("behaviour.b_social_registered", "behaviour", 0.0, 2.0),
    Factor("behaviour.b_social_moved", "behaviour", 0.5, 4.0),
    Factor("behaviour.b_demonstration", "behaviour", 0.0, 1.0),
    Factor("behaviour.b_service", "behaviour", 1.0, 5.0),
    Factor("behaviour.b_attachment", "behaviour", 1.0, 3.0),
    Factor("behaviour.b_farm_distance_per_km", "behaviour", 0.1, 0.6),
    Factor("behaviour.b_head_age_per_10y", "behaviour", 0.0, 0.4),
    Factor("behaviour.b_nonfarm_share", "behaviour", 0.5, 2.0),
    Factor("behaviour.b_house_value_per_10k_cny", "behaviour", 0.1, 0.5),
    Factor("behaviour.house_kept_factor", "behaviour", 0.0, 0.6),
    Factor("behaviour.renege_slope_per_month2", "behaviour", 0.001, 0.02),
    Factor("behaviour.trust_shift_overdue", "behaviour", -2.0, 0.0),
    Factor("behaviour.credit_years_of_income", "behaviour", 0.5, 3.0),
    # households and livelihoods
    Factor("income_growth", "households", 0.5, 1.5, _types("income_growth_per_year"), True),
    Factor("demolish_share", "households", 0.5, 1.5, _types("demolish_share"), True, (0, 1)),
    Factor("patience", "households", 0.5, 1.5,
           tuple(f"{k}.{e}" for k in _types("patience_months") for e in ("low", "high")), True),
    Factor("livelihood.nonfarm_income_gain_share", "livelihoods", 0.0, 0.3),
    Factor("livelihood.loan_rate_per_year", "livelihoods", 0.04, 0.1),
    Factor("living_cost_apartment", "livelihoods", 50, 300,
           ("livelihood.living_cost_change_cny_per_month.apartment",)),
    # township finance and construction
    Factor("revenue_scale", "finance", 0.5, 1.5,
           tuple(f"government.revenues.{i}.amount_cny" for i in range(3)), True),
    Factor("government.borrowing.limit_cny", "finance", 2e7, 1e8),
    Factor("government.arrears.cap_cny", "finance", 2e6, 3e7),
    Factor("public_cost_scale", "construction", 0.7, 1.5,
           tuple(f"communities.{c}.phases.{p}.public_cost_cny" for c in range(5)
                 for p in range(3)), True),
    Factor("government.construction_teams", "construction", 1, 5),
    # land and strategy
    Factor("land.reclaim_cost_cny_per_mu", "land", 5000, 30000),
    Factor("land.rent_cny_per_mu_per_year", "land", 500, 1000),
    Factor("strategy.withdrawal.threshold_share", "strategy", 0.2, 0.6),
    Factor("strategy.withdrawal.decay_per_month", "strategy", 0.02, 0.1),
)
INTEGER_FACTORS = ("government.construction_teams",)


def _overrides(values: dict[str, float], base) -> list[tuple[str, Any]]:
    """Override pairs for factor values (scales applied to the base scenario's values)."""
    from ..scenario.load import _child  # resolve the base value of a key path

    data = base.model.model_dump(mode="python")
    out = []
    by_name = {f.name: f for f in FACTORS}
    for name, v in values.items():
        f = by_name.get(name, Factor(name, "-", v, v))
        keys = f.keys or (f.name,)
        for k in keys:
            if f.scale:
                node: Any = data
                for part in k.split("."):
                    node = _child(node, int(part) if part.isdigit() else part)
                x = node * v
                if f.clip is not None:
                    x = min(max(x, f.clip[0]), f.clip[1])
                out.append((k, float(x) if isinstance(node, float) else int(round(x))))
            elif name in INTEGER_FACTORS:
                out.append((k, int(round(v))))
            else:
                out.append((k, float(v)))
    return out


def evaluate(values: dict[str, float], seeds: Sequence, horizon: int | None = None,
             scenario: str = "nanpu") -> dict[str, float]:
    """The outputs for one design point, averaged over ``seeds`` (twin runs for the causal
    count)."""
    base = load_scenario(scenario)
    ov = _overrides(values, base)
    if horizon:
        ov.append(("run.horizon_months", horizon))
    sc = load_scenario(base, ov)
    H = sc.model.run.horizon_months
    acc: dict[str, list[float]] = {k: [] for k in OUTPUTS}
    for s in seeds:
        r = simulate(sc, seed=s, counterfactual="no_withdrawal")
        m = r.summary
        for k in OUTPUTS:
            if k == "households_moved_because_of_withdrawal":
                v = m["counterfactual"]["moved_only_in_run"]
            else:
                v = m.get(k)
            if v is None and k.startswith("months_to"):
                v = H + 1
            acc[k].append(np.nan if v is None else float(v))
    return {k: float(np.nanmean(v)) if np.isfinite(v).any() else np.nan
            for k, v in acc.items()}


def _job(args) -> dict[str, float]:
    values, seeds = args
    try:
        return evaluate(values, seeds)
    except Exception as exc:  # a failed point is recorded as missing
        return {k: np.nan for k in OUTPUTS} | {"error": str(exc)[:200]}


def run_design(x: np.ndarray, names: Sequence[str], seeds: Sequence,
               executor: Executor | None = None, progress: bool = False) -> pd.DataFrame:
    from ..experiments.executors import Progress, SerialExecutor, run_all

    jobs = [({n: float(v) for n, v in zip(names, row)}, seeds) for row in x]
    res = run_all(executor or SerialExecutor(), _job, jobs, Progress(len(jobs), "points",
                                                                      progress))
    return pd.concat([pd.DataFrame(x, columns=list(names)), pd.DataFrame(res)], axis=1)


def _no_failures(design: pd.DataFrame) -> None:
    """Indices need every point: a failed or undefined point is an error, not a gap to fill."""
    bad = design[list(OUTPUTS)].isna().any(axis=1)
    if bad.any():
        first = design.loc[bad, "error"].dropna().head(1).tolist() if "error" in design else []
        raise RuntimeError(f"{int(bad.sum())} of {len(design)} design points failed or gave "
                           f"no value; first: {first}")


def _problem(factors: Sequence[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def morris(r: int = 10, seeds: int = 2, seed: int = 1, executor: Executor | None = None,
           progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening of all :data:`FACTORS`; returns (design with outputs, indices)."""
    from SALib.analyze import morris as ma
    from SALib.sample import morris as ms

    prob = _problem(FACTORS)
    x = ms.sample(prob, r, num_levels=4, seed=seed)
    design = run_design(x, prob["names"], spawn_seeds(seed, seeds), executor, progress)
    rows = []
    _no_failures(design)
    for out in OUTPUTS:
        y = design[out].to_numpy(dtype=float)
        sd = float(np.std(y)) or 1.0
        res = ma.analyze(prob, x, y, num_levels=4, seed=seed)
        for i, f in enumerate(FACTORS):
            rows.append({"output": out, "factor": f.name, "group": f.group,
                         "mu_star": float(res["mu_star"][i]),
                         "mu_star_norm": float(res["mu_star"][i]) / sd,
                         "sigma": float(res["sigma"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i])})
    return design, pd.DataFrame(rows)


def top_factors(indices: pd.DataFrame, k: int = 8) -> list[str]:
    """The ``k`` factors with the largest normalised μ* summed over outputs."""
    score = indices.groupby("factor")["mu_star_norm"].sum().sort_values(ascending=False)
    return list(score.index[:k])


def sobol(names: Sequence[str], n: int = 32, seeds: int = 2, seed: int = 2,
          executor: Executor | None = None, progress: bool = False
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol first-order and total indices of ``names`` (Saltelli sampling)."""
    from SALib.analyze import sobol as sa
    from SALib.sample import sobol as ss

    factors = [f for f in FACTORS if f.name in names]
    prob = _problem(factors)
    x = ss.sample(prob, n, calc_second_order=False, seed=seed)
    design = run_design(x, prob["names"], spawn_seeds(seed, seeds), executor, progress)
    rows = []
    _no_failures(design)
    for out in OUTPUTS:
        y = design[out].to_numpy(dtype=float)
        res = sa.analyze(prob, y, calc_second_order=False, seed=seed)
        for i, f in enumerate(factors):
            rows.append({"output": out, "factor": f.name, "S1": float(res["S1"][i]),
                         "S1_conf": float(res["S1_conf"][i]), "ST": float(res["ST"][i]),
                         "ST_conf": float(res["ST_conf"][i])})
    return design, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m ruralsim.evidence.sensitivity [R] [N] [SEEDS] [WORKERS] [--out FOLDER]``."""
    from . import main as evidence_main

    return evidence_main("sensitivity", argv)


def run(args, docs: Path) -> int:
    """Morris screening, then Sobol indices of the top factors; write ``docs/sensitivity*``."""
    from ..experiments import make_executor
    from ..outputs import write_csv

    r, n, seeds, workers = args.r, args.n, args.seeds, args.workers
    out = docs / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    with make_executor(workers) as ex:
        mdesign, mind = morris(r, seeds, executor=ex, progress=True)
        write_csv(mdesign, out / "morris_design.csv")
        write_csv(mind, out / "morris_indices.csv")
        top = top_factors(mind)
        sdesign, sind = sobol(top, n, seeds, executor=ex, progress=True)
        write_csv(sdesign, out / "sobol_design.csv")
        write_csv(sind, out / "sobol_indices.csv")
    write_markdown(mind, sind, r, n, seeds, docs)
    return 0


def write_markdown(mind: pd.DataFrame, sind: pd.DataFrame, r: int, n: int, seeds: int,
                   docs: Path = DOCS) -> None:
    """docs/sensitivity.md and its figures, from the Morris and Sobol indices."""
    import matplotlib.pyplot as plt

    from ..outputs import save_figure, write_text_atomic
    from ..report.experiment_plots import plot_morris_ranking, plot_sobol_indices, sens_label

    out = docs / "sensitivity"
    fig = plot_morris_ranking(mind, lang="en")
    save_figure(fig, out / "morris.png", dpi=100)
    plt.close(fig)
    fig = plot_sobol_indices(sind, lang="en")
    save_figure(fig, out / "sobol.png", dpi=100)
    plt.close(fig)
    score = mind.groupby("factor")["mu_star_norm"].sum().sort_values(ascending=False)
    lines = ["# Global sensitivity of the Nanpu case / 全局敏感性分析", "",
             "Generated by `ruralsim evidence sensitivity` (needs the `sensitivity` extra, "
             "SALib). Every design point is run on "
             f"{seeds} seeds and the outputs averaged; households moved because of withdrawal "
             "are counted against the twin run without withdrawal (same seed). Months to a "
             "share not reached within the horizon count as horizon + 1.", "",
             f"## 1. Morris screening ({len(FACTORS)} parameters, r = {r} trajectories, "
             f"{r * (len(FACTORS) + 1)} points)", "",
             "Normalised μ* (mean absolute elementary effect divided by the output's standard "
             "deviation over the design), summed over the six outputs:", "",
             "| rank | parameter | group | Σ μ*/sd | strongest on |", "|---|---|---|---|---|"]
    group = {f.name: f.group for f in FACTORS}
    for k, (name, v) in enumerate(score.items(), 1):
        best = mind[mind["factor"] == name].sort_values("mu_star_norm").iloc[-1]
        lines.append(f"| {k} | `{name}` | {group[name]} | {v:.2f} | "
                     f"{sens_label(best['output'], 'en')} ({best['mu_star_norm']:.2f}) |")
    lines += ["", "![Morris](sensitivity/morris.png)", "",
              f"## 2. Sobol indices of the {sind['factor'].nunique()} most influential "
              f"parameters (Saltelli sampling, N = {n})", "",
              "| output | parameter | S1 | ST |", "|---|---|---|---|"]
    for row in sind.sort_values(["output", "ST"], ascending=[True, False]).itertuples():
        lines.append(f"| {sens_label(row.output, 'en')} | `{row.factor}` | {row.S1:.2f} ± "
                     f"{row.S1_conf:.2f} | {row.ST:.2f} ± {row.ST_conf:.2f} |")
    lines += ["", "![Sobol](sensitivity/sobol.png)", "", "## 3. What the patterns pin down",
              "", *by_group(mind), "", *pinned_down(score), ""]
    write_text_atomic(docs / "sensitivity.md", "\n".join(lines) + "\n")


#: Parameters constrained by the validation patterns (docs/validation.md), and how.
PINNED = {
    "behaviour.asc_offset": "fitted (ABC) to the first community's oversubscription",
    "taste_sd": "fitted (ABC) to the willingness range; weakly identified (wide posterior)",
    "demolish_share": "tested by the land patterns (net land per person; land saved with "
                      "demolition)",
    "behaviour.b_cost_per_10k_cny": "tested by regimes (b) and (c) (co-payments, prices above "
                                    "compensation)",
    "revenue_scale": "tested by the finance patterns (Nanpu's finances hold; weak finance "
                     "defers payments)",
    "livelihood.nonfarm_income_gain_share": "tested by the livelihood patterns (most movers not "
                                            "worse off; the poor fare worst)",
}


def by_group(mind: pd.DataFrame) -> list[str]:
    """For each output, the share of the summed normalised μ* by parameter group."""
    from ..report.experiment_plots import SENS_OUTPUTS, sens_label

    out = ["Share of the influence (Σ μ*/sd) by group of parameters, per output:", "",
           "| output | " + " | ".join(sorted(set(mind["group"]))) + " |",
           "|---|" + "---|" * mind["group"].nunique()]
    for o in [x for x in SENS_OUTPUTS if x in set(mind["output"])]:
        g = mind[mind["output"] == o].groupby("group")["mu_star_norm"].sum()
        g = g / g.sum()
        out.append(f"| {sens_label(o, 'en')} | " + " | ".join(f"{g.get(k, 0):.0%}" for k in
                                                         sorted(set(mind["group"]))) + " |")
    return out


def pinned_down(score: pd.Series, top: int = 10) -> list[str]:
    """Plain statements: which influential parameters the patterns constrain, which not."""
    out = []
    for name in score.index[:top]:
        how = PINNED.get(name)
        out.append(f"- `{name}`: " + (how if how else
                   "**not constrained by any pattern**: results that depend on it rest on its "
                   "documented prior"))
    return out


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
