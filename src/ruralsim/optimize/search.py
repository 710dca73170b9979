"""The search: optuna's constrained multi-objective samplers over the levers, with common
random numbers, then a ranking-and-selection step on the finalists.

Every trial (one package: a value of each lever) is run with the same replication seeds
(:func:`replication_seeds`), so two packages differ only where the levers act.  A trial's
objectives and constraints are means over its replications; optuna's TPE (or NSGA-II) sampler
gets the constraints through ``constraints_func`` (a value <= 0 means met).  The study lives
in SQLite inside the output folder, so a search stopped by Ctrl-C (or asked for more trials)
resumes: the finished trials are read back, never run again.

Then the finalists (the feasible, non-dominated packages, best first objective first) are run
again with more replications (the first ones are the search's, reused) and each constraint
gets the probability that it holds on average (one-sided t): the recommended package is the
finalist with the best first objective (put public cost first: the cheapest) whose every
constraint holds at the spec's confidence.
"""
from __future__ import annotations

import hashlib
import json
import math
import sys
import time
from concurrent.futures import Executor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import Issue, ScenarioError, UsageError
from ..experiments.executors import SerialExecutor, batch_size, run_all
from ..experiments.runs import RunSpec, run_one
from ..rng import spawn_seeds
from ..scenario.load import LoadedScenario, load_scenario
from .spec import (BUDGET_RHS, Constraint, Lever, OptimizeSpec, SpecError, derived,
                   grid_values, parse_constraint)

#: optuna's NSGA-II population (fixed, so a resumed study breeds as an uninterrupted one).
NSGA2_POPULATION = 20
#: Where a search's study is kept inside its output folder.
STUDY_FILE = "study.sqlite3"


def replication_seeds(root: int, n: int) -> list[int]:
    """Whole-number seeds of replications 0..n-1: the children ``SeedSequence(root).spawn(n)``
    (never ``root + i``), each drawn down to a 63-bit integer so that ``ruralsim run --seed N``
    reruns any one of them.  The first k of ``n`` seeds are the seeds of ``k``.

    >>> replication_seeds(1, 3)[:2] == replication_seeds(1, 2)
    True
    """
    return [int(ss.generate_state(1, np.uint64)[0] >> np.uint64(1))
            for ss in spawn_seeds(int(root), int(n))]


def require_optuna():
    """The optuna module, or a UsageError saying how to install it (exit 2)."""
    try:
        import optuna
    except ImportError:
        raise UsageError("ruralsim optimize needs optuna, an optional extra: pip install "
                         "'ruralsim[optimize]' / 优化功能需要安装 optuna：pip install "
                         "'ruralsim[optimize]'") from None
    optuna.logging.set_verbosity(optuna.logging.WARNING)
    return optuna


# ----------------------------------------------------------------------------- the problem
@dataclass
class Problem:
    """A spec checked against its scenario: every quantity measurable, every lever valid."""

    base: LoadedScenario
    spec: OptimizeSpec
    constraints: list[Constraint]
    limits: list[float]
    quantities: list[str]
    horizon: int
    package_dir: Path | None = None

    @property
    def objectives(self):
        return self.spec.objectives

    def study_name(self) -> str:
        """Derived from everything that decides a trial's numbers (not the trial count)."""
        key = {"scenario": self.base.hash,
               "levers": [lv.model_dump(mode="json") for lv in self.spec.levers],
               "constraints": [c.text for c in self.constraints],
               "objectives": [o.model_dump(mode="json") for o in self.spec.objectives],
               "replications": self.spec.replications, "seed": self.spec.seed,
               "sampler": self.spec.sampler}
        blob = json.dumps(key, sort_keys=True, ensure_ascii=False)
        return "ruralsim-" + hashlib.sha256(blob.encode()).hexdigest()[:16]

    # ---- levers
    def values_of(self, params: dict[str, Any]) -> dict[str, Any]:
        """Lever key -> the value a trial's parameters stand for."""
        out = {}
        for lv in self.spec.levers:
            v = params[lv.key]
            out[lv.key] = lv.choices[int(v)] if lv.kind == "choice" else v
        return out

    def scenario_for(self, values: dict[str, Any]) -> LoadedScenario:
        """The base scenario with the levers set to ``values`` (packages first)."""
        packages = [self._package(p) for p in values.get("packages", [])]
        also = {lv.key: lv.also for lv in self.spec.levers}
        overrides = [(path, v) for k, v in values.items() if k != "packages"
                     for path in (k, *also.get(k, ()))]
        return load_scenario(self.base, overrides, packages, origin="optimize lever")

    def _package(self, ref: str) -> str:
        if self.package_dir is None or not ref.lstrip("+-").endswith((".yaml", ".yml")):
            return ref
        sign = ref[0] if ref[0] in "+-" else ""
        p = Path(ref.lstrip("+-"))
        return sign + str(p if p.is_absolute() else self.package_dir / p)


