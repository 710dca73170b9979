"""The planner's app without the browser: villages, options, runs and downloads.

Everything the web page does with the model goes through these plain functions, so they are
tested without Shiny: the village table of a built-in scenario or of an uploaded CSV/Excel
file, its problems cell by cell (the messages of ``ruralsim validate``), an option (a package
with its amounts, a strategy, a budget) built into a scenario, replications of all options
with common random numbers (progress and cancel), and what the planner takes away (the
report, the workbook, one scenario YAML per option that ``ruralsim run`` reproduces).

Example:
    >>> base = base_scenario("teaching")
    >>> opt = Option("A", packages=("subsidised_loans",))
    >>> build_option(base, villages_frame(base), opt).model.policy.packages
    ['subsidised_loans']
"""
from __future__ import annotations

import copy
import csv
import functools
import io
import json
import math
import tempfile
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

import numpy as np
import pandas as pd

from ..errors import Issue, ScenarioError
from ..scenario.load import (BUILTIN_DIR, LoadedScenario, builtin_packages, builtin_scenarios,
                             load_scenario, read_village_csv)
from ..scenario.schema import Government, Village
from ..scenario.yamlio import read_yaml_file

#: Columns of the village table, in the order of the scenario schema.
VILLAGE_COLUMNS = tuple(Village.model_fields)
#: Village columns holding whole numbers and decimals (the rest is text).
_INT_COLUMNS = {"households"}
_FLOAT_COLUMNS = {c for c in VILLAGE_COLUMNS if c not in ("name", "community", "households")}
#: Most options compared side by side, and most replications the page runs.
MAX_OPTIONS = 4
MAX_REPS = 200
#: Largest uploaded village table.
MAX_UPLOAD_BYTES = 8 * 1024 * 1024
#: Built-in scenarios the page offers as a starting point (the others extend Nanpu).
BASE_SCENARIOS = tuple(s for s in builtin_scenarios() if "/" not in s)

#: Per-household amounts of a package's instruments that the page lets the planner edit,
#: with their labels (zh, en).
AMOUNT_KEYS = {
    "value_cny": ("农户感受到的价值(元/户)", "Value to the household (CNY/household)"),
    "cost_once_cny": ("政府一次性支出(元/户)", "One-off public cost (CNY/household)"),
    "cost_monthly_cny": ("政府每月支出(元/户)", "Public cost per month (CNY/household)"),
    "credit_cny": ("贷款额度(元/户)", "Loan amount (CNY/household)"),
    "revenue_monthly_cny": ("每月收回(元/户)", "Paid back per month (CNY/household)"),
    "income_gain_cny_per_year": ("年收入增加(元/户)", "Income gain per year (CNY/household)"),
}

#: Priority orders of the waiting list the page offers (types not in a scenario are dropped).
PRIORITIES = {
    "two_ends": (("抓两头：富裕户、急需户、困难户、五保户优先", "Two ends first: wealthy, urgent, poor, "
                  "five-guarantee"), ("wealthy", "urgent", "poor", "five_guarantee")),
    "middle": (("中间户优先：普通户、新分户、困难户、五保户", "Middle first: ordinary, recent, poor, "
                "five-guarantee"), ("ordinary", "recent", "poor", "five_guarantee")),
    "none": (("不分先后(按报名先后)", "No priority (by registration)"), ()),
}


def budget_supported() -> bool:
    """True when the scenario schema has ``government.budget`` (total_cny, per_year_cny)."""
    return "budget" in Government.model_fields


# ----------------------------------------------------------------------------- villages
@dataclass(frozen=True)
class CellProblem:
    """One problem of the village table: its row (0-based; None for the table as a whole),
    its column (None for the row as a whole) and the message of ``ruralsim validate``."""

    row: int | None
    column: str | None
    message: str

    def text(self, lang: str = "zh") -> str:
        where = []
        if self.row is not None:
            where.append(f"第{self.row + 1}行" if lang == "zh" else f"row {self.row + 1}")
        if self.column:
            where.append(self.column)
        return (" ".join(where) + ": " if where else "") + self.message


