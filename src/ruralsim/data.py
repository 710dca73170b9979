"""Results as data: flat metrics, tidy (long) tables and xarray datasets.

The summary of a run (``summary.json``) is nested and mixed (numbers, ``null`` for a
threshold not reached, labels, tables).  For analysis tools the same numbers come flat:

* :func:`flat_metrics` -- ``metrics``: every numeric summary metric by its dotted name
  (``by_type.poor.moved``; the names of ``ruralsim metrics``) as a float, ``NaN`` where the
  summary holds ``null``; ``censored``: for every metric that is a time to an event
  (declared ``censored`` in :mod:`ruralsim.metrics`), True when the event did not happen
  within the horizon.  A ``NaN`` whose ``censored`` flag is False (or that has no flag) is
  *undefined* in that run (a cost per mover when nobody moved), not censored.  Labels
  (scenario, seed, version), text (``supply.mode``) and tables (``plan_years``) are left out.
* ``to_long`` -- one row per value (tidy): month, variable, value (and rep, scenario).
* ``to_xarray`` -- an :class:`xarray.Dataset` (needs ``xarray``: ``pip install
  'ruralsim[xarray]'``): every time series a variable over ``month``, every village column a
  variable over ``village`` x ``month`` (named ``village_<column>``), with ``rep`` (and
  ``scenario``) dimensions for replications and comparisons; metrics over ``rep``.

:class:`~ruralsim.results.SimulationResult`, :class:`~ruralsim.experiments.Replications`
and :class:`~ruralsim.experiments.Comparison` have these as methods and properties.

Example:
    >>> import ruralsim
    >>> r = ruralsim.simulate("teaching", seed=1, overrides=["run.horizon_months=12"])
    >>> m, c = flat_metrics(r.summary)
    >>> isinstance(m["share_moved"], float), c["months_to_90pct_moved"]
    (True, True)
"""
from __future__ import annotations

import math
from typing import TYPE_CHECKING, Any, Sequence

import numpy as np
import pandas as pd

if TYPE_CHECKING:  # pragma: no cover
    import xarray

#: Columns of the time series that label a month rather than measure it.
TIME_LABELS = ("month", "date")
#: Columns of the village table that label a village rather than measure it.
VILLAGE_LABELS = ("month", "village", "community", "x_km", "y_km", "n_households_start")


def flat_metrics(summary: dict[str, Any]) -> tuple[dict[str, float], dict[str, bool]]:
    """``(metrics, censored)`` of a run's summary (see the module's docstring)."""
    from .experiments.runs import flatten
    from .metrics import info
    from .results import SUMMARY_LABELS

    metrics: dict[str, float] = {}
    censored: dict[str, bool] = {}
    for key, v in flatten(summary).items():
        if key in SUMMARY_LABELS:
            continue
        if v is None:
            x = math.nan
        elif isinstance(v, (bool, np.bool_, int, float, np.integer, np.floating)):
            x = float(v)
        else:           # text or a table: not a metric value
            continue
        metrics[key] = x
        i = info(key)
        if i is not None and i.censored:
            censored[key] = v is None
    return metrics, censored


def _require_xarray():
    try:
        import xarray
    except ImportError:
        from .errors import UsageError

        raise UsageError("to_xarray needs xarray: pip install 'ruralsim[xarray]' / 需要安装 "
                         "xarray") from None
    return xarray


def _numeric(df: pd.DataFrame, skip: Sequence[str]) -> list[str]:
    """The columns of ``df`` holding numbers (booleans too), less the labels ``skip``."""
    return [c for c in df.columns if c not in skip and pd.api.types.is_numeric_dtype(df[c])]


