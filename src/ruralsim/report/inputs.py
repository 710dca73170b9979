"""What the report reads from result folders, checked in one place.

:func:`load_report_inputs` reads ``summary.json``, ``scenario.json`` and ``compare.csv`` of
the folders written by ``ruralsim run`` / ``ruralsim compare``, and the images in their
``figures/``.  Everything it returns has been checked, so the code that builds the HTML can
trust it:

* a file is read only when it is a regular file inside its result folder (no symbolic link,
  FIFO or device), of bounded size, opened without following links and without blocking;
* JSON must be valid, strict JSON (no ``NaN`` / ``Infinity``) and hold the keys listed in
  :class:`Summary` and :class:`ScenarioInfo` with values of the right type, numbers finite
  and within :data:`MAX_ABS_NUMBER`;
* ``compare.csv`` must have the :data:`COMPARE_COLUMNS`, at least one row, a number (or an
  empty cell) in every numeric column and one row per (metric, scenario);
* an image is inlined only when its bytes are a PNG or a GIF; any other file in ``figures/``
  is skipped with a warning (:attr:`ReportInputs.warnings`).  ``figures/`` holds the figures
  in the language of the run, named in ``figures/figures.json``
  (:func:`ruralsim.report.plots.record_language`); ``figures/zh/`` and ``figures/en/`` the
  same figures in that language (drawn by :mod:`ruralsim.report.redraw` when a report in the
  other language needs them, or by earlier versions on every run), read with the same checks.

Anything else ends in a :class:`~ruralsim.errors.UsageError` (exit code 2) naming the file
and what is wrong.
"""
from __future__ import annotations

import csv
import io
import json
import math
import os
import stat
from dataclasses import dataclass, field
from pathlib import Path
from typing import Annotated, Any

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, ValidationError, create_model

from ..errors import Issue, UsageError
from ..scenario.yamlio import read_fd_bounded
from .labels import METRICS

MAX_JSON_BYTES = 64 * 2**20        # scenario.json of a very large scenario is a few MB
MAX_CSV_BYTES = 16 * 2**20         # compare.csv has one row per metric and scenario
MAX_FIGURE_BYTES = 16 * 2**20      # one figure
MAX_FIGURES_BYTES = 256 * 2**20    # all figures of one report
MAX_TEXT = 2000                    # characters of a name or label shown in the report
MAX_ABS_NUMBER = 1e18              # no count, share or CNY amount of a real plan comes near
MAX_ISSUES = 20                    # problems listed per file
IMAGE_TYPES = ((b"\x89PNG\r\n\x1a\n", "image/png"), (b"GIF87a", "image/gif"),
               (b"GIF89a", "image/gif"))
IMAGE_SUFFIXES = (".png", ".gif")
COMPARE_TEXT_COLUMNS = ("metric", "scenario")
COMPARE_NUMBER_COLUMNS = ("mean", "p2_5", "p97_5", "diff_vs_first", "diff_ci_low",
                          "diff_ci_high")
COMPARE_COLUMNS = COMPARE_TEXT_COLUMNS + COMPARE_NUMBER_COLUMNS
EFFECT_TEXT_COLUMNS = ("metric", "effect", "censored")
EFFECT_NUMBER_COLUMNS = ("order", "mean", "ci_low", "ci_high", "reps")

_REDO = ("re-create it with 'ruralsim run' or 'ruralsim compare' / "
         "请用 ruralsim run 或 ruralsim compare 重新生成")

# ---------------------------------------------------------------- the keys the report needs

Text = Annotated[str, Field(max_length=MAX_TEXT)]
Name = Annotated[str, Field(min_length=1, max_length=MAX_TEXT)]
Number = Annotated[float, Field(allow_inf_nan=False, ge=-MAX_ABS_NUMBER, le=MAX_ABS_NUMBER)]
Share = Annotated[float, Field(allow_inf_nan=False, ge=0, le=1)]


class _Strict(BaseModel):
    model_config = ConfigDict(strict=True, extra="ignore", frozen=True)


