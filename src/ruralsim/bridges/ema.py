"""An EMA Workbench model of a ruralsim scenario (needs ``ema_workbench``).

:func:`ema_model` returns an ``ema_workbench.ReplicatorModel`` whose uncertainties and
levers are scenario parameters (dotted key paths, as ``--set``), whose outcomes are summary
metrics (the names of ``ruralsim metrics``) and time series (columns of ``timeseries.csv``),
and whose replications use ruralsim's own seeds: replication ``i`` of every experiment runs
with child seed ``i`` of ``seed`` (``SeedSequence(seed).spawn(replications)[i]``), exactly as
:func:`ruralsim.replicate` does, so the mean over replications of an EMA experiment equals
the mean of ``ruralsim.replicate`` with the same parameter values and seed.

Names: EMA wants Python identifiers, so a key path's dots become double underscores
(``behaviour.b_service`` -> ``behaviour__b_service``; :func:`identifier`); the model passes
the key path to ruralsim (EMA's ``variable_name``).  Outcomes:

* ``<metric>``: a scalar, the mean over replications (NaN when any replication has none:
  a value is never imputed);
* ``<metric>__censored_share``: for a time to an event (``ruralsim metrics``: censored), the
  share of replications in which it did not happen within the horizon;
* ``ts_<column>``: a time series, the mean over replications month by month.

Example::

    from ema_workbench import perform_experiments
    from ruralsim.bridges.ema import ema_model

    model = ema_model("nanpu",
                      uncertainties={"behaviour.b_service": (1.0, 5.0)},
                      levers={"policy.instruments.cash_or_cement.value_cny": (2000, 20000)},
                      outcomes=["share_moved", "months_to_90pct_moved"],
                      timeseries=["n_ever_moved"], replications=5, seed=1)
    experiments, outcomes = perform_experiments(model, scenarios=20, policies=4)
"""
from __future__ import annotations

import warnings
from typing import Any, Iterable, Mapping, Sequence

import numpy as np

from ..errors import UsageError
from ..scenario.load import LoadedScenario, load_scenario

#: Replication keyword passed by EMA to the model function.
REP = "ruralsim_rep"


def import_ema():
    """``ema_workbench``, imported quietly (its warning about ipyparallel is not ours), or a
    UsageError saying how to install it."""
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", message=".*ipyparallel.*")
            import ema_workbench
    except ImportError:
        raise UsageError("the EMA Workbench bridge needs ema_workbench: pip install "
                         "'ruralsim[ema]' / 需要安装 ema_workbench") from None
    return ema_workbench


def identifier(key: str) -> str:
    """An EMA name (a Python identifier) for a key path or metric name."""
    out = key.replace(".", "__").replace("-", "_")
    if not out.isidentifier():
        out = "".join(c if c.isalnum() or c == "_" else "_" for c in out)
        if not out or out[0].isdigit():
            out = "_" + out
    return out


class Runner:
    """The model function: one run of the scenario with the parameter values EMA passes
    (keyword arguments named by key path) and the seed of replication ``ruralsim_rep``.
    Picklable, so EMA's multiprocessing evaluator can ship it to workers."""

    def __init__(self, scenario: LoadedScenario, seeds: Sequence, metrics: Sequence[str],
                 censorable: Sequence[str], timeseries: Sequence[str],
                 integers: Sequence[str] = ()):
        self.scenario, self.seeds = scenario, list(seeds)
        self.metrics, self.censorable = list(metrics), list(censorable)
        self.timeseries, self.integers = list(timeseries), set(integers)

    def overrides(self, values: Mapping[str, Any]) -> list[tuple[str, Any]]:
        out = []
        for key, v in values.items():
            if key == REP:
                continue
            if isinstance(v, np.generic):
                v = v.item()
            if key in self.integers:
                v = int(round(v))
            out.append((key, v))
        return out

    def __call__(self, **values: Any) -> dict[str, Any]:
        from ..data import flat_metrics
        from ..simulate import simulate

        rep = int(values.get(REP, 0))
        ov = self.overrides(values)
        sc = load_scenario(self.scenario, ov) if ov else self.scenario
        res = simulate(sc, seed=self.seeds[rep])
        m, cens = flat_metrics(res.summary)
        out: dict[str, Any] = {k: m.get(k, np.nan) for k in self.metrics}
        out.update({f"censored:{k}": float(cens.get(k, False)) for k in self.censorable})
        out.update({f"timeseries:{c}": res.timeseries[c].to_numpy(dtype=np.float64)
                    for c in self.timeseries})
        return out


def mean_over_reps(values: Sequence[float]) -> float:
    """A scalar outcome over replications: their mean (NaN when any is NaN)."""
    return float(np.mean(np.asarray(values, dtype=np.float64)))


def mean_series(values: Sequence[np.ndarray]) -> np.ndarray:
    """A time-series outcome over replications: the mean month by month."""
    return np.mean(np.vstack(values), axis=0)


