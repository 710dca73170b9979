"""One run as a picklable specification, and the worker function that executes it.

A :class:`RunSpec` holds everything a run depends on (the validated scenario, overrides,
seed and what to keep), so the same spec gives the same result in this process, in a
process pool or on a dask worker.

Example:
    >>> from ruralsim import load_scenario
    >>> spec = RunSpec(0, load_scenario("teaching"), seed=1, columns=("n_moved",))
    >>> out = run_one(spec)
    >>> out["status"], len(out["timeseries"]["n_moved"])
    ('ok', 150)
"""
from __future__ import annotations

import errno
import traceback
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from ..scenario.load import LoadedScenario, load_scenario
from ..simulate import simulate


@dataclass(frozen=True)
class RunSpec:
    run_id: int
    scenario: LoadedScenario
    seed: Any                                   # int or numpy SeedSequence
    overrides: tuple = ()                       # (dotted_path, value) pairs
    columns: tuple[str, ...] = ()               # timeseries columns to return
    labels: dict[str, Any] = field(default_factory=dict)  # design columns, echoed back


def flatten(summary: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """Flatten nested summary dicts: ``{"a": {"b": 1}}`` -> ``{"a.b": 1}``."""
    out: dict[str, Any] = {}
    for k, v in summary.items():
        key = f"{prefix}{k}"
        if isinstance(v, dict):
            out.update(flatten(v, key + "."))
        else:
            out[key] = v
    return out


#: ``OSError`` numbers that mean the machine ran short of something, not that the run is wrong.
RESOURCE_ERRNOS = {errno.ENOMEM, errno.ENOSPC, errno.EMFILE, errno.ENFILE, errno.EAGAIN}


def is_resource_error(exc: BaseException) -> bool:
    """True when ``exc`` says the machine ran short (memory, disk, file handles)."""
    return isinstance(exc, MemoryError) or (isinstance(exc, OSError)
                                            and exc.errno in RESOURCE_ERRNOS)


def run_one(spec: RunSpec) -> dict[str, Any]:
    """Execute one run; never raises.

    A model error (a bad parameter combination) comes back with status ``'error'``; a run
    that failed because the machine ran short (``MemoryError``, out of disk or file handles)
    comes back with status ``'resource'``: it says nothing about the model and is retried.
    """
    try:
        sc = load_scenario(spec.scenario, list(spec.overrides)) if spec.overrides else spec.scenario
        res = simulate(sc, seed=spec.seed)
        ts = {c: res.timeseries[c].to_numpy(dtype=np.float64) for c in spec.columns}
        return {"run_id": spec.run_id, "status": "ok", "error": "", **spec.labels,
                "metrics": flatten(res.summary), "timeseries": ts}
    except Exception as exc:  # a failed run is recorded, it does not stop an experiment
        msg = f"{type(exc).__name__}: {exc}"
        if is_resource_error(exc):
            return {"run_id": spec.run_id, "status": "resource", "error": msg[:2000],
                    **spec.labels, "metrics": {}, "timeseries": {}}
        if not isinstance(exc, ValueError):
            msg += " | " + traceback.format_exc(limit=3).replace("\n", " ")
        return {"run_id": spec.run_id, "status": "error", "error": msg[:2000], **spec.labels,
                "metrics": {}, "timeseries": {}}
