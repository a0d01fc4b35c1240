"""Plain data carried from the rules to the reporters.

Positions follow LibCST inside the program: ``line`` is 1-based and ``column`` is 0-based. Reporters
convert the column to 1-based exactly once (``Position.display_column``), for every output format.
In a notebook, ``cell`` is the cell's 1-based number and ``line`` the line inside that cell; elsewhere it
is 0.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import Enum


class Severity(str, Enum):
    ERROR = "error"
    WARNING = "warning"


class Applicability(str, Enum):
    SAFE = "safe"
    UNSAFE = "unsafe"


@dataclass(frozen=True)
class Position:
    line: int
    column: int  # 0-based, as LibCST reports it
    cell: int = 0  # a notebook's cell (1-based), 0 outside notebooks

    @property
    def display_column(self) -> int:
        return self.column + 1

    # Ordered by cell first: line 1 of cell 3 comes after line 9 of cell 2.
    def _key(self) -> tuple[int, int, int]:
        return (self.cell, self.line, self.column)

    def __lt__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return self._key() < other._key()

    def __le__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return self._key() <= other._key()

    def __gt__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return self._key() > other._key()

    def __ge__(self, other: object) -> bool:
        if not isinstance(other, Position):
            return NotImplemented
        return self._key() >= other._key()


@dataclass(frozen=True)
class Edit:
    """Replace the source between ``start`` and ``end`` with ``content``."""

    start: Position
    end: Position
    content: str


@dataclass(frozen=True)
class Fix:
    message: str
    edits: tuple[Edit, ...]
    applicability: Applicability = Applicability.UNSAFE


@dataclass(frozen=True)
class RelatedLocation:
    """A step of a finding's trace, e.g. where the probabilities were produced."""

    message: str
    start: Position
    end: Position
    path: str | None = None  # another file of the project; None: the finding's own file


@dataclass(frozen=True)
class Diagnostic:
    code: str
    rule: str
    message: str
    path: str
    start: Position
    end: Position
    severity: Severity = Severity.ERROR
    help: str | None = None
    fix: Fix | None = None
    related: tuple[RelatedLocation, ...] = field(default_factory=tuple)

    def sort_key(self) -> tuple[str, int, int, int, str]:
        return (self.path, self.start.cell, self.start.line, self.start.column, self.code)