def _parameters(ema, spec: Any, base: LoadedScenario, role: str) -> tuple[list, list[str]]:
    """EMA parameters from ``{key path: (low, high) | [categories]}`` (or EMA Parameter
    objects, whose ``variable_name`` must be key paths); and the integer key paths."""
    if spec is None:
        return [], []
    if not isinstance(spec, Mapping):
        params = list(spec)
        bad = [p for p in params if not isinstance(p, ema.em_framework.parameters.Parameter)]
        if bad:
            raise UsageError(f"{role}: give a mapping key path -> (low, high) or [values], or "
                             f"EMA Parameter objects, not {type(bad[0]).__name__} / 参数格式无效")
        keys = [v for p in params for v in p.variable_name]
        ints = [v for p in params for v in p.variable_name
                if isinstance(p, ema.IntegerParameter)
                and not isinstance(p, ema.CategoricalParameter)]
        _check_keys(keys, base, role)
        return params, ints
    params, ints = [], []
    for key, v in spec.items():
        key = str(key)
        name = identifier(key)
        if isinstance(v, tuple) and len(v) == 2 and all(isinstance(x, (int, float, np.number))
                                                       and not isinstance(x, bool) for x in v):
            lo, hi = v
            if not hi > lo:
                raise UsageError(f"{role} {key}: high ({hi}) must exceed low ({lo}) / 上限须大于下限")
            if all(isinstance(x, (int, np.integer)) for x in v):
                params.append(ema.IntegerParameter(name, int(lo), int(hi), variable_name=key))
                ints.append(key)
            else:
                params.append(ema.RealParameter(name, float(lo), float(hi), variable_name=key))
        elif isinstance(v, list) and v:
            params.append(ema.CategoricalParameter(name, v, variable_name=key))
        else:
            raise UsageError(f"{role} {key}: give (low, high) for a range or a list of values, "
                             f"not {v!r} / 请给出 (下限, 上限) 或取值列表")
    _check_keys(list(spec), base, role)
    return params, ints


def _check_keys(keys: Iterable[str], base: LoadedScenario, role: str) -> None:
    """Every key path exists in the scenario (a ScenarioError names a bad one)."""
    from ..scenario.load import _MISSING, _child

    data = base.model.model_dump(mode="python")
    for key in keys:
        node: Any = data
        for part in str(key).split("."):
            node = _child(node, int(part) if part.isdigit() else part)
            if node is _MISSING:
                raise UsageError(f"{role}: {key!r} is not a parameter of scenario "
                                 f"'{base.model.name}' (key paths as for --set) / 情景中没有该参数")


def ema_model(scenario: Any = "nanpu", uncertainties: Any = None, levers: Any = None,
              outcomes: Sequence[str] = ("share_moved", "months_to_90pct_moved",
                                         "total_public_cost_cny"),
              timeseries: Sequence[str] = (), replications: int = 1, seed: int | None = None,
              overrides: Iterable = (), packages: Iterable[str] = (), name: str = "ruralsim"):
    """An ``ema_workbench.ReplicatorModel`` of ``scenario`` (see the module's docstring).

    ``uncertainties`` and ``levers``: ``{key path: (low, high)}`` (whole numbers: an integer
    parameter) or ``{key path: [value, ...]}`` (categorical), or a list of EMA Parameter
    objects whose ``variable_name`` is a key path (or several: one value set on each);
    ``outcomes``: metric names; ``timeseries``: time-series columns; ``replications`` and
    ``seed`` as :func:`ruralsim.replicate`; ``overrides`` and ``packages`` fixed for every
    run.
    """
    from ..experiments.replicate import check_reps, check_seed
    from ..metrics import check_metric_names, info
    from ..rng import spawn_seeds

    ema = import_ema()
    reps, seed = check_reps(replications), check_seed(seed)
    base = load_scenario(scenario, overrides, packages)
    seed = base.model.run.seed if seed is None else seed
    metrics = check_metric_names(list(outcomes), base, where="ema_model outcomes")
    cols = [str(c) for c in timeseries]
    probe = load_scenario(base, ["run.horizon_months=1"])
    from ..simulate import simulate

    known = set(simulate(probe, seed=0).timeseries.columns) - {"month", "date"}
    bad = [c for c in cols if c not in known]
    if bad:
        raise UsageError(f"ema_model timeseries: unknown column(s) {', '.join(map(repr, bad))}; "
                         f"the columns of timeseries.csv are valid / 未知的时间序列列名")
    unc, unc_int = _parameters(ema, uncertainties, base, "uncertainty")
    lev, lev_int = _parameters(ema, levers, base, "lever")
    censorable = [m for m in metrics if (i := info(m)) is not None and i.censored]
    model = ema.ReplicatorModel(name, function=Runner(base, spawn_seeds(seed, reps), metrics,
                                                       censorable, cols, unc_int + lev_int))
    model.uncertainties = unc
    model.levers = lev
    outs = [ema.ScalarOutcome(identifier(m), variable_name=m, function=mean_over_reps)
            for m in metrics]
    outs += [ema.ScalarOutcome(f"{identifier(m)}__censored_share", variable_name=f"censored:{m}",
                               function=mean_over_reps) for m in censorable]
    outs += [ema.TimeSeriesOutcome(f"ts_{identifier(c)}", variable_name=f"timeseries:{c}",
                                   function=mean_series) for c in cols]
    model.outcomes = outs
    model.replications = [{REP: i} for i in range(reps)]
    return model
