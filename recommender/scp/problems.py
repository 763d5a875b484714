"""A problem found in a policy file: one line naming the file, the place and what was expected."""

from dataclasses import dataclass
from typing import Literal

from recommender.errors import PolicyError

Severity = Literal["error", "warning"]


@dataclass(frozen=True)
class Problem:
    severity: Severity
    file: str
    message: str
    line: int | None = None
    column: int | None = None

    @property
    def location(self) -> str | None:
        if self.line is None:
            return None
        return f"{self.line}:{self.column or 1}"

    @property
    def where(self) -> str:
        return f"{self.file}:{self.location}" if self.location else self.file

    def __str__(self) -> str:
        return f"{self.where}: {self.severity}: {self.message}"


def raise_first_error(problems: list[Problem]) -> None:
    """Raise the first error as the one-line `PolicyError` the CLI prints."""
    for problem in problems:
        if problem.severity == "error":
            raise PolicyError(f"{problem.where}: {problem.message}")


def errors(problems: list[Problem]) -> list[Problem]:
    return [problem for problem in problems if problem.severity == "error"]
