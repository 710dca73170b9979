"""The model's evidence: calibration (ABC), pattern validation and global sensitivity.

Four developer commands regenerate the documents under ``docs/`` of the repository::

    ruralsim evidence calibrate [DRAWS] [WORKERS]       # python -m ruralsim.evidence.calibrate
    ruralsim evidence validate [REPS] [WORKERS]         # python -m ruralsim.evidence.validation
    ruralsim evidence sensitivity [R] [N] [SEEDS] [WORKERS]  # python -m ruralsim.evidence.sensitivity
    ruralsim evidence subsidy-response [SEEDS] [WORKERS]     # python -m ruralsim.evidence.subsidy_response

They write into the repository's ``docs/`` only when run from the repository (a folder, or
one above the current folder, holding ``pyproject.toml`` and ``src/ruralsim``); anywhere
else they need ``--out FOLDER``, which follows the rules of ``ruralsim run --out`` (a new
or empty folder, or one written by ruralsim with ``--force``; written as a whole, never
half).  Arguments are checked (whole numbers within bounds); bad ones exit with code 2.
This module imports nothing heavy: the command line lists the commands cheaply.
"""
from __future__ import annotations

import argparse
import sys
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator

#: command -> (module, help).
COMMANDS = {
    "calibrate": ("calibrate", "可识别性与校准(ABC)，写出 calibration.md / identifiability "
                  "profiles, then rejection ABC of what the targets identify (twice, two "
                  "seeds); writes calibration.md and calibration_*.csv"),
    "validate": ("validation", "模式验证并写出 validation.md/json / recompute every validation "
                 "pattern under the model and alternative mechanisms; writes validation.md "
                 "and validation.json"),
    "sensitivity": ("sensitivity", "全局敏感性分析 / Morris screening and Sobol indices; "
                    "writes sensitivity.md and sensitivity/"),
    "subsidy-response": ("subsidy_response", "补助水平响应曲线 / households moved and public "
                         "cost against the per-household subsidy (0-80,000 CNY) on Nanpu, "
                         "without and with the plan; writes subsidy_response.md and .json"),
}
#: Most worker processes an evidence command accepts.
MAX_WORKERS = 1024


#: Mode switches of a scenario recorded with the evidence computed on it (what "model 3.0"
#: means for a document: supply, the plan, influence, demolition, consent).
MODES = ("supply.mode", "government.plan.enabled", "government.plan.defer_rule",
         "behaviour.influence.mode", "policy.demolition.mode", "strategy.consent.mode")


def scenario_modes(scenario: str = "nanpu") -> dict:
    """The values of :data:`MODES` in built-in ``scenario`` (None where it has no such key)."""
    from ..scenario.load import load_scenario

    out = {}
    model = load_scenario(scenario).model
    for path in MODES:
        node = model
        for part in path.split("."):
            node = getattr(node, part, None)
        out[path] = node
    return out


def describe_modes(modes: dict) -> str:
    """``supply.mode=demand, government.plan.enabled=true, ...`` (as written in a scenario)."""
    return ", ".join(f"{k}={str(v).lower() if isinstance(v, bool) else v}"
                     for k, v in modes.items())


def bounded_int(name: str, low: int, high: int):
    """An argparse type: a whole number from ``low`` to ``high``."""
    def parse(text: str) -> int:
        t = text.strip()
        if not t.lstrip("+").isdigit() or len(t) > 12:
            raise argparse.ArgumentTypeError(f"{name} must be a whole number from {low} to "
                                             f"{high:,}, not {t[:20]!r} / {name} 须为整数")
        value = int(t)
        if not low <= value <= high:
            raise argparse.ArgumentTypeError(f"{name} must be from {low} to {high:,}, not "
                                             f"{value} / {name} 须在 {low} 到 {high:,} 之间")
        return value
    return parse


