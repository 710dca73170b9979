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
    return {"summary": summary, "timeseries": result.timeseries, "villages": result.villages}