def _seed_text(value: Any) -> Any:
    """A seed is shown as text; an integer seed (not a bool, not huge) is accepted as such."""
    if isinstance(value, int) and not isinstance(value, bool) and 0 <= value < 2**128:
        return str(value)
    return value


Month = Annotated[int, Field(ge=0, le=10**6)] | None
Count = Annotated[int, Field(ge=0, le=10**12)]


class TimelineRow(_Strict):
    """One community's row of the supply timeline (summary.json ``supply.timeline``)."""

    community: Name
    sections: Count
    first_section_started: Month
    first_section_done: Month
    sections_done: Count
    last_section_done: Month
    facilities: Count
    facilities_open: Count
    plots_opened: Count
    building_sites_opened: Count
    buildings_started: Count
    buildings_finished: Count
    courtyards_started: Count
    courtyards_built: Count
    apartment_units_started: Count
    apartments_delivered: Count
    first_home_started: Month
    first_home_finished: Month


class SupplySummary(_Strict):
    """The parts of summary.json ``supply`` the report shows (other keys are ignored)."""

    timeline: Annotated[list[TimelineRow], Field(max_length=10_000)]


class PlanYear(_Strict):
    """One year of the township's plan (summary.json ``plan_years``)."""

    year: Annotated[int, Field(ge=0, le=10**4)]
    month: Annotated[int, Field(ge=0, le=10**6)]
    forecast_cny: Number | None = None
    resources_cny: Number | None = None
    quota: Annotated[int, Field(ge=0, le=10**12)] | None = None
    registrations: Annotated[int, Field(ge=0, le=10**12)] = 0
    appropriation_cny: dict[Name, Number] = {}
    actual_cny: dict[Name, Number] = {}


class BudgetSummary(_Strict):
    """The budget check of a run (summary.json ``budget``; None where not stated)."""

    total_cny: Number | None = None
    per_year_cny: Number | None = None
    public_cost_cny: Number | None = None
    max_year_cost_cny: Number | None = None
    max_year: Annotated[int, Field(ge=0, le=10**6)] | None = None
    within_total: bool | None = None
    within_per_year: bool | None = None
    passed: bool | None = Field(None, alias="pass")


#: summary.json: its identity and every headline metric (null where undefined); the supply
#: timeline in demand mode; the plan's years and the budget check where the run has them.
Summary = create_model(
    "Summary", __base__=_Strict,
    scenario=(Name, ...), seed=(Annotated[Text, BeforeValidator(_seed_text)], ...),
    scenario_hash=(Text, ...), version=(Text, ...),
    supply=(SupplySummary | None, None),
    plan_years=(Annotated[list[PlanYear], Field(max_length=10_000)] | None, None),
    plan_years_quota_binding=(Annotated[int, Field(ge=0, le=10**6)] | None, None),
    budget=(BudgetSummary | None, None),
    phases=(Number | None, None),
    plan_deferred_households_cny=(Number | None, None),
    deferred_household_by_line_cny=(dict[Name, Number] | None, None),
    **{key: (Number | None, ...) for key, *_ in METRICS})


class _Labelled(_Strict):
    name: Name
    label_zh: Text | None = None
    label_en: Text | None = None


class _Village(_Strict):
    households: Annotated[int, Field(ge=0, le=10**9)]


class _Run(_Strict):
    start_year: Annotated[int, Field(ge=1, le=9999)]
    start_month: Annotated[int, Field(ge=1, le=12)]
    horizon_months: Annotated[int, Field(ge=0, le=10**6)]


class _Policy(_Strict):
    instruments: list[_Labelled]
    events: list[_Labelled]


class _Withdrawal(_Strict):
    enabled: bool
    threshold_share: Share
    decay_per_month: Share


class _Strategy(_Labelled):
    priority: list[Name]
    withdrawal: _Withdrawal


class _HouseholdType(_Strict):
    label_zh: Text | None = None
    label_en: Text | None = None


class _Budget(_Strict):
    total_cny: Number | None = None
    per_year_cny: Number | None = None


