"""The ``ruralsim`` command line.

Exit codes: 0 success; 2 bad input (scenario or arguments), with a message and no
traceback; 1 any other error; 130 interrupted; 141 the reader of the output went
away (`ruralsim ... | head`), quietly.
"""
from __future__ import annotations

import argparse
import errno
import json
import math
import os
import re
import signal
import sys
from pathlib import Path

from .errors import RuralsimError, ScenarioError, UsageError

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2

class _Formatter(argparse.HelpFormatter):
    """argparse's help layout with its own words in Chinese and English."""

    def add_usage(self, usage, actions, groups, prefix=None):
        super().add_usage(usage, actions, groups, "用法 / usage: " if prefix is None else prefix)


#: argparse's error messages, with a Chinese gloss (pattern, Chinese).
_ARGPARSE_ZH = (
    (r"the following arguments are required", "缺少必需的参数"),
    (r"unrecognized arguments", "无法识别的参数"),
    (r"invalid choice", "取值无效，请从所列选项中选择"),
    (r"invalid \w+ value", "数值无效"),
    (r"expected one argument", "该选项需要一个值"),
    (r"expected at least one argument", "该选项至少需要一个值"),
    (r"ambiguous option", "选项有歧义，请写全"),
    (r"not allowed with argument", "这两个选项不能同时使用"),
    (r"ignored explicit argument", "该选项不接受值"),
)


