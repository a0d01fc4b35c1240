"""Where a value inside a function comes from when it is one of the function's parameters — directly, or
through ``self.attr`` bound once in ``__init__`` — and which values that parameter receives: its default and
the arguments of every call of the function (or of the class's constructor) in the module."""

from __future__ import annotations

from dataclasses import dataclass

import libcst as cst

from wce_lint.analysis import summary_store
from wce_lint.analysis.apis import Signature
from wce_lint.analysis.calls import bind
from wce_lint.analysis.classes import enclosing_class
from wce_lint.analysis.provenance import bindings
from wce_lint.analysis.module import ClassInfo, ModuleContext, StatementInfo
from wce_lint.analysis.evaluator import value_of
from wce_lint.analysis.values import Value

MAX_HOPS = 4


@dataclass(frozen=True, eq=False)
class ParameterRef:
    function: cst.FunctionDef  # the function declaring the parameter (``__init__`` for a class)
    param: cst.Param
    owner: ClassInfo | None = None  # set when reached through ``self.attr``

    @property
    def name(self) -> str:
        return self.param.name.value

    @property
    def key(self) -> tuple[int, str]:
        return id(self.function), self.name

    @property
    def callable_name(self) -> str:
        return self.owner.node.name.value if self.owner is not None else self.function.name.value


@dataclass(frozen=True)
class ArgumentValue:
    node: cst.BaseExpression  # the default or the call's argument value
    value: Value
    call: cst.Call | None  # None for the default


def parameter_of(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo,
                 hops: int = 0) -> ParameterRef | None:
    """The parameter ``node`` (read at ``at``) is, or None."""
    if hops > MAX_HOPS:
        return None
    if isinstance(node, cst.Name):
        definitions = bindings(module, node.value, at)
        if not definitions or len(definitions) != 1:
            return None
        definition = definitions[0]
        if isinstance(definition.target, cst.Param) and isinstance(definition.statement.scope, cst.FunctionDef):
            return ParameterRef(definition.statement.scope, definition.target)
        if definition.value is not None:
            return parameter_of(module, definition.value, definition.statement, hops + 1)
        return None
    if isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self":
        owner = enclosing_class(module, at)
        if owner is None:
            return None
        bound = owner.attributes.get(node.attr.value, [])
        if len(bound) != 1:
            return None
        value, statement = bound[0]
        init = owner.methods.get("__init__")
        if init is None or statement.scope is not init.node:
            return None
        ref = parameter_of(module, value, statement, hops + 1)
        if ref is None or ref.function is not init.node:
            return None
        return ParameterRef(ref.function, ref.param, owner)
    return None


def argument_values(module: ModuleContext, ref: ParameterRef) -> list[ArgumentValue]:
    """The static values ``ref`` receives: its default, and the arguments of the calls of its function (a
    module-level function) or of its class (a module-level class, for ``__init__`` parameters)."""
    found: list[ArgumentValue] = []
    default = ref.param.default
    if default is not None:
        value = value_of(module, default, module.statement_of(default)).static
        if value is not None:
            found.append(ArgumentValue(default, value, None))
    params = ref.function.params
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if ref.owner is not None:
        if ref.function.name.value != "__init__" or module.classes.get(ref.callable_name) is not ref.owner:
            return found
        callee: cst.CSTNode = ref.owner.node
        positional = positional[1:]  # self
    else:
        function = module.module_functions.get(ref.function.name.value)
        if function is None or function.node is not ref.function:
            return found
        callee = ref.function
    if ref.param is params.star_arg or ref.param is params.star_kwarg:
        return found
    signature = Signature(tuple(positional), tuple(p.name.value for p in params.kwonly_params))
    for site in module.calls:
        func = site.node.func
        if not isinstance(func, cst.Name) or func.value != ref.callable_name:
            continue
        definitions = bindings(module, func.value, site.statement)
        if not definitions or any(d.target is not callee for d in definitions):
            continue
        argument = bind(signature, site.node).get(ref.name)
        if argument is None:
            continue
        value = value_of(module, argument.value, site.statement).static
        if value is not None:
            found.append(ArgumentValue(argument.value, value, site.node))
    return found


@dataclass(frozen=True)
class ForeignCall:
    """A call in one module of a function or class defined in another module of the project."""

    site: cst.Call
    at: StatementInfo
    home: ModuleContext  # where the callee is defined
    function: cst.FunctionDef  # the function called (``__init__`` for a class)
    bound_self: bool  # ``self`` is not passed by the call (a method, or a class's constructor)


def foreign_calls(module: ModuleContext) -> list[ForeignCall]:
    """The calls in ``module`` of the project's functions, methods and classes defined in other modules
    (memoised): what a parameter of theirs receives from here is checked here, so a one-file run of this
    module reports it as a whole-project run does."""
    cached = module.cache.get("parameters.foreign_calls")
    if cached is not None:
        return cached  # type: ignore[return-value]
    from wce_lint.analysis.module import FunctionInfo
    from wce_lint.analysis.project import resolve_symbol
    from wce_lint.analysis.provenance import callee_of

    found: list[ForeignCall] = []
    for site in module.calls:
        names = module.qualified_names(site.node.func)
        if names and summary_store.skips(summary_store.FOREIGN, module, names):
            continue  # its module has no focal loss and no weighting (stored): nothing to check here
        symbol = resolve_symbol(module, names) if names else None
        call = None
        if symbol is not None and symbol[0] is not module and isinstance(symbol[1], ClassInfo):
            init = symbol[1].methods.get("__init__")
            if init is not None:
                call = ForeignCall(site.node, site.statement, symbol[0], init.node, True)
        else:
            callee = callee_of(module, site.node, site.statement)
            if callee is not None and callee[0] is not module and isinstance(callee[1], FunctionInfo):
                call = ForeignCall(site.node, site.statement, callee[0], callee[1].node, callee[2])
        if call is not None:
            found.append(call)
        if names:
            summary_store.expect(summary_store.FOREIGN, module, names, call.home if call is not None else None)
    module.cache["parameters.foreign_calls"] = found
    return found


def foreign_arguments(module: ModuleContext, home: ModuleContext, ref: ParameterRef) -> list[ArgumentValue]:
    """The static values ``ref`` (a parameter of a function or class of ``home``) receives from the calls in
    ``module``, another module of the project. Its default is not among them: it is reported in ``home``."""
    if module is home:
        return []
    from wce_lint.analysis.provenance import argument_for

    found: list[ArgumentValue] = []
    for call in foreign_calls(module):
        if call.home is not home or call.function is not ref.function:
            continue
        argument = argument_for(ref.function, ref.param, call.site, call.bound_self)
        if argument is None:
            continue
        value = value_of(module, argument.value, call.at).static
        if value is not None:
            found.append(ArgumentValue(argument.value, value, call.site))
    return found


def foreign_homes(module: ModuleContext) -> list[ModuleContext]:
    """The other modules of the project whose functions or classes ``module`` calls (each once)."""
    homes: dict[int, ModuleContext] = {}
    for call in foreign_calls(module):
        homes.setdefault(id(call.home), call.home)
    return list(homes.values())
