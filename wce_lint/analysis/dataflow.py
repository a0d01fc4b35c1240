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

from dataclasses import dataclass
from typing import Iterator, Union

import libcst as cst

from wce_lint.analysis.module import Definition, ModuleContext, Scope, StatementInfo


def _dominates(definition: StatementInfo, use: StatementInfo) -> bool:
    blocks = definition.blocks
    return use.blocks[: len(blocks)] == blocks


def _other_branch_definition(definition: Definition, before: list[Definition], use: StatementInfo
                             ) -> Definition | None:
    """``if c: x = a`` / ``else: x = b`` before the use: x is bound on every path, by one of the two;
    returns the binding in the ``if`` body when ``definition`` is the one in the ``else``.

    Only the plain case: each branch binds the name unconditionally (directly in its body), and the ``if``
    itself runs whenever the use does.
    """
    blocks = definition.statement.blocks
    if not blocks or blocks[-1][1] != "else":
        return None
    owner, prefix = blocks[-1][0], blocks[:-1]
    if use.blocks[: len(prefix)] != prefix or any(block[0] == owner for block in use.blocks):
        return None  # the if does not always run before the use, or the use is inside it
    in_body = [d for d in before if d.statement.blocks == (*prefix, (owner, "body"))]
    return in_body[-1] if in_body else None  # the last binding in the body is the one that survives it


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
        other_branch = _other_branch_definition(definition, before, use)
        if other_branch is not None:
            candidates.append(other_branch)
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


# -- in-place changes ----------------------------------------------------------------------------
# Methods that rewrite a tensor/array in place: torch's trailing underscore (`w.fill_(…)`, `w.copy_(…)`),
# `tf.Variable.assign*`, NumPy's `fill`/`put`/`itemset`. Some also change the shape.
_IN_PLACE_METHODS = frozenset({"assign", "assign_add", "assign_sub", "scatter_update", "scatter_nd_update",
                               "fill", "put", "itemset", "sort", "partition"})
_RESHAPING_METHODS = frozenset({"resize", "resize_", "resize_as_", "set_", "unsqueeze_", "squeeze_", "t_",
                                "transpose_", "swapaxes_", "as_strided_"})
ELEMENTS, SHAPE = "elements", "shape"


def is_in_place_method(method: str) -> bool:
    """A method that changes its receiver in place (``fill_``, ``assign``, ``resize_`` …)."""
    return method in _RESHAPING_METHODS or method in _IN_PLACE_METHODS or (
        method.endswith("_") and not method.startswith("_"))


def mutated_in_place(module: ModuleContext, name: str, scopes: "set[int]") -> str | None:
    """How ``name`` (or ``self.w``: that attribute of ``self`` only) may be changed in place where one of its
    bindings (scopes given by ``id``) is visible:
    ``SHAPE`` (reshaped in place), ``ELEMENTS`` (``name[i] = …``, ``name.fill_(…)``…) or None.

    Flow-insensitive on purpose: a bound value is folded as if it never changed, so any in-place change in
    a scope that can see the binding makes its contents unknown (precision first).
    """
    table = module.cache.get("in_place_mutations")
    if table is None:
        table = _collect_in_place_mutations(module)
        module.cache["in_place_mutations"] = table
    worst = None
    for scope, kind in table.get(name, ()):  # type: ignore[union-attr]
        if id(scope) in scopes or not module.definitions(scope, name):
            if kind == SHAPE:
                return SHAPE
            worst = ELEMENTS
    return worst


def _base_name(node: cst.BaseExpression) -> str | None:
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        node = node.value
    return node.value if isinstance(node, cst.Name) else None


def _self_attribute(node: cst.BaseExpression) -> str | None:
    """``self.w`` for ``self.w``, ``self.w[0]``, ``self.w.data``; None for anything else."""
    while isinstance(node, (cst.Subscript, cst.Attribute)):
        if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
            return f"self.{node.attr.value}"
        node = node.value
    return None


