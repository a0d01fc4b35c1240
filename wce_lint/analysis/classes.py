"""The class hierarchy of the project's own classes: the bases written in a ``class`` statement, Python's
method resolution order over them, inherited methods and ``self.x`` assignments, and which class ``self``
denotes while a method inherited from a base is followed.

A base is followed when it is a class of the project: of the same module (a module-level name bound once to
that class) or imported from another project module. A known framework base (``nn.Module``, ``keras.Model``,
``object`` …) ends the chain and defines nothing the analysis follows. Any other base (an installed mixin,
an expression) is *opaque*: it may define any method, so a method lookup that reaches it gives up.

``self`` inside a method of a base ``B`` is an instance of whichever subclass is being followed: while the
provenance follows ``C().forward`` inherited from ``B``, ``self.head`` in ``B.forward`` is ``C``'s. That
subclass is the *receiver*, set by ``receiving`` around the evaluation of an inherited method's returns and
part of the memo key of every value read in code of its bases (``context_key``).
"""

from __future__ import annotations

from contextlib import contextmanager
from contextvars import ContextVar
from typing import Iterator, Union

import libcst as cst

from wce_lint.analysis.module import ClassInfo, FunctionInfo, ModuleContext, StatementInfo

ClassRef = tuple[ModuleContext, ClassInfo]  # a class of the project and the module defining it

# Bases that end a chain without defining a method we would follow (their `__call__` dispatches to
# `forward`/`call`, which a subclass defines).
FRAMEWORK_BASES = frozenset({
    "torch.nn.Module", "keras.Model", "keras.models.Model", "keras.layers.Layer", "keras.Layer",
    "abc.ABC", "typing.Generic", "builtins.object", "flax.linen.Module", "keras.losses.Loss", "keras.Loss",
})
MAX_BASE_DEPTH = 8  # classes deeper than this in a chain are treated as opaque (and cycles end there)


class _Framework:
    """A framework base in a linearisation (by name, so two bases naming ``nn.Module`` merge)."""

    def __init__(self, name: str) -> None:
        self.name = name


class _Opaque:
    """A base we cannot see into: a lookup reaching it gives up."""


Entry = Union[ClassInfo, _Framework, _Opaque]
_FRAMEWORKS: dict[str, _Framework] = {}

_RECEIVER: ContextVar["ClassRef | None"] = ContextVar("wce_lint_receiver", default=None)


def bases_of(module: ModuleContext, cls: ClassInfo) -> list[ClassRef]:
    """The bases of ``cls`` (defined in ``module``) that are classes of the project, in the order written."""
    return [base for base in _bases(module, cls) if isinstance(base, tuple)]


def _bases(module: ModuleContext, cls: ClassInfo) -> list["ClassRef | _Framework | _Opaque"]:
    key = ("classes.bases", id(cls.node))
    cached = module.cache.get(key)
    if cached is None:
        cached = module.cache[key] = [_resolve_base(module, arg) for arg in cls.node.bases]
    return cached  # type: ignore[return-value]


def _resolve_base(module: ModuleContext, arg: cst.Arg) -> "ClassRef | _Framework | _Opaque":
    if arg.star or arg.keyword is not None:
        return _Opaque()
    expression = arg.value
    if isinstance(expression, cst.Subscript):  # `Generic[T]`
        expression = expression.value
    names = module.qualified_names(expression)
    for name in names:
        if name in FRAMEWORK_BASES:
            return _FRAMEWORKS.setdefault(name, _Framework(name))
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        if symbol is not None and isinstance(symbol[1], ClassInfo):
            return symbol  # type: ignore[return-value]
        return _Opaque()
    if isinstance(expression, cst.Name):
        definitions = module.definitions(module.module, expression.value)
        if expression.value == "object" and not definitions:
            return _FRAMEWORKS.setdefault("builtins.object", _Framework("builtins.object"))
        local = module.classes.get(expression.value)
        if local is not None and len(definitions) == 1 and definitions[0].target is local.node:
            return module, local
    return _Opaque()


