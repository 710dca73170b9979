"""The examples in the modules' docstrings run and say what they print (a stale example is a
failing test).  Modules whose optional extra is not installed are left out, by name."""
from __future__ import annotations

import doctest
import importlib
import importlib.util
import pkgutil

import pytest

import ruralsim

#: Module -> the optional package it needs (skipped without it).
NEEDS = {"ruralsim.app.page": "shiny", "ruralsim.app.goalseek": "optuna",
         "ruralsim.optimize.search": "optuna", "ruralsim.bridges.ema": "ema_workbench",
         "ruralsim.bridges.prim": "ema_workbench", "ruralsim.bridges.salib": "SALib"}
MODULES = sorted(m.name for m in pkgutil.walk_packages(ruralsim.__path__, "ruralsim.")
                 if not m.name.endswith("__main__"))


@pytest.mark.parametrize("name", ["ruralsim", *MODULES])
def test_the_examples_in_the_docstrings_run(name):
    need = NEEDS.get(name)
    if need and importlib.util.find_spec(need) is None:
        pytest.skip(f"needs {need}")
    module = importlib.import_module(name)
    result = doctest.testmod(module, raise_on_error=False, verbose=False,
                             optionflags=doctest.ELLIPSIS)
    assert result.failed == 0, f"{result.failed} example(s) of {name} failed"