# ----------------------------------------------------------------------------- one run
def result_long(result, table: str = "timeseries") -> pd.DataFrame:
    """One run as a tidy table.

    ``table``: ``"timeseries"`` (month, date, variable, value), ``"villages"`` (month,
    village, community, variable, value) or ``"metrics"`` (metric, value, censored).
    """
    if table == "metrics":
        m, c = flat_metrics(result.summary)
        return pd.DataFrame({"metric": list(m), "value": list(m.values()),
                             "censored": [c.get(k, False) for k in m]})
    if table == "timeseries":
        ts = result.timeseries
        cols = _numeric(ts, TIME_LABELS)
        long = ts.melt(id_vars=["month", "date"], value_vars=cols, var_name="variable",
                       value_name="value")
        long["value"] = long["value"].astype(float)
        return long
    if table == "villages":
        v = result.villages
        cols = _numeric(v, VILLAGE_LABELS)
        long = v.melt(id_vars=["month", "village", "community"], value_vars=cols,
                      var_name="variable", value_name="value")
        long["value"] = long["value"].astype(float)
        return long
    from .errors import UsageError

    raise UsageError(f"to_long: table must be 'timeseries', 'villages' or 'metrics', not "
                     f"{table!r} / 表名无效")


def result_xarray(result) -> "xarray.Dataset":
    """One run as a Dataset: time series over ``month``, village columns over ``village`` x
    ``month`` (``village_<column>``), the flat metrics as scalar variables
    (``metric__<name>``) and the censoring flags (``metric_censored__<name>``)."""
    xr = _require_xarray()
    ts, vil = result.timeseries, result.villages
    months = ts["month"].to_numpy()
    data: dict[str, Any] = {c: ("month", ts[c].to_numpy()) for c in _numeric(ts, TIME_LABELS)}
    H = len(months)
    V = len(vil) // H       # rows month by month, the villages in the same order each month
    names = vil["village"].iloc[:V].tolist()
    for c in _numeric(vil, VILLAGE_LABELS):
        data[f"village_{c}"] = (("village", "month"), vil[c].to_numpy().reshape(H, V).T)
    first = vil.iloc[:V]
    coords = {"month": months, "date": ("month", ts["date"].astype(str).to_numpy()),
              "village": names, "community": ("village", first["community"].astype(str).to_numpy()),
              "x_km": ("village", first["x_km"].to_numpy(dtype=float)),
              "y_km": ("village", first["y_km"].to_numpy(dtype=float)),
              "n_households_start": ("village", first["n_households_start"].to_numpy())}
    m, cens = flat_metrics(result.summary)
    data.update({f"metric__{k}": ((), v) for k, v in m.items()})
    data.update({f"metric_censored__{k}": ((), v) for k, v in cens.items()})
    s = result.summary
    attrs = {k: str(s.get(k)) for k in ("scenario", "scenario_hash", "seed", "version")}
    return xr.Dataset(data, coords=coords, attrs=attrs)