class _Parser(argparse.ArgumentParser):
    def __init__(self, *args, **kwargs):
        kwargs.setdefault("formatter_class", _Formatter)
        super().__init__(*args, **kwargs)
        self._positionals.title = "位置参数 / positional arguments"
        self._optionals.title = "选项 / options"
        for action in self._actions:
            if isinstance(action, argparse._HelpAction):
                action.help = "显示此帮助并退出 / show this help message and exit"

    def error(self, message: str):  # exit 2 with a short bilingual message
        self.print_usage(sys.stderr)
        zh = next((z for pattern, z in _ARGPARSE_ZH if re.search(pattern, message)), "")
        sys.stderr.write(f"ruralsim: 参数错误 / error: {message}{f' / {zh}' if zh else ''}\n")
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

    p.add_argument("--version", action="version", version=f"ruralsim {__version__}",
                   help="显示版本号并退出 / show the version number and exit")
    sub = p.add_subparsers(dest="command", metavar="COMMAND", parser_class=_Parser,
                           title="命令 / commands",
                           description="ruralsim COMMAND -h 显示该命令的帮助 / shows the help "
                           "of a command")

    run = sub.add_parser("run", help="运行情景 / run a scenario",
                         description="运行一个情景并写出结果与图表 / Run a scenario and write "
                         "timeseries.csv, villages.csv, summary.json and figures/.")
    run.add_argument("scenario", nargs="?", help="情景文件或内置名称 / scenario file or built-in "
                     "name such as nanpu, teaching (default: Nanpu / 默认：内置南蒲情景)")
    run.add_argument("--seed", type=seed_arg, help="随机种子 / random seed (default: run.seed)")
    run.add_argument("--out", default="ruralsim-out", help="输出目录 / output folder "
                     "(default: ruralsim-out)")
    run.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter, e.g. --set run.horizon_months=120")
    run.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack an incentive package (built-in name such as "
                     "awards, or a YAML file; --package=-NAME takes one of the scenario's off)")
    run.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                     "output folder")
    run.add_argument("--no-figures", action="store_true", help="不绘图 / skip figures")
    run.add_argument("--lang", choices=("zh", "en"), help="图表与屏幕上金额单位的语言 / "
                     "language of figures (default zh when a CJK font exists) and of units on "
                     "screen (default zh)")
    _xlsx_arg(run, "results.xlsx")
    run.add_argument("--check", action="store_true", help="每月检查不变量 / check invariants "
                     "every month")
    run.add_argument("--counterfactual", choices=("no_withdrawal", "no_package", "no_outreach",
                                                  "no_priority"),
                     help="同时运行反事实对照(相同随机数) / also run the twin without this "
                     "component, same seed, and report the difference household by household")
    run.add_argument("--quiet", action="store_true", help="不打印摘要 / print nothing")

    val = sub.add_parser("validate", help="检查情景文件 / check a scenario file",
                         description="检查情景文件而不运行 / Check a scenario without running it.")
    val.add_argument("scenario", help="情景文件或内置名称 / scenario file or built-in name")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter")
    val.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack an incentive package (--package=-NAME takes one "
                     "off)")
    cmp = sub.add_parser("compare", help="比较多个方案 / compare scenarios with uncertainty",
                         formatter_class=_RawFormatter,
                         description="以相同随机数重复运行并比较多个情景(第一个为基准方案，其余为改革方案；"
                         "给出与基准的配对差值及95%区间) / Replicate scenarios with common random "
                         "numbers and compare every summary metric: the first scenario is the "
                         "baseline, the others are reforms (95% ranges and paired differences "
                         "to the baseline).",
                         epilog="变体 / variants (--variant \"NAME: ITEM ITEM ...\"), built on the "
                         "first scenario:\n"
                         "  +PACKAGE        叠加政策包 / stack a package (built-in name or .yaml)\n"
                         "  -PACKAGE        去掉基础情景的政策包 / take one of the base's packages off\n"
                         "  KEY.PATH=VALUE  覆盖参数 / override a parameter (as --set; list items "
                         "by index or name)\n"
                         "例 / example:\n"
                         "  ruralsim compare nanpu --variant \"免息贷款: -subsidised_loans "
                         "+interest_free_loans\" \\\n"
                         "      --variant \"高补助: policy.instruments.cash_or_cement.value_cny"
                         "=20000\"\n"
                         "政策包叠加在基础情景的政策包之上；同一政策包叠加两次是错误 / a variant's "
                         "packages are added to the base's;\nstacking one twice is an error.")
    cmp.add_argument("scenarios", nargs="+", help="情景文件或内置名称 / scenario files or "
                     "built-in names (1-12; the first is the base: the baseline the reforms are compared "
                     "against)")
    cmp.add_argument("--variant", dest="variants", action="append", default=[],
                     metavar="'NAME: ITEMS'", help="基于第一个情景的命名变体 / a named variant of "
                     "the first scenario (see below)")
    cmp.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="对所有情景叠加政策包 / stack a package on every scenario")
    cmp.add_argument("--reps", type=int, default=30, help="重复次数 / replications (default 30)")
    cmp.add_argument("--seed", type=seed_arg, help="随机种子 / root seed (default: first scenario's)")
    cmp.add_argument("--out", default="ruralsim-compare", help="输出目录 / output folder")
    cmp.add_argument("--force", action="store_true", help="覆盖已有输出 / replace a non-empty "
                     "output folder")
    cmp.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="对所有情景覆盖参数 / override a parameter in every scenario")
    _executor_args(cmp)
    cmp.add_argument("--lang", choices=("zh", "en"), help="图表与屏幕上金额单位的语言 / "
                     "language of figures and of units on screen (default zh)")
    _xlsx_arg(cmp, "compare.xlsx")
    cmp.add_argument("--metrics", nargs="+", metavar="METRIC", help="比较的指标 / metrics to "
                     "compare (default: the headline metrics; ruralsim metrics lists them all)")
    cmp.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    dec = sub.add_parser("decompose", help="拆分策略的作用 / take a strategy apart (factorial)",
                         description="把策略拆成独立组成部分(针对性动员、分配优先、停止服务、逐村推进)，"
                         "以相同随机数运行全部组合，给出各部分的主效应、交互作用及置信区间 / Run every "
                         "combination of a strategy's components with common random numbers and "
                         "report each component's main effect and interactions with intervals.")
    dec.add_argument("scenario", nargs="?", help="情景文件或内置名称 / scenario file or built-in "
                     "name (default: Nanpu)")
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
    dec.add_argument("--lang", choices=("zh", "en"), help="图表与屏幕上金额单位的语言 / "
                     "language of figures and of units on screen (default zh)")
    _xlsx_arg(dec, "decompose.xlsx")
    dec.add_argument("--metrics", nargs="+", metavar="METRIC", help="指标 / metrics (default: "
                     "months to 50%% and 90%% moved, cost, financing gap, households moved because "
                     "of withdrawal, exposure, movers worse off; ruralsim metrics lists them all)")
    dec.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    rep = sub.add_parser("report", help="生成报告 / write the planner's HTML report",
                         description="由结果目录生成独立的HTML报告 / Write one self-contained "
                         "HTML report for result folders of 'run' and 'compare', or for one "
                         "folder of 'optimize' (its recommendation for a leader).")
    rep.add_argument("results", nargs="+", help="结果目录 / result folders")
    rep.add_argument("--out", help="报告文件 / report file (default: <first folder>/report.html)")
    rep.add_argument("--lang", choices=("zh", "en"), default="zh", help="报告语言 / language "
                     "(default zh)")
    rep.add_argument("--pdf", action="store_true", help="同时用Chromium打印PDF / also print a PDF "
                     "with headless Chromium (beside the report, .pdf)")
    rep.add_argument("--force", action="store_true", help="覆盖已有报告文件 / replace an existing "
                     "report (and PDF) file")
    rep.add_argument("--docx", action="store_true", help="另存可编辑的Word文件 / also write an "
                     "editable Word file (beside the report, .docx; needs python-docx: pip "
                     "install 'ruralsim[docx]')")
    rep.add_argument("--target-share", type=_target_share, default=None, metavar="SHARE",
                     help="目标入住比例 / target share of households moved (default 0.8)")
    rep.add_argument("--target-month", type=_target_month, default=None, metavar="MONTH",
                     help="目标月份 / month by which the target share is to be moved (default: "
                     "the end of the scenario's horizon)")

    demo = sub.add_parser("demo", help="培训演示 / trainer's demo (抓两头、带中间 vs 先动员中间户 vs 自愿搬迁、不分先后)",
                          description="一条命令生成培训演示：抓两头、带中间与先动员中间户、自愿搬迁不分先后对比的图表、动画和报告 / "
                          "One command for trainers: side-by-side figures, an animation and the "
                          "report, 抓两头、带中间 against the middle first and a voluntary, "
                          "untargeted strategy.")
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
    swp.add_argument("sweep", help="扫描文件或内置扫描名 / sweep YAML, or the name of a shipped "
                     "sweep (withdrawal_grid, sobol_nanpu, policies_x_uncertainties)")
    swp.add_argument("--out", help="输出目录 / output folder (default: <sweep name>-out)")
    swp.add_argument("--timeseries", metavar="COL[,COL...]", help="保存每次运行的时间序列 / keep "
                     "these time-series columns of every run in timeseries.parquet (long form: "
                     "run_id, month, variable, value; needs pyarrow); replaces the sweep file's "
                     "timeseries list, and is part of the sweep (resume with the same value)")
    swp.add_argument("--force", action="store_true", help="覆盖另一组扫描的目录 / replace the "
                     "folder of a different sweep (only sweep outputs are ever deleted)")
    swp.add_argument("--fsync-every", type=float, default=2.0, metavar="SECONDS",
                     help="每隔多少秒同步记录到磁盘 / seconds between fsyncs of runs.jsonl "
                     "(default 2; 0: after every run)")
    _executor_args(swp)
    swp.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of figures")
    swp.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    opt = sub.add_parser("optimize", help="寻找满足目标与预算的方案 / search packages that meet "
                         "a target within the budget", formatter_class=_RawFormatter,
                         description="在杠杆取值范围内搜索满足约束(如60个月入住80%、无欠款、不超预算)且"
                         "目标最优的政策方案；共同随机数与重复运行，入围方案加倍复核后推荐 / Search the "
                         "levers of a scenario for packages that meet the constraints (e.g. 80% "
                         "moved by month 60, no arrears, within the budget) and are best on the "
                         "objectives; common random numbers and replications (optuna), then the "
                         "finalists are confirmed with more replications and one is recommended. "
                         "The study is kept in --out: run the same command again (or with more "
                         "--trials) to resume.",
                         epilog="设定文件 / spec file (YAML):\n"
                         "  levers: [{key: policy.instruments.cash_subsidy.value_cny, range: [0, "
                         "20000], step: 1000},\n           {key: packages, choices: [[], "
                         "[interest_free_loans]]}]\n"
                         "  constraints: [\"share_moved_by_month[60] >= 0.8\", \"months_in_arrears"
                         " <= 0\", \"public_cost_cny <= budget\"]\n"
                         "  objectives: [{minimize: public_cost_cny}, {maximize: "
                         "share_moved_by_month[60]}]\n"
                         "例 / example: ruralsim optimize teaching --spec "
                         "scenarios/optimize/teaching_budget.yaml --out opt-out")
    opt.add_argument("scenario", help="情景文件或内置名称 / scenario file or built-in name")
    opt.add_argument("--spec", required=True, help="优化设定文件 / optimisation spec (YAML)")
    opt.add_argument("--out", required=True, help="输出目录(保存研究以便续跑) / output folder "
                     "(keeps the study, so the search resumes)")
    opt.add_argument("--trials", type=int, help="试验总数 / trials in all (default: the spec's)")
    opt.add_argument("--replications", type=int, help="每次试验的重复次数 / replications per "
                     "trial (default: the spec's)")
    opt.add_argument("--seed", type=seed_arg, help="随机种子 / root seed (default: the spec's)")
    opt.add_argument("--jobs", type=int, default=1, help="并行进程数 / worker processes for the "
                     "replications (default 1)")
    opt.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖基础情景参数 / override a parameter of the base scenario")
    opt.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack a package on the base scenario")
    opt.add_argument("--force", action="store_true", help="覆盖另一次优化的目录 / replace the "
                     "folder of another search (only optimisation outputs are deleted)")
    opt.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of the figure")
    opt.add_argument("--quiet", action="store_true", help="不打印 / print nothing")

    met = sub.add_parser("metrics", help="列出全部指标 / list every metric (unit, direction, "
                         "censoring)", description="列出情景运行报告的全部指标：单位、方向(越多越好/越少越好)、"
                         "是否可能截尾 / Every metric a run of the scenario reports, with its unit, "
                         "direction (more is better or worse) and whether it can be censored; "
                         "sweeps, compare, decompose and sensitivity accept only these names.")
    met.add_argument("scenario", nargs="?", default="nanpu", help="情景文件或内置名称 / scenario "
                     "file or built-in name (default: Nanpu; nested names depend on its household "
                     "types, instruments and revenues)")
    met.add_argument("--format", choices=("table", "csv", "json"), default="table",
                     help="输出格式 / output format (default: table)")

    from .bridges.discover_cli import add_parser as add_discover_parser

    add_discover_parser(sub)
    app = sub.add_parser("app", help="网页应用 / the planner's web app (local, offline)",
                         description="在本机浏览器中比较方案：村庄表、政策包、策略、运行、结果与下载，"
                         "无需联网 / Compare options for your own villages in the browser, on "
                         "this computer, offline (needs the 'app' extra: pip install "
                         "'ruralsim[app]').")
    app.add_argument("--host", default="127.0.0.1", help="监听地址 / address to listen on "
                     "(default 127.0.0.1: this computer only)")
    app.add_argument("--port", type=int, default=0, help="端口 / port (default: a free one)")
    app.add_argument("--no-browser", action="store_true", help="不自动打开浏览器 / do not "
                     "open the browser")

    from .evidence import add_parser as add_evidence_parser

    add_evidence_parser(sub)
    return p


