"""The output folder of ``ruralsim optimize``: the study, the tables, the finalists' scenario
files, the trade-off figure and the bilingual summary section.

The folder is written in place, like a sweep's: ``optimize.json`` names the study (its
scenario and spec); a second call with the same scenario and spec resumes the study kept in
``study.sqlite3`` and rewrites the derived files (each written atomically); a folder holding
another search is replaced only with ``force``, and only when it holds nothing but
optimisation outputs.  Files:

* ``candidates.csv``: one row per trial: lever values, each quantity's mean and 95% interval
  (``<quantity>__mean``, ``__ci_low``, ``__ci_high``), ``feasible``, ``pareto``, ``finalist``;
* ``finalists.csv``: the confirmation step: per constraint the mean, the one-sided bound at
  the confidence, the probability that it holds and the share of single runs meeting it;
* ``base.yaml``: the scenario as it is (no lever moved), for the report's words;
* ``finalists/trial_<n>.yaml`` and ``recommended.yaml``: the packages as whole scenarios;
  ``ruralsim run FILE`` reruns replication 0 (its ``run.seed``), ``--seed`` the others;
* ``figures/tradeoff.png``, ``optimize.md``, ``optimize.html`` (a bilingual section for
  reports) and ``optimize_result.json`` (the same as plain data: :func:`result_record`).
"""
from __future__ import annotations

import html
import json
import math
import os
import shutil
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Iterable, Iterator

import pandas as pd

from ..errors import UsageError
from ..outputs import MARKER, check_out_path, save_figure, write_csv, write_text_atomic
from .search import STUDY_FILE, OptimizeResult, Problem
from .spec import is_money, quantity_label

MANIFEST = "optimize.json"
LOCK = ".ruralsim-optimize.lock"
#: Everything an optimisation folder may hold (``force`` replaces only such folders).
OUTPUTS = frozenset({MANIFEST, STUDY_FILE, STUDY_FILE + "-journal", "candidates.csv",
                     "pareto.csv", "finalists.csv", "finalists", "recommended.yaml",
                     "base.yaml", "report.html", "report.pdf", "report.docx",
                     "figures", "optimize.md", "optimize.html", "optimize_result.json",
                     MARKER, LOCK})


