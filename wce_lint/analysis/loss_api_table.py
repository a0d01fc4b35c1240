"""The built-in loss-API table, as data: one entry per API, in exactly the format users write under
``[tool.wce-lint.loss-apis."qualified.name"]`` (keys in kebab-case; see ``apis.api_from_entry`` for the
meaning of each key). ``apis`` validates these entries with the same code that validates the user's.

Each entry says where its signature was read (``source``). "inspect" means ``inspect.signature`` on the
installed library: TensorFlow 2.21.0 / Keras 3.15.1 and PyTorch 2.13.0 (CPU). Libraries that could not be
installed here were read from their published source through the code search, at the commit named.

Signature lists use Python's markers: ``"*"`` starts keyword-only parameters, ``"**kwargs"`` accepts any
keyword (used where a library's signature changed between releases, so that a keyword of another release
is not reported as unknown).
"""

from __future__ import annotations

from typing import Any

_TF = "inspect, TensorFlow 2.21.0"
_KERAS = "inspect, Keras 3.15.1"
_TORCH = "inspect, PyTorch 2.13.0"
_KERAS_CALL = ["y_true", "y_pred", "sample_weight"]
_TORCH_CALL = ["input", "target"]

ENTRIES: dict[str, dict[str, Any]] = {}


def _add(name: str, **entry: Any) -> None:
    ENTRIES[name] = {key.replace("_", "-"): value for key, value in entry.items()}


# -- TensorFlow 2.x tf.nn (labels first); `tf1` names the signature the same name had in TF 1.x -------------
_add("tensorflow.nn.weighted_cross_entropy_with_logits", display="tf.nn.weighted_cross_entropy_with_logits",
     framework="tensorflow", family="sigmoid", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "pos_weight", "name"], required=["labels", "logits", "pos_weight"],
     pos_weight="pos_weight", tf1="tensorflow.compat.v1.nn.weighted_cross_entropy_with_logits", source=_TF)
_add("tensorflow.compat.v1.nn.weighted_cross_entropy_with_logits",
     display="tf.compat.v1.nn.weighted_cross_entropy_with_logits",
     framework="tensorflow", family="sigmoid", expects="logits", prediction="logits", labels="labels",
     # TF1 called the labels `targets`; compat.v1 accepts both spellings.
     signature=["labels", "logits", "pos_weight", "name", "targets"], required=["logits", "pos_weight"],
     pos_weight="pos_weight", source=_TF)
_add("tensorflow.nn.sigmoid_cross_entropy_with_logits", display="tf.nn.sigmoid_cross_entropy_with_logits",
     framework="tensorflow", family="sigmoid", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "name"], required=["labels", "logits"],
     tf1="tensorflow.compat.v1.nn.sigmoid_cross_entropy_with_logits", source=_TF)
_add("tensorflow.compat.v1.nn.sigmoid_cross_entropy_with_logits",
     display="tf.compat.v1.nn.sigmoid_cross_entropy_with_logits",
     framework="tensorflow", family="sigmoid", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "name"], required=["labels", "logits"], source=_TF)
_add("tensorflow.nn.softmax_cross_entropy_with_logits", display="tf.nn.softmax_cross_entropy_with_logits",
     framework="tensorflow", family="softmax", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "axis", "name"], required=["labels", "logits"],
     tf1="tensorflow.compat.v1.nn.softmax_cross_entropy_with_logits", source=_TF)
_add("tensorflow.compat.v1.nn.softmax_cross_entropy_with_logits",
     display="tf.compat.v1.nn.softmax_cross_entropy_with_logits",
     framework="tensorflow", family="softmax", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "dim", "name", "axis"], required=["labels", "logits"], source=_TF)
_add("tensorflow.compat.v1.nn.softmax_cross_entropy_with_logits_v2",
     aliases=["tensorflow.nn.softmax_cross_entropy_with_logits_v2"],
     display="tf.compat.v1.nn.softmax_cross_entropy_with_logits_v2",
     framework="tensorflow", family="softmax", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "axis", "name", "dim"], required=["labels", "logits"], source=_TF)
_add("tensorflow.nn.sparse_softmax_cross_entropy_with_logits",
     display="tf.nn.sparse_softmax_cross_entropy_with_logits",
     framework="tensorflow", family="sparse", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "name"], required=["labels", "logits"],
     tf1="tensorflow.compat.v1.nn.sparse_softmax_cross_entropy_with_logits", source=_TF)
