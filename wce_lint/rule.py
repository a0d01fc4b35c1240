"""What a rule is: its identity, its documentation and its check.

Each module under ``wce_lint/rules/`` builds one ``Rule`` whose ``doc`` is the module docstring, so
``wce-lint rule CODE`` prints the text that sits beside the logic.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Callable, Iterable

from wce_lint.diagnostics import Applicability, Fix, Severity

if TYPE_CHECKING:
    # Only for annotations: importing LibCST costs ~250 ms, which a cached run or `--version` must not pay.
    import libcst as cst

    from wce_lint.analysis.module import ModuleContext


@dataclass(frozen=True)
class TraceStep:
    """Where a value came from, shown under the finding (``full``) or as a related location."""

    message: str
    node: cst.CSTNode


@dataclass(frozen=True)
class Finding:
    """A rule's verdict on one node; the engine turns it into a ``Diagnostic``."""

    node: cst.CSTNode
    message: str
    help: str | None = None
    fix: Fix | None = None
    trace: tuple[TraceStep, ...] = ()
    severity: Severity | None = None  # None: the rule's default


@dataclass(frozen=True)
class Rule:
    code: str
    name: str
    summary: str
    doc: str
    check: Callable[["ModuleContext"], Iterable[Finding]]
    # Byte strings of which at least one must occur in a file for this rule to possibly fire there.
    triggers: tuple[bytes, ...] = ()
    # When not empty, the file must also import one of these modules: a line holding the word `import` or
    # `from` followed by one of them (`import torch`, `from tensorflow import keras`, `import os, numpy`).
    requires: tuple[bytes, ...] = ()
    preview: bool = False
    severity: Severity = Severity.ERROR
    fix_applicability: Applicability | None = None
    url: str = field(default="")

    def __post_init__(self) -> None:
        if not self.url:
            object.__setattr__(
                self, "url", f"https://github.com/wce-lint/wce-lint/blob/main/docs/rules.md#{self.code.lower()}"
            )
