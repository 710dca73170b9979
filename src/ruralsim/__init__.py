"""ruralsim: simulate the consolidation of old villages into new rural communities.

>>> import ruralsim
>>> result = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
>>> sorted(result.summary)[:2]
['apartment_share_of_registrations', 'communities']
"""
# the one source of the version number: pyproject.toml reads it; CITATION.cff must match it
__version__ = "0.1.0"

from .errors import ScenarioError, UsageError  # noqa: E402
from .scenario.load import load_scenario  # noqa: E402
from .simulate import simulate  # noqa: E402


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
