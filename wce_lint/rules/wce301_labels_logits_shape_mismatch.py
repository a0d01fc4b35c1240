"""## What it does
Flags a cross-entropy call whose labels and logits have static shapes that do not fit each other:

- for sigmoid losses (`tf.nn.sigmoid_cross_entropy_with_logits`, `tf.nn.weighted_cross_entropy_with_logits`,
  Keras `BinaryCrossentropy`, torch `BCEWithLogitsLoss`/`BCELoss`, `optax.sigmoid_binary_cross_entropy` …) and
  dense softmax losses (`tf.nn.softmax_cross_entropy_with_logits`, Keras `CategoricalCrossentropy`,
  `optax.softmax_cross_entropy`), labels must have the logits' shape — `[N]` against `[N, 1]` included;
- for sparse losses (`tf.nn.sparse_softmax_cross_entropy_with_logits`, Keras `SparseCategoricalCrossentropy`,
  `optax.softmax_cross_entropy_with_integer_labels`), labels must have the logits' shape without the class
  axis (rank − 1);
- torch `CrossEntropyLoss`/`F.cross_entropy` reads an integer target as class indices (the input's shape
  without dimension 1) and a float target as probabilities (the input's shape).

Shapes come from literals (`tf.constant`, `np.array`, `torch.tensor`, nested lists), `zeros`/`ones`/`fill`/
`random.*` with literal shapes, `reshape` with literal shapes, `expand_dims`/`squeeze`/`x[:, None]` with
literal axes, `keras.Input(shape=…)`, `tf.compat.v1.placeholder(shape=…)` and Keras `Dense(units)`/torch
`nn.Linear` outputs. Unknown dimensions (`None`, a batch size read at run time) never count as a mismatch;
a different rank does.

Keras loss *objects* (`keras.losses.BinaryCrossentropy()(y, p)`, `compile(loss=…)`) squeeze or expand a
trailing axis of 1 themselves, so `[N]` against `[N, 1]` is fine there and not flagged; the Keras
*functions* (`keras.losses.binary_crossentropy`) do not (Keras 3 raises, Keras 2 broadcasts). Keras sparse
losses and `tf.compat.v1.losses.sparse_softmax_cross_entropy` accept class ids of shape `[N, 1]` likewise.
`optax.softmax_cross_entropy` documents labels *broadcastable* to the logits: only labels that cannot
broadcast to the logits' shape are flagged there.

Labels that are one-hot rows given to a sparse loss, or class ids given to a dense one, are reported once,
as WCE305, not here.

## Why is this bad?
The `tf.nn` sigmoid ops, `compat.v1` losses and PyTorch losses raise on mismatched shapes — after the model
was built, data loaded and perhaps hours of training, when the first evaluation batch takes another path.
The others are worse: they *broadcast*. Labels of shape `[32]` against logits `[32, 1]` broadcast to
`[32, 32]`: every prediction is scored against every label of the batch, the loss goes down a little,
and the model learns nothing useful.

## Example
```python
import tensorflow as tf

logits = tf.keras.layers.Dense(1)(tf.keras.Input(shape=(16,)))
labels = tf.constant([1.0, 0.0, 1.0, 1.0])
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Use instead
```python
import tensorflow as tf

logits = tf.keras.layers.Dense(1)(tf.keras.Input(shape=(16,)))
labels = tf.constant([[1.0], [0.0], [1.0], [1.0]])
loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=logits)
```

## Fix safety
There is no automatic fix: whether the labels or the logits have the wrong shape is the author's call.

## References
- [tf.nn.sigmoid_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sigmoid_cross_entropy_with_logits)
- [tf.nn.sparse_softmax_cross_entropy_with_logits](https://www.tensorflow.org/api_docs/python/tf/nn/sparse_softmax_cross_entropy_with_logits)
- [keras.losses.BinaryCrossentropy](https://keras.io/api/losses/probabilistic_losses/#binarycrossentropy-class)
- [torch.nn.BCEWithLogitsLoss](https://pytorch.org/docs/stable/generated/torch.nn.BCEWithLogitsLoss.html)
- [torch.nn.CrossEntropyLoss](https://pytorch.org/docs/stable/generated/torch.nn.CrossEntropyLoss.html)
- [optax.losses.sigmoid_binary_cross_entropy](https://optax.readthedocs.io/en/latest/api/losses.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import api_as_written, axis_edit, short_code

if TYPE_CHECKING:
    from wce_lint.analysis.labels import LabelSite
    from wce_lint.analysis.module import ModuleContext

Problem = tuple[str, str]  # (message, help)


def check(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.labels import CLASS_IDS, DENSE, label_sites, sparse_dense_mismatch

    for site in label_sites(module):
        labels, logits = site.labels, site.logits
        if labels is None or logits is None or labels.shape is None or logits.shape is None:
            continue  # only two static shapes can disagree
        if sparse_dense_mismatch(site) is not None:
            continue  # WCE305 explains it
        reading = site.reading
        problem: Problem | None = None
        if reading == DENSE:
            problem = _dense(module, site, labels.shape, logits.shape)
        elif reading == CLASS_IDS:
            problem = _class_ids(module, site, labels.shape, logits.shape)
        elif site.is_torch_cross_entropy:
            problem = _torch_either(module, site, labels.shape, logits.shape)
        if problem is not None:
            message, help_text = problem
            yield Finding(node=site.labels_argument.value, message=message, help=help_text, trace=_trace(site))


def _trace(site: "LabelSite") -> tuple[TraceStep, ...]:
    steps = []
    for name, argument, value in (("labels", site.labels_argument, site.labels),
                                  ("logits", site.logits_argument, site.logits)):
        if value is None or value.node is None or argument is None or value.node is argument.value:
            continue
        steps.append(TraceStep(f"the {name}' shape comes from here", value.node))
    return tuple(steps)


def _dense(module: "ModuleContext", site: "LabelSite", labels: tuple, logits: tuple) -> Problem | None:
    """Labels read as a dense target: they need the logits' shape."""
    from wce_lint.analysis.labels import shape_text, shapes_differ

    api = site.api
    seen_labels: tuple | None = labels
    seen_logits = logits
    if api.framework == "optax":
        # optax documents labels *broadcastable* to the logits: only labels that cannot broadcast are wrong
        if _broadcasts_to(labels, logits) is not False:
            return None
    elif api.framework == "keras" and api.is_class:
        seen_labels, seen_logits = _keras_same_rank(labels, logits)
        if seen_labels is None:
            return None
    if not shapes_differ(seen_labels, seen_logits):
        return None
    written = api_as_written(module, site.loss)
    message = (f"labels have shape {shape_text(labels)} but logits {shape_text(logits)}: `{written}` needs "
               f"labels of the logits' shape{_consequence(site, seen_labels, seen_logits)}")
    return message, _dense_help(module, site, seen_labels, seen_logits)


