"""Function summaries, backwards: which parameters of a function reach which sink — a slot of a loss call
(``logits=``, ``labels=``, ``pos_weight=``, ``sample_weight=``, focal ``gamma``/``alpha`` …) — directly or
through the functions it calls (Pysa's "parameter → sink" half of a summary; the "what it returns" half is
``provenance.function_result``).

A call of such a function is then a loss call of its own, a *call-site loss call*: the loss API of the
sink, with the call's arguments in the slots the parameters reach and every other slot unknown. Every rule
checks it like a loss call written in place, so the finding sits at the argument where the misuse becomes
certain, and the trace leads into the helper. A helper called rightly and wrongly is reported only at the
wrong call; its own loss call sees a parameter, which no rule judges.

Summaries are computed on demand and memoised per function (``memoised_summary``). Recursive and mutually
recursive functions are iterated to a fixed point: a function reached again while its summary is computed
sees the summary found so far (at first empty), and the outermost function of the cycle computes again until
nothing changes (sinks only grow, and each (parameter, slot, loss) is kept once, so this ends; at most
``MAX_ROUNDS`` rounds). Chains of helpers are followed to ``MAX_CHAIN`` calls (an under-approximation: fewer
findings, never wrong ones). Only final summaries are cached — not one computed from another function's
unfinished summary, nor one cut by the chain limit — so what a run finds never depends on the order its
files are linted in.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

import libcst as cst

from wce_lint.analysis.calls import Binding, LossCall, direct_loss_calls
from wce_lint.analysis.evaluator import value_of
from wce_lint.analysis.module import CallSite, FunctionInfo, ModuleContext, StatementInfo
from wce_lint.analysis.callees import constructed_class
from wce_lint.analysis import summary_store
from wce_lint.analysis.provenance import PARAMETER, argument_for, callee_of, initializer_of
from wce_lint.rule import TraceStep

MAX_CHAIN = 6


@dataclass(frozen=True)
class SlotSink:
    """Parameter ``parameter`` of a function reaches slot ``slot`` of ``loss`` (a loss call in ``home``)."""

    parameter: cst.Param
    slot: str
    loss: LossCall
    home: ModuleContext
    trace: tuple[TraceStep, ...]  # from the parameter to the loss, through any helpers in between
    chain: int = 0
    called: bool = False  # what calling the parameter gives reaches the slot (`model(x)`, the prediction slot)
    constructor: bool = False  # a slot of a loss object's constructor (`nn.BCEWithLogitsLoss(pos_weight=w)`)
    offset: int = 0  # for POSITIONALS: the loss's positional parameter the first forwarded argument fills
    # Reached through `self.x` in another method of the class whose `__init__` this is: holds only for an
    # instance of that very class (a subclass may override the method).
    in_method: bool = False
    # For KEYWORDS handed on through helpers' `**kwargs`: the keywords a helper in between names (they land in
    # its own parameters, not in the loss), and whether the keywords the loss does not accept surely raise
    # there (no helper on the way hands `**kwargs` anywhere else).
    absorbed: frozenset[str] = frozenset()
    exclusive: bool = True
    # The caller's keyword of this name, through the function's `**kwargs`, reaches the slot (a helper on the
    # way names it: `outer(x, y, pos_weight=w)` → `bce(x, y, **kw)` → `def bce(x, y, pos_weight=None)`).
    keyword: str | None = None


MAX_ROUNDS = 8


class _Pending:
    """A summary being computed: what is known of it so far, and the lowest summary on the stack that the
    computation read unfinished (its own index when it read only itself)."""

    __slots__ = ("approximation", "index", "lowest_read")

    def __init__(self, index: int) -> None:
        self.approximation: list = []
        self.index = index
        self.lowest_read = index


# The summaries being computed, outermost first — one stack for every module: cycles cross modules.
_STACK: list[_Pending] = []


def memoised_summary(home: ModuleContext, key: tuple, chain: int, compute, identity):  # type: ignore[no-untyped-def]
    """Run ``compute(chain)`` — which returns (summary, complete) — to a fixed point once per function, and
    cache the summary when it is final. ``identity(item)`` says which items are the same (each is kept once).
    A summary is final when it was not cut by the chain limit and read no unfinished summary but its own:
    one that read an enclosing function's unfinished summary is computed again where it is asked."""
    cached = home.cache.get(key)
    if isinstance(cached, _Pending):
        for pending in _STACK[cached.index + 1:]:  # everything computed inside it read it unfinished
            pending.lowest_read = min(pending.lowest_read, cached.index)
        cached.lowest_read = min(cached.lowest_read, cached.index)
        return cached.approximation, True
    if chain > MAX_CHAIN:
        return [], False
    if cached is not None:
        return cached, True
    pending = _Pending(len(_STACK))
    home.cache[key] = pending
    _STACK.append(pending)
    try:
        for _ in range(MAX_ROUNDS):
            summary, complete = compute(chain)
            summary = _unique(summary, identity)
            if [identity(i) for i in summary] == [identity(i) for i in pending.approximation]:
                break
            pending.approximation = summary
        else:
            complete = False  # did not settle: keep what was found, do not cache it
        final = complete and pending.lowest_read >= pending.index
    finally:
        _STACK.pop()
        del home.cache[key]
    if final:
        home.cache[key] = summary
    return summary, final


