"""ruralsim: simulate the consolidation of old villages into new rural communities.

>>> import ruralsim
>>> result = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
>>> sorted(result.summary)[:2]
['apartment_share_of_registrations', 'communities']
"""
# the one source of the version number: pyproject.toml reads it; CITATION.cff must match it
__version__ = "0.1.0"

import sys as _sys  # noqa: E402
import types as _types  # noqa: E402

from .errors import ScenarioError, UsageError  # noqa: E402

#: Names of the package loaded on first use, so that ``import ruralsim`` (and so the start
#: of the command line, where Ctrl-C must end quietly) does not load numpy, pandas and the
#: model: name -> (module, attribute).
_LAZY = {"load_scenario": ("ruralsim.scenario.load", "load_scenario"),
         "simulate": ("ruralsim.simulate", "simulate")}


def __getattr__(name: str):
    import importlib

    if name not in _LAZY:   # a submodule, loaded on first use as an eager import did
        if name.startswith("__"):
            raise AttributeError(f"module 'ruralsim' has no attribute {name!r}")
        try:
            return importlib.import_module(f"{__name__}.{name}")
        except ModuleNotFoundError as exc:
            if exc.name != f"{__name__}.{name}":
                raise
            raise AttributeError(f"module 'ruralsim' has no attribute {name!r}") from None
    module, attr = _LAZY[name]
    value = getattr(importlib.import_module(module), attr)
    _types.ModuleType.__setattr__(_sys.modules[__name__], name, value)
    return value


class _Package(_types.ModuleType):
    """``ruralsim.simulate`` stays the function when the submodule of that name is imported
    (Python sets a package attribute to each submodule it loads)."""

    def __setattr__(self, name: str, value) -> None:
        if name in _LAZY and isinstance(value, _types.ModuleType):
            return
        super().__setattr__(name, value)


_sys.modules[__name__].__class__ = _Package


def replicate(*args, **kwargs):
    """Replicate a scenario with child seeds (see :func:`ruralsim.experiments.replicate`)."""
    from .experiments import replicate as _replicate

    return _replicate(*args, **kwargs)


def compare(*args, **kwargs):
    """Compare scenarios with common random numbers (:func:`ruralsim.experiments.compare`)."""
    from .experiments import compare as _compare

    return _compare(*args, **kwargs)


def decompose(*args, **kwargs):
    """Take a strategy apart: every combination of its components with common random numbers,
    main effects and interactions with intervals (:func:`ruralsim.experiments.decompose.decompose`)."""
    from .experiments.decompose import decompose as _decompose

    return _decompose(*args, **kwargs)


def sweep(*args, **kwargs):
    """Run or resume a sweep file (see :func:`ruralsim.experiments.sweep`)."""
    from .experiments import sweep as _sweep

    return _sweep(*args, **kwargs)


__all__ = ["ScenarioError", "UsageError", "__version__", "compare", "decompose", "load_scenario",
           "replicate", "simulate", "sweep"]
