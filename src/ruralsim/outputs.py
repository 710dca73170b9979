"""Writing a run's outputs safely.

Everything is written into a fresh temporary folder next to the destination and
renamed into place at the end, so the destination holds either the previous
complete outputs or the new complete ones, never a half-written file.  A folder
that already holds files is refused unless ``force`` is given.
"""
from __future__ import annotations

import json
import math
import os
import shutil
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterator

from .errors import UsageError


def check_out_dir(out: Path, force: bool) -> None:
    """Refuse a non-empty output folder (or a file in its place) unless ``force``."""
    if out.exists() and not out.is_dir():
        raise UsageError(f"--out {out} is a file, not a folder / 输出路径是文件")
    if out.is_dir() and any(out.iterdir()) and not force:
        raise UsageError(f"output folder {out} is not empty; use --force to replace it "
                         f"/ 输出目录非空，如需覆盖请加 --force")


@contextmanager
def staged_dir(out: Path, force: bool) -> Iterator[Path]:
    """Yield a temporary folder; on success it replaces ``out`` atomically."""
    check_out_dir(out, force)
    parent = out.resolve().parent
    parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=parent))
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(tmp, 0o777 & ~umask)   # mkdtemp makes it private; outputs follow the umask
    try:
        yield tmp
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    old = None
    if out.exists():
        old = parent / f".{out.name}.old-{os.getpid()}"
        os.replace(out, old)
    os.replace(tmp, out)
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)


def write_text_atomic(path: Path, text: str) -> None:
    """Write ``text`` to a temporary file beside ``path`` and rename it into place."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def _clean(obj: Any) -> Any:
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    if isinstance(obj, dict):
        return {k: _clean(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_clean(v) for v in obj]
    return obj


def to_json(data: dict) -> str:
    """Stable JSON text (sorted keys, UTF-8, no NaN)."""
    return json.dumps(_clean(data), ensure_ascii=False, indent=2, sort_keys=True) + "\n"


def write_run(result, folder: Path, figures: bool = True, lang: str | None = None) -> None:
    """Write timeseries.csv, villages.csv, summary.json, scenario.json and figures/."""
    folder.mkdir(parents=True, exist_ok=True)
    result.timeseries.to_csv(folder / "timeseries.csv", index=False)
    result.villages.to_csv(folder / "villages.csv", index=False)
    (folder / "summary.json").write_text(to_json(result.summary), encoding="utf-8")
    (folder / "scenario.json").write_text(
        to_json(result.scenario.model_dump(mode="json")), encoding="utf-8")
    if figures:
        from .report.plots import save_figures

        save_figures(result, folder / "figures", lang=lang)
