"""The loss APIs the runtime checker knows, and what each one expects (RULES.md, "The APIs the rules know").

Only facts that decide a check live here: which family the loss belongs to (sigmoid: labels shaped like
logits; softmax: a distribution over the last axis; sparse: integer class ids, rank = logits rank - 1),
whether it casts labels itself, whether ``from_logits`` decides what ``y_pred`` holds, and its own
parameter names, so that findings name the argument as the user wrote it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Family = Literal["sigmoid", "softmax", "sparse"]


@dataclass(frozen=True)
class LossSpec:
    name: str
    family: Family
    # Keras losses take ``from_logits`` (default False: y_pred holds probabilities).
    keras: bool = False
    # Keras losses cast y_true to y_pred's dtype (and to int for the sparse one): integer labels are fine
    # there, while the tf.nn ops raise InvalidArgumentError on them (RULES.md, facts).
    casts_labels: bool = False
    takes_pos_weight: bool = False
    focal: bool = False
    labels_argument: str = "labels"
    logits_argument: str = "logits"
    # Sparse losses that squeeze a trailing size-1 axis of the class ids ([N, 1] is fine): Keras's and
    # tf.compat.v1.losses.sparse_softmax_cross_entropy (_remove_squeezable_dimensions).
    squeezes_sparse_labels: bool = False
    # torch nll_loss / kl_div read log-probabilities (WCE104); their class axis is 1 (torch's layout).
    log_probabilities: bool = False
    class_axis: int = -1
    # Per-example weights under another name: tf.compat.v1.losses.*(weights=…).
    weights_argument: str = "sample_weight"

    def expects_logits(self, from_logits: bool) -> bool:
        if self.log_probabilities:
            return False
        return from_logits if self.keras else True

    def classes_axis(self, rank: int) -> int:
        """The class axis of predictions of this rank, as a non-negative index."""
        if self.class_axis >= 0:
            return min(self.class_axis, rank - 1)
        return rank + self.class_axis


def _keras(name: str, family: Family, focal: bool = False) -> LossSpec:
    return LossSpec(name, family, keras=True, casts_labels=True, focal=focal,
                    labels_argument="y_true", logits_argument="y_pred", squeezes_sparse_labels=True)


LOSSES: dict[str, LossSpec] = {
    spec.name: spec
    for spec in (
        LossSpec("weighted_cross_entropy_with_logits", "sigmoid", takes_pos_weight=True),
        LossSpec("sigmoid_cross_entropy_with_logits", "sigmoid"),
        LossSpec("softmax_cross_entropy_with_logits", "softmax"),
        LossSpec("sparse_softmax_cross_entropy_with_logits", "sparse"),
        _keras("binary_crossentropy", "sigmoid"),
        _keras("categorical_crossentropy", "softmax"),
        _keras("sparse_categorical_crossentropy", "sparse"),
        _keras("binary_focal_crossentropy", "sigmoid", focal=True),
        _keras("categorical_focal_crossentropy", "softmax", focal=True),
        # tf.compat.v1.losses: the dense two cast labels to the logits' dtype; the sparse one does not (its
        # tf.nn op raises on float ids) but squeezes [N, 1] ids. ``weights`` are per-example.
        LossSpec("sigmoid_cross_entropy", "sigmoid", casts_labels=True, labels_argument="multi_class_labels",
                 weights_argument="weights"),
        LossSpec("softmax_cross_entropy", "softmax", casts_labels=True, labels_argument="onehot_labels",
                 weights_argument="weights"),
        LossSpec("sparse_softmax_cross_entropy", "sparse", squeezes_sparse_labels=True, weights_argument="weights"),
        # PyTorch's log-probability losses, for arrays from any framework (validate only: the guard wraps
        # TensorFlow and Keras). Called like every loss here, labels first: validate(target, input, …).
        LossSpec("nll_loss", "sparse", casts_labels=True, log_probabilities=True, class_axis=1,
                 labels_argument="target", logits_argument="input"),
        LossSpec("kl_div", "sigmoid", casts_labels=True, log_probabilities=True, labels_argument="target",
                 logits_argument="input"),
    )
}

# Other spellings users write: the TF1 name of the softmax op and the Keras Loss class names.
ALIASES: dict[str, str] = {
    "softmax_cross_entropy_with_logits_v2": "softmax_cross_entropy_with_logits",
    "BinaryCrossentropy": "binary_crossentropy",
    "CategoricalCrossentropy": "categorical_crossentropy",
    "SparseCategoricalCrossentropy": "sparse_categorical_crossentropy",
    "BinaryFocalCrossentropy": "binary_focal_crossentropy",
    "CategoricalFocalCrossentropy": "categorical_focal_crossentropy",
    "NLLLoss": "nll_loss",
    "KLDivLoss": "kl_div",
}


def resolve_loss(loss: str) -> LossSpec:
    """``"tf.nn.weighted_cross_entropy_with_logits"``, ``"BinaryCrossentropy"`` … → its ``LossSpec``."""
    short = loss.rsplit(".", 1)[-1]
    short = ALIASES.get(short, short)
    try:
        return LOSSES[short]
    except KeyError:
        known = ", ".join(sorted(LOSSES))
        raise ValueError(f"unknown loss {loss!r}; wce_lint.runtime knows: {known}") from None
