"""Excel workbooks of result tables (optional: needs openpyxl, the ``excel`` extra).

The CSV files ruralsim writes open in Excel with Chinese intact (UTF-8 with a byte-order
mark); ``--xlsx`` also writes one workbook with a sheet per table.  Text cells that a
spreadsheet would run as formulas are neutralised as in the CSV files
(:func:`ruralsim.outputs.spreadsheet_safe`), and the file is written atomically.

The workbook format cannot hold control characters (other than tab, line feed and carriage
return) in a cell: such characters, which a village name in a CSV may carry, are written
as the text ``\\xNN`` (a warning says how many cells were changed; the CSV files keep them
as they are).  The same tables give the same bytes: the workbook's creation and
modification times and the dates of its zip entries are fixed (:data:`FIXED_TIME`).

Example (when openpyxl is installed):
    >>> import pandas as pd, tempfile, pathlib
    >>> path = pathlib.Path(tempfile.mkdtemp()) / "t.xlsx"
    >>> if xlsx_available():
    ...     _ = write_xlsx({"比较 compare": pd.DataFrame({"a": [1]})}, path)
"""
from __future__ import annotations

import io
import os
import re
import zipfile
from pathlib import Path
from typing import Mapping

from .errors import UsageError, warn_user

#: Characters Excel does not allow in a sheet name, and its longest sheet name.
_BAD_SHEET = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
MAX_SHEET = 31
#: Characters a workbook cell cannot hold (openpyxl refuses them): C0 controls but tab,
#: line feed and carriage return.
_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")
#: The time written into every workbook (creation, modification, zip entries), so that the
#: same tables always give the same bytes.
FIXED_TIME = (2000, 1, 1, 0, 0, 0)
_CORE_TIME = re.compile(rb"(<dcterms:(?:created|modified)[^>]*>)[^<]*(</dcterms:)")


def xlsx_available() -> bool:
    try:
        import openpyxl  # noqa: F401
    except ImportError:
        return False
    return True


def require_openpyxl() -> None:
    """Raise :class:`UsageError` (exit 2) saying how to install openpyxl when it is missing."""
    if not xlsx_available():
        raise UsageError("--xlsx needs the optional package openpyxl: pip install "
                         "'ruralsim[excel]' (or pip install openpyxl); the CSV files open in "
                         "Excel as they are / --xlsx 需要安装 openpyxl (pip install "
                         "'ruralsim[excel]')；CSV文件可直接用Excel打开")


def sheet_names(names: list[str]) -> list[str]:
    """Valid, distinct Excel sheet names for ``names`` (31 characters, no []:*?/\\)."""
    out: list[str] = []
    seen: set[str] = set()
    for n in names:
        base = _BAD_SHEET.sub("_", str(n)).strip("'") or "sheet"
        name, k = base[:MAX_SHEET], 2
        while name.lower() in seen:
            suffix = f" ({k})"
            name, k = base[: MAX_SHEET - len(suffix)] + suffix, k + 1
        seen.add(name.lower())
        out.append(name)
    return out


def write_xlsx(tables: Mapping[str, "object"], path: str | os.PathLike) -> Path:
    """Write ``tables`` (sheet name -> DataFrame) as one workbook at ``path``, atomically."""
    require_openpyxl()
    import pandas as pd

    from .outputs import spreadsheet_safe, write_bytes_atomic

    buf = io.BytesIO()
    changed = 0
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in zip(sheet_names(list(tables)), tables.values()):
            clean, n = workbook_safe(spreadsheet_safe(df))
            changed += n
            clean.to_excel(xw, sheet_name=name, index=False)
    if changed:
        warn_user(f"{Path(path).name}: {changed} cell(s) held control characters a workbook "
                  "cannot hold; they are written as \\xNN there (the CSV files keep them) / "
                  "工作簿不能包含控制字符，已改写为 \\xNN")
    write_bytes_atomic(path, reproducible_zip(buf.getvalue()))
    return Path(path)


def _escape_controls(text: str) -> str:
    return _ILLEGAL.sub(lambda m: f"\\x{ord(m.group()):02x}", text)


def workbook_safe(df) -> tuple["object", int]:
    """(``df`` with control characters in text cells and column names written as ``\\xNN``,
    how many cells and names were changed).  ``df`` itself is returned when nothing is."""
    from .outputs import text_columns

    n = 0
    out = df
    for i, vals in text_columns(df):
        bad = vals.map(lambda v: isinstance(v, str) and _ILLEGAL.search(v) is not None)
        if bad.any():
            n += int(bad.sum())
            if out is df:
                out = df.copy()
            out.isetitem(i, vals.map(lambda v: _escape_controls(v) if isinstance(v, str) else v))
    names = [_escape_controls(c) if isinstance(c, str) else c for c in df.columns]
    renamed = sum(a != b for a, b in zip(names, df.columns))
    if renamed:
        n += renamed
        if out is df:
            out = df.copy()
        out.columns = names
    return out, n