class _Government(_Strict):
    budget: _Budget | None = None


class ScenarioInfo(_Strict):
    """The parts of scenario.json that the report describes."""

    government: _Government | None = None

    villages: list[_Village]
    communities: list[_Labelled]
    run: _Run
    policy: _Policy
    strategy: _Strategy
    household_types: dict[Name, _HouseholdType]


@dataclass(frozen=True)
class CompareRow:
    metric: str
    scenario: str
    mean: float | None
    p2_5: float | None
    p97_5: float | None
    diff_vs_first: float | None
    diff_ci_low: float | None
    diff_ci_high: float | None


@dataclass
class EffectRow:
    metric: str
    effect: str
    censored: bool
    order: float | None
    mean: float | None
    ci_low: float | None
    ci_high: float | None
    reps: float | None


@dataclass(frozen=True)
class Figure:
    stem: str
    mime: str
    data: bytes
    #: 'zh' or 'en' for a figure of figures/zh or figures/en; None for figures/ itself
    lang: str | None = None


@dataclass
class RunInput:
    folder: Path
    summary: Any                       # a Summary
    scenario: ScenarioInfo | None
    figures: list[Figure]
    #: the language of the figures in figures/ ('zh' or 'en'), when figures/figures.json says
    figures_lang: str | None = None
    #: the result folder, resolved
    root: Path | None = None
    #: columns of timeseries.csv the report reads (month, date, n_ever_moved), when present
    timeseries: Any = None
    #: villages.csv (per village and month), when present
    villages: Any = None
    #: communities.csv (why works and homes waited; demand mode), when present
    communities: Any = None


class _Change(_Strict):
    path: Text
    zh: Text
    en: Text


class _Contents(_Strict):
    package_zh: list[Text] = []
    package_en: list[Text] = []
    events_zh: list[Text] = []
    events_en: list[Text] = []
    added_zh: list[Text] = []
    added_en: list[Text] = []
    removed_zh: list[Text] = []
    removed_en: list[Text] = []
    changes: Annotated[list[_Change], Field(max_length=10_000)] = []


class _Rep(_Strict):
    rep: Annotated[int, Field(ge=0)] = 0
    moved: Annotated[list[Share], Field(max_length=10**6)] = []
    cost: Number | None = None
    arrears: Number | None = None
    vulnerable: Number | None = None
    share_moved: Number | None = None


class _Option(_Strict):
    name: Name
    is_base: bool
    households: Annotated[int, Field(ge=0, le=10**9)]
    horizon_months: Annotated[int, Field(ge=0, le=10**6)]
    start: Annotated[list[Annotated[int, Field(ge=1, le=9999)]], Field(min_length=2,
                                                                       max_length=2)]
    budget: _Budget | None = None
    contents: _Contents
    reps: Annotated[list[_Rep], Field(max_length=100_000)]


class OptionsFile(_Strict):
    """options.json of ``ruralsim compare`` (:mod:`ruralsim.report.options`)."""

    options: Annotated[list[_Option], Field(min_length=1, max_length=100)]


@dataclass
class CompareInput:
    folder: Path
    rows: list[CompareRow]
    figures: list[Figure]
    #: options.json: each option's contents and replications (None for older folders)
    options: Any = None


@dataclass
class DecomposeInput:
    folder: Path
    rows: list[EffectRow]
    figures: list[Figure]


@dataclass
class ReportInputs:
    runs: list[RunInput] = field(default_factory=list)
    compares: list[CompareInput] = field(default_factory=list)
    decompositions: list[DecomposeInput] = field(default_factory=list)
    #: resolved paths of every file the report read or looked at (never to be overwritten)
    files: set[Path] = field(default_factory=set)
    #: files skipped, one bilingual sentence each
    warnings: list[str] = field(default_factory=list)


# ---------------------------------------------------------------- reading files safely

class _NotRegular(Exception):
    """A member of a result folder that must not be read (reason in args[0])."""


