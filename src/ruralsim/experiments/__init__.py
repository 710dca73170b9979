"""Experiments: replications, comparisons, sweeps and sensitivity analysis.

Designs are tables of overrides and seeds; executors run them (serial, a process pool or
any ``concurrent.futures.Executor`` such as dask's); results come back aligned by row.
"""
from .executors import SerialExecutor, make_executor
from .replicate import Comparison, Replications, compare, compare_reform, replicate
from .sweep import SweepSpec, load_sweep, run_sweep, sensitivity
from .winners import winners_losers


def sweep(path, out, executor=None, progress: bool = False, force: bool = False,
          fsync_every: float = 2.0):
    """Run (or resume) the sweep file ``path`` (or a shipped sweep by name) into folder
    ``out``; returns the results table.

    ``force`` replaces the folder of a different sweep; ``fsync_every`` is the most seconds
    between fsyncs of the run store (see :func:`run_sweep`).

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "s.yaml").write_text("base: teaching\\nparameters: {run.horizon_months: [12, 24]}\\n")
    >>> len(sweep(d / "s.yaml", d / "out"))
    2
    """
    from pathlib import Path

    from .sweep import resolve_sweep

    path = resolve_sweep(path)
    spec, base_dir = load_sweep(path)
    return run_sweep(spec, base_dir, Path(out), executor, progress, source=path, force=force,
                     fsync_every=fsync_every)


__all__ = ["Comparison", "Replications", "SerialExecutor", "SweepSpec", "compare",
           "compare_reform", "load_sweep", "winners_losers",
           "make_executor", "replicate", "run_sweep", "sensitivity", "sweep"]