def _distribution(optuna, lv: Lever):
    d = optuna.distributions
    if lv.kind == "choice":
        return d.CategoricalDistribution(list(range(len(lv.choices))))
    lo, hi = lv.range
    if lv.kind == "int":
        step = int(lv.step or 1)
        hi = lo + (hi - lo) // step * step
        return d.IntDistribution(int(lo), int(hi), log=lv.log, step=step)
    if lv.step is not None:
        hi = lo + math.floor((hi - lo) / lv.step + 1e-9) * lv.step
    return d.FloatDistribution(float(lo), float(hi), log=lv.log, step=lv.step)


def build_problem(base: LoadedScenario, spec: OptimizeSpec, file: str = "<spec>",
                  lines: dict | None = None, package_dir: Path | None = None) -> Problem:
    """Check ``spec`` against ``base``: quantities are metrics of its runs, bounds that name
    the budget have one, every lever value at its ends (and each choice) makes a valid
    scenario.  Raises :class:`SpecError` naming the spec's file, key path and line."""
    from ..metrics import info, valid_names

    lines = lines or {}
    issues: list[Issue] = []

    def issue(path: tuple, message: str) -> None:
        issues.append(Issue(file, ".".join(map(str, path)), message, _line(lines, path)))

    m = base.model
    horizon = m.run.horizon_months
    budget = m.government.budget.model_dump()
    constraints = spec.parsed_constraints
    if spec.budget == "auto":   # a stated budget is a constraint unless written already
        named = {c.bound for c in constraints if isinstance(c.bound, str)}
        if budget["total_cny"] is not None and not named & {"budget", "budget.total_cny"}:
            constraints.append(parse_constraint("total_public_cost_cny <= budget"))
        if budget["per_year_cny"] is not None and "budget.per_year_cny" not in named:
            constraints.append(parse_constraint("budget.max_year_cost_cny <= budget.per_year_cny"))
    valid = set(valid_names(base))
    quantities: list[str] = []
    places = [(("objectives", i, o.direction), o.quantity) for i, o in enumerate(spec.objectives)]
    places += [(("constraints", i), c.quantity) for i, c in enumerate(constraints)]
    for path, q in places:
        d = derived(q)
        if d is not None:
            name, x = d
            if name == "share_moved_by_month" and not (x.is_integer() and 1 <= x <= horizon):
                issue(path, f"{q}: the month must be a whole number from 1 to the horizon "
                      f"({horizon}) / 月份须为 1 到 {horizon} 的整数")
            elif name == "months_to_share_moved" and not 0 < x <= 1:
                issue(path, f"{q}: the share must be above 0 and at most 1 / 比例须在 0 到 1 之间")
        elif q not in valid:
            issue(path, f"unknown quantity {q!r}: use a metric (ruralsim metrics), "
                  "public_cost_cny, share_moved_by_month[M] or months_to_share_moved[S] "
                  "/ 未知指标")
        elif info(q) is not None and info(q).unit.startswith("table"):
            issue(path, f"{q} is a table, not a number / 该指标是表格而非数值")
        if q not in quantities:
            quantities.append(q)
    limits: list[float] = []
    for i, c in enumerate(constraints):
        lim = c.limit(budget)
        if lim is None:
            issue(("constraints", i), f"{c.text!r} names the budget but the scenario states no "
                  f"government.budget.{BUDGET_RHS[str(c.bound)]} / 情景未设定预算")
            lim = math.nan
        limits.append(lim)
    for q in ("total_public_cost_cny", "share_moved"):
        if q not in quantities:
            quantities.append(q)
    problem = Problem(base, spec, constraints, limits, quantities, horizon, package_dir)
    for i, lv in enumerate(spec.levers):
        tries = lv.choices if lv.kind == "choice" else \
            sorted({_cast(lv, lv.range[0]), _cast(lv, _top(lv))})
        for j, value in enumerate(tries):
            try:
                problem.scenario_for({lv.key: value})
            except ScenarioError as exc:
                where = ("levers", i, "choices", j) if lv.kind == "choice" else ("levers", i, "range")
                first = exc.issues[0] if exc.issues else None
                issue(where, f"{lv.key} = {str(value)[:60]}: "
                      f"{first.path + ': ' if first and first.path else ''}"
                      f"{first.message if first else exc} / 该取值使情景无效")
                break
    if issues:
        raise SpecError(issues)
    return problem