def _broadcasts_to(source: tuple, target: tuple) -> bool | None:
    """Whether ``source`` broadcasts to exactly ``target`` (None when unknown dimensions decide)."""
    if len(source) > len(target):
        return False
    unknown = False
    for s, t in zip(reversed(source), reversed(target)):
        if s is None or t is None:
            unknown = unknown or s != 1
            continue
        if s != 1 and s != t:
            return False
    return None if unknown else True


def _keras_same_rank(labels: tuple, logits: tuple) -> tuple[tuple | None, tuple]:
    """Keras loss objects squeeze or expand a trailing axis of 1 when ranks differ by one
    (``squeeze_or_expand_to_same_rank``): the shapes the loss function then sees (None: unknown)."""
    if len(logits) == len(labels) + 1:
        if logits[-1] is None:
            return None, logits
        if logits[-1] == 1:
            return (labels + (1,), logits) if len(labels) == 1 else (labels, logits[:-1])
    if len(labels) == len(logits) + 1:
        if labels[-1] is None:
            return None, logits
        if labels[-1] == 1:
            return (labels, logits + (1,)) if len(logits) == 1 else (labels[:-1], logits)
    return labels, logits


def _consequence(site: "LabelSite", labels: tuple, logits: tuple) -> str:
    """What the mismatch does: most APIs raise; some broadcast the two into a grid without a word."""
    from wce_lint.analysis.labels import shape_text
    from wce_lint.analysis.values import broadcast_shapes

    api = site.api
    try:
        grid = broadcast_shapes(labels, logits)
    except ValueError:
        grid = None
    broadcasts = grid is not None and grid != logits and None not in grid
    if api.framework == "keras" and not api.is_class:
        return f" (Keras 3 raises; Keras 2 silently broadcasts them to {shape_text(grid)})" if broadcasts else ""
    # optax is elementwise; TF's softmax kernel broadcasts labels against logits
    silent = api.framework == "optax" or (api.framework == "tensorflow" and api.family == "softmax"
                                          and not api.casts_labels)
    if not silent:
        return "; the call raises an error"
    if broadcasts:
        return f"; it silently broadcasts them to {shape_text(grid)}, pairing predictions with the wrong labels"
    return ""


