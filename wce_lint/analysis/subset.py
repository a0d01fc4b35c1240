"""What LibCST is given: only the top-level statements that can matter, every other line blanked in place.

LibCST's parse costs far more than everything the rules do, and in real ML code most top-level statements
cannot change any finding: a rule only fires on a statement naming one of its trigger words, and the value
analysis only follows names. CPython's AST (built anyway by the engine's depth guard) gives every
statement's lines, so we keep:

- the statements (grouped when they share a line: ``a = 1; b = 2``) whose text holds a trigger word;
- every statement importing something (the import table, and fixes that name an API through it);
- the closure over names: every statement that binds or mentions a name that a kept statement binds or
  mentions, when that name is bound at module level by something other than a plain import (a helper, a
  constant, a model, a class, a loss object) or is imported from the project's own modules (whose summaries
  the analysis follows). Both directions are needed: the definitions a kept statement reads, and the
  statements that call or change what it defines (a call site of a helper holding a loss, ``model.add(…)``).

Names are collected conservatively (every name anywhere in a statement, function bodies included), which
keeps more than needed and never less. Every other line keeps only its line break, so each kept byte stays
at its line, column and offset: positions, fixes and suppression comments need no translation. The AST
passed on to positions holds the kept statements only, so both trees pair statement for statement.

Nothing here imports LibCST: this runs before the parse it shrinks.
"""

from __future__ import annotations

import ast
import re
from bisect import bisect_right
from dataclasses import dataclass
from typing import Callable, Iterable

_LINE_BREAK = re.compile(r"\r\n|\r|\n")
# LibCST's parser recurses once per literal of an implicit string concatenation and gives up past a few
# thousand (CPython accepts them): a statement that might hold such a run is always kept, so that the file
# fails the same way it would whole (LibCST's verdict cannot be known without parsing it).
_QUOTES_WORTH_KEEPING = 1000
DEFAULT_INDENT = "    "  # LibCST's default indent when the file has no indented block


@dataclass(frozen=True)
class Subset:
    text: str  # the file with every line of a dropped statement emptied (its line break kept)
    tree: ast.Module  # CPython's AST of ``text``: the kept statements only
    default_indent: str  # what LibCST detects on the whole file (the first indented line's indentation)
    kept_lines: int
    total_lines: int


# ``(module, names, level)`` of an import → whether it binds names of the project's own modules.
ProjectImport = Callable[[str, tuple[str, ...], int], bool]


def relevant_subset(text: str, tree: ast.Module, triggers: Iterable[str],
                    project_import: ProjectImport | None = None) -> Subset | None:
    """The part of ``text`` that can matter to a rule whose trigger words (lower-cased) are ``triggers``;
    None when nothing can be dropped (the caller parses the whole file)."""
    statements = tree.body
    if len(statements) < 2:
        return None
    starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]
    total_lines = len(starts)
    groups = _groups(statements)
    if len(groups) < 2:
        return None
    summaries = [_summary(group) for group in groups]
    project_aliases: set[str] = set()
    always: set[int] = set()  # imports, and what LibCST might refuse
    for index, summary in enumerate(summaries):
        if summary.imports:
            always.add(index)
            if project_import is not None:
                for module, names, level, star in summary.imports:
                    if project_import(module, names, level):
                        if star:
                            return None  # any name may come from there: only the whole file is safe
                        project_aliases.update(summary.import_aliases)
        if summary.quotes and _may_defeat_libcst(text, starts, groups[index]):
            always.add(index)
    kept = _closure(summaries, _trigger_groups(text, triggers, groups), always, project_aliases)
    if len(kept) == len(groups):
        return None
    kept_statements: list[ast.stmt] = []
    keep_line = bytearray(total_lines + 1)  # 1-based; lines of no statement (comments, blank) are kept
    for index in range(len(groups)):
        first, last, members = groups[index]
        if index in kept:
            kept_statements.extend(members)
        else:
            keep_line[first:last + 1] = b"\x02" * (last - first + 1)
    pieces: list[str] = []
    kept_lines = 0
    for number in range(1, total_lines + 1):
        begin = starts[number - 1]
        end = starts[number] if number < total_lines else len(text)
        if keep_line[number] == 2:
            line = text[begin:end]
            content = line.rstrip("\r\n")
            pieces.append(line[len(content):])  # only the line break stays
        else:
            pieces.append(text[begin:end])
            kept_lines += 1
    subset_tree = ast.Module(body=kept_statements, type_ignores=[])
    return Subset("".join(pieces), subset_tree, first_indent(text, starts, statements), kept_lines, total_lines)


