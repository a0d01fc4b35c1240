"""Building fix edits from nodes: a fix is a set of text replacements at node positions."""

from __future__ import annotations

import libcst as cst

from wce_lint.analysis.module import ModuleContext
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
