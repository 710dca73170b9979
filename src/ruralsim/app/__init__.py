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


def free_port(host: str = "127.0.0.1", port: int = 0) -> int:
    """``port`` if it is free on ``host`` now, else a UsageError; with 0, a free port the
    system picks."""
    import socket

    try:
        with socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET) as s:
            # as the server will: a port whose last connections are closing is free
            s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
            s.bind((host, port))
            return int(s.getsockname()[1])
    except OSError as exc:
        if port and not isinstance(exc, socket.gaierror):
            raise UsageError(f"--port {port}: cannot listen on {host}:{port} ({exc.strerror}) "
                             "/ 无法在该端口监听(端口已被占用？)") from None
        raise UsageError(f"--host {host}: cannot listen there ({exc.strerror or exc}) "
                         "/ 无法在该地址监听") from None
