"""The loss-API table: qualified names, signatures, and which parameter holds logits, labels, weights.

Data, not code paths: rules ask "what is bound to the logits slot?" and never count positions. Signatures
were read from the libraries themselves (TensorFlow 2.21 / Keras 3 via ``inspect.signature``, PyTorch and
optax from their documentation). ``tensorflow.compat.v1`` keeps its own signatures (``targets=``,
``dim=``).
"""

from __future__ import annotations

from dataclasses import dataclass

# What the prediction slot expects.
LOGITS = "logits"
PROBABILITIES = "probabilities"
FROM_LOGITS = "from_logits"  # Keras: logits iff from_logits=True

# Loss families, by how they read labels.
SIGMOID = "sigmoid"  # independent binary problems: labels same shape as logits, in [0, 1]
SOFTMAX = "softmax"  # one distribution per row: labels same shape as logits
SPARSE = "sparse"  # integer class ids: labels rank = logits rank - 1


@dataclass(frozen=True)
class Signature:
    positional: tuple[str, ...]  # parameters that may be passed by position, in order
    keyword_only: tuple[str, ...] = ()
    required: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.positional) | frozenset(self.keyword_only)


@dataclass(frozen=True)
class LossAPI:
    names: tuple[str, ...]  # canonical qualified names (see names.canonical)
    display: str  # how messages name it
    framework: str  # tensorflow | keras | torch | optax | torchvision
    family: str
    expects: str
    logits: str  # parameter of the predictions (at call time for loss objects)
    labels: str
    signature: Signature  # the function, or the loss object's constructor
    call_signature: Signature | None = None  # the loss object's __call__/forward, for classes
    pos_weight: str | None = None
    sample_weight: str | None = None  # a per-example weight parameter
    class_weight: str | None = None  # a per-class weight parameter (torch CrossEntropyLoss(weight=))
    element_weight: str | None = None  # torch BCE weight: rescales each element / batch element
    casts_labels: bool = False  # Keras and tf.compat.v1.losses cast labels to the logits' dtype
    focal: bool = False
    compile_strings: tuple[str, ...] = ()  # Keras names accepted by compile(loss=...)

    @property
    def is_class(self) -> bool:
        return self.call_signature is not None

    @property
    def call_parameters(self) -> Signature:
        return self.call_signature or self.signature


_KERAS_CALL = Signature(("y_true", "y_pred", "sample_weight"), required=("y_true", "y_pred"))
_TORCH_CALL = Signature(("input", "target"), required=("input", "target"))


def _keras(class_name: str, function_name: str, family: str, ctor: tuple[str, ...], fn_extra: tuple[str, ...],
           focal: bool = False) -> tuple[LossAPI, LossAPI]:
    common = dict(framework="keras", family=family, expects=FROM_LOGITS, logits="y_pred", labels="y_true",
                  casts_labels=True, focal=focal, compile_strings=(function_name,))
    return (
        LossAPI(names=(f"keras.losses.{class_name}", f"tensorflow.losses.{class_name}"), display=f"keras.losses.{class_name}",
                signature=Signature(ctor), call_signature=_KERAS_CALL, sample_weight="sample_weight",
                **common),  # type: ignore[arg-type]
        LossAPI(names=(f"keras.losses.{function_name}", f"keras.metrics.{function_name}",
                       f"keras.backend.{function_name}", f"tensorflow.losses.{function_name}"),
                display=f"keras.losses.{function_name}",
                signature=Signature(("y_true", "y_pred", *fn_extra), required=("y_true", "y_pred")),
                **common),  # type: ignore[arg-type]
    )


_REDUCTION = ("reduction", "name", "dtype")