# -- statements and what they name -----------------------------------------------------------------
Group = tuple[int, int, list[ast.stmt]]  # first line (decorators included), last line, statements


def _first_line(statement: ast.stmt) -> int:
    decorators = getattr(statement, "decorator_list", None)
    if decorators:
        return min(statement.lineno, *(d.lineno for d in decorators))
    return statement.lineno


def _groups(statements: list[ast.stmt]) -> list[Group]:
    """Top-level statements, those sharing a line merged: LibCST sees ``a = 1; b = 2`` as one statement."""
    groups: list[Group] = []
    for statement in statements:
        first, last = _first_line(statement), statement.end_lineno or statement.lineno
        if groups and first <= groups[-1][1]:
            previous = groups[-1]
            groups[-1] = (previous[0], max(previous[1], last), [*previous[2], statement])
        else:
            groups.append((first, last, [statement]))
    return groups


@dataclass
class _Summary:
    mentions: set[str]  # every name read or bound inside the statements (their headers excepted)
    header: set[str]  # names read by the header of a top-level def/class: decorators, bases, annotations
    variables: set[str]  # module-level names bound by an assignment, a loop, ``with``, ``global``…
    definitions: set[str]  # module-level names bound by ``def``/``class``
    scope: bool  # only defs and classes: what runs here is not module-level code
    imports: list[tuple[str, tuple[str, ...], int, bool]]  # (module, names, level, star) of each import
    import_aliases: set[str]
    quotes: bool  # holds a long string (see _may_defeat_libcst)

    @property
    def binds(self) -> set[str]:
        return self.variables | self.definitions


def _closure(summaries: list[_Summary], seeds: set[int], always: set[int], project_aliases: set[str]) -> set[int]:
    """The groups that can matter.

    Two kinds of reach. *Sinks*: a group naming a trigger word, or calling something bound by a sink (a
    helper whose parameter reaches a loss gets a summary, and its callers are checked at the call site), or
    a name imported from the project: every group mentioning a name a sink binds is a sink too. *Sources*:
    the definitions that a kept group reads — every group binding a name it mentions — and, for names bound
    as variables, every module-level statement mentioning them (``model.add(…)`` changes what ``model``
    is; the analysis reads such changes in the variable's own scope only, so the bodies of functions that
    merely use a variable are not needed). Subclasses and decorated functions are not users of their bases
    and decorators: those are read (sources), never followed back.
    """
    variables: set[str] = set()
    bound: set[str] = set()
    for summary in summaries:
        variables |= summary.variables
        bound |= summary.definitions
    bound |= variables | project_aliases
    users: dict[str, list[int]] = {}  # name → the groups mentioning it
    binders: dict[str, list[int]] = {}  # name → the groups binding it
    for index, summary in enumerate(summaries):
        for name in summary.mentions & bound:
            users.setdefault(name, []).append(index)
        for name in summary.binds:
            binders.setdefault(name, []).append(index)
    kept: set[int] = set()
    sinks: set[int] = set()
    read: set[str] = set()
    followed_back: set[str] = set()
    pending_sinks = list(seeds)
    for name in project_aliases:
        pending_sinks.extend(users.get(name, ()))
    pending = list(always)
    while pending or pending_sinks:
        while pending_sinks:
            index = pending_sinks.pop()
            if index in sinks:
                continue
            sinks.add(index)
            pending.append(index)
            for name in summaries[index].binds:
                if name not in followed_back:
                    followed_back.add(name)
                    pending_sinks.extend(users.get(name, ()))
        while pending:
            index = pending.pop()
            if index in kept:
                continue
            kept.add(index)
            summary = summaries[index]
            for name in (summary.mentions | summary.header) & bound:
                if name in read:
                    continue
                read.add(name)
                pending.extend(binders.get(name, ()))
                if name in variables:
                    pending.extend(user for user in users.get(name, ()) if not summaries[user].scope)
    return kept