def reproducible_zip(data: bytes) -> bytes:
    """The workbook ``data`` with fixed times (:data:`FIXED_TIME`) in its document
    properties and zip entries; entries, order and compression otherwise unchanged."""
    stamp = "%04d-%02d-%02dT%02d:%02d:%02dZ" % FIXED_TIME
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as zin, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zout:
        for info in zin.infolist():
            body = zin.read(info)
            if info.filename == "docProps/core.xml":
                body = _CORE_TIME.sub(lambda m: m.group(1) + stamp.encode() + m.group(2), body)
            fixed = zipfile.ZipInfo(info.filename, date_time=FIXED_TIME)
            fixed.compress_type = info.compress_type
            fixed.external_attr = info.external_attr
            fixed.create_system = 0
            zout.writestr(fixed, body)
    return out.getvalue()


def run_sheets(result) -> dict:
    """The tables of one run: headline numbers (labelled in both languages), the monthly
    time series and the villages."""
    import pandas as pd

    from .report.labels import METRICS

    summary = pd.DataFrame([{"指标": m.zh, "metric": m.en, "key": m.key,
                             "value": result.summary.get(m.key)} for m in METRICS])
    sc = result.scenario
    ts, vil = result.timeseries, result.villages
    ts_heads = [column_label(c, sc) for c in ts.columns]
    vil_heads = [column_label(c, sc) for c in vil.columns]
    key = pd.DataFrame({"sheet": ["timeseries"] * len(ts_heads) + ["villages"] * len(vil_heads),
                        "表头 / header": ts_heads + vil_heads,
                        "column": list(ts.columns) + list(vil.columns)})
    return {"summary": summary, "timeseries": ts.set_axis(_unique(ts_heads), axis=1),
            "villages": vil.set_axis(_unique(vil_heads), axis=1), "columns": key}


def _unique(heads: list[str]) -> list[str]:
    seen: dict[str, int] = {}
    out = []
    for h in heads:
        seen[h] = seen.get(h, 0) + 1
        out.append(h if seen[h] == 1 else f"{h} ({seen[h]})")
    return out