def _top(lv: Lever) -> float:
    lo, hi = lv.range
    if lv.step:
        return lo + math.floor((hi - lo) / lv.step + 1e-9) * lv.step
    return hi


def _cast(lv: Lever, x: float) -> Any:
    return int(x) if lv.kind == "int" else float(x)


def _line(lines: dict, path: tuple) -> int | None:
    p = tuple(path)
    while p:
        if p in lines:
            return lines[p]
        p = p[:-1]
    return lines.get(())


# ----------------------------------------------------------------------------- evaluation
def quantity_value(q: str, metrics: dict[str, Any], moved: np.ndarray | None,
                   horizon: int) -> float:
    """One run's value of quantity ``q``; a censored time (not reached) is horizon + 1."""
    from ..metrics import info

    d = derived(q)
    if d is not None:
        name, x = d
        n = metrics["households"] or 1
        if name == "share_moved_by_month":
            return float(moved[int(x) - 1] / n)
        hit = np.flatnonzero(moved >= x * n)
        return float(hit[0] + 1) if hit.size else float(horizon + 1)
    v = metrics.get(q)
    if v is None:
        i = info(q)
        return float(horizon + 1) if i is not None and i.censored else math.nan
    return float(v)


def evaluate(problem: Problem, loaded: LoadedScenario, seeds: list[int],
             executor: Executor) -> tuple[dict[str, list[float]], dict[str, Any] | None, str]:
    """Run ``loaded`` once per seed; each quantity's value per replication (in seed order),
    the first replication's flattened summary, and an error text ('' when all ran)."""
    need_ts = any(derived(q) for q in problem.quantities)
    cols = ("n_ever_moved",) if need_ts else ()
    specs = [RunSpec(i, loaded, s, (), cols, {"rep": i}) for i, s in enumerate(seeds)]
    results = sorted(run_all(executor, run_one, specs, None,
                             batch=batch_size(len(specs), executor)), key=lambda r: r["rep"])
    bad = [r for r in results if r["status"] != "ok"]
    if bad:
        return {}, None, bad[0]["error"][:500]
    values = {q: [quantity_value(q, r["metrics"], r["timeseries"].get("n_ever_moved"),
                                 problem.horizon) for r in results] for q in problem.quantities}
    return values, results[0]["metrics"], ""


def mean_ci(x: Any) -> tuple[float, float, float]:
    """Mean of ``x`` with its two-sided 95% t interval (NaN when nothing is finite): the
    replications' own interval (``experiments.replicate._mean_ci``)."""
    from ..experiments.replicate import _mean_ci

    return _mean_ci(np.asarray(x, dtype=float))


