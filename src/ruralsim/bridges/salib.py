"""SALib's ``ProblemSpec`` in and out (needs ``SALib``: ``pip install 'ruralsim[sensitivity]'``).

A ``ProblemSpec`` names the parameters (here: scenario key paths, as ``--set``) and their
bounds; SALib samples it with any of its samplers and analyses it with any of its methods
(Sobol, Morris, FAST, RBD-FAST, DGSM, PAWN, delta, HDMR...).  This module runs ruralsim on the
samples and hands the ``ProblemSpec`` back with its results, so every SALib method works::

    from ruralsim.bridges.salib import evaluate, problem_spec

    sp = problem_spec({"behaviour.b_service": (1.0, 5.0),
                       "government.construction_teams": (1, 5)})
    sp.sample_latin(64, seed=1)
    evaluate(sp, "nanpu", outputs=["share_moved", "months_to_90pct_moved"], replications=2)
    sp.analyze_pawn(S=8, seed=1)
    print(sp.to_df())

* :func:`problem_spec` -- a ``ProblemSpec`` from ``{key path: (low, high)}``, the ranges of a
  sweep file, or the factors of ``ruralsim evidence sensitivity``;
* :func:`evaluate` -- every sample row run ``replications`` times with ruralsim's seeds
  (child ``i`` of ``seed`` for replication ``i``, as :func:`ruralsim.replicate`); the results
  are the means over replications, one column per output;
* :func:`from_sweep` -- the samples and results of a finished sweep (``results.csv``) as a
  ``ProblemSpec``, ready for an analysis compatible with its design.

Censoring, as everywhere in ruralsim: a time to an event not reached within the horizon
counts as horizon + 1 and the share of censored runs is kept (``sp.censored_share``); above
:data:`ruralsim.metrics.HEAVY_CENSORING` a warning says the indices would describe the
horizon.  A value undefined in a run (no movers, say) is never imputed: it stays NaN, with
a warning.
"""
from __future__ import annotations

import warnings
from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Iterable, Mapping, Sequence

import numpy as np
import pandas as pd

from ..errors import UsageError


def import_salib():
    """SALib's ``ProblemSpec`` class, or a UsageError saying how to install SALib."""
    try:
        from SALib import ProblemSpec
    except ImportError:
        raise UsageError("SALib is needed: pip install 'ruralsim[sensitivity]' / 需要安装 "
                         "SALib") from None
    return ProblemSpec


def problem_spec(parameters: Any, outputs: Sequence[str] | None = None):
    """A ``SALib.ProblemSpec`` of ``parameters``: a mapping key path -> ``(low, high)`` (or a
    sweep's ``Range``), a :class:`~ruralsim.experiments.SweepSpec` (its ranges, and its lists
    of numbers from the smallest to the largest), or
    factors of :mod:`ruralsim.evidence.sensitivity` (objects with ``name``, ``low``,
    ``high``).  ``outputs``: names of the outputs (set by :func:`evaluate` otherwise)."""
    ProblemSpec = import_salib()
    from ..experiments.sweep import Range, SweepSpec

    if isinstance(parameters, SweepSpec):   # a list of numbers spans its smallest to largest
        parameters = {k: (min(v), max(v)) if isinstance(v, list) and len(set(v)) > 1 and all(
            isinstance(x, (int, float)) and not isinstance(x, bool) for x in v) else v
            for k, v in parameters.parameters.items()}
    names, bounds = [], []
    if isinstance(parameters, Mapping):
        for k, v in parameters.items():
            if isinstance(v, Range):
                lo, hi = v.low, v.high
            elif isinstance(v, (tuple, list)) and len(v) == 2 and \
                    all(isinstance(x, (int, float, np.number)) for x in v):
                lo, hi = v
            else:
                raise UsageError(f"parameter {k}: SALib needs a range (low, high), not {v!r} "
                                 "/ 敏感性分析需要取值范围")
            if not float(hi) > float(lo):
                raise UsageError(f"parameter {k}: high ({hi}) must exceed low ({lo}) "
                                 "/ 上限须大于下限")
            names.append(str(k))
            bounds.append([float(lo), float(hi)])
    else:
        for f in parameters:
            names.append(f.name)
            bounds.append([float(f.low), float(f.high)])
    if not names:
        raise UsageError("no parameters to analyse / 没有可分析的参数")
    spec = {"names": names, "bounds": bounds, "num_vars": len(names)}
    if outputs:
        spec["outputs"] = list(outputs)
    return ProblemSpec(spec)


