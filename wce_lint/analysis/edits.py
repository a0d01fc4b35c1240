"""Building fix edits from nodes: a fix is a set of text replacements at node positions."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Sequence

import libcst as cst

from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.analysis.names import canonical, dotted_name
from wce_lint.diagnostics import Edit, Position


def replace_node(module: ModuleContext, node: cst.CSTNode, content: str) -> Edit:
    span = module.range(node)
    return Edit(Position(span.start.line, span.start.column), Position(span.end.line, span.end.column), content)


def insert_after(module: ModuleContext, node: cst.CSTNode, content: str) -> Edit:
    span = module.range(node)
    end = Position(span.end.line, span.end.column)
    return Edit(end, end, content)


def add_keyword(module: ModuleContext, call: cst.Call, keyword: str, value: str) -> Edit:
    """``f(a)`` → ``f(a, keyword=value)``; ``f()`` → ``f(keyword=value)``."""
    if not call.args:
        span = module.range(call)
        end = Position(span.end.line, span.end.column - 1)  # just before ")"
        return Edit(end, end, f"{keyword}={value}")
    # after the last argument's value: `f(a,)` becomes `f(a, k=v,)`, still valid
    return insert_after(module, call.args[-1].value, f", {keyword}={value}")


# -- naming an API through the module's imports, adding an import when there is none -----------------
@dataclass(frozen=True)
class ImportBinding:
    """A name bound by a top-level ``import``/``from … import`` line, and the canonical name it denotes."""

    local: str
    qualified: str
    statement: cst.SimpleStatementLine
    index: int  # position of the statement in ``module.body``


def top_level_imports(module: ModuleContext) -> list[ImportBinding]:
    """The bindings of the module's top-level import lines (not those inside ``try``/``if``/functions)."""
    cached = module.cache.get("edits.top_level_imports")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[ImportBinding] = []
    for index, statement in enumerate(module.module.body):
        if not isinstance(statement, cst.SimpleStatementLine):
            continue
        for small in statement.body:
            for local, qualified in _import_bindings(small):
                found.append(ImportBinding(local, canonical(qualified), statement, index))
    module.cache["edits.top_level_imports"] = found
    return found


def _import_bindings(node: cst.BaseSmallStatement) -> list[tuple[str, str]]:
    if isinstance(node, cst.Import):
        pairs = []
        for alias in node.names:
            full = dotted_name(alias.name)
            if full is None:
                continue
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                pairs.append((alias.asname.name.value, full))
            else:
                head = full.split(".")[0]
                pairs.append((head, head))
        return pairs
    if isinstance(node, cst.ImportFrom) and not node.relative and node.module is not None \
            and not isinstance(node.names, cst.ImportStar):
        base = dotted_name(node.module)
        if base is None:
            return []
        pairs = []
        for alias in node.names:
            name = dotted_name(alias.name)
            if name is None:
                continue
            local = name
            if alias.asname is not None and isinstance(alias.asname.name, cst.Name):
                local = alias.asname.name.value
            pairs.append((local, f"{base}.{name}"))
        return pairs
    return []


def is_shadowed(module: ModuleContext, local: str, at: StatementInfo) -> bool:
    """Whether ``local`` may mean something other than its top-level import where ``at`` runs: any binding
    in an enclosing function or class, or a module-level binding that is not an import."""
    scope = at.scope
    while scope is not None and not isinstance(scope, cst.Module):
        if module.definitions(scope, local):
            return True
        scope = module.enclosing_scope(scope)
    if scope is None:
        return True
    return any(not isinstance(d.target, (cst.Import, cst.ImportFrom)) for d in module.definitions(scope, local))


def reference(module: ModuleContext, at: StatementInfo, targets: Sequence[str], *, prefer: Sequence[str] = (),
              min_parts: int = 1) -> str | None:
    """An expression naming one of the canonical qualified ``targets`` (``torch.nn.functional.logsigmoid``)
    through the module's top-level imports, as the user spells it (``F.logsigmoid``); None when no import
    reaches it. Bindings whose module path has fewer than ``min_parts`` parts are not used (so that
    ``import torch`` alone does not produce ``torch.nn.functional.logsigmoid``). Names in ``prefer`` (the
    alias the surrounding code already uses) win, then the shortest spelling."""
    candidates: list[tuple[int, int, str]] = []
    for binding in top_level_imports(module):
        if binding.qualified.count(".") + 1 < min_parts or is_shadowed(module, binding.local, at):
            continue
        for target in targets:
            if target == binding.qualified:
                text = binding.local
            elif target.startswith(binding.qualified + "."):
                text = binding.local + target[len(binding.qualified):]
            else:
                continue
            candidates.append((0 if binding.local in prefer else 1, len(text), text))
    return min(candidates)[2] if candidates else None


def add_import(module: ModuleContext, at: StatementInfo, statement: str, binds: str) -> Edit | None:
    """An edit inserting the import line ``statement`` (which binds the name ``binds``) on the line after
    the module's last top-level import. None when that is impossible or unsafe: ``binds`` already occurs
    anywhere in the module's text (a clash, or a name we cannot see the meaning of), there is no top-level
    import, the import would come after a module-level use at ``at``, or the import is the file's last line."""
    if re.search(rf"(?<![\w.]){re.escape(binds)}(?!\w)", module.text):
        return None
    imports = top_level_imports(module)
    if not imports:
        return None
    last = max(imports, key=lambda b: b.index)
    if isinstance(at.scope, cst.Module) and last.index >= at.top:
        return None
    line = module.range(last.statement).end.line + 1
    if line > len(module.lines):
        return None
    position = Position(line, 0)
    return Edit(position, position, statement + _newline(module))


def _newline(module: ModuleContext) -> str:
    return module.module.default_newline