def holds(x: Any, op: str, limit: float, confidence: float) -> tuple[float, float, float]:
    """(probability that the mean of ``x`` meets ``op limit``, the one-sided bound at
    ``confidence``, the share of single runs that meet it), from a one-sided t."""
    x = np.asarray(x, dtype=float)
    x = x[np.isfinite(x)]
    if x.size == 0 or not math.isfinite(limit):
        return 0.0, math.nan, 0.0
    sign = 1.0 if op == "<=" else -1.0          # as "sign * (x - limit) <= 0"
    m = float(x.mean())
    share = float(np.mean(sign * (x - limit) <= 0))
    sd = float(x.std(ddof=1)) if x.size > 1 else 0.0
    if sd == 0.0:
        return (1.0 if sign * (m - limit) <= 0 else 0.0), m, share
    from scipy import stats

    se = sd / math.sqrt(x.size)
    p = float(stats.t.cdf(sign * (limit - m) / se, x.size - 1))
    bound = m + sign * float(stats.t.ppf(confidence, x.size - 1)) * se
    return p, bound, share


def _violations(problem: Problem, means: dict[str, float]) -> list[float]:
    """Each constraint as optuna wants it: <= 0 when the mean meets it (scaled by the limit,
    so that violations of different units add up)."""
    out = []
    for c, lim in zip(problem.constraints, problem.limits):
        m = means.get(c.quantity, math.nan)
        if not math.isfinite(m) or not math.isfinite(lim):
            out.append(1.0)
            continue
        gap = (m - lim) if c.op == "<=" else (lim - m)
        out.append(gap / max(abs(lim), 1e-9) if lim else gap)
    return out


def _constraints_of(trial) -> list[float]:
    return list(trial.user_attrs.get("violations", [1.0]))


# ----------------------------------------------------------------------------- the result
@dataclass
class OptimizeResult:
    """What :func:`ruralsim.optimize` returns.

    ``candidates``: one row per evaluated package (lever values, each quantity's mean with
    its 95% interval, feasibility); ``pareto``: the feasible non-dominated rows;
    ``finalists``: the confirmation step (probability each constraint holds);
    ``recommended``: the recommended row as a dict, or None, with ``reason`` saying why.
    """

    candidates: pd.DataFrame
    pareto: pd.DataFrame
    finalists: pd.DataFrame
    recommended: dict[str, Any] | None
    reason: str
    study_name: str
    trials_found: int
    trials_run: int
    seeds: list[int]
    confirm_seeds: list[int]
    problem: Problem = field(repr=False)
    #: each trial's value of each quantity per replication (seed order), for reproduction
    per_rep: dict[int, dict[str, list[float]]] = field(default_factory=dict, repr=False)
    #: the scenario as it is with the same seeds: means, feasible, misses (see _baseline)
    baseline: dict[str, Any] = field(default_factory=dict, repr=False)
    out_dir: Path | None = None
    files: list[Path] = field(default_factory=list)

    def scenario(self, trial: int | None = None) -> LoadedScenario:
        """The scenario of ``trial`` (default: the recommended package)."""
        if trial is None:
            if self.recommended is None:
                raise UsageError(f"no package is recommended: {self.reason}")
            trial = int(self.recommended["trial"])
        row = self.candidates.set_index("trial").loc[trial]
        values = json.loads(row["levers_json"])
        return self.problem.scenario_for(values)


# ----------------------------------------------------------------------------- the search
class _Reporter:
    """Progress: an updating line on a terminal, plain lines otherwise, nothing when off."""

    def __init__(self, mode: str | None, total: int) -> None:
        self.mode, self.total, self.start = mode, total, time.perf_counter()

    def __call__(self, done: int, feasible: int) -> None:
        if self.mode is None:
            return
        el = time.perf_counter() - self.start
        text = f"试验 trial {done}/{self.total}  可行 feasible {feasible}  {el:5.0f}s"
        if self.mode == "tty":
            sys.stderr.write("\r" + text + " " * 4 + ("\n" if done >= self.total else ""))
        else:
            sys.stderr.write(text + "\n")
        sys.stderr.flush()


def _param_key(params: dict[str, Any]) -> str:
    return json.dumps(params, sort_keys=True)


