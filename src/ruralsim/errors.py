"""Error types that reach the user.

A :class:`ScenarioError` carries every problem found in a scenario at once, each
naming the file, the dotted key path and (where there is one) the line, so the
command line can print them all and exit with code 2 without a traceback.
"""
from __future__ import annotations

import os
import sys
import warnings
from dataclasses import dataclass


@dataclass(frozen=True)
class Issue:
    """One problem in one place of a scenario."""

    file: str
    path: str
    message: str
    line: int | None = None
    column: int | None = None

    def __str__(self) -> str:
        where = self.file
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        key = f" {self.path}:" if self.path else ""
        return f"{where}:{key} {self.message}"


class RuralsimError(Exception):
    """Base class of the errors ruralsim reports to its users.

    Every subclass crosses a process boundary intact (a worker process, a dask worker):
    it is pickled as its class and the arguments its constructor was called with, so a
    subclass whose constructor takes other arguments than the message keeps them in
    ``self.args`` (see :class:`ScenarioError`).
    """

    def __reduce__(self):
        return (_rebuild, (type(self), self.args, dict(self.__dict__)))


def _rebuild(cls, args, state):
    """Unpickle a :class:`RuralsimError` without calling ``__init__`` on the message."""
    exc = cls.__new__(cls, *args)
    Exception.__init__(exc, *args)
    exc.__dict__.update(state)
    return exc


class ScenarioError(RuralsimError):
    """A scenario (file, dict, override or CSV) is invalid; carries all issues found."""

    def __init__(self, issues: list[Issue]):
        self.issues = list(issues)
        n = len(self.issues)
        head = "1 problem" if n == 1 else f"{n} problems"
        body = "\n".join(f"  {i}" for i in self.issues)
        super().__init__(f"invalid scenario / 情景文件有误 ({head}):\n{body}")


class UsageError(RuralsimError):
    """Bad command-line use (arguments, output directory...). Exit code 2."""


class ArgumentTypeError(UsageError, TypeError):
    """An argument of the Python API has the wrong type (a :class:`TypeError` too)."""


def check_list_arg(value, argument: str, item_types: tuple[type, ...] = (str,),
                   what: str = "strings") -> list:
    """``value`` as a list, when it is an iterable (not a string) of ``item_types``.

    A string where a list is expected would be split into characters, and an item of
    another type would fail deep inside; both raise :class:`ArgumentTypeError` naming
    ``argument``.
    """
    if isinstance(value, (str, bytes)) or isinstance(value, dict) or \
            not hasattr(value, "__iter__"):
        hint = f" (write [{value!r}])" if isinstance(value, str) and len(value) <= 80 else ""
        raise ArgumentTypeError(f"{argument} must be a list of {what}, not "
                                f"{type(value).__name__}{hint} / 参数 {argument} 须为列表")
    items = list(value)
    for i, item in enumerate(items):
        if not isinstance(item, item_types):
            raise ArgumentTypeError(f"{argument}[{i}] must be one of {what}, not "
                                    f"{type(item).__name__} {str(item)[:40]!r} / 参数 "
                                    f"{argument} 的第 {i + 1} 项类型有误")
    return items


def warn_user(message: str, category: type[Warning] = UserWarning) -> None:
    """Warn with ``message``, pointing at the first caller outside ruralsim.

    Python shows the source line a warning points at; ``stacklevel=2`` would show a line
    of ruralsim's own code when the call comes from deep inside the package.  Here the
    stack is walked to the user's code (a script, a notebook cell); when there is none
    (the command line), the warning points at no source line at all.
    """
    package = os.path.dirname(os.path.abspath(__file__)) + os.sep
    frame = sys._getframe(1)
    level = 2   # stacklevel 2 is the caller of this function
    while frame is not None and (os.path.abspath(frame.f_code.co_filename).startswith(package)
                                 or frame.f_globals.get("__name__") in ("runpy", "__main__")
                                 and frame.f_code.co_filename.endswith("runpy.py")):
        frame = frame.f_back
        level += 1
    if frame is None:
        warnings.warn_explicit(message, category, "ruralsim", 0, module="ruralsim")
    else:
        warnings.warn(message, category, stacklevel=level)