@functools.lru_cache(maxsize=32)
def base_label(name: str, lang: str = "zh") -> str:
    """A built-in scenario's name with the first sentence of its description in ``lang``."""
    try:
        doc = read_yaml_file(BUILTIN_DIR / f"{name}.yaml", "scenario").data
    except (OSError, ScenarioError):
        return name
    text = " ".join(str(doc.get("description", "")).split()) if isinstance(doc, dict) else ""
    # the descriptions give the Chinese first, then the English ('。' or ' / ' between)
    cut = min((i for i in (text.find("。"), text.find(" / ")) if i >= 0), default=len(text))
    zh, en = text[:cut], text[cut:].lstrip("。/ ")
    part = (zh if lang == "zh" else en.split(". ")[0].split(" (")[0] or zh).strip(" .")
    return f"{name}: {part[:48]}…" if len(part) > 48 else f"{name}: {part}" if part else name


def base_scenario(name: str) -> LoadedScenario:
    """A built-in scenario as the starting point of the page."""
    return load_scenario(name)


def villages_frame(loaded: LoadedScenario) -> pd.DataFrame:
    """The villages of ``loaded`` as a table of text cells (the page edits text)."""
    rows = [{c: _cell_text(getattr(v, c)) for c in VILLAGE_COLUMNS}
            for v in loaded.model.village_list]
    return pd.DataFrame(rows, columns=list(VILLAGE_COLUMNS))


def _cell_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def village_rows(df: pd.DataFrame) -> list[dict]:
    """The table as scenario villages: empty cells left out (their defaults apply), numbers
    read from text; a cell that is not a number stays text, so that validation names it."""
    rows = []
    for rec in df.to_dict("records"):
        out: dict[str, Any] = {}
        for key, val in rec.items():
            if key not in VILLAGE_COLUMNS:
                continue
            text = "" if val is None or (isinstance(val, float) and math.isnan(val)) \
                else str(val).strip()
            if text == "":
                continue
            if key in _INT_COLUMNS or key in _FLOAT_COLUMNS:
                try:
                    num = float(text.replace(",", ""))
                    out[key] = int(num) if key in _INT_COLUMNS and num.is_integer() else num
                except ValueError:
                    out[key] = text
            else:
                out[key] = text
        rows.append(out)
    return rows


def read_village_table(path: str | Path, filename: str) -> tuple[pd.DataFrame | None,
                                                                 list[CellProblem]]:
    """An uploaded village table (CSV, or the first sheet of an Excel workbook) as text cells,
    read by the reader of scenario village CSVs; problems reading it (with the row)."""
    path = Path(path)
    if path.stat().st_size > MAX_UPLOAD_BYTES:
        return None, [CellProblem(None, None, f"{filename}: larger than "
                                  f"{MAX_UPLOAD_BYTES // 2**20} MB; is this a village table? / 文件过大")]
    if filename.lower().endswith((".xlsx", ".xlsm")):
        try:
            text = _excel_as_csv(path)
        except Exception as exc:   # noqa: BLE001 - any unreadable workbook is bad input
            return None, [CellProblem(None, None, f"{filename}: not a readable Excel workbook "
                                      f"({type(exc).__name__}) / 无法读取Excel文件")]
        with tempfile.TemporaryDirectory() as tmp:
            p = Path(tmp) / (Path(filename).stem + ".csv")
            p.write_text(text, encoding="utf-8")
            return _read_csv(p, filename)
    return _read_csv(path, filename)


def _excel_as_csv(path: Path) -> str:
    from openpyxl import load_workbook

    wb = load_workbook(path, read_only=True, data_only=True)
    ws = wb.worksheets[0]
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    for row in ws.iter_rows(values_only=True):
        w.writerow(["" if v is None else _cell_text(v) for v in row])
    wb.close()
    return buf.getvalue()


def _read_csv(path: Path, label: str) -> tuple[pd.DataFrame | None, list[CellProblem]]:
    try:
        rows = read_village_csv(path, label, {})
    except ScenarioError as exc:
        return None, [_problem(i, header_line=True) for i in exc.issues]
    unknown = sorted({k for r in rows for k in r if k not in VILLAGE_COLUMNS})
    df = pd.DataFrame([{c: _cell_text(r.get(c)) for c in VILLAGE_COLUMNS} for r in rows],
                      columns=list(VILLAGE_COLUMNS))
    problems = [CellProblem(None, k, f"unknown key '{k}' / 未知的键; allowed: "
                            f"{', '.join(VILLAGE_COLUMNS)}") for k in unknown]
    return df, problems


