"""Per-run time series of a sweep: checked before any run, kept with each run's record in
``runs.jsonl``, written at the end as one long table, ``timeseries.parquet``
(``run_id, month, variable, value``), sorted by run, month and the order of the columns.

The size is bounded (:data:`MAX_TIMESERIES_VALUES` in all, :data:`MAX_TIMESERIES_PER_RUN`
per run) and a larger request is refused before anything runs.
"""
from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pandas as pd

from ..errors import Issue, ScenarioError, UsageError
from ..scenario.load import LoadedScenario, load_scenario

if TYPE_CHECKING:
    from .sweep import SweepSpec

#: Most time-series values (runs x months x columns) a sweep keeps: they are held in memory
#: (8 bytes each) and written as one long table (about 24 bytes a row before compression).
MAX_TIMESERIES_VALUES = 10_000_000
#: Most time-series values of one run (one line of ``runs.jsonl`` holds them as JSON text).
MAX_TIMESERIES_PER_RUN = 30_000


def series_columns(scenario: LoadedScenario) -> list[str]:
    """The numeric time-series columns a run of ``scenario`` reports (a one-month run)."""
    from ..simulate import simulate

    try:
        short = load_scenario(scenario, ["run.horizon_months=1"])
    except ScenarioError:
        short = scenario
    ts = simulate(short, seed=0).timeseries
    return [c for c in ts.columns if c != "month" and pd.api.types.is_numeric_dtype(ts[c])]


def check_timeseries(spec: "SweepSpec", scenario: LoadedScenario, design: pd.DataFrame,
                     label: str = "sweep") -> None:
    """Refuse, before anything runs, unknown time-series columns, a sweep without pyarrow, or
    more values than :data:`MAX_TIMESERIES_VALUES` (runs x longest horizon x columns)."""
    if not spec.timeseries:
        return
    from ..metrics import unknown_names

    valid = series_columns(scenario)
    unknown = unknown_names(spec.timeseries, valid)
    if unknown:
        shown = ", ".join(repr(str(m)[:60]) for m in unknown[:5])
        raise ScenarioError([Issue(label, "timeseries", f"unknown time-series column(s) {shown}; "
                                   f"valid columns are: {', '.join(valid)} / 未知的时间序列列名")])
    dup = sorted({c for c in spec.timeseries if spec.timeseries.count(c) > 1})
    if dup:
        raise ScenarioError([Issue(label, "timeseries", f"{dup[0]} is listed twice / 列名重复")])
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        raise UsageError("timeseries: writing timeseries.parquet needs the 'data' extra: pip "
                         "install 'ruralsim[data]' / 保存时间序列需要安装 pyarrow") from None
    horizon = scenario.model.run.horizon_months
    if "run.horizon_months" in design.columns:
        h = pd.to_numeric(design["run.horizon_months"], errors="coerce")
        horizon = max(horizon, int(np.nanmax(h.to_numpy(dtype=float))) if h.notna().any() else 0)
    per_run = horizon * (len(spec.timeseries) + 1)
    total = len(design) * spec.replications * horizon * len(spec.timeseries)
    if per_run > MAX_TIMESERIES_PER_RUN or total > MAX_TIMESERIES_VALUES:
        raise UsageError(f"timeseries: {len(design) * spec.replications:,} runs x {horizon} "
                         f"months x {len(spec.timeseries)} columns = {total:,} values, more "
                         f"than the limit of {MAX_TIMESERIES_VALUES:,} (and at most "
                         f"{MAX_TIMESERIES_PER_RUN:,} per run); keep fewer columns, fewer runs "
                         "or a shorter horizon, or split the sweep / 时间序列数据量超过上限，请减少"
                         "列数、运行次数或模拟月数")


def series_arrays(ts: dict[str, Any], columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray]:
    """(months, values of shape columns x months) from a run's columns."""
    months = np.asarray(ts["month"], dtype=np.int64)
    values = np.vstack([np.asarray(ts[c], dtype=np.float64) for c in columns]) if columns \
        else np.empty((0, months.size))
    return months, values


def series_of(rec: dict, columns: tuple[str, ...]) -> tuple[np.ndarray, np.ndarray] | None:
    """A stored record's time series as arrays, or None when missing or malformed."""
    ts = rec.get("timeseries")
    if not isinstance(ts, dict) or set(ts) != {"month", *columns}:
        return None
    cols = [ts["month"], *(ts[c] for c in columns)]
    if not all(isinstance(c, list) and len(c) == len(cols[0]) for c in cols) or not all(
            isinstance(v, (int, float)) and not isinstance(v, bool) for c in cols for v in c):
        return None
    return series_arrays(ts, columns)


def write_timeseries(series: dict[int, tuple[np.ndarray, np.ndarray]], columns: list[str],
                     out: Path) -> None:
    """``timeseries.parquet``: one row per run, month and column (run_id, month, variable,
    value), sorted by run, month and the order of ``columns``; written atomically."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    ids = sorted(series)
    k = len(columns)
    lengths = np.array([series[i][0].size for i in ids], dtype=np.int64)
    run_id = np.repeat(np.asarray(ids, dtype=np.int64), lengths * k)
    month = np.concatenate([np.repeat(series[i][0], k) for i in ids]) if ids else \
        np.empty(0, np.int64)
    value = np.concatenate([series[i][1].T.ravel() for i in ids]) if ids else \
        np.empty(0, np.float64)
    codes = np.tile(np.arange(k, dtype=np.int32), int(lengths.sum()))
    variable = pa.DictionaryArray.from_arrays(pa.array(codes, pa.int32()),
                                              pa.array(list(columns), pa.string()))
    table = pa.table({"run_id": run_id, "month": month.astype(np.int32), "variable": variable,
                      "value": value})
    tmp = out / f".timeseries.parquet.tmp-{os.getpid()}"
    try:
        pq.write_table(table, tmp)
        os.replace(tmp, out / "timeseries.parquet")
    finally:
        tmp.unlink(missing_ok=True)
