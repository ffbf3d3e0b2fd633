"""Typed errors that carry a message a user can act on.

Every error names where the problem is (file, line or row, field) so that the CLI can print it
as is and the GUI can show it in one place. Nothing catches these to store a string instead.
"""

from __future__ import annotations

from dataclasses import dataclass


class WorkbenchError(Exception):
    """Base of every error the workbench raises on purpose (bad input, refused operation)."""


@dataclass(frozen=True)
class Problem:
    """One finding of a validator, printed as ``FILE:LINE: severity: message``."""

    file: str
    line: int | None
    message: str
    severity: str = "error"  # "error" or "warning"

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.severity}: {self.message}"


class CodebookError(WorkbenchError):
    """A codebook that cannot be used; ``problems`` lists every error found, not just the first."""

    def __init__(self, problems: list[Problem]):
        self.problems = problems
        errors = [p for p in problems if p.severity == "error"]
        super().__init__("\n".join(str(p) for p in errors) or "invalid codebook")


class TranscriptError(WorkbenchError):
    """A transcript file that cannot be imported; the message names the file and row or line."""


class ProjectError(WorkbenchError):
    """A project that cannot be opened or an operation the project refuses."""


class ProjectBusyError(ProjectError):
    """Another process held the project's write lock for longer than a writer waits."""


class DecisionError(WorkbenchError):
    """A coding decision that refers to an unknown passage, code or coder."""