_add("tensorflow.compat.v1.nn.sparse_softmax_cross_entropy_with_logits",
     display="tf.compat.v1.nn.sparse_softmax_cross_entropy_with_logits",
     framework="tensorflow", family="sparse", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "name"], required=["labels", "logits"], source=_TF)
# -- tf.compat.v1.losses (TF1's tf.losses): per-example `weights`, labels cast to the logits' dtype --------
_add("tensorflow.compat.v1.losses.sigmoid_cross_entropy", aliases=["tensorflow.losses.sigmoid_cross_entropy"],
     display="tf.compat.v1.losses.sigmoid_cross_entropy",
     framework="tensorflow", family="sigmoid", expects="logits", prediction="logits", labels="multi_class_labels",
     signature=["multi_class_labels", "logits", "weights", "label_smoothing", "scope", "loss_collection",
                "reduction"], required=["multi_class_labels", "logits"],
     sample_weight="weights", casts_labels=True, source=_TF)
_add("tensorflow.compat.v1.losses.softmax_cross_entropy", aliases=["tensorflow.losses.softmax_cross_entropy"],
     display="tf.compat.v1.losses.softmax_cross_entropy",
     framework="tensorflow", family="softmax", expects="logits", prediction="logits", labels="onehot_labels",
     signature=["onehot_labels", "logits", "weights", "label_smoothing", "scope", "loss_collection", "reduction"],
     required=["onehot_labels", "logits"], sample_weight="weights", casts_labels=True, source=_TF)
_add("tensorflow.compat.v1.losses.sparse_softmax_cross_entropy",
     aliases=["tensorflow.losses.sparse_softmax_cross_entropy"],
     display="tf.compat.v1.losses.sparse_softmax_cross_entropy",
     framework="tensorflow", family="sparse", expects="logits", prediction="logits", labels="labels",
     signature=["labels", "logits", "weights", "scope", "loss_collection", "reduction"],
     required=["labels", "logits"], sample_weight="weights", casts_labels=True, source=_TF)

# -- Keras (tf.keras and Keras 3 share canonical names): classes, functions, metrics -----------------------
_REDUCTION = ["reduction", "name", "dtype"]


def _keras(class_name: str, function_name: str, family: str, constructor: list[str], function_extra: list[str],
           metric: list[str] | None, focal: bool = False) -> None:
    common: dict[str, Any] = dict(framework="keras", family=family, expects="from_logits", prediction="y_pred",
                                  labels="y_true", casts_labels=True, source=_KERAS)
    if focal:
        common["focal"] = True
    _add(f"keras.losses.{class_name}", aliases=[f"tensorflow.losses.{class_name}"],
         display=f"keras.losses.{class_name}", signature=constructor, call_signature=_KERAS_CALL,
         call_required=["y_true", "y_pred"], sample_weight="sample_weight", **common)
    _add(f"keras.losses.{function_name}",
         aliases=[f"keras.metrics.{function_name}", f"keras.backend.{function_name}",
                  f"tensorflow.losses.{function_name}"],
         display=f"keras.losses.{function_name}", signature=["y_true", "y_pred", *function_extra],
         required=["y_true", "y_pred"], compile_strings=[function_name], **common)
    if metric is not None:
        # A metric reads its predictions like the loss of the same name: probabilities unless from_logits=True.
        _add(f"keras.metrics.{class_name}", aliases=[f"tensorflow.metrics.{class_name}"],
             display=f"keras.metrics.{class_name}", signature=metric, call_signature=_KERAS_CALL,
             call_required=["y_true", "y_pred"], metric=True, **common)


_keras("BinaryCrossentropy", "binary_crossentropy", "sigmoid",
       ["from_logits", "label_smoothing", "axis", *_REDUCTION], ["from_logits", "label_smoothing", "axis"],
       ["name", "dtype", "from_logits", "label_smoothing"])
_keras("CategoricalCrossentropy", "categorical_crossentropy", "softmax",
       ["from_logits", "label_smoothing", "axis", *_REDUCTION], ["from_logits", "label_smoothing", "axis"],
       ["name", "dtype", "from_logits", "label_smoothing", "axis"])
_keras("SparseCategoricalCrossentropy", "sparse_categorical_crossentropy", "sparse",
       ["from_logits", "ignore_class", "reduction", "axis", "name", "dtype"], ["from_logits", "ignore_class", "axis"],
       ["name", "dtype", "from_logits", "ignore_class", "axis"])
