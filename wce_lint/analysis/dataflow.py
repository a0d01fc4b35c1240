"""Which definitions of a name can reach a use: flow-sensitive within a scope, cautious across branches.

A definition *dominates* a use when the blocks enclosing it are a prefix of the use's blocks (it runs
whenever the use runs). Walking back from the use, we collect definitions until one dominates; any earlier
ones are shadowed. Inside a loop, definitions later in the loop body can reach the use on the next
iteration unless a dominating definition inside the loop comes first. A reassignment *after* the use and
outside any loop around it never reaches it.

When no definition dominates, the value may come from elsewhere (a parameter, another branch not taken):
callers get ``None`` and stay silent — precision first.
"""

from __future__ import annotations

from typing import Union

import libcst as cst

from wce_lint.analysis.module import Definition, ModuleContext, Scope, StatementInfo


def _dominates(definition: StatementInfo, use: StatementInfo) -> bool:
    blocks = definition.blocks
    return use.blocks[: len(blocks)] == blocks


def reaching_definitions(module: ModuleContext, name: str, use: StatementInfo) -> list[Definition] | None:
    """The definitions of ``name`` that may reach ``use``; None when the set is open (unknown)."""
    scope: Scope | None = use.scope
    local = module.definitions(scope, name)
    if not local:
        return _enclosing_definitions(module, name, scope)
    before = [d for d in local if d.statement.order < use.order]
    candidates: list[Definition] = []
    dominating: Definition | None = None
    for definition in reversed(before):
        candidates.append(definition)
        if _dominates(definition.statement, use):
            dominating = definition
            break
    if dominating is None:
        return None
    # Definitions later in an enclosing loop reach the use on the next iteration,
    # unless the dominating definition is itself inside that loop (it runs again first).
    for loop_id, (first, last) in use.loops:
        if first <= dominating.statement.order <= last:
            continue
        candidates.extend(d for d in local if use.order < d.statement.order <= last)
    return candidates


def _enclosing_definitions(module: ModuleContext, name: str, scope: Scope | None) -> list[Definition] | None:
    """A name a function reads but never binds: the enclosing scopes' bindings, if there is exactly one."""
    while scope is not None and not isinstance(scope, cst.Module):
        scope = module.enclosing_scope(scope)
        if scope is None:
            return None
        if isinstance(scope, cst.ClassDef):
            continue  # methods do not see class-level names
        definitions = module.definitions(scope, name)
        if definitions:
            # Flow-insensitive here: the function may run after any of them, so only a single binding is sure.
            return definitions if len(definitions) == 1 else None
    return None


Bound = Union[cst.BaseExpression, None]