def _problem(issue: Issue, header_line: bool = False) -> CellProblem:
    """A validation issue placed on the table: ``villages.3.households`` is row 3, column
    households; a CSV reading issue is placed by its line (line 2 is the first row)."""
    parts = issue.path.split(".") if issue.path else []
    if parts and parts[0] == "villages" and len(parts) > 1 and parts[1].isdigit():
        col = parts[2] if len(parts) > 2 else None
        return CellProblem(int(parts[1]), col, issue.message)
    if header_line and issue.line is not None and issue.line >= 2:
        return CellProblem(issue.line - 2, None, issue.message)
    return CellProblem(None, issue.path or None, issue.message)


def check_villages(base: LoadedScenario, df: pd.DataFrame) -> list[CellProblem]:
    """Problems of the village table in the base scenario, with the messages of
    ``ruralsim validate`` (an unknown community, a duplicate name, households below 0...)."""
    if df.empty:
        return [CellProblem(None, None, "no villages: the table needs at least one row "
                            "(name, households, community) / 村庄表为空")]
    try:
        load_scenario(base, [("villages", village_rows(df))])
    except ScenarioError as exc:
        problems = [_problem(i) for i in exc.issues]
        # a bad cell also fails the other form of 'villages' (a CSV file): that message
        # says nothing more than the cell's own
        cells = [p for p in problems if p.row is not None]
        return cells or problems
    return []


# ----------------------------------------------------------------------------- options
@dataclass(frozen=True)
class Option:
    """One option the planner compares: packages (with edited per-household amounts), a
    strategy and, where the model has it, a budget."""

    name: str
    packages: tuple[str, ...] = ()
    #: edited amounts: 'policy.instruments.<instrument>.<key>' -> CNY per household
    amounts: dict[str, float] = field(default_factory=dict)
    #: household types targeted by outreach (empty: no targeting)
    targeting: tuple[str, ...] = ()
    targeting_months: tuple[int, int | None] = (0, 24)
    priority: str = "two_ends"
    withdrawal: bool = True
    withdrawal_threshold: float = 0.35
    withdrawal_month: int = 0
    budget_total_cny: float | None = None
    budget_per_year_cny: float | None = None


@dataclass(frozen=True)
class Amount:
    """An editable amount of a package: its key path, labels and built-in value."""

    path: str
    package: str
    instrument_zh: str
    instrument_en: str
    key: str
    value: float


def package_label(name: str, lang: str = "zh") -> str:
    """A built-in package's name in ``lang`` (its file name when it has no label)."""
    data = _package(name)
    return str(data.get("label_zh" if lang == "zh" else "label_en") or name)


def _package(name: str) -> dict:
    doc = read_yaml_file(BUILTIN_DIR / "packages" / f"{name}.yaml", "package")
    return doc.data if isinstance(doc.data, dict) else {}


def package_amounts(name: str) -> list[Amount]:
    """The per-household amounts of package ``name``'s instruments (built-in values)."""
    out = []
    for inst in _package(name).get("instruments") or []:
        for key in AMOUNT_KEYS:
            if isinstance(inst.get(key), (int, float)):
                out.append(Amount(f"policy.instruments.{inst['name']}.{key}", name,
                                  str(inst.get("label_zh", inst["name"])),
                                  str(inst.get("label_en", inst["name"])), key,
                                  float(inst[key])))
    return out


def option_changes(base: LoadedScenario, option: Option) -> tuple[list[str], list[tuple]]:
    """The packages (``-name`` off, ``+name`` on) and overrides that turn ``base`` into
    ``option`` (without the villages)."""
    stacked = list(base.model.policy.packages)
    packages = [f"-{p}" for p in stacked if p not in option.packages]
    packages += [f"+{p}" for p in option.packages if p not in stacked]
    types = list(base.model.household_types)
    st = base.model.strategy
    overrides: list[tuple] = [(path, float(v)) for path, v in sorted(option.amounts.items())
                              if any(path.startswith(f"policy.instruments.{a}.")
                                     for a in _instrument_names(option.packages))]
    start, end = option.targeting_months
    targeted = [t for t in option.targeting if t in types]
    overrides.append(("strategy.outreach", [{"types": targeted, "utility_shift": 1.0,
                                             "start_month": int(start),
                                             "end_month": None if end is None else int(end)}]
                      if targeted else []))
    prio = [t for t in PRIORITIES[option.priority][1] if t in types]
    overrides.append(("strategy.priority", prio))
    overrides.append(("strategy.withdrawal", {
        **st.withdrawal.model_dump(mode="json"), "enabled": bool(option.withdrawal),
        "threshold_share": float(option.withdrawal_threshold),
        "earliest_month": int(option.withdrawal_month)}))
    overrides.append(("strategy.name", "app_option"))
    overrides.append(("strategy.label_zh", option.name))
    if option.budget_total_cny is not None:
        overrides.append(("government.budget.total_cny", float(option.budget_total_cny)))
    if option.budget_per_year_cny is not None:
        overrides.append(("government.budget.per_year_cny", float(option.budget_per_year_cny)))
    return packages, overrides


