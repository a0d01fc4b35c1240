"""Which function of the project a call runs, and what it passes each parameter: plain and imported
functions, methods (own, inherited, ``super()``), instances called as functions (``forward``/``call``),
the ``__init__`` that building an instance runs, and functions referred to by name. Shared by the value
evaluator (``provenance``), the summaries and the static values."""

from __future__ import annotations

import libcst as cst

from wce_lint.analysis.classes import called_method, context_free, context_key, method_of, self_class, super_method
from wce_lint.analysis.module import ClassInfo, FunctionInfo, ModuleContext, StatementInfo

MAX_DEPTH = 12


def argument_for(function: cst.FunctionDef, param: cst.Param, call: cst.Call,
                 method: bool) -> cst.Arg | None:
    """The argument ``call`` passes for ``param`` of ``function`` (``self`` skipped for methods); None when
    unknown (``*args``/``**kwargs`` at the call, a star parameter, the default)."""
    from wce_lint.analysis.apis import Signature
    from wce_lint.analysis.calls import bind

    params = function.params
    if param is params.star_arg or param is params.star_kwarg:
        return None
    positional = [p.name.value for p in (*params.posonly_params, *params.params)]
    if method and positional:
        positional = positional[1:]
    signature = Signature(tuple(positional), tuple(p.name.value for p in params.kwonly_params))
    return bind(signature, call).get(param.name.value)


# Decorators that return the function they decorate, or one that computes the same values.
TRANSPARENT_DECORATORS = frozenset({
    "tensorflow.function", "torch.no_grad", "torch.inference_mode", "torch.jit.script", "jax.jit",
    "functools.wraps", "staticmethod", "classmethod", "property", "torch.compile",
})


def is_followable(module: ModuleContext, function: FunctionInfo) -> tuple[bool, bool]:
    """(whether calls of ``function`` may be followed into it, whether it is called without ``self``):
    a decorator we do not know may replace it with anything."""
    static = False
    for decorator in getattr(function.node, "decorators", ()):  # a lambda has none
        expression = decorator.decorator
        if isinstance(expression, cst.Call):
            expression = expression.func
        names = module.qualified_names(expression)
        if isinstance(expression, cst.Name) and expression.value in ("staticmethod", "classmethod", "property"):
            static = static or expression.value == "staticmethod"
            continue
        if not names & TRANSPARENT_DECORATORS:
            return False, False
    return True, static


def callee_of(module: ModuleContext, call: cst.Call, at: StatementInfo | None,
              depth: int = 0) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    """The function of the project a call runs — (its module, its info, whether ``self`` is bound) — for a
    plain or imported function, ``self.method(…)``, ``obj.method(…)`` on an instance of a project class,
    and an instance called as a function (its ``forward``/``call``); None for anything else."""
    if at is None or depth > MAX_DEPTH:
        return None
    # asked for every call by the summaries of loss slots and of logs
    key = ("callee", id(call), context_key(module, at))
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    module.cache[key] = None
    found = _callee(module, call, at, depth)
    result = None
    if found is not None:
        home, function, method = found
        followable, static = is_followable(home, function)
        if followable:
            result = home, function, method and not static
    module.cache[key] = result
    return result


def initializer_of(module: ModuleContext, call: cst.Call, at: StatementInfo | None
                   ) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    """The ``__init__`` (own or inherited from a project base) that building an instance of a project class
    runs — ``Wrapper(w)`` — as (its module, its info, True: ``self`` is bound); None for anything else."""
    if at is None:
        return None
    key = ("initializer", id(call), context_key(module, at))
    if key in module.cache:
        return module.cache[key]  # type: ignore[return-value]
    found = None
    owner = constructed_class(module, call, at)
    if owner is not None:
        method = context_free(owner[0], owner[1], method_of(owner[0], owner[1], "__init__"))
        if method is not None and is_followable(method[0], method[1])[0]:
            found = method[0], method[1], True
    module.cache[key] = found
    return found