def _job(args) -> dict[str, Any]:
    """One sample row and replication (picklable for process pools and dask)."""
    from ..data import flat_metrics
    from ..scenario.load import load_scenario
    from ..simulate import simulate

    i, rep, scenario, overrides, seed, outputs = args
    try:
        res = simulate(load_scenario(scenario, overrides), seed=seed)
    except Exception as exc:  # noqa: BLE001 - a failed run is reported, never filled in
        return {"row": i, "rep": rep, "error": f"{type(exc).__name__}: {exc}"[:300]}
    m, c = flat_metrics(res.summary)
    return {"row": i, "rep": rep, "horizon": res.summary["horizon_months"],
            "values": [m.get(o, np.nan) for o in outputs],
            "censored": [c.get(o, False) for o in outputs]}


def evaluate(sp, scenario: Any = "nanpu", outputs: Sequence[str] = ("share_moved",),
             replications: int = 1, seed: int | None = None, overrides: Iterable = (),
             packages: Iterable[str] = (), executor: Executor | None = None,
             integers: Iterable[str] = (), progress: bool = False):
    """Run ``scenario`` on every row of ``sp.samples`` and set ``sp``'s results (the mean over
    ``replications`` of each output); returns ``sp`` (see the module's docstring).

    Parameter values are set on the key paths named by ``sp["names"]`` (``integers``: key
    paths rounded to whole numbers).  A run that fails raises (indices need every run).
    """
    from ..experiments.executors import Progress, SerialExecutor, run_all
    from ..experiments.replicate import check_reps, check_seed
    from ..metrics import HEAVY_CENSORING, check_metric_names, info
    from ..rng import spawn_seeds
    from ..scenario.load import load_scenario

    if sp.samples is None:
        raise UsageError("the ProblemSpec has no samples: call one of its sample_* methods "
                         "first (sp.sample_latin(64), say) / 请先抽样")
    reps, seed = check_reps(replications), check_seed(seed)
    base = load_scenario(scenario, overrides, packages)
    seed = base.model.run.seed if seed is None else seed
    outputs = check_metric_names(list(outputs), base, where="SALib outputs")
    ints = set(integers)
    names = list(sp["names"])
    x = np.asarray(sp.samples)
    load_scenario(base, [(n, int(round(v)) if n in ints else float(v))
                         for n, v in zip(names, x[0])])   # a bad key path fails here, once
    seeds = spawn_seeds(seed, reps)
    jobs = [(i, r, base, [(n, int(round(v)) if n in ints else float(v))
                          for n, v in zip(names, row)], seeds[r], outputs)
            for i, row in enumerate(x) for r in range(reps)]
    res = run_all(executor or SerialExecutor(), _job, jobs,
                  Progress(len(jobs), "runs", progress))
    failed = [r for r in res if "error" in r]
    if failed:
        raise UsageError(f"{len(failed)} of {len(res)} runs failed (first: row "
                         f"{failed[0]['row']}: {failed[0]['error']}); indices need every run "
                         "/ 部分运行失败")
    res.sort(key=lambda r: (r["row"], r["rep"]))
    vals = np.array([r["values"] for r in res], dtype=np.float64).reshape(len(x), reps, -1)
    cens = np.array([r["censored"] for r in res], dtype=bool).reshape(len(x), reps, -1)
    horizon = np.array([r["horizon"] for r in res], dtype=np.float64).reshape(len(x), reps)
    shares = {}
    for j, o in enumerate(outputs):
        i = info(o)
        if i is not None and i.censored:
            vals[:, :, j] = np.where(cens[:, :, j], horizon + 1, vals[:, :, j])
            shares[o] = float(cens[:, :, j].mean())
            if shares[o] > HEAVY_CENSORING:
                warnings.warn(f"{o}: {shares[o]:.0%} of runs censored at horizon + 1 (more "
                              f"than {HEAVY_CENSORING:.0%}); its indices would describe the "
                              "horizon, not the model / 截尾比例过高", stacklevel=2)
        undefined = int(np.isnan(vals[:, :, j]).any(axis=1).sum())
        if undefined:
            warnings.warn(f"{o}: undefined in {undefined} of {len(x)} sample rows (kept as "
                          "NaN, never imputed) / 部分样本无定义", stacklevel=2)
    y = vals.mean(axis=1)
    sp["outputs"] = list(outputs)
    sp.set_results(y if y.shape[1] > 1 else y[:, 0])
    sp.censored_share = shares
    return sp


