"""Problems are data: every stage returns them instead of raising, the CLI prints them once.

A `Problem` names the file and line an editor has to open, says what is wrong in Chinese (naming
the English key), and carries a hint on how to fix it.
"""
from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterable

ERROR = "error"
WARNING = "warning"


@dataclass(frozen=True, order=True)
class Problem:
    path: str
    line: int
    message: str
    hint: str = ""
    severity: str = ERROR
    col: int = 0

    @property
    def is_error(self) -> bool:
        return self.severity == ERROR

    def format(self) -> str:
        label = "错误 error" if self.is_error else "警告 warning"
        text = f"{self.path}:{self.line}: {label}: {self.message}"
        if self.hint:
            text += f"\n    提示 hint: {self.hint}"
        return text


def error(path: str, line: int, message: str, hint: str = "") -> Problem:
    return Problem(path, max(1, line), message, hint, ERROR)


def warning(path: str, line: int, message: str, hint: str = "") -> Problem:
    return Problem(path, max(1, line), message, hint, WARNING)


LEFT_OUT = {
    "draft": "草稿，这次构建不发布它 (draft: left out of this build)",
    "scheduled": "定时文章，这次构建不发布它 (scheduled: left out of this build)",
}


def left_out(problems: Iterable[Problem], why: str) -> list[Problem]:
    """The problems of an article this build does not publish (why: "draft" or "scheduled"), as
    warnings: a colleague's unfinished draft never stops the others from publishing. `check` and
    previews (--drafts, --future) publish it, and then they are errors again."""
    return [replace(p, severity=WARNING, message=f"{p.message}（{LEFT_OUT[why]}）") if p.is_error else p
            for p in problems]


def sort_problems(problems: Iterable[Problem]) -> tuple[Problem, ...]:
    return tuple(sorted(set(problems), key=lambda p: (p.path, p.line, p.col, p.severity, p.message)))


def has_errors(problems: Iterable[Problem]) -> bool:
    return any(p.is_error for p in problems)


class BuildFailed(Exception):
    """Raised by the pipeline when problems with severity error were found."""

    def __init__(self, problems: Iterable[Problem]):
        self.problems = sort_problems(problems)
        super().__init__(f"{sum(p.is_error for p in self.problems)} problem(s)")