class _RawFormatter(_Formatter, argparse.RawDescriptionHelpFormatter):
    """Keeps the line breaks of a description and epilog (examples)."""


def _xlsx_arg(p: argparse.ArgumentParser, name: str) -> None:
    p.add_argument("--xlsx", action="store_true", help=f"另存一个Excel工作簿 / also write {name}, "
                   "one sheet per table (needs openpyxl: pip install 'ruralsim[excel]')")


def _executor_args(p: argparse.ArgumentParser) -> None:
    p.add_argument("--workers", type=int, help="并行进程数 / worker processes (default: the "
                   "usable cores, also the most allowed; 1 = serial)")
    p.add_argument("--oversubscribe", action="store_true", help="允许进程数超过可用核数 / allow "
                   "more --workers than usable cores")
    p.add_argument("--scheduler", metavar="ADDRESS", help="dask 调度器地址 / dask.distributed "
                   "scheduler address, e.g. tcp://10.0.0.5:8786, or local:N to start a local "
                   "dask cluster of N worker processes (needs the 'parallel' extra; the same "
                   "results as --workers)")


def _show_progress(quiet: bool) -> bool:
    """Progress lines only on a terminal: never into a log file or a pipe."""
    return not quiet and hasattr(sys.stderr, "isatty") and sys.stderr.isatty()


def _progress_printer(quiet: bool):
    """A month counter for ``run`` (tqdm's bar); nothing when quiet or when stderr is not a
    terminal."""
    if not _show_progress(quiet):
        return None
    from tqdm import tqdm

    bar: dict = {}

    def show_bar(done: int, total: int) -> None:
        if "bar" not in bar:
            bar["bar"] = tqdm(total=total, unit=" 月 month", leave=False, file=sys.stderr)
        b = bar["bar"]
        b.update(done - b.n)
        if done >= total:
            b.close()

    return show_bar


def _target_share(text: str) -> float:
    try:
        v = float(text.rstrip("%")) / (100 if text.endswith("%") else 1)
    except ValueError:
        v = math.nan
    if not 0 < v <= 1:
        raise argparse.ArgumentTypeError(f"{text!r}: give a share from 0 to 1 (e.g. 0.8 or 80%) "
                                         "/ 目标比例须在0到1之间")
    return v


def _target_month(text: str) -> int:
    try:
        v = int(text)
    except ValueError:
        v = -1
    if not 1 <= v <= 100_000:
        raise argparse.ArgumentTypeError(f"{text!r}: give a whole number of months from 1 "
                                         "/ 目标月份须为正整数")
    return v


def _check_xlsx(args) -> None:
    if getattr(args, "xlsx", False):
        from .excel import require_openpyxl

        require_openpyxl()


