"""What every output format shares: the renderer signature, the source cache and the finding order."""

from __future__ import annotations

import os
import re
import stat
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Iterable, Protocol, Sequence, TextIO

from wce_lint.diagnostics import Applicability, Diagnostic, Position

if TYPE_CHECKING:
    from wce_lint.notebook import Notebook
    from wce_lint.settings import Settings

# Python ends a line at \n, \r\n or \r only; str.splitlines() also splits on \f, \v, \x1c… and U+2028,
# which would shift every line number after such a character.
_LINE_BREAK = re.compile(r"\r\n|\r|\n")


class SourceLines:
    """The text of the files being reported on, read once per file, for formats that quote source lines.

    ``overrides`` supplies text that is not on disk (standard input, under its display name). A notebook's
    lines are those of its cells (``line(path, number, cell)``).
    """

    def __init__(self, overrides: dict[str, str] | None = None) -> None:
        self._overrides = dict(overrides or {})
        self._cache: dict[str, list[str] | None] = {
            path: _LINE_BREAK.split(text) for path, text in self._overrides.items()
        }
        self._notebooks: dict[str, Notebook | None] = {}

    def lines(self, path: str) -> list[str] | None:
        """The file's lines without their line breaks, or None when it cannot be read or decoded."""
        if path not in self._cache:
            self._cache[path] = self._read(path)
        return self._cache[path]

    def line(self, path: str, number: int, cell: int = 0) -> str | None:
        """Line ``number`` (1-based) of the file, or of a notebook's ``cell``; None when it does not exist."""
        if cell:
            notebook = self.notebook(path)
            code_cell = notebook.cell(cell) if notebook is not None else None
            lines: Sequence[str] | None = code_cell.lines if code_cell is not None else None
        else:
            lines = self.lines(path)
        if lines is None or not 1 <= number <= len(lines):
            return None
        return lines[number - 1]

    def notebook(self, path: str) -> Notebook | None:
        """The notebook at ``path`` (for cell lines and for positions in its JSON), or None if unreadable."""
        if path not in self._notebooks:
            from wce_lint.notebook import NotebookError, read_notebook

            try:
                if path in self._overrides:
                    data = self._overrides[path].encode("utf-8", "surrogateescape")
                elif not stat.S_ISREG(os.stat(path).st_mode):
                    raise OSError("not a regular file")
                else:
                    data = Path(path).read_bytes()
                self._notebooks[path] = read_notebook(data)
            except (OSError, NotebookError):
                self._notebooks[path] = None
        return self._notebooks[path]

    @staticmethod
    def _read(path: str) -> list[str] | None:
        from wce_lint.source import UnreadableSource, decode

        try:
            if not stat.S_ISREG(os.stat(path).st_mode):
                return None  # opening a FIFO would block until a writer comes: never quote one
            data = Path(path).read_bytes()
            return _LINE_BREAK.split(decode(data).text)
        except (OSError, UnreadableSource):
            # WCE000 for an undecodable file: there is no honest text to quote.
            return None


class Renderer(Protocol):
    def __call__(
        self,
        diagnostics: Sequence[Diagnostic],
        out: TextIO,
        *,
        sources: SourceLines,
        settings: "Settings | None" = None,
    ) -> None: ...


@dataclass(frozen=True)
class OutputFormat:
    name: str
    render: Renderer
    # A machine-readable format owns stdout entirely: no summary line, no statistics table beside it.
    machine_readable: bool


def ordered(diagnostics: Iterable[Diagnostic]) -> list[Diagnostic]:
    """Findings in the documented order (path, line, column, code), ties broken so output is stable."""
    return sorted(
        diagnostics,
        key=lambda d: (*d.sort_key(), d.end.line, d.end.column, d.message),
    )


def is_safe_fix(diagnostic: Diagnostic) -> bool:
    """Ruff marks a finding ``[*]`` only when its fix can be applied without review."""
    return diagnostic.fix is not None and diagnostic.fix.applicability == Applicability.SAFE


def location(path: str, position: Position) -> str:
    """``path:line:col``, or ``path:cell 3:line:col`` in a notebook (ruff's spelling), with a 1-based column."""
    cell = f"cell {position.cell}:" if position.cell else ""
    return f"{path}:{cell}{position.line}:{position.display_column}"


def header(diagnostic: Diagnostic) -> str:
    """``path:line:col: CODE [*] message`` with a 1-based column: the line editors and CI logs parse."""
    marker = " [*]" if is_safe_fix(diagnostic) else ""
    return f"{location(diagnostic.path, diagnostic.start)}: {diagnostic.code}{marker} {diagnostic.message}"
