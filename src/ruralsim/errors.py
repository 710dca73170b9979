"""Error types that reach the user.

A :class:`ScenarioError` carries every problem found in a scenario at once, each
naming the file, the dotted key path and (where there is one) the line, so the
command line can print them all and exit with code 2 without a traceback.
"""
from __future__ import annotations

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
    """Base class of the errors ruralsim reports to its users."""


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
