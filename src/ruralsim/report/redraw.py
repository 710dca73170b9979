"""Figures of a run in the report's language, drawn from the run's saved tables.

``ruralsim run`` draws its figures in one language (``--lang``) and names it in
``figures/figures.json``.  A report in the other language calls :func:`plan_redraw` (which
names the files it will read and may write, so that the report's output is checked against
them) and then :func:`redraw`, which draws the figures from ``timeseries.csv``,
``villages.csv`` and ``scenario.json``: each read only as a regular file inside the result
folder, of bounded size (:func:`ruralsim.report.inputs.read_member`).  The figures are
inlined in the report, and kept in ``figures/<lang>/`` (each file written atomically) when
the folder carries ruralsim's output marker, so the next report finds them.

Example:
    >>> import ruralsim, tempfile, pathlib
    >>> from ruralsim.outputs import write_marker, write_run
    >>> from ruralsim.report.plots import save_figures
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> r = ruralsim.simulate("scenarios/teaching.yaml", seed=1, overrides=["run.horizon_months=12"])
    >>> write_run(r, d); _ = write_marker(d, "run"); _ = save_figures(r, d / "figures", lang="zh")
    >>> from ruralsim.report.inputs import load_report_inputs
    >>> inputs = load_report_inputs([d])
    >>> todo = plan_redraw(inputs, "en")
    >>> redraw(todo, inputs, "en"); (d / "figures" / "en" / "status.png").is_file()
    True
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from ..errors import UsageError
from ..outputs import is_ruralsim_output, write_bytes_atomic
from .inputs import FIGURE_LANGS, Figure, ReportInputs, RunInput, read_member

#: Largest saved table read back (villages.csv has one row per village and month).
MAX_TABLE_BYTES = 512 * 2**20
MAX_SCENARIO_BYTES = 64 * 2**20
TABLES = ("timeseries.csv", "villages.csv", "scenario.json")


def _drawable(lang: str) -> str:
    """The language figures asked for in ``lang`` are drawn in (English without a CJK font)."""
    from .fonts import find_cjk_font

    return lang if lang == "en" or find_cjk_font() is not None else "en"


def _needs(run: RunInput, lang: str) -> bool:
    lang = _drawable(lang)
    return (run.root is not None and run.figures_lang in FIGURE_LANGS
            and run.figures_lang != lang
            and any(f.lang is None for f in run.figures)
            and not any(f.lang == lang for f in run.figures))


def _cache_folder(run: RunInput, lang: str) -> Path | None:
    """figures/<lang>/ of a folder ruralsim wrote, when its figures/ is a real folder."""
    figs = run.root / "figures"
    if not is_ruralsim_output(run.root) or figs.is_symlink() or not figs.is_dir():
        return None
    target = figs / lang
    if os.path.lexists(target) and (target.is_symlink() or not target.is_dir()):
        return None
    return target


def plan_redraw(inputs: ReportInputs, lang: str) -> list[RunInput]:
    """The runs of ``inputs`` whose figures are in the other language and that have none in
    ``lang``; the files :func:`redraw` will read or write are added to ``inputs.files``."""
    todo = [r for r in inputs.runs if _needs(r, lang)]
    for run in todo:
        inputs.files.update(run.root / name for name in TABLES)
        cache = _cache_folder(run, lang)
        if cache is not None:
            from .plots import FIGURES

            inputs.files.update(cache / f"{name}.png" for name in FIGURES)
    return todo


def redraw(todo: list[RunInput], inputs: ReportInputs, lang: str) -> None:
    """Draw the figures of each run of ``todo`` in ``lang`` from its saved tables and add
    them to the run (see the module docstring).  Tables that cannot be read or drawn from
    leave the run's figures as they are, with a warning in ``inputs.warnings``."""
    for run in todo:
        try:
            ts, villages, scenario = (read_member(run.root, name, limit) for name, limit in
                                      zip(TABLES, (MAX_TABLE_BYTES, MAX_TABLE_BYTES,
                                                   MAX_SCENARIO_BYTES)))
            from .plots import figures_from_tables

            pngs = figures_from_tables(ts, villages, json.loads(scenario.decode("utf-8-sig")),
                                       lang)
        except (UsageError, ValueError, KeyError, TypeError, RecursionError) as exc:
            inputs.warnings.append(
                f"{run.folder}: figures in {lang} could not be drawn from the saved tables "
                f"({str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__}); the "
                f"figures of the run are shown / 无法根据保存的数据表重绘图表，显示原有图表")
            continue
        run.figures += [Figure(stem=name, mime="image/png", data=data, lang=lang)
                        for name, data in pngs.items()]
        cache = _cache_folder(run, lang)
        if cache is None:
            continue
        try:
            cache.mkdir(exist_ok=True)
            for name, data in pngs.items():
                write_bytes_atomic(cache / f"{name}.png", data)
        except OSError:
            pass   # a folder the reader may not write to: the report inlines them anyway