_FUNCTIONS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda)
_SCOPES = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef, ast.Lambda)


def _names(node: ast.AST, into: set[str]) -> None:
    for inner in ast.walk(node):
        if type(inner) is ast.Name:
            into.add(inner.id)  # type: ignore[attr-defined]


def _header_nodes(statement: ast.stmt) -> list[ast.AST]:
    nodes: list[ast.AST] = list(getattr(statement, "decorator_list", ()))
    if isinstance(statement, ast.ClassDef):
        nodes += statement.bases
        nodes += [keyword.value for keyword in statement.keywords]
    else:
        nodes.append(statement.args)  # type: ignore[attr-defined]  (annotations and defaults)
        if statement.returns is not None:  # type: ignore[attr-defined]
            nodes.append(statement.returns)  # type: ignore[attr-defined]
    return nodes


def _summary(group: Group) -> _Summary:
    mentions: set[str] = set()
    header: set[str] = set()
    variables: set[str] = set()
    definitions: set[str] = set()
    imports: list[tuple[str, tuple[str, ...], int, bool]] = []
    aliases: set[str] = set()
    quotes = False
    scope = all(isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef))
                for statement in group[2])
    # (node, whether a binding there binds a module-level name)
    stack: list[tuple[ast.AST, bool]] = []
    for statement in group[2]:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            mentions.add(statement.name)
            definitions.add(statement.name)
            for node in _header_nodes(statement):
                _names(node, header)
                if isinstance(node, ast.arguments):  # parameter names are the function's own
                    for arg in (*node.posonlyargs, *node.args, *node.kwonlyargs, node.vararg, node.kwarg):
                        if arg is not None:
                            mentions.add(arg.arg)
            stack.extend((child, False) for child in statement.body)
        else:
            stack.append((statement, True))
    while stack:
        node, module_level = stack.pop()
        kind = type(node)
        if kind is ast.Name:
            mentions.add(node.id)  # type: ignore[attr-defined]
            if module_level and not isinstance(node.ctx, ast.Load):  # type: ignore[attr-defined]
                variables.add(node.id)  # type: ignore[attr-defined]
            continue
        if kind is ast.Constant:
            if isinstance(node.value, (str, bytes)) and _long(node):  # type: ignore[attr-defined]
                quotes = True
            continue
        if kind is ast.JoinedStr and _long(node):
            quotes = True
        if kind in (ast.Import, ast.ImportFrom):
            names: list[str] = []
            for alias in node.names:  # type: ignore[attr-defined]
                local = alias.asname or alias.name.split(".")[0]
                if alias.name != "*":
                    mentions.add(local)
                    aliases.add(local)
                    names.append(alias.name)
            if kind is ast.Import:
                imports.extend((alias.name, (), 0, False) for alias in node.names)  # type: ignore[attr-defined]
            else:
                star = any(alias.name == "*" for alias in node.names)  # type: ignore[attr-defined]
                imports.append((node.module or "", tuple(names), node.level or 0, star))  # type: ignore[attr-defined]
            continue
        if kind in (ast.Global, ast.Nonlocal):
            mentions.update(node.names)  # type: ignore[attr-defined]
            variables.update(node.names)  # type: ignore[attr-defined]  (a function rebinding a module name)
            continue
        if kind in _SCOPES:
            if kind is not ast.Lambda:
                mentions.add(node.name)  # type: ignore[attr-defined]
                if module_level:
                    definitions.add(node.name)  # type: ignore[attr-defined]
            inner = False
        else:
            inner = module_level
            name = None
            if kind is ast.ExceptHandler or kind is ast.MatchAs or kind is ast.MatchStar:
                name = node.name  # type: ignore[attr-defined]
            elif kind is ast.MatchMapping:
                name = node.rest  # type: ignore[attr-defined]
            elif kind is ast.arg:
                mentions.add(node.arg)  # type: ignore[attr-defined]
            if name:
                mentions.add(name)
                if module_level:
                    variables.add(name)
        for child in ast.iter_child_nodes(node):
            stack.append((child, inner))
    return _Summary(mentions, header, variables, definitions, scope, imports, aliases, quotes)


