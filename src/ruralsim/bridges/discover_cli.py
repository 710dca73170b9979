"""``ruralsim discover``: its arguments and its run (:mod:`ruralsim.bridges.prim` does the
work; this module imports nothing heavy, so ``ruralsim --help`` stays fast)."""
from __future__ import annotations

from pathlib import Path


def add_parser(sub) -> None:
    """``ruralsim discover``."""
    p = sub.add_parser(
        "discover", help="情景发现(PRIM) / scenario discovery (PRIM) over a sweep's results",
        description="在参数扫描结果中寻找结果不达标的参数区域(EMA Workbench 的 PRIM 算法) / Find "
        "the regions of parameters where an outcome fails a target, with PRIM (EMA Workbench) "
        "over the results of ruralsim sweep: coverage, density and the peeling trajectory.",
        epilog="例 / example: ruralsim discover my-sweep-out --where 'share_moved < 0.8'")
    p.add_argument("results", help="扫描输出目录或 results.csv / results.parquet / the output "
                   "folder of ruralsim sweep, or its results.csv or results.parquet")
    p.add_argument("--where", required=True, metavar="CONDITION",
                   help="不达标条件 / the failing condition: METRIC OP NUMBER (OP <, <=, >, >=), "
                   "terms joined by 'and' or 'or', e.g. 'share_moved < 0.8'; a censored time "
                   "(not reached) counts as later than any month")
    p.add_argument("--parameters", metavar="KEY,KEY", help="只在这些参数中搜索 / search only "
                   "these parameters (default: every swept parameter)")
    p.add_argument("--threshold", type=float, default=0.8, help="盒子最低密度 / least density of "
                   "the box reported (default 0.8)")
    p.add_argument("--box", type=int, help="指定剥离轨迹上的盒子编号 / report this box of the "
                   "peeling trajectory instead")
    p.add_argument("--peel-alpha", type=float, default=0.05, help="每步剥离比例 / share peeled "
                   "per step (default 0.05)")
    p.add_argument("--mass-min", type=float, default=0.05, help="盒子最小质量 / least share of "
                   "runs in a box (default 0.05)")
    p.add_argument("--per-point", action="store_true", help="按设计点判断(过半重复不达标) / one "
                   "case per design point, failing when most of its replications fail")
    p.add_argument("--out", help="输出目录 / output folder (default: <results folder>-discover)")
    p.add_argument("--force", action="store_true", help="覆盖 ruralsim 写出的目录 / replace a "
                   "folder written by ruralsim")
    p.add_argument("--lang", choices=("zh", "en"), help="图表语言 / language of the figure")
    p.add_argument("--quiet", action="store_true", help="不打印 / print nothing")


def run_cli(args) -> int:
    """``ruralsim discover``: writes trajectory.csv, box.csv, discovery.json and
    tradeoff.png into ``--out`` (a new folder, replaced as a whole, never half-written).
    Bad input (the results, the condition, the options) is refused before anything is
    written."""
    import json

    import matplotlib.pyplot as plt

    from ..outputs import save_figure, staged_dir, write_csv, write_text_atomic
    from .prim import discover

    src = Path(args.results)
    folder = src if src.is_dir() else src.parent
    out = Path(args.out) if args.out else folder.parent / f"{folder.name or 'results'}-discover"
    inputs = [src] if not src.is_dir() else [src / "results.csv", src / "results.parquet"]
    params = [p.strip() for p in args.parameters.split(",") if p.strip()] \
        if args.parameters else None
    d = discover(src, args.where, params, threshold=args.threshold, peel_alpha=args.peel_alpha,
                 mass_min=args.mass_min, box=args.box, per_point=args.per_point)
    with staged_dir(out, args.force, command="discover", inputs=inputs) as tmp:
        write_csv(d.trajectory, tmp / "trajectory.csv")
        write_csv(d.box, tmp / "box.csv")
        write_text_atomic(tmp / "discovery.json",
                          json.dumps(d.stats, ensure_ascii=False, indent=1) + "\n")
        fig = d.plot(lang=args.lang)
        save_figure(fig, tmp / "tradeoff.png", dpi=110)
        plt.close(fig)
    if not args.quiet:
        s = d.stats
        print(f"条件 condition: {s['condition']}  不达标 failing: {s['cases_failing']}/{s['cases']} "
              f"cases" + (f" ({s['runs_left_out']} runs left out / 排除)" if s['runs_left_out']
                          else ""))
        print(f"盒子 box {s['box']}: 覆盖率 coverage {s['coverage']:.2f}, 密度 density "
              f"{s['density']:.2f}, 质量 mass {s['mass']:.2f}, 受限参数 restricted {s['restricted']}")
        for r in d.box[d.box["restricted"]].itertuples():
            rng = r.values if r.values else f"{r.lower:.4g} .. {r.upper:.4g} (sweep {r.sweep_min:.4g} .. {r.sweep_max:.4g})"
            print(f"  {r.parameter}: {rng}")
        print(f"结果 outputs: {out}/ (trajectory.csv, box.csv, discovery.json, tradeoff.png)")
    return 0