def cmd_run(args) -> int:
    from .outputs import check_out_dir, staged_dir, write_run
    from .scenario.load import load_scenario
    from .simulate import simulate

    out = Path(args.out)
    _check_xlsx(args)
    loaded = load_scenario(args.scenario, args.overrides, args.packages)
    check_out_dir(out, args.force, inputs=loaded.inputs)
    if args.quiet:
        from .model.plan import affordability

        warnings = affordability(loaded.model)["warnings"]
    else:
        warnings = print_affordability(loaded.model)
    for w in warnings:
        sys.stderr.write(f"ruralsim: 警告 / warning: {w}\n")
    from . import compiled

    sc = loaded.model   # one run (two with the counterfactual): the kernels may not pay
    compiled.for_one_run(sum(v.households for v in sc.villages) * sc.run.horizon_months
                         * (2 if args.counterfactual else 1))
    result = simulate(loaded, seed=args.seed, check=args.check,
                      progress=_progress_printer(args.quiet),
                      counterfactual=args.counterfactual)
    with staged_dir(out, args.force, command="run", inputs=loaded.inputs) as tmp:
        write_run(result, tmp)
        if not args.no_figures:
            from .report.plots import save_figures

            save_figures(result, tmp / "figures", lang=args.lang)
        if args.xlsx:
            from .excel import run_sheets, write_xlsx

            write_xlsx(run_sheets(result), tmp / "results.xlsx")
    if not args.quiet:
        print_summary(result.summary, out, args.lang)
        print_budget(result.summary)
        if "plan_years" in result.summary:
            print_plan(result.summary, result.scenario)
        if args.counterfactual:
            print_counterfactual(result.summary["counterfactual"])
    return EXIT_OK


def print_plan(summary: dict, sc=None) -> None:
    """The township's plan year by year: forecast, money for new registrations and works, the
    quota and the registrations it admitted, actual revenue and spending (million CNY)."""
    print("乡镇年度计划（百万元）/ the township's plan (million CNY):")
    rows = [["年 year", "预测收入 forecast", "新登记 new hh", "新工程 new works", "名额 quota",
             "登记 registered", "实际收入 revenue", "实际工程 works", "实际农户 households"]]
    for y in summary["plan_years"]:
        a, act = y["appropriation_cny"], y["actual_cny"]
        rows.append([str(y["year"]), f"{y['forecast_cny'] / 1e6:,.1f}",
                     f"{a['households_new'] / 1e6:,.1f}", f"{a['works_new'] / 1e6:,.1f}",
                     "∞" if y["quota"] is None else f"{y['quota']:,}", f"{y['registrations']:,}",
                     f"{act['revenue_own'] / 1e6:,.1f}", f"{act['works'] / 1e6:,.1f}",
                     f"{act['households'] / 1e6:,.1f}"])
    _print_table(rows, align="r" * len(rows[0]))
    print(f"  延付农户款 / household payments deferred: "
          f"{summary['plan_deferred_households_cny'] / 1e6:,.1f}; 未付工程款 / contractors unpaid: "
          f"{summary['plan_unpaid_works_cny'] / 1e6:,.1f}; 工程等资金（期·月）/ works waiting for "
          f"money (phase-months): {summary['plan_works_waiting_months']:,}")
    owed = dict(sorted(((k, v) for k, v in (summary.get("deferred_household_by_line_cny")
                                            or {}).items() if v >= 0.05e6),   # shown as ≥ 0.1
                       key=lambda kv: -kv[1]))
    if owed:
        from .report.labels import line_label

        def name(k: str) -> str:
            if sc is None:
                return k
            zh, en = (line_label(sc, f"exp_{k}_cny", lang) for lang in ("zh", "en"))
            return zh if zh == en else f"{zh} {en}"
        print("  延付给谁（百万元）/ deferred to whom (million CNY): " + "; ".join(
            f"{name(k)} {v / 1e6:,.1f}" for k, v in owed.items()))
    if summary.get("registrations_given_up_while_owed"):
        print(f"  拖欠期间提前放弃的登记 / registrations given up sooner while owed: "
              f"{summary['registrations_given_up_while_owed']:,}")


def budget_lines(summary: dict) -> list[str]:
    """Pass or fail against the budget the scenario states (summary["budget"]), in Chinese
    and English; no lines when no budget is stated."""
    b = summary.get("budget") or {}
    if b.get("pass") is None:
        return []
    mark = {True: "通过 / PASS", False: "未通过 / FAIL"}
    lines = [f"预算检查 / budget check: {mark[b['pass']]}"]
    if b["within_total"] is not None:
        lines.append(f"  总公共成本 / total public cost {b['public_cost_cny'] / 1e6:,.2f} 百万元 "
                     f"million CNY vs 预算 budget {b['total_cny'] / 1e6:,.2f}: "
                     f"{mark[b['within_total']]}")
    if b["within_per_year"] is not None:
        lines.append(f"  最高年度成本 / highest yearly cost {b['max_year_cost_cny'] / 1e6:,.2f} "
                     f"({b['max_year']}) vs 年度预算 budget per year "
                     f"{b['per_year_cny'] / 1e6:,.2f}: {mark[b['within_per_year']]}")
    return lines


def print_budget(summary: dict) -> None:
    for line in budget_lines(summary):
        print(line)


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


def print_summary(summary: dict, out: Path, lang: str | None = None) -> None:
    """The run's headline numbers: bilingual labels, values in ``lang``'s units (default zh)."""
    from .report.formatting import fmt_metric
    from .report.labels import METRICS

    lang = lang or "zh"
    print(f"情景 scenario: {summary['scenario']}  种子 seed: {summary['seed']}  "
          f"hash: {summary['scenario_hash']}")
    rows = [[f"  {m.zh} / {m.en}", fmt_metric(m.key, summary.get(m.key), lang)]
            for m in METRICS]
    _print_table(rows, align="lr")
    print(f"结果已写入 outputs written to: {out}/")


def _print_table(rows: list[list[str]], align: str, colours: list[list[str]] | None = None,
                 gap: str = "  ") -> None:
    """Rows of cells in columns padded by display width (CJK characters take two);
    ``align`` has 'l' or 'r' per column; ``colours`` holds an ANSI code (or '') per cell."""
    n = len(rows[0])
    widths = [max(_display_width(r[i]) for r in rows) for i in range(n)]
    for j, r in enumerate(rows):
        cells = []
        for i, (c, w) in enumerate(zip(r, widths)):
            pad = " " * (w - _display_width(c))
            text = c + pad if align[i] == "l" else pad + c
            code = colours[j][i] if colours else ""
            cells.append(f"\033[{code}m{text}\033[0m" if code else text)
        print(gap.join(cells).rstrip())


