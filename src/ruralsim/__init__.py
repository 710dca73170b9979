"""ruralsim: simulate the consolidation of old villages into new rural communities.

>>> import ruralsim
>>> result = ruralsim.simulate("scenarios/teaching.yaml", seed=1)
>>> sorted(result.summary)[:2]
['apartment_share_of_registrations', 'communities']
"""
__version__ = "0.1.0"

from .errors import ScenarioError  # noqa: E402
from .scenario.load import load_scenario  # noqa: E402
from .simulate import simulate  # noqa: E402
from .experiments import compare, replicate, sweep  # noqa: E402

__all__ = ["ScenarioError", "__version__", "compare", "load_scenario", "replicate", "simulate",
           "sweep"]
