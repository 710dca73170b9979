"""The ``ruralsim`` command line.

Exit codes: 0 success; 2 bad input (scenario or arguments), with a message and no
traceback; 1 any other error.
"""
from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import time
from pathlib import Path

from .errors import RuralsimError, ScenarioError, UsageError

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2

class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with a short bilingual message
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ruralsim: 参数错误 / error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


def seed_arg(text: str) -> int:
    """``--seed``: a whole number from 0 to 2**63-1, like ``run.seed`` in a scenario."""
    from .errors import UsageError
    from .simulate import MAX_SEED, check_seed

    t = text.strip()
    if not re.fullmatch(r"[+-]?[0-9]+", t):
        raise argparse.ArgumentTypeError(
            f"seed must be a whole number from 0 to {MAX_SEED}, not {t[:40]!r} / 随机种子须为非负整数")
    if len(t) > 30:
        raise argparse.ArgumentTypeError(f"seed must be from 0 to {MAX_SEED}, not a number of "
                                         f"{len(t)} digits / 随机种子过大")
    try:
        return int(check_seed(int(t)))
    except UsageError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None


def build_parser() -> argparse.ArgumentParser:
    p = _Parser(prog="ruralsim", description="新型农村社区建设模拟器 / Simulator for planning "
                "new-type rural communities (village consolidation).")
    from . import __version__

    p.add_argument("--version", action="version", version=f"ruralsim {__version__}")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser)

    run = sub.add_parser("run", help="运行情景 / run a scenario",
                         description="运行一个情景并写出结果与图表 / Run a scenario and write "
                         "timeseries.csv, villages.csv, summary.json and figures/.")
    run.add_argument("scenario", nargs="?", help="情景文件 / scenario YAML (default: built-in "
                     "Nanpu / 默认：内置南蒲情景)")
    run.add_argument("--seed", type=seed_arg, help="随机种子 / random seed (default: run.seed)")
    run.add_argument("--out", default="ruralsim-out", help="输出目录 / output folder "
                     "(default: ruralsim-out)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter, e.g. --set run.horizon_months=120")
    run.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack an incentive package (built-in name such as "
                     "awards, or a YAML file)")
    run.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                     "output folder")
    run.add_argument("--no-figures", action="store_true", help="不绘图 / skip figures")
    run.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of figures "
                     "(default zh when a CJK font exists)")
    run.add_argument("--check", action="store_true", help="每月检查不变量 / check invariants "
                     "every month")
    run.add_argument("--counterfactual", choices=("no_withdrawal", "no_package", "no_outreach",
                                                  "no_priority"),
                     help="同时运行反事实对照(相同随机数) / also run the twin without this "
                     "component, same seed, and report the difference household by household")
    run.add_argument("--quiet", action="store_true", help="不打印摘要 / print nothing")

    val = sub.add_parser("validate", help="检查情景文件 / check a scenario file",
                         description="检查情景文件而不运行 / Check a scenario without running it.")
    val.add_argument("scenario", help="情景文件 / scenario YAML")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter")
    val.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack an incentive package")
    cmp = sub.add_parser("compare", help="比较多个方案 / compare scenarios with uncertainty",
                         description="以相同随机数重复运行并比较多个情景 / Replicate scenarios with "
                         "common random numbers and compare every summary metric (95% ranges "
                         "and paired differences to the first scenario).")
    cmp.add_argument("scenarios", nargs="+", help="情景文件 / scenario YAML files (2-6)")
    cmp.add_argument("--reps", type=int, default=30, help="重复次数 / replications (default 30)")
    cmp.add_argument("--seed", type=seed_arg, help="随机种子 / root seed (default: first scenario's)")
    cmp.add_argument("--out", default="ruralsim-compare", help="输出目录 / output folder")
    cmp.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                     "output folder")
    cmp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="对所有情景覆盖参数 / override a parameter in every scenario")
    _executor_args(cmp)
    cmp.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of figures")
    cmp.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    dec = sub.add_parser("decompose", help="拆分策略的作用 / take a strategy apart (factorial)",
                         description="把策略拆成独立组成部分(针对性动员、分配优先、停止服务、逐村推进)，"
                         "以相同随机数运行全部组合，给出各部分的主效应、交互作用及置信区间 / Run every "
                         "combination of a strategy's components with common random numbers and "
                         "report each component's main effect and interactions with intervals.")
    dec.add_argument("scenario", nargs="?", help="情景文件 / scenario YAML (default: built-in "
                     "Nanpu)")
    dec.add_argument("--factors", nargs="+", default=["targeting", "priority", "withdrawal"],
                     metavar="COMPONENT", help="要拆分的组成部分 / components: targeting, "
                     "priority, withdrawal, sequencing (default: the first three)")
    dec.add_argument("--reps", type=int, default=20, help="重复次数 / replications (default 20)")
    dec.add_argument("--seed", type=int, help="随机种子 / root seed (default: the scenario's)")
    dec.add_argument("--out", default="ruralsim-decompose", help="输出目录 / output folder")
    dec.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                     "output folder")
    dec.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter")
    _executor_args(dec)
    dec.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of figures")
    dec.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    rep = sub.add_parser("report", help="生成报告 / write the planner's HTML report",
                         description="由结果目录生成独立的HTML报告 / Write one self-contained "
                         "HTML report for result folders of 'run' and 'compare'.")
    rep.add_argument("results", nargs="+", help="结果目录 / result folders")
    rep.add_argument("--out", help="报告文件 / report file (default: <first folder>/report.html)")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh", help="报告语言 / language "
                     "(default zh)")
    rep.add_argument("--pdf", action="store_true", help="同时用Chromium打印PDF / also print a PDF "
                     "with headless Chromium (beside the report, .pdf)")
    rep.add_argument("--force", action="store_true", help="覆盖已有报告文件 / replace an existing "
                     "report (and PDF) file")

    demo = sub.add_parser("demo", help="培训演示 / trainer's demo (抓两头、带中间 vs naive)",
                          description="一条命令生成培训演示：抓两头带中间与一刀切对比的图表、动画和报告 / "
                          "One command for trainers: side-by-side figures, an animation and the "
                          "report, 抓两头、带中间 against a naive strategy.")
    demo.add_argument("--out", default="ruralsim-demo", help="输出目录 / output folder")
    demo.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                      "output folder")
    demo.add_argument("--lang", choices=("zh", "en"), help="语言 / language")
    demo.add_argument("--seed", type=seed_arg, default=42, help="随机种子 / seed")
    demo.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    bench = sub.add_parser("bench", help="测速 / measure speed and memory",
                           description="测量每秒户·月数、内存与批量运行速度 / Print household-months "
                           "per second at 10^4-10^6 households, memory, run time and "
                           "replication throughput.")
    bench.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000, 1_000_000],
                       help="户数 / household counts (the first is the memory baseline)")
    bench.add_argument("--reps", type=int, default=200, help="重复运行次数 / replications for "
                       "the throughput test (0: skip)")
    bench.add_argument("--workers", type=int, help="并行进程数 / worker processes")

    swp = sub.add_parser("sweep", help="参数扫描与敏感性分析 / parameter sweep and sensitivity",
                         description="按扫描文件运行参数扫描，可中断后续跑 / Run a sweep file; "
                         "a killed sweep resumes where it stopped when run again.")
    swp.add_argument("sweep", help="扫描文件 / sweep YAML")
    swp.add_argument("--out", help="输出目录 / output folder (default: <sweep name>-out)")
    swp.add_argument("--force", action="store_true", help="覆盖另一组扫描的目录 / replace the "
                     "folder of a different sweep (only sweep outputs are ever deleted)")
    swp.add_argument("--fsync-every", type=float, default=2.0, metavar="SECONDS",
                     help="每隔多少秒同步记录到磁盘 / seconds between fsyncs of runs.jsonl "
                     "(default 2; 0: after every run)")
    _executor_args(swp)
    swp.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of figures")
    swp.add_argument("--quiet", action="store_true", help="不打印 / print nothing")
    return p


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, help="并行进程数 / worker processes (default: the "
                   "usable cores, also the most allowed; 1 = serial)")
    p.add_argument("--oversubscribe", action="store_true", help="允许进程数超过可用核数 / allow "
                   "more --workers than usable cores")
    p.add_argument("--scheduler", metavar="ADDRESS", help="dask 调度器地址 / dask.distributed "
                   "scheduler address, e.g. tcp://10.0.0.5:8786 (needs the 'parallel' extra)")


