"""## What it does
Flags labels whose static dtype the loss cannot take:

- **integer labels for a TensorFlow sigmoid op** — `tf.nn.sigmoid_cross_entropy_with_logits`,
  `tf.nn.weighted_cross_entropy_with_logits` (and their `compat.v1` spellings): an int literal tensor
  without a float `dtype=` (`tf.constant([1, 0])`, a list of Python ints, `np.array([1, 0])`),
  `dtype=tf.int32`, `tf.cast(…, tf.int64)`, `tf.argmax(…)`, `np.random.randint(…)`;
- **float labels for a sparse op** — `tf.nn.sparse_softmax_cross_entropy_with_logits`,
  `tf.compat.v1.losses.sparse_softmax_cross_entropy` and `optax.softmax_cross_entropy_with_integer_labels`
  need int32/int64 class ids;
- **PyTorch**: an integer target for `nn.BCEWithLogitsLoss`, `nn.BCELoss`,
  `F.binary_cross_entropy(_with_logits)` or `torchvision.ops.sigmoid_focal_loss` (they need a float target),
  and a float target with the shape of class indices (the input's shape without dimension 1) for
  `nn.CrossEntropyLoss`/`F.cross_entropy`, which reads float targets as probabilities.

Not flagged, because the loss converts the labels itself: Keras losses (classes, functions and `compile`
strings), `tf.compat.v1.losses.sigmoid_cross_entropy`/`softmax_cross_entropy`, and
`tf.nn.softmax_cross_entropy_with_logits` (it casts labels to the logits' dtype). `tf.one_hot` output is
float32 and fine for the sigmoid ops; `torch.nn.functional.one_hot` output is int64.

Labels that are one-hot rows given to a sparse loss are reported once, as WCE305, not here.

## Why is this bad?
These calls do not convert the labels: they fail with `InvalidArgumentError` ("cannot compute Mul as
input #1 was expected to be a float tensor but is a int32 tensor", "Value for attr 'Tlabels' of float is
not in the list of allowed values"), or in PyTorch with `RuntimeError: result type Float can't be cast to
the desired output type Long` / `expected scalar type Long but found Float` — often only once a code
path with literal or freshly cast labels (an evaluation loop, a unit test) runs.

## Example
```python
import tensorflow as tf

logits = tf.random.normal((4, 1))
labels = tf.constant([[1], [0], [0], [1]])
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Use instead
```python
import tensorflow as tf

logits = tf.random.normal((4, 1))
labels = tf.constant([[1], [0], [0], [1]], dtype=tf.float32)
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Fix safety
There is no automatic fix: casting is usually right, but an integer tensor in a sigmoid loss can also mean
class ids were passed where 0/1 targets belong.

## References
- [tf.nn.sigmoid_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
- [tf.nn.sparse_softmax_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sparse_softmax_cross_entropy_with_logits)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
- [torch.nn.CrossEntropyLoss](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)
- [optax.losses.softmax_cross_entropy_with_integer_labels](https://optax.readthedocs.io/en/latest/api/losses.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.labels import LabelSite
    from wce_lint.analysis.module import ModuleContext
    from wce_lint.analysis.values import Value


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.labels import label_sites, sparse_dense_mismatch

    for site in label_sites(module):
        labels = site.labels
        if labels is None or labels.dtype is None:
            continue
        problem = _problem(module, site, labels)
        if problem is None or sparse_dense_mismatch(site) is not None:
            continue
        message, help_text = problem
        trace = ()
        if labels.node is not None and labels.node is not site.labels_argument.value:
            trace = (TraceStep(f"the labels get their dtype ({_dtype_text(labels)}) here", labels.node),)
        yield Finding(node=site.labels_argument.value, message=message, help=help_text, trace=trace)


def _dtype_text(labels: "Value") -> str:
    return {"python int": "Python ints", "python float": "Python floats"}.get(labels.dtype or "", labels.dtype or "")


def _problem(module: "ModuleContext", site: "LabelSite", labels: "Value") -> tuple[str, str] | None:
    from wce_lint.analysis.apis import SIGMOID, SPARSE

    api = site.api
    written = api_as_written(module, site.loss)
    shown = f"`{short_code(module, site.labels_argument.value)}`"
    framework = api.framework
    if framework == "tensorflow" and api.family == SIGMOID and not api.casts_labels and labels.is_integer:
        return (
            f"labels {shown} are {_integer_text(labels)}, but `{written}` needs float labels of the logits' dtype: "
            "it fails with InvalidArgumentError",
            "make the labels float: `tf.cast(labels, logits.dtype)`, or `dtype=tf.float32` where they are built",
        )
    # tf.compat.v1.losses.sparse_softmax_cross_entropy converts nothing: float class ids reach the op and fail
    if api.family == SPARSE and labels.is_float and framework in ("tensorflow", "optax"):
        cast = "labels.astype(jnp.int32)" if framework == "optax" else "tf.cast(labels, tf.int32)"
        error = "a type assertion" if framework == "optax" else "InvalidArgumentError"
        return (
            f"labels {shown} are {_dtype_text(labels)}, but `{written}` needs integer class ids (int32 or int64): "
            f"it fails with {error}",
            f"pass integer class ids (`{cast}` if they hold whole numbers)",
        )
    tensor = labels.dtype not in ("python int", "python float")  # torch losses take tensors only
    if framework in ("torch", "torchvision") and api.family == SIGMOID and labels.is_integer and tensor:
        return (
            f"target {shown} is {labels.dtype}, but `{written}` needs a float target: it fails with RuntimeError "
            "(result type Float can't be cast to the desired output type Long)",
            "make the target float: `target.float()`, or `dtype=torch.float32` where it is built",
        )
    if site.is_torch_cross_entropy and labels.is_float and tensor:
        logits = site.logits
        if logits is not None and logits.rank is not None and labels.rank == logits.rank - 1 and logits.rank >= 1:
            return (
                f"target {shown} is {labels.dtype} with the shape of class indices, but `{written}` reads class "
                "indices only from an integer (int64) target; a float target must hold class probabilities of the "
                "input's shape: it fails with RuntimeError (expected scalar type Long but found Float)",
                "pass class indices as int64: `target.long()`",
            )
    return None


def _integer_text(labels: "Value") -> str:
    if labels.dtype == "python int":
        return "Python ints (an int32 tensor once converted)"
    return labels.dtype or "integer"


RULE = Rule(
    code="WCE303",
    name="integer-labels",
    summary="labels have a dtype the loss does not take (integer for sigmoid ops, float for sparse ops)",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