def _collect_in_place_mutations(module: ModuleContext) -> dict[str, list[tuple[Scope, str]]]:
    table: dict[str, list[tuple[Scope, str]]] = {}

    def record(target: cst.BaseExpression, statement: StatementInfo | None, kind: str) -> None:
        name = _base_name(target)
        if name is not None and statement is not None:
            table.setdefault(name, []).append((statement.scope, kind))
            attribute = _self_attribute(target)
            if attribute is not None:  # also under `self.w`, for a question about that attribute only
                table.setdefault(attribute, []).append((statement.scope, kind))

    for site in module.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute):
            method = func.attr.value
            if method in _RESHAPING_METHODS:
                record(func.value, site.statement, SHAPE)
            elif is_in_place_method(method):
                record(func.value, site.statement, ELEMENTS)
        # `torch.nn.init.constant_(w, 0.5)`, `np.copyto(w, src)`, `np.add(a, b, out=w)`
        names = module.qualified_names(func)
        if site.node.args and any(n.endswith("_") or n == "numpy.copyto" for n in names):
            record(site.node.args[0].value, site.statement, ELEMENTS)
        for argument in site.node.args:
            if argument.keyword is not None and argument.keyword.value == "out":
                record(argument.value, site.statement, ELEMENTS)

    for small in _small_statements(module):
        targets: list[cst.BaseExpression] = []
        if isinstance(small, cst.Assign):
            targets = [t.target for t in small.targets]
        elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
            targets = [small.target]
        while targets:
            target = targets.pop()
            if isinstance(target, (cst.Tuple, cst.List)):
                targets.extend(e.value for e in target.elements)
            elif isinstance(target, cst.StarredElement):
                targets.append(target.value)
            elif isinstance(target, cst.Subscript):
                record(target, module.statement_of(small), ELEMENTS)
            elif isinstance(target, cst.Attribute) and _base_name(target) != "self":
                kind = SHAPE if target.attr.value == "shape" else ELEMENTS
                record(target, module.statement_of(small), kind)
    return table


def _small_statements(module: ModuleContext) -> Iterator[cst.BaseSmallStatement]:
    """Every small statement (an assignment, ``del`` …) of the module, in every block, in no set order."""
    stack: list[cst.CSTNode] = [module.module]
    while stack:
        node = stack.pop()
        if isinstance(node, (cst.SimpleStatementLine, cst.SimpleStatementSuite)):
            yield from node.body
            continue
        for field in ("body", "orelse", "handlers", "finalbody", "cases"):
            child = getattr(node, field, None)
            if isinstance(child, cst.CSTNode):
                stack.append(child)
            elif isinstance(child, (list, tuple)):
                stack.extend(c for c in child if isinstance(c, cst.CSTNode))


# -- dicts written key by key -----------------------------------------------------------------------
# Methods of a dict that only read it; any other method called on it (`update`, `pop`, `setdefault` …) may
# change what a key holds.
_READING_METHODS = frozenset({"get", "keys", "values", "items", "copy", "__contains__", "__len__"})


# Methods that change which layers a container model holds (torch `nn.Sequential`/`nn.ModuleList`/
# `nn.ModuleDict`, Keras `Sequential`); `add`, `append`, `add_module` and `register_module` add one at the end.
LAYER_CHANGING_METHODS = frozenset({"append", "extend", "insert", "pop", "add_module", "register_module", "add",
                                    "update", "clear", "__setitem__", "__delitem__", "__setattr__"})
APPENDING_METHODS = frozenset({"add", "append", "add_module", "register_module"})


@dataclass(frozen=True)
class KeyWrite:
    """``name["key"] = value`` at ``statement``; ``key`` None when it is not a literal string (or the dict
    is changed another way there: a method — ``method`` says which — ``del``, an augmented assignment).
    Recorded under the name, and under ``self.x`` for ``self.x[…] = …`` and ``self.x.method(…)``."""

    key: str | None
    value: cst.BaseExpression | None
    statement: StatementInfo
    method: str | None = None
    call: cst.Call | None = None

    @property
    def changes_layers(self) -> bool:
        return self.method in LAYER_CHANGING_METHODS if self.method is not None else True


