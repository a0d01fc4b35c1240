"""## What it does
Flags a per-class weight vector passed where Keras and TensorFlow expect one weight per **example**:

- the `sample_weight` of a Keras loss object's call (`loss_fn(y_true, y_pred, sample_weight=…)`),
- `weights=` of `tf.compat.v1.losses.sigmoid_cross_entropy` / `softmax_cross_entropy` /
  `sparse_softmax_cross_entropy`,
- `sample_weight=` of a Keras model's `fit`, `train_on_batch`, `evaluate` and `test_on_batch`.

A weight counts as per-class when it is a dict `{class: weight}` (a literal with integer keys, a
comprehension over `enumerate(…)`/`range(…)`, `dict(enumerate(…))`, `dict(zip(range(…) | np.unique(…), …))`),
the result of sklearn's `compute_class_weight`, or a literal vector whose length equals the number of
classes (the last axis of the logits or dense labels: a static shape, the model's last `Dense(units)` /
`nn.Linear(…, out_features)`, a `one_hot(…, depth)`) while the batch size, when known, differs.

It also flags `model.fit(class_weight=…)` given a list, an array or a tensor (a literal vector or the
result of `compute_class_weight`) instead of the dict Keras wants.

A `.fit` call counts when its receiver is a Keras model built or loaded in the module (`Sequential`,
functional `Model`, a `keras.Model` subclass, `load_model`, `keras.applications.*`, or a function of the
module returning one). When the receiver is unknown (a parameter, an attribute), only evidence that no
`fit` API accepts is used: a `{class: weight}` dict or a `compute_class_weight` result as `sample_weight`,
a `compute_class_weight` result as `class_weight`, and — in a module importing TensorFlow or Keras — a
list or array as `class_weight`. A receiver known to be something else (scikit-learn, a class of the
module that is not a Keras model) is left alone.

Weights gathered per example (`class_weights[y]`, `tf.gather(class_weights, y)`,
`compute_sample_weight(…)`) are what these slots want and are never flagged.

## Why is this bad?
`sample_weight` and `weights` multiply the loss of each **example**. A vector of one weight per class
either fails to broadcast against the batch (a shape error on most batches) or — when the batch size
happens to equal the number of classes — silently weights example `i` by the weight of class `i`, which
has nothing to do with its label. Keras' own per-class weighting is `model.fit(class_weight={class:
weight})`, and it must be a dict: a list or array is rejected.

## Example
```python
import numpy as np
import tensorflow as tf
from sklearn.utils.class_weight import compute_class_weight

model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def train_step(x, y, y_train):
    class_weights = compute_class_weight("balanced", classes=np.unique(y_train), y=y_train)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x), sample_weight=class_weights)
    return tape.gradient(loss, model.trainable_variables)
```

## Use instead
```python
import numpy as np
import tensorflow as tf
from sklearn.utils.class_weight import compute_class_weight

model = tf.keras.Sequential([tf.keras.layers.Dense(3)])
loss_fn = tf.keras.losses.SparseCategoricalCrossentropy(from_logits=True)


def train_step(x, y, y_train):
    class_weights = compute_class_weight("balanced", classes=np.unique(y_train), y=y_train)
    with tf.GradientTape() as tape:
        loss = loss_fn(y, model(x), sample_weight=tf.gather(class_weights, y))
    return tape.gradient(loss, model.trainable_variables)
```
or, with `fit`, `model.fit(x, y, class_weight=dict(enumerate(class_weights)))`.

## Fix safety
There is no automatic fix: gathering per example, moving the weights to `class_weight=` and building a
dict are different edits, and only the author knows which was meant.

## References
- [tf.keras.losses.Loss.__call__](https://www.tensorflow.org/api_docs/python/tf/keras/losses/Loss#__call__)
- [tf.keras.Model.fit](https://www.tensorflow.org/api_docs/python/tf/keras/Model#fit) (`class_weight`, `sample_weight`)
- [tf.compat.v1.losses.softmax_cross_entropy](https://www.tensorflow.org/api_docs/python/tf/compat/v1/losses/softmax_cross_entropy)
- [sklearn.utils.class_weight.compute_class_weight](https://scikit-learn.org/stable/modules/generated/sklearn.utils.class_weight.compute_class_weight.html)
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Iterator

from wce_lint.analysis.apis import FRAMEWORK_NAMES, LOSS_TRIGGERS
from wce_lint.rule import Finding, Rule, TraceStep
from wce_lint.rules._common import describe_elements

if TYPE_CHECKING:
    import libcst as cst

    from wce_lint.analysis.module import ModuleContext, StatementInfo
    from wce_lint.analysis.weights import Evidence


def _class_length_vector(module: "ModuleContext", value: "cst.BaseExpression", at: "StatementInfo",
                         classes: int | None, batch: int | None, classes_node: "cst.CSTNode | None",
                         ) -> "Evidence | None":
    """A literal vector as long as the class axis (and, if the batch size is known, not as long as it)."""
    from wce_lint.analysis.weights import Evidence, literal_vector

    if classes is None or classes < 2 or batch == classes:
        return None
    vector = literal_vector(module, value, at)
    if vector is None or vector.shape != (classes,):
        return None
    trace: tuple[TraceStep, ...] = ()
    if vector.node is not None and vector.node is not value:
        trace += (TraceStep("the vector is defined here", vector.node),)
    if classes_node is not None:
        trace += (TraceStep(f"the predictions have {classes} classes here", classes_node),)
    batch_note = f", not the batch size ({batch})" if batch is not None else ""
    description = (f"a vector of {classes} weights {describe_elements(vector.elements or ())} — the number of "
                   f"classes{batch_note}")
    return Evidence(value, description, trace)


def _finding(module: "ModuleContext", argument: "cst.BaseExpression", evidence: "Evidence", slot: str,
             per: str, help_text: str) -> Finding:
    trace = evidence.trace
    if evidence.node is not argument and not any(step.node is evidence.node for step in trace):
        trace += (TraceStep("the per-class weights are built here", evidence.node),)
    return Finding(
        node=argument,
        message=f"{slot} receives {evidence.description}: it takes one weight per {per}, not one per class",
        help=help_text,
        trace=trace,
    )


def _loss_call_findings(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.apis import SIGMOID, SPARSE
    from wce_lint.analysis.calls import loss_calls
    from wce_lint.analysis.weights import per_class_weights, prediction_dims

    for loss in loss_calls(module):
        api = loss.api
        if api.sample_weight is None or loss.call is None or loss.arguments is None or loss.statement is None:
            continue
        argument = loss.arguments.get(api.sample_weight)
        if argument is None:
            continue
        evidence = per_class_weights(module, argument.value, loss.statement)
        if evidence is None:
            dims = prediction_dims(module, loss.arguments.value(api.logits), loss.arguments.value(api.labels),
                                   api.family == SPARSE, loss.statement)
            evidence = _class_length_vector(module, argument.value, loss.statement, dims.classes, dims.batch,
                                            dims.classes_node)
        if evidence is None:
            continue
        slot = f"`{api.sample_weight}` of `{module.code(loss.call.func)}`"
        if api.framework == "keras":
            help_text = ("gather the weights per example (`tf.gather(class_weights, y_true)`) or pass them to "
                         "`model.fit(class_weight={class: weight})`")
        elif api.family == SIGMOID:
            # sigmoid losses keep the class axis, so a [1, C] weight broadcasts over the batch
            help_text = ("shape per-class weights `[1, num_classes]` (`tf.reshape(class_weights, [1, -1])`) so they "
                         "broadcast over the batch, or use `tf.nn.weighted_cross_entropy_with_logits(pos_weight=…)`")
        else:
            help_text = "gather the weights per example: `weights=tf.gather(class_weights, labels)`"
        yield _finding(module, argument.value, evidence, slot, "example", help_text)


def check(module: "ModuleContext") -> Iterator[Finding]:
    yield from _loss_call_findings(module)
    yield from _fit_findings(module)


def _fit_findings(module: "ModuleContext") -> Iterator[Finding]:
    from wce_lint.analysis.evaluator import value_of
    from wce_lint.analysis.weights import KERAS, imports_keras, per_class_weights, training_calls

    for training in training_calls(module):
        model = training.model
        if model is not None and model.framework != KERAS:
            continue  # scikit-learn, a trainer class of the module …: not Keras' fit
        keras_model = model is not None
        call_text = f"`{module.code(training.call.func)}(sample_weight=…)`"
        sample_weight = training.arguments.value("sample_weight")
        if sample_weight is not None:
            evidence = per_class_weights(module, sample_weight, training.statement)
            if evidence is None and keras_model:
                batch = None
                for data in (training.arguments.value("x"), training.arguments.value("y")):
                    shape = getattr(value_of(module, data, training.statement).static, "shape", None)
                    if shape and batch is None:
                        batch = shape[0]
                evidence = _class_length_vector(module, sample_weight, training.statement, model.units, batch,
                                                model.units_node)
            if evidence is not None:
                advice = "`class_weight=` directly" if evidence.is_dict else "`class_weight=dict(enumerate(weights))`"
                yield _finding(module, sample_weight, evidence, call_text, "training example",
                               f"per-class weights go to `{module.code(training.call.func)}(…, class_weight=…)`: "
                               f"pass them as {advice}")
        class_weight = training.arguments.value("class_weight")
        if class_weight is None:
            continue
        evidence = per_class_weights(module, class_weight, training.statement)
        description = None
        if evidence is not None and not evidence.is_dict:
            description = evidence.description
        elif evidence is None and (keras_model or imports_keras(module)):
            vector = value_of(module, class_weight, training.statement).static
            if vector is not None and vector.rank == 1 and vector.shape and vector.shape[0]:
                shown = describe_elements(vector.elements) if vector.elements is not None else ""
                description = f"a list or array of {vector.shape[0]} weights {shown}".rstrip()
        if description is None:
            continue
        trace = evidence.trace if evidence is not None else ()
        yield Finding(
            node=class_weight,
            message=(f"`{module.code(training.call.func)}(class_weight=…)` receives {description}: Keras wants a "
                     "dict {class index: weight}"),
            help="pass `class_weight=dict(enumerate(weights))`",
            trace=trace,
        )


RULE = Rule(
    code="WCE201",
    name="class-weights-as-sample-weights",
    summary="a per-class weight vector reaches a per-example slot (`sample_weight`, `weights`), or "
            "`model.fit(class_weight=…)` gets a list instead of a dict",
    doc=__doc__ or "",
    check=check,
    triggers=(*LOSS_TRIGGERS, b"sample_weight", b"class_weight"),
    requires=FRAMEWORK_NAMES,
)
