"""Parameter sweeps: a design table of overrides and seeds, an executor, a resumable store.

A sweep file names a base scenario, the parameters (dotted key paths with a range or a
list), a design (full grid, Latin hypercube or Sobol from ``scipy.stats.qmc``, an explicit
CSV table, or a SALib sample for sensitivity analysis), the replications and the metrics to
keep.  Each finished run is appended to ``runs.jsonl`` as it completes (written through at
once, fsynced in batches); a sweep restarted with the same command skips the runs already
there and ends with the same ``results.csv`` as an uninterrupted one.

A sweep folder belongs to one sweep (its ``sweep.json`` manifest) and to one process at a
time (a lock file); files named in a sweep file are relative to it and, like the files
named in scenarios, must lie in its folder.

Example sweep file::

    base: ../scenarios/nanpu.yaml
    parameters:
      behaviour.b_social_moved: {low: 1.0, high: 5.0}
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
import math
import os
import socket
import stat
import sys
import time
from concurrent.futures import BrokenExecutor, CancelledError, Executor
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Callable, Iterator, Literal

import numpy as np
import pandas as pd
from pydantic import model_validator
from scipy.stats import qmc

from ..errors import Issue, RuralsimError, ScenarioError, UsageError
from ..outputs import fsync_path, write_csv, write_text_atomic
from ..rng import seed_label, spawn_seeds
from ..safeopen import check_regular, open_fd, open_regular
from ..scenario.load import (BUILTIN_DIR, LoadedScenario, load_scenario, read_village_csv,
                             validate_model)
from ..scenario.schema import ASSUMPTION, P, Strict
from ..scenario.yamlio import read_yaml_file
from . import expressions
from .executors import Progress, SerialExecutor, run_all
from .runs import RunSpec, run_one
from .timeseries import check_timeseries, series_arrays, series_of, write_timeseries

RUNS_FILE = "runs.jsonl"
#: The manifest that makes a folder a sweep's: the sweep's fingerprint (spec, scenario, runs).
MANIFEST_FILE = "sweep.json"
#: Held (``flock`` / ``msvcrt.locking``) by the one process working on a sweep folder.
LOCK_FILE = ".ruralsim-sweep.lock"
#: Everything a sweep writes in its folder; ``--force`` replaces a sweep folder holding only these.
SWEEP_OUTPUTS = frozenset({MANIFEST_FILE, "design.csv", RUNS_FILE, "results.csv",
                           "results.parquet", "timeseries.parquet", "sensitivity.csv", "figures",
                           LOCK_FILE})
#: Most runs (design points x replications) in one sweep.  The run table, ``design.csv`` and
#: the results of a sweep are held in memory: a million runs take about 1 GB.
MAX_RUNS = 1_000_000
#: Largest design table (method 'table') read, in bytes.
MAX_TABLE_BYTES = 64 * 1024 * 1024
#: Largest manifest read (it holds the run table: about 100 bytes per run).
MAX_MANIFEST_BYTES = 1 << 30
#: Default seconds between fsyncs of the run store.
DEFAULT_FSYNC_EVERY = 2.0
#: Most bytes of one line of the run store (a record is a few hundred bytes).
MAX_RECORD_BYTES = 1024 * 1024

_SAMPLE_POINTS = {"lhs": lambda n, k: n, "sobol": lambda n, k: n,
                  "salib_sobol": lambda n, k: n * (k + 2), "morris": lambda n, k: n * (k + 1)}


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
                     "salib_sobol; trajectories for morris.", ge=1, le=MAX_RUNS)
    levels: int = P(3, "levels", ASSUMPTION, "Levels per range parameter in a grid.", ge=2,
                    le=1000)
    seed: int = P(1, "-", "-", "Seed of the sampler.", ge=0, le=2**64 - 1)
    file: str | None = P(None, "-", "-", "CSV design table (method 'table'), one column per "
                         "parameter, relative to the sweep file and inside its folder.")


class Space(Strict):
    """One side of a crossed design: its parameters and how its points are chosen."""
    parameters: dict[str, Range | list[Any]] = P({}, "-", "-", "Parameters of this space by "
                                                  "dotted key path: a range or a list of values.")
    design: Design = P({}, "-", "-", "How this space's points are chosen (grid, lhs, sobol or "
                       "table; sensitivity designs need one space: use parameters).")

    @model_validator(mode="after")
    def _usable(self) -> "Space":
        if self.design.method in ("salib_sobol", "morris"):
            raise ValueError(f"design.method {self.design.method} needs one parameter space, "
                             "not a crossed design; use parameters and design instead of "
                             "policies and uncertainties / 敏感性分析设计不能用于交叉设计")
        if not self.parameters and self.design.method != "table":
            raise ValueError("a space needs at least one parameter (or design.method table) "
                             "/ 参数空间至少需要一个参数")
        return _lists_not_empty(self)


class SweepSpec(Strict):
    base: str = P("nanpu", "-", "-", "Base scenario file (relative to the sweep file) or a "
                  "built-in name.")
    packages: list[str] = P([], "-", "-", "Packages stacked on the base (built-in names, or "
                            "YAML files relative to the sweep file).")
    overrides: dict[str, Any] = P({}, "-", "-", "Fixed overrides applied to every run.")
    parameters: dict[str, Range | list[Any]] = P({}, "-", "-", "Swept parameters by dotted "
                                                  "key path: a range or a list of values.")
    design: Design = P({}, "-", "-", "How design points are chosen.")
    policies: Space | None = P(None, "-", "-", "The policy space (levers) of a crossed design: "
                               "every policy point is run in every point of uncertainties.")
    uncertainties: Space | None = P(None, "-", "-", "The uncertainty space of a crossed design "
                                    "(behaviour, prices, ...), crossed with policies.")
    derived: dict[str, str] = P({}, "-", "-", "Parameters set from the swept ones at each "
                                "design point: key path -> arithmetic expression of swept key "
                                "paths (+ - * / // % **, min, max, abs, round); a key path alone "
                                "ties the two.")
    replications: int = P(1, "runs per point", "-", "Replications per design point.", ge=1,
                          le=100_000)
    seed: int = P(1, "-", "-", "Root seed; replication r of every point uses child seed r.",
                  ge=0, le=2**64 - 1)
    metrics: list[str] = P(["share_moved", "months_to_90pct_moved", "total_public_cost_cny",
                            "peak_financing_gap_cny", "households_registered_after_withdrawal",
                            "households_stranded_peak"], "-", "-", "Summary metrics kept.",
                           min_length=1)
    timeseries: list[str] = P([], "-", "-", "Time-series columns kept for every run, written "
                              "in long form (run_id, month, variable, value) to "
                              "timeseries.parquet; needs the 'data' extra (pyarrow).")

    @model_validator(mode="after")
    def _lists_not_empty(self) -> "SweepSpec":
        return _lists_not_empty(self)

    @property
    def crossed(self) -> bool:
        """A policies x uncertainties design."""
        return self.policies is not None or self.uncertainties is not None

    def swept(self) -> dict[str, Range | list[Any]]:
        """Every swept parameter: ``parameters``, or those of the policies and uncertainties."""
        if not self.crossed:
            return dict(self.parameters)
        return {**(self.policies.parameters if self.policies else {}),
                **(self.uncertainties.parameters if self.uncertainties else {})}


def _lists_not_empty(spec: Any) -> Any:
    empty = [k for k, v in spec.parameters.items() if isinstance(v, list) and not v]
    if empty:
        raise ValueError(f"parameter {empty[0]} has an empty list of values; give at "
                         "least one / 参数取值列表为空")
    return spec


def spec_issues(spec: SweepSpec) -> list[tuple[tuple, str]]:
    """Checks that span several keys of a sweep file: (key path, message) pairs."""
    out: list[tuple[tuple, str]] = []
    if spec.crossed:
        if spec.policies is None or spec.uncertainties is None:
            missing = "policies" if spec.policies is None else "uncertainties"
            out.append(((missing,), f"a crossed design needs both policies and uncertainties; "
                        f"{missing} is missing (or use parameters for one space) / 交叉设计需要"
                        "同时给出 policies 与 uncertainties"))
        for key in ("parameters", "design"):
            if key in spec.model_fields_set and (key == "design" or spec.parameters):
                out.append(((key,), f"{key} cannot be used with policies and uncertainties: "
                            "each space has its own parameters and design / 交叉设计中参数与设计"
                            "写在 policies 与 uncertainties 之内"))
        if spec.policies is not None and spec.uncertainties is not None:
            for k in spec.policies.parameters:
                if k in spec.uncertainties.parameters:
                    out.append((("uncertainties", "parameters", k), f"{k} is both a policy and "
                                "an uncertainty; a parameter belongs to one space / 参数不能同时"
                                "属于政策与不确定性"))
    swept = spec.swept()
    tables = spec.design.method == "table" or any(
        s is not None and s.design.method == "table" for s in (spec.policies, spec.uncertainties))
    for key, text in spec.derived.items():
        where = ("derived", key)
        try:
            tree = expressions.parse(text)
        except expressions.ExpressionError as exc:
            out.append((where, str(exc)))
            continue
        if key in swept:
            out.append((where, f"{key} is swept; a parameter is either swept or derived "
                        "/ 参数不能既被扫描又被推导"))
        if key in spec.overrides:
            out.append((where, f"{key} is also a fixed override; remove one of them "
                        "/ 参数同时出现在 overrides 中"))
        unknown = sorted(n for n in expressions.names(tree) if n not in swept)
        if unknown and not tables:   # a table's columns are checked once it is read
            out.append((where, f"{', '.join(unknown)} is not a swept parameter; an expression "
                        f"reads swept parameters only (swept: {', '.join(swept) or 'none'}) "
                        "/ 表达式只能引用被扫描的参数"))
    return out


def load_sweep(path: str | Path) -> tuple[SweepSpec, Path]:
    """Read and validate a sweep file, or a shipped sweep by name (``withdrawal_grid``);
    errors name the file, key path and line."""
    path = resolve_sweep(path)
    doc = read_yaml_file(path)
    where = {p: (doc.file, line) for p, line in doc.lines.items()}
    spec = validate_model(SweepSpec, doc.data, where, doc.file)
    issues = spec_issues(spec)
    if issues:
        raise ScenarioError([Issue(doc.file, ".".join(map(str, p)), msg,
                                   doc.line_of(p)) for p, msg in issues])
    return spec, Path(path).resolve().parent


#: The sweeps shipped with ruralsim, runnable by name (``ruralsim sweep withdrawal_grid``).
SHIPPED_SWEEPS = BUILTIN_DIR / "sweeps"


def shipped_sweeps() -> list[str]:
    """Names of the shipped sweeps."""
    return sorted(p.stem for p in SHIPPED_SWEEPS.glob("*.yaml"))


def resolve_sweep(path: str | Path) -> Path:
    """A sweep file: ``path`` itself, or, when no such file exists and ``path`` is a bare
    name, the shipped sweep of that name (``withdrawal_grid`` or ``withdrawal_grid.yaml``)."""
    p = Path(path)
    if os.path.lexists(p) or len(p.parts) != 1:
        return p
    shipped = SHIPPED_SWEEPS / (p.name if p.suffix in (".yaml", ".yml") else f"{p.name}.yaml")
    if shipped.is_file():
        return shipped
    raise UsageError(f"{path}: no such sweep file, and no shipped sweep of that name (shipped: "
                     f"{', '.join(shipped_sweeps())}) / 找不到该扫描文件，也没有同名的内置扫描")


# ----------------------------------------------------------------------------- named files
def require_inside(path: Path, folder: Path, label: str, key: str) -> Path:
    """``path`` resolved; a ScenarioError unless it lies in ``folder`` or the built-in scenarios.

    The same rule as for the village CSV of a scenario (``scenario.load.read_village_csv``),
    with the same escape hatch: ``RURALSIM_ALLOW_OUTSIDE_FILES=1``.
    """
    try:
        real = Path(path).resolve()
        inside = real.is_relative_to(folder.resolve()) or real.is_relative_to(BUILTIN_DIR)
    except (OSError, RuntimeError, ValueError):
        real, inside = Path(path), False
    if not inside and not os.environ.get("RURALSIM_ALLOW_OUTSIDE_FILES"):
        raise ScenarioError([Issue(label, key, f"{path} is outside the sweep file's folder "
                                   f"{folder}; copy it next to the sweep file (or set "
                                   "RURALSIM_ALLOW_OUTSIDE_FILES=1) / 文件须位于扫描文件所在目录")])
    return real


class _Files:
    """Resolves the files a sweep file names (village CSVs in overrides and parameters,
    package files): relative to the sweep file, inside its folder; each CSV read once."""

    def __init__(self, base_dir: Path, label: str):
        self.base_dir, self.label = base_dir, label
        self.read: dict[str, Any] = {}
        self.inputs: list[Path] = []

    def value(self, key: str, value: Any, where: str) -> Any:
        """The override value to apply: a ``villages: {file: ...}`` becomes its rows."""
        if not (key == "villages" and isinstance(value, dict) and set(value) == {"file"}
                and isinstance(value["file"], str)):
            return value
        name = value["file"]
        if name not in self.read:
            p = Path(name)
            p = p if p.is_absolute() else self.base_dir / p
            self.inputs.append(p)
            self.read[name] = read_village_csv(p, f"{self.label}: {where}", {}, self.base_dir)
        return self.read[name]

    def package(self, ref: str) -> str:
        if not ref.endswith((".yaml", ".yml")):
            return ref
        p = Path(ref)
        p = p if p.is_absolute() else self.base_dir / p
        self.inputs.append(p)
        return str(p)


# ----------------------------------------------------------------------------- designs
def _scale(unit: np.ndarray, params: dict[str, Any]) -> pd.DataFrame:
    cols = {}
    for j, (name, p) in enumerate(params.items()):
        if isinstance(p, Range):
            v = p.low + unit[:, j] * (p.high - p.low)
            cols[name] = v
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


def design_size(spec: SweepSpec) -> int:
    """Design points of a sweep, counted without building the design (not for 'table')."""
    if spec.crossed and spec.policies is not None and spec.uncertainties is not None:
        return (_space_size(spec.policies.parameters, spec.policies.design)
                * _space_size(spec.uncertainties.parameters, spec.uncertainties.design))
    return _space_size(spec.parameters, spec.design)


def check_size(points: int, replications: int) -> None:
    """Refuse a sweep of more than :data:`MAX_RUNS` runs before anything is allocated."""
    runs = points * replications
    if runs > MAX_RUNS:
        raise UsageError(f"the sweep has {points:,} design points x {replications:,} "
                         f"replications = {runs:,} runs, more than the limit of {MAX_RUNS:,}; "
                         "use fewer levels, samples, values or replications (or split it into "
                         f"several sweeps) / 扫描运行次数超过上限 {MAX_RUNS:,}")


def read_design_table(path: Path, label: str = "design.file") -> pd.DataFrame:
    """A design table: a header of parameter key paths and one row per design point.

    Refuses, with the file and line, anything but a regular UTF-8 CSV file of at most
    :data:`MAX_TABLE_BYTES` with unique, non-empty column names, at least one row, and
    exactly one non-empty cell per column on every row.
    """
    def bad(msg: str, line: int | None = None) -> ScenarioError:
        return ScenarioError([Issue(str(path), label, msg, line)])

    try:
        st = os.stat(path)
    except OSError as exc:
        raise bad(f"cannot read the design table: {exc.strerror or exc} / 无法读取设计表") from None
    if not stat.S_ISREG(st.st_mode):
        raise bad("the design table is not a regular file / 设计表须为普通文件")
    if st.st_size > MAX_TABLE_BYTES:
        raise bad(f"the design table has {st.st_size:,} bytes, more than the limit of "
                  f"{MAX_TABLE_BYTES:,} / 设计表过大")
    try:
        with open(path, "rb") as fh:
            raw = fh.read(MAX_TABLE_BYTES + 1)
        text = raw.decode("utf-8-sig")
    except OSError as exc:
        raise bad(f"cannot read the design table: {exc.strerror or exc} / 无法读取设计表") from None
    except UnicodeDecodeError:
        raise bad("not UTF-8 text / 文件须为UTF-8编码") from None
    try:
        reader = csv.reader(io.StringIO(text, newline=""), strict=True)
        rows = [(n, r) for n, r in enumerate(reader, 1) if any(c.strip() for c in r)]
    except csv.Error as exc:
        raise bad(f"not a valid CSV table: {exc} / CSV格式有误") from None
    if not rows:
        raise bad("empty design table; expected a header row of parameter key paths and one "
                  "row per design point / 设计表为空", 1)
    hline, header = rows[0]
    header = [h.strip() for h in header]
    for j, h in enumerate(header):
        if not h:
            raise bad(f"column {j + 1} of the header has no name / 表头第{j + 1}列缺少名称", hline)
        if h in header[:j]:
            raise bad(f"duplicate column '{h}' / 列名重复", hline)
    if len(rows) == 1:
        raise bad("the design table has a header but no rows; add one row per design point "
                  "/ 设计表只有表头，没有设计点", hline)
    check_size(len(rows) - 1, 1)
    for n, r in rows[1:]:
        if len(r) != len(header):
            raise bad(f"{len(r)} cells, but the header has {len(header)} columns / 单元格数与表头"
                      "列数不符", n)
        for h, c in zip(header, r):
            if not c.strip():
                raise bad(f"empty cell in column '{h}' / 单元格为空", n)
    clean = io.StringIO(newline="")   # the rows checked above, blank ones left out (a row of
    csv.writer(clean).writerows([header] + [r for _, r in rows[1:]])   # empty cells is not
    try:                                                               # blank to pandas)
        table = pd.read_csv(io.StringIO(clean.getvalue()), keep_default_na=False,
                            skipinitialspace=True)
    except (ValueError, pd.errors.ParserError) as exc:   # guarded above; a last resort
        raise bad(f"not a valid CSV table: {exc}") from None
    table.columns = header
    return table.reset_index(drop=True)


#: The columns of a crossed design that number its policy and uncertainty points.
CROSS_COLUMNS = ("policy", "uncertainty")


def build_design(spec: SweepSpec, base_dir: Path) -> pd.DataFrame:
    """The design points (one row each, one column per parameter), derived parameters last.

    A crossed design (``policies`` and ``uncertainties``) runs every policy point in every
    uncertainty point: policy-major rows, numbered by the columns ``policy`` and
    ``uncertainty``.
    """
    if not spec.crossed:
        design = _space_design(spec.parameters, spec.design, base_dir, spec.replications,
                               "design")
    else:
        issues = spec_issues(spec)
        if issues:
            raise ScenarioError([Issue("sweep", ".".join(map(str, p)), m) for p, m in issues])
        pol = _space_design(spec.policies.parameters, spec.policies.design, base_dir,
                            spec.replications, "policies.design")
        unc = _space_design(spec.uncertainties.parameters, spec.uncertainties.design, base_dir,
                            spec.replications, "uncertainties.design")
        clash = sorted(set(pol.columns) & set(unc.columns))
        if clash:
            raise UsageError(f"{', '.join(clash)} is both a policy and an uncertainty (a design "
                             "table's column); a parameter belongs to one space / 参数不能同时"
                             "属于政策与不确定性")
        check_size(len(pol) * len(unc), spec.replications)
        i = np.repeat(np.arange(len(pol)), len(unc))
        j = np.tile(np.arange(len(unc)), len(pol))
        design = pd.concat([pd.DataFrame({"policy": i, "uncertainty": j}),
                            pol.iloc[i].reset_index(drop=True),
                            unc.iloc[j].reset_index(drop=True)], axis=1)
    return derive(spec, design)


def swept_columns(spec: SweepSpec, design: pd.DataFrame) -> list[str]:
    """The design's columns that are parameters (swept or derived), in order."""
    return [c for c in design.columns if not (spec.crossed and c in CROSS_COLUMNS)]