# ----------------------------------------------------------------------------- replications
def reps_metrics(summary: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """``(metrics, censored)`` of a replications' summary table: one row per rep (index
    ``rep``), floats (NaN where not reached or undefined), and the censoring flags of the
    time-to-event metrics."""
    from .metrics import info

    s = summary.set_index("rep") if "rep" in summary.columns else summary
    cols, flags = {}, {}
    for c in s.columns:
        if c == "seed" or c in ("scenario", "scenario_hash", "version"):
            continue
        col = s[c]
        if col.map(lambda v: v is None or isinstance(v, (bool, int, float, np.integer,
                                                            np.floating))).all():
            cols[c] = pd.to_numeric(col, errors="coerce").astype(float)
            i = info(c)
            if i is not None and i.censored:
                flags[c] = col.isna()
    return pd.DataFrame(cols, index=s.index), pd.DataFrame(flags, index=s.index, dtype=bool)


def reps_long(reps, scenario: str | None = None) -> pd.DataFrame:
    """Replications' time series as a tidy table: rep, month, variable, value (and scenario)."""
    long = reps.timeseries.rename(columns={"metric": "variable"})
    long = long[["rep", "month", "variable", "value"]].copy()
    if scenario is not None:
        long.insert(0, "scenario", scenario)
    return long.reset_index(drop=True)


def reps_xarray(reps) -> "xarray.Dataset":
    """Replications as a Dataset: each kept time series over ``rep`` x ``month``, each metric
    over ``rep`` (``metric_censored__<name>`` flags for time-to-event metrics)."""
    xr = _require_xarray()
    ts = reps.timeseries
    reps_ids = sorted(reps.summary["rep"].tolist()) if len(reps.summary) else []
    data: dict[str, Any] = {}
    months = np.sort(ts["month"].unique()) if len(ts) else np.arange(0)
    for var, g in ts.groupby("metric", sort=False):
        wide = g.pivot(index="rep", columns="month", values="value").reindex(
            index=reps_ids, columns=months)
        data[var] = (("rep", "month"), wide.to_numpy(dtype=float))
    m, c = reps_metrics(reps.summary)
    m, c = m.reindex(reps_ids), c.reindex(reps_ids)
    for k in m.columns:
        data[f"metric__{k}"] = ("rep", m[k].to_numpy(dtype=float))
    for k in c.columns:
        data[f"metric_censored__{k}"] = ("rep", c[k].to_numpy(dtype=bool))
    seeds = reps.summary.set_index("rep").reindex(reps_ids)["seed"].astype(str).to_numpy() \
        if len(reps.summary) else np.array([], dtype=str)
    return xr.Dataset(data, coords={"rep": reps_ids, "month": months, "seed": ("rep", seeds)},
                      attrs={"scenario": reps.name})


def comparison_long(comp) -> pd.DataFrame:
    """A comparison's time series as one tidy table: scenario, rep, month, variable, value;
    the first scenario is the baseline (``role`` column: baseline / reform)."""
    parts = [reps_long(r, n) for n, r in zip(comp.names, comp.replications)]
    long = pd.concat(parts, ignore_index=True)
    long.insert(1, "role", np.where(long["scenario"] == comp.names[0], "baseline", "reform"))
    return long


def comparison_xarray(comp) -> "xarray.Dataset":
    """A comparison as a Dataset over ``scenario`` x ``rep`` x ``month`` (metrics over
    ``scenario`` x ``rep``); coordinate ``role`` says baseline or reform."""
    xr = _require_xarray()
    parts = [reps_xarray(r) for r in comp.replications]
    for p in parts:
        p.attrs.clear()
    ds = xr.concat(parts, dim=pd.Index(np.array(comp.names, dtype=object), name="scenario"),
                   join="outer", data_vars="all", coords="minimal", compat="override")
    roles = np.array(["baseline"] + ["reform"] * (len(comp.names) - 1), dtype=object)
    return ds.assign_coords(role=("scenario", roles)).assign_attrs(baseline=comp.names[0])


# ----------------------------------------------------------------------------- plots
#: What ``result.plot(kind)`` draws (functions of :mod:`ruralsim.report.plots`).
RESULT_PLOTS = ("migration", "status", "cash", "land", "housing", "finance", "livelihoods",
                "exposure")


def plot_result(result, kind: str = "migration", ax=None, lang: str | None = None):
    """A figure of one run (``kind``: one of :data:`RESULT_PLOTS`); drawn on ``ax`` when given."""
    from .errors import UsageError

    if kind not in RESULT_PLOTS:
        raise UsageError(f"plot: kind must be one of {', '.join(RESULT_PLOTS)}, not {kind!r} "
                         "/ 图表类型无效")
    from .report import plots

    fn = getattr(plots, f"plot_{kind}")
    if kind in ("migration", "exposure"):
        return fn(result.timeseries, result.scenario, ax=ax, lang=lang)
    return fn(result.timeseries, ax=ax, lang=lang)


class _One:
    """A one-scenario view of replications, for :func:`plot_bands`."""

    def __init__(self, reps):
        self.names, self.replications = [reps.name], [reps]


def plot_reps(reps_or_comp, variable: str = "n_ever_moved", ax=None, lang: str | None = None):
    """Median and 5-95% band of ``variable`` per month, per scenario; drawn on ``ax`` when
    given."""
    from .errors import UsageError
    from .report.experiment_plots import plot_bands

    comp = reps_or_comp if hasattr(reps_or_comp, "names") else _One(reps_or_comp)
    kept = set().union(*[set(r.timeseries["metric"].unique()) for r in comp.replications])
    if variable not in kept:
        raise UsageError(f"plot: {variable!r} is not among the time series kept "
                         f"({', '.join(sorted(kept))}); pass columns=[...] to replicate / "
                         "未保留该时间序列")
    unit = "million_cny" if variable.endswith("_cny") else \
        "mu" if variable.endswith("_mu") else "households"
    return plot_bands(comp, variable, ax=ax, lang=lang,
                      scale=1e-6 if unit == "million_cny" else 1.0, unit_key=unit)