class OptimizeFolder:
    """The output folder of one study: checked, locked, its manifest written."""

    def __init__(self, out: Path, inputs: Iterable[Path], problem: Problem) -> None:
        self.out, self.inputs, self.problem = Path(out), list(inputs), problem

    def _manifest(self) -> dict[str, Any]:
        spec = self.problem.spec
        return {"study_name": self.problem.study_name(), "scenario": self.problem.base.name,
                "scenario_hash": self.problem.base.hash,
                "spec": spec.model_dump(mode="json", exclude={"trials"}),
                "constraints": [c.text for c in self.problem.constraints]}

    def _state(self, force: bool) -> str:
        out = self.out
        entries = [e for e in out.iterdir() if e.name not in (LOCK, MARKER)
                   and not (e.name.startswith(".") and e.name.endswith(".tmp"))]
        if not entries:
            return "new"
        try:
            old = json.loads((out / MANIFEST).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            old = None
        if not isinstance(old, dict):
            raise UsageError(f"--out {out} is not empty and holds no search ({MANIFEST} is "
                             "missing); choose a new or empty folder / 输出目录非空且不是优化结果"
                             "目录，请另选目录")
        if old.get("study_name") == self.problem.study_name():
            return "resume"
        if not force:
            raise UsageError(f"--out {out} holds another search (another scenario, spec, "
                             "replications or seed); use another --out folder, or --force to "
                             "replace it / 该目录属于另一次优化；请另选目录，或加 --force 覆盖")
        foreign = sorted(e.name for e in entries if e.name not in OUTPUTS or e.is_symlink())
        if foreign:
            raise UsageError(f"--out {out} also holds files ruralsim did not write "
                             f"({', '.join(foreign[:5])}); --force replaces only optimisation "
                             "outputs: move those files away first / 目录中有非本程序写出的文件")
        return "replace"

    @contextmanager
    def open(self, force: bool) -> Iterator[Any]:
        """Check and lock the folder, start or resume its study; yields the optuna storage."""
        import optuna

        check_out_path(self.out, self.inputs)
        if self.out.exists() and not self.out.is_dir():
            raise UsageError(f"--out {self.out} is a file, not a folder / 输出路径是文件")
        if self.out.is_dir():
            self._state(force)     # refuse a folder that is not ours before writing in it
        self.out.mkdir(parents=True, exist_ok=True)
        with _locked(self.out / LOCK):
            if self._state(force) == "replace":   # again, now that the folder is locked
                for e in self.out.iterdir():
                    if e.name in OUTPUTS and e.name not in (LOCK,):
                        shutil.rmtree(e) if e.is_dir() else e.unlink()
            from ..outputs import write_marker

            write_marker(self.out, "optimize")
            write_text_atomic(self.out / MANIFEST, json.dumps(self._manifest(), indent=2,
                                                              ensure_ascii=False) + "\n")
            storage = optuna.storages.RDBStorage(f"sqlite:///{(self.out / STUDY_FILE).resolve()}")
            try:
                yield storage
            finally:
                engine = getattr(storage, "engine", None)
                if engine is not None:
                    engine.dispose()


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    """An exclusive lock on ``path`` (released when the process ends, however it ends)."""
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            import fcntl

            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except ImportError:   # no fcntl (Windows): no lock
            pass
        except OSError:
            raise UsageError(f"{path.parent} is in use by another ruralsim optimize; wait for "
                             "it to finish / 另一个优化进程正在使用该目录") from None
        yield
    finally:
        os.close(fd)


# ----------------------------------------------------------------------------- the files
def write_outputs(result: OptimizeResult, out: Path, lang: str | None = None) -> list[Path]:
    """Write the tables, scenario files, figure and summary section; returns their paths."""
    out = Path(out)
    files = []
    cand = _ordered(result.candidates, result.problem)
    files.append(write_csv(cand, out / "candidates.csv"))
    files.append(write_csv(_ordered(result.pareto, result.problem), out / "pareto.csv"))
    files.append(write_csv(result.finalists, out / "finalists.csv"))
    files.append(_write(out / "base.yaml", base_yaml(result)))
    fdir = out / "finalists"
    keep = set()
    for _, row in result.finalists.iterrows():
        name = f"trial_{int(row['trial'])}.yaml"
        keep.add(name)
        text = finalist_yaml(result, int(row["trial"]))
        files.append(_write(fdir / name, text))
        if row.get("recommended"):
            files.append(_write(out / "recommended.yaml", text))
    if result.recommended is None and (out / "recommended.yaml").exists():
        (out / "recommended.yaml").unlink()     # an earlier recommendation no longer holds
    if fdir.is_dir():
        for f in fdir.iterdir():
            if f.suffix == ".yaml" and f.name not in keep:
                f.unlink()
    fig_path = None
    if not result.candidates.empty:
        from ..report.fonts import resolve_lang
        from ..report.optimize_plot import plot_tradeoff

        fig = plot_tradeoff(result, lang=resolve_lang(lang))
        fig_path = save_figure(fig, out / "figures" / "tradeoff.png", dpi=110)
        import matplotlib.pyplot as plt

        plt.close(fig)
        files.append(fig_path)
    from ..outputs import to_json

    files.append(_write(out / "optimize_result.json", to_json(result_record(result))))
    blocks = summary_blocks(result, "figures/tradeoff.png" if fig_path else None)
    files.append(_write(out / "optimize.md", render_md(blocks)))
    files.append(_write(out / "optimize.html", render_html(blocks)))
    return files


def _write(path: Path, text: str) -> Path:
    write_text_atomic(path, text)
    return path


def _ordered(df: pd.DataFrame, problem: Problem) -> pd.DataFrame:
    if df.empty:
        return df
    first = [c for c in ("trial", "status", "feasible", "pareto", "finalist", "recommended")
             if c in df.columns]
    levers = [lv.key for lv in problem.spec.levers if lv.key in df.columns]
    rest = [c for c in df.columns if c not in first and c not in levers]
    return df[[*first, *levers, *rest]]


def result_record(result: OptimizeResult) -> dict[str, Any]:
    """The search's outcome as plain data (``optimize_result.json``, for reports): the
    question, the trials, the scenario as it is, the finalists and the recommendation."""
    p, spec, cand = result.problem, result.problem.spec, result.candidates

    def est(m: tuple) -> dict[str, float]:
        return {"mean": m[0], "ci_low": m[1], "ci_high": m[2]}

    finalists = []
    for _, r in result.finalists.iterrows():
        finalists.append({
            "trial": int(r["trial"]), "levers": json.loads(r["levers_json"]),
            "replications": int(r["reps"]), "recommended": bool(r["recommended"]),
            "meets_all_at_confidence": bool(r["meets_all_at_confidence"]),
            "objectives": {o.quantity: est((r[f"{o.quantity}__mean"], r[f"{o.quantity}__ci_low"],
                                            r[f"{o.quantity}__ci_high"]))
                           for o in spec.objectives},
            "constraints": [{"constraint": c.text, "mean": r[f"c{i}__mean"],
                             "limit": r[f"c{i}__limit"],
                             "bound_at_confidence": r[f"c{i}__bound_at_confidence"],
                             "probability_holds": r[f"c{i}__probability_holds"]}
                            for i, c in enumerate(p.constraints)]})
    base = result.baseline or {}
    return {
        "study_name": result.study_name, "scenario": p.base.name, "scenario_hash": p.base.hash,
        "budget": p.base.model.government.budget.model_dump(),
        "constraints": [{"constraint": c.text, "quantity": c.quantity, "op": c.op,
                         "limit": lim} for c, lim in zip(p.constraints, p.limits)],
        "objectives": [{"quantity": o.quantity, "direction": o.direction}
                       for o in spec.objectives],
        "confidence": spec.confidence, "replications": spec.replications,
        "confirm_replications": spec.confirm_replications, "seeds": result.seeds,
        "trials": len(cand), "trials_found": result.trials_found,
        "trials_run": result.trials_run,
        "feasible": int(cand["feasible"].sum()) if not cand.empty else 0,
        "non_dominated": len(result.pareto),
        "baseline": {"feasible": base.get("feasible"), "misses": base.get("misses"),
                     "means": {q: est(m) for q, m in base.get("means", {}).items()}},
        "finalists": finalists,
        "recommended": None if result.recommended is None else int(result.recommended["trial"]),
        "reason": result.reason,
    }


def finalist_yaml(result: OptimizeResult, trial: int) -> str:
    """The package of ``trial`` as a whole scenario file: ``ruralsim run`` of it with its
    ``run.seed`` reruns replication 0 of the search; ``--seed`` the others (listed)."""
    import yaml

    problem = result.problem
    row = result.candidates.set_index("trial").loc[trial]
    values = json.loads(row["levers_json"])
    model = result.scenario(trial).model.model_dump(mode="json")
    model["run"]["seed"] = result.seeds[0]
    lines = [f"# ruralsim optimize: trial {trial} of study {result.study_name} "
             f"/ 优化方案（试验 {trial}）",
             f"# base scenario / 基础情景: {problem.base.name} (hash {problem.base.hash})",
             "# levers / 杠杆取值:"]
    lines += [f"#   {k} = {json.dumps(v, ensure_ascii=False)}" for k, v in values.items()]
    lines.append(f"# means over {int(row['reps'])} replications / {int(row['reps'])} 次重复的均值:")
    lines += [f"#   {q} = {row[f'{q}__mean']:.6g}" for q in problem.quantities]
    lines.append("# `ruralsim run` of this file reruns replication 0 (run.seed); replication i "
                 "runs with --seed / 第 i 次重复的随机种子:")
    lines += [f"#   {i}: {s}" for i, s in enumerate(result.seeds)]
    body = yaml.safe_dump(model, allow_unicode=True, sort_keys=False, width=100)
    return "\n".join(lines) + "\n" + body


def base_yaml(result: OptimizeResult) -> str:
    """The scenario as it is (no lever moved) as a whole scenario file, for the report to say
    what each package changes."""
    import yaml

    problem = result.problem
    model = problem.base.model.model_dump(mode="json")
    model["run"]["seed"] = result.seeds[0]
    head = (f"# ruralsim optimize: the scenario as it is, no lever moved / 现行情景（杠杆不变）\n"
            f"# base scenario / 基础情景: {problem.base.name} (hash {problem.base.hash})\n")
    return head + yaml.safe_dump(model, allow_unicode=True, sort_keys=False, width=100)


# ----------------------------------------------------------------------------- the section
def _fmt(q: str, x: Any) -> str:
    if x is None or (isinstance(x, float) and not math.isfinite(x)):
        return "–"
    if is_money(q):
        return f"{x / 1e6:,.2f}"
    if "share" in q:
        return f"{x:.1%}"
    return f"{x:,.3g}" if abs(x) < 1000 else f"{x:,.0f}"


def _unit(q: str) -> str:
    return " (百万元 / million CNY)" if is_money(q) else ""


def summary_blocks(result: OptimizeResult, figure: str | None) -> list[tuple]:
    """The bilingual summary section as blocks: ('h', level, text), ('p', text),
    ('table', header, rows), ('img', path, caption)."""
    p, spec = result.problem, result.problem.spec
    cand = result.candidates
    ok = cand[cand["status"] == "ok"] if not cand.empty else cand
    feas = int(cand["feasible"].sum()) if not cand.empty else 0
    b: list[tuple] = [("h", 2, "方案优化 / Package optimisation")]
    budget = p.base.model.government.budget
    stated = [f"总额 total {budget.total_cny / 1e6:,.2f}" if budget.total_cny is not None else "",
              f"每年 per year {budget.per_year_cny / 1e6:,.2f}" if budget.per_year_cny is not None
              else ""]
    stated = "; ".join(s for s in stated if s)
    b.append(("p", f"基础情景 / base scenario: {p.base.name}. 预算 / budget (百万元 / million "
                   f"CNY): {stated or '未设定 / not stated'}. 研究 / study: {result.study_name}."))
    b.append(("h", 3, "搜索范围 / What was searched"))
    b.append(("table", ["杠杆 / lever", "取值 / range or choices"],
              [[lv.key, (f"[{lv.range[0]}, {lv.range[1]}]" + (f" step {lv.step}" if lv.step else "")
                         if lv.kind != "choice" else
                         "; ".join(json.dumps(c, ensure_ascii=False) for c in lv.choices))]
               for lv in spec.levers]))
    b.append(("table", ["约束 / constraint (mean over replications / 重复均值)", "界限 / limit"],
              [[f"{quantity_label(c.quantity, 'both')}: {c.text}", _fmt(c.quantity, lim)
                + _unit(c.quantity)] for c, lim in zip(p.constraints, p.limits)]))
    b.append(("p", "目标 / objectives: " + "; ".join(
        f"{'最小化 minimize' if o.direction == 'minimize' else '最大化 maximize'} "
        f"{quantity_label(o.quantity, 'both')}" for o in spec.objectives)
        + ". 第一个目标决定推荐 / the first objective decides the recommendation."))
    b.append(("p", f"试验 / trials: {len(cand)} ({result.trials_found} 已有 found, "
                   f"{result.trials_run} 本次运行 run now), 成功 ok {len(ok)}, 平均满足全部约束 / "
                   f"feasible on average {feas}, 非劣 / non-dominated {len(result.pareto)}. "
                   f"每次试验 {spec.replications} 次重复，所有试验使用相同随机种子(共同随机数) / "
                   f"each trial ran {spec.replications} replications with the same seeds "
                   f"(common random numbers); sampler {spec.sampler}, seed {spec.seed}."))
    base = result.baseline
    if base:
        means = base["means"]
        shown = "; ".join(f"{quantity_label(q, 'both')} {_fmt(q, means[q][0])}{_unit(q)}"
                          for q in dict.fromkeys([o.quantity for o in spec.objectives]
                                                 + [c.quantity for c in p.constraints])
                          if q in means)
        verdict = ("满足全部约束 / meets every constraint" if base["feasible"] else
                   f"未满足 / misses: {'; '.join(base['misses']) or base['error']}")
        b.append(("p", f"现行方案(杠杆不变，相同随机种子) / the scenario as it is (no lever "
                       f"moved, the same seeds): {shown}. {verdict}."))
    if figure:
        b.append(("img", figure, "成本与速度的权衡：每点为一个方案，颜色表示是否满足约束 / "
                  "Cost against speed: each point is a package, coloured by whether it meets "
                  "the constraints"))
    b.append(("h", 3, "复核与推荐 / Confirmation and recommendation"))
    b.append(("p", f"入围方案(可行且非劣，至多 {spec.finalists} 个)以 {spec.confirm_replications} 次"
                   f"重复复核(前 {spec.replications} 次与搜索相同)；对每项约束以单侧 t 检验计算均值满足"
                   f"约束的概率，要求不低于 {spec.confidence:.0%} / The finalists (feasible and "
                   f"non-dominated, at most {spec.finalists}) were re-run with "
                   f"{spec.confirm_replications} replications (the first {spec.replications} "
                   "are the search's); for each constraint a one-sided t interval gives the "
                   "probability that its mean holds, which must reach "
                   f"{spec.confidence:.0%}."))
    fin = result.finalists
    if not fin.empty:
        head = ["试验 / trial", *[lv.key for lv in spec.levers],
                *[quantity_label(o.quantity, "both") + _unit(o.quantity) for o in spec.objectives],
                *[f"P({c.text})" for c in p.constraints], "推荐 / recommended"]
        rows = []
        for _, r in fin.iterrows():
            rows.append([str(int(r["trial"])), *[str(r[lv.key]) for lv in spec.levers],
                         *[f"{_fmt(o.quantity, r[f'{o.quantity}__mean'])} "
                           f"[{_fmt(o.quantity, r[f'{o.quantity}__ci_low'])}, "
                           f"{_fmt(o.quantity, r[f'{o.quantity}__ci_high'])}]"
                           for o in spec.objectives],
                         *[f"{r[f'c{i}__probability_holds']:.0%}"
                           for i in range(len(p.constraints))],
                         "✔" if r["recommended"] else ""])
        b.append(("table", head, rows))
    if result.recommended is not None:
        rec = result.recommended
        vals = json.loads(rec["levers_json"])
        b.append(("p", "推荐方案 / recommended package: " + "; ".join(
            f"{k} = {json.dumps(v, ensure_ascii=False)}" for k, v in vals.items())
            + f" (recommended.yaml). {result.reason}"))
    else:
        b.append(("p", f"无推荐方案 / no package recommended: {result.reason}"))
    return b


def render_md(blocks: list[tuple]) -> str:
    out = []
    for blk in blocks:
        if blk[0] == "h":
            out.append("#" * blk[1] + " " + blk[2])
        elif blk[0] == "p":
            out.append(blk[1])
        elif blk[0] == "img":
            out.append(f"![{blk[2]}]({blk[1]})\n\n*{blk[2]}*")
        else:
            header, rows = blk[1], blk[2]
            esc = [[str(c).replace("|", "\\|") for c in r] for r in [header, *rows]]
            out.append("\n".join(["| " + " | ".join(esc[0]) + " |",
                                  "|" + "---|" * len(header),
                                  *["| " + " | ".join(r) + " |" for r in esc[1:]]]))
    return "\n\n".join(out) + "\n"


def render_html(blocks: list[tuple]) -> str:
    e = html.escape
    out = ['<!DOCTYPE html>\n<html lang="zh"><head><meta charset="utf-8">'
           "<title>方案优化 / Package optimisation</title></head><body>"]
    for blk in blocks:
        if blk[0] == "h":
            out.append(f"<h{blk[1]}>{e(blk[2])}</h{blk[1]}>")
        elif blk[0] == "p":
            out.append(f"<p>{e(blk[1])}</p>")
        elif blk[0] == "img":
            out.append(f'<figure><img src="{e(blk[1])}" alt="{e(blk[2])}" style="max-width:100%">'
                       f"<figcaption>{e(blk[2])}</figcaption></figure>")
        else:
            head = "".join(f"<th>{e(str(c))}</th>" for c in blk[1])
            body = "".join("<tr>" + "".join(f"<td>{e(str(c))}</td>" for c in r) + "</tr>"
                           for r in blk[2])
            out.append(f"<table border=\"1\"><thead><tr>{head}</tr></thead><tbody>{body}"
                       "</tbody></table>")
    out.append("</body></html>\n")
    return "\n".join(out)
