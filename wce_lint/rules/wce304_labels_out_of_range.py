"""## What it does
Flags literal labels whose values the loss cannot read:

- values outside `[0, 1]` for a sigmoid loss (`tf.nn.sigmoid_cross_entropy_with_logits`,
  `tf.nn.weighted_cross_entropy_with_logits`, Keras `BinaryCrossentropy`, torch `BCEWithLogitsLoss`/`BCELoss`,
  `optax.sigmoid_binary_cross_entropy` …) or a dense softmax loss (`tf.nn.softmax_cross_entropy_with_logits`,
  Keras `CategoricalCrossentropy`, `optax.softmax_cross_entropy`, torch `CrossEntropyLoss` with a float
  target): typically class ids, or `{-1, 1}` labels, given where 0/1 targets or probabilities are expected;
- negative class ids for a sparse loss (`tf.nn.sparse_softmax_cross_entropy_with_logits`, Keras
  `SparseCategoricalCrossentropy`, `optax.softmax_cross_entropy_with_integer_labels`, torch
  `CrossEntropyLoss` with an integer target), and class ids not below the number of classes when the logits'
  class dimension is static. The value of torch's `ignore_index` (default `-100`) and Keras' `ignore_class`
  is allowed; when either is set to something we cannot read, class ids are not checked.

Labels count as literal when their values are statically known: `tf.constant([...])`, `np.array`,
`torch.tensor`, nested lists, `tf.fill`/`np.full`, and names bound to them, through `reshape`/`cast`/
indexing. Class ids given to a dense softmax loss are reported as WCE305 instead.

## Why is this bad?
A sigmoid loss reads each label as the probability of the positive class. With a label of 2 (or -1) the
loss has no minimum: it keeps decreasing as the logit grows (or shrinks), so training drives those logits
to infinity instead of fitting the data. A negative or too-large class id makes TensorFlow fail on CPU
(`Received a label value of -1 which is outside the valid range`) and return NaN on GPU; PyTorch fails with
a device-side assert on GPU; JAX indexing does not check it, so the loss silently reads another class.

## Example
```python
import tensorflow as tf

logits = tf.random.normal((4, 1))
labels = tf.constant([[1.0], [-1.0], [-1.0], [1.0]])  # SVM-style labels
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Use instead
```python
import tensorflow as tf

logits = tf.random.normal((4, 1))
labels = tf.constant([[1.0], [0.0], [0.0], [1.0]])
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Fix safety
There is no automatic fix: `(labels + 1) / 2`, a one-hot encoding or a different loss may each be meant.

## References
- [tf.nn.sigmoid_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
- [tf.nn.sparse_softmax_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sparse_softmax_cross_entropy_with_logits)
- [keras.losses.SparseCategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#sparsecategoricalcrossentropy-class)
- [torch.nn.CrossEntropyLoss](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written

if TYPE_CHECKING:
    from wce_lint.analysis.labels import LabelSite
    from wce_lint.analysis.module import ModuleContext

_UNREADABLE = object()  # an ignore option whose value we cannot read


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.labels import CLASS_IDS, DENSE, label_sites, sparse_dense_mismatch

    for site in label_sites(module):
        labels = site.labels
        if labels is None or labels.elements is None or not labels.elements:
            continue
        reading = site.reading
        if reading == DENSE:
            problem = _dense(module, site)
        elif reading == CLASS_IDS:
            problem = _class_ids(module, site)
        else:
            problem = None
        if problem is None or sparse_dense_mismatch(site) is not None:
            continue
        message, help_text = problem
        trace = ()
        if labels.node is not None and labels.node is not site.labels_argument.value:
            trace = (TraceStep("the label values are defined here", labels.node),)
        yield Finding(node=site.labels_argument.value, message=message, help=help_text, trace=trace)


def _number(x: float) -> str:
    return str(int(x)) if float(x).is_integer() else repr(float(x))


def _listed(values: list[float]) -> str:
    distinct = sorted(set(values))
    shown = [_number(x) for x in distinct[:3]]
    if len(distinct) > 3:
        shown.append("…")
    return shown[0] if len(shown) == 1 else ", ".join(shown[:-1]) + " and " + shown[-1]


def _dense(module: "ModuleContext", site: "LabelSite") -> tuple[str, str] | None:
    elements = [x for x in site.labels.elements if math.isfinite(x)]  # type: ignore[union-attr]
    outside = [x for x in elements if x < 0 or x > 1]
    if not outside:
        return None
    written = api_as_written(module, site.loss)
    if site.api.family == "sigmoid":
        why = ("reads each label as the probability of the positive class, and for such a label the loss has no "
               "minimum: training drives those logits to infinity")
    else:
        why = "reads each row of labels as a probability distribution over the classes"
    message = f"labels hold {_listed(outside)}, outside [0, 1]: `{written}` {why}"
    if set(elements) <= {-1.0, 1.0}:
        help_text = "map {-1, 1} labels to {0, 1}: `(labels + 1) / 2`"
    elif all(float(x).is_integer() and x >= 0 for x in elements):
        help_text = ("these look like class ids: one-hot encode them, or use a softmax loss that takes class ids "
                     "(a sparse cross-entropy)")
    else:
        help_text = "scale the labels into [0, 1]"
    return message, help_text


def _class_ids(module: "ModuleContext", site: "LabelSite") -> tuple[str, str] | None:
    ignored = _ignored_id(module, site)
    if ignored is _UNREADABLE:
        return None
    elements = [x for x in site.labels.elements if math.isfinite(x) and x != ignored]  # type: ignore[union-attr]
    logits = site.logits
    axis = site.class_axis
    classes = None
    if logits is not None and logits.shape is not None and axis is not None:
        classes = logits.shape[axis]
    negative = [x for x in elements if x < 0]
    too_large = [x for x in elements if isinstance(classes, int) and x >= classes]
    if not negative and not too_large:
        return None
    written = api_as_written(module, site.loss)
    valid = f"[0, {classes})" if isinstance(classes, int) else "[0, number of classes)"
    bad = negative + too_large
    noun = "class id" if len(set(bad)) == 1 else "class ids"
    message = f"labels hold the {noun} {_listed(bad)}: `{written}` needs ids in {valid}"
    if too_large and isinstance(classes, int):
        message += f" (the logits have {classes} classes)"
    framework = site.api.framework
    if framework in ("tensorflow", "keras"):
        message += "; it fails with InvalidArgumentError on CPU and returns NaN on GPU"
    elif framework == "torch":
        message += "; it fails with IndexError (a device-side assert on GPU)"
    elif framework == "optax":
        message += "; JAX indexing does not check it, so the loss silently reads another class"
    if negative and not too_large:
        option = {"torch": " (or mark it with `ignore_index`)", "keras": " (or mark it with `ignore_class`)"}.get(
            framework, "")
        help_text = f"number the classes from 0; to leave an example out, mask its loss{option}"
    else:
        help_text = "number the classes from 0 to the number of classes - 1, and give the logits one column per class"
    return message, help_text


def _ignored_id(module: "ModuleContext", site: "LabelSite") -> object:
    """The class id the loss skips: torch's ``ignore_index`` (default -100), Keras' ``ignore_class``."""
    from wce_lint.analysis.evaluator import value_of

    api = site.api
    parameter = {"torch": "ignore_index", "keras": "ignore_class"}.get(api.framework)
    if parameter is None or parameter not in api.signature.names:
        return None
    argument = site.loss.option(parameter)
    if argument is None:
        binding = site.loss.constructor_arguments if api.is_class else site.loss.arguments
        if binding is not None and binding.open:
            return _UNREADABLE
        return -100.0 if api.framework == "torch" else None
    if module.code(argument.value) == "None":
        return None
    at = module.statement_of(argument) or site.loss.statement
    value = value_of(module, argument.value, at).static
    return value.scalar if value is not None and value.scalar is not None else _UNREADABLE


RULE = Rule(
    code="WCE304",
    name="labels-out-of-range",
    summary="literal labels hold values the loss cannot read (outside [0, 1], or invalid class ids)",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
