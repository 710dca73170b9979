"""The report as an editable Word file (``ruralsim report --docx``), for a planner to adapt the
text for the leaders.  Needs python-docx (the optional extra ``docx``); the rest of ruralsim
works without it.

The Word file says what the HTML report says, under the same headings: page one for the
decision (:mod:`ruralsim.report.leader`), the scenarios, the headline numbers (one run) and
the comparison (replications), the plan, the works timeline, the village schedule and the
figures with their captions (animations are left out: they live in the HTML report).

Example:
    >>> import importlib.util
    >>> importlib.util.find_spec("docx") is not None
    True
"""
from __future__ import annotations

import io
from pathlib import Path

from ..errors import UsageError
from ..outputs import write_bytes_atomic
from .formatting import estimate_parts, fmt_metric
from .labels import METRICS, metric_label, scenario_title, t


def require_docx() -> None:
    """UsageError (exit 2) saying how to install python-docx when it is missing."""
    try:
        import docx  # noqa: F401
    except ImportError:
        raise UsageError("--docx needs python-docx: pip install 'ruralsim[docx]'; nothing was "
                         "written / --docx 需要安装 python-docx（pip install 'ruralsim[docx]'），"
                         "未写出任何文件") from None


def _table(doc, head: list[str], rows: list[list[str]]) -> None:
    tab = doc.add_table(rows=1, cols=len(head))
    tab.style = "Table Grid"
    for cell, text in zip(tab.rows[0].cells, head):
        cell.text = ""
        cell.paragraphs[0].add_run(str(text)).bold = True
    for r in rows:
        cells = tab.add_row().cells
        for cell, text in zip(cells, r):
            cell.text = str(text)


def _blocks(doc, blocks) -> None:
    for b in blocks:
        if b.kind == "h2":
            doc.add_heading(b.text, level=2)
        elif b.kind in ("p", "note"):
            para = doc.add_paragraph(b.text)
            if b.kind == "note":
                for run in para.runs:
                    run.italic = True
        elif b.kind == "ul":
            for x in b.items:
                doc.add_paragraph(x, style="List Bullet")
        elif b.kind == "table":
            _table(doc, b.head, b.rows)
        elif b.kind == "img":
            from docx.shared import Cm

            doc.add_picture(io.BytesIO(b.data), width=Cm(16))
            doc.add_paragraph(b.text).runs[0].italic = True


def build_docx(inputs, lang: str = "zh", target_share: float | None = None,
               target_month: int | None = None):
    """The Word document (a python-docx Document) of checked report inputs."""
    import docx
    from docx.shared import Cm

    from .html import compare_heading, figure_caption, in_language, run_blocks
    from .leader import decision_blocks
    from .lessons import comparison_lessons

    doc = docx.Document()
    doc.add_heading(t("report_title", lang), level=1)
    doc.add_paragraph(t("report_caveat", lang)).runs[0].italic = True
    _blocks(doc, decision_blocks(inputs, lang, target_share, target_month))
    summaries = []
    for r in inputs.runs:
        summaries.append((scenario_title(r.summary.scenario, lang), r.summary))
    if summaries:
        doc.add_heading(t("report_headline", lang), level=2)
        head = [t("report_metric", lang)] + [
            f"{n}（单次模拟，种子{s.seed}）" if lang == "zh" else f"{n} (one run, seed {s.seed})"
            for n, s in summaries]
        rows = []
        for key, *_ in METRICS:
            rows.append([metric_label(key, lang)] +
                        [fmt_metric(key, getattr(s, key), lang) for _, s in summaries])
        _table(doc, head, rows)
    for c in inputs.compares:
        doc.add_heading(compare_heading(c, lang), level=2)
        doc.add_paragraph(t("report_compare_note", lang))
        names = list(dict.fromkeys(r.scenario for r in c.rows))
        for x in comparison_lessons(c.rows, names, lang):
            doc.add_paragraph(x, style="List Bullet")
        cell = {(r.metric, r.scenario): r for r in c.rows}
        rows = []
        for metric in dict.fromkeys(r.metric for r in c.rows):
            row = [metric_label(metric, lang)]
            for i, n in enumerate(names):
                r = cell.get((metric, n))
                if r is None:
                    row.append("—")
                    continue
                args = ((r.mean, r.p2_5, r.p97_5) if i == 0 else
                        (r.diff_vs_first, r.diff_ci_low, r.diff_ci_high))
                value, interval = estimate_parts(metric, *args, lang, diff=i > 0)
                row.append(f"{value} {interval}".strip())
            rows.append(row)
        _table(doc, [t("report_metric", lang)] + [scenario_title(str(n), lang) for n in names],
               rows)
        _figures(doc, c.figures, lang, figure_caption, in_language, Cm)
    for r, (name, _) in zip(inputs.runs, summaries):
        _blocks(doc, run_blocks(r, name, lang))
        if r.figures:
            doc.add_heading(f"{t('report_figures', lang)}: {name}", level=2)
            _figures(doc, r.figures, lang, figure_caption, in_language, Cm)
    return doc


def build_optimize_docx(inputs, lang: str = "zh"):
    """The Word document of an optimisation folder's report (the same headings as its HTML)."""
    import docx

    from .html import OPTIMIZE_TITLE
    from .optimize_report import optimize_blocks

    doc = docx.Document()
    doc.add_heading(OPTIMIZE_TITLE[0 if lang == "zh" else 1], level=1)
    doc.add_paragraph(t("report_caveat", lang)).runs[0].italic = True
    _blocks(doc, optimize_blocks(inputs, lang))
    return doc


def _figures(doc, figures, lang, caption, in_language, Cm) -> None:
    for f in in_language(figures, lang):
        if f.mime != "image/png":
            continue          # an animation: in the HTML report only
        doc.add_picture(io.BytesIO(f.data), width=Cm(16))
        doc.add_paragraph(caption(f.stem, lang)).runs[0].italic = True


def write_docx(inputs, path: Path, lang: str = "zh", target_share: float | None = None,
               target_month: int | None = None) -> None:
    """Write the Word file atomically (a failure leaves ``path`` as it was)."""
    from .optimize_report import OptimizeInputs

    doc = (build_optimize_docx(inputs, lang) if isinstance(inputs, OptimizeInputs) else
           build_docx(inputs, lang, target_share, target_month))
    buf = io.BytesIO()
    doc.save(buf)
    write_bytes_atomic(Path(path), buf.getvalue())
