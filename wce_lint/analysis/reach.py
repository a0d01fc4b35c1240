"""What a name or attribute holds where it is read — the structural steps every value question shares.

Each analysis asks its own question of a value (what produced it, what number it is, is it a per-class
vector, is it a power), but the steps *between* a read and the expression that made the value are the same
for all of them, and are taken here only: a name's reaching bindings (``provenance.bindings``, the only
caller of ``dataflow.reaching_definitions``), a literal tuple's element (also of what a project function
returns), ``self.x`` assigned anywhere in the class or its project bases, and a parameter of a function
whose call is being evaluated (``CallFrame``: the argument that call passes, read in the caller). Names
imported from another module of the project are ``project.resolve_value``'s.

``possible_values`` gives every expression that may reach a read (or None when the set is open); callers
decide how they agree. ``bound_value`` is the common special case: the one expression a read holds.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import libcst as cst

from wce_lint.analysis.classes import attribute_assignments, enclosing_class
from wce_lint.analysis.module import ModuleContext, StatementInfo
from wce_lint.rule import TraceStep


@dataclass(frozen=True)
class CallFrame:
    """A call being followed into its function: the function's parameters are what ``call`` passes."""

    function: cst.FunctionDef
    call: cst.Call
    caller: ModuleContext
    at: StatementInfo  # where the call is, in the caller
    method: bool  # ``self`` is bound (not passed by the call)
    parent: "CallFrame | None" = None

    @cached_property
    def key(self) -> tuple[int, ...]:
        """Identifies the chain of calls (for memoising per calling context)."""
        frame: CallFrame | None = self
        ids = []
        while frame is not None:
            ids.append(id(frame.call))
            frame = frame.parent
        return tuple(ids)

    @cached_property
    def depth(self) -> int:
        return len(self.key)


MAX_FRAMES = 4  # calls followed into, one inside the other, for one question


@dataclass(frozen=True)
class Bound:
    """An expression a read may hold: ``value`` in ``home`` read at ``statement`` (in ``frame``)."""

    value: cst.BaseExpression
    statement: StatementInfo
    step: TraceStep
    home: ModuleContext
    frame: CallFrame | None = None


def self_attribute_values(module: ModuleContext, at: StatementInfo, attribute: str
                          ) -> list[tuple[ModuleContext, cst.BaseExpression, StatementInfo]] | None:
    """Every plain assignment of ``self.<attribute>`` in the class around ``at`` and its project bases
    (``classes.attribute_assignments``), each with its module; None when one assigns it by unpacking (only
    the value analysis follows elements), when there is none, or when the class is not known."""
    owner = enclosing_class(module, at)
    if owner is None:
        return None
    found = attribute_assignments(module, owner, attribute)
    if not found or any(path is not None for _, _, _, path in found):
        return None
    return [(home, value, statement) for home, value, statement, _ in found]


def possible_values(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
                    frame: CallFrame | None = None) -> list[Bound] | None:
    """Every expression that may reach the read ``node`` (a name or ``self.x``) at ``at``; None when unknown
    (a binding without a value we can follow, a parameter outside a call being followed, an import —
    ``project.resolve_value`` answers those — anything else)."""
    if isinstance(node, cst.Name):
        return _name_values(module, node.value, at, frame)
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        assigned = self_attribute_values(module, at, node.attr.value)
        if assigned is None:
            return None
        step = f"`self.{node.attr.value}` is assigned here"
        return [Bound(value, statement, TraceStep(step, value), home) for home, value, statement in assigned]
    return None


def _name_values(module: ModuleContext, name: str, at: StatementInfo,
                 frame: CallFrame | None) -> list[Bound] | None:
    from wce_lint.analysis.provenance import bindings

    definitions = bindings(module, name, at)
    if not definitions:
        return None
    found = []
    for definition in definitions:
        if definition.value is not None:
            found.append(Bound(definition.value, definition.statement,
                               TraceStep(f"`{name}` is assigned here", definition.target), module, frame))
            continue
        target = definition.target
        if isinstance(target, cst.Param):
            argument = _argument(frame, target, definition.statement)
            if argument is None:
                return None
            found.append(argument)
        elif definition.unpacked is not None:
            elements = _returned_elements(module, definition.unpacked, definition.statement, frame)
            if elements is None:
                return None
            found.extend(elements)
        else:
            return None
    return found