def has_framework_base(module: ModuleContext, cls: ClassInfo, name: str) -> bool:
    """``cls`` derives (through the project's classes) from the framework base ``name`` (``flax.linen.Module``)."""
    return any(isinstance(entry, _Framework) and entry.name == name for _, entry in linearization(module, cls))


def linearization(module: ModuleContext, cls: ClassInfo) -> list[tuple[ModuleContext | None, Entry]]:
    """Python's MRO (C3) of ``cls`` over what can be resolved: (home, class) for the project's classes,
    (None, marker) for framework and opaque bases. A cycle of bases, a chain deeper than ``MAX_BASE_DEPTH``
    or bases C3 cannot order end in an opaque entry (broken code: nothing after it is trusted)."""
    return _linearization(module, cls, 0)[0]


_IN_PROGRESS = object()


def _linearization(module: ModuleContext, cls: ClassInfo,
                   depth: int) -> tuple[list[tuple[ModuleContext | None, Entry]], bool]:
    """(the MRO, whether it is complete). Only a complete one is memoised, so what a class resolves to never
    depends on where its chain was first asked from."""
    key = ("classes.mro", id(cls.node))
    cached = module.cache.get(key)
    if cached is _IN_PROGRESS or depth > MAX_BASE_DEPTH:
        return [(module, cls), (None, _Opaque())], False  # a cycle of bases, or too deep
    if cached is not None:
        return cached, True  # type: ignore[return-value]
    module.cache[key] = _IN_PROGRESS
    try:
        result, complete = _c3(module, cls, depth)
    finally:
        del module.cache[key]
    if complete:
        module.cache[key] = result
    return result, complete


def _c3(module: ModuleContext, cls: ClassInfo,
        depth: int) -> tuple[list[tuple[ModuleContext | None, Entry]], bool]:
    sequences: list[list[tuple[ModuleContext | None, Entry]]] = []
    direct: list[tuple[ModuleContext | None, Entry]] = []
    complete = True
    for base in _bases(module, cls):
        if isinstance(base, tuple):
            home, info = base
            inherited, base_complete = _linearization(home, info, depth + 1)
            complete = complete and base_complete
            sequences.append(list(inherited))
            direct.append((home, info))
        else:
            sequences.append([(None, base)])
            direct.append((None, base))
    if not complete:
        return [(module, cls), (None, _Opaque())], False  # a cycle or too deep: only its own methods count
    sequences.append(direct)
    result: list[tuple[ModuleContext | None, Entry]] = [(module, cls)]
    while True:
        sequences = [s for s in sequences if s]
        if not sequences:
            return result, complete
        for sequence in sequences:
            candidate = sequence[0][1]
            if not any(entry is candidate for s in sequences for _, entry in s[1:]):
                break
        else:
            return [*result, (None, _Opaque())], complete  # no consistent order: Python raises TypeError
        result.append(sequence[0])
        sequences = [s[1:] if s[0][1] is candidate else s for s in sequences]


def method_of(module: ModuleContext, cls: ClassInfo, name: str) -> tuple[ModuleContext, FunctionInfo] | None:
    """The method ``name`` an instance of ``cls`` runs, following the MRO; None when no project class before
    an opaque base defines it, or when an instance attribute (``self.name = …``) may shadow it."""
    return _lookup(linearization(module, cls), name, after=None)


def next_method(module: ModuleContext, cls: ClassInfo, after: ClassInfo,
                name: str) -> tuple[ModuleContext, FunctionInfo] | None:
    """``super(after, self).name`` for ``self`` an instance of ``cls``: the lookup starts past ``after``."""
    return _lookup(linearization(module, cls), name, after=after)