def run_search(problem: Problem, storage: Any, executor: Executor | None = None,
               progress: str | None = None,
               on_trial: Callable[[int], None] | None = None) -> OptimizeResult:
    """Run (or resume) the search of ``problem`` in ``storage`` (an optuna storage or None
    for memory) up to ``spec.trials`` finished trials, then confirm the finalists."""
    optuna = require_optuna()
    from optuna.trial import TrialState

    spec = problem.spec
    executor = executor or SerialExecutor()
    seeds = replication_seeds(spec.seed, spec.replications)
    study, per_trial = _open_study(optuna, problem, storage)

    def finished() -> list:
        return [t for t in study.get_trials(deepcopy=False)
                if t.state == TrialState.COMPLETE or
                (t.state == TrialState.FAIL and not t.user_attrs.get("interrupted"))]

    done = finished()
    found = len(done)
    if progress is not None:
        sys.stderr.write(f"研究 study {problem.study_name()}: 已有 {found} 次试验，目标 "
                         f"{spec.trials} 次 / {found} trials found, {spec.trials} asked for\n")
    seen = {t.user_attrs.get("param_key"): (t.number, t.user_attrs["per_rep"])
            for t in done if t.state == TrialState.COMPLETE}
    dists = {lv.key: _distribution(optuna, lv) for lv in spec.levers}
    todo = max(0, spec.trials - found)
    if spec.sampler == "grid":
        todo = _queue_grid(study, problem, dists, done, todo)
    report = _Reporter(progress, spec.trials)
    n_feasible = sum(1 for t in done if t.state == TrialState.COMPLETE
                     and max(t.user_attrs.get("violations", [0]), default=0) <= 0)
    for k in range(todo):
        trial = study.ask(dists)
        try:
            n_feasible += bool(_run_trial(problem, study, trial, seen, seeds, executor,
                                          per_trial))
        except BaseException:   # Ctrl-C (or a bug) before the trial was told: not counted
            if study._storage.get_trial(trial._trial_id).state == TrialState.RUNNING:
                study._storage.set_trial_user_attr(trial._trial_id, "interrupted", True)
                study.tell(trial, state=TrialState.FAIL)
            raise
        if on_trial is not None:
            on_trial(trial.number)
        report(found + k + 1, n_feasible)
    candidates, per_rep = candidates_table(problem, finished())
    result = _confirm(problem, candidates, per_rep, found, todo, seeds, executor, study)
    result.baseline = _baseline(problem, study, seeds, executor)
    return result


def _open_study(optuna, problem: Problem, storage: Any) -> tuple[Any, bool]:
    """Create or load the study; trials a Ctrl-C left running are marked interrupted.
    Returns the study and whether constraints go through ``Trial.set_constraint``."""
    from optuna.trial import TrialState

    spec = problem.spec
    # constraints reach the sampler through Trial.set_constraint (optuna >= 5) or, before
    # it existed, through the sampler's constraints_func (optuna 3.6 - 4.x)
    per_trial = hasattr(optuna.trial.Trial, "set_constraint")
    kw = {} if per_trial or not problem.constraints else {"constraints_func": _constraints_of}
    if spec.sampler == "nsga2":
        sampler = optuna.samplers.NSGAIISampler(population_size=NSGA2_POPULATION, seed=spec.seed,
                                                **kw)
    else:   # tpe, and grid (its combinations are queued: _queue_grid)
        sampler = optuna.samplers.TPESampler(seed=spec.seed, **kw)
    study = optuna.create_study(storage=storage, study_name=problem.study_name(),
                                sampler=sampler, load_if_exists=True,
                                directions=[o.direction for o in spec.objectives])
    for t in study.get_trials(deepcopy=False, states=(TrialState.RUNNING, TrialState.WAITING)):
        study._storage.set_trial_user_attr(t._trial_id, "interrupted", True)
        study._storage.set_trial_state_values(t._trial_id, TrialState.FAIL)
    return study, per_trial


def _queue_grid(study, problem: Problem, dists: dict, done: list, todo: int) -> int:
    """Queue the grid's combinations not run yet (at most ``todo``), in order; how many."""
    import itertools

    space = [grid_values(lv) for lv in problem.spec.levers]
    tried = {_param_key(t.params) for t in done}
    combos = [dict(zip(dists, c)) for c in itertools.product(*space)]
    combos = [c for c in combos if _param_key(c) not in tried][:todo]
    for c in combos:
        study.enqueue_trial(c)
    return len(combos)