def _unique(items: list, identity) -> list:  # type: ignore[no-untyped-def]
    seen: set = set()
    kept = []
    for item in items:
        marker = identity(item)
        if marker not in seen:
            seen.add(marker)
            kept.append(item)
    return kept


def function_sinks(home: ModuleContext, function: FunctionInfo, chain: int = 0) -> list[SlotSink]:
    """The sinks the parameters of ``function`` (defined in ``home``) reach (memoised)."""
    return _function_sinks(home, function, chain)[0]


def _function_sinks(home: ModuleContext, function: FunctionInfo, chain: int) -> tuple[list[SlotSink], bool]:
    return memoised_summary(home, ("sinks", id(function.node)), chain,
                            lambda depth: _compute_sinks(home, function, depth), _sink_identity)


def _sink_identity(sink: SlotSink) -> tuple:
    return id(sink.parameter), sink.slot, id(sink.loss.anchor), sink.called, sink.constructor, sink.offset, \
        sink.keyword


def _compute_sinks(home: ModuleContext, function: FunctionInfo, chain: int) -> tuple[list[SlotSink], bool]:
    sinks: list[SlotSink] = []
    complete = True
    name = function.name
    methods = other_methods(home, function)
    for loss in direct_loss_calls(home):
        if loss.statement is None:
            continue
        if not _inside(home, loss.statement.scope, function.node):  # (a closure reads `function`'s parameters)
            method = next((m for m in methods if _inside(home, loss.statement.scope, m.node)), None)
            if method is None:
                continue
            name = method.name  # `self.criterion(self.model(x), y)` in `step`, `self.model = model` in `__init__`
        else:
            name = function.name
        bindings = [(loss.arguments, False), (loss.constructor_arguments if loss.api.is_class else None, True)]
        for in_constructor, forwarded in _forwarded_keywords(home, function, loss):
            # `F.binary_cross_entropy_with_logits(x, y, **kwargs)`: the caller's keywords land in the loss
            where = f"{home.short_path()}:{home.line(forwarded)}"
            step = TraceStep(f"`**{forwarded.value.value}` is passed on to `{_written(home, loss)}` in `{name}` "  # type: ignore[attr-defined]
                             f"({where})", forwarded.value)
            star = function.node.params.star_kwarg
            sinks.append(SlotSink(star, KEYWORDS, loss, home, (step,), 0, False, in_constructor))  # type: ignore[arg-type]
        for in_constructor, forwarded, offset in _forwarded_positionals(home, function, loss):
            # `F.binary_cross_entropy_with_logits(*args)`: the caller's extra positional arguments, in order
            where = f"{home.short_path()}:{home.line(forwarded)}"
            step = TraceStep(f"`*{forwarded.value.value}` is passed on to `{_written(home, loss)}` in `{name}` "  # type: ignore[attr-defined]
                             f"({where})", forwarded.value)
            star = function.node.params.star_arg
            sinks.append(SlotSink(star, POSITIONALS, loss, home, (step,), 0, False, in_constructor, offset))  # type: ignore[arg-type]
        for binding, in_constructor in bindings:
            for slot, argument in binding.arguments.items() if binding is not None else ():
                use = _parameter_use(home, function, argument.value, loss.statement,
                                     slot == loss.api.logits and not in_constructor)
                if use is None:
                    continue
                param, called = use
                where = f"{home.short_path()}:{home.line(argument.value)}"
                what = f"`{param.name.value}(…)`" if called else f"`{param.name.value}`"
                step = TraceStep(f"{what} reaches `{slot}` of `{_written(home, loss)}` in `{name}` ({where})",
                                 argument.value)
                sinks.append(SlotSink(param, slot, loss, home, (step,), 0, called, in_constructor,
                                      in_method=name != function.name))
    passed, complete = passed_on(home, function, chain, _function_sinks, lambda sink: sink.parameter,
                                 calls_allowed=lambda sink: not sink.called and sink.slot == sink.loss.api.logits)
    for site, callee_function, inner, param, argument, called in passed:
        what = f"`{param.name.value}(…)`" if called else f"`{param.name.value}`"
        step = TraceStep(f"{what} is passed to `{callee_function.name}` in "
                         f"`{name}` ({home.short_path()}:{home.line(argument.value)})", argument.value)
        sinks.append(replace(inner, parameter=param, trace=(step, *inner.trace), chain=inner.chain + 1,
                             called=inner.called or called, in_method=False))  # (`passed_on` checked the class)
    forwarded, forwarded_complete = _keywords_passed_on(home, function, chain)
    sinks.extend(forwarded)
    return sinks, complete and forwarded_complete