def _progress_printer(quiet: bool):
    if quiet:
        return None
    start = time.perf_counter()
    state = {"last": 0.0}

    def show(done: int, total: int) -> None:
        now = time.perf_counter()
        if now - start < 1.0 or (now - state["last"] < 0.5 and done < total):
            return
        state["last"] = now
        sys.stderr.write(f"\r月份 month {done}/{total}  {now - start:5.1f}s")
        if done == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return show


def cmd_run(args) -> int:
    from .outputs import check_out_dir, staged_dir, write_run
    from .scenario.load import load_scenario
    from .simulate import simulate

    out = Path(args.out)
    loaded = load_scenario(args.scenario, args.overrides, args.packages)
    check_out_dir(out, args.force, inputs=loaded.inputs)
    result = simulate(loaded, seed=args.seed, check=args.check,
                      progress=_progress_printer(args.quiet),
                      counterfactual=args.counterfactual)
    with staged_dir(out, args.force, command="run", inputs=loaded.inputs) as tmp:
        write_run(result, tmp, figures=not args.no_figures, lang=args.lang)
    if not args.quiet:
        print_summary(result.summary, out)
        if args.counterfactual:
            print_counterfactual(result.summary["counterfactual"])
    return EXIT_OK


def print_counterfactual(cf: dict) -> None:
    print(f"反事实对照 / counterfactual twin: {cf['twin_label_zh']} / {cf['twin_label_en']}")
    print(f"  仅在本方案中搬迁的户数 / moved only in this run:       {cf['moved_only_in_run']:>8,}")
    print(f"  仅在对照中搬迁的户数 / moved only in the twin:          {cf['moved_only_in_twin']:>8,}")
    if cf["mean_months_earlier"] is not None:
        print(f"  两者都搬迁者平均提前月数 / months earlier, both moved: "
              f"{cf['mean_months_earlier']:>8.1f}")
    d = cf.get("exposure_household_months_difference")
    if d is not None:
        print(f"  服务恶化户·月之差 / exposure difference (household-months): {d:>+8,}")