def _run_trial(problem: Problem, study, trial, seen: dict, seeds: list[int],
               executor: Executor, per_trial: bool) -> bool | None:
    """Evaluate one asked trial and tell the study; True when it meets every constraint on
    average, False when not, None when it failed.  A package already run is not run again."""
    from optuna.trial import TrialState

    values = problem.values_of(trial.params)
    key = _param_key(values)
    trial.set_user_attr("levers", values)
    trial.set_user_attr("param_key", key)
    if key in seen:    # the sampler proposed a package already run: the same numbers
        number, per = seen[key]
        err = ""
        trial.set_user_attr("same_as_trial", number)
    else:
        try:
            loaded = problem.scenario_for(values)
        except ScenarioError as exc:
            per, err = {}, f"invalid scenario: {exc}"[:500]
        else:
            per, _, err = evaluate(problem, loaded, seeds, executor)
            per = {q: [None if not math.isfinite(v) else v for v in vals]
                   for q, vals in per.items()}
    if err:
        trial.set_user_attr("error", err)
        study.tell(trial, state=TrialState.FAIL)
        return None
    means = {q: mean_ci([math.nan if v is None else v for v in vals])[0]
             for q, vals in per.items()}
    objs = [means[o.quantity] for o in problem.spec.objectives]
    viol = _violations(problem, means)
    trial.set_user_attr("per_rep", per)
    trial.set_user_attr("violations", viol)
    if per_trial:
        for i, v in enumerate(viol):
            trial.set_constraint(f"c{i}", v)
    if not all(math.isfinite(v) for v in objs):
        trial.set_user_attr("error", "an objective has no value in any replication / 目标值缺失")
        study.tell(trial, state=TrialState.FAIL)
        return None
    study.tell(trial, objs)
    seen.setdefault(key, (trial.number, per))
    return max(viol, default=0) <= 0


def _baseline(problem: Problem, study, seeds: list[int], executor: Executor) -> dict[str, Any]:
    """The scenario as it is (no lever moved), with the same seeds: each quantity's mean and
    95% interval, whether it meets the constraints and what it misses.  Run once per study
    (kept in the study's attributes)."""
    stored = study.user_attrs.get("baseline")
    if stored is None:
        per, _, err = evaluate(problem, problem.base, seeds, executor)
        stored = {"error": err, "per_rep": {q: [None if not math.isfinite(v) else v for v in vals]
                                            for q, vals in per.items()}}
        study.set_user_attr("baseline", stored)
    per = {q: [math.nan if v is None else v for v in vals]
           for q, vals in stored["per_rep"].items()}
    means = {q: mean_ci(v) for q, v in per.items()}
    misses = []
    for c, lim in zip(problem.constraints, problem.limits):
        m = means.get(c.quantity, (math.nan,))[0]
        if not (m <= lim if c.op == "<=" else m >= lim):
            misses.append(f"{c.quantity} {m:.4g} ({c.op} {lim:.4g})")
    return {"error": stored["error"], "means": means, "per_rep": per,
            "feasible": not stored["error"] and not misses, "misses": misses}


