"""Binding a call's arguments to an API's parameter names, and finding every loss call in a module."""

from __future__ import annotations

from dataclasses import dataclass, replace
from typing import Iterator

import libcst as cst

from wce_lint.analysis.apis import LossAPI, Signature, compile_string_api as _compile_string_api, loss_api
from wce_lint.analysis.module import ModuleContext, StatementInfo


@dataclass(frozen=True)
class Binding:
    """Arguments of one call, by parameter name. ``open`` is True when ``*args``/``**kwargs`` may supply
    parameters we cannot see: an absent parameter is then *unknown*, not missing."""

    arguments: dict[str, cst.Arg]
    unexpected: tuple[cst.Arg, ...]  # keywords the signature does not accept
    open: bool
    surplus: tuple[cst.Arg, ...] = ()  # positional arguments beyond the signature's
    duplicates: tuple[cst.Arg, ...] = ()  # keywords naming a parameter already given by position

    def get(self, parameter: str | None) -> cst.Arg | None:
        if parameter is None:
            return None
        return self.arguments.get(parameter)

    def value(self, parameter: str | None) -> cst.BaseExpression | None:
        argument = self.get(parameter)
        return argument.value if argument is not None else None

    def is_absent(self, parameter: str) -> bool:
        """Certainly not passed (as opposed to unknown)."""
        return parameter not in self.arguments and not self.open


def bind(signature: Signature, call: cst.Call) -> Binding:
    arguments: dict[str, cst.Arg] = {}
    unexpected: list[cst.Arg] = []
    surplus: list[cst.Arg] = []
    duplicates: list[cst.Arg] = []
    is_open = False
    position = 0
    for argument in call.args:
        if argument.star:
            is_open = True
            continue
        if argument.keyword is None:
            if is_open:
                continue  # after *args we no longer know which parameter a positional argument lands in
            if position >= len(signature.positional):
                if not signature.var_positional:
                    surplus.append(argument)
            else:
                arguments.setdefault(signature.positional[position], argument)
            position += 1
        else:
            name = argument.keyword.value
            if name in signature.names or signature.var_keyword:
                if name in arguments:
                    duplicates.append(argument)
                arguments[name] = argument
            else:
                unexpected.append(argument)
    return Binding(arguments, tuple(unexpected), is_open, tuple(surplus), tuple(duplicates))


@dataclass(frozen=True)
class LossCall:
    """A place where predictions and labels meet a loss.

    For function APIs ``call`` is the call itself and ``constructor`` is None. For loss objects
    (``nn.BCEWithLogitsLoss()``, ``keras.losses.BinaryCrossentropy()``) ``constructor`` is the object's
    creation and ``call`` is the invocation ``loss_fn(y_true, y_pred)`` — or None for a constructor that is
    only handed over (``compile(loss=BinaryCrossentropy())``).
    """

    api: LossAPI
    call: cst.Call | None
    arguments: Binding | None
    statement: StatementInfo | None
    constructor: cst.Call | None = None
    constructor_arguments: Binding | None = None
    # A call-site loss call (``summaries``): a call of a helper whose parameters reach this API's slots —
    # or an invocation of a loss object built in another module (``_built_elsewhere``, no constructor here).
    # ``arguments`` holds the call's arguments in those slots (open: other slots unknown), ``via`` the
    # steps into the helper, ``written`` the API as the helper spells it, and what it expects, decided in
    # the helper's module.
    via: tuple = ()
    written: str | None = None
    fixed_expects: str | None = None
    fixed_from_logits: bool | None = None
    # Slots of a call-site loss call that receive what *calling* the argument gives: `train(Net(), loader)`
    # where `train` runs `loss(model(x), y)` (only the prediction slot; read by `losses.predictions`).
    called_slots: frozenset = frozenset()

    @property
    def is_call_site(self) -> bool:
        return self.written is not None

    def option(self, parameter: str | None) -> cst.Arg | None:
        """A configuration argument, from the call for functions or the constructor for objects."""
        binding = self.constructor_arguments if self.api.is_class else self.arguments
        return binding.get(parameter) if binding is not None else None

    @property
    def anchor(self) -> cst.Call:
        return self.call or self.constructor  # type: ignore[return-value]


