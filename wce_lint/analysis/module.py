"""One traversal of a parsed module, recording what every rule needs: imports, calls, definitions per
scope (in program order, with the branches they sit in), functions, classes and ``self.x`` assignments.

Rules never walk the tree themselves; they ask this object, and ``dataflow``/``provenance``/``values``
built on it.
"""

from __future__ import annotations

import ast
import itertools
from dataclasses import dataclass, field
from functools import cached_property
from typing import TYPE_CHECKING, Iterator, Union

import libcst as cst
from libcst.metadata import CodeRange

from wce_lint.analysis.names import ImportTable, dotted_name
from wce_lint.analysis.positions import Positions
from wce_lint.analysis.walk import LEAF_TYPES, children
from wce_lint.source import split_lines

if TYPE_CHECKING:
    from pathlib import Path

    from wce_lint.analysis.project import ProjectIndex

Scope = Union[cst.Module, cst.FunctionDef, cst.ClassDef, cst.Lambda]

# A block is identified by the compound statement that owns it and which of its bodies it is.
Block = tuple[int, str]


@dataclass(frozen=True)
class StatementInfo:
    """Where a statement sits: its scope, its position in program order and the blocks enclosing it."""

    node: cst.CSTNode
    scope: Scope
    order: int
    blocks: tuple[Block, ...]
    top: int  # index of the enclosing top-level statement in module.body
    unit: cst.CSTNode  # the innermost statement of a statement list holding it (positions are computed per unit)
    # Enclosing loops as (loop id, [first order, last order]); the list is completed when the loop ends.
    loops: tuple[tuple[int, list[int]], ...]


@dataclass(frozen=True)
class Definition:
    """A binding of ``name``. ``value`` is None when the bound value cannot be followed (loop targets,
    ``with … as``, tuple unpacking …); ``augmented`` holds the ``AugAssign`` for ``x += …``."""

    name: str
    statement: StatementInfo
    value: cst.BaseExpression | None
    target: cst.CSTNode
    augmented: cst.AugAssign | None = None
    # `a, b = f(x)`: ``value`` stays None (the name is not bound to the whole right-hand side) and
    # ``unpacked`` holds (right-hand side, index path): ``b`` is element 1 of ``f(x)``. Only the value
    # analysis (provenance) follows it; a starred target has no path.
    unpacked: tuple[cst.BaseExpression, tuple[int, ...]] | None = None


@dataclass(frozen=True)
class CallSite:
    node: cst.Call
    statement: StatementInfo


@dataclass
class FunctionInfo:
    node: cst.FunctionDef | cst.Lambda
    returns: list[tuple[cst.BaseExpression, StatementInfo]] = field(default_factory=list)
    name: str = "<lambda>"  # the def's name, or the name a lambda is assigned to (`bce = lambda p, y: …`)


@dataclass
class ClassInfo:
    node: cst.ClassDef
    methods: dict[str, FunctionInfo] = field(default_factory=dict)
    # `self.head = Dense(...)` inside any method: attribute → [(value, statement)]
    attributes: dict[str, list[tuple[cst.BaseExpression, StatementInfo]]] = field(default_factory=dict)
    # `self.prob, self.v = self._build()`: attribute → [(right-hand side, statement, index path)]
    unpacked_attributes: dict[str, list[tuple[cst.BaseExpression, StatementInfo, tuple[int, ...]]]] = field(
        default_factory=dict)