def _instrument_names(packages: tuple[str, ...]) -> set[str]:
    return {str(i["name"]) for p in packages for i in _package(p).get("instruments") or []}


def build_option(base: LoadedScenario, villages: pd.DataFrame | None, option: Option
                 ) -> LoadedScenario:
    """``base`` with the village table and ``option`` applied, validated in full (raises
    :class:`ScenarioError` with every problem)."""
    packages, overrides = option_changes(base, option)
    if villages is not None:
        overrides.insert(0, ("villages", village_rows(villages)))
    overrides.append(("name", _safe_name(option.name)))
    return load_scenario(base, overrides, packages, origin=f"option '{option.name}':")


def _safe_name(name: str) -> str:
    return (name.strip() or "option")[:200]


def option_yaml(loaded: LoadedScenario, lang: str = "zh") -> str:
    """The option as one self-contained scenario file: ``ruralsim run`` of it gives the
    same numbers as the page (same scenario hash, same seed)."""
    import yaml

    from .. import __version__

    head = (f"# ruralsim {__version__}: 方案 / option '{loaded.name}' from ruralsim app\n"
            f"# ruralsim run this.yaml  reproduces it (scenario hash {loaded.hash}, seed "
            f"{loaded.model.run.seed})\n")
    body = yaml.safe_dump(loaded.model.model_dump(mode="json"), allow_unicode=True,
                          sort_keys=False, width=100)
    return head + body


# ----------------------------------------------------------------------------- running
class Cancelled(Exception):
    """The planner pressed cancel."""


@dataclass
class Results:
    """What a run of the page gives: one run per option with the scenario's own seed (the
    one ``ruralsim run`` of the option's YAML reproduces; charts, map, timeline) and the
    comparison of replications with common random numbers (None until it is done)."""

    names: list[str]
    scenarios: list[LoadedScenario]
    runs: list[Any]                     # SimResult, one per option
    comparison: Any = None              # experiments.replicate.Comparison (so far)
    reps: int = 0                       # replications in the comparison so far
    complete: bool = False              # every replication asked for is in


def run_options(built: list[tuple[str, LoadedScenario]], reps: int, seed: int | None = None,
                progress: Callable[[int, int, str], None] | None = None,
                cancel: threading.Event | None = None,
                partial: Callable[[Results], None] | None = None) -> Results:
    """Run every option once with its own seed, then ``reps`` replications of all with the
    same child seeds, as ``ruralsim compare`` does; ``progress(done, total, what)`` after
    each run, ``partial(results)`` as results come; raises :class:`Cancelled` when
    ``cancel`` is set (checked between runs)."""
    from ..experiments.replicate import (COMPARE_METRICS, Comparison, DEFAULT_COLUMNS, _collect,
                                         _specs, check_reps, comparison_table)
    from ..experiments.runs import run_one
    from ..rng import spawn_seeds
    from ..simulate import simulate

    reps = check_reps(reps, least=2)
    names = [n for n, _ in built]
    loaded = [sc for _, sc in built]
    total = len(built) * (reps + 1)
    done = 0

    def step(what: str) -> None:
        nonlocal done
        done += 1
        if progress is not None:
            progress(done, total, what)
        if cancel is not None and cancel.is_set():
            raise Cancelled()

    res = Results(names, loaded, [])
    for name, sc in built:
        if cancel is not None and cancel.is_set():
            raise Cancelled()
        res.runs.append(simulate(sc))
        step(name)
        if partial is not None:
            partial(res)
    seed = loaded[0].model.run.seed if seed is None else seed
    seeds = spawn_seeds(seed, reps)
    specs = [_specs(sc, seeds, DEFAULT_COLUMNS, i * reps, i) for i, sc in enumerate(loaded)]
    results: list[list[dict]] = [[] for _ in loaded]

    def compared(n: int) -> None:
        per = [_collect(names[i], results[i], DEFAULT_COLUMNS) for i in range(len(loaded))]
        res.comparison = Comparison(names, per, comparison_table(per, COMPARE_METRICS))
        res.reps = n

    for r in range(reps):
        for i in range(len(loaded)):
            results[i].append(run_one(specs[i][r]))
            step(names[i])
        if partial is not None and 2 <= r + 1 < reps:   # the table so far, as it comes
            compared(r + 1)
            partial(res)
    compared(reps)
    res.complete = True
    if partial is not None:
        partial(res)
    return res


