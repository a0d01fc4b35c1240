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
from libcst._nodes.internal import CodegenState
from libcst.metadata import CodeRange, MetadataWrapper, PositionProvider

# Unit (a statement in a statement list) -> (its first line, leading blank/comment lines included; the
# indentation tokens of the blocks around it).
Starts = dict[int, tuple[int, tuple[str, ...]]]
# id(node) -> (start line, start column, end line, end column)
Spans = dict[int, tuple[int, int, int, int]]

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
        self._units: dict[int, Spans] = {}
        self._top_level: dict[int, Spans] = {}
        self._top_level_lines: list[int] | None = None

    def range(self, node: cst.CSTNode, unit: cst.CSTNode, top: int) -> CodeRange:
        """The range of ``node``, which sits in ``unit``, itself in the top-level statement ``top``."""
        spans = self._units.get(id(unit))
        if spans is None:
            spans = self._units[id(unit)] = self._unit_spans(unit) or self._top_level_spans(top)
        start_line, start_column, end_line, end_column = spans[id(node)]
        return CodeRange((start_line, start_column), (end_line, end_column))

    # -- one unit, regenerated at its place ------------------------------------------------------
    def _unit_spans(self, unit: cst.CSTNode) -> Spans | None:
        start = self._start_of(unit)
        if start is None:
            return None
        line, indents = start
        state = _SpanState(self._module.default_indent, self._module.default_newline, list(indents), line)
        unit._codegen(state)
        if not self._matches_source(line, "".join(state.tokens)):
            return None
        return state.spans

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
    def _top_level_spans(self, index: int) -> Spans:
        cached = self._top_level.get(index)
        if cached is None:
            statement = self._module.body[index]
            alone = self._module.with_changes(body=[statement], header=[], footer=[])
            relative = MetadataWrapper(alone, unsafe_skip_copy=True).resolve(PositionProvider)
            offset = self._first_lines()[index] - 1
            cached = self._top_level[index] = {
                id(node): (span.start.line + offset, span.start.column, span.end.line + offset, span.end.column)
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


class _SpanState(CodegenState):
    """LibCST's code generator, noting where each node starts and ends: what ``PositionProvider`` records,
    kept as plain tuples keyed by ``id(node)`` (its dataclasses, its regex per token and its dict hashed
    through ``CSTNode.__hash__`` cost more than the code generation itself)."""

    def __init__(self, default_indent: str, default_newline: str, indents: list[str], line: int) -> None:
        super().__init__(default_indent=default_indent, default_newline=default_newline, indent_tokens=indents)
        self.line = line
        self.column = 0
        self.starts: list[tuple[int, int]] = []
        self.spans: Spans = {}

    def add_indent_tokens(self) -> None:
        self.tokens.extend(self.indent_tokens)
        for token in self.indent_tokens:  # indentation holds no line break
            self.column += len(token)

    def add_token(self, value: str) -> None:
        self.tokens.append(value)
        if "\n" in value or "\r" in value:
            segments = _LINE_BREAK.split(value)
            self.line += len(segments) - 1
            self.column = len(segments[-1])
        else:
            self.column += len(value)

    def before_codegen(self, node: cst.CSTNode) -> None:
        self.starts.append((self.line, self.column))

    def after_codegen(self, node: cst.CSTNode) -> None:
        line, column = self.starts.pop()
        key = id(node)
        if key not in self.spans:  # the syntactic range, when the node recorded one, wins
            self.spans[key] = (line, column, self.line, self.column)

    def record_syntactic_position(  # type: ignore[override]
        self, node: cst.CSTNode, *, start_node: cst.CSTNode | None = None, end_node: cst.CSTNode | None = None
    ) -> "_Syntactic":
        return _Syntactic(self, node, start_node, end_node)


class _Syntactic:
    """The range of a node without its surrounding whitespace (a context manager, as LibCST expects)."""

    __slots__ = ("state", "node", "start_node", "end_node", "line", "column")

    def __init__(self, state: _SpanState, node: cst.CSTNode, start_node: cst.CSTNode | None,
                 end_node: cst.CSTNode | None) -> None:
        self.state, self.node, self.start_node, self.end_node = state, node, start_node, end_node

    def __enter__(self) -> None:
        self.line, self.column = self.state.line, self.state.column

    def __exit__(self, *exception: object) -> None:
        spans = self.state.spans
        start = spans[id(self.start_node)][:2] if self.start_node is not None else (self.line, self.column)
        end = spans[id(self.end_node)][2:] if self.end_node is not None else (self.state.line, self.state.column)
        spans[id(self.node)] = (*start, *end)