def _keywords_passed_on(home: ModuleContext, function: FunctionInfo, chain: int) -> tuple[list[SlotSink], bool]:
    """``def weighted(x, y, **kwargs): return bce(x, y, **kwargs)``: the ``**kwargs`` sinks of a helper that
    ``function`` hands its own ``**kwargs`` to, unchanged, are its own — the caller's keywords that no helper on
    the way names reach the loss — (and whether every summary asked was complete)."""
    star = getattr(function.node.params, "star_kwarg", None)
    if not isinstance(star, cst.Param) or not _kwargs_unchanged(home, function, star):
        return [], True  # `kwargs = {…}`, `kwargs.pop(…)`: not what the caller passed
    found: list[SlotSink] = []
    own = {p.name.value for p in (*function.node.params.posonly_params, *function.node.params.params,
                                  *function.node.params.kwonly_params)}
    calls, complete = _summarised_calls(home, function, chain, _function_sinks)
    for site, (_, callee_function, method), built, inner in calls:
        forwarded = next((a for a in site.node.args if a.star == "**" and isinstance(a.value, cst.Name)
                          and a.value.value == star.name.value), None)
        if forwarded is None:
            continue
        params = callee_function.node.params
        explicit = {a.keyword.value for a in site.node.args if a.keyword is not None}  # given here: not the caller's
        named = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)} | explicit
        by_name = (*params.params, *params.kwonly_params)  # (positional-only ones cannot be given by keyword)
        inner_star = params.star_kwarg
        # an unknown keyword surely raises only if the helper, too, hands its `**kwargs` nowhere else
        only_there = isinstance(inner_star, cst.Param) and _name_uses(callee_function.node, inner_star.name.value) == 2
        step = TraceStep(f"`**{star.name.value}` is passed on to `{callee_function.name}` in `{function.name}` "
                         f"({home.short_path()}:{home.line(forwarded.value)})", forwarded.value)
        for sink in applying(home, site, callee_function, built, inner):
            if sink.in_method or sink.called or sink.slot == POSITIONALS:
                continue
            if sink.slot == KEYWORDS:  # the caller's keywords that no helper on the way names
                found.append(replace(sink, parameter=star, trace=(step, *sink.trace), chain=sink.chain + 1,
                                     absorbed=sink.absorbed | named, exclusive=sink.exclusive and only_there))
                continue
            # a slot a parameter of the helper reaches, filled by the caller's keyword of that name
            keyword = sink.keyword or (sink.parameter.name.value if any(sink.parameter is q for q in by_name) and
                                       argument_for(callee_function.node, sink.parameter, site.node, method) is None
                                       else None)
            if keyword is not None and keyword not in explicit and keyword not in own:
                found.append(replace(sink, parameter=star, keyword=keyword, trace=(step, *sink.trace),
                                     chain=sink.chain + 1))
    return found, complete


def _summarised_calls(home: ModuleContext, function: FunctionInfo, chain: int, summary_of):  # type: ignore[no-untyped-def]
    """The calls in ``function``'s own body of other functions of the project, each with the callee's summary
    (``summary_of(home, function, chain)`` → (items, complete)): [(site, callee, built, items)], and whether
    every summary asked was complete."""
    found = []
    complete = True
    for site in home.calls:
        if site.statement.scope is not function.node:
            continue
        callee, built = site_callee(home, site)
        if callee is None or callee[1] is function:
            continue
        items, items_complete = summary_of(callee[0], callee[1], chain + 1)
        complete = complete and items_complete
        found.append((site, callee, built, items))
    return found, complete


def passed_on(home: ModuleContext, function: FunctionInfo, chain: int, summary_of, parameter_of,  # type: ignore[no-untyped-def]
              calls_allowed=None):
    """The calls in ``function`` of project functions whose summary (``summary_of(home, function, chain)`` →
    (items, complete)) has items for a parameter that receives one of ``function``'s own parameters unchanged:
    [(call site, callee, item, that parameter of ``function``, the argument, called)], and whether every
    summary asked was complete. ``parameter_of(item)`` is the callee's parameter an item is about. With
    ``calls_allowed(item)`` true, the argument may also be what calling a parameter gives (``helper(model(x))``;
    ``called`` says so)."""
    found = []
    calls, complete = _summarised_calls(home, function, chain, summary_of)
    for site, (_, callee_function, method), built, items in calls:
        for item in applying(home, site, callee_function, built, items):
            argument = argument_for(callee_function.node, parameter_of(item), site.node, method)
            if argument is None:
                continue
            use = _parameter_use(home, function, argument.value, site.statement,
                                 calls_allowed is not None and calls_allowed(item))
            if use is not None:
                found.append((site, callee_function, item, use[0], argument, use[1]))
    return found, complete


