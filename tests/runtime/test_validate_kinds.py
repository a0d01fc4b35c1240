"""validate(): WCE104 (log-probabilities expected), WCE305 (sparse/dense mismatch), WCE306 (single-class
softmax) — each with the look-alikes that must stay silent."""

from __future__ import annotations

import numpy as np
import pytest

from tests.runtime.conftest import codes
from wce_lint.runtime import validate

RNG = np.random.default_rng(7)
SCORES = RNG.normal(0.0, 3.0, (4, 5))
LOG_PROBABILITIES = SCORES - np.log(np.exp(SCORES).sum(axis=-1, keepdims=True))
PROBABILITIES = np.exp(LOG_PROBABILITIES)
TARGET = np.array([1, 0, 4, 2])


def test_nll_loss_of_probabilities_and_of_logits(tf) -> None:
    (finding,) = validate(TARGET, PROBABILITIES, loss="nll_loss")
    assert finding.code == "WCE104" and finding.argument == "input" and finding.severity == "error"
    assert "probabilities" in finding.message and finding.help == "take log_softmax instead of softmax"
    (finding,) = validate(TARGET, SCORES, loss="torch.nn.NLLLoss")
    assert finding.code == "WCE104" and "raw scores (logits)" in finding.message
    assert "cross_entropy" in finding.help


def test_nll_loss_look_alikes_are_clean(tf) -> None:
    assert validate(TARGET, LOG_PROBABILITIES, loss="nll_loss") == []
    assert validate(TARGET, tf.nn.log_softmax(tf.constant(SCORES)), loss="nll_loss") == []
    # torch's ignore_index (-100 by default) is not a class id out of range.
    assert validate(np.array([1, -100, 4, 2]), LOG_PROBABILITIES, loss="nll_loss") == []
    assert codes(validate(np.array([1, -1, 4, 2]), LOG_PROBABILITIES, loss="nll_loss")) == {"WCE304"}
    assert validate(np.array([1, -1, 4, 2]), LOG_PROBABILITIES, loss="nll_loss", ignore_index=-1) == []
    # torch's class axis is 1: input [N, C, d] takes target [N, d].
    image = np.log(np.full((2, 5, 3), 0.2))
    assert validate(np.zeros((2, 3), np.int64), image, loss="nll_loss") == []
    assert codes(validate(np.zeros((2, 5), np.int64), image, loss="nll_loss")) == {"WCE301"}


def test_kl_div_input_and_target(tf) -> None:
    target = PROBABILITIES[::-1]
    assert validate(target, LOG_PROBABILITIES, loss="kl_div") == []
    assert codes(validate(target, PROBABILITIES, loss="KLDivLoss")) == {"WCE104"}
    # A log-probability target without log_target=True, and the reverse.
    (finding,) = validate(np.log(target), LOG_PROBABILITIES, loss="kl_div")
    assert finding.code == "WCE104" and finding.argument == "target" and finding.help == "pass log_target=True"
    assert validate(np.log(target), LOG_PROBABILITIES, loss="kl_div", log_target=True) == []
    assert codes(validate(target, LOG_PROBABILITIES, loss="kl_div", log_target=True)) == {"WCE104"}
    with pytest.raises(TypeError, match="log_target"):
        validate(target, LOG_PROBABILITIES, loss="softmax_cross_entropy_with_logits", log_target=True)


def test_one_hot_labels_to_a_sparse_loss(tf) -> None:
    one_hot = np.eye(5, dtype=np.float32)[TARGET]
    for loss in ("sparse_softmax_cross_entropy_with_logits", "sparse_categorical_crossentropy",
                 "tf.compat.v1.losses.sparse_softmax_cross_entropy"):
        findings = validate(one_hot, SCORES.astype(np.float32), loss=loss, **(
            {"from_logits": True} if "categorical" in loss else {}))
        assert codes(findings) == {"WCE305"}, (loss, findings)  # not also WCE301/WCE303
    assert "argmax" in findings[0].help and "softmax_cross_entropy" in findings[0].help
    # Integer ids are right; an [N, C] label tensor of ids (not one-hot) is a shape problem, not WCE305.
    assert validate(TARGET.astype(np.int32), SCORES, loss="sparse_softmax_cross_entropy_with_logits") == []
    assert codes(validate(np.full((4, 5), 2, np.int32), SCORES,
                          loss="sparse_softmax_cross_entropy_with_logits")) == {"WCE301"}