def loss_calls(module: ModuleContext) -> list[LossCall]:
    """Every loss call and loss-object construction in the module, in source order, then the calls of
    helpers whose parameters reach a loss (``summaries``) (memoised)."""
    cached = module.cache.get("loss_calls")
    if cached is None:
        from wce_lint.analysis.summaries import call_site_loss_calls

        cached = [*direct_loss_calls(module), *call_site_loss_calls(module)]
        module.cache["loss_calls"] = cached
    return cached  # type: ignore[return-value]


def direct_loss_calls(module: ModuleContext) -> list[LossCall]:
    """The loss calls written in the module itself (memoised)."""
    cached = module.cache.get("direct_loss_calls")
    if cached is None:
        cached = list(_find_loss_calls(module))
        module.cache["direct_loss_calls"] = cached
    return cached  # type: ignore[return-value]


def _find_loss_calls(module: ModuleContext) -> Iterator[LossCall]:
    from wce_lint.analysis import summary_store
    from wce_lint.analysis.evaluator import value_of
    from wce_lint.analysis.provenance import LOSS_OBJECT, in_progress
    from wce_lint.analysis.tf_generation import api_for_generation

    for site in module.calls:
        call = site.node
        api = loss_api(module.qualified_names(call.func))
        if api is not None:
            api = api_for_generation(module, api)  # `tf.nn.…` in TF 1.x code has TF 1.x's signature
            if api.is_class:
                yield LossCall(api, None, None, site.statement, call, bind(api.signature, call))
            else:
                yield LossCall(api, call, bind(api.signature, call), site.statement)
            continue
        partial = partial_loss(module, call, site.statement)
        if partial is not None:  # `functools.partial(F.binary_cross_entropy_with_logits, pos_weight=w)`
            yield partial
            continue
        # An invocation of a loss object: `criterion(logits, y)`, `self.loss_fn(...)`, `nn.BCELoss()(p, y)`,
        # `loss_fn(…)` with `from .losses import loss_fn` (a module-level object of another project module).
        names = module.qualified_names(call.func)
        if isinstance(call.func, (cst.Name, cst.Attribute, cst.Call)) and (
                not names or of_the_project(module, names)):
            # `losses.criterion(…)`: the value an imported attribute names, the same wherever it is asked
            imported = bool(names) and isinstance(call.func, cst.Attribute)
            if imported and summary_store.skips(summary_store.LOSS_OBJECT, module, names):
                continue
            callee = value_of(module, call.func, site.statement).origin
            if imported and not in_progress():
                summary_store.expect(summary_store.LOSS_OBJECT, module, names,
                                     callee is None or callee.kind != LOSS_OBJECT or callee.loss is None)
            if callee is not None and callee.kind == LOSS_OBJECT and callee.loss is not None:
                constructor = callee.node if isinstance(callee.node, cst.Call) else None
                if not callee.loss.is_class:  # a partial of a loss function, invoked
                    found = _partial_invoked(module, callee.loss, call, site.statement, constructor)
                    if found is not None:
                        yield found
                    continue
                if constructor is not None and module.statement_of(constructor) is None:
                    found = _built_elsewhere(module, callee.loss, call, site.statement, constructor)
                    if found is not None:
                        yield found
                    continue
                yield LossCall(
                    callee.loss,
                    call,
                    bind(callee.loss.call_parameters, call),
                    site.statement,
                    constructor,
                    bind(callee.loss.signature, constructor) if constructor is not None else None,
                )


PARTIALS = frozenset({"functools.partial"})


