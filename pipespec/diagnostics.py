"""One diagnostic type for every stage: load, models, validation, target checks.

Printed the way compilers print (``file:12:5: error[PS201]: message`` then the hint), so
editors and CI annotate the right line.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import Enum

PathElem = str | int
FieldPath = tuple[PathElem, ...]


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"


@dataclass(frozen=True, order=True)
class Diagnostic:
    file: str
    line: int
    column: int
    severity: Severity = field(compare=False)
    code: str
    message: str
    path: FieldPath = field(default=(), compare=False)
    hint: str = field(default="", compare=False)
    target: str = field(default="", compare=False)

    @property
    def is_error(self) -> bool:
        return self.severity is Severity.ERROR

    @property
    def dotted_path(self) -> str:
        return format_path(self.path)

    def format(self) -> str:
        where = f"{self.file}:{self.line}:{self.column}" if self.line else self.file
        at = f" (at {self.dotted_path})" if self.path else ""
        text = f"{where}: {self.severity.value}[{self.code}]: {self.message}{at}"
        if self.hint:
            text += f"\n  hint: {self.hint}"
        return text

    def as_dict(self) -> dict[str, object]:
        return {
            "file": self.file,
            "line": self.line,
            "column": self.column,
            "severity": self.severity.value,
            "code": self.code,
            "message": self.message,
            "path": self.dotted_path,
            "hint": self.hint,
            "target": self.target,
        }


def format_path(path: Sequence[PathElem]) -> str:
    out = ""
    for elem in path:
        if isinstance(elem, int):
            out += f"[{elem}]"
        else:
            out += ("." if out else "") + elem
    return out


def sort_diagnostics(diags: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Stable, reading-order sort: by file, line, column, then code and message."""
    return sorted(set(diags), key=lambda d: (d.file, d.line, d.column, d.code, d.message))


def has_errors(diags: Iterable[Diagnostic]) -> bool:
    return any(d.is_error for d in diags)


class SpecError(Exception):
    """Raised where a stage cannot continue; carries every diagnostic found so far."""

    def __init__(self, diagnostics: Sequence[Diagnostic]) -> None:
        self.diagnostics = sort_diagnostics(diagnostics)
        super().__init__("\n".join(d.format() for d in self.diagnostics))