def _inside(path: Path, root: Path) -> bool:
    return path == root or root in path.parents


def _read_member(root: Path, rel: str, limit: int) -> bytes:
    """Bytes of ``root/rel``, only if it is a regular file inside ``root`` of at most ``limit``."""
    path = root / rel
    try:
        st = os.lstat(path)
    except FileNotFoundError:
        raise _NotRegular("does not exist / 不存在") from None
    if stat.S_ISLNK(st.st_mode):
        raise _NotRegular("is a symbolic link; only regular files inside the result folder are "
                          "read / 是符号链接，只读取结果目录内的普通文件")
    if not _inside(path.resolve(), root):
        raise _NotRegular("lies outside the result folder / 位于结果目录之外")
    if not stat.S_ISREG(st.st_mode):
        raise _NotRegular("is not a regular file (a folder, FIFO or device) / 不是普通文件")
    if st.st_size > limit:
        raise _NotRegular(f"is too large ({st.st_size:,} bytes; at most {limit:,}) / 文件过大")
    flags = os.O_RDONLY | os.O_NONBLOCK | getattr(os, "O_NOFOLLOW", 0)
    fd = os.open(path, flags)
    try:
        st = os.fstat(fd)          # the file opened is the one checked, even if swapped since
        if not stat.S_ISREG(st.st_mode) or st.st_size > limit:
            raise _NotRegular("changed while being read / 读取时被替换")
        data = read_fd_bounded(fd, limit)
        if len(data) > limit:
            raise _NotRegular(f"is too large (more than {limit:,} bytes) / 文件过大")
        return data
    finally:
        os.close(fd)


def _bad(path: Path, problems: list[Issue] | str) -> UsageError:
    if isinstance(problems, str):
        return UsageError(f"{path}: {problems}; {_REDO}")
    shown = problems[:MAX_ISSUES]
    more = len(problems) - len(shown)
    body = "\n".join(f"  {i}" for i in shown) + (f"\n  ... and {more} more / 另有{more}处"
                                                   if more > 0 else "")
    n = len(problems)
    return UsageError(f"{path}: invalid result file / 结果文件有误 "
                      f"({n} problem{'s' if n > 1 else ''}); {_REDO}:\n{body}")


def _short(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


_ZH = {"missing": "缺少此项", "int_type": "应为整数", "float_type": "应为数字",
       "string_type": "应为文本", "bool_type": "应为 true 或 false", "list_type": "应为列表",
       "dict_type": "应为对象", "model_type": "应为对象", "finite_number": "须为有限数",
       "less_than_equal": "超出允许范围", "greater_than_equal": "超出允许范围",
       "string_too_long": "文本过长", "string_too_short": "不能为空", "none_required": "应为空",
       "string_unicode": "不是有效的Unicode文本"}
_EN = {"model_type": "Input should be an object", "dict_type": "Input should be an object"}


def _issues(exc: ValidationError, path: Path) -> list[Issue]:
    out, seen = [], set()
    for e in exc.errors(include_url=False):
        key = ".".join(str(p) for p in e["loc"])
        if key in seen:
            continue
        seen.add(key)
        got = "" if e["type"] == "missing" else f" (got {_short(e.get('input'))})"
        msg = _EN.get(e["type"], e["msg"])
        out.append(Issue(path.name, key, f"{msg}{got} / {_ZH.get(e['type'], '值无效')}"))
    return out


def _reject_constant(name: str):
    raise ValueError(f"{name} is not allowed in JSON / JSON中不允许 {name}")


def _load_json(root: Path, rel: str, model, files: set[Path]):
    path = root / rel
    files.add(path)
    try:
        raw = _read_member(root, rel, MAX_JSON_BYTES)
    except _NotRegular as exc:
        raise _bad(path, str(exc)) from None
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror}) / 无法读取") from None
    try:
        data = json.loads(raw.decode("utf-8-sig"), parse_constant=_reject_constant)
    except UnicodeDecodeError as exc:
        raise _bad(path, f"not UTF-8 text (byte {exc.start}) / 不是UTF-8文本") from None
    except json.JSONDecodeError as exc:
        raise _bad(path, f"not valid JSON: {exc.msg} at line {exc.lineno} column {exc.colno} "
                         "/ 不是有效的JSON") from None
    except (ValueError, RecursionError) as exc:   # NaN / Infinity, nesting too deep
        raise _bad(path, f"not valid JSON: {exc or 'nested too deeply'} / 不是有效的JSON") from None
    if not isinstance(data, dict):
        kind = {list: "an array", str: "a string", bool: "a boolean", int: "a number",
                float: "a number"}.get(type(data), "null")
        raise _bad(path, f"holds {kind}, not a JSON object {{...}} / 内容应为JSON对象") from None
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise _bad(path, _issues(exc, path)) from None
    except RecursionError:
        raise _bad(path, "nested too deeply / 嵌套过深") from None