def partial_loss(module: ModuleContext, call: cst.Call, statement: StatementInfo) -> LossCall | None:
    """``functools.partial(loss_function, k=v, …)``: a loss call of that function with the keywords given here
    and every other argument unknown (``open``); None for anything else. Partials that also fix positional
    arguments are not followed (they shift the invocation's arguments)."""
    if not module.qualified_names(call.func) & PARTIALS or not call.args or call.args[0].keyword is not None:
        return None
    from wce_lint.analysis.tf_generation import api_for_generation

    api = loss_api(module.qualified_names(call.args[0].value))
    if api is None or api.is_class or any(a.keyword is None or a.star for a in call.args[1:]):
        return None
    api = api_for_generation(module, api)
    overridden = overridden_keywords(module, call, statement)
    fixed = bind(api.signature, call.with_changes(args=[a for a in call.args[1:] if a.keyword.value not in overridden]))  # type: ignore[union-attr]
    plain = LossCall(api, call, Binding(fixed.arguments, fixed.unexpected, True), statement)
    from wce_lint.analysis.losses import expects, from_logits

    # named in messages as the function it wraps, with what it expects decided by the keywords given here
    return replace(plain, written=module.code(call.args[0].value), fixed_expects=expects(module, plain),
                   fixed_from_logits=from_logits(module, plain))


def overridden_keywords(module: ModuleContext, call: cst.Call, statement: StatementInfo) -> frozenset[str]:
    """The keywords that calls of the partial ``p = functools.partial(…)`` pass themselves (``p(x, y,
    pos_weight=w)``): the partial's own value for them may never be used."""
    line = statement.node
    assigned = next((small for small in getattr(line, "body", ()) if isinstance(small, cst.Assign)
                     and small.value is call), None) if isinstance(line, cst.SimpleStatementLine) else None
    if assigned is None or len(assigned.targets) != 1 or not isinstance(assigned.targets[0].target, cst.Name):
        return frozenset()
    name = assigned.targets[0].target.value
    return frozenset(a.keyword.value for site in module.calls if isinstance(site.node.func, cst.Name)
                     and site.node.func.value == name for a in site.node.args if a.keyword is not None)


def _partial_invoked(module: ModuleContext, api: LossAPI, call: cst.Call, statement: StatementInfo,
                     partial: cst.Call | None) -> LossCall | None:
    """``loss_fn(logits, y)`` with ``loss_fn = functools.partial(F.binary_cross_entropy_with_logits, …)``: a
    loss call with this call's arguments; what it expects (``from_logits=`` given to the partial) is
    decided at the partial, whose keywords are that loss call's findings (not repeated here)."""
    at = module.statement_of(partial) if partial is not None else None
    built = partial_loss(module, partial, at) if partial is not None and at is not None else None
    if built is None:
        return None
    return LossCall(api, call, Binding(bind(api.signature, call).arguments, (), True), statement,
                    written=built.written, fixed_expects=built.fixed_expects, fixed_from_logits=built.fixed_from_logits)


def _built_elsewhere(module: ModuleContext, api: LossAPI, call: cst.Call, statement: StatementInfo,
                     constructor: cst.Call) -> LossCall | None:
    """An invocation of a loss object built in another module of the project (``from .losses import loss_fn``,
    ``self.criterion`` set in a base class there): what it expects is decided where it is built, and its
    constructor's arguments are that module's findings, not this one's."""
    from wce_lint.analysis.losses import expects, from_logits

    home = module.project.owner_of(constructor) if module.project is not None else None
    built = next((loss for loss in direct_loss_calls(home) if loss.constructor is constructor), None) \
        if home is not None else None
    if built is None:
        return None
    return LossCall(api, call, bind(api.call_parameters, call), statement, written=home.code(constructor.func),
                    fixed_expects=expects(home, built), fixed_from_logits=from_logits(home, built))


def of_the_project(module: ModuleContext, names: frozenset[str]) -> bool:
    """One of ``names`` (qualified) is a name of a module of the project (not of an installed package)."""
    project = module.project
    return project is not None and any(
        project.module_file(name.rpartition(".")[0]) is not None for name in names if "." in name)


def compile_string_api(value: cst.BaseExpression) -> LossAPI | None:
    """The Keras loss a ``compile(loss="binary_crossentropy")`` string names."""
    if isinstance(value, cst.SimpleString):
        return _compile_string_api(value.evaluated_value if isinstance(value.evaluated_value, str) else "")
    return None
