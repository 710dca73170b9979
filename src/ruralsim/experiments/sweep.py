"""Parameter sweeps: a design table of overrides and seeds, an executor, a resumable store.

A sweep file names a base scenario, the parameters (dotted key paths with a range or a
list), a design (full grid, Latin hypercube or Sobol from ``scipy.stats.qmc``, an explicit
CSV table, or a SALib sample for sensitivity analysis), the replications and the metrics to
keep.  Each finished run is appended to ``runs.jsonl`` (flushed and synced) as it
completes; a sweep restarted with the same command skips the runs already there and ends
with the same ``results.csv`` as an uninterrupted one.

Example sweep file::

    base: ../scenarios/nanpu.yaml
    parameters:
      behaviour.b_social: {low: 1.0, high: 5.0}
      strategy.withdrawal.threshold_share: [0.2, 0.35, 0.5]
    design: {method: grid, levels: 3}
    replications: 2
    metrics: [months_to_90pct_moved, peak_financing_gap_cny]
"""
from __future__ import annotations

import csv
import io
import itertools
import json
import os
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator
from scipy.stats import qmc

from ..errors import Issue, ScenarioError, UsageError
from ..outputs import write_text_atomic
from ..rng import seed_label, spawn_seeds
from ..scenario.load import LoadedScenario, load_scenario, validate_model
from ..scenario.schema import ASSUMPTION, P, Strict
from ..scenario.yamlio import read_yaml_file
from .executors import Progress, SerialExecutor, run_all
from .runs import RunSpec, run_one

RUNS_FILE = "runs.jsonl"


class Range(Strict):
    low: float = P(..., "as the parameter", "-", "Lower bound.")
    high: float = P(..., "as the parameter", "-", "Upper bound.")
    integer: bool = P(False, "-", "-", "Round sampled values to whole numbers.")

    @model_validator(mode="after")
    def _order(self) -> "Range":
        if not self.high > self.low:
            raise ValueError(f"high ({self.high}) must exceed low ({self.low})")
        return self


class Design(Strict):
    method: Literal["grid", "lhs", "sobol", "table", "salib_sobol", "morris"] = P(
        "grid", "-", "-", "grid: every combination; lhs / sobol: scipy.stats.qmc samples; "
        "table: rows of a CSV; salib_sobol / morris: SALib samples for sensitivity analysis.")
    samples: int = P(16, "points", ASSUMPTION, "Points for lhs and sobol; base sample N for "
                     "salib_sobol; trajectories for morris.", ge=1, le=1_000_000)
    levels: int = P(3, "levels", ASSUMPTION, "Levels per range parameter in a grid.", ge=2,
                    le=1000)
    seed: int = P(1, "-", "-", "Seed of the sampler.", ge=0)
    file: str | None = P(None, "-", "-", "CSV design table (method 'table'), one column per "
                         "parameter, relative to the sweep file.")