def _long(node: ast.AST) -> bool:
    end_line = getattr(node, "end_lineno", None) or node.lineno  # type: ignore[attr-defined]
    if end_line != node.lineno:  # type: ignore[attr-defined]
        return True
    return (getattr(node, "end_col_offset", 0) or 0) - node.col_offset >= _QUOTES_WORTH_KEEPING  # type: ignore[attr-defined]


def _may_defeat_libcst(text: str, starts: list[int], group: Group) -> bool:
    """Whether the group's lines hold enough quote characters for a concatenation LibCST cannot parse."""
    first, last, _ = group
    end = starts[last] if last < len(starts) else len(text)
    segment = text[starts[first - 1]:end]
    return segment.count('"') + segment.count("'") >= _QUOTES_WORTH_KEEPING


def _trigger_groups(text: str, triggers: Iterable[str], groups: list[Group]) -> set[int]:
    """The groups whose lines hold a trigger word (case-insensitively, as the engine's pre-check)."""
    lowered = text.lower()  # may change lengths (``İ``): lines are counted in the lowered text itself
    line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(lowered))]
    firsts = [group[0] for group in groups]
    found: set[int] = set()
    for trigger in triggers:
        position = lowered.find(trigger)
        while position != -1:
            line = bisect_right(line_starts, position)
            index = bisect_right(firsts, line) - 1
            if index >= 0 and line <= groups[index][1]:
                found.add(index)
                # the rest of this group cannot add anything: jump past its last line
                after = groups[index][1]
                position = lowered.find(trigger, line_starts[after] if after < len(line_starts) else len(lowered))
            else:
                position = lowered.find(trigger, position + 1)
    return found


def first_indent(text: str, starts: list[int], statements: list[ast.stmt]) -> str:
    """The indentation of the first indented line (LibCST's first INDENT token), which LibCST takes as the
    module's default indent: the first line that a nested statement (or its decorator, or a ``case``)
    starts, after whitespace."""
    for statement in statements:
        best: int | None = None
        for node in _nested_statements(statement):
            line = node.pattern.lineno if isinstance(node, ast.match_case) else _first_line(node)
            if best is not None and line >= best:
                continue
            indent = _indent_of(text, starts, line)
            if indent and _starts_line(node, text, starts, line, len(indent)):
                best = line
        if best is not None:
            return _indent_of(text, starts, best)
    return DEFAULT_INDENT


def _nested_statements(statement: ast.stmt) -> Iterable[ast.AST]:
    """Every statement (and ``case``) inside ``statement``, expressions not visited."""
    stack: list[ast.AST] = [statement]
    while stack:
        node = stack.pop()
        for field in ("body", "orelse", "finalbody", "handlers", "cases"):
            children = getattr(node, field, None)
            if isinstance(children, list):
                for child in children:
                    if isinstance(child, (ast.stmt, ast.excepthandler, ast.match_case)):
                        if not isinstance(child, ast.excepthandler):
                            yield child
                        stack.append(child)


def _indent_of(text: str, starts: list[int], line: int) -> str:
    content = _line(text, starts, line)
    return content[:len(content) - len(content.lstrip(" \t\f"))]


def _line(text: str, starts: list[int], line: int) -> str:
    end = starts[line] if line < len(starts) else len(text)
    return text[starts[line - 1]:end]


def _starts_line(node: ast.AST, text: str, starts: list[int], line: int, indent: int) -> bool:
    """Whether the statement is the first thing on its line (not ``if a: b`` nor ``a; b``)."""
    if isinstance(node, ast.match_case):
        return _line(text, starts, line)[indent:].startswith("case")
    if line != node.lineno:  # type: ignore[attr-defined]
        return _line(text, starts, line)[indent:].startswith("@")  # its first decorator
    return node.col_offset == indent  # type: ignore[attr-defined]