def from_sweep(folder: str | Path, metrics: Sequence[str] | None = None):
    """The samples (design points) and results (means over replications) of a finished
    sweep as a ``ProblemSpec``; ``metrics``: the outputs (default: the sweep's metrics).

    The sweep's parameters must be ranges or lists of numbers; its runs must all have
    succeeded.  A censored time-to-event metric counts as horizon + 1 (as in ``ruralsim
    sweep``'s indices), the share censored in ``sp.censored_share``."""
    from ..metrics import info

    folder = Path(folder)
    spec = sweep_spec(folder)
    table = pd.read_csv(folder / "results.csv", encoding="utf-8-sig")
    metrics = list(metrics or spec.metrics)
    order = [c for c in table.columns if c in spec.parameters]   # the sweep file's order
    spec = spec.model_copy(update={"parameters": {k: spec.parameters[k] for k in order}})
    sp = problem_spec(spec, metrics)
    params = list(sp["names"])
    if (table["status"] != "ok").any():
        raise UsageError(f"{folder}: {int((table['status'] != 'ok').sum())} runs failed; "
                         "indices need every run / 部分运行失败")
    h = sweep_horizon(spec, table)
    ys = []
    shares = {}
    for m in metrics:
        if m not in table.columns:
            raise UsageError(f"{folder}: results.csv has no metric {m!r} / 结果中没有该指标")
        y = pd.to_numeric(table[m], errors="coerce")
        i = info(m)
        if i is not None and i.censored and y.isna().any():
            if h is None or h.isna().any():
                warnings.warn(f"{m}: the horizon of the runs is unknown (keep horizon_months "
                              "among the sweep's metrics), so censored runs stay NaN / 未知模拟期，"
                              "截尾值保留为空", stacklevel=2)
            else:
                shares[m] = float(y.isna().mean())
                y = y.where(y.notna(), h + 1)
        ys.append(y.groupby(table["point"]).mean())
    x = table.drop_duplicates("point").set_index("point")[params].sort_index()
    y = pd.concat(ys, axis=1).reindex(x.index).to_numpy(dtype=float)
    sp.set_samples(x.to_numpy(dtype=float))
    sp.set_results(y if y.shape[1] > 1 else y[:, 0])
    sp.censored_share = shares
    return sp


def sweep_spec(folder: Path):
    """The :class:`SweepSpec` a sweep folder was made from (its ``sweep.json``)."""
    import json

    from ..experiments.sweep import MANIFEST_FILE, SweepSpec

    try:
        manifest = json.loads((Path(folder) / MANIFEST_FILE).read_text("utf-8"))
        return SweepSpec.model_validate(manifest["spec"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UsageError(f"{folder}: not a sweep's output folder ({MANIFEST_FILE}: "
                         f"{str(exc)[:200]}) / 不是扫描输出目录") from None


def sweep_horizon(spec, table: pd.DataFrame) -> "pd.Series | None":
    """The horizon of each run of a sweep (months), or None when it cannot be known: a swept
    or fixed ``run.horizon_months``, else the base scenario's when it is a built-in name.
    The metric ``horizon_months``, when the sweep kept it, is the horizon of each run."""
    from ..errors import ScenarioError
    from ..scenario.load import load_scenario

    for col in ("horizon_months", "run.horizon_months"):   # the metric, or the parameter
        if col in table.columns:
            return pd.to_numeric(table[col], errors="coerce")
    fixed = spec.overrides.get("run.horizon_months")
    if fixed is None and not str(spec.base).endswith((".yaml", ".yml")):
        try:
            fixed = load_scenario(spec.base).model.run.horizon_months
        except (ScenarioError, OSError):
            fixed = None
    return None if fixed is None else pd.Series(float(fixed), index=table.index)
