"""Scenario discovery: where in a sweep's parameter space does an outcome fail its target?

PRIM (the Patient Rule Induction Method, Friedman and Fisher 1999), as EMA Workbench
implements it (``ema_workbench.analysis.prim``; ``pip install 'ruralsim[ema]'``), peels the
parameter space of a finished sweep (``results.csv`` or ``results.parquet`` of
``ruralsim sweep``) down to boxes that hold the runs *failing* a target, for example
``share_moved < 0.8`` (fewer than 80% moved by the end of a 120-month horizon) or
``months_to_90pct_moved > 120``.  Each box along the peeling trajectory has a

* **coverage**: the share of all failing runs that lie in the box;
* **density**: the share of the runs in the box that fail;
* **mass**: the share of all runs in the box; and the number of restricted parameters.

The box reported is the one with the highest coverage among those whose density reaches
``threshold`` (default 0.8); when none does, the densest (the last peeled); ``box`` picks
another by its index on the trajectory.  Its limits come with the quasi-p-values of each
restriction (how likely a restriction this strong arises by chance).

Targets: ``METRIC OP NUMBER`` with ``<``, ``<=``, ``>``, ``>=``, several joined by ``and`` or
by ``or`` (not both).  A time to an event not reached within the horizon (``ruralsim
metrics``: censored; empty in ``results.csv``) counts as never reached, later than any
month: ``months_to_90pct_moved > 120`` holds for it.  A run that failed, or whose metric is
undefined (empty and not censored), is left out and counted.

Example::

    d = discover("my-sweep-out", "share_moved < 0.8")   # the folder of ruralsim sweep
    d.box, d.trajectory, d.plot()
"""
from __future__ import annotations

import math
import re
import warnings
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Sequence

import numpy as np
import pandas as pd

from ..errors import UsageError

#: Columns of a sweep's results table that are not parameters or metrics.
RUN_COLUMNS = ("run_id", "point", "rep", "seed", "status", "error")
_OPS = {"<": np.less, "<=": np.less_equal, ">": np.greater, ">=": np.greater_equal}
_TERM = re.compile(r"^\s*([^\s<>=!]+)\s*(<=|>=|<|>)\s*([-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?)\s*$")


def import_prim():
    """``ema_workbench.analysis.prim``, imported quietly, or a UsageError on how to install
    (the EMA bridge's import)."""
    from .ema import import_ema

    import_ema()
    from ema_workbench.analysis import prim

    return prim


@dataclass
class Condition:
    """A parsed target: the failing runs are those where the terms hold."""

    text: str
    terms: list[tuple[str, str, float]]
    join: str = "and"

    @property
    def metrics(self) -> list[str]:
        return list(dict.fromkeys(t[0] for t in self.terms))


def parse_condition(text: str) -> Condition:
    """``"share_moved < 0.8"``, ``"a > 1 and b <= 2"`` or ``"a > 1 or b < 2"``."""
    if not isinstance(text, str) or not text.strip():
        raise UsageError("--where: give the failing condition, e.g. --where 'share_moved < 0.8' "
                         "/ 请给出失败条件，例如 'share_moved < 0.8'")
    parts = re.split(r"\s+(and|or)\s+", text.strip())
    joins = set(parts[1::2])
    if len(joins) > 1:
        raise UsageError(f"--where {text!r}: join the terms with 'and' or with 'or', not both "
                         "/ 条件只能全用 and 或全用 or 连接")
    terms = []
    for part in parts[0::2]:
        m = _TERM.match(part)
        if not m:
            raise UsageError(f"--where: {part.strip()[:80]!r} is not METRIC OP NUMBER (OP: <, "
                             "<=, >, >=), e.g. 'share_moved < 0.8' / 条件格式应为 指标 比较符 数值")
        terms.append((m.group(1), m.group(2), float(m.group(3))))
    return Condition(text.strip(), terms, joins.pop() if joins else "and")


def read_results(source: Any) -> tuple[pd.DataFrame, Path | None, list[str] | None]:
    """A sweep's results table, the folder it came from and (from its ``sweep.json``) the
    swept parameters; ``source``: a sweep output folder, its ``results.csv`` or
    ``results.parquet``, or a DataFrame."""
    if isinstance(source, pd.DataFrame):
        return source.copy(), None, None
    path = Path(source)
    folder = path if path.is_dir() else path.parent
    if path.is_dir():
        cand = [path / "results.parquet", path / "results.csv"]
        path = next((p for p in cand if p.is_file() and (p.suffix == ".csv" or _has_arrow())),
                    None)
        if path is None:
            raise UsageError(f"{source}: no results.csv in this folder; give the output folder "
                             "of ruralsim sweep (or its results.csv) / 目录中没有扫描结果 results.csv")
    if not path.is_file():
        raise UsageError(f"{source}: no such file / 文件不存在")
    try:
        if path.suffix == ".parquet":
            table = pd.read_parquet(path)
        elif path.suffix == ".csv":
            table = pd.read_csv(path, encoding="utf-8-sig")   # ruralsim writes a BOM
        else:
            raise UsageError(f"{path}: give results.csv or results.parquet of ruralsim sweep "
                             "/ 请给出扫描结果文件")
    except UsageError:
        raise
    except Exception as exc:  # noqa: BLE001 - any unreadable table is bad input
        raise UsageError(f"{path}: cannot read the table ({type(exc).__name__}: "
                         f"{str(exc)[:200]}) / 无法读取结果表") from None
    missing = [c for c in ("status",) if c not in table.columns]
    if missing:
        raise UsageError(f"{path}: not the results of ruralsim sweep (no column "
                         f"{missing[0]!r}) / 不是扫描结果表")
    params = None
    if (folder / "sweep.json").is_file():
        from .salib import sweep_spec

        try:
            swept = set(sweep_spec(folder).parameters)
            params = [c for c in table.columns if c in swept]   # the sweep file's order
        except UsageError:
            params = None
    return table, path, params


