"""Jupyter notebooks (``.ipynb``, nbformat 4): the code cells as one Python module, and back.

The code cells are joined, in order, into one *virtual module*, so that a model built in cell 2 and a loss
computed in cell 7 meet in the value analysis as they meet in the kernel. Every line of the module is a line
of a cell, so positions map back to ``(cell, line)`` without arithmetic on offsets:

* IPython syntax at the start of a logical line — line magics (``%matplotlib inline``), shell escapes
  (``!pip install …``, ``files = !ls``), help (``tf.nn?``) — is replaced by ``pass`` at the same indentation
  (a magic may be the only statement of a block), and its ``\\``-continuation lines by empty lines;
* a cell starting with a cell magic (``%%time``, ``%%bash`` …), and a cell whose editor language is not
  Python (VS Code's ``metadata.vscode.languageId``), contributes empty lines;
* markdown and raw cells contribute nothing (they are not part of the module).

Columns are unchanged (only whole lines are replaced), except in a cell whose lines all share an indentation:
IPython runs it dedented, so the module holds it dedented and its columns are shifted back. Line breaks are
``\\n`` in the module, whatever the cell held (CRLF inside a source only ends a line). Jupyter compiles each
cell alone, so a cell that ends inside a bracket or a string, or on a block header, is a syntax error of
that cell (``incomplete_cell``), not the start of a statement the next cell finishes. Cells are numbered
1-based among *all* cells, markdown included, as ruff does and as a notebook viewer counts them.

Writing back (``--fix``) replaces only the JSON tokens of the changed ``source`` values — of the changed
lines, when ``source`` is a list of lines — and checks that the result decodes to the same document apart
from those sources, so indentation, key order, outputs, metadata and the trailing newline stay byte for
byte (``wce_lint.notebook_json``).

Why the standard ``json`` module and a small token scanner rather than ``nbformat``: the checker's only
dependencies are LibCST and click, and the CLI must start fast. ``nbformat`` brings ``jsonschema``,
``fastjsonschema``, ``traitlets`` and ``jupyter_core``, validates far more than linting needs, and its
writer re-serialises the whole document (it would reorder keys and re-indent files written by other
tools). What linting needs is the JSON itself, the ``nbformat`` major version and the ``cells``' types and
sources, which this module checks with a clear message for each way they can be wrong. (The tests use
``nbformat`` to write notebooks the way Jupyter does.)
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Iterator

from wce_lint import notebook_json
from wce_lint.diagnostics import Diagnostic, Edit, Fix, Position, RelatedLocation
from wce_lint.source import UnreadableSource, split_lines

if TYPE_CHECKING:
    from wce_lint.fixes import FixResult
    from wce_lint.settings import Settings

_SKIP_FILE = re.compile(r"#\s*wce-lint\s*:\s*skip-file\b", re.IGNORECASE)
# IPython's escapes at the start of a logical line: %magic, %%cell magic, !shell, ?help (and ;, / autocall
# are left out: rare, and `/` would hide real syntax errors).
_ESCAPE = re.compile(r"[ \t]*[%!?]")
# `files = !ls`, `result = %timeit -o f()`: an assignment from a magic or a shell escape.
_ASSIGNED_ESCAPE = re.compile(r"[ \t]*[A-Za-z_][\w.,\[\] \t]*=[ \t]*[%!]")
_PYTHON_LANGUAGES = frozenset({"python", "python3", "ipython", "ipython3"})


class NotebookError(UnreadableSource):
    """The bytes are not a notebook this module can read; ``line`` is 1-based and ``column`` 0-based, in the
    JSON text (a problem with a cell names the cell in the message)."""


@dataclass(frozen=True)
class CodeCell:
    index: int  # 1-based among all cells
    source: str  # the cell's text: the JSON list of lines joined, or the string
    first_line: int  # the module line of its line 1
    lines: tuple[str, ...]  # its lines, without line breaks
    module_lines: tuple[str, ...]  # the same lines as the module holds them (IPython syntax replaced)
    replaced: frozenset[int] = frozenset()  # cell lines (1-based) not in the module as written (magics)
    open_at_end: bool = False  # the scan ended inside a bracket, a string or a continuation
    dedent: int = 0  # leading indentation IPython removes from every line of the cell (module column + this)


class Notebook:
    """A parsed notebook: the JSON text and document, its code cells and the module they form."""

    def __init__(self, text: str, document: dict[str, Any], cells: list[CodeCell], is_python: bool) -> None:
        self.text = text
        self.document = document
        self.cells = cells
        self.is_python = is_python
        self._by_index = {cell.index: cell for cell in cells}
        module_lines: list[str] = []
        self._line_to_cell: list[tuple[int, int]] = []  # module line - 1 → (cell, line in cell)
        for cell in cells:
            module_lines.extend(cell.module_lines)
            self._line_to_cell.extend((cell.index, number) for number in range(1, len(cell.lines) + 1))
        self.module = "".join(line + "\n" for line in module_lines)
        self._tokens: dict[int, notebook_json.SourceToken] | None = None

    # -- what the engine asks -------------------------------------------------------------------------
    @property
    def skips_file(self) -> bool:
        """``# wce-lint: skip-file`` anywhere in the first code cell."""
        return bool(self.cells) and _SKIP_FILE.search(self.cells[0].source) is not None

    def cell(self, index: int) -> CodeCell | None:
        return self._by_index.get(index)

    def incomplete_cell(self) -> tuple[CodeCell, str] | None:
        """A cell that is not complete code on its own (Jupyter compiles each cell alone), with CPython's
        reason; without this, the joined module could close in cell 4 a bracket opened in cell 3."""
        import ast

        for cell in self.cells:
            if not cell.open_at_end:
                continue
            text = "".join(line + "\n" for line in cell.module_lines)
            try:
                compile(text, "<cell>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
            except SyntaxError as error:
                return cell, error.msg
            except (ValueError, RecursionError, MemoryError):
                continue  # the engine's own checks word these
        return None

    def to_cells(self, diagnostic: Diagnostic) -> Diagnostic:
        """``diagnostic`` with module positions turned into cell positions (and line numbers quoted in its
        message turned into cells and lines); a fix that would touch a replaced magic line is dropped."""
        fix = diagnostic.fix
        if fix is not None:
            if any(self._touches_replaced(edit.start, edit.end) for edit in fix.edits):
                fix = None
            else:
                fix = replace(fix, edits=tuple(
                    Edit(self.position(edit.start), self.position(edit.end), edit.content) for edit in fix.edits
                ))
        return replace(
            diagnostic,
            message=self._quoted_lines(diagnostic.message),
            help=None if diagnostic.help is None else self._quoted_lines(diagnostic.help),
            start=self.position(diagnostic.start),
            end=self.position(diagnostic.end),
            fix=fix,
            related=tuple(self._related(step) for step in diagnostic.related),
        )

    def _related(self, step: RelatedLocation) -> RelatedLocation:
        if step.path is not None:  # a step in another module of the project: its own file's positions
            return replace(step, message=self._quoted_lines(step.message))
        return replace(
            step, message=self._quoted_lines(step.message), start=self.position(step.start), end=self.position(step.end)
        )

    def position(self, position: Position) -> Position:
        if not self._line_to_cell:
            return position
        if position.line > len(self._line_to_cell):  # past the last line (end of file): its end
            cell, line = self._line_to_cell[-1]
            return Position(line, len(self._by_index[cell].lines[line - 1]), cell)
        cell, line = self._line_to_cell[max(position.line, 1) - 1]
        return Position(line, position.column + self._by_index[cell].dedent, cell)

    def _touches_replaced(self, start: Position, end: Position) -> bool:
        for number in range(max(start.line, 1), min(end.line, len(self._line_to_cell)) + 1):
            cell, line = self._line_to_cell[number - 1]
            if line in self._by_index[cell].replaced:
                return True
        return False

    def _quoted_lines(self, text: str) -> str:
        def cell_line(match: re.Match[str]) -> str:
            number = int(match.group(1))
            if not 1 <= number <= len(self._line_to_cell):
                return match.group(0)
            cell, line = self._line_to_cell[number - 1]
            return f"cell {cell}, line {line}"

        return re.sub(r"\bline (\d+)\b", cell_line, text)

    # -- what the reporters ask, and writing back ---------------------------------------------------
    def json_position(self, position: Position) -> tuple[int, int] | None:
        """Where a cell position lies in the JSON text: (1-based line, 0-based column), or None."""
        cell = self._by_index.get(position.cell)
        token = self._source_tokens().get(position.cell)
        if cell is None or token is None:
            return None
        return notebook_json.text_position(self.text, token, cell.source, position.line, position.column)

    def with_sources(self, sources: dict[int, str]) -> str:
        """The JSON text with the ``source`` of each cell in ``sources`` replaced, nothing else changed."""
        return notebook_json.replace_sources(self.text, self._source_tokens(), sources)

    def _source_tokens(self) -> dict[int, notebook_json.SourceToken]:
        if self._tokens is None:
            self._tokens = notebook_json.scan_sources(self.text)
        return self._tokens


def _is_skipped_cell(lines: list[str]) -> bool:
    """A cell magic (``%%time``, ``%%bash`` …) on its first non-blank line: IPython hands the whole cell to
    the magic, so its body is not (necessarily) Python."""
    first = next((line for line in lines if line.strip()), "")
    return first.lstrip().startswith("%%")


# -- reading ---------------------------------------------------------------------------------------
def read_notebook(data: bytes) -> Notebook:
    """Parse a notebook's bytes; ``NotebookError`` says what is wrong (invalid JSON, not nbformat 4 …)."""
    if not data.strip():
        raise NotebookError("empty file: not a notebook (a notebook is a JSON object with `cells`)")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as error:
        line = data.count(b"\n", 0, error.start) + 1
        raise NotebookError(
            f"notebook is not valid UTF-8 (byte 0x{data[error.start]:02x} at offset {error.start})",
            line, error.start - (data.rfind(b"\n", 0, error.start) + 1),
        ) from None
    body = text[1:] if text.startswith("\ufeff") else text
    try:
        document = json.loads(body)
    except json.JSONDecodeError as error:
        raise NotebookError(f"invalid notebook JSON: {error.msg}", error.lineno, max(error.colno - 1, 0)) from None
    except RecursionError:
        raise NotebookError("invalid notebook JSON: nested too deeply") from None
    if not isinstance(document, dict):
        raise NotebookError(f"not a notebook: the JSON is {_kind(document)}, not an object with `cells`")
    version = document.get("nbformat")
    if "nbformat" not in document:
        raise NotebookError("not a notebook: no `nbformat` version (only nbformat 4 notebooks are read)")
    if type(version) is not int or version != 4:
        raise NotebookError(
            f"unsupported notebook format: nbformat {json.dumps(version)} (only nbformat 4 is read; "
            "opening and saving the notebook in a current Jupyter converts it)"
        )
    cells = document.get("cells")
    if not isinstance(cells, list):
        raise NotebookError(f"not a notebook: `cells` is {_kind(cells)}, not a list")
    code_cells: list[CodeCell] = []
    module_line = 1
    for index, cell in enumerate(cells, 1):
        if not isinstance(cell, dict):
            raise NotebookError(f"cell {index} is {_kind(cell)}, not an object")
        if cell.get("cell_type") != "code":
            continue
        source = _cell_source(cell, index)
        code_cell = _code_cell(index, source, module_line, _is_python_cell(cell))
        code_cells.append(code_cell)
        module_line += len(code_cell.lines)
    return Notebook(text, document, code_cells, _is_python_notebook(document))


def _kind(value: object) -> str:
    names = {dict: "an object", list: "a list", str: "a string", bool: "a boolean", type(None): "null"}
    return names.get(type(value), "a number")


def _cell_source(cell: dict[str, Any], index: int) -> str:
    source = cell.get("source", "")
    if isinstance(source, list) and all(isinstance(line, str) for line in source):
        source = "".join(source)
    elif not isinstance(source, str):
        raise NotebookError(f"cell {index}: `source` is {_kind(source)}, not a string or a list of strings")
    if "\x00" in source:
        raise NotebookError(f"cell {index}: the source contains a NUL character")
    try:
        source.encode("utf-8")
    except UnicodeEncodeError:
        raise NotebookError(f"cell {index}: the source contains an unpaired surrogate (\\ud800-\\udfff)") from None
    return source


def _is_python_notebook(document: dict[str, Any]) -> bool:
    metadata = document.get("metadata")
    if not isinstance(metadata, dict):
        return True
    for owner, key in (("language_info", "name"), ("kernelspec", "language")):
        info = metadata.get(owner)
        if isinstance(info, dict) and isinstance(info.get(key), str):
            return info[key].lower() in _PYTHON_LANGUAGES
    return True


def _is_python_cell(cell: dict[str, Any]) -> bool:
    metadata = cell.get("metadata")
    vscode = metadata.get("vscode") if isinstance(metadata, dict) else None
    language = vscode.get("languageId") if isinstance(vscode, dict) else None
    return not isinstance(language, str) or language.lower() in _PYTHON_LANGUAGES


def _code_cell(index: int, source: str, first_line: int, is_python: bool) -> CodeCell:
    lines = split_lines(source)
    if lines and lines[-1] == "":
        lines.pop()  # the break ending the last line does not start another
    if not is_python or _is_skipped_cell(lines):
        every = frozenset(range(1, len(lines) + 1))
        return CodeCell(index, source, first_line, tuple(lines), ("",) * len(lines), every)
    module_lines = list(lines)
    replaced: set[int] = set()
    scanner = _Scanner()
    continued_escape = False
    for number, line in enumerate(lines, 1):
        if continued_escape:  # a `\` continuation of IPython syntax: part of the escape
            replaced.add(number)
            module_lines[number - 1] = ""
            continued_escape = line.rstrip().endswith("\\")
        elif scanner.at_logical_start() and _is_ipython_line(line):
            # `pass` at the line's indentation: the escape may be the only statement of a block.
            replaced.add(number)
            indent = len(line) - len(line.lstrip(" \t"))
            module_lines[number - 1] = line[:indent] + "pass"
            continued_escape = line.rstrip().endswith("\\")
        else:
            # A light scan of brackets, strings and comments finds the logical lines: a `%` continuing an
            # expression in brackets is Python's modulo, not a magic.
            scanner.feed(line)
    # A hint (CPython decides): the cell ends inside a bracket, a string or a continuation, or its last code
    # line opens a block (`for step in steps:`) whose body would otherwise be read from the next cell.
    last_code = next((line for line in reversed(module_lines) if line.strip() and not line.lstrip().startswith("#")), "")
    open_at_end = continued_escape or not scanner.at_logical_start() or last_code.split("#")[0].rstrip().endswith(":")
    dedent = _leading_indent(lines)
    if dedent:
        module_lines = [line[dedent:] if line.strip() else "" for line in module_lines]
    return CodeCell(
        index, source, first_line, tuple(lines), tuple(module_lines), frozenset(replaced), open_at_end, dedent
    )


def _leading_indent(lines: list[str]) -> int:
    """How much indentation IPython strips from the cell: a cell whose first line is indented (code pasted
    from inside a function) runs dedented. Only when every non-blank line shares that indentation; else
    the module keeps it and CPython reports the error Jupyter would report too."""
    first = next((line for line in lines if line.strip()), "")
    prefix = first[: len(first) - len(first.lstrip(" \t"))]
    if not prefix or not all(line.startswith(prefix) for line in lines if line.strip()):
        return 0
    return len(prefix)


def _is_ipython_line(line: str) -> bool:
    if _ESCAPE.match(line) or _ASSIGNED_ESCAPE.match(line):
        return True
    stripped = line.strip()
    # `tf.nn.softmax?` / `model.fit??`: help; `?` is never Python outside strings and comments.
    return stripped.endswith("?") and "#" not in stripped and not stripped.startswith(("'", '"'))


class _Scanner:
    """Tracks bracket depth, open strings and backslash continuations line by line."""

    _STRING_START = re.compile(r"(?i)(?:[rbuf]{0,2})('''|\"\"\"|'|\")")

    def __init__(self) -> None:
        self.depth = 0
        self.quote: str | None = None  # the open string's delimiter
        self.backslash = False

    def at_logical_start(self) -> bool:
        return self.depth == 0 and self.quote is None and not self.backslash

    def feed(self, line: str) -> None:
        self.backslash = False
        position, length = 0, len(line)
        while position < length:
            if self.quote is not None:
                end = self._string_end(line, position)
                if end is None:
                    if len(self.quote) == 1 and not line.endswith("\\"):
                        self.quote = None  # an unterminated one-line string: CPython reports it, not us
                    return
                position, self.quote = end, None
                continue
            char = line[position]
            if char == "#":
                return
            if char in "([{":
                self.depth += 1
            elif char in ")]}":
                self.depth = max(self.depth - 1, 0)
            elif char == "\\" and position == length - 1:
                self.backslash = True
            elif char in "'\"" or char.isalpha():
                match = self._STRING_START.match(line, position)
                if match is not None and (position == 0 or not (line[position - 1].isalnum() or line[position - 1] == "_")):
                    self.quote = match.group(1)  # a backslash escapes a quote even in a raw string
                    position = match.end()
                    continue
                while position < length and (line[position].isalnum() or line[position] == "_"):
                    position += 1
                continue
            position += 1

    def _string_end(self, line: str, position: int) -> int | None:
        assert self.quote is not None
        while position < len(line):
            char = line[position]
            if char == "\\":
                position += 2
                continue
            if line.startswith(self.quote, position):
                return position + len(self.quote)
            position += 1
        return None


# -- fixing and diffing ----------------------------------------------------------------------------
def fix_notebook(data: bytes, path: str, settings: Settings, *, unsafe: bool) -> FixResult:
    """``fixes.fix_source`` for a notebook: each pass applies the fixes inside each cell's own source (a fix
    spanning cells is left alone) and writes only those sources back into the JSON."""
    from wce_lint.engine import lint_source
    from wce_lint.fixes import MAX_PASSES, FixResult, apply_edits, is_applicable, parses

    result = FixResult(data, data)
    linted = lint_source(data, path, settings)
    result.internal_errors, result.diagnostics = list(linted.internal_errors), linted.diagnostics
    for _ in range(MAX_PASSES):
        try:
            notebook = read_notebook(result.fixed)
        except NotebookError:
            break
        by_cell: dict[int, list[Fix]] = {}
        for diagnostic in result.diagnostics:
            fix = diagnostic.fix
            if not is_applicable(fix, unsafe):
                continue
            assert fix is not None
            cells = {edit.start.cell for edit in fix.edits} | {edit.end.cell for edit in fix.edits}
            if len(cells) == 1 and notebook.cell(next(iter(cells))) is not None:
                by_cell.setdefault(next(iter(cells)), []).append(fix)
        sources: dict[int, str] = {}
        applied = 0
        for index, fixes in by_cell.items():
            cell = notebook.cell(index)
            assert cell is not None
            text, count = apply_edits(cell.source, fixes)
            if text != cell.source:
                sources[index], applied = text, applied + count
        if not sources:
            break
        try:
            candidate = notebook.with_sources(sources).encode("utf-8")
        except AssertionError as error:
            result.internal_errors.append(f"{path}: fixes not written: {error}")
            break
        if not parses(read_notebook(candidate).module):
            break  # a fix that would not re-parse is never written; its finding stays reported
        relint = lint_source(candidate, path, settings)
        result.fixed, result.fixed_count = candidate, result.fixed_count + applied
        result.diagnostics, result.internal_errors = relint.diagnostics, list(relint.internal_errors)
    return result


def cell_diff(path: str, before: bytes, after: bytes) -> str:
    """A unified diff per changed code cell, headed ``a/nb.ipynb:cell 3`` / ``b/nb.ipynb:cell 3``."""
    import difflib

    old, new = read_notebook(before), read_notebook(after)
    parts: list[str] = []
    for cell in old.cells:
        changed = new.cell(cell.index)
        if changed is None or changed.source == cell.source:
            continue
        parts.extend(difflib.unified_diff(
            list(_display_lines(cell.source)), list(_display_lines(changed.source)),
            fromfile=f"a/{path}:cell {cell.index}", tofile=f"b/{path}:cell {cell.index}",
        ))
    return "".join(parts)


def _display_lines(source: str) -> Iterator[str]:
    for line in re.findall(r"[^\n]*\n|[^\n]+$", source):
        yield line if line.endswith("\n") else line + "\n"