def candidates_table(problem: Problem, trials: list
                     ) -> tuple[pd.DataFrame, dict[int, dict[str, list[float]]]]:
    """One row per finished trial: levers, each quantity's mean [95% CI], feasibility; and
    each trial's values per replication."""
    from optuna.trial import TrialState

    rows, per_rep = [], {}
    for t in trials:
        values = t.user_attrs.get("levers", {})
        row: dict[str, Any] = {"trial": t.number,
                               "status": "ok" if t.state == TrialState.COMPLETE else "failed",
                               "error": t.user_attrs.get("error", ""),
                               "same_as_trial": t.user_attrs.get("same_as_trial")}
        for lv in problem.spec.levers:
            v = values.get(lv.key)
            row[lv.key] = json.dumps(v, ensure_ascii=False) if isinstance(v, (list, dict)) else v
        per = t.user_attrs.get("per_rep", {})
        per_rep[t.number] = {q: [math.nan if v is None else v for v in per.get(q, [])]
                             for q in problem.quantities}
        for q in problem.quantities:
            m, lo, hi = mean_ci(per_rep[t.number][q])
            row[f"{q}__mean"], row[f"{q}__ci_low"], row[f"{q}__ci_high"] = m, lo, hi
        viol = t.user_attrs.get("violations")
        row["reps"] = len(next(iter(per.values()), []))
        row["feasible"] = bool(row["status"] == "ok" and viol is not None
                               and max(viol, default=0) <= 0)
        row["violation"] = float(sum(max(0.0, v) for v in viol)) if viol else math.nan
        row["levers_json"] = json.dumps(values, ensure_ascii=False, sort_keys=True)
        rows.append(row)
    df = pd.DataFrame(rows)
    if not df.empty:
        df["pareto"] = _pareto_mask(problem, df)
    return df, per_rep


def _oriented(problem: Problem, df: pd.DataFrame) -> np.ndarray:
    cols = []
    for o in problem.spec.objectives:
        x = df[f"{o.quantity}__mean"].to_numpy(dtype=float)
        cols.append(x if o.direction == "minimize" else -x)
    return np.column_stack(cols)


def _pareto_mask(problem: Problem, df: pd.DataFrame) -> np.ndarray:
    """Feasible rows no other feasible row dominates (a repeated package counts once)."""
    ok = (df["feasible"] & df["same_as_trial"].isna()).to_numpy()
    f = _oriented(problem, df)
    mask = np.zeros(len(df), dtype=bool)
    idx = np.flatnonzero(ok)
    for i in idx:
        others = f[idx]
        dominated = np.any(np.all(others <= f[i], axis=1) & np.any(others < f[i], axis=1))
        mask[i] = not dominated
    return mask


def _rank(problem: Problem, df: pd.DataFrame) -> pd.DataFrame:
    """``df`` best first by the objectives in order (the first decides)."""
    f = _oriented(problem, df)
    order = np.lexsort(f.T[::-1]) if len(df) else np.array([], dtype=int)
    return df.iloc[order]


