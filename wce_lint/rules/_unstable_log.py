"""How WCE501 and WCE502 word a log of a sigmoid/softmax output and build its fix (the analysis is in
``wce_lint.analysis.logs``). Imported lazily from the rules' ``check``."""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, TraceStep
from wce_lint.rules._common import short_code

if TYPE_CHECKING:
    from wce_lint.analysis.module import ModuleContext

_WHY = {
    ("sigmoid", False): "saturates to exactly 0 in float32 for logits below about -88, where the log is -inf "
                        "and its gradient NaN",
    ("sigmoid", True): "saturates to exactly 1 in float32 for logits above about 17, where `log(1 - p)` is "
                       "-inf and its gradient NaN",
    ("softmax", False): "underflows to exactly 0 in float32 for any class whose logit is about 88 below the "
                        "largest, where the log is -inf and its gradient NaN",
}


def findings(module: "ModuleContext", kind: str) -> Iterator[Finding]:
    from wce_lint.analysis.edits import replace_node
    from wce_lint.analysis.logs import logs_of_activations, stable_op, stable_replacement

    passed_on: set[int] = set()
    for found in logs_of_activations(module):
        if found.kind != kind:
            continue
        if found.via:  # one finding per value passed to a helper, however many logs it takes of it
            if id(found.argument) in passed_on:
                continue
            passed_on.add(id(found.argument))
        activation = found.activation
        op = stable_op(found)
        written = short_code(module, found.log, 60)
        produced = f"`{activation.api}`"
        if activation.kind == "model_output":
            produced = f"a model ending in {activation.activation} (`{activation.api}`"
            produced += f", {module.where(activation.node)})" if activation.node is not found.argument else ")"
        elif activation.node is not found.argument and module.where(activation.node) != module.where(found.log):
            produced += f" ({module.where(activation.node)})"
        minus = "one minus " if found.complement else ""
        if found.guards:
            guards = " and ".join(dict.fromkeys(g.description for g in found.guards))
            consequence = (f"{guards} keeps the NaN away but zeroes the gradient of confidently wrong examples; "
                           f"use `{op}` on the logits")
        else:
            consequence = f"which {_WHY[(kind, found.complement)]}; use `{op}` on the logits"
        if found.via and found.called:  # a helper calls the model this call passes and logs its output
            message = (f"`{short_code(module, found.argument)}` is {produced} and "
                       f"{found.via}, the log of {minus}a {kind} output, {consequence}")
        elif found.via:  # a helper takes the log of what this call passes: say so where the value is passed
            message = (f"`{short_code(module, found.argument)}` is the output of {produced} and {found.via}, "
                       f"the log of {minus}a {kind} output, {consequence}")
        elif found.guards:
            message = f"`{written}` takes the log of {minus}the output of {produced}: {consequence}"
        else:
            message = f"`{written}` takes the log of {minus}the output of {produced}, {consequence}"
        fix = None
        replacement = stable_replacement(module, found)
        if replacement is not None:
            text, extra = replacement
            title = f"Replace with `{text}`" if len(text) <= 60 and "\n" not in text else f"Replace with `{op}`"
            fix = Fix(title, (*extra, replace_node(module, found.log, text)), Applicability.SAFE)
        if kind == "sigmoid":
            help_text = (f"`{op}(x)` computes log(sigmoid(x)) stably and `{op}(-x)` computes "
                         "log(1 - sigmoid(x)); apply it to the logits the sigmoid was given")
        else:
            axis = "dim" if found.framework == "torch" else "axis"
            help_text = f"`{op}(x, {axis})` computes log(softmax(x, {axis})) stably; apply it to the logits"
        trace = found.trace
        if not found.direct:  # in the direct form the activation is right there, inside the log
            trace = (*trace, TraceStep(f"the {kind} is applied here", activation.node))
        yield Finding(node=found.argument, message=message, help=help_text, fix=fix, trace=trace)