def add_arguments(command: str, p: argparse.ArgumentParser) -> None:
    """The arguments of evidence command ``command`` (positional, as they always were)."""
    if command == "calibrate":
        p.add_argument("draws", nargs="?", type=bounded_int("DRAWS", 10, 100_000), default=200,
                       help="ABC 抽样次数 / prior draws of each of the two fits (default 200, "
                       "10-100000)")
    elif command == "validate":
        p.add_argument("reps", nargs="?", type=bounded_int("REPS", 2, 10_000), default=12,
                       help="重复次数 / replications per scenario and mechanism (default 12, "
                       "2-10000)")
    elif command == "subsidy-response":
        from .subsidy_response import SETTINGS

        p.add_argument("seeds", nargs="?", type=bounded_int("SEEDS", 2, 1000), default=12,
                       help="种子数 / seeds per subsidy level and setting (default 12, 2-1000)")
        p.add_argument("--settings", nargs="+", choices=list(SETTINGS), metavar="KEY",
                       help="只算这些设置 / only these settings (default: all: "
                       f"{', '.join(SETTINGS)})")
    else:
        p.add_argument("r", nargs="?", type=bounded_int("R", 2, 1000), default=10,
                       help="Morris 轨迹数 / Morris trajectories (default 10, 2-1000)")
        p.add_argument("n", nargs="?", type=bounded_int("N", 2, 100_000), default=32,
                       help="Sobol 基础样本 / Sobol base sample N (default 32, 2-100000)")
        p.add_argument("seeds", nargs="?", type=bounded_int("SEEDS", 1, 1000), default=2,
                       help="每点种子数 / seeds per design point (default 2, 1-1000)")
    p.add_argument("workers", nargs="?", type=bounded_int("WORKERS", 1, MAX_WORKERS),
                   help="并行进程数 / worker processes (default: the usable cores)")
    p.add_argument("--out", help="输出目录 / output folder (default: docs/ of the repository, "
                   "only when run from it)")
    p.add_argument("--force", action="store_true", help="覆盖 ruralsim 写出的输出目录 / replace "
                   "an output folder written by ruralsim")


def find_repository(start: Path | None = None) -> Path | None:
    """The ruralsim source repository holding ``start`` (default: the current folder): the
    first folder upward with ``pyproject.toml`` and ``src/ruralsim/__init__.py``."""
    try:
        here = (start or Path.cwd()).resolve()
    except OSError:
        return None
    for folder in (here, *here.parents):
        if (folder / "pyproject.toml").is_file() and \
                (folder / "src" / "ruralsim" / "__init__.py").is_file():
            return folder
    return None


@contextmanager
def docs_folder(out: str | None, force: bool, command: str) -> Iterator[Path]:
    """The folder an evidence command writes into: ``--out`` (staged, replaced as a whole,
    by the rules of ``run``), or the repository's ``docs/`` when run from the repository."""
    from ..errors import UsageError
    from ..outputs import staged_dir

    if out is not None:
        with staged_dir(out, force, command=f"evidence {command}") as tmp:
            yield tmp
        return
    repo = find_repository()
    if repo is None:
        raise UsageError(f"ruralsim evidence {command} writes the repository's docs/ and is "
                         "run from the ruralsim source repository (the folder with "
                         "pyproject.toml and src/ruralsim); elsewhere give --out FOLDER / "
                         "请在 ruralsim 源代码仓库中运行，或用 --out 指定输出目录")
    yield repo / "docs"


def run(command: str, args: argparse.Namespace) -> int:
    """Run evidence command ``command`` with parsed ``args``."""
    import importlib

    module = importlib.import_module(f"{__name__}.{COMMANDS[command][0]}")
    with docs_folder(args.out, args.force, command) as docs:
        return module.run(args, docs)


def main(command: str, argv: list[str] | None = None) -> int:
    """``python -m ruralsim.evidence.MODULE``: the same as ``ruralsim evidence COMMAND``."""
    from ..cli import main as cli_main

    return cli_main(["evidence", command, *(sys.argv[1:] if argv is None else argv)])


def add_parser(sub) -> None:
    """Add ``evidence`` with its commands to the ``ruralsim`` subcommands ``sub``."""
    ev = sub.add_parser("evidence", help="开发者：校准、验证、敏感性 / developers: regenerate "
                        "calibration, validation and sensitivity documents",
                        description=__doc__.split("\n\n")[0] + " " + "Writes docs/ of the "
                        "repository when run from it, else into --out.")
    evsub = ev.add_subparsers(dest="evidence_command", metavar="COMMAND", required=True,
                              parser_class=type(ev))
    for name, (_module, text) in COMMANDS.items():
        add_arguments(name, evsub.add_parser(name, help=text, description=text))

