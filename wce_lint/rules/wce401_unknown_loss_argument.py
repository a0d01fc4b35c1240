"""## What it does
Flags a keyword the loss API does not accept in the version the import names (also one a helper of the
project passes on to the loss through `**kwargs`, directly or through other helpers handing it on:
`bce(x, y, pos_weigth=…)`), a positional argument
beyond its signature, and a required argument that is missing — judged against the API's signature as
imported: TF2 `tf.nn.*` and `tf.compat.v1.*` differ (`targets=` and `dim=` are TF1 spellings), as do
Keras, PyTorch and optax. It knows the usual mix-ups: `weights=`/`class_weights=` to
`weighted_cross_entropy_with_logits`, `pos_weight=` to `sigmoid_cross_entropy_with_logits` or PyTorch
`BCELoss`, `from_logits=` to a `tf.nn` op, and no `pos_weight` at all for `weighted_cross_entropy_with_logits`.

The TF1 spellings are judged by the file's TensorFlow generation: the `tensorflow-version` setting, then
TF1-only or TF2-only APIs in the file (`tf.placeholder`, `tf.Session`, … against `tf.function`,
`tf.GradientTape`), then the project's dependency pins (`tensorflow<2` in requirements files, pyproject.toml,
setup.py, setup.cfg), else TF2. In TF 1.x code (or a file mixing both) `targets=` and `dim=` are right and
are not reported; under TF2 the message names the evidence that decided. A keyword that is a close match
for a missing required parameter (`weights=` for `pos_weight`) is one finding, "did you mean
`pos_weight=`?", not two.

## Why is this bad?
The call raises `TypeError` the first time it runs — often after the data pipeline has spun up, or deep in
a `tf.function` trace — or, for a TF1 spelling under a TF2 import, the code was written for another API
and may not mean what it says.

## Example
```python
import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(targets=labels, logits=logits, pos_weight=2.0)
```

## Use instead
```python
import tensorflow as tf

def loss_fn(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(labels=labels, logits=logits, pos_weight=2.0)
```

## Fix safety
Safe for the TF1 → TF2 renames under a TF2 import (`targets=` → `labels=`, `dim=` → `axis=`) when the new
name is not also given: the parameters mean the same thing (and both names exist in TF 1.13+ and TF2).
Unsafe for a close match of a missing required parameter (`weights=` → `pos_weight=`): the value was
perhaps meant as per-example weights, which this API cannot take. No fix for the other cases: which API was
meant is the author's call.

## References
- [tf.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/weighted_cross_entropy_with_logits)
- [tf.compat.v1.nn.weighted_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/compat/v1/nn/weighted_cross_entropy_with_logits)
- [torch.nn.BCELoss](https://pytorch.org/docs/stable/generated/torch.nn.BCELoss.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.rule import Finding, Rule

if TYPE_CHECKING:
    import libcst as cst

    from wce_lint.analysis.apis import Signature
    from wce_lint.analysis.calls import Binding, LossCall
    from wce_lint.analysis.module import ModuleContext


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.calls import loss_calls

    for loss in loss_calls(module):
        if loss.call is None:  # a loss object's construction
            yield from _judge(module, loss, loss.constructor, loss.constructor_arguments, loss.api.signature)
        else:
            yield from _judge(module, loss, loss.call, loss.arguments, loss.api.call_parameters)


def _judge(module: "ModuleContext", loss: "LossCall", call: "cst.Call | None", binding: "Binding | None",
           signature: "Signature") -> Iterator[Finding]:
    from wce_lint.analysis.apis import KEYWORD_ADVICE, RENAMED_IN_TF2
    from wce_lint.analysis.edits import replace_node
    from wce_lint.analysis.tf_generation import generation

    if call is None or binding is None:
        return
    # a call of a helper passing its keywords on to the loss: the loss as the helper spells it
    name = loss.written if loss.is_call_site and loss.written else module.code((loss.constructor or call).func)
    missing = _missing(loss, binding, signature)
    for argument in binding.unexpected:
        keyword = argument.keyword.value  # type: ignore[union-attr]
        renamed = RENAMED_IN_TF2.get(keyword) if loss.api.framework == "tensorflow" else None
        if renamed in signature.names:
            # Only reached under TF2: TF 1.x (and mixed) code is judged against TF 1.x's signature.
            fix = None
            if renamed not in binding.arguments:
                fix = Fix(f"rename `{keyword}=` to `{renamed}=`",
                          (replace_node(module, argument.keyword, renamed),), Applicability.SAFE)
            yield Finding(
                node=argument.keyword,  # type: ignore[arg-type]
                message=f"`{name}` has no `{keyword}` argument under TF2 ({generation(module).reason}): "
                        f"`{keyword}` is the TF1 spelling of `{renamed}` (the call raises TypeError)",
                help=f"write `{renamed}=` (or set `tensorflow-version = \"1\"` if this is TF 1.x code)",
                fix=fix,
            )
            continue
        advice = KEYWORD_ADVICE.get(keyword)
        meant = _close_match(keyword, missing)
        if meant is not None:
            # One problem, one finding: the misspelt keyword *is* the missing parameter.
            missing.remove(meant)
            yield Finding(
                node=argument.keyword,  # type: ignore[arg-type]
                message=f"`{name}` does not accept `{keyword}=` and is called without its required `{meant}` "
                        f"(the call raises TypeError): did you mean `{meant}=`?",
                help=advice or f"write `{meant}=`",
                fix=Fix(f"rename `{keyword}=` to `{meant}=`", (replace_node(module, argument.keyword, meant),),
                        Applicability.UNSAFE),
            )
            continue
        accepted = ", ".join(f"`{p}`" for p in signature.positional + signature.keyword_only if not p.startswith("_"))
        yield Finding(
            node=argument.keyword,  # type: ignore[arg-type]
            message=f"`{name}` does not accept `{keyword}=` (the call raises TypeError); it takes {accepted}",
            help=advice or "remove the argument or use the API that takes it",
        )
    for argument in binding.surplus:
        yield Finding(
            node=argument.value,
            message=f"`{name}` takes at most {len(signature.positional)} positional arguments "
                    f"({', '.join(signature.positional)}); this one is extra (the call raises TypeError)",
            help="pass the remaining arguments by keyword",
        )
    for argument in binding.duplicates:
        yield Finding(
            node=argument.keyword,  # type: ignore[arg-type]
            message=f"`{name}` gets `{argument.keyword.value}` both by position and by keyword "  # type: ignore[union-attr]
                    "(the call raises TypeError)",
            help="pass it once",
        )
    if missing:
        yield Finding(
            node=call.func,
            message=f"`{name}` is called without {', '.join(f'`{p}`' for p in missing)} "
                    "(the call raises TypeError)",
            help=_missing_help(missing),
        )


def _missing(loss: "LossCall", binding: "Binding", signature: "Signature") -> list[str]:
    """Required parameters certainly not passed (none when *args/**kwargs may supply them)."""
    from wce_lint.analysis.apis import RENAMED_IN_TF2

    if binding.open:
        return []
    given = set(binding.arguments)
    if loss.api.framework == "tensorflow":
        # `targets=` (compat.v1 accepts it; under TF2 it is reported as a rename) stands for `labels`
        spelled = {a.keyword.value for a in binding.unexpected if a.keyword is not None} | given
        given |= {RENAMED_IN_TF2[k] for k in spelled if k in RENAMED_IN_TF2}
    return [p for p in signature.required if p not in given]


def _close_match(keyword: str, missing: list[str]) -> str | None:
    """The missing required parameter ``keyword`` stands for: a known mix-up (``weights`` for ``pos_weight``)
    or a near spelling (``pos_weights``, ``logit``)."""
    import difflib

    from wce_lint.analysis.apis import CLOSE_MATCHES

    if not missing:
        return None
    known = CLOSE_MATCHES.get(keyword)
    if known in missing:
        return known
    matches = difflib.get_close_matches(keyword, missing, n=1, cutoff=0.75)
    return matches[0] if matches else None


def _missing_help(missing: list[str]) -> str:
    if "pos_weight" in missing:
        return "pass `pos_weight` (1.0 weighs positives like negatives; use `sigmoid_cross_entropy_with_logits` if no weight is meant)"
    return "pass every required argument"


RULE = Rule(
    code="WCE401",
    name="unknown-loss-argument",
    summary="a loss API gets a keyword it does not accept (or misses a required one)",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
    fix_applicability=Applicability.SAFE,
)
