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
    >>> "households_moved_because_of_withdrawal" in out, "months_to_50pct_moved" in out
    (True, True)
"""
from __future__ import annotations

import json
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

OUTPUTS = ("months_to_50pct_moved", "months_to_90pct_moved", "share_moved",
           "total_public_cost_cny", "peak_financing_gap_cny",
           "households_moved_because_of_withdrawal", "share_movers_worse_off")
#: Outputs that are times to a threshold: not reached within the horizon, they count as
#: horizon + 1 and the share of censored runs is reported (``censored.<output>``).
CENSORED = tuple(o for o in OUTPUTS if o.startswith("months_to"))
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
    # behaviour (the calibrated one over its posterior's 90% range, the rest around priors)
    Factor("behaviour.asc_offset", "behaviour", 2.9, 3.85),   # posterior 90% interval
    # taste_sd is a prior (not identified, docs/calibration.md): the earlier fit's 90% range,
    # which is nearly its prior's
    Factor("taste_sd", "behaviour", 1.2, 4.6, _types("taste_sd")),
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
    Factor("behaviour.overdue_wait_weight", "behaviour", 1.0, 4.0),
    Factor("behaviour.switch_kind_after_months", "behaviour", 3, 36),
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
    Factor("works_cost_scale", "construction", 0.7, 1.5,   # demand mode: sections, facilities
           tuple(f"communities.{c}.sections.{p}.cost_cny" for c in range(5) for p in range(3))
           + tuple(f"communities.{c}.facilities.{f}.cost_cny" for c in range(5)
                   for f in range(5)), True),
    # model 3.0 (issues 19-21): assumptions of supply, the plan and influence by ties
    Factor("supply.builders.initial_capacity", "construction", 30, 120),
    Factor("supply.builders.price_elasticity", "construction", 0.0, 0.6),
    Factor("supply.apartments.start_share", "construction", 0.4, 0.8),
    Factor("government.plan.reserve_share", "finance", 0.0, 0.15),
    Factor("government.plan.expected_mover_share", "finance", 0.6, 1.0),
    Factor("behaviour.influence.b_social", "behaviour", 1.0, 5.0),
    Factor("behaviour.influence.threshold_mean", "behaviour", 0.1, 0.4),
    Factor("behaviour.influence.w_bellwether", "behaviour", 1.0, 10.0),
    Factor("government.construction_teams", "construction", 1, 5),
    # land and strategy
    Factor("land.reclaim_cost_cny_per_mu", "land", 5000, 30000),
    Factor("land.rent_cny_per_mu_per_year", "land", 500, 1000),
    Factor("strategy.withdrawal.threshold_share", "strategy", 0.2, 0.6),
    Factor("strategy.withdrawal.decay_per_month", "strategy", 0.02, 0.1),
)
INTEGER_FACTORS = ("government.construction_teams", "behaviour.switch_kind_after_months")


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
    cens: dict[str, int] = {k: 0 for k in CENSORED}
    twin = "no_withdrawal" if sc.model.strategy.withdrawal.enabled else None
    for s in seeds:
        r = simulate(sc, seed=s, counterfactual=twin)
        m = r.summary
        for k in OUTPUTS:
            if k == "households_moved_because_of_withdrawal":
                v = m["counterfactual"]["moved_only_in_run"] if twin else 0
            else:
                v = m.get(k)
            if v is None and k in CENSORED:
                v = H + 1             # censored: counted, never the mean of the others
                cens[k] += 1
            acc[k].append(np.nan if v is None else float(v))
    # a value undefined in any seed (no movers, say) leaves the point undefined: no imputation
    out = {k: float(np.mean(v)) for k, v in acc.items()}
    out.update({f"censored.{k}": c / len(seeds) for k, c in cens.items()})
    return out


def _job(args) -> dict[str, float]:
    point, values, seeds = args
    try:
        return evaluate(values, seeds) | {"point": point}
    except Exception as exc:  # a failed point is recorded as missing
        return {k: np.nan for k in OUTPUTS} | {"error": str(exc)[:200], "point": point}


def run_design(x: np.ndarray, names: Sequence[str], seeds: Sequence,
               executor: Executor | None = None, progress: bool = False) -> pd.DataFrame:
    from ..experiments.executors import Progress, SerialExecutor, run_all

    jobs = [(i, {n: float(v) for n, v in zip(names, row)}, seeds) for i, row in enumerate(x)]
    res = run_all(executor or SerialExecutor(), _job, jobs, Progress(len(jobs), "points",
                                                                      progress))
    # results come back in the order they complete: put them back in design order
    res = [{k: v for k, v in r.items() if k != "point"} for r in sorted(res,
                                                                          key=lambda r: r["point"])]
    return pd.concat([pd.DataFrame(x, columns=list(names)), pd.DataFrame(res)], axis=1)


def _no_failures(design: pd.DataFrame) -> None:
    """Indices need every point: a failed point is an error, not a gap to fill."""
    bad = design["error"].notna() if "error" in design else pd.Series(False, design.index)
    if bad.any():
        first = design.loc[bad, "error"].dropna().head(1).tolist()
        raise RuntimeError(f"{int(bad.sum())} of {len(design)} design points failed; first: "
                           f"{first}")


def usable(design: pd.DataFrame, out: str) -> tuple[bool, str]:
    """May indices of ``out`` be computed from ``design``?  No when a point has no value
    (undefined, e.g. no movers: never imputed) or when more than
    :data:`ruralsim.metrics.HEAVY_CENSORING` of the runs are censored; the reason says so."""
    from ..metrics import HEAVY_CENSORING

    y = design[out].to_numpy(dtype=float)
    if not np.isfinite(y).all():
        return False, (f"{int((~np.isfinite(y)).sum())} of {len(y)} points undefined (no value "
                       "is imputed)")
    c = f"censored.{out}"
    if c in design:
        share = float(design[c].mean())
        if share > HEAVY_CENSORING:
            return False, (f"{share:.0%} of runs censored at horizon + 1 (more than "
                           f"{HEAVY_CENSORING:.0%}): indices would describe the horizon")
    return True, ""


def censoring(design: pd.DataFrame) -> dict[str, float]:
    """Share of runs censored at horizon + 1, per time-to-threshold output."""
    return {o: float(design[f"censored.{o}"].mean()) for o in CENSORED
            if f"censored.{o}" in design}


def _problem(factors: Sequence[Factor]) -> dict:
    return {"num_vars": len(factors), "names": [f.name for f in factors],
            "bounds": [[f.low, f.high] for f in factors]}


def problem_spec(factors: Sequence[Factor] | None = None):
    """The factors (default: those of :data:`FACTORS` that apply to Nanpu) as a
    ``SALib.ProblemSpec``: sample it with any SALib sampler, run it with
    :func:`evaluate_spec`, analyse it with any SALib method (FAST, DGSM, PAWN, delta...)."""
    from ..bridges.salib import problem_spec as spec_of

    return spec_of(list(factors) if factors is not None else applicable()[0])


def evaluate_spec(sp, seeds: int = 2, seed: int = 1, executor: Executor | None = None,
                  progress: bool = False):
    """Run this analysis's outputs (:func:`evaluate`: averaged over ``seeds`` seeds, the
    no-withdrawal twin for the causal count) on every sample of the ``ProblemSpec`` ``sp``
    (names: factor names or key paths) and return ``sp`` with its results, one column per
    output that can be analysed (censoring and undefined values refused as for Morris and
    Sobol, with a warning); ``sp.censored_share`` holds the censored shares."""
    if sp.samples is None:
        from ..errors import UsageError

        raise UsageError("the ProblemSpec has no samples: call one of its sample_* methods "
                         "first / 请先抽样")
    x = np.asarray(sp.samples)
    design = run_design(x, list(sp["names"]), spawn_seeds(seed, seeds), executor, progress)
    outs = list(_outputs(design, "SALib"))
    if not outs:
        raise RuntimeError("no output can be analysed (see the warnings) / 没有可分析的输出")
    sp["outputs"] = [o for o, _ in outs]
    y = np.column_stack([v for _, v in outs])
    sp.set_results(y if y.shape[1] > 1 else y[:, 0])
    sp.censored_share = censoring(design)
    return sp


def morris(r: int = 10, seeds: int = 2, seed: int = 1, executor: Executor | None = None,
           progress: bool = False) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Morris screening of all :data:`FACTORS`; returns (design with outputs, indices)."""
    from SALib.analyze import morris as ma
    from SALib.sample import morris as ms

    factors, dropped = applicable()
    DROPPED.clear()
    DROPPED.update(dropped)
    prob = _problem(factors)
    x = ms.sample(prob, r, num_levels=4, seed=seed)
    design = run_design(x, prob["names"], spawn_seeds(seed, seeds), executor, progress)
    rows = []
    for out, y in _outputs(design, "Morris"):
        sd = float(np.std(y)) or 1.0
        res = ma.analyze(prob, x, y, num_levels=4, seed=seed)
        for i, f in enumerate(factors):
            rows.append({"output": out, "factor": f.name, "group": f.group,
                         "mu_star": float(res["mu_star"][i]),
                         "mu_star_norm": float(res["mu_star"][i]) / sd,
                         "sigma": float(res["sigma"][i]),
                         "mu_star_conf": float(res["mu_star_conf"][i])})
    return design, pd.DataFrame(rows)