# ----------------------------------------------------------------------------- formatting
def compare_rows(comparison) -> list:
    """The comparison table as the report's rows (:class:`ruralsim.report.inputs.CompareRow`)."""
    from ..report.formatting import finite
    from ..report.inputs import CompareRow

    return [CompareRow(r.metric, r.scenario, finite(r.mean), finite(r.p2_5), finite(r.p97_5),
                       finite(r.diff_vs_first), finite(r.diff_ci_low), finite(r.diff_ci_high))
            for r in comparison.table.itertuples()]


def comparison_html(comparison, lang: str = "zh") -> str:
    """The side-by-side table of the report: the first option's mean [2.5%, 97.5%], the
    others' paired differences [95% CI], marked better or worse for each metric."""
    from ..report.html import _comparison_table

    return str(_comparison_table(compare_rows(comparison), lang))


def conclusion(comparison, lang: str = "zh") -> list[str]:
    """The report's conclusion sentences: each option against the first."""
    from ..report.lessons import comparison_lessons

    return comparison_lessons(compare_rows(comparison), list(comparison.names), lang)


def headline_html(results: Results, lang: str = "zh") -> str:
    """The report's headline table of the options' own runs (cells carry data-key)."""
    from ..report.html import _headline_table

    return str(_headline_table([(n, _summary(r)) for n, r in zip(results.names, results.runs)],
                               lang))


def _summary(run) -> Any:
    from ..report.inputs import Summary

    data = json.loads(json.dumps(run.summary, default=_plain))
    keep = {k: data.get(k) for k in Summary.model_fields if k != "supply"}
    supply = data.get("supply")
    if isinstance(supply, dict) and "timeline" in supply:
        keep["supply"] = {"timeline": supply["timeline"]}
    return Summary.model_validate(keep)


def _plain(x: Any) -> Any:
    if isinstance(x, np.generic):
        return x.item()
    return str(x)


def budget_check(run, lang: str = "zh") -> str:
    """The run against the option's budget (summary["budget"]), e.g. '通过：总公共成本4,781万元，
    预算5,000万元'; '' when the option states no budget."""
    from ..report.formatting import fmt_value

    b = run.summary.get("budget") or {}
    if b.get("pass") is None:
        return ""
    zh = lang == "zh"
    parts = []
    if b.get("within_total") is not None:
        parts.append((f"总公共成本{fmt_value('total_public_cost_cny', b['public_cost_cny'], lang)}"
                      f"，预算{fmt_value('total_public_cost_cny', b['total_cny'], lang)}") if zh
                     else (f"total public cost {fmt_value('total_public_cost_cny', b['public_cost_cny'], lang)}"
                           f", budget {fmt_value('total_public_cost_cny', b['total_cny'], lang)}"))
    if b.get("within_per_year") is not None:
        cost = fmt_value("total_public_cost_cny", b["max_year_cost_cny"], lang)
        limit = fmt_value("total_public_cost_cny", b["per_year_cny"], lang)
        parts.append(f"最高年度({b['max_year']}年){cost}，年度预算{limit}" if zh else
                     f"highest year ({b['max_year']}) {cost}, budget per year {limit}")
    verdict = ("通过" if b["pass"] else "超出预算") if zh else ("within budget" if b["pass"]
                                                           else "over budget")
    return f"{verdict}：{'；'.join(parts)}" if zh else f"{verdict}: {'; '.join(parts)}"