def applying(home: ModuleContext, site, function: FunctionInfo, built: bool, items: list) -> list:  # type: ignore[no-untyped-def, type-arg]
    """The summary items of ``function`` that hold for call ``site``: those found through another method of a
    class (``in_method``) only when the call builds an instance of the class whose ``__init__`` it runs."""
    if not any(getattr(item, "in_method", False) for item in items):
        return items
    owner = constructed_class(home, site.node, site.statement) if built else None
    own = owner is not None and owner[1].methods.get("__init__") is function
    return [item for item in items if own or not getattr(item, "in_method", False)]


def _parameter_use(home: ModuleContext, function: FunctionInfo, value: cst.BaseExpression, at: StatementInfo,
                   calls_allowed: bool = False) -> tuple[cst.Param, bool] | None:
    """The parameter of ``function`` that ``value`` is, unchanged in meaning (names, reshapes, casts), and
    whether ``value`` is what calling it gives (``model(x)``; only when ``calls_allowed``)."""
    origin = value_of(home, value, at).origin
    if origin is None or origin.kind != PARAMETER or origin.path or origin.function is not function.node:
        return None
    if origin.called and not calls_allowed:
        return None
    return origin.node, origin.called  # type: ignore[return-value]


KEYWORDS = "**"  # the slot of a sink for `**kwargs` passed on to a loss: the caller's keywords, by name


def _forwarded_keywords(home: ModuleContext, function: FunctionInfo, loss: LossCall):  # type: ignore[no-untyped-def]
    """The ``**kwargs`` arguments of ``loss`` (its call, or its constructor) that are ``function``'s own
    ``**kwargs`` parameter, unchanged: (in the constructor, the argument)."""
    star = getattr(function.node.params, "star_kwarg", None)
    if not isinstance(star, cst.Param):
        return
    if not _kwargs_unchanged(home, function, star):
        return
    for in_constructor, call in ((False, loss.call), (True, loss.constructor if loss.api.is_class else None)):
        for argument in call.args if call is not None else ():
            if argument.star == "**" and isinstance(argument.value, cst.Name) \
                    and argument.value.value == star.name.value and loss.statement is not None:
                yield in_constructor, argument


def _kwargs_unchanged(home: ModuleContext, function: FunctionInfo, star: cst.Param) -> bool:
    """``**kwargs`` holds what the caller passed wherever it is handed on: not rebound (``kwargs = {…}``), not
    changed (``kwargs.pop("pos_weight")``, ``kwargs["pos_weight"] = …``, ``del kwargs[…]``)."""
    from wce_lint.analysis.dataflow import key_writes

    definitions = home.definitions(function.node, star.name.value)
    return len(definitions) == 1 and definitions[0].target is star and not key_writes(
        home, star.name.value, function.node)


POSITIONALS = "*"  # the slot of a sink for `*args` passed on to a loss: the caller's extra positional arguments


def _forwarded_positionals(home: ModuleContext, function: FunctionInfo, loss: LossCall):  # type: ignore[no-untyped-def]
    """The ``*args`` arguments of ``loss`` (its call, or its constructor) that are ``function``'s own ``*args``
    parameter, unchanged, after plain positional arguments only: (in the constructor, the argument, how many
    positional arguments come before it)."""
    star = getattr(function.node.params, "star_arg", None)
    if not isinstance(star, cst.Param) or loss.statement is None:
        return
    definitions = home.definitions(function.node, star.name.value)
    if len(definitions) != 1 or definitions[0].target is not star:
        return  # `args = args[1:]`: not what the caller passed
    for in_constructor, call in ((False, loss.call), (True, loss.constructor if loss.api.is_class else None)):
        before = 0
        for argument in call.args if call is not None else ():
            if argument.star == "*" and isinstance(argument.value, cst.Name) \
                    and argument.value.value == star.name.value:
                yield in_constructor, argument, before
                break
            if argument.star or argument.keyword is not None:
                break
            before += 1


def _positional_arguments(function: FunctionInfo, call: cst.Call, loss: LossCall, sink: SlotSink,
                          method: bool) -> dict[str, cst.Arg]:
    """The loss parameters that the positional arguments ``call`` passes to ``function``'s ``*args`` fill."""
    params = function.node.params
    own = len(params.posonly_params) + len(params.params) - (1 if method and (params.posonly_params or
                                                                               params.params) else 0)
    positional = [a for a in call.args if a.keyword is None]
    if any(a.star for a in positional):
        return {}  # `wrapped(*batch)`: which argument lands where is unknown
    names = (loss.api.signature if sink.constructor or not loss.api.is_class else loss.api.call_parameters).positional
    return {names[sink.offset + i]: argument for i, argument in enumerate(positional[own:])
            if sink.offset + i < len(names)}


