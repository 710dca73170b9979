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


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port that is free on ``host`` now (the system picks it)."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            s.bind((host, 0))
            return int(s.getsockname()[1])
    except OSError as exc:
        raise UsageError(f"--host {host}: cannot listen there ({exc.strerror}) / 无法在该地址监听"
                         ) from None