#: Bilingual headers of time-series and village columns (zh, en); families by prefix below.
COLUMNS = {
    "month": ("月份", "Month"), "date": ("日期", "Date"), "village": ("村庄", "Village"),
    "community": ("新型社区", "Community"), "n_households_start": ("期初户数", "Households at start"),
    "n_present": ("留在村中户数", "Households present"),
    "share_present": ("留在村中比例", "Share present"), "service_level": ("公共服务水平", "Service level"),
    "withdrawn": ("已停止服务", "Services withdrawn"), "land_freed_mu": ("腾退宅基地(亩)", "Land freed (mu)"),
    "x_km": ("横坐标(公里)", "x (km)"), "y_km": ("纵坐标(公里)", "y (km)"),
    "n_in_community": ("住在新社区户数", "Households in a community"),
    "n_stranded": ("滞留户数", "Households stranded"),
    "exposed_households": ("生活在服务恶化村庄户数", "Households with degraded services"),
    "new_registrations": ("新报名户数", "New registrations"), "new_moves": ("新入住户数", "New moves"),
    "new_reneges": ("放弃报名户数", "Registrations given up"),
    "new_reneges_overdue": ("因政府拖欠提前放弃户数", "Given up sooner: township behind on payments"), "new_returns": ("返回旧村户数", "Returns"),
    "new_demolitions": ("拆除旧房户数", "Old houses demolished"), "new_allocations": ("新分配户数", "New allocations"),
    "n_waiting": ("排队户数", "Waiting list"), "n_ever_moved": ("累计入住户数", "Households ever moved"),
    "n_distress": ("偿债困难户数", "Households in distress"),
    "households_debt_service_cny": ("入住农户月还款(元)", "Movers' debt service (CNY)"),
    "units_built_apartment": ("建成楼房(套)", "Apartments built"),
    "units_built_courtyard": ("建成独院(套)", "Courtyard houses built"),
    "units_occupied": ("已入住住房(套)", "Units occupied"), "service_level_mean": ("平均服务水平", "Mean service level"),
    "n_villages_withdrawn": ("停止服务的村庄数", "Villages withdrawn"),
    "revenue_total_cny": ("收入合计(元)", "Revenue, total (CNY)"),
    "expenditure_total_cny": ("支出合计(元)", "Spending, total (CNY)"),
    "cash_cny": ("政府资金余额(元，欠款为负)", "Government cash (CNY; arrears negative)"),
    "debt_cny": ("负债(元)", "Debt (CNY)"), "arrears_cny": ("拖欠款(元)", "Arrears (CNY)"),
    "financing_gap_cny": ("资金缺口(负债+欠款，元)", "Financing gap, debt + arrears (CNY)"),
    "deferred_household_cny": ("拖欠农户的补助(元)", "Payments owed to households (CNY)"),
    "developer_debt_cny": ("开发商负债(元)", "Developer debt (CNY)"),
    "plan_quota_left": ("年度名额剩余(户，-1为不限)", "Quota left (households; -1: no limit)"),
    "plan_turned_away": ("因名额等待的户数", "Households waiting for the quota"),
    "plan_works_waiting": ("等待资金的工程数", "Works waiting for money"),
    "new_registrations_after_withdrawal": ("停止服务后新报名户数", "Registrations after withdrawal"),
    "new_registrations_apartment": ("新报名楼房户数", "Registrations for apartments"),
    "new_rebuilds": ("原地翻建户数", "Rebuilt in the old village"),
    "new_moves_after_withdrawal": ("停止服务后新入住户数", "Moves after withdrawal"),
    "units_free_apartment": ("空置楼房(套)", "Apartments free"),
    "units_free_courtyard": ("空置独院(套)", "Courtyard houses free"),
    "units_allocated": ("已分配住房(套)", "Units allocated"),
    "phases_building": ("在建期数", "Phases under way"), "phases_stalled": ("停工期数", "Phases stalled"),
    "phases_done": ("完工期数", "Phases done"), "phases_abandoned": ("烂尾期数", "Phases abandoned"),
    "sunk_cost_cny": ("烂尾损失(元)", "Sunk cost of abandoned phases (CNY)"),
    "maintenance_saved_cny": ("节省的旧村维护费(元)", "Upkeep saved (CNY)"),
    "land_reclaimed_mu": ("已复垦(亩)", "Land reclaimed (mu)"),
    "land_collective_mu": ("集体经营(亩)", "Collective use (mu)"),
    "land_quota_mu": ("增减挂钩指标出让(亩)", "Sold as quota (mu)"),
    "land_community_mu": ("新社区占地(亩)", "Community footprint (mu)"),
    "land_freed_net_mu": ("净腾退土地(亩)", "Land freed, net (mu)"),
    "overcommitted": ("超出承诺能力", "Over-committed"),
    "deposits_held_cny": ("收取的报名押金(元)", "Registration deposits held (CNY)"),
    "plan_deferred_households_cny": ("延付农户款(元)", "Household payments deferred (CNY)"),
    "plan_unpaid_works_cny": ("未付工程款(元)", "Contractors unpaid (CNY)"),
    "plan_cost_per_mover_cny": ("计划中每户搬迁成本(元)", "Plan's cost per mover (CNY)"),
    "new_works_started": ("新开工工程数", "Works started"),
}
_STATUS = {"in_village": ("在旧村", "in village"), "registered": ("已报名", "registered"),
           "allocated": ("已分配", "allocated"), "moved": ("已入住", "moved"),
           "two_homes": ("两头住", "two homes"), "returned": ("返回旧村", "returned"),
           "present": ("留在村中", "present")}


def column_label(col: str, sc=None) -> str:
    """'中文 / English' header of a time-series or village column (its identifier where no
    words are known)."""
    from .report.labels import line_label

    if col in COLUMNS:
        zh, en = COLUMNS[col]
        return f"{zh} / {en}"
    if col.startswith(("rev_", "exp_")) and col.endswith("_cny") and sc is not None:
        kind = ("收入", "revenue") if col.startswith("rev_") else ("支出", "spending")
        return (f"{kind[0]}：{line_label(sc, col, 'zh')}(元) / {kind[1].capitalize()}: "
                f"{line_label(sc, col, 'en')} (CNY)")
    types = list(getattr(sc, "household_types", {}) or {})
    for tn in sorted(types, key=len, reverse=True):
        for pre, (zh, en) in (("exposed_", ("服务恶化中", "with degraded services")),
                              ("stranded_", ("滞留", "stranded"))):
            if col == pre + tn:
                ht = sc.household_types[tn]
                return f"{zh}：{ht.label_zh or tn} / {en}: {ht.label_en or tn}"
        for st, (zh, en) in _STATUS.items():
            if col == f"n_{st}_{tn}":
                ht = sc.household_types[tn]
                return f"{zh}：{ht.label_zh or tn}(户) / {en}: {ht.label_en or tn}"
    for st, (zh, en) in _STATUS.items():
        if col == f"n_{st}":
            return f"{zh}(户) / {en} (households)"
    return col
