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
from dataclasses import dataclass, field as dataclass_field
from typing import Callable, Iterable

from wce_lint.analysis.dataflow import is_in_place_method

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
    lowered, hits = _trigger_hits(text, triggers)
    if _mostly(hits, groups):
        return None  # nearly every statement names a trigger word: the subset would save little
    source = _Source(text, starts)
    summaries = [_summary(group, source) for group in groups]
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
        if summary.quotes:
            always.add(index)
    trigger_lines = _trigger_lines(text, lowered, hits, summaries)
    seeds = {index for index, (first, last, _) in enumerate(groups) if _holds(trigger_lines, first, last)}
    kept, sink_names = _closure(summaries, seeds, always, project_aliases)
    # Inside the kept classes, only the methods that can matter (same closure, over methods and attributes).
    dropped_members: dict[int, list[Group]] = {}
    classes = [index for index in kept if len(groups[index][2]) == 1 and isinstance(groups[index][2][0], ast.ClassDef)
               and len(groups[index][2][0].body) >= 2]
    if classes:
        mentioned: dict[str, int] = {}  # attribute → how many kept groups mention it
        for index in kept:
            for name in summaries[index].attributes:
                mentioned[name] = mentioned.get(name, 0) + 1
        names_used: dict[str, int] = {}  # class name → how many kept groups other than its own name it
        class_names = {groups[index][2][0].name for index in classes}  # type: ignore[attr-defined]
        for index in kept:
            for name in (summaries[index].mentions | summaries[index].header) & class_names:
                names_used[name] = names_used.get(name, 0) + 1
        # Classes related by inheritance: what one assigns to `self.x`, a method of another may read.
        all_classes = {groups[index][2][0].name for index in kept  # type: ignore[attr-defined]
                       if len(groups[index][2]) == 1 and isinstance(groups[index][2][0], ast.ClassDef)}
        named_as_base: set[str] = set()
        for index in kept:
            if len(groups[index][2]) == 1 and isinstance(groups[index][2][0], ast.ClassDef):
                named_as_base |= summaries[index].header & all_classes
        for index in classes:
            own = summaries[index].attributes
            cls = groups[index][2][0]
            if summaries[index].header & project_aliases:
                continue  # a base from another module of the project reads attributes we do not see here
            class_name = cls.name  # type: ignore[attr-defined]
            related = bool(summaries[index].header & all_classes) or class_name in named_as_base

            def elsewhere(name: str, own: set[str] = own) -> bool:
                return mentioned.get(name, 0) > (name in own)

            # Its constructor, `call`/`forward` and the like run where an instance is made or called: only
            # when the class is named by another kept statement (or calls itself, `self(x)`).
            instances = names_used.get(cls.name, 0) > 1 or "self(" in summaries[index].text  # type: ignore[attr-defined]
            dropped = _dropped_methods(cls, trigger_lines, sink_names | project_aliases, elsewhere, source,  # type: ignore[arg-type]
                                       instances, related)
            if dropped:
                dropped_members[index] = dropped
    if len(kept) == len(groups) and not dropped_members:
        return None
    kept_statements: list[ast.stmt] = []
    keep_line = bytearray(total_lines + 1)  # 1-based; lines of no statement (comments, blank) are kept
    for index in range(len(groups)):
        first, last, members = groups[index]
        if index in dropped_members:
            dropped = dropped_members[index]
            gone = {id(statement) for _, _, statements in dropped for statement in statements}
            for first, last, _ in dropped:
                keep_line[first:last + 1] = b"\x02" * (last - first + 1)
            # the AST positions pair with: the class as LibCST will see it
            kept_statements.append(_with_body(members[0], [s for s in members[0].body if id(s) not in gone]))
        elif index in kept:
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
    quotes: bool  # enough quote characters for a concatenation LibCST gives up on: always kept
    text: str
    stored_attributes: set[str]  # every ``.name`` assigned (``self.head = …``)
    docstrings: list[tuple[int, int, int, int]]  # spans of string statements (no effect on any value)
    stores: list[tuple[str, int, int]]  # (attribute, first and last line of the assignment)
    bases: set[str] = dataclass_field(default_factory=set)  # names read by a class's bases (it inherits their methods)

    @property
    def attributes(self) -> set[str]:
        """Every ``.name`` inside the statements (only asked about classes and what may use them)."""
        found = self.__dict__.get("_attributes")
        if found is None:
            found = self.__dict__["_attributes"] = set(_ATTRIBUTE.findall(self.text))
        return found

    @property
    def handed(self) -> set[str]:
        """Every ``.name`` called or passed on as an argument (``self.loss_fn(…)``, ``f(self.loss_fn)``):
        how a loss object or a helper method carries a finding to where it is used."""
        found = self.__dict__.get("_handed")
        if found is None:
            found = self.__dict__["_handed"] = set(_HANDED.findall(self.text))
        return found

    @property
    def binds(self) -> set[str]:
        return self.variables | self.definitions