def _has_arrow() -> bool:
    try:
        import pyarrow  # noqa: F401
    except ImportError:
        return False
    return True


def parameter_columns(table: pd.DataFrame) -> list[str]:
    """The swept parameters of a results table: the columns between ``seed`` and ``status``."""
    cols = list(table.columns)
    if "seed" in cols and "status" in cols and cols.index("seed") < cols.index("status"):
        return cols[cols.index("seed") + 1: cols.index("status")]
    return [c for c in cols[: cols.index("status")] if c not in RUN_COLUMNS]


def failing(table: pd.DataFrame, cond: Condition) -> tuple[pd.Series, pd.Series]:
    """``(fails, usable)`` per run: whether the condition holds, and whether it can be judged
    (run ok, every metric defined or censored)."""
    from ..metrics import info

    ok = table["status"].astype(str) == "ok"
    usable = ok.copy()
    results = []
    for metric, op, value in cond.terms:
        if metric not in table.columns:
            shown = [c for c in table.columns if c not in RUN_COLUMNS]
            raise UsageError(f"--where: the results have no metric {metric!r}; they have: "
                             f"{', '.join(shown)} / 结果中没有该指标")
        y = pd.to_numeric(table[metric], errors="coerce").astype(float)
        i = info(metric)
        if i is not None and i.censored:
            y = y.fillna(math.inf)   # not reached within the horizon: later than any month
        usable &= y.notna()
        results.append(pd.Series(_OPS[op](y.fillna(0).to_numpy(), value), index=table.index))
    fails = results[0]
    for r in results[1:]:
        fails = (fails & r) if cond.join == "and" else (fails | r)
    return fails & usable, usable


@dataclass
class Discovery:
    """The result of :func:`discover`."""

    condition: str
    trajectory: pd.DataFrame    # one row per box on the peeling trajectory
    box: pd.DataFrame           # the chosen box's limits, one row per parameter
    chosen: int                 # its index on the trajectory
    stats: dict[str, Any]
    x: pd.DataFrame = field(repr=False)
    y: np.ndarray = field(repr=False)
    prim: Any = field(default=None, repr=False)    # ema_workbench's Prim
    primbox: Any = field(default=None, repr=False)  # its PrimBox

    def plot(self, ax=None, lang: str | None = None):
        """The trade-off between coverage and density along the peeling trajectory (the
        chosen box marked); on ``ax`` when given, else a new figure with the trajectory
        beside it."""
        from ..report.discovery import plot_discovery

        return plot_discovery(self, ax=ax, lang=lang)