def _dense_help(module: "ModuleContext", site: "LabelSite", labels: tuple, logits: tuple) -> str:
    framework = site.api.framework
    code = _labels_code(module, site)
    if len(labels) + 1 == len(logits) and logits[-1] == 1:
        return (f"give the labels the logits' trailing axis (`{axis_edit(framework, code, 'expand')}`), or drop "
                "it from the logits")
    if len(labels) == len(logits) + 1 and labels[-1] == 1:
        return f"drop the labels' trailing axis (`{axis_edit(framework, code, 'squeeze')}`)"
    return ("make labels and logits the same shape: compare the model's number of outputs with how the labels "
            "are encoded")


def _labels_code(module: "ModuleContext", site: "LabelSite") -> str:
    """The labels as the user wrote them when that is short, else the parameter's name."""
    code = short_code(module, site.labels_argument.value, 30)
    return code if len(code) < 30 and "(" not in code else site.api.labels


def _class_ids(module: "ModuleContext", site: "LabelSite", labels: tuple, logits: tuple) -> Problem | None:
    """Labels read as class ids: they need the logits' shape without the class axis."""
    from wce_lint.analysis.labels import shape_text, shapes_differ

    expected = site.expected_class_id_shape
    if expected is None or not shapes_differ(labels, expected):
        return None
    axis = site.class_axis
    if (site.squeezes_trailing_label_axis and axis is not None and len(labels) == len(logits)
            and labels[axis] == 1 and not shapes_differ(labels[:axis] + labels[axis + 1:], expected)):
        return None  # [N, 1] class ids: the loss squeezes the class axis
    written = api_as_written(module, site.loss)
    torch = site.is_torch_cross_entropy
    message = (f"labels have shape {shape_text(labels)} but logits {shape_text(logits)}: `{written}` takes "
               f"class ids of shape {shape_text(expected)} (the logits' shape without "
               f"{'dimension 1' if torch else 'the class axis'})")
    if torch and len(labels) == len(logits):
        message += "; an integer target is read as class indices"
        help_text = ("pass class indices of that shape, or a float target (`.float()`) of the input's shape to "
                     "give class probabilities")
    elif len(labels) == len(expected) + 1 and labels[-1] == 1 and axis == len(logits) - 1:
        code = _labels_code(module, site)
        help_text = f"drop the labels' trailing axis (`{axis_edit(site.api.framework, code, 'squeeze')}`)"
    else:
        help_text = "give the labels one class id per prediction: the logits' shape without the class axis"
    return message, help_text


def _torch_either(module: "ModuleContext", site: "LabelSite", labels: tuple, logits: tuple) -> Problem | None:
    """torch cross-entropy with a target of unknown dtype whose rank fits neither reading."""
    from wce_lint.analysis.labels import shape_text

    if len(labels) in (len(logits), len(logits) - 1):
        return None
    written = api_as_written(module, site.loss)
    without = logits[:1] + logits[2:] if len(logits) >= 2 else ()
    return (
        f"target has shape {shape_text(labels)} but input {shape_text(logits)}: `{written}` takes class indices "
        f"of shape {shape_text(without)} or class probabilities of shape {shape_text(logits)}",
        "reshape the target to one of those shapes",
    )


RULE = Rule(
    code="WCE301",
    name="labels-logits-shape-mismatch",
    summary="labels and logits have static shapes that do not fit the loss",
    doc=__doc__ or "",
    check=check,
    triggers=LOSS_TRIGGERS,
    requires=FRAMEWORK_NAMES,
)