def timeline_html(run, lang: str = "zh") -> str:
    """The works timeline of a run whose homes are built to demand ('' otherwise)."""
    from ..report.html import _timeline_table

    s = _summary(run)
    return "" if s.supply is None else str(_timeline_table(s.supply, lang))


#: Matplotlib's pyplot is not thread-safe: one drawing at a time (runs of several pages, a
#: report being written).
PLOT_LOCK = threading.RLock()

#: The charts shown per option: (key, maker).
CHARTS = ("migration", "cash", "land", "map")


def chart_png(run, which: str, lang: str = "zh") -> bytes | None:
    """One chart of an option's run as PNG bytes (None: the map without coordinates)."""
    import matplotlib.pyplot as plt

    from ..report import plots

    sc, ts = run.scenario, run.timeseries
    makers = {"migration": lambda: plots.plot_migration(ts, sc, lang=lang),
              "cash": lambda: plots.plot_cash(ts, lang=lang),
              "land": lambda: plots.plot_land(ts, lang=lang),
              "map": lambda: plots.plot_village_map(run.villages, sc, lang=lang)}
    with PLOT_LOCK:
        fig = makers[which]()
        if fig is None:
            return None
        try:
            return plots.png_bytes(fig, dpi=90)
        finally:
            plt.close(fig)


# ----------------------------------------------------------------------------- downloads
def write_result_folders(results: Results, root: Path, lang: str = "zh") -> list[Path]:
    """The comparison and each option's run as ``ruralsim compare`` / ``run`` folders under
    ``root`` (figures in ``lang``): what ``ruralsim report`` reads."""
    with PLOT_LOCK:
        return _write_result_folders(results, root, lang)


def _write_result_folders(results: Results, root: Path, lang: str) -> list[Path]:
    from ..cli import _compare_figures
    from ..outputs import staged_dir, unique_file_stems, write_csv, write_run
    from ..report.plots import save_figures

    dirs = []
    if results.comparison is not None:
        out = root / "compare"
        with staged_dir(out, False, command="compare") as tmp:
            write_csv(results.comparison.table, tmp / "compare.csv")
            _compare_figures(results.comparison, tmp / "figures", lang)
        dirs.append(out)
    for stem, run in zip(unique_file_stems(results.names), results.runs):
        out = root / f"run_{stem}"
        with staged_dir(out, False, command="run") as tmp:
            write_run(run, tmp)
            save_figures(run, tmp / "figures", lang=lang)
        dirs.append(out)
    return dirs


def report_html(results: Results, lang: str = "zh") -> str:
    """The planner's HTML report of the comparison and the options' runs (as ``ruralsim
    report`` writes it)."""
    from ..report.html import build_report

    with tempfile.TemporaryDirectory() as tmp:
        return build_report(write_result_folders(results, Path(tmp), lang), lang)


def report_pdf(results: Results, lang: str = "zh") -> bytes:
    """The report printed to PDF by headless Chromium (raises when Chromium is missing)."""
    from ..report.html import print_pdf, require_chromium

    require_chromium()
    with tempfile.TemporaryDirectory() as tmp:
        html = Path(tmp) / "report.html"
        html.write_text(report_html(results, lang), encoding="utf-8")
        pdf = Path(tmp) / "report.pdf"
        print_pdf(html, pdf)
        return pdf.read_bytes()


def workbook_bytes(results: Results) -> bytes:
    """The Excel workbook: the comparison (labelled) and each option's replications and run."""
    from ..cli import _labelled, _with_labels
    from ..excel import run_sheets, write_xlsx

    sheets: dict[str, Any] = {}
    if results.comparison is not None:
        sheets["compare"] = _with_labels(results.comparison.table)
        for name, reps in zip(results.comparison.names, results.comparison.replications):
            sheets[name] = _labelled(reps.summary, name)
    for name, run in zip(results.names, results.runs):
        sheets[f"{name} run"] = run_sheets(run)["summary"]
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "ruralsim.xlsx"
        write_xlsx(sheets, path)
        return path.read_bytes()


def copy_option(option: Option, **changes: Any) -> Option:
    """``option`` with some fields changed (amounts copied)."""
    data = {**option.__dict__, "amounts": copy.deepcopy(option.amounts), **changes}
    return Option(**data)
