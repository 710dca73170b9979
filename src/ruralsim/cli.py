"""The ``ruralsim`` command line.

Exit codes: 0 success; 2 bad input (scenario or arguments), with a message and no
traceback; 1 any other error.
"""
from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from pathlib import Path

from .errors import RuralsimError, ScenarioError, UsageError

EXIT_OK, EXIT_ERROR, EXIT_BAD_INPUT = 0, 1, 2

SUMMARY_ROWS = (
    ("households", "农户总数", "Households", "{:,}"),
    ("share_moved", "期末入住比例", "Share moved", "{:.1%}"),
    ("months_to_50pct_moved", "50%入住所需月数", "Months to 50% moved", "{}"),
    ("months_to_90pct_moved", "90%入住所需月数", "Months to 90% moved", "{}"),
    ("total_public_cost_cny", "公共支出合计(元)", "Total public cost (CNY)", "{:,.0f}"),
    ("cost_per_relocated_household_cny", "户均公共支出(元)", "Public cost per household moved (CNY)",
     "{:,.0f}"),
    ("peak_financing_gap_cny", "资金缺口峰值(元)", "Peak financing gap (CNY)", "{:,.0f}"),
    ("land_freed_mu", "腾退宅基地(亩)", "Homestead land freed (mu)", "{:,.0f}"),
    ("households_pushed", "因停止服务而搬迁户数", "Households pushed by withdrawal", "{:,}"),
    ("households_stranded_final", "期末滞留户数", "Households stranded at the end", "{:,}"),
    ("vulnerable_moved", "特困/五保户入住", "Poor and five-guarantee households moved", "{:,}"),
)


class _Parser(argparse.ArgumentParser):
    def error(self, message: str):  # exit 2 with a short bilingual message
        self.print_usage(sys.stderr)
        sys.stderr.write(f"ruralsim: 参数错误 / error: {message}\n")
        raise SystemExit(EXIT_BAD_INPUT)


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
    run.add_argument("--seed", type=int, help="随机种子 / random seed (default: run.seed)")
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
    run.add_argument("--quiet", action="store_true", help="不打印摘要 / print nothing")

    val = sub.add_parser("validate", help="检查情景文件 / check a scenario file",
                         description="检查情景文件而不运行 / Check a scenario without running it.")
    val.add_argument("scenario", help="情景文件 / scenario YAML")
    val.add_argument("--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
                     help="覆盖参数 / override a parameter")
    val.add_argument("--package", dest="packages", action="append", default=[], metavar="NAME",
                     help="叠加政策包 / stack an incentive package")
    return p


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
    from .simulate import simulate

    out = Path(args.out)
    check_out_dir(out, args.force)
    result = simulate(args.scenario, seed=args.seed, overrides=args.overrides,
                      packages=args.packages, check=args.check,
                      progress=_progress_printer(args.quiet))
    with staged_dir(out, args.force) as tmp:
        write_run(result, tmp, figures=not args.no_figures, lang=args.lang)
    if not args.quiet:
        print_summary(result.summary, out)
    return EXIT_OK


def print_summary(summary: dict, out: Path) -> None:
    print(f"情景 scenario: {summary['scenario']}  种子 seed: {summary['seed']}  "
          f"hash: {summary['scenario_hash']}")
    width = max(len(zh) + len(en) for _, zh, en, _ in SUMMARY_ROWS) + 4
    for key, zh, en, fmt in SUMMARY_ROWS:
        val = summary.get(key)
        text = "—" if val is None else fmt.format(val)
        print(f"  {zh} / {en}".ljust(width) + f" {text:>16}")
    print(f"结果已写入 outputs written to: {out}/")


def cmd_validate(args) -> int:
    from .scenario.load import load_scenario

    sc = load_scenario(args.scenario, args.overrides, args.packages)
    m = sc.model
    print(f"{args.scenario}: 有效 / valid — {len(m.village_list)} villages, "
          f"{sum(v.households for v in m.village_list):,} households, "
          f"{len(m.communities)} communities, {m.run.horizon_months} months (hash {sc.hash})")
    return EXIT_OK


COMMANDS = {"run": cmd_run, "validate": cmd_validate}


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