LOSS_APIS: tuple[LossAPI, ...] = (
    # -- TensorFlow 2.x --------------------------------------------------------------------------
    LossAPI(
        names=("tensorflow.nn.weighted_cross_entropy_with_logits",),
        display="tf.nn.weighted_cross_entropy_with_logits",
        framework="tensorflow", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "pos_weight", "name"), required=("labels", "logits", "pos_weight")),
        pos_weight="pos_weight",
    ),
    LossAPI(
        names=("tensorflow.compat.v1.nn.weighted_cross_entropy_with_logits",),
        display="tf.compat.v1.nn.weighted_cross_entropy_with_logits",
        framework="tensorflow", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        # TF1 called the labels `targets`; compat.v1 accepts both spellings.
        signature=Signature(("labels", "logits", "pos_weight", "name", "targets"), required=("logits", "pos_weight")),
        pos_weight="pos_weight",
    ),
    LossAPI(
        names=("tensorflow.nn.sigmoid_cross_entropy_with_logits",),
        display="tf.nn.sigmoid_cross_entropy_with_logits",
        framework="tensorflow", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "name"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.compat.v1.nn.sigmoid_cross_entropy_with_logits",),
        display="tf.compat.v1.nn.sigmoid_cross_entropy_with_logits",
        framework="tensorflow", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "name"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.nn.softmax_cross_entropy_with_logits",),
        display="tf.nn.softmax_cross_entropy_with_logits",
        framework="tensorflow", family=SOFTMAX, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "axis", "name"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.compat.v1.nn.softmax_cross_entropy_with_logits",),
        display="tf.compat.v1.nn.softmax_cross_entropy_with_logits",
        framework="tensorflow", family=SOFTMAX, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "dim", "name", "axis"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.compat.v1.nn.softmax_cross_entropy_with_logits_v2",),
        display="tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2",
        framework="tensorflow", family=SOFTMAX, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "axis", "name", "dim"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.nn.sparse_softmax_cross_entropy_with_logits",),
        display="tf.nn.sparse_softmax_cross_entropy_with_logits",
        framework="tensorflow", family=SPARSE, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "name"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.compat.v1.nn.sparse_softmax_cross_entropy_with_logits",),
        display="tf.compat.v1.nn.sparse_softmax_cross_entropy_with_logits",
        framework="tensorflow", family=SPARSE, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "name"), required=("labels", "logits")),
    ),
    LossAPI(
        names=("tensorflow.compat.v1.losses.sigmoid_cross_entropy", "tensorflow.losses.sigmoid_cross_entropy"),
        display="tf.compat.v1.losses.sigmoid_cross_entropy",
        framework="tensorflow", family=SIGMOID, expects=LOGITS, logits="logits", labels="multi_class_labels",
        signature=Signature(("multi_class_labels", "logits", "weights", "label_smoothing", "scope",
                             "loss_collection", "reduction"), required=("multi_class_labels", "logits")),
        sample_weight="weights", casts_labels=True,
    ),
    LossAPI(
        names=("tensorflow.compat.v1.losses.softmax_cross_entropy", "tensorflow.losses.softmax_cross_entropy"),
        display="tf.compat.v1.losses.softmax_cross_entropy",
        framework="tensorflow", family=SOFTMAX, expects=LOGITS, logits="logits", labels="onehot_labels",
        signature=Signature(("onehot_labels", "logits", "weights", "label_smoothing", "scope",
                             "loss_collection", "reduction"), required=("onehot_labels", "logits")),
        sample_weight="weights", casts_labels=True,
    ),
    LossAPI(
        names=("tensorflow.compat.v1.losses.sparse_softmax_cross_entropy",
               "tensorflow.losses.sparse_softmax_cross_entropy"),
        display="tf.compat.v1.losses.sparse_softmax_cross_entropy",
        framework="tensorflow", family=SPARSE, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("labels", "logits", "weights", "scope", "loss_collection", "reduction"),
                            required=("labels", "logits")),
        sample_weight="weights", casts_labels=True,
    ),
    # -- Keras (tf.keras and Keras 3 share canonical names) ------------------------------------
    *_keras("BinaryCrossentropy", "binary_crossentropy", SIGMOID,
            ("from_logits", "label_smoothing", "axis", *_REDUCTION), ("from_logits", "label_smoothing", "axis")),
    *_keras("CategoricalCrossentropy", "categorical_crossentropy", SOFTMAX,
            ("from_logits", "label_smoothing", "axis", *_REDUCTION), ("from_logits", "label_smoothing", "axis")),
    *_keras("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", SPARSE,
            ("from_logits", "ignore_class", "reduction", "axis", "name", "dtype"),
            ("from_logits", "ignore_class", "axis")),
    *_keras("BinaryFocalCrossentropy", "binary_focal_crossentropy", SIGMOID,
            ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis", *_REDUCTION),
            ("apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis"), focal=True),
    *_keras("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", SOFTMAX,
            ("alpha", "gamma", "from_logits", "label_smoothing", "axis", *_REDUCTION),
            ("alpha", "gamma", "from_logits", "label_smoothing", "axis"), focal=True),
    # -- PyTorch (predictions first) -----------------------------------------------------------
    LossAPI(
        names=("torch.nn.BCEWithLogitsLoss",), display="nn.BCEWithLogitsLoss",
        framework="torch", family=SIGMOID, expects=LOGITS, logits="input", labels="target",
        signature=Signature(("weight", "size_average", "reduce", "reduction", "pos_weight")),
        call_signature=_TORCH_CALL, pos_weight="pos_weight", element_weight="weight",
    ),
    LossAPI(
        names=("torch.nn.functional.binary_cross_entropy_with_logits",),
        display="F.binary_cross_entropy_with_logits",
        framework="torch", family=SIGMOID, expects=LOGITS, logits="input", labels="target",
        signature=Signature(("input", "target", "weight", "size_average", "reduce", "reduction", "pos_weight"),
                            required=("input", "target")),
        pos_weight="pos_weight", element_weight="weight",
    ),
    LossAPI(
        names=("torch.nn.BCELoss",), display="nn.BCELoss",
        framework="torch", family=SIGMOID, expects=PROBABILITIES, logits="input", labels="target",
        signature=Signature(("weight", "size_average", "reduce", "reduction")),
        call_signature=_TORCH_CALL, element_weight="weight",
    ),
    LossAPI(
        names=("torch.nn.functional.binary_cross_entropy",), display="F.binary_cross_entropy",
        framework="torch", family=SIGMOID, expects=PROBABILITIES, logits="input", labels="target",
        signature=Signature(("input", "target", "weight", "size_average", "reduce", "reduction"),
                            required=("input", "target")),
        element_weight="weight",
    ),
    LossAPI(
        names=("torch.nn.CrossEntropyLoss",), display="nn.CrossEntropyLoss",
        # torch accepts class indices or class probabilities as target: the family is decided by the labels.
        framework="torch", family=SOFTMAX, expects=LOGITS, logits="input", labels="target",
        signature=Signature(("weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing")),
        call_signature=_TORCH_CALL, class_weight="weight",
    ),
    LossAPI(
        names=("torch.nn.functional.cross_entropy",), display="F.cross_entropy",
        framework="torch", family=SOFTMAX, expects=LOGITS, logits="input", labels="target",
        signature=Signature(("input", "target", "weight", "size_average", "ignore_index", "reduce", "reduction",
                             "label_smoothing"), required=("input", "target")),
        class_weight="weight",
    ),
    # -- optax (logits first) ------------------------------------------------------------------
    LossAPI(
        names=("optax.sigmoid_binary_cross_entropy",), display="optax.sigmoid_binary_cross_entropy",
        framework="optax", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("logits", "labels"), required=("logits", "labels")),
    ),
    LossAPI(
        names=("optax.softmax_cross_entropy",), display="optax.softmax_cross_entropy",
        framework="optax", family=SOFTMAX, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("logits", "labels", "axis", "where"), required=("logits", "labels")),
    ),
    LossAPI(
        names=("optax.softmax_cross_entropy_with_integer_labels",),
        display="optax.softmax_cross_entropy_with_integer_labels",
        framework="optax", family=SPARSE, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("logits", "labels", "axis", "where"), required=("logits", "labels")),
    ),
    LossAPI(
        names=("optax.sigmoid_focal_loss",), display="optax.sigmoid_focal_loss",
        framework="optax", family=SIGMOID, expects=LOGITS, logits="logits", labels="labels",
        signature=Signature(("logits", "labels", "alpha", "gamma"), required=("logits", "labels")),
        focal=True,
    ),
    LossAPI(
        names=("torchvision.ops.sigmoid_focal_loss", "torchvision.ops.focal_loss.sigmoid_focal_loss"),
        display="torchvision.ops.sigmoid_focal_loss",
        framework="torchvision", family=SIGMOID, expects=LOGITS, logits="inputs", labels="targets",
        signature=Signature(("inputs", "targets", "alpha", "gamma", "reduction"), required=("inputs", "targets")),
        focal=True,
    ),
)