def _number(cell: str) -> float | None:
    """A numeric cell: empty (or nan) for undefined, else a finite number within bounds."""
    s = cell.strip()
    if s == "" or s.lower() == "nan":
        return None
    x = float(s)                       # ValueError for text
    if not math.isfinite(x) or abs(x) > MAX_ABS_NUMBER:
        raise ValueError
    return x


def _load_compare(root: Path, files: set[Path]) -> list[CompareRow]:
    return [CompareRow(**v) for v in _load_table(root, "compare.csv", COMPARE_TEXT_COLUMNS,
                                                 COMPARE_NUMBER_COLUMNS, files)]


def _load_effects(root: Path, files: set[Path]) -> list[EffectRow]:
    out = []
    for v in _load_table(root, "effects.csv", EFFECT_TEXT_COLUMNS, EFFECT_NUMBER_COLUMNS, files):
        v["censored"] = v["censored"] in ("True", "true", "1")
        out.append(EffectRow(**v))
    return out


def _load_table(root: Path, name: str, text_cols: tuple[str, ...],
                number_cols: tuple[str, ...], files: set[Path]) -> list[dict[str, Any]]:
    """Rows of the CSV table ``root/name``: the text and number columns named, checked;
    the first two text columns identify a row and may not repeat."""
    path = root / name
    files.add(path)
    try:
        raw = _read_member(root, name, MAX_CSV_BYTES)
        text = raw.decode("utf-8-sig")
    except _NotRegular as exc:
        raise _bad(path, str(exc)) from None
    except OSError as exc:
        raise _bad(path, f"cannot be read ({exc.strerror}) / 无法读取") from None
    except UnicodeDecodeError as exc:
        raise _bad(path, f"not UTF-8 text (byte {exc.start}) / 不是UTF-8文本") from None
    table = []                         # (line number, cells) of the non-blank records
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        for r in reader:
            if any(c.strip() for c in r):
                table.append((reader.line_num, r))
    except csv.Error as exc:
        raise _bad(path, f"not a readable CSV table: {exc} / 无法读取CSV表格") from None
    if not table:
        raise _bad(path, "is empty / 文件为空")
    header = [c.strip() for c in table[0][1]]
    dup = sorted({c for c in header if header.count(c) > 1})
    if dup:
        raise _bad(path, f"column(s) {', '.join(dup)} appear more than once / 列名重复")
    columns = text_cols + number_cols
    missing = [c for c in columns if c not in header]
    if missing:
        raise _bad(path, f"missing column(s) {', '.join(missing)} / 缺少列")
    if len(table) == 1:
        raise _bad(path, "has a header but no rows / 只有表头，没有数据行")
    col = {c: header.index(c) for c in columns}
    issues: list[Issue] = []
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str]] = set()
    for line, cells in table[1:]:
        if len(cells) != len(header):
            issues.append(Issue(path.name, "", f"{len(cells)} cells, the header has "
                                f"{len(header)} / 单元格数与表头不符", line))
            continue
        values: dict[str, Any] = {}
        before = len(issues)
        for c in text_cols:
            v = cells[col[c]].strip()
            if v.startswith("'") and v[1:2] in ("=", "+", "-", "@", "\t", "\r"):
                v = v[1:]    # written spreadsheet-safe (outputs.neutralise_cell)
            if not v or len(v) > MAX_TEXT:
                issues.append(Issue(path.name, c, f"{_short(v)} must be a name of 1 to "
                                    f"{MAX_TEXT} characters / 应为非空名称", line))
            values[c] = v
        for c in number_cols:
            try:
                values[c] = _number(cells[col[c]])
            except ValueError:
                issues.append(Issue(path.name, c, f"{_short(cells[col[c]])} is not a finite "
                                    f"number within ±{MAX_ABS_NUMBER:g} (or empty) / 应为数字",
                                    line))
        key = (values[text_cols[0]], values[text_cols[1]])
        if key in seen:
            issues.append(Issue(path.name, "", f"a second row for {text_cols[0]} "
                                f"{_short(key[0])} and {text_cols[1]} {_short(key[1])} "
                                "/ 重复的行", line))
        seen.add(key)
        if len(issues) > MAX_ISSUES:
            break
        if len(issues) == before:
            rows.append(values)
    if issues:
        raise _bad(path, issues)
    return rows