def print_summary(summary: dict, out: Path) -> None:
    from .report.labels import METRICS, fmt_metric

    print(f"情景 scenario: {summary['scenario']}  种子 seed: {summary['seed']}  "
          f"hash: {summary['scenario_hash']}")
    labels = [f"  {zh} / {en}" for _, zh, en, _ in METRICS]
    width = max(_display_width(x) for x in labels) + 2
    for label, (key, *_rest) in zip(labels, METRICS):
        pad = " " * (width - _display_width(label))
        print(f"{label}{pad}{fmt_metric(key, summary.get(key)):>16}")
    print(f"结果已写入 outputs written to: {out}/")


def _display_width(text: str) -> int:
    """Terminal columns of ``text`` (CJK characters take two)."""
    import unicodedata

    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def cmd_validate(args) -> int:
    from .scenario.load import load_scenario

    sc = load_scenario(args.scenario, args.overrides, args.packages)
    m = sc.model
    print(f"{args.scenario}: 有效 / valid — {len(m.village_list)} villages, "
          f"{sum(v.households for v in m.village_list):,} households, "
          f"{len(m.communities)} communities, {m.run.horizon_months} months (hash {sc.hash})")
    return EXIT_OK


def cmd_compare(args) -> int:
    from .experiments import compare, make_executor
    from .experiments.replicate import check_reps, check_seed
    from .outputs import check_out_dir, staged_dir, unique_file_stems, write_csv
    from .scenario.load import load_scenario

    if not 1 <= len(args.scenarios) <= 12:
        raise UsageError("compare takes 1 to 12 scenarios / 比较的情景须为1到12个")
    check_reps(args.reps, least=2)
    check_seed(args.seed)
    out = Path(args.out)
    inputs = [f for s in args.scenarios for f in load_scenario(s, args.overrides).inputs]
    check_out_dir(out, args.force, inputs=inputs)
    with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
        cmp = compare(args.scenarios, reps=args.reps, seed=args.seed, executor=ex,
                      overrides=args.overrides, progress=not args.quiet)
    with staged_dir(out, args.force, command="compare", inputs=inputs) as tmp:
        write_csv(cmp.table, tmp / "compare.csv")
        # one file per scenario (names made safe and unique); its first column 'label' is
        # the scenario's column in compare.csv, so files and table always match up
        for name, stem, reps in zip(cmp.names, unique_file_stems(cmp.names), cmp.replications):
            write_csv(_labelled(reps.summary, name), tmp / f"replications_{stem}.csv")
            if not reps.errors.empty:
                write_csv(_labelled(reps.errors, name), tmp / f"errors_{stem}.csv")
        _compare_figures(cmp, tmp / "figures", args.lang)
    if not args.quiet:
        print_comparison(cmp)
        print(f"结果已写入 outputs written to: {out}/")
    return EXIT_OK