def derive(spec: SweepSpec, design: pd.DataFrame) -> pd.DataFrame:
    """``design`` with a column per derived parameter, computed row by row.

    Whole-number results become int64 columns (an integer parameter refuses 12.0; a float
    parameter takes 12).  Raises UsageError naming the parameter and design point when an
    expression reads a column the design lacks or cannot be evaluated there.
    """
    if not spec.derived:
        return design
    design = design.copy()
    params = swept_columns(spec, design)
    for key, text in spec.derived.items():
        tree = expressions.parse(text)
        unknown = sorted(n for n in expressions.names(tree) if n not in params)
        if unknown:
            raise UsageError(f"derived.{key}: {', '.join(unknown)} is not a column of the "
                             f"design (parameters: {', '.join(params) or 'none'}) / 推导参数引用"
                             "了设计中不存在的参数")
        if key in design.columns:
            raise UsageError(f"derived.{key}: {key} is already a column of the design; a "
                             "parameter is either swept or derived / 参数不能既被扫描又被推导")
        used = sorted(expressions.names(tree))
        values = []
        for n, row in enumerate(design[used].itertuples(index=False, name=None)):
            try:
                values.append(expressions.evaluate(tree, {u: _plain(v) for u, v in
                                                          zip(used, row)}))
            except expressions.ExpressionError as exc:
                point = ", ".join(f"{u}={_plain(v)!r}" for u, v in zip(used, row))
                raise UsageError(f"derived.{key} = {text} at design point {n} ({point}): "
                                 f"{exc}") from None
        design[key] = _column(values)
        params.append(key)
    return design


