"""Which package meets the target within the budget? ``ruralsim optimize`` (issue 24).

:func:`optimize` searches the levers of a scenario (instrument amounts, loan terms, packages,
strategy settings, withdrawal timing, works order: any scenario key path with a range or
choices) for packages that meet the constraints (share moved by a month, arrears, distress,
public cost within the budget) and are best on the objectives (public cost, speed, the
vulnerable's exposure), with common random numbers and replications (optuna's constrained
multi-objective samplers; the study is kept in SQLite in the output folder, so a search
resumes), then confirms the finalists with more replications and recommends one that meets
every constraint at the stated confidence.  The spec is described in
:mod:`ruralsim.optimize.spec`; the search in :mod:`ruralsim.optimize.search`.

Needs the optional extra ``optimize`` (optuna): ``pip install 'ruralsim[optimize]'``.

Example (two trials of a short horizon; a real search uses dozens):
    >>> import ruralsim
    >>> r = ruralsim.optimize("teaching", levers=[{"key": "policy.instruments.cash_subsidy.value_cny",
    ...     "range": [0, 4000], "step": 2000}], constraints=["share_moved >= 0"],
    ...     objectives=[{"minimize": "public_cost_cny"}], n_trials=2, replications=2,
    ...     confirm_replications=2, overrides=["run.horizon_months=12"])
    >>> len(r.candidates), r.recommended is not None
    (2, True)
"""
from __future__ import annotations

from concurrent.futures import Executor
from pathlib import Path
from typing import Any, Iterable

from .search import OptimizeResult, replication_seeds
from .spec import OptimizeSpec, SpecError, load_spec, parse_spec


def optimize(scenario: Any, levers: Iterable[Any], constraints: Iterable[str] = (),
             objectives: Iterable[Any] = (), *, n_trials: int = 40, replications: int = 4,
             seed: int = 1, out_dir: str | Path | None = None, finalists: int = 5,
             confirm_replications: int = 20, confidence: float = 0.9, sampler: str = "tpe",
             budget: str = "auto", jobs: int | None = 1, executor: Executor | None = None,
             overrides: Iterable = (), packages: Iterable[str] = (), force: bool = False,
             progress: bool = False, lang: str | None = None) -> OptimizeResult:
    """Search ``scenario``'s ``levers`` for packages that meet ``constraints`` and are best
    on ``objectives``; returns an :class:`~ruralsim.optimize.search.OptimizeResult`.

    ``levers``: dicts ``{key, range: [lo, hi], step?, log?}`` or ``{key, choices: [...]}``
    (``key: packages`` chooses lists of packages); ``constraints``: texts such as
    ``"share_moved_by_month[60] >= 0.8"``, ``"months_in_arrears <= 0"``,
    ``"public_cost_cny <= budget"``; ``objectives``: ``{"minimize": QUANTITY}`` or
    ``{"maximize": QUANTITY}``, the first ranks the finalists.  Every trial uses the same
    ``replications`` seeds (common random numbers, :func:`replication_seeds` of ``seed``);
    the finalists are confirmed with ``confirm_replications``.  With ``out_dir`` the study is
    kept there (a second call with more ``n_trials`` resumes) and the outputs are written
    (see :func:`ruralsim.optimize.write.write_outputs`); ``force`` replaces a folder holding
    another search.  ``jobs`` processes run the replications (or give an ``executor``).
    """
    from ..scenario.load import load_scenario
    from ..errors import check_list_arg

    data = {"levers": list(levers), "constraints": list(constraints),
            "objectives": list(objectives), "trials": n_trials, "replications": replications,
            "seed": seed, "finalists": finalists, "confirm_replications": confirm_replications,
            "confidence": confidence, "sampler": sampler, "budget": budget}
    spec = parse_spec(data, "optimize()")
    overrides = check_list_arg(overrides, "overrides", (str, tuple, list),
                               "'key.path=value' strings or (key path, value) pairs")
    base = load_scenario(scenario, overrides, list(packages))
    return run_optimize(base, spec, out_dir, jobs=jobs, executor=executor, force=force,
                        progress="plain" if progress else None, lang=lang)


def run_optimize(base, spec: OptimizeSpec, out_dir: str | Path | None, *, jobs: int | None = 1,
                 executor: Executor | None = None, force: bool = False,
                 progress: str | None = None, lang: str | None = None, file: str = "optimize()",
                 lines: dict | None = None, package_dir: Path | None = None,
                 inputs: Iterable[Path] = ()) -> OptimizeResult:
    """The search of a validated ``spec`` on a loaded scenario ``base`` (the command line's
    entry: ``file`` and ``lines`` name the spec file in errors)."""
    from ..experiments.executors import make_executor
    from .search import build_problem, require_optuna, run_search
    from .write import OptimizeFolder, write_outputs

    require_optuna()
    problem = build_problem(base, spec, file, lines, package_dir)
    if out_dir is None:
        with _executor(make_executor, jobs, executor) as ex:
            return run_search(problem, None, ex, progress)
    folder = OptimizeFolder(Path(out_dir), [*base.inputs, *inputs], problem)
    with folder.open(force) as storage:
        with _executor(make_executor, jobs, executor) as ex:
            result = run_search(problem, storage, ex, progress)
        result.out_dir = Path(out_dir)
        from ..outputs import _signals_held

        with _signals_held():   # Ctrl-C while writing: the whole set of files first
            result.files = write_outputs(result, Path(out_dir), lang)
    return result


def _executor(make, jobs: int | None, executor: Executor | None):
    """The caller's executor, or one made for ``jobs`` processes (closed afterwards)."""
    from contextlib import nullcontext

    return nullcontext(executor) if executor is not None else make(workers=jobs)


__all__ = ["OptimizeResult", "OptimizeSpec", "SpecError", "load_spec", "optimize",
           "parse_spec", "replication_seeds", "run_optimize"]