def _keyword_arguments(home: ModuleContext, function: FunctionInfo, call: cst.Call,
                       sink: SlotSink) -> tuple[dict[str, cst.Arg], list[cst.Arg]]:
    """The keyword arguments of ``call`` that ``function``'s ``**kwargs`` hands on to the sink's loss: those the
    loss accepts, by name, and — when ``**kwargs`` goes nowhere else in ``function`` nor in a helper on the way
    — those it does not (a misspelt ``pos_weigth=`` raises TypeError there)."""
    loss, in_constructor = sink.loss, sink.constructor
    params = function.node.params
    named = {p.name.value for p in (*params.posonly_params, *params.params, *params.kwonly_params)}
    accepted = (loss.api.signature if in_constructor or not loss.api.is_class else loss.api.call_parameters).names
    received = [a for a in call.args if a.keyword is not None and a.keyword.value not in named | sink.absorbed]
    star = params.star_kwarg.name.value  # type: ignore[union-attr]
    # `**kw` in the signature, `**kw` into the loss (or the helper), nowhere else
    only_here = sink.exclusive and _name_uses(function.node, star) == 2
    return ({a.keyword.value: a for a in received if a.keyword.value in accepted},  # type: ignore[union-attr]
            [a for a in received if a.keyword.value not in accepted] if only_here else [])  # type: ignore[union-attr]


class _NameCounter(cst.CSTVisitor):
    def __init__(self, name: str) -> None:
        self.name, self.count = name, 0

    def visit_Name(self, node: cst.Name) -> None:
        self.count += node.value == self.name


def _name_uses(function: cst.CSTNode, name: str) -> int:
    """How many times ``name`` appears as a name in ``function`` (its parameter included)."""
    counter = _NameCounter(name)
    function.visit(counter)
    return counter.count


def _inside(home: ModuleContext, scope: object, function: cst.FunctionDef | cst.Lambda) -> bool:
    """``scope`` is ``function`` or a function nested in it (``def weighted_bce(w): def loss(y, p): …``)."""
    for _ in range(16):
        if scope is function:
            return True
        if scope is None or isinstance(scope, (cst.Module, cst.ClassDef)):
            return False
        scope = home.enclosing_scope(scope)  # type: ignore[arg-type]
    return False


def _written(home: ModuleContext, loss: LossCall) -> str:
    return home.code((loss.constructor or loss.anchor).func)


def site_callee(module: ModuleContext, site, constructors: bool = True  # type: ignore[no-untyped-def]
                ) -> tuple[tuple[ModuleContext, FunctionInfo, bool] | None, bool]:
    """(the function of the project a call site runs, whether it is an ``__init__`` that building an instance
    runs — only with ``constructors``): what every summary asks of each call. A callee of another module that
    the stored summaries (``summary_store``) say reaches nothing is not looked up, nor its module parsed."""
    names = module.qualified_names(site.node.func)
    if names and summary_store.skips(summary_store.SUMMARIES, module, names):
        return None, False
    callee = callee_of(module, site.node, site.statement)
    built = callee is None
    if built and constructors:
        callee = initializer_of(module, site.node, site.statement)
    if names and constructors:  # (without constructors, a class's `__init__` was not asked about)
        summary_store.expect(summary_store.SUMMARIES, module, names, callee[:2] if callee is not None else None)
    return callee, built


def partial_site(module: ModuleContext, site: CallSite) -> tuple[tuple[ModuleContext, FunctionInfo, bool], CallSite] | None:
    """``functools.partial(helper, a, k=v)`` of a project function: the function, and the call the partial
    amounts to — ``helper(a, k=v)``, with the partial's own arguments — where what it fixes is checked as a
    call of the helper (a partial of a loss API itself is ``calls.partial_loss``'s)."""
    from wce_lint.analysis.calls import PARTIALS, overridden_keywords
    from wce_lint.analysis.provenance import function_referenced, is_followable

    call = site.node
    if not call.args or call.args[0].keyword is not None or call.args[0].star \
            or not module.qualified_names(call.func) & PARTIALS:
        return None
    found = function_referenced(module, call.args[0].value, site.statement)
    if found is None or not is_followable(*found)[0]:
        return None
    overridden = overridden_keywords(module, call, site.statement)  # `p(x, pos_weight=w)`: the call's, not ours
    arguments = [a for a in call.args[1:] if a.keyword is None or a.keyword.value not in overridden]
    return (found[0], found[1], False), CallSite(call.with_changes(func=call.args[0].value, args=arguments),
                                                 site.statement)


def called_at(module: ModuleContext, site: CallSite
              ) -> tuple[tuple[ModuleContext, FunctionInfo, bool] | None, bool, CallSite]:
    """``site_callee``, and for ``functools.partial(helper, …)`` the helper with the call the partial amounts to
    (``partial_site``): (callee, built, the call site its arguments are read from)."""
    callee, built = site_callee(module, site)
    if callee is None:
        partial = partial_site(module, site)
        if partial is not None:
            return partial[0], False, partial[1]
    return callee, built, site


