"""Line and column of nodes, computed for one statement at a time and only when a finding needs them.

LibCST nodes carry no positions: its ``PositionProvider`` regenerates the code of the whole module to count
lines, which costs about a third of the parse. A finding only needs the statement it sits in, so we
regenerate just that statement (the innermost one in a statement list), starting from its first line and
with the indentation of the blocks around it. CPython's AST, which the engine builds anyway to refuse code
nested too deeply for LibCST, gives each statement's line: statements appear in the same order in both
trees. The regenerated text must equal the source at that line, or we fall back to LibCST's own provider
on the enclosing top-level statement, so a mismatch costs time, never a wrong position.
"""

from __future__ import annotations

import ast
import re
from typing import Iterable, Iterator

import libcst as cst
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider
from libcst.metadata.position_provider import PositionProvidingCodegenState

# Unit (a statement in a statement list) -> (its first line, leading blank/comment lines included; the
# indentation tokens of the blocks around it).
Starts = dict[int, tuple[int, tuple[str, ...]]]

_LINE_BREAK = re.compile(r"\r\n|\r|\n")


def statement_starts(module: cst.Module, tree: ast.Module) -> Starts:
    """Where every statement of a statement list starts, from CPython's AST of the same text. Raises
    ``ValueError`` when the two trees disagree (code newer than this interpreter is parsed by LibCST only)."""
    starts: Starts = {}
    _statements(module.body, tree.body, (), module.default_indent, starts)
    return starts


def _statements(
    statements: Iterable[cst.BaseStatement], nodes: list[ast.stmt], indents: tuple[str, ...], default: str,
    starts: Starts,
) -> None:
    remaining = iter(nodes)
    for statement in statements:
        node = _next(remaining)
        if isinstance(statement, cst.SimpleStatementLine):
            for _ in statement.body[1:]:  # `a = 1; b = 2` is one line, two AST statements
                _next(remaining)
            first = node.lineno
        else:
            first = node.lineno
            decorators = getattr(statement, "decorators", ())
            if decorators:
                first = min(d.lineno for d in node.decorator_list) - len(decorators[0].leading_lines)
            _bodies(statement, node, indents, default, starts)
        starts[id(statement)] = (first - len(statement.leading_lines), indents)
    if next(remaining, None) is not None:
        raise ValueError("more AST statements than LibCST statements")


def _next(nodes: Iterator[ast.stmt]) -> ast.stmt:
    node = next(nodes, None)
    if node is None:
        raise ValueError("more LibCST statements than AST statements")
    return node


def _bodies(statement: cst.BaseStatement, node: ast.stmt, indents: tuple[str, ...], default: str,
            starts: Starts) -> None:
    """Pair the statement lists inside a compound statement with the AST's."""
    pairs: list[tuple[cst.BaseSuite, list[ast.stmt]]] = []
    if isinstance(statement, cst.Match):  # the cases are indented by the match statement itself
        indents = (*indents, default if statement.indent is None else statement.indent)
    if isinstance(statement, cst.If):
        while True:
            pairs.append((statement.body, node.body))  # type: ignore[attr-defined]
            orelse = statement.orelse
            if isinstance(orelse, cst.If):  # elif: the AST nests it as the only statement of `orelse`
                statement, node = orelse, node.orelse[0]  # type: ignore[attr-defined]
                continue
            if orelse is not None:
                pairs.append((orelse.body, node.orelse))  # type: ignore[attr-defined]
            break
    elif isinstance(statement, (cst.For, cst.While)):
        pairs.append((statement.body, node.body))  # type: ignore[attr-defined]
        if statement.orelse is not None:
            pairs.append((statement.orelse.body, node.orelse))  # type: ignore[attr-defined]
    elif isinstance(statement, (cst.Try, cst.TryStar)):
        pairs.append((statement.body, node.body))  # type: ignore[attr-defined]
        handlers = node.handlers  # type: ignore[attr-defined]
        if len(handlers) != len(statement.handlers):
            raise ValueError("handlers differ")
        pairs.extend((handler.body, ast_handler.body) for handler, ast_handler in zip(statement.handlers, handlers))
        if statement.orelse is not None:
            pairs.append((statement.orelse.body, node.orelse))  # type: ignore[attr-defined]
        if statement.finalbody is not None:
            pairs.append((statement.finalbody.body, node.finalbody))  # type: ignore[attr-defined]
    elif isinstance(statement, cst.Match):
        cases = node.cases  # type: ignore[attr-defined]
        if len(cases) != len(statement.cases):
            raise ValueError("cases differ")
        pairs.extend((case.body, ast_case.body) for case, ast_case in zip(statement.cases, cases))
    elif isinstance(statement, (cst.With, cst.FunctionDef, cst.ClassDef)):
        pairs.append((statement.body, node.body))  # type: ignore[attr-defined]
    else:
        raise ValueError(f"unexpected statement {type(statement).__name__}")
    for suite, nodes in pairs:
        if isinstance(suite, cst.IndentedBlock):
            inner = (*indents, default if suite.indent is None else suite.indent)
            _statements(suite.body, nodes, inner, default, starts)
        # A SimpleStatementSuite (`if x: y`) holds no statement list of its own: its unit is the compound.