class _Collector:
    """Walks statements explicitly (to know scopes, branches and loops) and expressions generically."""

    def __init__(self, module: cst.Module) -> None:
        self.imports = ImportTable()
        self.calls: list[CallSite] = []
        self.definitions: dict[tuple[int, str], list[Definition]] = {}
        self.functions: dict[int, FunctionInfo] = {}
        self.module_functions: dict[str, FunctionInfo] = {}
        self.classes: dict[str, ClassInfo] = {}
        self.scope_parent: dict[int, Scope] = {}
        self.statement_of_node: dict[int, StatementInfo] = {}
        self._order = itertools.count()
        self._top = 0
        self._unit: cst.CSTNode = module
        for index, statement in enumerate(module.body):
            self._top = index
            self._unit_statement(statement, _Frame(module, None, None, (), ()))

    # -- statements -------------------------------------------------------------------------
    def _info(self, node: cst.CSTNode, frame: "_Frame") -> StatementInfo:
        info = StatementInfo(node, frame.scope, next(self._order), frame.blocks, self._top, self._unit, frame.loops)
        self.statement_of_node[id(node)] = info
        return info

    def _suite(self, suite: cst.BaseSuite, frame: "_Frame") -> None:
        if isinstance(suite, cst.SimpleStatementSuite):
            info = self._info(suite, frame)
            for small in suite.body:
                self._small(small, info, frame)
            return
        for statement in suite.body:  # IndentedBlock
            self._unit_statement(statement, frame)

    def _unit_statement(self, node: cst.BaseStatement, frame: "_Frame") -> None:
        outer, self._unit = self._unit, node
        self._statement(node, frame)
        self._unit = outer

    def _statement(self, node: cst.BaseStatement, frame: "_Frame") -> None:
        if isinstance(node, cst.SimpleStatementLine):
            info = self._info(node, frame)
            for small in node.body:
                self._small(small, info, frame)
        elif isinstance(node, cst.If):
            info = self._info(node, frame)
            self._expression(node.test, info)
            self._suite(node.body, frame.enter((id(node), "body")))
            if node.orelse is not None:
                inner = frame.enter((id(node), "else"))
                if isinstance(node.orelse, cst.If):
                    self._statement(node.orelse, inner)
                else:
                    self._suite(node.orelse.body, inner)
        elif isinstance(node, (cst.For, cst.While)):
            info = self._info(node, frame)
            if isinstance(node, cst.For):
                self._expression(node.iter, info)
                self._define_targets(node.target, None, info)
            else:
                self._expression(node.test, info)
            first = info.order
            body_frame = frame.enter((id(node), "body"))
            loop_marker: list[int] = [first, first]
            body_frame = body_frame.with_loop(id(node), loop_marker)
            self._suite(node.body, body_frame)
            loop_marker[1] = next(self._order)
            if node.orelse is not None:
                self._suite(node.orelse.body, frame.enter((id(node), "else")))
        elif isinstance(node, (cst.Try, cst.TryStar)):
            self._info(node, frame)
            self._suite(node.body, frame)
            for handler in node.handlers:
                inner = frame.enter((id(handler), "except"))
                info = self._info(handler, inner)
                if handler.type is not None:
                    self._expression(handler.type, info)
                if handler.name is not None:
                    self._define_targets(handler.name.name, None, info)
                self._suite(handler.body, inner)
            if node.orelse is not None:
                self._suite(node.orelse.body, frame.enter((id(node), "else")))
            if node.finalbody is not None:
                self._suite(node.finalbody.body, frame)
        elif isinstance(node, cst.With):
            info = self._info(node, frame)
            for item in node.items:
                self._expression(item.item, info)
                if item.asname is not None:
                    self._define_targets(item.asname.name, None, info)
            self._suite(node.body, frame)
        elif isinstance(node, cst.FunctionDef):
            self._function(node, frame)
        elif isinstance(node, cst.ClassDef):
            self._class(node, frame)
        elif isinstance(node, cst.Match):
            info = self._info(node, frame)
            self._expression(node.subject, info)
            for case in node.cases:
                inner = frame.enter((id(case), "case"))
                case_info = self._info(case, inner)
                self._expression(case.pattern, case_info)
                if case.guard is not None:
                    self._expression(case.guard, case_info)
                self._suite(case.body, inner)

    def _function(self, node: cst.FunctionDef, frame: "_Frame") -> None:
        info = self._info(node, frame)
        for decorator in node.decorators:
            self._expression(decorator.decorator, info)
        self._expression(node.params, info)
        self._define(node.name.value, None, node, info)
        function = FunctionInfo(node, name=node.name.value)
        self.functions[id(node)] = function
        if isinstance(frame.scope, cst.Module):
            self.module_functions[node.name.value] = function
        elif frame.owner is not None and frame.scope is frame.owner.node:
            frame.owner.methods[node.name.value] = function
        self.scope_parent[id(node)] = frame.scope
        inner = _Frame(node, frame.owner, function, (), ())
        for param in _parameters(node.params):
            self._define(param.name.value, None, param, self._info(param, inner))
        self._suite(node.body, inner)

    def _class(self, node: cst.ClassDef, frame: "_Frame") -> None:
        info = self._info(node, frame)
        for decorator in node.decorators:
            self._expression(decorator.decorator, info)
        for base in (*node.bases, *node.keywords):
            self._expression(base.value, info)
        self._define(node.name.value, None, node, info)
        owner = ClassInfo(node)
        if isinstance(frame.scope, cst.Module):
            self.classes[node.name.value] = owner
        self.scope_parent[id(node)] = frame.scope
        self._suite(node.body, _Frame(node, owner, None, (), ()))

    def _small(self, node: cst.BaseSmallStatement, info: StatementInfo, frame: "_Frame") -> None:
        self.statement_of_node[id(node)] = info
        if isinstance(node, cst.Assign):
            self._expression(node.value, info)
            for target in node.targets:
                self._expression(target.target, info)
                self._define_targets(target.target, node.value, info, frame)
        elif isinstance(node, cst.AnnAssign):
            if node.value is not None:
                self._expression(node.value, info)
                self._define_targets(node.target, node.value, info, frame)
            self._expression(node.target, info)
        elif isinstance(node, cst.AugAssign):
            self._expression(node.value, info)
            self._expression(node.target, info)
            if isinstance(node.target, cst.Name):
                self._define(node.target.value, None, node.target, info, augmented=node)
        elif isinstance(node, cst.Return):
            if node.value is not None:
                self._expression(node.value, info)
                if frame.function is not None:
                    frame.function.returns.append((node.value, info))
        elif isinstance(node, (cst.Import, cst.ImportFrom)):
            self.imports.add(node)
            self._define_imported(node, info)
        elif isinstance(node, (cst.Global, cst.Nonlocal)):
            for item in node.names:
                self._define(item.name.value, None, item, info)
        elif isinstance(node, cst.Del):
            self._define_targets(node.target, None, info)
        else:
            self._expression(node, info)

    # -- expressions ------------------------------------------------------------------------
    def _expression(self, node: cst.CSTNode, info: StatementInfo) -> None:
        # The hottest loop of the analysis (every expression node of the file): types compared directly.
        index = self.statement_of_node
        calls = self.calls
        leaves = LEAF_TYPES
        stack = [node]
        pop, extend = stack.pop, stack.extend
        while stack:
            current = pop()
            index[id(current)] = info
            kind = type(current)
            if kind is cst.Call:
                calls.append(CallSite(current, info))
            elif kind is cst.NamedExpr and type(current.target) is cst.Name:
                self._define(current.target.value, current.value, current.target, info)
            elif kind is cst.CompFor:
                self._define_targets(current.target, None, info)
            elif kind is cst.Lambda:
                self._lambda(current, info)
                continue
            elif kind in leaves:
                continue
            extend(reversed(children(current)))

    def _lambda(self, node: cst.Lambda, info: StatementInfo) -> None:
        """A lambda is a scope of its own: its parameters shadow the names around it (``lambda p, y: …`` with
        a ``p`` outside), while its defaults are read where it is written."""
        parameters = list(_parameters(node.params))
        for param in parameters:
            if param.default is not None:
                self._expression(param.default, info)
        self.scope_parent[id(node)] = info.scope
        for param in parameters:
            inner = StatementInfo(param, node, next(self._order), (), info.top, info.unit, ())
            self.statement_of_node[id(param)] = inner
            self._define(param.name.value, None, param, inner)
        body = StatementInfo(node.body, node, next(self._order), (), info.top, info.unit, ())
        self._expression(node.body, body)
        self.functions[id(node)] = FunctionInfo(node, [(node.body, body)])  # what it returns: its body

    # -- bindings ---------------------------------------------------------------------------
    def _define(self, name: str, value: cst.BaseExpression | None, target: cst.CSTNode,
                info: StatementInfo, augmented: cst.AugAssign | None = None,
                unpacked: tuple[cst.BaseExpression, tuple[int, ...]] | None = None) -> None:
        self.definitions.setdefault((id(info.scope), name), []).append(
            Definition(name, info, value, target, augmented, unpacked)
        )

    def _define_targets(self, target: cst.BaseExpression, value: cst.BaseExpression | None,
                        info: StatementInfo, frame: "_Frame | None" = None,
                        unpacked: tuple[cst.BaseExpression, tuple[int, ...]] | None = None) -> None:
        if isinstance(target, cst.Name):
            self._define(target.value, value, target, info, unpacked=unpacked)
            if isinstance(value, cst.Lambda) and id(value) in self.functions:
                self.functions[id(value)].name = target.value  # `bce = lambda p, y: …` is called `bce`
        elif isinstance(target, (cst.Tuple, cst.List)):
            starred = any(isinstance(e, cst.StarredElement) for e in target.elements)
            for index, element in enumerate(target.elements):
                # unpacking: the value of each name is an element of the right-hand side, for provenance only
                path = None
                if not starred and not isinstance(element, cst.StarredElement):
                    if value is not None:
                        path = (value, (index,))
                    elif unpacked is not None:
                        path = (unpacked[0], (*unpacked[1], index))
                self._define_targets(element.value, None, info, frame, unpacked=path)
        elif isinstance(target, cst.StarredElement):
            self._define_targets(target.value, None, info)
        elif (
            isinstance(target, cst.Attribute)
            and value is None
            and unpacked is not None
            and frame is not None
            and frame.owner is not None
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
        ):
            frame.owner.unpacked_attributes.setdefault(target.attr.value, []).append((unpacked[0], info, unpacked[1]))
        elif (
            isinstance(target, cst.Attribute)
            and value is not None
            and frame is not None
            and frame.owner is not None
            and isinstance(target.value, cst.Name)
            and target.value.value == "self"
        ):
            frame.owner.attributes.setdefault(target.attr.value, []).append((value, info))

    def _define_imported(self, node: cst.Import | cst.ImportFrom, info: StatementInfo) -> None:
        if isinstance(node, cst.ImportFrom) and isinstance(node.names, cst.ImportStar):
            return
        for alias in node.names:  # type: ignore[union-attr]
            local = alias.asname.name if alias.asname else alias.name
            name = dotted_name(local) if isinstance(local, (cst.Name, cst.Attribute)) else None
            if name:
                self._define(name.split(".")[0], None, node, info)