def call_site_loss_calls(module: ModuleContext) -> list[LossCall]:
    """Calls in ``module`` of functions whose parameters reach loss slots, as loss calls (memoised)."""
    cached = module.cache.get("call_site_loss_calls")
    if cached is not None:
        return cached  # type: ignore[return-value]
    found: list[LossCall] = []
    traces: dict[int, tuple[TraceStep, ...]] = {}
    for site in module.calls:
        anchor = site.node  # where a finding at the call itself sits (a partial's own call, not what it amounts to)
        callee, built, site = called_at(module, site)
        if callee is None:
            continue
        home, function, method = callee
        if site.statement.scope is function.node:
            continue  # a recursive call
        found.extend(_loss_object_calls(module, site, home, function, method, built, traces, anchor))
        by_loss: dict[int, list[SlotSink]] = {}
        for sink in applying(module, site, function, built, function_sinks(home, function)):
            by_loss.setdefault(id(sink.loss.anchor), []).append(sink)
        for sinks in by_loss.values():
            for alternative in _alternatives(sinks):
                arguments: dict[str, cst.Arg] = {}
                constructor_arguments: dict[str, cst.Arg] = {}
                unexpected: dict[bool, list[cst.Arg]] = {False: [], True: []}
                trace: tuple[TraceStep, ...] = ()
                for sink in alternative:
                    if sink.slot == KEYWORDS:  # the caller's keywords, through `**kwargs`
                        passed, refused = _keyword_arguments(home, function, site.node, sink)
                        (constructor_arguments if sink.constructor else arguments).update(passed)
                        unexpected[sink.constructor].extend(refused)
                        if refused:
                            trace = trace or sink.trace
                            for argument in refused:
                                traces.setdefault(id(argument.keyword), sink.trace)
                        for argument in passed.values():
                            trace = trace or sink.trace
                            traces.setdefault(id(argument.value), sink.trace)
                        continue
                    if sink.keyword is not None:  # the caller's keyword of that name, through `**kwargs`
                        argument = next((a for a in site.node.args
                                         if a.keyword is not None and a.keyword.value == sink.keyword), None)
                        if argument is not None:
                            (constructor_arguments if sink.constructor else arguments)[sink.slot] = argument
                            trace = trace or sink.trace
                            traces.setdefault(id(argument.value), sink.trace)
                        continue
                    if sink.slot == POSITIONALS:  # the caller's extra positional arguments, through `*args`
                        passed = _positional_arguments(function, site.node, sink.loss, sink, method)
                        (constructor_arguments if sink.constructor else arguments).update(passed)
                        for argument in passed.values():
                            trace = trace or sink.trace
                            traces.setdefault(id(argument.value), sink.trace)
                        continue
                    argument = argument_for(function.node, sink.parameter, site.node, method)
                    if argument is None:
                        continue
                    (constructor_arguments if sink.constructor else arguments)[sink.slot] = argument
                    trace = trace or sink.trace
                    traces.setdefault(id(argument.value), sink.trace)
                if not arguments and not constructor_arguments and not any(unexpected.values()):
                    continue
                loss = sinks[0].loss
                from wce_lint.analysis.losses import expects, from_logits

                # Slots of a loss object's constructor (`make_criterion(w)` building `BCEWithLogitsLoss(
                # pos_weight=w)`) make this call the object's construction, checked once like one written here.
                calls, builds = bool(arguments or unexpected[False]), bool(constructor_arguments or unexpected[True])
                found.append(LossCall(
                    loss.api, anchor if calls else None,
                    Binding(arguments, tuple(unexpected[False]), True) if calls else None, site.statement,
                    constructor=anchor if builds else None,
                    constructor_arguments=Binding(constructor_arguments, tuple(unexpected[True]), True)
                    if builds else None,
                    via=trace, written=_written(sinks[0].home, loss),
                    fixed_expects=expects(sinks[0].home, loss), fixed_from_logits=from_logits(sinks[0].home, loss),
                    called_slots=frozenset(sink.slot for sink in alternative if sink.called),
                ))
                traces.setdefault(id(anchor), trace)  # a finding at the call itself (a rule's anchor)
    module.cache["call_site_traces"] = traces
    module.cache["call_site_loss_calls"] = found
    return found


@dataclass(frozen=True)
class LossParameterUse:
    """``criterion(model(x), y)`` in a function whose parameter ``criterion`` is invoked like a loss object:
    which of the function's parameters each positional argument is (and whether it is called), so a call
    ``train(Net(), loader, nn.BCEWithLogitsLoss())`` pairs the loss object with the model it is given. The
    invocation may be in a helper the function hands its parameters on to (``train`` → ``step``): ``call``
    is then in that helper (of ``home``), and ``through`` says how the loss object got there."""

    loss_parameter: cst.Param
    call: cst.Call
    home: ModuleContext
    arguments: tuple[tuple[cst.Param, bool] | None, ...]  # per positional argument: (parameter, called)
    through: tuple[TraceStep, ...] = ()
    in_method: bool = False  # invoked as `self.x` in another method of the class whose `__init__` this is