FIGURE_LANGS = ("zh", "en")


def _load_figures(root: Path, inputs: ReportInputs, budget: list[int]) -> list[Figure]:
    """The PNG / GIF images of ``root/figures``, and of its language folders ``zh`` and
    ``en``, that are safe to inline (others: a warning)."""
    out = _load_image_folder(root, "figures", None, inputs, budget)
    if (root / "figures").is_symlink() or not (root / "figures").is_dir():
        return out                        # missing, or skipped with a warning
    for lang in FIGURE_LANGS:
        out += _load_image_folder(root, f"figures/{lang}", lang, inputs, budget)
    return out


MAX_RECORD_BYTES = 4096           # figures/figures.json


def figures_language(root: Path) -> str | None:
    """The language ``root/figures/figures.json`` names ('zh' or 'en'); None when the file is
    missing or is not a small regular file inside ``root`` holding one of them."""
    try:
        data = json.loads(_read_member(root, "figures/figures.json", MAX_RECORD_BYTES)
                          .decode("utf-8"))
    except (_NotRegular, OSError, ValueError, RecursionError):
        return None
    lang = data.get("lang") if isinstance(data, dict) else None
    return lang if lang in FIGURE_LANGS else None


def read_member(root: Path, rel: str, limit: int) -> bytes:
    """The bytes of ``root/rel`` when it is a regular file inside ``root`` of at most
    ``limit`` bytes (no link, FIFO or device); else :class:`~ruralsim.errors.UsageError`."""
    try:
        return _read_member(root, rel, limit)
    except _NotRegular as exc:
        raise _bad(root / rel, str(exc)) from None
    except OSError as exc:
        raise _bad(root / rel, f"cannot be read ({exc.strerror}) / 无法读取") from None


def _load_image_folder(root: Path, rel_folder: str, lang: str | None, inputs: ReportInputs,
                       budget: list[int]) -> list[Figure]:
    folder = root / rel_folder
    if not os.path.lexists(folder):
        return []
    if folder.is_symlink() or not folder.is_dir() or not _inside(folder.resolve(), root):
        inputs.warnings.append(f"{folder}: skipped, not a folder inside the result folder "
                               "/ 已跳过：不是结果目录内的文件夹")
        return []
    try:
        names = sorted(e.name for e in os.scandir(folder)
                       if e.name.lower().endswith(IMAGE_SUFFIXES))
    except OSError as exc:
        inputs.warnings.append(f"{folder}: skipped, cannot list it ({exc.strerror}) / 已跳过")
        return []
    out = []
    for name in names:
        rel = f"{rel_folder}/{name}"
        inputs.files.add(root / rel)
        try:
            if budget[0] <= 0:
                raise _NotRegular(f"the figures of this report exceed {MAX_FIGURES_BYTES:,} "
                                  "bytes in all / 图片总量过大")
            data = _read_member(root, rel, min(MAX_FIGURE_BYTES, budget[0]))
            mime = next((m for magic, m in IMAGE_TYPES if data.startswith(magic)), None)
            if mime is None:
                raise _NotRegular("is not a PNG or GIF image / 不是PNG或GIF图片")
        except _NotRegular as exc:
            inputs.warnings.append(f"{root / rel}: skipped, {exc} / 已跳过")
            continue
        except OSError as exc:
            inputs.warnings.append(f"{root / rel}: skipped, {exc.strerror} / 已跳过")
            continue
        budget[0] -= len(data)
        out.append(Figure(stem=name.rsplit(".", 1)[0], mime=mime, data=data, lang=lang))
    return out