class SweepSpec(Strict):
    base: str = P("nanpu", "-", "-", "Base scenario file (relative to the sweep file) or a "
                  "built-in name.")
    packages: list[str] = P([], "-", "-", "Packages stacked on the base.")
    overrides: dict[str, Any] = P({}, "-", "-", "Fixed overrides applied to every run.")
    parameters: dict[str, Range | list[Any]] = P({}, "-", "-", "Swept parameters by dotted "
                                                  "key path: a range or a list of values.")
    design: Design = P({}, "-", "-", "How design points are chosen.")
    replications: int = P(1, "runs per point", "-", "Replications per design point.", ge=1,
                          le=100_000)
    seed: int = P(1, "-", "-", "Root seed; replication r of every point uses child seed r.",
                  ge=0)
    metrics: list[str] = P(["share_moved", "months_to_90pct_moved", "total_public_cost_cny",
                            "peak_financing_gap_cny", "households_pushed",
                            "households_stranded_final"], "-", "-", "Summary metrics kept.",
                           min_length=1)


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file (errors name the file, key path and line)."""
    doc = read_yaml_file(path)
    where = {p: (doc.file, line) for p, line in doc.lines.items()}
    spec = validate_model(SweepSpec, doc.data, where, doc.file)
    return spec, Path(path).resolve().parent


# ----------------------------------------------------------------------------- designs
def _scale(unit: np.ndarray, params: dict[str, Any]) -> pd.DataFrame:
    cols = {}
    for j, (name, p) in enumerate(params.items()):
        if isinstance(p, Range):
            v = p.low + unit[:, j] * (p.high - p.low)
            cols[name] = np.round(v) if p.integer else v
        else:  # a list: pick an item by the unit value
            idx = np.minimum((unit[:, j] * len(p)).astype(int), len(p) - 1)
            cols[name] = [p[i] for i in idx]
    return pd.DataFrame(cols)


def salib_problem(params: dict[str, Any]) -> dict:
    """SALib problem definition from range parameters."""
    bad = [k for k, v in params.items() if not isinstance(v, Range)]
    if bad:
        raise UsageError(f"sensitivity analysis needs ranges, not lists: {', '.join(bad)}")
    return {"num_vars": len(params), "names": list(params),
            "bounds": [[p.low, p.high] for p in params.values()]}


def build_design(spec: SweepSpec, base_dir: Path) -> pd.DataFrame:
    """The design points (one row each, one column per parameter)."""
    params, d = spec.parameters, spec.design
    k = len(params)
    if d.method == "table":
        if not d.file:
            raise UsageError("design.method 'table' needs design.file")
        table = pd.read_csv(base_dir / d.file)
        missing = [p for p in params if p not in table.columns] if params else []
        if missing:
            raise UsageError(f"design table lacks columns: {', '.join(missing)}")
        return table.reset_index(drop=True)
    if k == 0:
        return pd.DataFrame(index=[0])
    if d.method == "grid":
        axes = [np.linspace(p.low, p.high, d.levels) if isinstance(p, Range) else list(p)
                for p in params.values()]
        rows = list(itertools.product(*axes))
        df = pd.DataFrame(rows, columns=list(params))
        for name, p in params.items():
            if isinstance(p, Range) and p.integer:
                df[name] = np.round(df[name])
        return df
    if d.method == "lhs":
        return _scale(qmc.LatinHypercube(d=k, seed=d.seed).random(d.samples), params)
    if d.method == "sobol":
        return _scale(qmc.Sobol(d=k, scramble=True, seed=d.seed).random(d.samples), params)
    problem = salib_problem(params)
    try:
        if d.method == "salib_sobol":
            from SALib.sample import sobol as sobol_sample
            x = sobol_sample.sample(problem, d.samples, calc_second_order=False, seed=d.seed)
        else:
            from SALib.sample import morris as morris_sample
            x = morris_sample.sample(problem, d.samples, seed=d.seed)
    except ImportError:
        raise UsageError("sensitivity designs need the 'sensitivity' extra: pip install "
                         "'ruralsim[sensitivity]'") from None
    return pd.DataFrame(x, columns=list(params))


def design_runs(spec: SweepSpec, design: pd.DataFrame) -> pd.DataFrame:
    """The full run table: every design point x replication, with run id and seed label."""
    seeds = spawn_seeds(spec.seed, spec.replications)
    rows = []
    for p, point in enumerate(design.to_dict("records")):
        for r, s in enumerate(seeds):
            rows.append({"run_id": p * spec.replications + r, "point": p, "rep": r,
                         "seed": seed_label(s), **point})
    return pd.DataFrame(rows)


# ----------------------------------------------------------------------------- the store
def _read_runs(path: Path) -> dict[int, dict]:
    """Finished runs in the store; a torn last line (killed mid-write) is ignored."""
    done: dict[int, dict] = {}
    if not path.exists():
        return done
    for line in path.read_text(encoding="utf-8").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        done[int(rec["run_id"])] = rec
    return done


def _drop_torn_tail(path: Path) -> None:
    """Cut a last line left unfinished by a killed sweep, so new records start on a new line."""
    if not path.exists():
        return
    data = path.read_bytes()
    if data and not data.endswith(b"\n"):
        with open(path, "r+b") as fh:
            fh.truncate(data.rfind(b"\n") + 1)


def _fingerprint(spec: SweepSpec, runs: pd.DataFrame, scenario: LoadedScenario) -> str:
    buf = io.StringIO()
    runs.to_csv(buf, index=False)
    return json.dumps({"spec": spec.model_dump(mode="json"), "scenario": scenario.hash,
                       "runs": buf.getvalue()}, sort_keys=True)


def run_sweep(spec: SweepSpec, base_dir: Path, out: Path, executor: Executor | None = None,
              progress: bool = False) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out``; returns the results table."""
    base = spec.base
    bpath = base_dir / base
    sc = load_scenario(bpath if bpath.exists() else base,
                       list(spec.overrides.items()), spec.packages)
    design = build_design(spec, base_dir)
    runs = design_runs(spec, design)
    params = list(spec.parameters) if spec.design.method != "table" else list(design.columns)
    _check_overrides(sc, params, design)
    out.mkdir(parents=True, exist_ok=True)
    stamp = out / "sweep.json"
    fp = _fingerprint(spec, runs, sc)
    if stamp.exists() and stamp.read_text(encoding="utf-8") != fp:
        raise UsageError(f"{out} holds a different sweep; use another --out folder "
                         "/ 该目录属于另一组扫描")
    if not stamp.exists():
        write_text_atomic(stamp, fp)
        write_text_atomic(out / "design.csv", runs.to_csv(index=False))
    store = out / RUNS_FILE
    _drop_torn_tail(store)
    done = _read_runs(store)
    seeds = spawn_seeds(spec.seed, spec.replications)
    todo = [RunSpec(int(r["run_id"]), sc, seeds[int(r["rep"])],
                    tuple((p, _plain(r[p])) for p in params), (),
                    {"run_id": int(r["run_id"])})
            for r in runs.to_dict("records") if int(r["run_id"]) not in done]
    bar = Progress(len(runs), "扫描 sweep", progress)
    bar.done = len(runs) - len(todo)
    with open(store, "a", encoding="utf-8") as fh:
        def record(res: dict) -> None:
            rec = {"run_id": res["run_id"], "status": res["status"], "error": res["error"],
                   **{m: res["metrics"].get(m) for m in spec.metrics}}
            fh.write(json.dumps(rec, sort_keys=True) + "\n")
            fh.flush()
            os.fsync(fh.fileno())
        run_all(executor or SerialExecutor(), run_one, todo, bar, record)
    table = results_table(runs, _read_runs(store), spec.metrics)
    write_results(table, out)
    return table


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _check_overrides(sc: LoadedScenario, params: list[str], design: pd.DataFrame) -> None:
    """Validate the first design point fully before any run starts."""
    if not params or design.empty:
        return
    first = design.iloc[0]
    try:
        load_scenario(sc, [(p, _plain(first[p])) for p in params])
    except ScenarioError as exc:
        raise ScenarioError([Issue("sweep design", i.path, i.message) for i in exc.issues]) \
            from None


