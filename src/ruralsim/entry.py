"""The ``ruralsim`` console script: the command line, quiet on Ctrl-C from the first moment.

Loading the command line imports numpy, pandas and the model, which takes a noticeable
fraction of a second; a Ctrl-C in that time must end the program like a Ctrl-C later on
(exit code 130, one line, no traceback).  This module imports nothing heavy itself: it
loads :mod:`ruralsim.cli` inside the guard and hands over to :func:`ruralsim.cli.main`.
"""
from __future__ import annotations

import sys

#: Exit code of an interrupted command (128 + SIGINT), as :mod:`ruralsim.cli` uses.
EXIT_INTERRUPTED = 130


def interrupted() -> int:
    """Say that the command was interrupted; return its exit code."""
    try:
        sys.stderr.write("\nruralsim: 已中断 / interrupted\n")
        sys.stderr.flush()
    except (OSError, ValueError):
        pass
    return EXIT_INTERRUPTED


def main(argv: list[str] | None = None) -> int:
    """Run ``ruralsim`` (arguments as :func:`ruralsim.cli.main`); exit codes as there."""
    try:
        from .cli import main as cli_main
    except KeyboardInterrupt:
        return interrupted()
    return cli_main(argv)


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