def _column(values: list[Any]) -> Any:
    """Derived values as a column: int64 when all are whole numbers, else as they are."""
    if values and all(isinstance(v, (int, float)) and not isinstance(v, bool)
                      and float(v).is_integer() and abs(v) < 2**53 for v in values):
        return np.asarray(values, dtype=np.float64).astype(np.int64)
    return values


def _space_size(params: dict[str, Any], d: Design) -> int:
    if d.method == "grid" or not params:
        return math.prod(d.levels if isinstance(p, Range) else len(p) for p in params.values())
    return _SAMPLE_POINTS[d.method](d.samples, len(params))


def _space_design(params: dict[str, Any], d: Design, base_dir: Path, replications: int,
                  label: str) -> pd.DataFrame:
    """The points of one parameter space."""
    k = len(params)
    if d.method == "table":
        if not d.file:
            raise UsageError(f"{label}.method 'table' needs {label}.file / 需要指定设计表文件")
        path = require_inside(base_dir / d.file, base_dir, "sweep", f"{label}.file")
        table = read_design_table(path, f"{label}.file")
        missing = [p for p in params if p not in table.columns] if params else []
        if missing:
            raise UsageError(f"design table {d.file} lacks columns: {', '.join(missing)} "
                             "/ 设计表缺少列")
        return table
    check_size(_space_size(params, d), replications)
    if k == 0:
        return pd.DataFrame(index=[0])
    if d.method == "grid":
        axes = [np.linspace(p.low, p.high, d.levels) if isinstance(p, Range) else list(p)
                for p in params.values()]
        rows = list(itertools.product(*axes))
        return _integers(pd.DataFrame(rows, columns=list(params)), params)
    if d.method == "lhs":
        return _integers(_scale(qmc.LatinHypercube(d=k, seed=d.seed).random(d.samples),
                                params), params)
    if d.method == "sobol":
        return _integers(_scale(qmc.Sobol(d=k, scramble=True, seed=d.seed).random(d.samples),
                                params), params)
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
    return _integers(pd.DataFrame(x, columns=list(params)), params)