MAX_TABLE_BYTES = 512 * 2**20      # villages.csv of a large township over a long horizon


def _load_frame(root: Path, name: str, inputs: "ReportInputs", columns: tuple[str, ...] = ()):
    """``root/name`` as a table (the ``columns`` named, all when none), or None when the file
    is missing or is not a readable table of them (then with a warning: the report leaves
    out the sections that need it)."""
    import pandas as pd

    path = root / name
    if not os.path.lexists(path):
        return None
    inputs.files.add(path)
    try:
        raw = _read_member(root, name, MAX_TABLE_BYTES)
        return pd.read_csv(io.BytesIO(raw), encoding="utf-8-sig",
                           usecols=list(columns) if columns else None)
    except _NotRegular as exc:
        why = str(exc)
    except OSError as exc:
        why = f"cannot be read ({exc.strerror})"
    except (ValueError, UnicodeDecodeError, pd.errors.ParserError) as exc:
        why = f"not a readable table ({str(exc)[:200]})"
    inputs.warnings.append(f"{path}: skipped, {why}; the sections that need it are left out "
                           "/ 已跳过，报告中相关部分从略")
    return None


def _result_root(d: Path) -> Path:
    if not os.path.lexists(d):
        raise UsageError(f"result folder {d} does not exist / 结果目录不存在")
    if not d.is_dir():
        raise UsageError(f"{d} is not a folder; give a result folder of 'ruralsim run' or "
                         "'ruralsim compare' / 不是目录")
    return d.resolve()


def load_report_inputs(dirs: list[Path]) -> ReportInputs:
    """Read and check what the report shows from result folders (see the module docstring)."""
    inputs = ReportInputs()
    budget = [MAX_FIGURES_BYTES]
    for d in map(Path, dirs):
        root = _result_root(d)
        if os.path.lexists(root / "summary.json"):
            summary = _load_json(root, "summary.json", Summary, inputs.files)
            sc = (_load_json(root, "scenario.json", ScenarioInfo, inputs.files)
                  if os.path.lexists(root / "scenario.json") else None)
            inputs.runs.append(RunInput(
                d, summary, sc, _load_figures(root, inputs, budget), figures_language(root),
                root, timeseries=_load_frame(root, "timeseries.csv", inputs,
                                             ("month", "date", "n_ever_moved")),
                villages=_load_frame(root, "villages.csv", inputs),
                communities=_load_frame(root, "communities.csv", inputs)))
        elif os.path.lexists(root / "compare.csv"):
            rows = _load_compare(root, inputs.files)
            options = (_load_json(root, "options.json", OptionsFile, inputs.files)
                       if os.path.lexists(root / "options.json") else None)
            inputs.compares.append(CompareInput(d, rows, _load_figures(root, inputs, budget),
                                                options))
        elif os.path.lexists(root / "effects.csv"):
            effects = _load_effects(root, inputs.files)
            inputs.decompositions.append(DecomposeInput(d, effects,
                                                        _load_figures(root, inputs, budget)))
        else:
            raise UsageError(f"{d} is not a result folder of 'ruralsim run', 'compare' or "
                             "'decompose' (no summary.json, compare.csv or effects.csv) "
                             "/ 不是结果目录")
    return inputs