def _lookup(mro: list[tuple[ModuleContext | None, Entry]], name: str,
            after: ClassInfo | None) -> tuple[ModuleContext, FunctionInfo] | None:
    started = after is None
    if any(isinstance(entry, ClassInfo) and name in entry.attributes or
           isinstance(entry, ClassInfo) and name in entry.unpacked_attributes for _, entry in mro):
        return None  # `self.forward = …` somewhere: the instance's attribute wins over the class's method
    for home, entry in mro:
        if not started:
            started = entry is after
            continue
        if isinstance(entry, _Opaque):
            return None
        if not isinstance(entry, ClassInfo) or home is None:
            continue
        if _class_level_binding(home, entry, name):
            return None  # `forward = other` in the class body: not a def we can follow
        method = entry.methods.get(name)
        if method is not None:
            return home, method
    return None


def _class_level_binding(home: ModuleContext, cls: ClassInfo, name: str) -> bool:
    method = cls.methods.get(name)
    return any(method is None or d.target is not method.node for d in home.definitions(cls.node, name))


def called_method(module: ModuleContext, cls: ClassInfo,
                  names: tuple[str, ...] = ("forward", "call", "__call__"),
                  ) -> tuple[ModuleContext, FunctionInfo] | None:
    """What calling an instance runs: the first class of the MRO defining one of ``names`` decides (within a
    class, in the order of ``names``); None at an opaque base or when none defines one."""
    mro = linearization(module, cls)
    for home, entry in mro:
        if isinstance(entry, _Opaque):
            return None
        if isinstance(entry, ClassInfo) and home is not None and any(n in entry.methods for n in _CALLED):
            # the first class defining any of them decides (its `__call__` runs before a base's `forward`)
            name = next((n for n in names if n in entry.methods), None)
            return _lookup(mro, name, after=None) if name is not None else None
    return None


_CALLED = ("forward", "call", "__call__")


def attribute_assignments(module: ModuleContext, cls: ClassInfo, name: str) -> list[
        tuple[ModuleContext, cst.BaseExpression, StatementInfo, tuple[int, ...] | None]]:
    """Every ``self.name = …`` in ``cls`` and its project bases: (home, value, statement, index path of a
    tuple target or None). Which one holds when the attribute is read is not known: all must agree."""
    found = []
    for home, entry in linearization(module, cls):
        if isinstance(entry, ClassInfo) and home is not None:
            found.extend((home, value, statement, None) for value, statement in entry.attributes.get(name, []))
            found.extend((home, value, statement, path)
                         for value, statement, path in entry.unpacked_attributes.get(name, []))
    return found


def enclosing_class(module: ModuleContext, at: StatementInfo) -> ClassInfo | None:
    """The module-level class whose body (or a method of it) holds statement ``at``."""
    scope = at.scope
    while scope is not None and not isinstance(scope, cst.Module):
        if isinstance(scope, cst.ClassDef):
            owner = module.classes.get(scope.name.value)
            return owner if owner is not None and owner.node is scope else None
        scope = module.enclosing_scope(scope)
    return None


def in_mro(module: ModuleContext, cls: ClassInfo, other: ClassInfo) -> bool:
    return any(entry is other for _, entry in linearization(module, cls))


def self_class(module: ModuleContext, at: StatementInfo) -> ClassRef | None:
    """The class ``self`` is an instance of at ``at``: the receiver being followed when the code belongs to
    one of its bases, else the class enclosing the code."""
    own = enclosing_class(module, at)
    if own is None:
        return None
    receiver = _RECEIVER.get()
    if receiver is not None and receiver[1] is not own and in_mro(receiver[0], receiver[1], own):
        return receiver
    return module, own


def context_key(module: ModuleContext, at: StatementInfo) -> int | None:
    """What, beyond the node and the statement, a value read at ``at`` depends on: the receiver, when ``at``
    is in the code of one of its bases (None otherwise: the usual case, and the only one without a receiver)."""
    if _RECEIVER.get() is None:
        return None
    found = self_class(module, at)
    if found is None or found[1] is enclosing_class(module, at):
        return None
    return id(found[1].node)


@contextmanager
def receiving(receiver: ClassRef | None) -> Iterator[None]:
    """Follow a method with ``self`` an instance of ``receiver`` (None: leave the current one)."""
    if receiver is None:
        yield
        return
    token = _RECEIVER.set(receiver)
    try:
        yield
    finally:
        _RECEIVER.reset(token)