def _integers(df: pd.DataFrame, params: dict[str, Any]) -> pd.DataFrame:
    """Columns of ``integer: true`` ranges as whole numbers (int64, not 12.0): an integer
    parameter of the scenario refuses a float.  Every design method goes through here."""
    for name, p in params.items():
        if isinstance(p, Range) and p.integer:
            df[name] = np.round(df[name].to_numpy(dtype=float)).astype(np.int64)
    return df


def check_metrics(spec: "SweepSpec", scenario: LoadedScenario, label: str = "sweep") -> None:
    """Refuse metric names that no run reports (they would give empty columns), listing the
    valid ones (:func:`ruralsim.results.metric_names`)."""
    from ..metrics import refusal, unknown_names
    from ..results import metric_names

    valid = metric_names(scenario)
    unknown = unknown_names(spec.metrics, valid)
    if unknown:
        raise ScenarioError([Issue(label, "metrics", refusal(unknown, valid))])


def design_runs(spec: SweepSpec, design: pd.DataFrame) -> pd.DataFrame:
    """The full run table: every design point x replication, with run id and seed label."""
    check_size(len(design), spec.replications)
    labels = np.array([seed_label(s) for s in spawn_seeds(spec.seed, spec.replications)],
                      dtype=object)
    reps = spec.replications
    point = np.repeat(np.arange(len(design), dtype=np.int64), reps)
    rep = np.tile(np.arange(reps, dtype=np.int64), len(design))
    head = pd.DataFrame({"run_id": np.arange(point.size, dtype=np.int64), "point": point,
                         "rep": rep, "seed": labels[rep]})
    values = design.iloc[point].reset_index(drop=True)
    values = values.drop(columns=[c for c in values.columns if c in head.columns])
    return pd.concat([head, values], axis=1)


# ----------------------------------------------------------------------------- the folder
def _manifest_of(path: Path) -> str | None:
    """The manifest text if ``path`` is a sweep manifest written by ruralsim, else None."""
    try:
        if not path.is_file() or path.stat().st_size > MAX_MANIFEST_BYTES:
            return None
        with open_regular(path, "rb") as fh:
            text = fh.read(MAX_MANIFEST_BYTES + 1).decode("utf-8")
        data = json.loads(text)
    except UsageError:
        raise
    except (OSError, ValueError, RecursionError):
        return None
    return text if isinstance(data, dict) and {"spec", "scenario", "runs"} <= set(data) else None


def _is_temp(name: str) -> bool:
    return name.startswith(".") and ".tmp-" in name