def _labelled(df, label: str):
    return df if "label" in df.columns else df.assign(label=label)[["label", *df.columns]]


def cmd_decompose(args) -> int:
    from .experiments import make_executor
    from .experiments.decompose import decompose, main_effects
    from .outputs import check_out_dir, save_figure, staged_dir, write_csv
    from .scenario.load import load_scenario

    from .experiments.replicate import check_reps, check_seed

    check_reps(args.reps, least=2)
    check_seed(args.seed)
    out = Path(args.out)
    loaded = load_scenario(args.scenario, args.overrides)
    check_out_dir(out, args.force, inputs=loaded.inputs)
    with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
        d = decompose(loaded, factors=args.factors, reps=args.reps, seed=args.seed,
                      executor=ex, progress=not args.quiet)
    with staged_dir(out, args.force, command="decompose", inputs=loaded.inputs) as tmp:
        write_csv(d.effects, tmp / "effects.csv")
        write_csv(d.cells, tmp / "cells.csv")
        import matplotlib.pyplot as plt

        from .report.experiment_plots import plot_decomposition

        (tmp / "figures").mkdir()
        fig = plot_decomposition(d, lang=args.lang)
        save_figure(fig, tmp / "figures" / "decomposition.png", dpi=110)
        plt.close(fig)
    if not args.quiet:
        print_effects(main_effects(d))
        print(f"结果已写入 outputs written to: {out}/")
    return EXIT_OK


def print_effects(main) -> None:
    """Main effects as a table: metric, component, mean [95% interval]."""
    from .experiments.decompose import COMPONENTS

    print("主效应(打开减去关闭) / main effects (on minus off), mean [95% CI]:")
    for metric, g in main.groupby("metric", sort=False):
        print(f"  {metric}")
        for r in g.itertuples():
            zh, en = COMPONENTS[r.effect][1:]
            star = "  (censored at horizon + 1)" if r.censored else ""
            print(f"    {zh} / {en}: {r.mean:+,.4g} [{r.ci_low:+,.4g}, {r.ci_high:+,.4g}]{star}")


def _safe(name: str) -> str:
    """``name`` as part of a file name (one name; for several use outputs.unique_file_stems)."""
    from .outputs import safe_file_stem

    return safe_file_stem(name)