_keras("BinaryFocalCrossentropy", "binary_focal_crossentropy", "sigmoid",
       ["apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis", *_REDUCTION],
       ["apply_class_balancing", "alpha", "gamma", "from_logits", "label_smoothing", "axis"], None, focal=True)
_keras("CategoricalFocalCrossentropy", "categorical_focal_crossentropy", "softmax",
       ["alpha", "gamma", "from_logits", "label_smoothing", "axis", *_REDUCTION],
       ["alpha", "gamma", "from_logits", "label_smoothing", "axis"], None, focal=True)
# KL divergence reads probabilities on both sides (no from_logits); labels are a distribution, not checked.
_add("keras.losses.KLDivergence", aliases=["tensorflow.losses.KLDivergence"], display="keras.losses.KLDivergence",
     framework="keras", family="other", expects="probabilities", prediction="y_pred", labels="y_true",
     signature=_REDUCTION, call_signature=_KERAS_CALL, call_required=["y_true", "y_pred"],
     sample_weight="sample_weight", source=_KERAS)
_add("keras.losses.kl_divergence",
     aliases=["keras.metrics.kl_divergence", "tensorflow.losses.kl_divergence"],
     display="keras.losses.kl_divergence", framework="keras", family="other", expects="probabilities",
     prediction="y_pred", labels="y_true", signature=["y_true", "y_pred"], required=["y_true", "y_pred"],
     compile_strings=["kl_divergence"], source=_KERAS)
_add("keras.metrics.KLDivergence", aliases=["tensorflow.metrics.KLDivergence"],
     display="keras.metrics.KLDivergence", framework="keras", family="other", expects="probabilities",
     prediction="y_pred", labels="y_true", signature=["name", "dtype"], call_signature=_KERAS_CALL,
     call_required=["y_true", "y_pred"], metric=True, source=_KERAS)

# -- PyTorch (predictions first) ---------------------------------------------------------------------------
_add("torch.nn.BCEWithLogitsLoss", display="nn.BCEWithLogitsLoss", framework="torch", family="sigmoid",
     expects="logits", prediction="input", labels="target",
     signature=["weight", "size_average", "reduce", "reduction", "pos_weight"], call_signature=_TORCH_CALL,
     call_required=_TORCH_CALL, pos_weight="pos_weight", element_weight="weight", source=_TORCH)
_add("torch.nn.functional.binary_cross_entropy_with_logits", display="F.binary_cross_entropy_with_logits",
     framework="torch", family="sigmoid", expects="logits", prediction="input", labels="target",
     signature=["input", "target", "weight", "size_average", "reduce", "reduction", "pos_weight"],
     required=_TORCH_CALL, pos_weight="pos_weight", element_weight="weight", source=_TORCH)
_add("torch.nn.BCELoss", display="nn.BCELoss", framework="torch", family="sigmoid", expects="probabilities",
     prediction="input", labels="target", signature=["weight", "size_average", "reduce", "reduction"],
     call_signature=_TORCH_CALL, call_required=_TORCH_CALL, element_weight="weight", source=_TORCH)
_add("torch.nn.functional.binary_cross_entropy", display="F.binary_cross_entropy", framework="torch",
     family="sigmoid", expects="probabilities", prediction="input", labels="target",
     signature=["input", "target", "weight", "size_average", "reduce", "reduction"], required=_TORCH_CALL,
     element_weight="weight", source=_TORCH)
# torch accepts class indices or class probabilities as target: the family is decided by the labels.
_add("torch.nn.CrossEntropyLoss", display="nn.CrossEntropyLoss", framework="torch", family="softmax",
     expects="logits", prediction="input", labels="target",
     signature=["weight", "size_average", "ignore_index", "reduce", "reduction", "label_smoothing"],
     call_signature=_TORCH_CALL, call_required=_TORCH_CALL, class_weight="weight", source=_TORCH)
_add("torch.nn.functional.cross_entropy", display="F.cross_entropy", framework="torch", family="softmax",
     expects="logits", prediction="input", labels="target",
     signature=["input", "target", "weight", "size_average", "ignore_index", "reduce", "reduction",
                "label_smoothing"], required=_TORCH_CALL, class_weight="weight", source=_TORCH)