def check_sweep_out(out: Path, force: bool = False, inputs: Any = (),
                    manifest: str | None = None) -> str:
    """May this sweep write into ``out``?  Returns ``'new'`` (absent or empty), ``'resume'``
    (a sweep of the same design) or ``'replace'`` (``force`` and a sweep folder holding only
    sweep outputs); raises UsageError saying why not otherwise.

    Never: the current folder or one containing it (``.``, ``..``), ``/``, the home folder or
    one containing it, a file, or a folder that is or contains one of ``inputs`` (sweep
    file, base scenario, design table, village CSVs, packages).  A non-empty folder that is
    not a sweep of this design is refused unless ``force``; ``force`` replaces only a folder
    ruralsim wrote for a sweep (it holds ``sweep.json``) and nothing but sweep outputs.
    """
    out = Path(out)
    try:
        real = out.resolve()
        cwd = Path.cwd().resolve()
    except (OSError, RuntimeError) as exc:
        raise UsageError(f"--out {out}: cannot resolve the folder ({exc}) / 无法解析输出目录") \
            from None
    why = None
    if real == Path(real.anchor):
        why = "is the root of the file system / 是根目录"
    elif real == cwd or real in cwd.parents:
        why = "is the current folder or contains it / 是当前目录或其上级目录"
    else:
        try:
            home = Path.home().resolve()
        except (OSError, RuntimeError, KeyError):
            home = None
        if home is not None and (real == home or real in home.parents):
            why = "is your home folder or contains it / 是主目录或其上级目录"
    for f in inputs:
        if why:
            break
        try:
            fr = Path(f).resolve()
        except (OSError, RuntimeError):
            continue
        if fr == real or real in fr.parents:
            why = f"contains the input file {f} / 包含输入文件"
    if why:
        raise UsageError(f"--out {out} {why}; choose a new folder for the sweep's outputs, "
                         "e.g. --out my-sweep-out / 请另选一个输出目录")
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder / 输出路径是文件")
    if not out.is_dir():
        return "new"
    try:
        entries = [e for e in out.iterdir() if e.name != LOCK_FILE and not _is_temp(e.name)]
    except OSError as exc:
        raise UsageError(f"--out {out}: cannot list the folder ({exc.strerror or exc}) "
                         "/ 无法读取输出目录") from None
    if not entries:
        return "new"
    for name in SWEEP_OUTPUTS | {LOCK_FILE}:    # resumed or replaced in place: never a link
        check_regular(out / name, folder_ok=name == "figures")
    old = _manifest_of(out / MANIFEST_FILE)
    if old is not None and manifest is not None and old == manifest:
        return "resume"
    if old is None:
        raise UsageError(f"--out {out} is not empty and is not a sweep folder (it has no "
                         f"{MANIFEST_FILE}); choose a new or empty folder / 输出目录非空且不是"
                         "扫描结果目录，请另选目录")
    if not force:
        raise UsageError(f"--out {out} holds a different sweep (another design, scenario or "
                         "seed); use another --out folder, or --force to replace it / 该目录属于"
                         "另一组扫描；请另选目录，或加 --force 覆盖")
    foreign = sorted(e.name for e in entries if e.name not in SWEEP_OUTPUTS
                     or (e.name == "figures" and not _only_figures(e))
                     or (e.name != "figures" and not e.is_file()))
    if foreign:
        raise UsageError(f"--out {out} holds a sweep and also files ruralsim did not write "
                         f"({', '.join(foreign[:5])}); --force replaces only sweep outputs: "
                         "move those files away first / 目录中有非本程序写出的文件")
    return "replace"


def _only_figures(folder: Path) -> bool:
    try:
        return folder.is_dir() and not folder.is_symlink() and all(
            e.is_file() and not e.is_symlink() and e.suffix == ".png" for e in folder.iterdir())
    except OSError:
        return False


def _clear_sweep(out: Path) -> None:
    """Delete a replaced sweep's outputs; the manifest last, so an interrupted replacement
    still leaves a folder that ``--force`` recognises."""
    for name in sorted(SWEEP_OUTPUTS - {LOCK_FILE, MANIFEST_FILE}):
        p = out / name
        if name == "figures" and p.is_dir():
            for f in p.iterdir():
                f.unlink()
            p.rmdir()
        elif p.is_file():
            p.unlink()
    (out / MANIFEST_FILE).unlink(missing_ok=True)


# ----------------------------------------------------------------------------- the lock
_HELD_FDS: set[int] = set()


def _close_held_in_child() -> None:   # a forked worker must not keep the sweep's lock alive
    for fd in list(_HELD_FDS):
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD_FDS.clear()


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_close_held_in_child)


def _try_lock(fd: int) -> bool | None:
    """True: locked; False: held by another process; None: the file system cannot lock."""
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 1 << 20, os.SEEK_SET)     # lock a byte past the information text
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        return True
    except BlockingIOError:
        return False
    except PermissionError:
        return False
    except OSError as exc:
        import errno

        if exc.errno in (errno.EAGAIN, errno.EACCES, errno.EDEADLK):
            return False
        return None


def _unlock(fd: int) -> None:
    try:
        if os.name == "nt":
            import msvcrt

            os.lseek(fd, 1 << 20, os.SEEK_SET)
            msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)
        else:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_UN)
    except OSError:
        pass


def _holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        info = json.loads(os.read(fd, 4096).decode("utf-8"))
        return (f"process {int(info['pid'])} on {str(info['host'])[:100]}, started "
                f"{str(info['started'])[:40]}")
    except (OSError, ValueError, KeyError, TypeError, RecursionError):
        return "another process (it is still starting)"


@contextmanager
def sweep_lock(folder: Path) -> Iterator[None]:
    """Hold ``folder``'s sweep lock, or raise UsageError naming the process that holds it.

    The operating system releases the lock when its holder ends, however it ends, so the
    lock of a killed sweep is simply taken over.
    """
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / LOCK_FILE
    try:
        fd = open_fd(path, "r+b")
    except OSError as exc:
        raise UsageError(f"cannot create the lock file {path}: {exc.strerror or exc} "
                         "/ 无法创建锁文件") from None
    try:
        got = _try_lock(fd)
        if got is False:
            raise UsageError(f"the sweep folder {folder} is in use by {_holder(fd)}; wait for "
                             "it to finish or stop it, then run the command again / 另一个扫描"
                             "进程正在使用该目录")
        if got is None:
            sys.stderr.write(f"ruralsim: cannot lock {path} (the file system does not support "
                             "locks); make sure no other sweep uses this folder / 无法加锁\n")
        else:
            info = {"pid": os.getpid(), "host": socket.gethostname(),
                    "started": time.strftime("%Y-%m-%d %H:%M:%S %z")}
            os.ftruncate(fd, 0)
            os.lseek(fd, 0, os.SEEK_SET)
            os.write(fd, (json.dumps(info) + "\n").encode("utf-8"))
            _HELD_FDS.add(fd)
        try:
            yield
        finally:
            _HELD_FDS.discard(fd)
            if got:
                _unlock(fd)
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- the store
def _valid_record(rec: Any, n_runs: int, metrics: list[str]) -> bool:
    """A record of this sweep: a run id of the design, a known status, scalar metrics."""
    if not isinstance(rec, dict):
        return False
    rid, status = rec.get("run_id"), rec.get("status")
    if isinstance(rid, bool) or not isinstance(rid, int) or not 0 <= rid < n_runs:
        return False
    if status not in ("ok", "error") or not isinstance(rec.get("error", ""), (str, type(None))):
        return False
    if status == "ok" and not all(m in rec for m in metrics):
        return False
    return all(isinstance(rec.get(m), _SCALARS) for m in metrics)


