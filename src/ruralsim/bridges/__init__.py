"""Bridges to the tools researchers already use (each an optional extra).

* :mod:`ruralsim.bridges.ema` -- an EMA Workbench model (``pip install 'ruralsim[ema]'``);
* :mod:`ruralsim.bridges.salib` -- SALib ``ProblemSpec`` in and out (``ruralsim[sensitivity]``);
* :mod:`ruralsim.bridges.prim` -- scenario discovery with EMA Workbench's PRIM
  (``ruralsim discover``).
"""