def test_one_hot_op_in_a_graph(tf) -> None:
    seen = {}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.int32), tf.TensorSpec([None, 5], tf.float32)])
    def traced(ids, scores):
        seen["one_hot"] = codes(validate(tf.one_hot(ids, 5), scores, loss="sparse_categorical_crossentropy",
                                         from_logits=True))
        seen["ids"] = codes(validate(ids, scores, loss="softmax_cross_entropy_with_logits"))
        seen["dense"] = codes(validate(tf.one_hot(ids, 5), scores, loss="softmax_cross_entropy_with_logits"))
        return tf.constant(0)

    traced.get_concrete_function()
    assert seen == {"one_hot": {"WCE305"}, "ids": {"WCE305"}, "dense": set()}


def test_class_ids_to_a_dense_loss(tf) -> None:
    for loss in ("softmax_cross_entropy_with_logits", "categorical_crossentropy",
                 "tf.compat.v1.losses.softmax_cross_entropy"):
        findings = validate(TARGET, SCORES, loss=loss, **({"from_logits": True} if "categorical" in loss else {}))
        assert codes(findings) == {"WCE305"}, (loss, findings)
    assert "tf.one_hot(onehot_labels, depth=5)" in findings[0].help
    assert "sparse_softmax_cross_entropy" in findings[0].help
    # Float class ids count too; a distribution over the classes does not.
    assert codes(validate(TARGET.astype(np.float32), SCORES, loss="softmax_cross_entropy_with_logits")) == {"WCE305"}
    assert validate(PROBABILITIES, SCORES, loss="softmax_cross_entropy_with_logits") == []
    # Ids beyond the classes are not taken for class ids of this loss: the shape mismatch is reported.
    assert codes(validate(np.array([1, 7, 0, 2]), SCORES, loss="softmax_cross_entropy_with_logits")) >= {"WCE301"}


def test_single_class_softmax(tf, keras) -> None:
    one_unit = np.array([[0.3], [2.0]], np.float32)
    for loss, kwargs in (("softmax_cross_entropy_with_logits", {}), ("categorical_crossentropy", {}),
                         ("sparse_categorical_crossentropy", {"from_logits": True})):
        labels = np.array([0, 0]) if "sparse" in loss else np.ones((2, 1), np.float32)
        (finding,) = validate(labels, one_unit, loss=loss, **kwargs)
        assert finding.code == "WCE306" and "identically 0" in finding.message, loss
    # A Keras softmax over one unit: exactly 1.0, into a probability loss (WCE102 stands down).
    with pytest.warns(UserWarning):  # Keras warns about it too
        ones = keras.activations.softmax(tf.constant(one_unit))
    (finding,) = validate(np.ones((2, 1), np.float32), ones, loss="binary_crossentropy")
    assert finding.code == "WCE306" and "Keras softmax" in finding.message
    # Look-alikes: two units; a sigmoid over one unit; a sigmoid loss over one column of logits.
    assert validate(np.eye(2, dtype=np.float32), np.array([[0.3, 1.0], [2.0, 0.1]], np.float32),
                    loss="softmax_cross_entropy_with_logits") == []
    assert validate(np.ones((2, 1), np.float32), keras.activations.sigmoid(tf.constant(one_unit)),
                    loss="binary_crossentropy") == []
    assert validate(np.ones((2, 1), np.float32), one_unit, loss="sigmoid_cross_entropy_with_logits") == []
    # axis= names the class axis: classes on axis 0 here.
    assert validate(np.ones((3, 1), np.float32), np.zeros((3, 1), np.float32),
                    loss="softmax_cross_entropy_with_logits", axis=0) == []