def _plain_dotted(node: cst.CSTNode) -> str | None:
    """``a.b.c`` when ``node`` is a chain of names without parentheses or whitespace around the dots."""
    parts = []
    while type(node) is cst.Attribute:
        dot = node.dot
        if node.lpar or not (_no_space(dot.whitespace_before) and _no_space(dot.whitespace_after)):
            return None
        parts.append(node.attr.value)
        node = node.value
    if type(node) is not cst.Name or node.lpar:
        return None
    parts.append(node.value)
    return ".".join(reversed(parts))


def _no_space(whitespace: object) -> bool:
    return type(whitespace) is cst.SimpleWhitespace and whitespace.value == ""


def _parameters(params: cst.Parameters) -> Iterator[cst.Param]:
    yield from params.posonly_params
    yield from params.params
    yield from params.kwonly_params
    for star in (params.star_arg, params.star_kwarg):
        if isinstance(star, cst.Param):
            yield star


@dataclass(frozen=True)
class _Frame:
    scope: Scope
    owner: ClassInfo | None
    function: FunctionInfo | None
    blocks: tuple[Block, ...]
    loops: tuple[tuple[int, list[int]], ...]

    def enter(self, block: Block) -> "_Frame":
        return _Frame(self.scope, self.owner, self.function, (*self.blocks, block), self.loops)

    def with_loop(self, loop_id: int, marker: list[int]) -> "_Frame":
        return _Frame(self.scope, self.owner, self.function, self.blocks, (*self.loops, (loop_id, marker)))