def _confirm(problem: Problem, candidates: pd.DataFrame,
             per_rep: dict[int, dict[str, list[float]]], found: int, ran: int,
             seeds: list[int], executor: Executor, study=None) -> OptimizeResult:
    """The ranking-and-selection step: finalists re-run with more replications (kept in the
    study's attributes, so a resumed search does not run them again)."""
    spec = problem.spec
    confirm_seeds = replication_seeds(spec.seed, spec.confirm_replications)
    name = problem.study_name()
    empty = pd.DataFrame()
    if candidates.empty:
        return OptimizeResult(candidates, empty, empty, None, "no trial has finished / 尚无完成的试验",
                              name, found, ran, seeds, confirm_seeds, problem, per_rep)
    pareto = _rank(problem, candidates[candidates["pareto"]])
    finals = pareto.head(spec.finalists)
    candidates["finalist"] = candidates["trial"].isin(finals["trial"])
    if finals.empty:
        return OptimizeResult(candidates, pareto, empty, None, _none_reason(problem, candidates),
                              name, found, ran, seeds, confirm_seeds, problem, per_rep)
    rows = []
    extra = confirm_seeds[len(seeds):]
    for _, cand in finals.iterrows():
        values = json.loads(cand["levers_json"])
        per: dict[str, list[float]] = {}
        more, err = _confirmation_runs(problem, study, int(cand["trial"]), values, extra,
                                       executor)
        base = per_rep[int(cand["trial"])]
        for q in problem.quantities:
            per[q] = base[q] + more.get(q, [])
        row: dict[str, Any] = {"trial": int(cand["trial"]), "reps": len(per[problem.quantities[0]]),
                               "error": err}
        for lv in spec.levers:
            row[lv.key] = cand[lv.key]
        for o in spec.objectives:
            m, lo, hi = mean_ci(per[o.quantity])
            row[f"{o.quantity}__mean"], row[f"{o.quantity}__ci_low"] = m, lo
            row[f"{o.quantity}__ci_high"] = hi
        meets = not err
        for i, (c, lim) in enumerate(zip(problem.constraints, problem.limits)):
            p, bound, share = holds(per[c.quantity], c.op, lim, spec.confidence)
            row[f"c{i}__constraint"] = c.text
            row[f"c{i}__mean"] = mean_ci(per[c.quantity])[0]
            row[f"c{i}__limit"] = lim
            row[f"c{i}__bound_at_confidence"] = bound
            row[f"c{i}__probability_holds"] = p
            row[f"c{i}__share_of_runs_meeting"] = share
            meets = meets and p >= spec.confidence
        row["meets_all_at_confidence"] = bool(meets)
        row["levers_json"] = cand["levers_json"]
        rows.append(row)
    finalists = _rank(problem, pd.DataFrame(rows))
    finalists["recommended"] = False
    ok = finalists[finalists["meets_all_at_confidence"]]
    rec, reason = None, ""
    if ok.empty:
        reason = (f"none of the {len(finalists)} finalists meets every constraint at "
                  f"{spec.confidence:.0%} confidence with {spec.confirm_replications} "
                  f"replications (they meet them on average in the search) / {len(finalists)} "
                  f"个入围方案在 {spec.confidence:.0%} 置信度下均未能满足全部约束")
    else:
        first = ok.index[0]
        finalists.loc[first, "recommended"] = True
        rec = finalists.loc[first].to_dict()
        reason = (f"trial {rec['trial']}: the best first objective ({spec.objectives[0].quantity}) "
                  f"among the finalists that meet every constraint at {spec.confidence:.0%} "
                  f"confidence / 试验 {rec['trial']}：在 {spec.confidence:.0%} 置信度下满足全部约束的"
                  f"入围方案中首要目标最优")
    candidates["recommended"] = candidates["trial"] == (rec["trial"] if rec else -1)
    return OptimizeResult(candidates, pareto, finalists.reset_index(drop=True), rec, reason,
                          name, found, ran, seeds, confirm_seeds, problem, per_rep)


def _confirmation_runs(problem: Problem, study, trial: int, values: dict, seeds: list[int],
                       executor: Executor) -> tuple[dict[str, list[float]], str]:
    """A finalist's values on the confirmation seeds beyond the search's, and an error text."""
    if not seeds:
        return {q: [] for q in problem.quantities}, ""
    key = f"confirm:{trial}:{len(seeds)}"
    stored = study.user_attrs.get(key) if study is not None else None
    if stored is None:
        per, _, err = evaluate(problem, problem.scenario_for(values), seeds, executor)
        stored = {"error": err, "per_rep": {q: [None if not math.isfinite(v) else v
                                                for v in vals] for q, vals in per.items()}}
        if study is not None:
            study.set_user_attr(key, stored)
    return ({q: [math.nan if v is None else v for v in vals]
             for q, vals in stored["per_rep"].items()}, stored["error"])


def _none_reason(problem: Problem, candidates: pd.DataFrame) -> str:
    """Why nothing is recommended: no package in the ranges met the constraints on average;
    the closest one and what it misses."""
    ok = candidates[candidates["status"] == "ok"]
    n = len(candidates)
    if ok.empty:
        return (f"all {n} trials failed (first error: {candidates['error'].iloc[0][:200]}) "
                f"/ 全部 {n} 次试验失败")
    best = ok.sort_values("violation").iloc[0]
    misses = []
    for c, lim in zip(problem.constraints, problem.limits):
        m = best[f"{c.quantity}__mean"]
        if not (m <= lim if c.op == "<=" else m >= lim):
            misses.append(f"{c.quantity} {m:.4g} (limit {c.op} {lim:.4g})")
    return (f"no package within the lever ranges met every constraint on average in {n} "
            f"trials; the closest (trial {int(best['trial'])}) misses: {'; '.join(misses)} "
            f"/ 在杠杆取值范围内的 {n} 次试验中，没有方案平均满足全部约束")