def _compare_figures(cmp, folder: Path, lang) -> None:
    import matplotlib.pyplot as plt

    from .outputs import save_figure
    from .report.experiment_plots import BAND_METRICS, plot_bands, plot_comparison

    folder.mkdir(parents=True, exist_ok=True)
    fig = plot_comparison(cmp, lang=lang)
    save_figure(fig, folder / "compare.png", dpi=110)
    plt.close(fig)
    for metric, unit, scale in BAND_METRICS:
        fig = plot_bands(cmp, metric, lang=lang, scale=scale, unit_key=unit)
        save_figure(fig, folder / f"compare_{metric}.png", dpi=110)
        plt.close(fig)


def print_comparison(cmp) -> None:
    """The comparison table: the first scenario's mean [2.5%, 97.5%], then paired differences."""
    rows = [["metric / 指标"] + list(cmp.names)]
    for metric, g in cmp.table.groupby("metric", sort=False):
        cells = [metric]
        for r in g.itertuples():
            if r.scenario == cmp.names[0]:
                cells.append(f"{r.mean:,.4g} [{r.p2_5:,.3g}, {r.p97_5:,.3g}]")
            else:
                cells.append(f"{r.diff_vs_first:+,.3g} [{r.diff_ci_low:+,.3g}, "
                             f"{r.diff_ci_high:+,.3g}]")
        rows.append(cells)
    widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
    for r in rows:
        print("  ".join(c.ljust(w) if i == 0 else c.rjust(w) for i, (c, w) in
                        enumerate(zip(r, widths))))
    print(f"({cmp.names[0]}: mean [2.5%, 97.5%] over replications; others: paired difference "
          "to it, mean [95% CI] / 其余列为与第一个方案的配对差值及95%置信区间)")


def cmd_sweep(args) -> int:
    from .experiments import load_sweep, make_executor, run_sweep, sensitivity
    from .experiments.sweep import save_sensitivity

    spec, base_dir = load_sweep(args.sweep)
    out = Path(args.out) if args.out else Path(f"{Path(args.sweep).stem}-out")

    def finish(table) -> None:   # figures and indices, while the folder is still locked
        _sweep_figures(spec, table, out / "figures", args.lang)
        if spec.design.method in ("salib_sobol", "morris"):
            import matplotlib.pyplot as plt

            from .report.experiment_plots import plot_sensitivity

            res = sensitivity(spec, table)
            save_sensitivity(res, out)
            for m in spec.metrics:
                fig = plot_sensitivity(res, m, lang=args.lang)
                fig.savefig(out / "figures" / f"sensitivity_{_safe(m)}.png", dpi=110)
                plt.close(fig)

    try:
        with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
            table = run_sweep(spec, base_dir, out, ex, progress=not args.quiet,
                              source=args.sweep, force=args.force,
                              fsync_every=args.fsync_every, finish=finish)
    except KeyboardInterrupt:
        sys.stderr.write(f"\nruralsim: 已中断；已完成的运行已保存，重新运行同一命令即可继续 / "
                         f"interrupted; the runs finished are saved in {out}/runs.jsonl: run "
                         "the same command again to resume\n")
        return 130
    if not args.quiet:
        ok = int((table["status"] == "ok").sum())
        print(f"扫描完成 sweep done: {ok}/{len(table)} runs ok, "
              f"{int((table['status'] == 'error').sum())} failed; results in {out}/results.csv")
    return EXIT_OK


def _sweep_figures(spec, table, folder: Path, lang) -> None:
    import matplotlib.pyplot as plt

    from .report.experiment_plots import plot_response

    params = list(spec.parameters)
    if not params:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for m in spec.metrics:
        fig = plot_response(table, params, m, lang=lang)
        fig.savefig(folder / f"response_{_safe(m)}.png", dpi=110)
        plt.close(fig)