def _use_colour(stream=None) -> bool:
    """ANSI colours only on a terminal, and never when NO_COLOR is set."""
    stream = stream or sys.stdout
    return not os.environ.get("NO_COLOR") and hasattr(stream, "isatty") and stream.isatty()


_ANSI = {"better": "32", "worse": "31", "unclear": "90", "changed": "", "missing": ""}


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
    for w in planning_warnings(m) + print_affordability(m):
        sys.stderr.write(f"ruralsim: 警告 / warning: {w}\n")
    return EXIT_OK


def print_affordability(m) -> list[str]:
    """Print what the package will cost against the township's own revenue (model/plan.py
    :func:`affordability`: instruments named by their labels); returns the warnings (a
    package, awards or programme the plan cannot pay for)."""
    from .model.plan import affordability

    a = affordability(m)
    lines = a["lines"]
    if lines:
        print("政策包的预期成本 / expected cost of the package:")
        for line in lines:
            print(f"  {line}")
    return a["warnings"]


#: Planned units below this share of households draw a warning from ``validate``.
UNITS_SHORT_SHARE = 0.9


def planning_warnings(m) -> list[str]:
    """Plans that are valid but probably not meant: housing far short of the households it
    is to take in, in all and per community."""
    out = []
    units = {c.name: sum(ph.units.apartment + ph.units.courtyard for ph in c.phases)
             for c in m.communities}
    homes: dict[str, int] = {c: 0 for c in units}
    for v in m.village_list:
        homes[v.community] = homes.get(v.community, 0) + v.households
    total_u, total_h = sum(units.values()), sum(homes.values())
    if total_h and total_u < UNITS_SHORT_SHARE * total_h:
        out.append(f"the plan builds {total_u:,} units for {total_h:,} households: at most "
                   f"{total_u / total_h:.0%} can move / 规划住房{total_u:,}套，农户{total_h:,}户，"
                   f"最多{total_u / total_h:.0%}的农户能够入住")
    for name, u in units.items():
        h = homes.get(name, 0)
        if h and u < UNITS_SHORT_SHARE * h:
            out.append(f"community {name} builds {u:,} units for the {h:,} households of its "
                       f"villages ({u / h:.0%}) / 社区{name}规划{u:,}套，其所属村庄共{h:,}户")
    return out


def cmd_compare(args) -> int:
    from .experiments import make_executor
    from .experiments.replicate import build_scenarios, check_reps, check_seed, compare
    from .outputs import check_out_dir, staged_dir, unique_file_stems, write_csv

    if not 1 <= len(args.scenarios) + len(args.variants) <= 12:
        raise UsageError("compare takes 1 to 12 scenarios and variants in all / 最多比较12个方案")
    check_reps(args.reps, least=2)
    check_seed(args.seed)
    _check_xlsx(args)
    out = Path(args.out)
    built = build_scenarios(args.scenarios, args.overrides, args.packages, args.variants)
    inputs = [f for _, sc in built for f in sc.inputs]
    check_out_dir(out, args.force, inputs=inputs)
    with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
        kw = {"metrics": args.metrics} if args.metrics else {}
        cmp = compare(dict(built), reps=args.reps, seed=args.seed, executor=ex,
                      progress=_show_progress(args.quiet), **kw)
    with staged_dir(out, args.force, command="compare", inputs=inputs) as tmp:
        write_csv(cmp.table, tmp / "compare.csv")
        # one file per scenario (names made safe and unique); its first column 'label' is
        # the scenario's column in compare.csv, so files and table always match up
        sheets = {"compare": _with_labels(cmp.table)}
        for name, stem, reps in zip(cmp.names, unique_file_stems(cmp.names), cmp.replications):
            write_csv(_labelled(reps.summary, name), tmp / f"replications_{stem}.csv")
            sheets[name] = _labelled(reps.summary, name)
            if not reps.errors.empty:
                write_csv(_labelled(reps.errors, name), tmp / f"errors_{stem}.csv")
                sheets[f"errors {name}"] = _labelled(reps.errors, name)
        if args.xlsx:
            from .excel import write_xlsx

            write_xlsx(sheets, tmp / "compare.xlsx")
        from .outputs import to_json, write_text_atomic
        from .report.options import options_record

        write_text_atomic(tmp / "options.json", to_json(options_record(built, cmp)))
        sc0 = built[0][1].model
        _compare_figures(cmp, tmp / "figures", args.lang,
                         (sc0.run.start_year, sc0.run.start_month))
    if not args.quiet:
        print_comparison(cmp, args.lang)
        print(f"结果已写入 outputs written to: {out}/")
    return EXIT_OK


def cmd_optimize(args) -> int:
    from .optimize.search import require_optuna
    from .optimize.spec import MAX_REPLICATIONS, MAX_TRIALS, load_spec
    from .optimize import run_optimize
    from .scenario.load import load_scenario

    require_optuna()
    spec, doc = load_spec(args.spec)
    update = {}
    for opt, key, most in (("--trials", "trials", MAX_TRIALS),
                           ("--replications", "replications", MAX_REPLICATIONS)):
        value = getattr(args, key)
        if value is not None:
            least = 2 if key == "replications" else 1
            if not least <= value <= most:
                raise UsageError(f"{opt} must be from {least} to {most:,} (got {value}) / "
                                 f"{opt} 须在 {least} 到 {most:,} 之间")
            update[key] = value
    if args.seed is not None:
        update["seed"] = args.seed
    if "replications" in update and update["replications"] > spec.confirm_replications:
        update["confirm_replications"] = update["replications"]
    if update:
        from .optimize.spec import parse_spec

        spec = parse_spec({**spec.model_dump(mode="json"), **update}, f"{args.spec} (with "
                          f"{', '.join('--' + k for k in update)})")
    if args.jobs is not None and not 1 <= args.jobs <= 1024:
        raise UsageError(f"--jobs must be from 1 to 1024 (got {args.jobs}) / 并行进程数须在 1 到 "
                         "1024 之间")
    base = load_scenario(args.scenario, args.overrides, args.packages)
    progress = None if args.quiet else ("tty" if _show_progress(False) else "plain")
    try:
        result = run_optimize(base, spec, args.out, jobs=args.jobs, force=args.force,
                              progress=progress, lang=args.lang, file=str(args.spec),
                              lines=doc.lines, package_dir=Path(args.spec).resolve().parent,
                              inputs=[Path(args.spec)])
    except KeyboardInterrupt:
        sys.stderr.write("\nruralsim: 已中断；已完成的试验保存在研究中，重新运行同一命令即可续跑 / "
                         "interrupted; the finished trials are kept in the study: run the same "
                         "command again to resume\n")
        return 130
    if not args.quiet:
        print_optimize(result)
        print(f"结果已写入 outputs written to: {args.out}/")
    return EXIT_OK