def constructed_class(module: ModuleContext, call: cst.Call, at: StatementInfo
                      ) -> "tuple[ModuleContext, ClassInfo] | None":
    """The project class ``call`` builds an instance of (``Trainer(net)``), with its module; None otherwise."""
    names = module.qualified_names(call.func)
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        return symbol if symbol is not None and isinstance(symbol[1], ClassInfo) else None  # type: ignore[return-value]
    if isinstance(call.func, cst.Name):
        from wce_lint.analysis.provenance import bindings

        cls = module.classes.get(call.func.value)
        definitions = bindings(module, call.func.value, at)
        if cls is not None and definitions and all(d.target is cls.node for d in definitions):
            return module, cls
    return None


def _callee(module: ModuleContext, call: cst.Call, at: StatementInfo,
            depth: int) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    func = call.func
    names = module.qualified_names(func)
    from wce_lint.analysis.provenance import _Tracer

    tracer = _Tracer(module, at, depth)
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        if symbol is not None and isinstance(symbol[1], FunctionInfo):
            return symbol[0], symbol[1], False
        return None
    if isinstance(func, cst.Name):
        function = tracer._local_function(func.value)
        if function is not None:
            return module, function, False
    if isinstance(func, cst.Attribute):
        if isinstance(func.value, cst.Name) and func.value.value == "self":
            owner = self_class(module, at)
            found = method_of(*owner, func.attr.value) if owner is not None else None
            if found is not None:
                return (*found, True)
        if isinstance(func.value, cst.Call):
            parent = super_method(module, func.value, at, func.attr.value)
            if parent is not None:
                return parent[0], parent[1], True
        receiver = tracer.sub(func.value)
        if receiver is not None and receiver.cls is not None and receiver.home is not None:
            method = context_free(receiver.home, receiver.cls, method_of(receiver.home, receiver.cls, func.attr.value))
            if method is not None:
                return method[0], method[1], True
            if func.attr.value not in ("forward", "call", "__call__"):
                return None
        elif receiver is not None:
            return None
    if isinstance(func, (cst.Name, cst.Attribute, cst.Call)):
        callee = tracer.sub(func)
        if callee is not None and callee.cls is not None and callee.home is not None:
            forward = context_free(callee.home, callee.cls, called_method(callee.home, callee.cls))
            if forward is not None:
                return forward[0], forward[1], True
    return None


def function_referenced(module: ModuleContext, node: cst.BaseExpression, at: StatementInfo | None
                        ) -> tuple[ModuleContext, FunctionInfo] | None:
    """The project function a name refers to (not a call of it): a ``def`` of this module every binding
    reaching ``at`` agrees on, or one imported from another module of the project."""
    if at is None:
        return None
    names = module.qualified_names(node)
    if names:
        from wce_lint.analysis.project import resolve_symbol

        symbol = resolve_symbol(module, names)
        return symbol if symbol is not None and isinstance(symbol[1], FunctionInfo) else None  # type: ignore[return-value]
    if isinstance(node, cst.Name):
        from wce_lint.analysis.provenance import _Tracer

        function = _Tracer(module, at, 0)._local_function(node.value)
        return (module, function) if function is not None else None
    return None


def small_module_function(module: ModuleContext, call: cst.Call) -> tuple[ModuleContext, FunctionInfo, bool] | None:
    """A function imported from a small module of the project that names no producer (``from .data import
    class_ids``), which ``callee_of`` leaves out: numbers are worth following there (static values ask),
    though what values *are* is not."""
    from wce_lint.analysis.project import resolve_symbol

    names = module.qualified_names(call.func)
    symbol = resolve_symbol(module, names, constants=True) if names else None
    if symbol is None or not isinstance(symbol[1], FunctionInfo) or not is_followable(*symbol)[0]:
        return None
    return symbol[0], symbol[1], False