def _returned_elements(module: ModuleContext, unpacked: tuple[cst.BaseExpression, tuple[int, ...]],
                       at: StatementInfo, frame: CallFrame | None) -> list[Bound] | None:
    """``pw, w = weights(2.0)``: element ``path`` of every ``return`` of the project function called — each
    return must be a literal tuple — read in that function, its parameters being what this call passes."""
    value, path = unpacked
    if not isinstance(value, cst.Call) or not path or (frame is not None and frame.depth >= MAX_FRAMES):
        return None
    from wce_lint.analysis.provenance import callee_of

    callee = callee_of(module, value, at)
    if callee is None or not callee[1].returns:
        return None
    home, function, method = callee
    inner = CallFrame(function.node, value, module, at, method, frame)
    found = []
    for returned, statement in function.returns:
        for index in path:
            if not isinstance(returned, (cst.Tuple, cst.List)) or any(
                    isinstance(e, cst.StarredElement) for e in returned.elements) \
                    or not -len(returned.elements) <= index < len(returned.elements):
                return None
            returned = returned.elements[index].value
        step = TraceStep(f"returned by `{function.name}`", returned)
        found.append(Bound(returned, statement, step, home, inner))
    return found


def _argument(frame: CallFrame | None, param: cst.Param, statement: StatementInfo) -> Bound | None:
    """What the call being followed passes for ``param`` (read in the caller, in the caller's frame)."""
    if frame is None or statement.scope is not frame.function:
        return None
    from wce_lint.analysis.provenance import argument_for

    argument = argument_for(frame.function, param, frame.call, frame.method)
    if argument is None:
        return None
    step = TraceStep(f"`{param.name.value}` is passed here", argument.value)
    return Bound(argument.value, frame.at, step, frame.caller, frame.parent)


def bound_value(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo, *,
                same_scope: bool = False) -> Bound | None:
    """The one expression the read ``node`` holds at ``at`` (a name bound once where it is read, ``self.x``
    assigned once in the class); None when there are several, or none we can follow. With ``same_scope``,
    only a binding in the scope of the read counts."""
    found = possible_values(module, node, at)
    if found is None or len(found) != 1:
        return None
    bound = found[0]
    if same_scope and (not isinstance(node, cst.Name) or bound.statement.scope is not at.scope):
        return None
    return bound


def step_out(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
             frame: CallFrame | None = None) -> Bound | None:
    """The expression that made the value of ``node`` when it is written in another function or module: a
    name imported from a module of the project (bound once there), ``self.x`` assigned once in a base of
    another module, the one ``return`` of a project function the call runs (read in that function, its
    parameters being what this call passes), a parameter of the call being followed. None otherwise: a read
    within this module is ``bound_value``'s."""
    if isinstance(node, cst.Call):
        if frame is not None and frame.depth >= MAX_FRAMES:
            return None
        from wce_lint.analysis.provenance import callee_of

        callee = callee_of(module, node, at)
        if callee is None or len(callee[1].returns) != 1:
            return None
        home, function, method = callee
        value, statement = function.returns[0]
        inner = CallFrame(function.node, node, module, at, method, frame)
        return Bound(value, statement, TraceStep(f"returned by `{function.name}`", value), home, inner)
    if isinstance(node, cst.Name):
        from wce_lint.analysis.provenance import bindings

        definitions = bindings(module, node.value, at)
        if not definitions:
            return None
        if len(definitions) == 1 and isinstance(definitions[0].target, cst.ImportFrom):
            from wce_lint.analysis.project import resolve_value

            imported = resolve_value(module, module.imports.resolve_dotted(node.value), constants=True)
            if imported is None:
                return None
            home, definition = imported
            return Bound(definition.value, definition.statement,
                         TraceStep(f"`{definition.name}` is assigned here", definition.target), home)
    found = possible_values(module, node, at, frame)
    if found is None or len(found) != 1 or (found[0].home is module and found[0].frame is frame):
        return None  # a read within this function and module: `bound_value`'s
    return found[0]  # `self.x` of a base in another module, a parameter of the call being followed