def print_optimize(result) -> None:
    """The search in a few lines: trials, feasible, finalists, the recommendation."""
    cand = result.candidates
    feas = int(cand["feasible"].sum()) if not cand.empty else 0
    print(f"试验 trials: {len(cand)} (已有 found {result.trials_found}, 本次 run "
          f"{result.trials_run}); 平均满足约束 feasible on average: {feas}; 非劣 "
          f"non-dominated: {len(result.pareto)}; 入围复核 finalists: {len(result.finalists)}")
    for _, r in result.finalists.iterrows():
        probs = ", ".join(f"{r[f'c{i}__probability_holds']:.0%}"
                          for i in range(len(result.problem.constraints)))
        print(f"  试验 trial {int(r['trial'])}: {r['levers_json']}  P(约束 constraints) "
              f"[{probs}]{'  ← 推荐 recommended' if r['recommended'] else ''}")
    if result.recommended is None:
        print(f"无推荐方案 / no package recommended: {result.reason}")
    else:
        print(f"推荐 / recommended: {result.reason} (recommended.yaml)")


def _with_labels(table):
    """``table`` (with a 'metric' column) with the metric's Chinese and English labels first."""
    from .report.labels import metric_label

    return table.assign(label_zh=[metric_label(m, "zh") for m in table["metric"]],
                        label_en=[metric_label(m, "en") for m in table["metric"]])[
        ["label_zh", "label_en", *table.columns]]


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
    _check_xlsx(args)
    with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
        kw = {"metrics": args.metrics} if args.metrics else {}
        d = decompose(loaded, factors=args.factors, reps=args.reps, seed=args.seed,
                      executor=ex, progress=_show_progress(args.quiet), **kw)
    with staged_dir(out, args.force, command="decompose", inputs=loaded.inputs) as tmp:
        write_csv(d.effects, tmp / "effects.csv")
        write_csv(d.cells, tmp / "cells.csv")
        if args.xlsx:
            from .excel import write_xlsx

            write_xlsx({"effects": _with_labels(d.effects), "cells": d.cells},
                       tmp / "decompose.xlsx")
        import matplotlib.pyplot as plt

        from .report.experiment_plots import plot_decomposition

        (tmp / "figures").mkdir()
        fig = plot_decomposition(d, lang=args.lang)
        save_figure(fig, tmp / "figures" / "decomposition.png", dpi=110)
        plt.close(fig)
    if not args.quiet:
        print_effects(main_effects(d), args.lang)
        print(f"结果已写入 outputs written to: {out}/")
    return EXIT_OK


def print_effects(main, lang: str | None = None) -> None:
    """Main effects, one line per component under each metric: mean [95% interval] in
    readable units, judged better or worse for that metric."""
    from .experiments.decompose import COMPONENTS
    from .report.formatting import MARKS, fmt_estimate, judge, legend_text, verdict_text
    from .report.labels import metric_label

    lang = lang or "zh"
    colour = _use_colour()
    print("主效应(打开减去关闭)，均值 [95%置信区间] / main effects (on minus off), mean [95% CI]:")
    rows, colours = [], []
    for metric, g in main.groupby("metric", sort=False):
        rows.append([f"  {metric_label(metric, 'both')}", "", ""])
        colours.append(["", "", ""])
        for r in g.itertuples():
            zh, en = COMPONENTS[r.effect][1:] if r.effect in COMPONENTS else (r.effect, r.effect)
            v = judge(metric, r.mean, r.ci_low, r.ci_high)
            star = " †" if r.censored else ""
            rows.append([f"    {zh} / {en}",
                         fmt_estimate(metric, r.mean, r.ci_low, r.ci_high, lang, diff=True) + star,
                         f"{MARKS[v]} {verdict_text(v, 'both')}" if v != "missing" else ""])
            colours.append(["", _ANSI[v] if colour else "", _ANSI[v] if colour else ""])
    if rows:
        _print_table(rows, align="lrl", colours=colours)
    if main["censored"].any():
        print("† 部分情形期末前未达到，按期末+1个月计 / some runs never reached it; counted at the "
              "horizon + 1")
    print(legend_text("both", kind="effects"))


def _safe(name: str) -> str:
    """``name`` as part of a file name (one name; for several use outputs.unique_file_stems)."""
    from .outputs import safe_file_stem

    return safe_file_stem(name)


def _compare_figures(cmp, folder: Path, lang, start: tuple[int, int] | None = None) -> None:
    """The comparison's figures, with calendar dates on their time axes; a band chart of a
    metric that is zero throughout is not drawn."""
    import matplotlib.pyplot as plt

    from .outputs import save_figure
    from .report.experiment_plots import (BAND_METRICS, band_is_empty, plot_bands,
                                          plot_comparison)

    folder.mkdir(parents=True, exist_ok=True)
    fig = plot_comparison(cmp, lang=lang, start=start)
    save_figure(fig, folder / "compare.png", dpi=110)
    plt.close(fig)
    for metric, unit, scale in BAND_METRICS:
        if band_is_empty(cmp, metric):
            continue
        fig = plot_bands(cmp, metric, lang=lang, scale=scale, unit_key=unit, start=start)
        save_figure(fig, folder / f"compare_{metric}.png", dpi=110)
        plt.close(fig)