_SCALARS = (str, int, float, bool, type(None))


def _resource_failure(rec: dict) -> bool:
    """A run recorded as failed by an older version because the machine ran short."""
    return rec["status"] == "error" and str(rec.get("error") or "").startswith(
        ("MemoryError", "BrokenProcessPool"))


def read_store(path: Path, n_runs: int, metrics: list[str], columns: tuple[str, ...] = (),
               series: dict | None = None) -> tuple[dict[int, dict], int]:
    """Finished runs in the store, and how many lines were unusable.

    With time-series ``columns``, a finished run's record must hold them (else it is
    unusable and runs again); they are moved out of the record into ``series``.

    Any line that is not a record of this sweep is skipped: torn by a kill, not UTF-8, not
    JSON, not a record, a run id outside the design.  Runs recorded as failed for lack of
    memory by an older version are left out, so that they run again.
    """
    done: dict[int, dict] = {}
    bad = 0
    if not os.path.lexists(path):
        return done, bad
    with open_regular(path, "rb") as fh:
        for raw in _lines(fh):
            if raw is None or not raw.endswith(b"\n"):   # overlong, or torn by a kill
                bad += 1
                continue
            if not raw.strip():
                continue
            try:
                rec = json.loads(raw.decode("utf-8"))
            except (ValueError, RecursionError):
                bad += 1
                continue
            if not _valid_record(rec, n_runs, metrics):
                bad += 1
                continue
            if _resource_failure(rec):
                done.pop(rec["run_id"], None)
                continue
            if columns and rec["status"] == "ok":
                arrays = series_of(rec, columns)
                if arrays is None:
                    bad += 1
                    continue
                if series is not None:
                    series[rec["run_id"]] = arrays
            rec.pop("timeseries", None)
            done[rec["run_id"]] = rec
    return done, bad


def _lines(fh: Any) -> Iterator[bytes | None]:
    """The lines of a binary file; None for a line longer than MAX_RECORD_BYTES (skipped
    without reading it into memory)."""
    while True:
        raw = fh.readline(MAX_RECORD_BYTES + 1)
        if not raw:
            return
        if len(raw) > MAX_RECORD_BYTES:
            while raw and not raw.endswith(b"\n"):
                raw = fh.readline(MAX_RECORD_BYTES + 1)
            yield None
            continue
        yield raw


def _rewrite_store(path: Path, done: dict[int, dict], series: dict | None = None,
                   columns: tuple[str, ...] = ()) -> None:
    """Replace the store by its usable records (atomically, synced)."""
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    tmp.unlink(missing_ok=True)
    try:
        with open_regular(tmp, "xb") as fh:
            for rid in sorted(done):
                rec = done[rid]
                if columns and series is not None and rid in series:
                    months, values = series[rid]
                    rec = {**rec, "timeseries": {"month": months.tolist(), **{
                        c: values[j].tolist() for j, c in enumerate(columns)}}}
                fh.write((json.dumps(rec, sort_keys=True) + "\n").encode("utf-8"))
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)
    fsync_path(path.parent)


class RunStore:
    """Appends records to ``runs.jsonl``: each written through to the operating system at
    once (a killed process loses none), fsynced to disk at most every ``fsync_every``
    seconds; ``on_synced(n)`` is told of records once they are on disk, so progress never
    counts a run a power cut could lose."""

    def __init__(self, path: Path, fsync_every: float = DEFAULT_FSYNC_EVERY,
                 on_synced: Callable[[int], None] | None = None):
        self.fh = open_regular(path, "ab")
        self.fsync_every, self.on_synced = fsync_every, on_synced
        self.unsynced, self.last = 0, time.monotonic()

    def add(self, rec: dict) -> None:
        self.fh.write((json.dumps(rec, sort_keys=True) + "\n").encode("utf-8"))
        self.fh.flush()
        self.unsynced += 1
        if time.monotonic() - self.last >= self.fsync_every:
            self.sync()

    def sync(self) -> None:
        if self.unsynced:
            os.fsync(self.fh.fileno())
            n, self.unsynced = self.unsynced, 0
            if self.on_synced is not None:
                self.on_synced(n)
        self.last = time.monotonic()

    def close(self) -> None:
        try:
            self.sync()
        finally:
            self.fh.close()


def _fingerprint(spec: SweepSpec, runs: pd.DataFrame, scenario: LoadedScenario) -> str:
    buf = io.StringIO()
    runs.to_csv(buf, index=False)
    return json.dumps({"spec": spec.model_dump(mode="json"), "scenario": scenario.hash,
                       "runs": buf.getvalue()}, sort_keys=True)


def _check_fsync_every(value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) \
            or not math.isfinite(value) or not 0 <= value <= 86_400:
        raise UsageError(f"--fsync-every must be a number of seconds from 0 to 86400 (got "
                         f"{value!r}) / 同步间隔须为 0 到 86400 秒")
    return float(value)


def _executor_failed(exc: BaseException) -> bool:
    """An executor failure (a worker killed, a lost dask worker), not a bug of ours."""
    return isinstance(exc, (BrokenExecutor, CancelledError)) or \
        type(exc).__module__.split(".")[0] == "distributed"


