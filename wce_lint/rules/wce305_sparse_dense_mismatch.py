"""## What it does
Flags labels encoded for the other kind of softmax cross-entropy:

- **one-hot labels to a sparse loss** — the output of `tf.one_hot`/`F.one_hot`/`jax.nn.one_hot`/
  `keras.utils.to_categorical` (through assignments, casts and reshapes), or a literal whose rows each hold a
  single 1 and 0 elsewhere, with one row per prediction, passed to `tf.nn.sparse_softmax_cross_entropy_with_logits`,
  `tf.compat.v1.losses.sparse_softmax_cross_entropy`, Keras `SparseCategoricalCrossentropy`/
  `sparse_categorical_crossentropy` or `optax.softmax_cross_entropy_with_integer_labels`;
- **integer class ids to a dense loss** — labels with the logits' shape minus the class axis that are
  integer-typed (an int literal, `tf.cast(…, tf.int32)`, `tf.argmax(…)`, `randint`) or hold whole numbers
  beyond 0/1, passed to `tf.nn.softmax_cross_entropy_with_logits` (and its `v2`/`compat.v1` spellings),
  `tf.compat.v1.losses.softmax_cross_entropy`, Keras `CategoricalCrossentropy`/`categorical_crossentropy`/
  `CategoricalFocalCrossentropy` or `optax.softmax_cross_entropy`. When the logits' shape is unknown, only
  `argmax`/`randint` output or rank-1 literals holding ids beyond 1 count.

PyTorch's `CrossEntropyLoss`/`F.cross_entropy` is not checked: it takes class indices and class
probabilities alike. A sigmoid loss given one-hot labels is WCE403's business.

## Why is this bad?
A sparse loss reads `labels[i]` as the index of the true class; one-hot rows have one more axis, so the
call fails with a rank error (Keras, `tf.nn`) — or, in JAX, indexes with 0s and 1s and trains every
example toward class 0 or 1. A dense loss reads `labels[i]` as a distribution over the classes; class ids
either fail the shape check or, where they broadcast (`tf.nn.softmax_cross_entropy_with_logits`,
`optax.softmax_cross_entropy`), weight the log-probabilities by the id numbers — a loss that trains toward
the highest-numbered classes.

## Example
```python
import tensorflow as tf

NUM_CLASSES = 10

def loss_fn(class_ids, logits):
    labels = tf.one_hot(class_ids, NUM_CLASSES)
    return tf.nn.sparse_softmax_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Use instead
```python
import tensorflow as tf

NUM_CLASSES = 10

def loss_fn(class_ids, logits):
    labels = tf.one_hot(class_ids, NUM_CLASSES)
    return tf.nn.softmax_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Fix safety
There is no automatic fix: switching the loss and re-encoding the labels are both valid.

## References
- [tf.nn.sparse_softmax_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sparse_softmax_cross_entropy_with_logits)
- [tf.nn.softmax_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/softmax_cross_entropy_with_logits)
- [keras.losses.SparseCategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#sparsecategoricalcrossentropy-class)
- [keras.losses.CategoricalCrossentropy](https://keras.io/api/losses/probabilistic_losses/#categoricalcrossentropy-class)
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

# The loss that takes the other encoding, by the last part of the name the user wrote.
_COUNTERPART = {
    "sparse_softmax_cross_entropy_with_logits": "softmax_cross_entropy_with_logits",
    "sparse_softmax_cross_entropy": "softmax_cross_entropy",
    "SparseCategoricalCrossentropy": "CategoricalCrossentropy",
    "sparse_categorical_crossentropy": "categorical_crossentropy",
    "softmax_cross_entropy_with_integer_labels": "softmax_cross_entropy",
    "softmax_cross_entropy_with_logits": "sparse_softmax_cross_entropy_with_logits",
    "softmax_cross_entropy_with_logits_v2": "sparse_softmax_cross_entropy_with_logits",
    "softmax_cross_entropy": "sparse_softmax_cross_entropy",
    "CategoricalCrossentropy": "SparseCategoricalCrossentropy",
    "categorical_crossentropy": "sparse_categorical_crossentropy",
}
_OPTAX_COUNTERPART = {"softmax_cross_entropy": "softmax_cross_entropy_with_integer_labels"}


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.labels import label_sites, shape_text, sparse_dense_mismatch

    for site in label_sites(module):
        mismatch = sparse_dense_mismatch(site)
        if mismatch is None:
            continue
        written = api_as_written(module, site.loss)
        counterpart = _counterpart(site, written)
        shown = f"`{short_code(module, site.labels_argument.value)}`"
        labels = site.labels
        trace = ()
        if mismatch.kind == "one_hot_to_sparse":
            how = "`one_hot` output" if mismatch.evidence == "one_hot" else "one-hot rows (a single 1 per row)"
            message = (f"labels {shown} are {how}, but `{written}` takes integer class ids (the index of the true "
                       "class, one per prediction)")
            ids = "`tf.argmax(labels, axis=-1)`" if site.api.framework in ("tensorflow", "keras") else (
                "`jnp.argmax(labels, axis=-1)`")
            help_text = f"pass the class ids themselves (or {ids})"
            if counterpart:
                help_text += f", or keep the one-hot labels and use `{counterpart}`"
            origin_node = labels.node if labels is not None else None
        else:
            detail = _class_id_detail(site)
            message = (f"labels {shown} are integer class ids{detail}, but `{written}` takes one-hot rows or "
                       "class probabilities of the logits' shape")
            encode = "`jax.nn.one_hot(labels, num_classes)`" if site.api.framework == "optax" else (
                "`tf.one_hot(labels, depth=num_classes)`")
            help_text = f"one-hot encode them ({encode})"
            if counterpart:
                help_text = f"use `{counterpart}`, which takes class ids, or " + help_text
            origin_node = labels.node if labels is not None else None
            if labels is not None and labels.shape is not None and site.logits is not None and site.logits.shape:
                message += f", {shape_text(site.logits.shape)}"
        if origin_node is not None and origin_node is not site.labels_argument.value:
            trace = (TraceStep("the labels are encoded here", origin_node),)
        yield Finding(node=site.labels_argument.value, message=message, help=help_text, trace=trace)


def _class_id_detail(site: "LabelSite") -> str:
    from wce_lint.analysis.labels import shape_text

    labels = site.labels
    if labels is None:
        return ""
    parts = []
    if labels.source == "argmax":
        parts.append("`argmax` output")
    if labels.dtype and not labels.dtype.startswith("python"):
        parts.append(labels.dtype)
    if labels.shape is not None:
        parts.append(f"shape {shape_text(labels.shape)}")
    return f" ({', '.join(parts)})" if parts else ""


def _counterpart(site: "LabelSite", written: str) -> str | None:
    head, _, last = written.rpartition(".")
    table = _OPTAX_COUNTERPART if site.api.framework == "optax" else _COUNTERPART
    other = table.get(last)
    if other is None:
        return None
    return f"{head}.{other}" if head else other


RULE = Rule(
    code="WCE305",
    name="sparse-dense-mismatch",
    summary="one-hot labels to a sparse loss, or integer class ids to a dense softmax loss",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