# CrossEntropyLoss = LogSoftmax + NLLLoss: NLLLoss reads log-probabilities and class indices.
_add("torch.nn.NLLLoss", display="nn.NLLLoss", framework="torch", family="sparse", expects="log-probabilities",
     prediction="input", labels="target",
     signature=["weight", "size_average", "ignore_index", "reduce", "reduction"], call_signature=_TORCH_CALL,
     call_required=_TORCH_CALL, class_weight="weight", source=_TORCH)
_add("torch.nn.functional.nll_loss", display="F.nll_loss", framework="torch", family="sparse",
     expects="log-probabilities", prediction="input", labels="target",
     signature=["input", "target", "weight", "size_average", "ignore_index", "reduce", "reduction"],
     required=_TORCH_CALL, class_weight="weight", source=_TORCH)
# KLDivLoss: input is log-probabilities; target is probabilities unless log_target=True.
_add("torch.nn.KLDivLoss", display="nn.KLDivLoss", framework="torch", family="other", expects="log-probabilities",
     prediction="input", labels="target", signature=["size_average", "reduce", "reduction", "log_target"],
     call_signature=_TORCH_CALL, call_required=_TORCH_CALL, log_target="log_target", source=_TORCH)
_add("torch.nn.functional.kl_div", display="F.kl_div", framework="torch", family="other",
     expects="log-probabilities", prediction="input", labels="target",
     signature=["input", "target", "size_average", "reduce", "reduction", "log_target"], required=_TORCH_CALL,
     log_target="log_target", source=_TORCH)
_add("torch.nn.MultiLabelSoftMarginLoss", display="nn.MultiLabelSoftMarginLoss", framework="torch",
     family="sigmoid", expects="logits", prediction="input", labels="target",
     signature=["weight", "size_average", "reduce", "reduction"], call_signature=_TORCH_CALL,
     call_required=_TORCH_CALL, source=_TORCH)
_add("torch.nn.functional.multilabel_soft_margin_loss", display="F.multilabel_soft_margin_loss",
     framework="torch", family="sigmoid", expects="logits", prediction="input", labels="target",
     signature=["input", "target", "weight", "size_average", "reduce", "reduction"], required=_TORCH_CALL,
     source=_TORCH)

# -- optax (logits first) -- not installable here: optax/_src/loss.py, google-deepmind/optax main -------------
_OPTAX = "published source, optax main (google-deepmind/optax optax/losses/_classification.py)"
_add("optax.sigmoid_binary_cross_entropy", aliases=["optax.losses.sigmoid_binary_cross_entropy"],
     display="optax.sigmoid_binary_cross_entropy", framework="optax", family="sigmoid", expects="logits",
     prediction="logits", labels="labels", signature=["logits", "labels"], required=["logits", "labels"],
     source=_OPTAX)
_add("optax.softmax_cross_entropy", aliases=["optax.losses.softmax_cross_entropy"],
     display="optax.softmax_cross_entropy", framework="optax", family="softmax", expects="logits",
     prediction="logits", labels="labels", signature=["logits", "labels", "axis", "where"],
     required=["logits", "labels"], source=_OPTAX)
_add("optax.softmax_cross_entropy_with_integer_labels",
     aliases=["optax.losses.softmax_cross_entropy_with_integer_labels"],
     display="optax.softmax_cross_entropy_with_integer_labels", framework="optax", family="sparse",
     expects="logits", prediction="logits", labels="labels", signature=["logits", "labels", "axis", "where"],
     required=["logits", "labels"], source=_OPTAX)
_add("optax.sigmoid_focal_loss", aliases=["optax.losses.sigmoid_focal_loss"], display="optax.sigmoid_focal_loss",
     framework="optax", family="sigmoid", expects="logits", prediction="logits", labels="labels",
     signature=["logits", "labels", "alpha", "gamma"], required=["logits", "labels"], focal=True, source=_OPTAX)
_add("optax.kl_divergence", aliases=["optax.losses.kl_divergence"], display="optax.kl_divergence",
     framework="optax", family="other", expects="log-probabilities", prediction="log_predictions",
     labels="targets", signature=["log_predictions", "targets", "axis", "where"],
     required=["log_predictions", "targets"], targets_are="probabilities",
     source="published source, optax main (optax/losses/_classification.py: kl_divergence(log_predictions, "
            "targets, axis=-1, where=None); targets are probabilities, see kl_divergence_with_log_targets)")