def discover(results: Any, where: str, parameters: Sequence[str] | None = None,
             threshold: float = 0.8, peel_alpha: float = 0.05, mass_min: float = 0.05,
             box: int | None = None, per_point: bool = False) -> Discovery:
    """PRIM over a sweep's results: the region of parameters where ``where`` holds (see the
    module's docstring).  ``per_point``: one case per design point, failing when more than
    half of its replications fail (default: every run is a case)."""
    cond = parse_condition(where)
    for name, v, lo, hi in (("threshold", threshold, 0, 1), ("peel_alpha", peel_alpha, 0, 0.5),
                            ("mass_min", mass_min, 0, 1)):
        if isinstance(v, bool) or not isinstance(v, (int, float)) or not lo < v <= hi:
            raise UsageError(f"{name} must be a number in ({lo}, {hi}], not {v!r} "
                             f"/ 参数 {name} 取值无效")
    table, path, swept = read_results(results)
    params = list(parameters) if parameters else (swept or parameter_columns(table))
    bad = [p for p in params if p not in table.columns]
    if bad:
        raise UsageError(f"parameters {', '.join(map(repr, bad))} are not columns of the "
                         f"results / 结果表中没有这些参数")
    if not params:
        raise UsageError("the sweep has no parameters to search / 扫描没有参数")
    fails, usable = failing(table, cond)
    dropped = int((~usable).sum())
    x = table.loc[usable, params].reset_index(drop=True)
    y = fails[usable].to_numpy(dtype=bool)
    if per_point and "point" not in table.columns:
        raise UsageError("--per-point needs the results of ruralsim sweep (a 'point' column) "
                         "/ 按设计点汇总需要 point 列")
    if per_point:
        pts = table.loc[usable, "point"].to_numpy()
        share = pd.Series(y).groupby(pts).mean()
        x = x.groupby(pts).first().reset_index(drop=True)
        y = (share > 0.5).to_numpy()
    x = _prim_frame(x)
    keep = [c for c in x.columns if x[c].nunique() > 1]
    if not keep:
        raise UsageError("every parameter takes one value in the usable runs; nothing to "
                         "search / 参数没有变化")
    x = x[keep]
    n, k = len(y), int(y.sum())
    if n == 0 or k == 0 or k == n:
        what = "no run" if k == 0 else "every run"
        raise UsageError(f"{what} of {n} usable runs meets '{cond.text}'; PRIM needs both "
                         f"failing and passing runs / 满足条件的运行{'为零' if k == 0 else '为全部'}，"
                         "无法划分区域")
    prim = import_prim()
    with warnings.catch_warnings():   # pandas' deprecations inside EMA's code are not ours
        warnings.simplefilter("ignore", FutureWarning)
        warnings.simplefilter("ignore", DeprecationWarning)
        warnings.filterwarnings("ignore", message=".*inplace keyword.*")
        p = prim.Prim(x, y.astype(int), threshold=threshold, peel_alpha=peel_alpha,
                      mass_min=mass_min)
        pb = p.find_box()
    traj = pb.peeling_trajectory.reset_index(drop=True).copy()
    traj.insert(0, "box", np.arange(len(traj)))
    if box is None:
        dense = traj.index[traj["density"] >= threshold]
        chosen = int(traj.loc[dense, "coverage"].idxmax()) if len(dense) else len(traj) - 1
    else:
        if isinstance(box, bool) or not isinstance(box, (int, np.integer)) \
                or not 0 <= box < len(traj):
            raise UsageError(f"box must be from 0 to {len(traj) - 1} (the peeling trajectory), "
                             f"not {box!r} / 盒子编号超出范围")
        chosen = int(box)
    traj["chosen"] = traj["box"] == chosen
    limits = box_limits(pb, chosen, x)
    row = traj.iloc[chosen]
    stats = {"condition": cond.text, "cases": n, "cases_failing": k,
             "runs_left_out": dropped, "per_point": bool(per_point),
             "parameters": list(x.columns), "box": chosen,
             "coverage": float(row["coverage"]), "density": float(row["density"]),
             "mass": float(row["mass"]), "restricted": int(row["res_dim"]),
             "threshold": threshold, "source": str(path) if path else None}
    return Discovery(cond.text, traj, limits, chosen, stats, x, y, p, pb)


def _prim_frame(x: pd.DataFrame) -> pd.DataFrame:
    """Parameters as PRIM wants them: numbers as float64 or int64, the rest as categories."""
    out = {}
    for c in x.columns:
        col = x[c]
        num = pd.to_numeric(col, errors="coerce")
        if num.notna().all():
            out[c] = (num.astype(np.int64) if (num == np.round(num)).all()
                      and pd.api.types.is_integer_dtype(col) else num.astype(np.float64))
        else:
            out[c] = col.astype(str).astype(object)
    return pd.DataFrame(out)


def box_limits(pb, i: int, x: pd.DataFrame) -> pd.DataFrame:
    """The limits of box ``i``: every parameter with its range in the sweep, the box's range
    (or values), whether it is restricted and the quasi-p-values of the restriction."""
    lims = pb.box_lims[i]
    qp = pb.qp[i]
    rows = []
    for c in x.columns:
        lo, hi = lims[c].iloc[0], lims[c].iloc[1]
        q = qp.get(c, [np.nan, np.nan])
        q = [np.nan if v is None or v == -1 else float(v) for v in q]
        if isinstance(lo, (set, frozenset)):
            allv = sorted(map(str, set(x[c])))
            inside = sorted(map(str, lo))
            rows.append({"parameter": c, "restricted": len(inside) < len(allv),
                         "lower": np.nan, "upper": np.nan, "sweep_min": np.nan,
                         "sweep_max": np.nan, "values": " | ".join(inside),
                         "qp_lower": q[0], "qp_upper": q[1]})
            continue
        mn, mx = float(x[c].min()), float(x[c].max())
        rows.append({"parameter": c, "restricted": bool(float(lo) > mn or float(hi) < mx),
                     "lower": float(lo), "upper": float(hi), "sweep_min": mn, "sweep_max": mx,
                     "values": "", "qp_lower": q[0], "qp_upper": q[1]})
    out = pd.DataFrame(rows)
    return out.sort_values("restricted", ascending=False, kind="stable").reset_index(drop=True)
