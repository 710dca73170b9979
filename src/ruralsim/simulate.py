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
import pandas as pd

from . import __version__
from .model import Model
from .errors import UsageError
from .results import SimulationResult, summarize, timeseries_frame, villages_frame
from .counterfactual import compare_twin, twin_overrides
from .rng import as_seed_sequence, seed_label
from .scenario.load import LoadedScenario, load_scenario

#: Largest seed, as for ``run.seed`` in a scenario (a non-negative 64-bit signed integer).
MAX_SEED = 2**63 - 1


def check_seed(seed: Any, where: str = "seed") -> int | np.random.SeedSequence:
    """``seed`` as an int in [0, MAX_SEED] or a SeedSequence; anything else is refused.

    Python and numpy integers are accepted; bool, float (even 3.0), str and others raise
    :class:`UsageError` rather than being truncated or converted.
    """
    if isinstance(seed, np.random.SeedSequence):
        return seed
    if isinstance(seed, (bool, np.bool_)) or not isinstance(seed, (int, np.integer)):
        raise UsageError(f"{where} must be a whole number from 0 to {MAX_SEED} (or a numpy "
                         f"SeedSequence), not {type(seed).__name__} {_show(seed)} / 随机种子须为"
                         "非负整数")
    value = int(seed)
    if not 0 <= value <= MAX_SEED:
        raise UsageError(f"{where} must be from 0 to {MAX_SEED}, not {_show(value)} / 随机种子须在"
                         f"0到{MAX_SEED}之间")
    return value


def _show(value: Any) -> str:
    if isinstance(value, int) and abs(value).bit_length() > 128:
        return f"an integer of {abs(value).bit_length()} bits"
    try:
        text = repr(value)
    except Exception:  # noqa: BLE001
        return "?"
    return text if len(text) <= 40 else text[:37] + "..."


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
    ``seed`` (an int from 0 to 2**63-1, or a SeedSequence; see :func:`check_seed`) defaults
    to the scenario's ``run.seed``; ``packages`` (built-in names or YAML files) are stacked and
    ``overrides`` applied as in :func:`load_scenario`; ``check`` verifies every invariant each
    month (slower); ``keep_model`` keeps the final model state on the result.
    ``counterfactual`` (``no_withdrawal``, ``no_package``, ``no_outreach``, ``no_priority``;
    :mod:`ruralsim.counterfactual`) also runs the twin with the same seed and adds the
    household-by-household comparison as ``summary["counterfactual"]``.
    """
    seed = None if seed is None else check_seed(seed)
    loaded = load_scenario(scenario, overrides, packages)
    sc = loaded.model
    seed = sc.run.seed if seed is None else seed
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
    ts = timeseries_frame(model.rec, sc.run.start_year, sc.run.start_month)
    meta = {"scenario": sc.name, "scenario_hash": loaded.hash, "seed": seed_label(seed),
            "version": __version__}
    summary = summarize(model, ts, meta)
    sup = getattr(model, "supply", None)
    communities = pd.DataFrame(sup.community_works() if sup is not None else
                               model.construction.community_phases(list(model.com.names)))
    for c in communities.columns:
        if c.endswith("_month"):           # a month, or blank when it did not happen
            communities[c] = communities[c].astype("Int64")
    return SimulationResult(ts, villages_frame(model.rec, model.vil, model.com.names), summary, sc,
                            model if keep_model else None, communities=communities)