# -- torchvision -- not installable here (it pins its own torch): torchvision/ops/focal_loss.py, main -----
_add("torchvision.ops.sigmoid_focal_loss", aliases=["torchvision.ops.focal_loss.sigmoid_focal_loss"],
     display="torchvision.ops.sigmoid_focal_loss", framework="torchvision", family="sigmoid", expects="logits",
     prediction="inputs", labels="targets", signature=["inputs", "targets", "alpha", "gamma", "reduction"],
     required=["inputs", "targets"], focal=True,
     source="published source, pytorch/vision main torchvision/ops/focal_loss.py")

# -- tensorflow_addons 0.23 (source in the corpus: tensorflow/addons@d208d75 losses/focal_loss.py) ---------
_TFA = "published source, tensorflow/addons@d208d752 tensorflow_addons/losses/focal_loss.py"
_add("tensorflow_addons.losses.SigmoidFocalCrossEntropy",
     aliases=["tensorflow_addons.losses.focal_loss.SigmoidFocalCrossEntropy"],
     display="tfa.losses.SigmoidFocalCrossEntropy", framework="keras", family="sigmoid", expects="from_logits",
     prediction="y_pred", labels="y_true", signature=["from_logits", "alpha", "gamma", "reduction", "name"],
     call_signature=_KERAS_CALL, call_required=["y_true", "y_pred"], sample_weight="sample_weight",
     casts_labels=True, focal=True, source=_TFA)
_add("tensorflow_addons.losses.sigmoid_focal_crossentropy",
     aliases=["tensorflow_addons.losses.focal_loss.sigmoid_focal_crossentropy"],
     display="tfa.losses.sigmoid_focal_crossentropy", framework="keras", family="sigmoid", expects="from_logits",
     prediction="y_pred", labels="y_true", signature=["y_true", "y_pred", "alpha", "gamma", "from_logits"],
     required=["y_true", "y_pred"], casts_labels=True, focal=True, source=_TFA)

# -- kornia (focal losses read logits; the signature changed between releases: `input`→`pred`, `eps` gone,
# `weight`/`pos_weight` added, so any keyword is accepted) -- kornia/kornia main kornia/losses/focal.py -----
_KORNIA = "published source, kornia/kornia main kornia/losses/focal.py (0.7: pred, …; 0.6: input, …, eps)"
_add("kornia.losses.focal_loss", aliases=["kornia.losses.focal.focal_loss"], display="kornia.losses.focal_loss",
     framework="kornia", family="sparse", expects="logits", prediction="pred", labels="target",
     signature=["pred", "target", "alpha", "gamma", "reduction", "weight", "**kwargs"], focal=True, source=_KORNIA)
_add("kornia.losses.FocalLoss", aliases=["kornia.losses.focal.FocalLoss"], display="kornia.losses.FocalLoss",
     framework="kornia", family="sparse", expects="logits", prediction="pred", labels="target",
     signature=["alpha", "gamma", "reduction", "weight", "**kwargs"], call_signature=["pred", "target"],
     focal=True, source=_KORNIA)
_add("kornia.losses.binary_focal_loss_with_logits", aliases=["kornia.losses.focal.binary_focal_loss_with_logits"],
     display="kornia.losses.binary_focal_loss_with_logits", framework="kornia", family="other", expects="logits",
     prediction="pred", labels="target",
     signature=["pred", "target", "alpha", "gamma", "reduction", "pos_weight", "weight", "ignore_index", "**kwargs"],
     focal=True, source=_KORNIA)
_add("kornia.losses.BinaryFocalLossWithLogits", aliases=["kornia.losses.focal.BinaryFocalLossWithLogits"],
     display="kornia.losses.BinaryFocalLossWithLogits", framework="kornia", family="other", expects="logits",
     prediction="pred", labels="target",
     signature=["alpha", "gamma", "reduction", "pos_weight", "weight", "ignore_index", "**kwargs"],
     call_signature=["pred", "target"], focal=True, source=_KORNIA)

# -- segmentation_models_pytorch: from_logits=True by default (forward(y_pred, y_true)) ---------------------
# DiceLoss and FocalLoss were read; JaccardLoss, SoftBCEWithLogitsLoss and SoftCrossEntropyLoss follow the
# published docs and accept any further keyword.
_SMP = "published source, qubvel-org/segmentation_models.pytorch main segmentation_models_pytorch/losses/"
_add("segmentation_models_pytorch.losses.DiceLoss", display="smp.losses.DiceLoss", framework="smp",
     family="other", expects="from_logits", from_logits_default=True, prediction="y_pred", labels="y_true",
     signature=["mode", "classes", "log_loss", "from_logits", "smooth", "ignore_index", "eps"],
     call_signature=["y_pred", "y_true"], source=_SMP + "dice.py")