class ModuleContext:
    """Everything the rules may ask about one module. Built once per file by the engine."""

    def __init__(self, path: str, text: str, module: cst.Module, tree: ast.Module | None = None,
                 parsed_text: str | None = None) -> None:
        """``tree`` is CPython's AST of the parsed text when the caller has it: it makes positions cheap.
        ``parsed_text``: what LibCST parsed when it is not ``text`` itself but ``text`` with the statements that
        cannot matter blanked line for line (``analysis/subset.py``); ``text`` stays the file's own."""
        self.path = path
        self.text = text
        self.module = module
        collector = _Collector(module)
        self.imports = collector.imports
        self.calls = collector.calls
        self.module_functions = collector.module_functions
        self.functions = collector.functions
        self.classes = collector.classes
        self._definitions = collector.definitions
        self._scope_parent = collector.scope_parent
        self._statement_of_node = collector.statement_of_node
        self.cache: dict[object, object] = {}  # per-module memo for analysis passes
        self._positions = Positions(module, text if parsed_text is None else parsed_text, tree)
        self._qualified: dict[int, tuple[cst.BaseExpression, frozenset[str]]] = {}
        self.project: "ProjectIndex | None" = None  # set by ``attach_project``, before any question is asked

    def attach_project(self, project: "ProjectIndex", file: "Path") -> None:
        """Make the project's other modules visible: relative imports resolve to their qualified names."""
        self.project = project
        dotted = project.dotted_name(file)
        if dotted is not None and self.imports.relative:
            package = dotted if file.name == "__init__.py" else dotted.rpartition(".")[0]
            self.imports.bind_relative(package)

    def where(self, node: cst.CSTNode) -> str:
        """``line 7``, or ``models.py:7`` for a node of another module of the project."""
        if self.statement_of(node) is not None:
            return f"line {self.line(node)}"
        owner = self.project.owner_of(node) if self.project is not None else None
        if owner is None:
            return "another module"
        return f"{owner.short_path()}:{owner.line(node)}"

    def short_path(self) -> str:
        if self.project is not None:
            try:
                from pathlib import Path

                return str(Path(self.path).resolve().relative_to(self.project.root.resolve()))
            except ValueError:
                pass
        from pathlib import Path

        return Path(self.path).name

    def locate(self, node: cst.CSTNode) -> "tuple[str | None, CodeRange]":
        """Where ``node`` is: (None, range) in this module, or (path, range) in another module of the project."""
        if self.statement_of(node) is not None:
            return None, self.range(node)
        owner = self.project.owner_of(node) if self.project is not None else None
        if owner is None:
            raise KeyError(f"no position recorded for {type(node).__name__}")
        return owner.path, owner.range(node)

    # -- lookups ----------------------------------------------------------------------------
    def definitions(self, scope: Scope, name: str) -> list[Definition]:
        return self._definitions.get((id(scope), name), [])

    def enclosing_scope(self, scope: Scope) -> Scope | None:
        return self._scope_parent.get(id(scope))

    def statement_of(self, node: cst.CSTNode) -> StatementInfo | None:
        """The statement holding ``node`` (any node the collector walked)."""
        return self._statement_of_node.get(id(node))

    def qualified_names(self, expression: cst.BaseExpression) -> frozenset[str]:
        # Memoised per node: several rules ask about the same callees (the import table is complete by now).
        # The entry keeps the node alive, so that its id cannot be reused by a node built later (a fix's).
        entry = self._qualified.get(id(expression))
        if entry is None:
            entry = self._qualified[id(expression)] = (expression, self.imports.qualified_names(expression))
        return entry[1]

    def code(self, node: cst.CSTNode) -> str:
        # Callee names are asked for constantly (messages, API spellings): spell a plain dotted name from
        # its parts, which gives the same text as LibCST's codegen without running it.
        return _plain_dotted(node) or self.module.code_for_node(node)

    # -- positions (computed only when a finding needs them, one statement at a time) --------------
    def range(self, node: cst.CSTNode) -> CodeRange:
        statement = self._statement_of_node.get(id(node))
        if statement is None:
            raise KeyError(f"no position recorded for {type(node).__name__}")
        return self._positions.range(node, statement.unit, statement.top)

    def line(self, node: cst.CSTNode) -> int:
        return self.range(node).start.line

    @cached_property
    def lines(self) -> list[str]:
        return split_lines(self.text)

    def logical_line_range(self, node: cst.CSTNode) -> tuple[int, int]:
        """The lines of the statement holding ``node`` (a ``# noqa`` on any of them applies)."""
        span = self.range(node)
        statement = self.statement_of(node)
        if statement is not None and isinstance(statement.node, cst.SimpleStatementLine):
            whole = self.range(statement.node)
            return whole.start.line, whole.end.line
        if statement is not None and statement.node is not node:
            return self.range(statement.node).start.line, span.end.line
        return span.start.line, span.end.line
