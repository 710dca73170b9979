"""The model: state, behaviour and the month's processes, run on a SimPy calendar.

Layers inside, importing one way: :mod:`.state` (arrays and the small shared state) →
behaviour (:mod:`.households`, :mod:`.policy`, :mod:`.terms`, the pure functions of the
process modules) → the processes of the month (one module each, a class with ``step(t)``)
→ :mod:`.loop` (the SimPy calendar and the one order of the month, :class:`Model`).
"""
from .loop import InvariantError, Model

__all__ = ["InvariantError", "Model"]
