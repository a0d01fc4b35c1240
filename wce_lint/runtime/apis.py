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

    def expects_logits(self, from_logits: bool) -> bool:
        return from_logits if self.keras else True


def _keras(name: str, family: Family, focal: bool = False) -> LossSpec:
    return LossSpec(name, family, keras=True, casts_labels=True, focal=focal,
                    labels_argument="y_true", logits_argument="y_pred")


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