class Positions:
    """Positions of the nodes of one module, one unit (statement of a statement list) at a time."""

    def __init__(self, module: cst.Module, text: str, tree: ast.Module | None) -> None:
        self._module = module
        self._text = text
        self._tree = tree
        self._starts: Starts | None = None
        self._line_offsets: list[int] | None = None
        self._units: dict[int, dict[cst.CSTNode, CodeRange]] = {}
        self._top_level: dict[int, dict[cst.CSTNode, CodeRange]] = {}
        self._top_level_lines: list[int] | None = None

    def range(self, node: cst.CSTNode, unit: cst.CSTNode, top: int) -> CodeRange:
        """The range of ``node``, which sits in ``unit``, itself in the top-level statement ``top``."""
        positions = self._units.get(id(unit))
        if positions is None:
            positions = self._units[id(unit)] = self._unit_positions(unit) or self._top_level_positions(top)
        return positions[node]

    # -- one unit, regenerated at its place ------------------------------------------------------
    def _unit_positions(self, unit: cst.CSTNode) -> dict[cst.CSTNode, CodeRange] | None:
        start = self._start_of(unit)
        if start is None:
            return None
        line, indents = start
        provider = PositionProvider()
        state = PositionProvidingCodegenState(
            default_indent=self._module.default_indent,
            default_newline=self._module.default_newline,
            provider=provider,
            indent_tokens=list(indents),
            line=line,
        )
        unit._codegen(state)
        if not self._matches_source(line, "".join(state.tokens)):
            return None
        return provider._computed

    def _start_of(self, unit: cst.CSTNode) -> tuple[int, tuple[str, ...]] | None:
        if self._starts is None:
            self._starts = {}
            if self._tree is not None:
                try:
                    self._starts = statement_starts(self._module, self._tree)
                except (ValueError, AttributeError, IndexError, RecursionError):
                    pass  # the trees disagree: every unit falls back to its top-level statement
        return self._starts.get(id(unit))

    def _matches_source(self, line: int, generated: str) -> bool:
        if self._line_offsets is None:
            self._line_offsets = [0, *(match.end() for match in _LINE_BREAK.finditer(self._text))]
        if not 1 <= line <= len(self._line_offsets):
            return False
        offset = self._line_offsets[line - 1]
        if self._text.startswith(generated, offset):
            return True
        # The last statement of a file without a final newline: LibCST drops that newline at module level.
        rest = self._text[offset:]
        return generated.startswith(rest) and generated[len(rest):] in ("\n", "\r\n", "\r")

    # -- fallback: LibCST's provider on the whole top-level statement -------------------------------
    def _top_level_positions(self, index: int) -> dict[cst.CSTNode, CodeRange]:
        cached = self._top_level.get(index)
        if cached is None:
            statement = self._module.body[index]
            alone = self._module.with_changes(body=[statement], header=[], footer=[])
            relative = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
            offset = self._first_lines()[index] - 1
            cached = self._top_level[index] = {
                node: CodeRange(
                    (span.start.line + offset, span.start.column), (span.end.line + offset, span.end.column)
                )
                for node, span in relative.items()
            }
        return cached

    def _first_lines(self) -> list[int]:
        """The first line (leading blank/comment lines included) of each top-level statement, by codegen."""
        if self._top_level_lines is None:
            line = 1 + len(self._module.header)
            self._top_level_lines = []
            for statement in self._module.body:
                self._top_level_lines.append(line)
                line += len(_LINE_BREAK.split(self._module.code_for_node(statement))) - 1
        return self._top_level_lines
