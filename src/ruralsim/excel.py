"""Excel workbooks of result tables (optional: needs openpyxl, the ``excel`` extra).

The CSV files ruralsim writes open in Excel with Chinese intact (UTF-8 with a byte-order
mark); ``--xlsx`` also writes one workbook with a sheet per table.  Text cells that a
spreadsheet would run as formulas are neutralised as in the CSV files
(:func:`ruralsim.outputs.spreadsheet_safe`), and the file is written atomically.

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
from pathlib import Path
from typing import Mapping

from .errors import UsageError

#: Characters Excel does not allow in a sheet name, and its longest sheet name.
_BAD_SHEET = re.compile(r"[\[\]:*?/\\\x00-\x1f]")
MAX_SHEET = 31


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
    with pd.ExcelWriter(buf, engine="openpyxl") as xw:
        for name, df in zip(sheet_names(list(tables)), tables.values()):
            spreadsheet_safe(df).to_excel(xw, sheet_name=name, index=False)
    write_bytes_atomic(path, buf.getvalue())
    return Path(path)


def run_sheets(result) -> dict:
    """The tables of one run: headline numbers (labelled in both languages), the monthly
    time series and the villages."""
    import pandas as pd

    from .report.labels import METRICS

    summary = pd.DataFrame([{"指标": m.zh, "metric": m.en, "key": m.key,
                             "value": result.summary.get(m.key)} for m in METRICS])
    return {"summary": summary, "timeseries": result.timeseries, "villages": result.villages}