def super_method(module: ModuleContext, call: cst.Call, at: StatementInfo,
                 name: str) -> tuple[ModuleContext, FunctionInfo, ClassRef] | None:
    """``super().name`` / ``super(Cls, self).name`` at ``at``: (home, method, the receiver), or None."""
    func = call.func
    if not isinstance(func, cst.Name) or func.value != "super" or module.qualified_names(func):
        return None
    if module.definitions(module.module, "super"):
        return None  # `super` rebound at module level
    receiver = self_class(module, at)
    own = enclosing_class(module, at)
    if receiver is None or own is None:
        return None
    if call.args:
        if len(call.args) != 2 or any(a.star or a.keyword for a in call.args):
            return None
        first, second = call.args[0].value, call.args[1].value
        if not (isinstance(second, cst.Name) and second.value == "self"):
            return None
        named = _resolve_base(module, cst.Arg(first))
        if not isinstance(named, tuple):
            return None
        own = named[1]
    found = next_method(receiver[0], receiver[1], own, name)
    return (*found, receiver) if found is not None else None


def context_free(module: ModuleContext, cls: ClassInfo,
                 found: tuple[ModuleContext, FunctionInfo] | None) -> tuple[ModuleContext, FunctionInfo] | None:
    """``found``, a method an instance of ``cls`` runs, when what is computed once for it with ``self`` its own
    class (a summary) holds for ``cls`` too: no class before the one defining it in the MRO of ``cls``
    redefines a method or attribute that the defining class's side of the hierarchy defines (the constructor
    aside). None otherwise: the summary might read the base's version where the instance has another."""
    if found is None:
        return None
    mro = linearization(module, cls)
    derived: set[str] = set()
    defining = None
    for index, (_, entry) in enumerate(mro):
        if isinstance(entry, ClassInfo) and any(m is found[1] for m in entry.methods.values()):
            defining = index
            break
        if isinstance(entry, ClassInfo):
            derived |= _defined(entry)
    if defining is None:
        return None
    if defining == 0:
        return found
    derived.discard("__init__")
    for _, entry in mro[defining:]:
        if isinstance(entry, ClassInfo) and derived & _defined(entry):
            return None
    return found


def _defined(cls: ClassInfo) -> set[str]:
    return {*cls.methods, *cls.attributes, *cls.unpacked_attributes}


DATACLASS_DECORATORS = frozenset({"dataclasses.dataclass", "flax.struct.dataclass", "chex.dataclass"})


def dataclass_fields(module: ModuleContext, cls: ClassInfo) -> list[str] | None:
    """The ``__init__`` parameters of a plain dataclass of the project, in order (``logits: torch.Tensor``;
    a field with a default is one too: a call that leaves it out leaves it unknown); None for any other class —
    one with bases, its own ``__init__``/``__post_init__``, a method that assigns ``self.x`` (a field may change
    after it is built), or fields this reading would misplace (``field(init=False)``, ``KW_ONLY``, ``InitVar``)."""
    node = cls.node
    if node.bases or node.keywords or cls.methods.keys() & {"__init__", "__post_init__", "__new__"} \
            or cls.attributes or cls.unpacked_attributes:
        return None
    if not any(module.qualified_names(d.decorator.func if isinstance(d.decorator, cst.Call) else d.decorator)
               & DATACLASS_DECORATORS for d in node.decorators):
        return None
    fields = []
    for line in node.body.body:
        if not isinstance(line, cst.SimpleStatementLine):
            continue  # a method, a nested class …: not a field
        for small in line.body:
            if not isinstance(small, cst.AnnAssign) or not isinstance(small.target, cst.Name):
                continue
            annotation = module.code(small.annotation.annotation)
            if "ClassVar" in annotation:
                continue  # a class attribute, not a field
            if "KW_ONLY" in annotation or "InitVar" in annotation or (
                    isinstance(small.value, cst.Call) and any(a.keyword is not None and a.keyword.value == "init"
                                                              for a in small.value.args)):
                return None
            fields.append(small.target.value)
    return fields