def loss_parameter_uses(home: ModuleContext, function: FunctionInfo, chain: int = 0) -> list[LossParameterUse]:
    """The invocations of ``function``'s parameters as loss objects, in its body or in the helpers it hands
    them on to (memoised; a fixed point over recursive helpers, like the sinks)."""
    return _loss_parameter_uses(home, function, chain)[0]


def _loss_parameter_uses(home: ModuleContext, function: FunctionInfo, chain: int
                         ) -> tuple[list[LossParameterUse], bool]:
    return memoised_summary(home, ("loss_parameter_uses", id(function.node)), chain,
                            lambda depth: _compute_loss_parameter_uses(home, function, depth), _use_identity)


def _use_identity(use: LossParameterUse) -> tuple:
    return id(use.loss_parameter), id(use.call), tuple(
        None if a is None else (id(a[0]), a[1]) for a in use.arguments)


def other_methods(home: ModuleContext, function: FunctionInfo) -> list[FunctionInfo]:
    """For a class's own ``__init__``: the class's other methods, where the ``self.x`` it binds to its
    parameters (``self.model = model``) are read; empty for any other function."""
    if function.name != "__init__" or not isinstance(function.node, cst.FunctionDef):
        return []
    scope = home.enclosing_scope(function.node)
    owner = home.classes.get(scope.name.value) if isinstance(scope, cst.ClassDef) else None
    if owner is None or owner.node is not scope or owner.methods.get("__init__") is not function:
        return []
    return [m for m in owner.methods.values() if m is not function]


def _compute_loss_parameter_uses(home: ModuleContext, function: FunctionInfo, chain: int
                                 ) -> tuple[list[LossParameterUse], bool]:
    found = []
    methods = other_methods(home, function)
    attribute_calls = [site for site in home.calls if methods and _is_self_attribute(site.node.func)
                       and any(_inside(home, site.statement.scope, m.node) for m in methods)]
    for site in [*_name_calls_inside(home, function), *attribute_calls]:
        callee = _parameter_use(home, function, site.node.func, site.statement)
        if callee is None or any(a.star for a in site.node.args):
            continue
        positional = [a for a in site.node.args if a.keyword is None]
        uses = tuple(_parameter_use(home, function, a.value, site.statement, calls_allowed=True)
                     for a in positional)
        if any(u is not None for u in uses):
            found.append(LossParameterUse(callee[0], site.node, home, uses,
                                          in_method=not _inside(home, site.statement.scope, function.node)))
    complete = True
    for site in home.calls:  # `step(model, criterion, x, y)`: the helper's uses, in this function's parameters
        if site.statement.scope is not function.node:
            continue
        target = site_callee(home, site, constructors=False)[0]
        if target is None or target[1] is function:
            continue
        callee_home, callee, method = target
        uses, uses_complete = _loss_parameter_uses(callee_home, callee, chain + 1)
        complete = complete and uses_complete
        for use in uses:
            if use.in_method:
                continue  # `super().__init__(model, criterion)`: the subclass may override the method
            handed = _handed(home, function, callee, method, site, use.loss_parameter, called=False)
            if handed is None or handed[1]:
                continue
            arguments = tuple(None if a is None else _handed(home, function, callee, method, site, a[0], a[1])
                              for a in use.arguments)
            if not any(a is not None for a in arguments):
                continue
            step = TraceStep(f"`{function.name}` hands `{handed[0].name.value}` on to `{callee.name}` "
                             f"({home.short_path()}:{home.line(site.node)})", site.node)
            found.append(LossParameterUse(handed[0], use.call, use.home, arguments, (step, *use.through)))
    return found, complete


def _is_self_attribute(node: cst.BaseExpression) -> bool:
    return isinstance(node, cst.Attribute) and isinstance(node.value, cst.Name) and node.value.value == "self"


def _handed(home: ModuleContext, function: FunctionInfo, callee: FunctionInfo, method: bool, site,  # type: ignore[no-untyped-def]
            parameter: cst.Param, called: bool) -> tuple[cst.Param, bool] | None:
    """The parameter of ``function`` that a call ``site`` passes for the callee's ``parameter`` (called when
    the callee calls it, or when the call passes what calling it gives; not both)."""
    argument = argument_for(callee.node, parameter, site.node, method)
    if argument is None:
        return None
    use = _parameter_use(home, function, argument.value, site.statement, calls_allowed=not called)
    if use is None:
        return None
    return use[0], use[1] or called


def _name_calls_inside(home: ModuleContext, function: FunctionInfo) -> list:  # type: ignore[type-arg]
    """The calls of a plain name (``criterion(…)``) in ``function`` and its closures (indexed once per module)."""
    by_scope = home.cache.get("name_calls_by_scope")
    if by_scope is None:
        by_scope = {}
        for site in home.calls:
            if isinstance(site.node.func, cst.Name):
                by_scope.setdefault(id(site.statement.scope), (site.statement.scope, []))[1].append(site)
        home.cache["name_calls_by_scope"] = by_scope
    found = []
    for scope, sites in by_scope.values():  # type: ignore[union-attr]
        if _inside(home, scope, function.node):
            found.extend(sites)
    return found


