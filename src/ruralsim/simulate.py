"""The Python entry point: ``simulate(scenario, seed=...)``.

Example:
    >>> import ruralsim
    >>> res = ruralsim.simulate("scenarios/teaching.yaml", seed=3)
    >>> 0 <= res.summary["share_moved"] <= 1
    True
"""
from __future__ import annotations

from pathlib import Path
from typing import Any, Callable, Iterable, Mapping

import numpy as np

from . import __version__
from .engine import Model
from .results import SimulationResult, summarize
from .counterfactual import compare_twin, twin_overrides
from .rng import as_seed_sequence, seed_label
from .scenario.load import LoadedScenario, load_scenario


def simulate(scenario: str | Path | Mapping[str, Any] | LoadedScenario | None = None,
             seed: int | np.random.SeedSequence | None = None,
             overrides: Iterable[str | tuple[str, Any]] = (),
             packages: Iterable[str] = (),
             check: bool = False,
             progress: Callable[[int, int], None] | None = None,
             keep_model: bool = False,
             counterfactual: str | None = None) -> SimulationResult:
    """Run one scenario once.

    ``scenario`` is a path, a dict, a :class:`LoadedScenario` or None (built-in Nanpu);
    ``seed`` defaults to the scenario's ``run.seed``; ``packages`` (built-in names or YAML
    files) are stacked and ``overrides`` applied as in :func:`load_scenario`; ``check``
    verifies every invariant each month (slower); ``keep_model`` keeps the final model state
    on the result.  ``counterfactual`` (``no_withdrawal``, ``no_package``, ``no_outreach``,
    ``no_priority``; :mod:`ruralsim.counterfactual`) also runs the twin with the same seed and
    adds the household-by-household comparison as ``summary["counterfactual"]``.
    """
    loaded = load_scenario(scenario, overrides, packages)
    sc = loaded.model
    seed = sc.run.seed if seed is None else seed
    as_seed_sequence(seed)   # refuse a seed that is not a whole non-negative number
    model = Model(sc, seed, progress=progress, check=check).run()
    result = _result(model, loaded, seed, keep_model)
    if counterfactual is not None:
        twin_sc = load_scenario(loaded, twin_overrides(counterfactual))
        twin = Model(twin_sc.model, seed, check=check).run()
        twin_res = _result(twin, twin_sc, seed, False)
        result.summary["counterfactual"] = compare_twin(
            counterfactual, model.hh.month_moved, twin.hh.month_moved, result.summary,
            twin_res.summary, model.hh.htype, model.type_names)
        result.twin = twin_res
    return result


def _result(model: Model, loaded: LoadedScenario, seed, keep_model: bool) -> SimulationResult:
    sc = loaded.model
    ts = model.rec.timeseries(sc.run.start_year, sc.run.start_month)
    meta = {"scenario": sc.name, "scenario_hash": loaded.hash, "seed": seed_label(seed),
            "version": __version__}
    summary = summarize(model, ts, meta)
    return SimulationResult(ts, model.rec.villages_frame(model), summary, sc,
                            model if keep_model else None)
