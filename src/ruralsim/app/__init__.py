"""``ruralsim app``: the planner's local web app (Shiny for Python, the ``app`` extra).

The page's logic is in :mod:`ruralsim.app.logic` (plain functions, no Shiny); the page itself
in :mod:`ruralsim.app.page`.  Nothing here imports Shiny until the app is started.
"""
from __future__ import annotations

from ..errors import UsageError


def require_shiny() -> None:
    """Raise :class:`UsageError` (exit 2) when Shiny for Python is not installed."""
    try:
        import shiny  # noqa: F401
    except ImportError:
        raise UsageError("ruralsim app needs Shiny for Python: pip install 'ruralsim[app]' "
                         "/ 网页应用需要安装 shiny：pip install 'ruralsim[app]'") from None