def run_sweep(spec: SweepSpec, base_dir: Path, out: Path, executor: Executor | None = None,
              progress: bool = False, *, source: str | Path | None = None, force: bool = False,
              fsync_every: float = DEFAULT_FSYNC_EVERY,
              finish: Callable[[pd.DataFrame], None] | None = None,
              notify: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Run (or resume) a sweep into ``out``; returns the results table.

    ``source`` is the sweep file (kept out of ``out``); ``force`` replaces a different
    sweep's folder; ``fsync_every`` is the most seconds between fsyncs of the run store;
    ``finish(table)`` runs while the folder is still locked (figures, say); ``notify`` is
    told what a resumed sweep found (default: a line on stderr).  Raises RuralsimError, after
    saving every finished run, when a worker died or runs could not complete for lack of
    memory: the same call then resumes.
    """
    fsync_every = _check_fsync_every(fsync_every)
    out = Path(out)
    label = str(source) if source is not None else str(base_dir)
    issues = spec_issues(spec)
    if issues:
        raise ScenarioError([Issue(label, ".".join(map(str, p)), m) for p, m in issues])
    files = _Files(base_dir, label)
    if source is not None:
        files.inputs.append(Path(source))
    bpath: Path | str = base_dir / spec.base
    if not Path(bpath).exists():
        bpath = spec.base           # a built-in name (the loader says when there is none)
    if Path(bpath).is_file():
        files.inputs.append(Path(bpath))
    fixed = [(k, files.value(k, v, f"overrides.{k}")) for k, v in spec.overrides.items()]
    packages = [files.package(p) for p in spec.packages]
    sc = load_scenario(bpath, fixed, packages)
    design = build_design(spec, base_dir)
    for d in (spec.design, *(x.design for x in (spec.policies, spec.uncertainties) if x)):
        if d.method == "table" and d.file:
            files.inputs.append(base_dir / d.file)
    runs = design_runs(spec, design)
    params = swept_columns(spec, design)
    point_overrides = _overrides_for(params, design, files)
    _check_overrides(sc, point_overrides)
    check_metrics(spec, sc, label)
    check_timeseries(spec, sc, design, label)
    fp = _fingerprint(spec, runs, sc)
    check_sweep_out(out, force, files.inputs, fp)
    with sweep_lock(out):
        action = check_sweep_out(out, force, files.inputs, fp)   # again, now that we hold it
        if action == "replace":
            _clear_sweep(out)
        if action != "resume":
            write_text_atomic(out / MANIFEST_FILE, fp)
        if not (out / "design.csv").exists():
            write_csv(runs, out / "design.csv")
        series: dict[int, tuple[np.ndarray, np.ndarray]] = {}
        table = _execute(spec, sc, runs, point_overrides, out, executor, progress, fsync_every,
                         series, notify)
        table.attrs["horizon_months"] = sc.model.run.horizon_months
        write_results(table, out)
        if spec.timeseries:
            write_timeseries(series, spec.timeseries, out)
        if finish is not None:
            finish(table)
    return table


def _overrides_for(params: list[str], design: pd.DataFrame, files: _Files) -> list[tuple]:
    """Each design point's overrides, files named in them resolved and checked."""
    cols = [[files.value(p, _plain(v), f"parameters.{p}") for v in design[p].tolist()]
            for p in params]
    return [tuple(zip(params, vals)) for vals in zip(*cols)] if params else \
        [()] * len(design)


def _execute(spec: SweepSpec, sc: LoadedScenario, runs: pd.DataFrame, overrides: list[tuple],
             out: Path, executor: Executor | None, progress: bool, fsync_every: float,
             series: dict[int, tuple[np.ndarray, np.ndarray]] | None = None,
             notify: Callable[[str], None] | None = None) -> pd.DataFrame:
    path = out / RUNS_FILE
    n = len(runs)
    columns = tuple(spec.timeseries)
    series = {} if series is None else series
    done, bad = read_store(path, n, spec.metrics, columns, series)
    if bad:
        sys.stderr.write(f"ruralsim: {path}: skipped {bad} unusable line(s) (torn by a kill, or "
                         "not records of this sweep); those runs will run again / 跳过 "
                         f"{bad} 行无法使用的记录，相应运行将重新计算\n")
    if bad:
        _rewrite_store(path, done, series, columns)
    if done:
        (notify or _notify)(f"resuming {path.parent}: {len(done):,} of {n:,} runs already done, "
                            f"{n - len(done):,} to do / 继续扫描：{n:,} 次运行中已完成 "
                            f"{len(done):,} 次，尚余 {n - len(done):,} 次")
    seeds = spawn_seeds(spec.seed, spec.replications)
    reps = spec.replications
    ts_columns = ("month", *columns) if columns else ()

    def spec_of(rid: int) -> RunSpec:
        return RunSpec(rid, sc, seeds[rid % reps], overrides[rid // reps], ts_columns,
                       {"run_id": rid})

    bar = Progress(n, "扫描 sweep", progress, initial=len(done))
    store = RunStore(path, fsync_every, bar.step)
    short: list[int] = []

    def record(res: dict) -> None:
        if res["status"] == "resource":
            short.append(res["run_id"])
            return
        rec = {"run_id": res["run_id"], "status": res["status"], "error": res["error"],
               **{m: _scalar(res["metrics"].get(m)) for m in spec.metrics}}
        if columns and res["status"] == "ok":
            ts = res["timeseries"]
            rec["timeseries"] = {c: ts[c].tolist() for c in ts_columns}
            series[res["run_id"]] = series_arrays(ts, columns)
        store.add(rec)
        rec.pop("timeseries", None)
        done[res["run_id"]] = rec

    ex = executor or SerialExecutor()
    try:
        try:
            run_all(ex, run_one, (spec_of(i) for i in range(n) if i not in done), None, record,
                    keep=False)
            if short:                                  # once more: memory may have been freed
                again, short[:] = list(short), []
                run_all(ex, run_one, (spec_of(i) for i in again), None, record, keep=False)
        finally:
            store.close()
            bar.close()
    except Exception as exc:
        if not _executor_failed(exc):
            raise
        raise RuralsimError(f"a worker process stopped unexpectedly ({type(exc).__name__}: "
                            f"{str(exc)[:200]}; killed, or out of memory?). The {len(done):,} "
                            f"runs finished are saved in {path}; run the same command again to "
                            "resume (with fewer --workers if memory is short) / 工作进程意外终止；"
                            "已完成的运行已保存，重新运行同一命令即可继续") from None
    if short:
        raise RuralsimError(f"{len(short)} run(s) could not complete for lack of resources "
                            f"(e.g. run {short[0]}: memory); the {len(done):,} runs finished are "
                            f"saved in {path}; run the same command again to retry them, with "
                            "fewer --workers / 内存等资源不足，部分运行未完成；已完成的运行已保存，"
                            "请减少并行进程数后重新运行同一命令")
    return results_table(runs, done, spec.metrics)


def _notify(msg: str) -> None:
    sys.stderr.write(f"ruralsim: {msg}\n")
    sys.stderr.flush()


def _scalar(v: Any) -> Any:
    """A metric as a JSON scalar (anything else as its text)."""
    if isinstance(v, np.generic):
        v = v.item()
    return v if isinstance(v, _SCALARS) else str(v)


def _plain(v: Any) -> Any:
    return v.item() if isinstance(v, np.generic) else v


def _check_overrides(sc: LoadedScenario, overrides: list[tuple]) -> None:
    """Validate the first design point fully before any run starts."""
    if not overrides or not overrides[0]:
        return
    try:
        load_scenario(sc, list(overrides[0]))
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
    write_csv(table, out / "results.csv")
    try:
        import pyarrow
    except ImportError:
        return
    tmp = out / f".results.parquet.tmp-{os.getpid()}"
    try:
        try:
            table.astype({"seed": str}).to_parquet(tmp, index=False)
        except (ValueError, TypeError, pyarrow.ArrowException):
            # mixed-type parameter values (a list of numbers and names, say): as text
            obj = [c for c in table.columns if table[c].dtype == object]
            table.astype({c: str for c in obj}).to_parquet(tmp, index=False)
        os.replace(tmp, out / "results.parquet")
    finally:
        tmp.unlink(missing_ok=True)


# ----------------------------------------------------------------------------- sensitivity
def sensitivity(spec: SweepSpec, table: pd.DataFrame, horizon: int | None = None,
                warn: Callable[[str], None] | None = None) -> pd.DataFrame:
    """Sobol (first and total order) or Morris indices per metric, from a sweep's results.

    Replications are averaged per design point before the analysis.  A missing outcome is
    never imputed: a time-to-threshold metric (``ruralsim metrics``: censored) not reached
    within the horizon counts as horizon + 1 and the censored runs are counted
    (``censored_share``); where more than :data:`ruralsim.metrics.HEAVY_CENSORING` of the
    runs are censored, or any run failed or has no value, the metric's indices are refused
    (left empty, the reason in ``note``) and ``warn`` is told.  Sobol indices say whether
    they are resolved at this budget: a 95% interval narrower than the index
    (``S1_resolved``, ``ST_resolved``), and the indices from the first half of the design
    (``ST_half_N``) for a convergence check.
    """
    from ..metrics import HEAVY_CENSORING, info

    warn = warn or (lambda msg: sys.stderr.write(f"ruralsim: 警告 / WARNING: {msg}\n"))
    problem = salib_problem(spec.parameters)
    x = table.drop_duplicates("point").set_index("point")[list(spec.parameters)]
    if horizon is None:
        horizon = table.attrs.get("horizon_months")
    per_run_h = (pd.to_numeric(table["run.horizon_months"], errors="coerce")
                 if "run.horizon_months" in table.columns else None)
    rows = []
    for m in spec.metrics:
        i = info(m)
        y = pd.to_numeric(table[m], errors="coerce").astype(float)
        ok = table["status"] == "ok"
        missing = ok & y.isna()
        n_runs, n_missing = int(len(table)), int(missing.sum())
        n_failed = int((~ok).sum())
        cens_share = 0.0
        note = ""
        if n_missing and i is not None and i.censored and (horizon or per_run_h is not None):
            h = per_run_h if per_run_h is not None else pd.Series(horizon, index=table.index)
            y = y.where(~missing, h + 1)
            cens_share = n_missing / n_runs
            note = (f"{n_missing} of {n_runs} runs ({cens_share:.0%}) did not reach the "
                    "threshold within the horizon: counted as horizon + 1 (censored)")
            if cens_share > HEAVY_CENSORING:
                note = (f"refused: {n_missing} of {n_runs} runs ({cens_share:.0%}) censored at "
                        f"horizon + 1, more than {HEAVY_CENSORING:.0%}; its indices would "
                        "describe the horizon, not the model (use share_moved, or a longer "
                        "horizon)")
        elif n_missing:
            note = (f"refused: {n_missing} of {n_runs} runs have no value for {m} (undefined "
                    "in those runs); indices need every run and no value is imputed")
        if n_failed:
            note = (f"refused: {n_failed} of {n_runs} runs failed; indices need every run and "
                    "no value is imputed")
        if note.startswith("refused"):
            warn(f"sensitivity of {m}: {note}")
            rows += [{"metric": m, "parameter": n, "censored_share": cens_share, "note": note}
                     for n in problem["names"]]
            continue
        if note:
            warn(f"sensitivity of {m}: {note}")
        means = y[ok].groupby(table.loc[ok, "point"]).mean().reindex(x.index)
        res = indices(spec.design.method, problem, x.to_numpy(), means.to_numpy(dtype=float))
        rows += [{"metric": m, **r, "censored_share": cens_share, "note": note} for r in res]
    return pd.DataFrame(rows)


def _resolved(index: float, conf: float) -> bool:
    """An index is resolved when its 95% interval (index ± conf) is narrower than it."""
    return bool(np.isfinite(index) and np.isfinite(conf) and 2 * conf < abs(index))


def indices(method: str, problem: dict, x: np.ndarray, y: np.ndarray) -> list[dict]:
    """SALib analysis: Sobol S1/ST with confidence intervals (resolved or not, and the total
    index from the first half of the design), or Morris mu*/sigma."""
    if method == "salib_sobol":
        from SALib.analyze import sobol

        si = sobol.analyze(problem, y, calc_second_order=False, seed=1)
        k = problem["num_vars"]
        n = len(y) // (k + 2)
        half = None
        if n >= 4:   # Saltelli rows come in blocks of k + 2 per base point: a prefix is a design
            half = sobol.analyze(problem, y[: (n // 2) * (k + 2)], calc_second_order=False,
                                 seed=1)
        return [{"parameter": nm, "S1": si["S1"][i], "S1_conf": si["S1_conf"][i],
                 "ST": si["ST"][i], "ST_conf": si["ST_conf"][i],
                 "S1_resolved": _resolved(si["S1"][i], si["S1_conf"][i]),
                 "ST_resolved": _resolved(si["ST"][i], si["ST_conf"][i]),
                 "ST_half_N": float(half["ST"][i]) if half is not None else float("nan")}
                for i, nm in enumerate(problem["names"])]
    if method == "morris":
        from SALib.analyze import morris

        si = morris.analyze(problem, x, y, seed=1)
        return [{"parameter": n, "mu_star": si["mu_star"][i],
                 "mu_star_conf": si["mu_star_conf"][i], "sigma": si["sigma"][i]}
                for i, n in enumerate(problem["names"])]
    raise UsageError("sensitivity needs design.method salib_sobol or morris")


def save_sensitivity(result: pd.DataFrame, out: Path) -> None:
    write_csv(result, out / "sensitivity.csv")