def key_writes(module: ModuleContext, name: str, scope: Scope | None) -> list[KeyWrite]:
    """Every change of the dict or list bound to ``name`` in ``scope`` (None: in any scope), in program
    order (empty when there is none)."""
    table = module.cache.get("key_writes")
    if table is None:
        table = module.cache["key_writes"] = _collect_key_writes(module)
    return [w for w in table.get(name, ()) if scope is None or w.statement.scope is scope]  # type: ignore[union-attr]


def _collect_key_writes(module: ModuleContext) -> dict[str, list[KeyWrite]]:
    table: dict[str, list[KeyWrite]] = {}

    def record(name: str | None, key: str | None, value: cst.BaseExpression | None,
               statement: StatementInfo | None, method: str | None = None, call: cst.Call | None = None) -> None:
        if name is not None and statement is not None:
            table.setdefault(name, []).append(KeyWrite(key, value, statement, method, call))

    for site in module.calls:
        func = site.node.func
        if isinstance(func, cst.Attribute) and func.attr.value not in _READING_METHODS:
            record(_receiver(func.value), None, None, site.statement, func.attr.value, site.node)
    for small in _small_statements(module):
        targets: list[tuple[cst.BaseExpression, cst.BaseExpression | None]] = []
        if isinstance(small, cst.Assign):
            targets = [(t.target, small.value) for t in small.targets]
        elif isinstance(small, (cst.AugAssign, cst.AnnAssign)):
            targets = [(small.target, None)]
        elif isinstance(small, cst.Del):
            targets = [(small.target, None)]
        while targets:
            target, value = targets.pop()
            if isinstance(target, (cst.Tuple, cst.List)):
                targets.extend((e.value, None) for e in target.elements)
            elif isinstance(target, cst.Subscript) and _receiver(target.value) is not None:
                owner = target.value
                direct = isinstance(owner, cst.Name) or (isinstance(owner, cst.Attribute) and isinstance(
                    owner.value, cst.Name) and owner.value.value == "self")
                # `d["k"] = v` writes key "k" of d; `d["a"]["k"] = v` changes d some other way
                key = _literal_key(target) if value is not None and direct else None
                record(_receiver(target.value), key, value, module.statement_of(small))
            elif isinstance(target, cst.Attribute) and not (
                    isinstance(target.value, cst.Name) and target.value.value == "self"):
                # `model.fc = nn.Linear(512, 1)`: a model's head replaced (`self.x = …` is a binding)
                record(_receiver(target.value), None, value, module.statement_of(small), "__setattr__")
    for writes in table.values():
        writes.sort(key=lambda w: w.statement.order)
    return table


def _receiver(node: cst.BaseExpression) -> str | None:
    """What a change through ``node`` changes: ``d`` for a name, ``self.x`` for an attribute of ``self``, and
    the base of an attribute chain (``model`` for ``model.classifier``, ``self.net`` for ``self.net.head``);
    None for anything else."""
    while isinstance(node, cst.Subscript) or (isinstance(node, cst.Attribute) and not (
            isinstance(node.value, cst.Name) and node.value.value == "self")):
        node = node.value  # `model.layers[-1].activation = …` changes `model`
    if isinstance(node, cst.Name):
        return node.value
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        return f"self.{node.attr.value}"
    return None


def _literal_key(target: cst.Subscript) -> str | None:
    if len(target.slice) != 1 or not isinstance(target.slice[0].slice, cst.Index):
        return None
    key = target.slice[0].slice.value
    return key.evaluated_value if isinstance(key, cst.SimpleString) and isinstance(key.evaluated_value, str) else None