def _loss_object_calls(module: ModuleContext, site, home: ModuleContext, function: FunctionInfo,  # type: ignore[no-untyped-def]
                       method: bool, built: bool, traces: dict, anchor: cst.Call) -> list[LossCall]:
    """A call passing a loss object and a model (or a prediction) to a function that invokes one on the other:
    a loss call of that object with the prediction slot filled from this call's arguments."""
    from wce_lint.analysis.losses import expects, from_logits
    from wce_lint.analysis.provenance import LOSS_OBJECT

    found = []
    for use in applying(module, site, function, built, loss_parameter_uses(home, function)):
        passed = argument_for(function.node, use.loss_parameter, site.node, method)
        loss_object = value_of(module, passed.value, site.statement).origin if passed is not None else None
        if loss_object is None or loss_object.kind != LOSS_OBJECT or loss_object.loss is None:
            continue
        api = loss_object.loss
        positional = api.call_parameters.positional
        index = positional.index(api.logits) if api.logits in positional else None
        carried = use.arguments[index] if index is not None and index < len(use.arguments) else None
        if carried is None:
            continue
        parameter, called = carried
        prediction = argument_for(function.node, parameter, site.node, method)
        construction = _construction(module, loss_object.node)
        if prediction is None or construction is None:
            continue
        owner, built = construction
        where = f"{use.home.short_path()}:{use.home.line(use.call)}"
        invoked = f"`{parameter.name.value}{'(…)' if called else ''}`"
        if use.through:
            message = f"it is invoked there on {invoked} ({where})"
        elif use.in_method:  # `self.criterion(self.model(x), y)` in a method, both given to `__init__`
            message = f"the `{use.loss_parameter.name.value}` given to `{function.name}` is invoked on {invoked} " \
                      f"in a method of its class ({where})"
        else:
            message = f"`{function.name}` invokes `{use.loss_parameter.name.value}` on {invoked} ({where})"
        step = TraceStep(message, use.call)
        steps = (*use.through, step)
        traces.setdefault(id(prediction.value), steps)
        slots = {api.logits: prediction}
        labels = _passed_labels(function, site.node, method, use, positional.index(api.labels)
                                if api.labels in positional else None)
        if labels is not None:  # `criterion(model(x), y)` with `y` a parameter: what this call passes
            slots[api.labels] = labels
            traces.setdefault(id(labels.value), steps)
        found.append(LossCall(api, anchor, Binding(slots, (), True), site.statement,
                              via=steps, written=owner.code(built.constructor.func),  # type: ignore[union-attr]
                              fixed_expects=expects(owner, built), fixed_from_logits=from_logits(owner, built),
                              called_slots=frozenset({api.logits}) if called else frozenset()))
    return found


def _passed_labels(function: FunctionInfo, call: cst.Call, method: bool, use: LossParameterUse,
                   index: int | None) -> cst.Arg | None:
    """The labels a call passes, when the loss object's label argument is a plain parameter of ``function``."""
    carried = use.arguments[index] if index is not None and index < len(use.arguments) else None
    if carried is None or carried[1]:
        return None
    return argument_for(function.node, carried[0], call, method)


def _construction(module: ModuleContext, node: cst.CSTNode):  # type: ignore[no-untyped-def]
    """(module, LossCall) of the loss object built at ``node``: in ``module`` or another loaded module."""
    owner = module if module.statement_of(node) is not None else (
        module.project.owner_of(node) if module.project is not None else None)
    if owner is None:
        return None
    built = next((loss for loss in direct_loss_calls(owner) if loss.constructor is node), None)
    return (owner, built) if built is not None else None


def _alternatives(sinks: list[SlotSink]) -> list[list[SlotSink]]:
    """The sinks of one loss call, one per slot: several parameters may reach the same slot on different
    paths (a recursive helper that rotates its arguments), and each is checked as a loss call of its own."""
    by_slot: dict[str, list[SlotSink]] = {}
    for sink in sinks:
        by_slot.setdefault(sink.slot, []).append(sink)
    first = [reaching[0] for reaching in by_slot.values()]
    alternatives = [first]
    for slot, reaching in by_slot.items():
        for other in reaching[1:]:
            alternatives.append([other if sink.slot == slot else sink for sink in first])
    return alternatives


def call_site_trace(module: ModuleContext, node: cst.CSTNode) -> tuple[TraceStep, ...]:
    """The steps into the helper for a finding at a call-site argument (empty for any other node)."""
    traces = module.cache.get("call_site_traces")
    if not traces:
        return ()
    return traces.get(id(node), ())  # type: ignore[union-attr]