def _closure(summaries: list[_Summary], seeds: set[int], always: set[int],
             project_aliases: set[str]) -> tuple[set[int], set[str]]:
    """The groups that can matter, and the names the sinks among them bind.

    Two kinds of reach. *Sinks*: a group naming a trigger word, or calling something bound by a sink (a
    helper whose parameter reaches a loss gets a summary, and its callers are checked at the call site), or
    a name imported from the project: every group mentioning a name a sink binds is a sink too. *Sources*:
    the definitions that a kept group reads — every group binding a name it mentions — and, for names bound
    as variables, every module-level statement mentioning them (``model.add(…)`` changes what ``model``
    is; the analysis reads such changes in the variable's own scope only, so the bodies of functions that
    merely use a variable are not needed). A subclass of a sink is a sink (calling or building it runs the
    methods it inherits); otherwise bases and decorators are read (sources), never followed back.
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
        # A subclass of a sink is a sink: calling it (or building it) runs the methods it inherits.
        for name in (summary.mentions | summary.bases) & bound:
            users.setdefault(name, []).append(index)
        for name in summary.binds:
            binders.setdefault(name, []).append(index)
    initial_sinks = list(seeds)
    for name in project_aliases:
        initial_sinks.extend(users.get(name, ()))

    def reads(index: int) -> Iterable[str]:
        return (summaries[index].mentions | summaries[index].header) & bound

    def also_kept(name: str) -> Iterable[int]:
        # a variable's module-level uses may change it (`model.add(…)`)
        return (user for user in users.get(name, ()) if not summaries[user].scope) if name in variables else ()

    kept, followed_back = _reach(initial_sinks, always, lambda index: summaries[index].binds, users,
                                 reads, binders, also_kept)
    return kept, followed_back


def _reach(seeds: Iterable[int], always: Iterable[int], sink_binds: Callable[[int], Iterable[str]],
           users: dict[str, list[int]], reads: Callable[[int], Iterable[str]], binders: dict[str, list[int]],
           also_kept: Callable[[str], Iterable[int]] = lambda name: ()) -> tuple[set[int], set[str]]:
    """The work list both levels share (top-level statements, a class's methods): *sinks* are followed back
    — every unit using (``users``) a name a sink binds is a sink — and every kept unit is followed forward —
    the units binding (``binders``) a name it reads are kept, with ``also_kept(name)``. Sinks are kept.
    Returns the kept units and the names followed back."""
    kept: set[int] = set()
    sinks: set[int] = set()
    read: set[str] = set()
    followed_back: set[str] = set()
    pending_sinks = list(seeds)
    pending = list(always)
    while pending or pending_sinks:
        while pending_sinks:
            index = pending_sinks.pop()
            if index in sinks:
                continue
            sinks.add(index)
            pending.append(index)
            for name in sink_binds(index):
                if name not in followed_back:
                    followed_back.add(name)
                    pending_sinks.extend(users.get(name, ()))
        while pending:
            index = pending.pop()
            if index in kept:
                continue
            kept.add(index)
            for name in reads(index):
                if name not in read:
                    read.add(name)
                    pending.extend(binders.get(name, ()))
                    pending.extend(also_kept(name))
    return kept, followed_back


# Methods the analysis (or Python) calls without naming them: constructors, `model(x)`, Keras' `build`.
_IMPLICIT_METHODS = frozenset({"call", "forward", "build"})


def _dropped_methods(cls: ast.ClassDef, trigger_lines: list[int], sink_names: set[str],
                     elsewhere: Callable[[str], bool], source: _Source, instances: bool = True,
                     related: bool = False) -> list[Group]:
    """The methods of a kept class that cannot matter (as groups of lines); the class keeps the others and
    every statement that is not a method.

    The same two kinds of reach as between top-level statements, over method and attribute names: sinks
    are the methods naming a trigger word or calling a module-level sink, and the methods mentioning what a
    sink binds (``self.loss_fn`` assigned in a sink, a sink method called); sources are the methods
    assigning an attribute or defining a method that a kept one mentions (every assignment of ``self.x``
    must be seen). Methods named anywhere else in the kept module, dunders and the methods called
    implicitly stay too, and, in a class ``related`` to another by inheritance, every method assigning an
    attribute that another kept statement mentions (a base's method may read what a subclass assigns)."""
    units = _groups(cls.body)
    if len(units) < 2:
        return []
    methods = [all(isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef)) for s in unit[2]) for unit in units]
    summaries = [_summary(unit, source) for unit in units]
    names: list[set[str]] = []  # what each unit binds: its methods' names and the attributes it assigns
    for unit, summary in zip(units, summaries):
        names.append({s.name for s in unit[2] if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
                     | summary.stored_attributes)
    seeds: set[int] = set()
    always: set[int] = set()
    for index, (unit, summary) in enumerate(zip(units, summaries)):
        defined = {s.name for s in unit[2] if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
        if not methods[index] or summary.quotes:
            always.add(index)
        if _holds(trigger_lines, unit[0], unit[1]) or summary.mentions & sink_names:
            seeds.add(index)
        if "__init__" in defined and instances:
            # `self.model = model`: a constructor's parameter reaches a loss or a log in whichever method
            # reads it (`Evaluator(SoftmaxNet())` is judged by `torch.log(self.model(x))` in `nll`)
            seeds.add(index)
        if any(elsewhere(n) or instances and (n in _IMPLICIT_METHODS or n.startswith("__")) for n in defined):
            always.add(index)
        if related and any(elsewhere(n) for n in summary.stored_attributes):
            always.add(index)  # a base's or subclass's method may read it: every assignment must be seen
    users: dict[str, list[int]] = {}  # attribute → the units handing it on (calling, passing, returning it)
    binders: dict[str, list[int]] = {}
    for index, summary in enumerate(summaries):
        for name in summary.handed:
            users.setdefault(name, []).append(index)
        for name in names[index]:
            binders.setdefault(name, []).append(index)
    kept, _ = _reach(seeds, always,
                     lambda index: _sink_bound(units[index], summaries[index], trigger_lines, sink_names, source),
                     users, lambda index: summaries[index].attributes, binders)
    if not kept:
        kept.add(0)  # a class body cannot be empty
    return [unit for index, unit in enumerate(units) if index not in kept]


def _sink_bound(unit: Group, summary: _Summary, trigger_lines: list[int], sink_names: set[str],
                source: _Source) -> set[str]:
    """What a sink method gives its class that can carry a finding elsewhere: its own name (a call of it is
    checked at the call site), and the attributes it assigns from a trigger word, a module-level sink or one
    of its parameters (``self.loss_fn = loss_fn``: a loss object given to the constructor)."""
    bound = {s.name for s in unit[2] if isinstance(s, (ast.FunctionDef, ast.AsyncFunctionDef))}
    parameters: set[str] = set()
    for statement in unit[2]:
        if isinstance(statement, (ast.FunctionDef, ast.AsyncFunctionDef)):
            arguments = statement.args
            parameters.update(a.arg for a in (*arguments.posonlyargs, *arguments.args, *arguments.kwonlyargs,
                                              arguments.vararg, arguments.kwarg) if a is not None)
    parameters.discard("self")
    if not any(getattr(s, "name", None) == "__init__" for s in unit[2]):
        parameters = set()  # a loss object injected through the constructor; other methods' arguments are data
    for attribute, first, last in summary.stores:
        if attribute in bound:
            continue
        if _holds(trigger_lines, first, last):
            bound.add(attribute)
            continue
        value_names = set(_WORD.findall(source.lines(first, last)))
        if value_names & sink_names or value_names & parameters:
            bound.add(attribute)
    return bound


def _with_body(cls: ast.ClassDef, body: list[ast.stmt]) -> ast.ClassDef:
    import copy

    trimmed = copy.copy(cls)  # the file's own tree stays whole
    trimmed.body = body
    return trimmed


_DEFS = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
# Every word that may be a name. Read from the text, not the tree: a regular expression runs at C speed, a
# walk over every expression node of the AST costs about as much as the parse we want to avoid. Words in
# strings and comments count too, which only keeps more.
_WORD = re.compile(r"\w+")  # numbers too: they never equal a bound name, and this is twice as fast
_ATTRIBUTE = re.compile(r"\.\s*([^\W\d]\w*)")
_HANDED = re.compile(r"\.\s*([^\W\d]\w*)\s*[(),]")
_WALRUS = re.compile(r"([^\W\d]\w*)\s*:=")
_GLOBAL = re.compile(r"\bglobal\b([^\r\n;#]*)")


class _Source:
    """The text of the file by line numbers."""

    def __init__(self, text: str, starts: list[int]) -> None:
        self.text, self.starts = text, starts

    def lines(self, first: int, last: int) -> str:
        end = self.starts[last] if last < len(self.starts) else len(self.text)
        return self.text[self.starts[first - 1]:end]


def _targets(node: ast.AST, into: set[str]) -> None:
    """Names bound by an assignment target (``a``, ``a, (b, *c)``; not ``a.b`` nor ``a[0]``)."""
    kind = type(node)
    if kind is ast.Name:
        into.add(node.id)  # type: ignore[attr-defined]
    elif kind is ast.Tuple or kind is ast.List:
        for element in node.elts:  # type: ignore[attr-defined]
            _targets(element, into)
    elif kind is ast.Starred:
        _targets(node.value, into)  # type: ignore[attr-defined]


def _stored_attributes(node: ast.AST, into: list[str]) -> None:
    for inner in ast.walk(node):
        if type(inner) is ast.Attribute and not isinstance(inner.ctx, ast.Load):  # type: ignore[attr-defined]
            into.append(inner.attr)  # type: ignore[attr-defined]
        elif type(inner) is ast.Subscript and type(inner.value) is ast.Attribute \
                and not isinstance(inner.ctx, ast.Load):  # type: ignore[attr-defined]
            into.append(inner.value.attr)  # type: ignore[attr-defined]  # `self.w[0] = …` changes `self.w`


def _changed_in_place(node: ast.AST) -> str | None:
    """The attribute a call changes in place — ``self.w.fill_(…)``, ``self.w.assign(…)`` — as
    ``dataflow.mutated_in_place`` reads such calls; None otherwise."""
    if type(node) is not ast.Call:
        return None
    func = node.func  # type: ignore[attr-defined]
    if type(func) is ast.Attribute and type(func.value) is ast.Attribute and is_in_place_method(func.attr):
        return func.value.attr
    # `nn.init.constant_(self.w, 0.5)`, `np.copyto(self.w, src)`
    arguments = node.args  # type: ignore[attr-defined]
    name = func.attr if type(func) is ast.Attribute else getattr(func, "id", "")
    if arguments and type(arguments[0]) is ast.Attribute and (name.endswith("_") or name == "copyto"):
        return arguments[0].attr
    return None


def _summary(group: Group, source: _Source) -> _Summary:
    first, last, statements = group
    text = source.lines(first, last)
    header: set[str] = set()
    variables: set[str] = set(_WALRUS.findall(text)) if ":=" in text else set()
    if "global" in text:
        for declared in _GLOBAL.findall(text):  # a function rebinding a module-level name
            variables.update(_WORD.findall(declared))
    definitions: set[str] = set()
    imports: list[tuple[str, tuple[str, ...], int, bool]] = []
    aliases: set[str] = set()
    docstrings: list[tuple[int, int, int, int]] = []
    stores: list[tuple[str, int, int]] = []
    stored: set[str] = set()
    scope = all(isinstance(statement, _DEFS) for statement in statements)
    if scope and len(statements) == 1 and statements[0].body[0].lineno > first:
        # The header (decorators, signature, bases) is read, never followed back: a subclass does not use
        # its base the way a call uses a helper.
        body_first = _first_line(statements[0].body[0])
        header = set(_WORD.findall(source.lines(first, body_first - 1))) - {statements[0].name}
        mentions = set(_WORD.findall(source.lines(body_first, last))) | {statements[0].name}
    else:
        mentions = set(_WORD.findall(text))
    # (statement, whether a binding there binds a module-level name); statements only, no expressions
    stack: list[tuple[ast.stmt, bool]] = [(statement, True) for statement in statements]
    while stack:
        node, module_level = stack.pop()
        kind = type(node)
        if kind is ast.Import or kind is ast.ImportFrom:
            names: list[str] = []
            for alias in node.names:  # type: ignore[attr-defined]
                if alias.name != "*":
                    aliases.add(alias.asname or alias.name.split(".")[0])
                    names.append(alias.name)
            if kind is ast.Import:
                imports.extend((alias.name, (), 0, False) for alias in node.names)  # type: ignore[attr-defined]
            else:
                star = any(alias.name == "*" for alias in node.names)  # type: ignore[attr-defined]
                imports.append((node.module or "", tuple(names), node.level or 0, star))  # type: ignore[attr-defined]
            continue
        inner = module_level
        if kind in _DEFS:
            if module_level:
                definitions.add(node.name)  # type: ignore[attr-defined]
            inner = False
            body = node.body  # type: ignore[attr-defined]
            if body and type(body[0]) is ast.Expr and type(body[0].value) is ast.Constant \
                    and isinstance(body[0].value.value, str):
                doc = body[0]
                docstrings.append((doc.lineno, doc.col_offset, doc.end_lineno or doc.lineno, doc.end_col_offset or 0))
        elif kind is ast.Assign or kind is ast.AnnAssign or kind is ast.AugAssign:
            targets = node.targets if kind is ast.Assign else [node.target]  # type: ignore[attr-defined]
            found: list[str] = []
            for target in targets:
                if module_level:
                    _targets(target, variables)
                _stored_attributes(target, found)
            if found:
                end = node.end_lineno or node.lineno
                for attribute in found:
                    stored.add(attribute)
                    stores.append((attribute, node.lineno, end))
            continue
        elif kind is ast.Expr:
            changed = _changed_in_place(node.value)  # type: ignore[attr-defined]
            if changed is not None:
                stored.add(changed)  # `self.w.fill_(…)`: every change of `self.w` must be seen, as an assignment
            continue
        elif kind is ast.For or kind is ast.AsyncFor:
            if module_level:
                _targets(node.target, variables)  # type: ignore[attr-defined]
            found = []
            _stored_attributes(node.target, found)  # type: ignore[attr-defined]
            stored.update(found)
        elif kind is ast.With or kind is ast.AsyncWith:
            for item in node.items:  # type: ignore[attr-defined]
                if item.optional_vars is not None:
                    if module_level:
                        _targets(item.optional_vars, variables)
                    found = []
                    _stored_attributes(item.optional_vars, found)
                    stored.update(found)
        elif kind is ast.Delete and module_level:
            for target in node.targets:  # type: ignore[attr-defined]
                _targets(target, variables)
        elif kind is ast.Match and module_level:
            for inner_node in ast.walk(node):  # rare at module level: every capture name
                if isinstance(inner_node, (ast.MatchAs, ast.MatchStar)) and inner_node.name:
                    variables.add(inner_node.name)
                elif isinstance(inner_node, ast.MatchMapping) and inner_node.rest:
                    variables.add(inner_node.rest)
        elif kind is ast.Try or kind.__name__ == "TryStar":
            for handler in node.handlers:  # type: ignore[attr-defined]
                if handler.name and module_level:
                    variables.add(handler.name)
                stack.extend((child, module_level) for child in handler.body)
        for field in ("body", "orelse", "finalbody"):
            children = getattr(node, field, None)
            if children:
                stack.extend((child, inner) for child in children)
        if kind is ast.Match:
            for case in node.cases:  # type: ignore[attr-defined]
                stack.extend((child, inner) for child in case.body)
    quotes = text.count('"') + text.count("'") >= _QUOTES_WORTH_KEEPING
    bases = {node.id for statement in statements if isinstance(statement, ast.ClassDef)
             for base in statement.bases for node in ast.walk(base) if isinstance(node, ast.Name)}
    return _Summary(mentions, header, variables, definitions, scope, imports, aliases, quotes, text, stored,
                    docstrings, stores, bases)


def _trigger_hits(text: str, triggers: Iterable[str]) -> tuple[str, dict[int, list[int]]]:
    """Line → the columns where a trigger word starts (case-insensitively, as the engine's pre-check)."""
    lowered = text.lower()  # may change lengths (``İ``): lines are counted in the lowered text itself
    line_starts = [0, *(match.end() for match in _LINE_BREAK.finditer(lowered))]
    hits: dict[int, list[int]] = {}
    for trigger in triggers:
        position = lowered.find(trigger)
        while position != -1:
            line = bisect_right(line_starts, position)
            hits.setdefault(line, []).append(position - line_starts[line - 1])
            position = lowered.find(trigger, position + 1)
    return lowered, hits


def _trigger_lines(text: str, lowered: str, hits: dict[int, list[int]], summaries: list[_Summary]) -> list[int]:
    """The lines holding a trigger word, sorted, without the words that sit in a docstring or on a comment
    line: those change no value and call nothing."""
    if not hits:
        return []
    docstrings: dict[int, list[tuple[int, int, int, int]]] = {}
    for summary in summaries:
        for span in summary.docstrings:
            for line in range(span[0], span[2] + 1):
                docstrings.setdefault(line, []).append(span)
    # A `#` line inside a triple-quoted string is no comment: odd counts of either quote before it say so.
    doubles = [m.start() for m in re.finditer('"""', text)]
    singles = [m.start() for m in re.finditer("'''", text)]
    starts = [0, *(match.end() for match in _LINE_BREAK.finditer(text))]

    def in_string(line: int) -> bool:
        offset = starts[line - 1]
        return bool(bisect_right(doubles, offset) % 2 or bisect_right(singles, offset) % 2)
    original = _LINE_BREAK.split(text)
    lowered_lines = _LINE_BREAK.split(lowered)
    found = []
    for line, columns in hits.items():
        content = original[line - 1] if line <= len(original) else ""
        comparable = content.isascii() and len(content) == len(lowered_lines[line - 1])
        if comparable and content.lstrip().startswith("#") and not in_string(line):
            continue
        spans = docstrings.get(line)
        if comparable and spans and all(any((a, b) <= (line, column) and (line, column) < (c, d)
                                             for a, b, c, d in spans) for column in columns):
            continue
        found.append(line)
    return sorted(found)


# Above this share of the statements' lines in statements naming a trigger word (docstrings included), the
# file is parsed whole: the closure and
# the blanking would cost more than the little they could save (a findings-dense file).
MOSTLY_TRIGGERED = 0.9


def _mostly(hits: dict[int, list[int]], groups: list[Group]) -> bool:
    """Whether the statements naming a trigger word hold nearly all lines (a class counts method by method,
    as it is pruned)."""
    lines = sorted(hits)
    held = total = 0
    for group in groups:
        members = group[2]
        units = _groups(members[0].body) if len(members) == 1 and isinstance(members[0], ast.ClassDef) else [group]
        for first, last, _ in units:
            total += last - first + 1
            if _holds(lines, first, last):
                held += last - first + 1
    return held >= MOSTLY_TRIGGERED * total


def _holds(lines: list[int], first: int, last: int) -> bool:
    index = bisect_right(lines, last) - 1
    return index >= 0 and lines[index] >= first


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