# Keywords an API does not take but users write, with what was meant. TF1 spellings renamed in TF2 first.
RENAMED_IN_TF2: dict[str, str] = {"targets": "labels", "dim": "axis"}
KEYWORD_ADVICE: dict[str, str] = {
    "weights": "per-example weights multiply the loss it returns; per-class positive weights go to `pos_weight`",
    "class_weights": "per-class positive weights go to `pos_weight`; per-class weights to `model.fit(class_weight=…)`",
    "class_weight": "per-class weights go to `model.fit(class_weight=…)` or torch `CrossEntropyLoss(weight=…)`",
    "sample_weight": "multiply the returned per-example loss by the weights instead",
    "pos_weight": "use `tf.nn.weighted_cross_entropy_with_logits` or torch `BCEWithLogitsLoss(pos_weight=…)` on logits",
    "from_logits": "`tf.nn` ops and PyTorch losses always take logits (or always probabilities): drop it",
}

API_BY_NAME: dict[str, LossAPI] = {name: api for api in LOSS_APIS for name in api.names}
API_BY_COMPILE_STRING: dict[str, LossAPI] = {
    string: api for api in LOSS_APIS if not api.is_class for string in api.compile_strings
}

# Words whose presence in a file's bytes means a loss call may be there (the engine's pre-check).
# Every loss API name holds one of them (cross_entropy, Crossentropy, CrossEntropyLoss, BCELoss, focal);
# "entropy" alone would also let through every file about random numbers.
LOSS_TRIGGERS: tuple[bytes, ...] = (b"ross_entropy", b"rossentropy", b"rossEntropy", b"BCELoss", b"BCEWith", b"focal")


def loss_api(qualified_names: frozenset[str]) -> LossAPI | None:
    """The API any of ``qualified_names`` designates (all spellings of one API share one entry)."""
    for name in qualified_names:
        api = API_BY_NAME.get(name)
        if api is not None:
            return api
    return None

# Every rule needs a tensor library imported by the file: a loss API is only recognised through an import
# of its framework, and hand-written losses are written with one. So a file is parsed only when a line
# imports one of these (rule.requires), which also keeps out ordinary files that merely say "beta", "gamma",
# "sigmoid" or "focal" ("Focal Fossa") or mention numpy in a comment.
FRAMEWORK_NAMES: tuple[bytes, ...] = (b"numpy", b"torch", b"tensorflow", b"keras", b"tf_keras", b"jax", b"optax",
                                      b"scipy", b"flax", b"mlx", b"paddle", b"mxnet")