def _outputs(design: pd.DataFrame, method: str):
    """Yield (output, values) of the outputs whose indices can be computed; refuse the others
    with a warning naming why (censoring, failed runs)."""
    _no_failures(design)
    for out in OUTPUTS:
        ok, why = usable(design, out)
        if not ok:
            sys.stderr.write(f"ruralsim: WARNING / 警告: {method} indices of {out} refused: "
                             f"{why}\n")
            continue
        yield out, design[out].to_numpy(dtype=float)


def top_factors(indices: pd.DataFrame, k: int = 8) -> list[str]:
    """The ``k`` factors with the largest normalised μ* summed over outputs."""
    score = indices.groupby("factor")["mu_star_norm"].sum().sort_values(ascending=False)
    return list(score.index[:k])


def sobol(names: Sequence[str], n: int = 32, seeds: int = 2, seed: int = 2,
          executor: Executor | None = None, progress: bool = False
          ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Sobol first-order and total indices of ``names`` (Saltelli sampling)."""
    from SALib.sample import sobol as ss

    from ..experiments.sweep import indices

    factors = [f for f in FACTORS if f.name in names]
    prob = _problem(factors)
    x = ss.sample(prob, n, calc_second_order=False, seed=seed)
    design = run_design(x, prob["names"], spawn_seeds(seed, seeds), executor, progress)
    rows = []
    for out, y in _outputs(design, "Sobol"):
        for r in indices("salib_sobol", prob, x, y):
            rows.append({"output": out, "factor": r["parameter"], **{
                k: (bool(v) if k.endswith("resolved") else float(v))
                for k, v in r.items() if k != "parameter"}})
    return design, pd.DataFrame(rows)


def main(argv: list[str] | None = None) -> int:
    """``python -m ruralsim.evidence.sensitivity [R] [N] [SEEDS] [WORKERS] [--out FOLDER]``."""
    from . import main as evidence_main

    return evidence_main("sensitivity", argv)


def applicable(scenario: str = "nanpu") -> tuple[list[Factor], dict[str, str]]:
    """The factors whose key paths exist in ``scenario`` (a factor of a mechanism the scenario
    does not use, fixed phases in demand mode say, is left out, with the reason)."""
    base = load_scenario(scenario)
    keep, dropped = [], {}
    for f in FACTORS:
        try:
            load_scenario(base, _overrides({f.name: f.low}, base))
            keep.append(f)
        except Exception as exc:   # noqa: BLE001 - the reason is reported, not hidden
            dropped[f.name] = str(exc).splitlines()[-1][:160]
    return keep, dropped


def run(args, docs: Path) -> int:
    """Morris screening, then Sobol indices of the top factors; write ``docs/sensitivity*``."""
    import time

    from ..experiments import make_executor
    from ..metrics import check_metric_names
    from ..outputs import write_csv

    check_metric_names(OUTPUTS, "nanpu", experiment=True, where="sensitivity outputs")
    r, n, seeds, workers = args.r, args.n, args.seeds, args.workers
    out = docs / "sensitivity"
    out.mkdir(parents=True, exist_ok=True)
    t0 = time.time()
    with make_executor(workers) as ex:
        mdesign, mind = morris(r, seeds, executor=ex, progress=True)
        write_csv(mdesign, out / "morris_design.csv")
        write_csv(mind, out / "morris_indices.csv")
        top = top_factors(mind, TOP)
        t1 = time.time()
        sdesign, sind = sobol(top, n, seeds, executor=ex, progress=True)
        write_csv(sdesign, out / "sobol_design.csv")
        write_csv(sind, out / "sobol_indices.csv")
    budget = {"morris_points": len(mdesign), "sobol_points": len(sdesign), "seeds": seeds,
              "morris_seconds": round(t1 - t0), "sobol_seconds": round(time.time() - t1),
              "workers": workers, "dropped": DROPPED,
              "censoring_morris": censoring(mdesign), "censoring_sobol": censoring(sdesign)}
    from . import describe_modes, scenario_modes

    budget.update({"r": r, "n": n, "model": "the built-in Nanpu scenario with "
                   + describe_modes(scenario_modes("nanpu"))})
    from ..outputs import write_text_atomic

    write_text_atomic(out / "budget.json", json.dumps(budget, indent=1) + "\n")
    write_markdown(mind, sind, r, n, seeds, docs, budget)
    return 0


def render(docs: Path) -> None:
    """Rebuild docs/sensitivity.md from the indices and budget ``run`` wrote (no runs)."""
    out = docs / "sensitivity"
    budget = json.loads((out / "budget.json").read_text(encoding="utf-8"))
    mind = pd.read_csv(out / "morris_indices.csv")
    sind = pd.read_csv(out / "sobol_indices.csv")
    write_markdown(mind, sind, budget["r"], budget["n"], budget["seeds"], docs, budget)


#: Factors given to Sobol after the Morris screening.
TOP = 6
#: Factors left out because the scenario has no such key (filled by :func:`morris`).
DROPPED: dict[str, str] = {}


def write_markdown(mind: pd.DataFrame, sind: pd.DataFrame, r: int, n: int, seeds: int,
                   docs: Path = DOCS, budget: dict | None = None) -> None:
    """docs/sensitivity.md and its figures, from the Morris and Sobol indices."""
    import matplotlib.pyplot as plt

    from ..metrics import HEAVY_CENSORING
    from ..outputs import save_figure, write_text_atomic
    from ..report.experiment_plots import plot_morris_ranking, plot_sobol_indices, sens_label

    budget = budget or {}
    out = docs / "sensitivity"
    fig = plot_morris_ranking(mind, lang="en")
    save_figure(fig, out / "morris.png", dpi=100)
    plt.close(fig)
    if len(sind):
        fig = plot_sobol_indices(sind, lang="en")
        save_figure(fig, out / "sobol.png", dpi=100)
        plt.close(fig)
    score = mind.groupby("factor")["mu_star_norm"].sum().sort_values(ascending=False)
    n_fac = mind["factor"].nunique()
    k_sob = sind["factor"].nunique() if len(sind) else 0
    lines = ["# Global sensitivity of the Nanpu case / 全局敏感性分析", "",
             "Generated by `ruralsim evidence sensitivity R N SEEDS` (needs the `sensitivity` "
             "extra, SALib)" + (f"; computed on {budget['model']}" if budget.get("model")
                                else "") + ". Every design point is run on "
             f"{seeds} seeds (replications per point) and the outputs averaged; households moved "
             "because of withdrawal are counted against the twin run without withdrawal (same "
             "seed). No outcome is imputed: months to a share not reached within the horizon "
             "count as horizon + 1 *and are counted as censored* (table below); an output with "
             f"more than {HEAVY_CENSORING:.0%} censored runs, or with a point where it is "
             "undefined, gets no indices.", "",
             "## Budget / 计算量", "",
             "| stage | design points | seeds per point | runs (with twins) | wall time (s) |",
             "|---|---|---|---|---|",
             f"| Morris, r = {r} trajectories, {n_fac} factors | {budget.get('morris_points', '—')} "
             f"| {seeds} | {2 * seeds * budget.get('morris_points', 0):,} | "
             f"{budget.get('morris_seconds', '—')} |",
             f"| Sobol (Saltelli), N = {n}, {k_sob} factors | {budget.get('sobol_points', '—')} | "
             f"{seeds} | {2 * seeds * budget.get('sobol_points', 0):,} | "
             f"{budget.get('sobol_seconds', '—')} |", ""]
    if budget.get("dropped"):
        lines += ["Factors left out (their key paths do not exist in the scenario):", ""]
        lines += [f"- `{k}`: {v}" for k, v in budget["dropped"].items()]
        lines.append("")
    lines += ["## Censoring / 截尾", "",
              "Share of runs in which the threshold was not reached within the horizon (counted "
              "as horizon + 1):", "", "| output | Morris design | Sobol design | indices |",
              "|---|---|---|---|"]
    cm, cs = budget.get("censoring_morris", {}), budget.get("censoring_sobol", {})
    def verdict(share: float | None) -> str:
        if share is None:
            return "—"
        return "**refused**" if share > HEAVY_CENSORING else "computed"

    for o in sorted(set(cm) | set(cs)):
        lines.append(f"| {sens_label(o, 'en')} | {cm.get(o, float('nan')):.0%} | "
                     f"{cs.get(o, float('nan')):.0%} | Morris {verdict(cm.get(o))}, "
                     f"Sobol {verdict(cs.get(o))} (refused above {HEAVY_CENSORING:.0%}) |")
    lines += ["", f"## 1. Morris screening ({n_fac} parameters, r = {r} trajectories)", "",
              "Normalised μ* (mean absolute elementary effect divided by the output's standard "
              "deviation over the design), summed over the outputs that have indices:", "",
              "| rank | parameter | group | Σ μ*/sd | strongest on |", "|---|---|---|---|---|"]
    group = {f.name: f.group for f in FACTORS}
    for k, (name, v) in enumerate(score.items(), 1):
        best = mind[mind["factor"] == name].sort_values("mu_star_norm").iloc[-1]
        lines.append(f"| {k} | `{name}` | {group[name]} | {v:.2f} | "
                     f"{sens_label(best['output'], 'en')} ({best['mu_star_norm']:.2f}) |")
    lines += ["", "![Morris](sensitivity/morris.png)", ""]
    if not len(sind):
        lines += ["## 2. Sobol indices / Sobol 指数", "",
                  "**Not computed in this run**: " + budget.get(
                      "sobol_note", "the Sobol stage gave no indices") + ".", "",
                  "## 3. What the patterns pin down", "", *by_group(mind), "",
                  *pinned_down(score), ""]
        write_text_atomic(docs / "sensitivity.md", "\n".join(lines) + "\n")
        return
    lines += [f"## 2. Sobol indices of the {k_sob} most influential parameters (Saltelli "
              f"sampling, N = {n}, {seeds} seeds per point)", "",
              "An index is *resolved* when its 95% bootstrap interval is narrower than the index "
              "itself (2 × conf < |index|). `ST at N/2` is the total index from the first half "
              "of the design: where it differs from ST by more than ST's interval, the index "
              "has not converged at this budget.", "",
              "| output | parameter | S1 | resolved | ST | resolved | ST at N/2 |",
              "|---|---|---|---|---|---|---|"]
    if len(sind):
        for row in sind.sort_values(["output", "ST"], ascending=[True, False]).itertuples():
            lines.append(f"| {sens_label(row.output, 'en')} | `{row.factor}` | {row.S1:.2f} ± "
                         f"{row.S1_conf:.2f} | {'yes' if row.S1_resolved else 'no'} | "
                         f"{row.ST:.2f} ± {row.ST_conf:.2f} | "
                         f"{'yes' if row.ST_resolved else 'no'} | {row.ST_half_N:.2f} |")
        lines += ["", *resolution(sind)]
    lines += ["", "![Sobol](sensitivity/sobol.png)", "", "## 3. What the patterns pin down",
              "", *by_group(mind), "", *pinned_down(score), ""]
    write_text_atomic(docs / "sensitivity.md", "\n".join(lines) + "\n")


def resolution(sind: pd.DataFrame) -> list[str]:
    """Plain statements: how many indices are resolved at this budget, and which are not."""
    from ..report.experiment_plots import sens_label

    n_all = len(sind)
    st_ok = int(sind["ST_resolved"].sum())
    s1_ok = int(sind["S1_resolved"].sum())
    out = [f"**At this budget {st_ok} of {n_all} total indices and {s1_ok} of {n_all} "
           "first-order indices are resolved.** Indices not resolved (interval as wide as the "
           "index or wider) cannot be told from zero or from each other; a larger N or more "
           "seeds per point is needed for them:", ""]
    for o, g in sind.groupby("output"):
        bad = g.loc[~g["ST_resolved"], "factor"].tolist()
        sums = f"ΣS1 = {g['S1'].sum():.2f}, ΣST = {g['ST'].sum():.2f}"
        out.append(f"- {sens_label(o, 'en')} ({sums}): ST not resolved for "
                   + (", ".join(f"`{b}`" for b in bad) if bad else "none"))
    return out


#: Parameters constrained by the validation patterns (docs/validation.md), and how.
PINNED = {
    "behaviour.asc_offset": "calibrated (ABC) to the first community's oversubscription; "
                            "identified (docs/calibration.md)",
    "taste_sd": "**not identified** by the calibration targets (docs/calibration.md): a prior",
    "demolish_share": "bears on the land patterns (net land per person; land saved with "
                      "demolition; docs/validation.md says whether they are tests)",
    "behaviour.b_cost_per_10k_cny": "bears on regimes (b) and (c) (co-payments, prices above "
                                    "compensation)",
    "revenue_scale": "bears on the finance patterns (Nanpu's finances hold; weak finance "
                     "defers payments)",
    "livelihood.nonfarm_income_gain_share": "bears on the livelihood patterns (most movers not "
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