def print_comparison(cmp, lang: str | None = None) -> None:
    """The comparison table: the first scenario's mean [2.5%, 97.5%], then each other
    scenario's paired difference to it [95% CI], in readable units, marked (and on a terminal
    coloured) better or worse for that metric."""
    from .report.formatting import MARKS, fmt_estimate, judge, legend_text
    from .report.labels import metric_label

    lang = lang or "zh"
    colour = _use_colour()
    rows = [["指标 / metric"] + list(cmp.names)]
    colours = [[""] * len(rows[0])]
    partial = False
    for metric, g in cmp.table.groupby("metric", sort=False):
        cells, codes = [metric_label(metric, "both")], [""]
        for r in g.itertuples():
            runs = getattr(r, "runs", None)
            part = f" ({r.reps}/{runs})" if runs and 0 < r.reps < runs else ""
            partial = partial or bool(part)
            if r.scenario == cmp.names[0]:
                cells.append(fmt_estimate(metric, r.mean, r.p2_5, r.p97_5, lang) + part)
                codes.append("")
            else:
                v = judge(metric, r.diff_vs_first, r.diff_ci_low, r.diff_ci_high)
                cells.append(fmt_estimate(metric, r.diff_vs_first, r.diff_ci_low,
                                          r.diff_ci_high, lang, diff=True) + part
                             + f" {MARKS[v]}")
                codes.append(_ANSI[v] if colour else "")
        rows.append(cells)
        colours.append(codes)
    _print_table(rows, align="l" + "r" * (len(rows[0]) - 1), colours=colours)
    print(f"{cmp.names[0]}：各次重复的均值 [2.5%, 97.5%]；其余列：与之的配对差值 [95%置信区间] / "
          f"{cmp.names[0]}: mean [2.5%, 97.5%] over replications; others: paired difference "
          "to it, mean [95% CI]")
    if partial:
        print("(k/n)：n次重复中有k次达到，均值仅计这些 / reached in k of n replications; the "
              "mean is over those")
    print(legend_text("both"))


def cmd_sweep(args) -> int:
    from .experiments import load_sweep, make_executor, run_sweep, sensitivity
    from .experiments.sweep import save_sensitivity

    from .experiments.sweep import resolve_sweep

    source = resolve_sweep(args.sweep)
    spec, base_dir = load_sweep(source)
    if args.timeseries is not None:
        cols = [c.strip() for c in args.timeseries.split(",") if c.strip()]
        spec = spec.model_copy(update={"timeseries": cols})
    out = Path(args.out) if args.out else Path(f"{source.stem}-out")

    def finish(table) -> None:   # figures and indices, while the folder is still locked
        _sweep_figures(spec, table, out / "figures", args.lang)
        if spec.design.method in ("salib_sobol", "morris"):
            import matplotlib.pyplot as plt

            from .outputs import save_figure
            from .report.experiment_plots import plot_sensitivity

            res = sensitivity(spec, table)
            save_sensitivity(res, out)
            refused = set(res.loc[res["note"].str.startswith("refused"), "metric"])
            for m in spec.metrics:
                if m in refused:        # no indices (censoring, or runs without a value)
                    continue
                fig = plot_sensitivity(res, m, lang=args.lang)
                save_figure(fig, out / "figures" / f"sensitivity_{_safe(m)}.png", dpi=110)
                plt.close(fig)

    try:
        with make_executor(args.workers, args.scheduler, args.oversubscribe) as ex:
            table = run_sweep(spec, base_dir, out, ex, progress=_show_progress(args.quiet),
                              source=source, force=args.force,
                              fsync_every=args.fsync_every, finish=finish,
                              notify=(lambda msg: None) if args.quiet else None)
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

    from .outputs import save_figure
    from .report.experiment_plots import plot_response

    params = list(spec.swept())
    if not params:
        return
    folder.mkdir(parents=True, exist_ok=True)
    for m in spec.metrics:
        fig = plot_response(table, params, m, lang=lang)
        save_figure(fig, folder / f"response_{_safe(m)}.png", dpi=110)
        plt.close(fig)


def cmd_report(args) -> int:
    from .outputs import write_text_atomic
    from .report.html import print_pdf, render_report
    from .report.inputs import load_report_inputs
    from .report.redraw import plan_redraw, redraw

    from .report.optimize_report import is_optimize_folder, load_optimize_inputs

    dirs = [Path(d) for d in args.results]
    optimized = [d for d in dirs if is_optimize_folder(d)]
    if optimized and len(dirs) > 1:
        raise UsageError(f"{optimized[0]} is an optimisation folder: its report is made from "
                         "it alone; give it without other folders / 优化结果目录须单独生成报告")
    if optimized and (args.target_share is not None or args.target_month is not None):
        raise UsageError("--target-share and --target-month do not apply to an optimisation "
                         "folder: its target is the spec's constraints / 优化结果的目标即其约束条件，"
                         "不能另设 --target-share 或 --target-month")
    if optimized:
        inputs = load_optimize_inputs(dirs[0])   # bad content: UsageError, exit 2
        todo = None
    else:
        inputs = load_report_inputs(dirs)         # bad content: UsageError, exit 2
        todo = plan_redraw(inputs, args.lang)     # runs with figures in the other language
    out = Path(args.out) if args.out else dirs[0] / "report.html"
    targets = [("--out", out)]
    if args.pdf:
        targets.append(("PDF", out.with_suffix(".pdf")))
    if args.docx:
        from .report.docx import require_docx

        require_docx()                            # missing package: exit 2 before writing
        targets.append(("Word", out.with_suffix(".docx")))
    for what, path in targets:                    # refuse before writing anything
        _check_report_target(what, path, inputs.files, args.force)
    if args.docx and _same_file(out, out.with_suffix(".docx")):
        raise UsageError(f"--out {out} ends in .docx, where --docx writes the Word file; give an "
                         ".html file / --out 不能以 .docx 结尾")
    if args.pdf and _same_file(targets[0][1], targets[1][1]):
        raise UsageError(f"--out {out} ends in .pdf, where --pdf prints the PDF; give an .html "
                         "file / --out 不能以 .pdf 结尾")
    if args.pdf:
        from .report.html import require_chromium

        require_chromium()                        # missing tool: exit 2 before writing
    target = {"target_share": args.target_share, "target_month": args.target_month}
    if optimized:
        from .report.html import render_optimize_report

        write_text_atomic(out, render_optimize_report(inputs, lang=args.lang))
    else:
        redraw(todo, inputs, args.lang)           # figures in --lang from the saved tables
        for w in inputs.warnings:
            sys.stderr.write(f"ruralsim: 警告 / warning: {w}\n")
        write_text_atomic(out, render_report(inputs, lang=args.lang, **target))
    print(_shown(f"报告已写入 report written to: {out}"))
    if args.docx:
        from .report.docx import write_docx

        word = out.with_suffix(".docx")
        write_docx(inputs, word, lang=args.lang, **target)
        print(_shown(f"Word: {word}"))
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
    from .outputs import check_path_length

    check_path_length(_resolved(path), what, path)
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
    # a line per stage even into a log or a pipe; progress bars only on a terminal
    run_demo(out, force=args.force, lang=args.lang, seed=args.seed, quiet=args.quiet,
             bars=_show_progress(args.quiet))
    if not args.quiet:
        print(f"演示已写入 demo written to: {out}/  (report.html, villages.gif, figures/)")
    return EXIT_OK