def cmd_report(args) -> int:
    from .outputs import write_text_atomic
    from .report.html import print_pdf, render_report
    from .report.inputs import load_report_inputs

    dirs = [Path(d) for d in args.results]
    inputs = load_report_inputs(dirs)             # bad content: UsageError, exit 2
    out = Path(args.out) if args.out else dirs[0] / "report.html"
    targets = [("--out", out)]
    if args.pdf:
        targets.append(("PDF", out.with_suffix(".pdf")))
    for what, path in targets:                    # refuse before writing anything
        _check_report_target(what, path, inputs.files, args.force)
    if args.pdf and _same_file(targets[0][1], targets[1][1]):
        raise UsageError(f"--out {out} ends in .pdf, where --pdf prints the PDF; give an .html "
                         "file / --out 不能以 .pdf 结尾")
    for w in inputs.warnings:
        sys.stderr.write(f"ruralsim: 警告 / warning: {w}\n")
    write_text_atomic(out, render_report(inputs, lang=args.lang))
    print(_shown(f"报告已写入 report written to: {out}"))
    if args.pdf:
        pdf = targets[1][1]
        print_pdf(out, pdf)                       # failure: PdfError, exit 1, HTML kept
        print(_shown(f"PDF: {pdf}"))
    return EXIT_OK


def _same_file(a: Path, b: Path) -> bool:
    return _resolved(a) == _resolved(b)


def _resolved(path: Path) -> Path:
    try:
        return path.resolve()
    except (OSError, RuntimeError) as exc:          # a symbolic link loop
        raise UsageError(f"{path}: cannot resolve this path ({exc}) / 无法解析路径") from None


def _check_report_target(what: str, path: Path, inputs: set[Path], force: bool) -> None:
    """Refuse a report file that is a folder, an input of the report, or exists (no --force)."""
    if path.is_dir():
        raise UsageError(f"{what} {path} is a folder; give a file name such as "
                         f"{path / 'report.html'} / 输出路径是目录，请给出文件名")
    resolved = _resolved(path)
    if resolved in inputs:
        raise UsageError(f"{what} {path} is a file the report reads; choose another name "
                         "/ 输出文件不能是报告的输入文件")
    parent = resolved.parent
    while not parent.exists():
        parent = parent.parent
    if not parent.is_dir():
        raise UsageError(f"{what} {path}: {parent} is not a folder / 上级路径不是目录")
    if os.path.lexists(path) and not force:
        raise UsageError(f"{what} {path} already exists; use --force to replace it "
                         "/ 文件已存在，如需覆盖请加 --force")


def _shown(text: str) -> str:
    """``text`` printable on any terminal (a file name may hold undecodable bytes)."""
    enc = getattr(sys.stdout, "encoding", None) or "utf-8"
    return text.encode(enc, "backslashreplace").decode(enc, "replace")


def cmd_demo(args) -> int:
    from .demo import run_demo

    out = Path(args.out)
    run_demo(out, force=args.force, lang=args.lang, seed=args.seed, quiet=args.quiet)
    if not args.quiet:
        print(f"演示已写入 demo written to: {out}/  (report.html, villages.gif, figures/)")
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import report

    if any(n < 1 for n in args.sizes) or args.reps < 0:
        raise UsageError("--sizes must be positive and --reps non-negative")
    report(args.sizes, args.reps, args.workers)
    return EXIT_OK


COMMANDS = {"bench": cmd_bench, "run": cmd_run, "validate": cmd_validate, "compare": cmd_compare,
            "decompose": cmd_decompose, "sweep": cmd_sweep,
            "report": cmd_report, "demo": cmd_demo}


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if args.command is None:
        parser.print_help()
        return EXIT_BAD_INPUT
    signal.signal(signal.SIGTERM, _raise_interrupt)
    try:
        return COMMANDS[args.command](args)
    except ScenarioError as exc:
        sys.stderr.write(f"{exc}\n")
        return EXIT_BAD_INPUT
    except UsageError as exc:
        sys.stderr.write(f"ruralsim: {exc}\n")
        return EXIT_BAD_INPUT
    except KeyboardInterrupt:
        sys.stderr.write("\nruralsim: 已中断，未写出不完整结果 / interrupted; no partial outputs "
                         "were written\n")
        return 130
    except (RuralsimError, OSError) as exc:
        if os.environ.get("RURALSIM_DEBUG"):
            raise
        sys.stderr.write(f"ruralsim: 错误 / error: {exc}\n")
        return EXIT_ERROR


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
