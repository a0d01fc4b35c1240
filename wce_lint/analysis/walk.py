"""A fast walk over LibCST nodes.

LibCST's visitor calls a hook for every node *and* every attribute of every node; on real files that costs
as much as the parse itself. Rules only need semantic children, so we descend through the dataclass fields
that can hold code, skipping whitespace, parentheses and punctuation.
"""

from __future__ import annotations

import dataclasses
from typing import Iterator

import libcst as cst

_NOT_CODE = {
    "lpar", "rpar", "comma", "colon", "dot", "equal", "semicolon", "lbrace", "rbrace", "lbracket",
    "rbracket", "leading_lines", "trailing_whitespace", "newline", "header", "footer", "empty_lines",
    "operator", "star", "asynchronous", "first_colon", "second_colon", "default_indent",
    "default_newline", "encoding", "has_trailing_newline", "indent", "lines_after_decorators", "comment",
    "posonly_ind", "trailing_comma", "leading_whitespace", "whitespace", "conversion",
    "relative", "separator", "lines_after_decorators",
}

_FIELDS: dict[type, tuple[str, ...]] = {}


def _node_types() -> frozenset[type]:
    found: set[type] = set()
    pending = [cst.CSTNode]
    while pending:
        kind = pending.pop()
        if kind not in found:
            found.add(kind)
            pending.extend(kind.__subclasses__())
    return frozenset(found)


# `isinstance(x, cst.CSTNode)` goes through ABCMeta on every call; a set of the concrete types is a hash
# lookup. Computed once: the parser only builds LibCST's own classes.
NODE_TYPES = _node_types()


# Nodes without code-bearing children: a walk need not look inside them (names are an eighth of all nodes).
LEAF_TYPES = frozenset({cst.Name, cst.Integer, cst.Float, cst.Imaginary, cst.SimpleString, cst.Ellipsis})


def code_fields(node_type: type) -> tuple[str, ...]:
    fields = _FIELDS.get(node_type)
    if fields is None:
        fields = tuple(
            field.name
            for field in dataclasses.fields(node_type)
            if field.name not in _NOT_CODE and not field.name.startswith("whitespace")
        )
        _FIELDS[node_type] = fields
    return fields


def children(node: cst.CSTNode) -> list[cst.CSTNode]:
    """The code-bearing children of ``node``, in source order."""
    found = []
    node_types = NODE_TYPES
    for name in _FIELDS.get(type(node)) or code_fields(type(node)):
        value = getattr(node, name)
        kind = type(value)
        if kind in node_types:
            found.append(value)
        elif kind is tuple or kind is list:
            found.extend(item for item in value if type(item) in node_types)
    return found


def descendants(node: cst.CSTNode) -> Iterator[cst.CSTNode]:
    """``node`` and everything below it, pre-order, without entering lambdas' scope rules."""
    stack = [node]
    while stack:
        current = stack.pop()
        yield current
        if type(current) not in LEAF_TYPES:
            stack.extend(reversed(children(current)))
