"""ruralsim: simulate the consolidation of old villages into new rural communities.

>>> import ruralsim
>>> result = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
>>> result.summary["households"], result.summary["seed"]
(600, '1')

The public names (:func:`simulate`, :func:`load_scenario`, :func:`replicate`,
:func:`compare`, :func:`decompose`, :func:`sweep`, :func:`optimize`, :class:`ScenarioError`,
:class:`UsageError`) are loaded on first use (PEP 562), so ``import ruralsim`` and
``ruralsim --help`` do not pay for numpy, pandas, pydantic or SimPy.
"""
from __future__ import annotations

import sys
from types import ModuleType
from typing import TYPE_CHECKING

# the one source of the version number: pyproject.toml reads it; CITATION.cff must match it
__version__ = "0.1.0"

#: public name -> (module relative to this package, attribute)
_LAZY = {
    "ScenarioError": (".errors", "ScenarioError"),
    "UsageError": (".errors", "UsageError"),
    "load_scenario": (".scenario.load", "load_scenario"),
    "simulate": (".simulate", "simulate"),
    "replicate": (".experiments", "replicate"),
    "compare": (".experiments", "compare"),
    "decompose": (".experiments.decompose", "decompose"),
    "sweep": (".experiments", "sweep"),
    "optimize": (".optimize", "optimize"),
}

if TYPE_CHECKING:  # what type checkers and IDEs see; at run time __getattr__ loads them
    from .errors import ScenarioError, UsageError
    from .experiments import compare, replicate, sweep
    from .experiments.decompose import decompose
    from .optimize import optimize
    from .scenario.load import load_scenario
    from .simulate import simulate


def __getattr__(name: str):
    """Load a public name on first use and keep it in the module (PEP 562)."""
    from importlib import import_module
    from importlib.util import find_spec

    if name not in _LAZY:
        # a subpackage or submodule (``ruralsim.scenario``, ``ruralsim.model``): import it, as an
        # eager package would have done
        if not name.startswith("_") and find_spec(f"{__name__}.{name}") is not None:
            return import_module(f"{__name__}.{name}")
        raise AttributeError(f"module 'ruralsim' has no attribute {name!r}")
    module, attr = _LAZY[name]
    value = getattr(import_module(module, __name__), attr)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted(set(globals()) | set(_LAZY))


class _Package(ModuleType):
    """This package, keeping ``ruralsim.simulate`` the function: importing the submodule
    ``ruralsim.simulate`` (``from ruralsim.simulate import ...``) would otherwise bind the
    package attribute to the module, after this file has run."""

    def __setattr__(self, name: str, value) -> None:
        if name in _LAZY and isinstance(value, ModuleType) and \
                value.__name__ == f"{__name__}.{name}":
            value = getattr(value, _LAZY[name][1])
        super().__setattr__(name, value)


sys.modules[__name__].__class__ = _Package


__all__ = ["ScenarioError", "UsageError", "__version__", "compare", "decompose", "load_scenario",
           "optimize", "replicate", "simulate", "sweep"]