def cmd_bench(args) -> int:
    from .bench import report

    if any(n < 1 for n in args.sizes) or args.reps < 0:
        raise UsageError("--sizes must be positive and --reps non-negative")
    report(args.sizes, args.reps, args.workers)
    return EXIT_OK


def cmd_metrics(args) -> int:
    from .metrics import table

    rows = table(args.scenario)
    if args.format == "json":
        print(json.dumps(rows, ensure_ascii=False, indent=1))
        return EXIT_OK
    if args.format == "csv":
        import csv

        w = csv.DictWriter(sys.stdout, fieldnames=list(rows[0]), lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        return EXIT_OK
    arrow = {1: "+ more better / 越多越好", -1: "- less better / 越少越好", 0: "0 neither / 视情况"}
    width = max(len(r["metric"]) for r in rows)
    print(f"{'metric / 指标':<{width}}  {'unit / 单位':<18}  {'direction / 方向':<22}  "
          "censored / 截尾  label / 名称")
    for r in rows:
        label = " / ".join(x for x in (r["label_zh"], r["label_en"]) if x)
        cens = "yes / 是" if r["censored"] else "no / 否"
        print(f"{r['metric']:<{width}}  {r['unit']:<18}  {arrow.get(r['better'], '?'):<22}  "
              f"{cens:<14}  {label}")
    print(f"\n{len(rows)} metrics / 个指标. Censored: a time to an event that may not happen "
          "within the horizon (null in summary.json) / 截尾：期内可能未发生的事件时间")
    return EXIT_OK


def cmd_discover(args) -> int:
    from .bridges.discover_cli import run_cli

    return run_cli(args)
def cmd_app(args) -> int:
    from .app import free_port, require_shiny

    require_shiny()
    if not 0 <= args.port <= 65535:
        raise UsageError(f"--port must be from 0 to 65535 (got {args.port}) / 端口须在0到65535之间")
    port = free_port(args.host, args.port)
    from .app.page import make_app

    import uvicorn

    url = f"http://{'127.0.0.1' if args.host in ('0.0.0.0', '') else args.host}:{port}/"
    print(_shown(f"ruralsim app: {url}  (按 Ctrl-C 退出 / Ctrl-C to stop)"), flush=True)
    if not args.no_browser:
        import webbrowser

        webbrowser.open(url)
    uvicorn.run(make_app(), host=args.host, port=port, log_level="warning")
    return EXIT_OK


def cmd_evidence(args) -> int:
    from .evidence import run

    return run(args.evidence_command, args)


COMMANDS = {"evidence": cmd_evidence, "bench": cmd_bench, "run": cmd_run, "validate": cmd_validate, "compare": cmd_compare,
            "decompose": cmd_decompose, "sweep": cmd_sweep, "metrics": cmd_metrics,
            "report": cmd_report, "demo": cmd_demo, "optimize": cmd_optimize,
            "discover": cmd_discover, "app": cmd_app}


def main(argv: list[str] | None = None) -> int:
    """Run the command line; exit code as the module docstring says."""
    try:
        try:
            return _main(argv)
        finally:   # output still buffered is written now, where a closed pipe can be caught
            if sys.stdout is not None:
                sys.stdout.flush()
    except BrokenPipeError:
        return _quiet_broken_pipe()
    except KeyboardInterrupt:   # before a command runs (loading, parsing the arguments)
        from .entry import interrupted

        return interrupted()


def _plain_warning(message, category, filename, lineno, file=None, line=None) -> None:
    """Warnings on the command line: one plain line, never a line of source code."""
    try:
        (file or sys.stderr).write(f"ruralsim: 警告 / warning: {message}\n")
    except OSError:
        pass


def _main(argv: list[str] | None) -> int:
    import warnings

    with warnings.catch_warnings():
        warnings.showwarning = _plain_warning
        return _main_checked(argv)


def _main_checked(argv: list[str] | None) -> int:
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
    except BrokenPipeError:
        raise                 # main() ends quietly
    except OSError as exc:
        if exc.errno in _BAD_PATH_ERRNOS:    # a path the user gave cannot exist: bad input
            sys.stderr.write(f"ruralsim: {exc.strerror}: {_shown(str(exc.filename))[:200]} "
                             "/ 路径无效\n")
            return EXIT_BAD_INPUT
        if os.environ.get("RURALSIM_DEBUG"):
            raise
        sys.stderr.write(f"ruralsim: 错误 / error: {exc}\n")
        return EXIT_ERROR
    except RuralsimError as exc:
        if os.environ.get("RURALSIM_DEBUG"):
            raise
        sys.stderr.write(f"ruralsim: 错误 / error: {exc}\n")
        return EXIT_ERROR


#: OS errors that mean a path named on the command line cannot exist as given.
_BAD_PATH_ERRNOS = {errno.ENAMETOOLONG, errno.ELOOP}


def _quiet_broken_pipe() -> int:
    """The reader of our output went away (``ruralsim ... | head``): end quietly, as Unix
    tools do, and keep Python from complaining when it flushes stdout at exit."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
    except (OSError, ValueError):
        pass
    return 128 + signal.SIGPIPE if hasattr(signal, "SIGPIPE") else EXIT_ERROR


def _raise_interrupt(signum, frame):
    raise KeyboardInterrupt


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