def results_table(runs: pd.DataFrame, done: dict[int, dict], metrics: list[str]) -> pd.DataFrame:
    recs = [done.get(int(i), {"status": "missing", "error": ""}) for i in runs["run_id"]]
    res = pd.DataFrame([{"status": r.get("status"), "error": r.get("error", ""),
                         **{m: r.get(m) for m in metrics}} for r in recs])
    return pd.concat([runs.reset_index(drop=True), res], axis=1)


def write_results(table: pd.DataFrame, out: Path) -> None:
    """results.csv always; results.parquet when pyarrow is installed."""
    write_text_atomic(out / "results.csv", table.to_csv(index=False, quoting=csv.QUOTE_MINIMAL))
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return
    tmp = out / f".results.parquet.tmp-{os.getpid()}"
    table.astype({"seed": str}).to_parquet(tmp, index=False)
    os.replace(tmp, out / "results.parquet")


# ----------------------------------------------------------------------------- sensitivity
def sensitivity(spec: SweepSpec, table: pd.DataFrame) -> pd.DataFrame:
    """Sobol (first and total order) or Morris indices per metric, from a sweep's results.

    Replications are averaged per design point before the analysis.
    """
    problem = salib_problem(spec.parameters)
    means = table[table["status"] == "ok"].groupby("point")[spec.metrics].mean()
    x = table.drop_duplicates("point").set_index("point")[list(spec.parameters)]
    if len(means) != len(x):
        raise UsageError("sensitivity analysis needs every design point to have run")
    rows = []
    for m in spec.metrics:
        y = pd.to_numeric(means[m], errors="coerce").to_numpy(dtype=float)
        if not np.isfinite(y).all():
            y = np.nan_to_num(y, nan=np.nanmean(y) if np.isfinite(y).any() else 0.0)
        rows += [{"metric": m, **r} for r in indices(spec.design.method, problem, x.to_numpy(), y)]
    return pd.DataFrame(rows)


def indices(method: str, problem: dict, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """SALib analysis: Sobol S1/ST with confidence intervals, or Morris mu*/sigma."""
    if method == "salib_sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=False, seed=1)
        return [{"parameter": n, "S1": si["S1"][i], "S1_conf": si["S1_conf"][i],
                 "ST": si["ST"][i], "ST_conf": si["ST_conf"][i]}
                for i, n in enumerate(problem["names"])]
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, x, y, seed=1)
        return [{"parameter": n, "mu_star": si["mu_star"][i],
                 "mu_star_conf": si["mu_star_conf"][i], "sigma": si["sigma"][i]}
                for i, n in enumerate(problem["names"])]
    raise UsageError("sensitivity needs design.method salib_sobol or morris")


def save_sensitivity(result: pd.DataFrame, out: Path) -> None:
    write_text_atomic(out / "sensitivity.csv", result.to_csv(index=False))