_add("segmentation_models_pytorch.losses.JaccardLoss", display="smp.losses.JaccardLoss", framework="smp",
     family="other", expects="from_logits", from_logits_default=True, prediction="y_pred", labels="y_true",
     signature=["mode", "classes", "log_loss", "from_logits", "smooth", "eps", "**kwargs"],
     call_signature=["y_pred", "y_true"], source=_SMP + "jaccard.py")
_add("segmentation_models_pytorch.losses.FocalLoss", display="smp.losses.FocalLoss", framework="smp",
     family="other", expects="from_logits", from_logits_default=True, prediction="y_pred", labels="y_true",
     signature=["mode", "alpha", "gamma", "ignore_index", "from_logits", "eps", "reduction", "normalized",
                "reduced_threshold", "**kwargs"], call_signature=["y_pred", "y_true"], focal=True,
     source=_SMP + "focal.py (from_logits added in 0.4; older releases read logits always)")
_add("segmentation_models_pytorch.losses.SoftBCEWithLogitsLoss", display="smp.losses.SoftBCEWithLogitsLoss",
     framework="smp", family="sigmoid", expects="logits", prediction="y_pred", labels="y_true",
     signature=["weight", "ignore_index", "reduction", "smooth_factor", "pos_weight", "**kwargs"],
     call_signature=["y_pred", "y_true"], pos_weight="pos_weight", source=_SMP + "soft_bce.py")
_add("segmentation_models_pytorch.losses.SoftCrossEntropyLoss", display="smp.losses.SoftCrossEntropyLoss",
     framework="smp", family="other", expects="logits", prediction="y_pred", labels="y_true",
     signature=["reduction", "smooth_factor", "ignore_index", "dim", "**kwargs"], call_signature=["y_pred", "y_true"],
     source=_SMP + "soft_ce.py")

# -- timm.loss: log_softmax inside, so logits -- huggingface/pytorch-image-models main timm/loss/ -----------
_TIMM = "published source, huggingface/pytorch-image-models main timm/loss/"
_add("timm.loss.LabelSmoothingCrossEntropy", aliases=["timm.loss.cross_entropy.LabelSmoothingCrossEntropy"],
     display="timm.loss.LabelSmoothingCrossEntropy", framework="timm", family="sparse", expects="logits",
     prediction="x", labels="target", signature=["smoothing"], call_signature=["x", "target"],
     call_required=["x", "target"], source=_TIMM + "cross_entropy.py")
_add("timm.loss.SoftTargetCrossEntropy", aliases=["timm.loss.cross_entropy.SoftTargetCrossEntropy"],
     display="timm.loss.SoftTargetCrossEntropy", framework="timm", family="softmax", expects="logits",
     prediction="x", labels="target", signature=[], call_signature=["x", "target"],
     call_required=["x", "target"], source=_TIMM + "cross_entropy.py")
_add("timm.loss.BinaryCrossEntropy", aliases=["timm.loss.binary_cross_entropy.BinaryCrossEntropy"],
     display="timm.loss.BinaryCrossEntropy", framework="timm", family="other", expects="logits",
     prediction="x", labels="target",
     signature=["smoothing", "target_threshold", "weight", "reduction", "sum_classes", "pos_weight", "**kwargs"],
     call_signature=["x", "target"], call_required=["x", "target"], source=_TIMM + "binary_cross_entropy.py")

# -- scikit-learn: probabilities (predict_proba output); labels are class labels or an indicator matrix -----
_add("sklearn.metrics.log_loss", aliases=["sklearn.metrics._classification.log_loss"],
     display="sklearn.metrics.log_loss", framework="sklearn", family="other", expects="probabilities",
     prediction="y_pred", labels="y_true",
     # `eps` was removed in 1.5 but old code passes it: accepted, so as not to report a real older release.
     signature=["y_true", "y_pred", "*", "normalize", "sample_weight", "labels", "eps"],
     required=["y_true", "y_pred"], sample_weight="sample_weight",
     source="published docs, scikit-learn 1.7 stable: log_loss(y_true, y_pred, *, normalize=True, "
            "sample_weight=None, labels=None); eps until 1.4")
