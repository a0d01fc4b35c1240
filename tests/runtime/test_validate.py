"""``validate`` / ``check`` on real tensors, eagerly and inside ``tf.function``."""

from __future__ import annotations

import warnings
from typing import Any, Callable

import numpy as np
import pytest

from tests.runtime.conftest import codes
from wce_lint.runtime import Finding, WCELossError, check, validate
from wce_lint.runtime.findings import RULE_NAMES, WCELossWarning

Call = dict[str, Any]


def call(labels: Any, logits: Any, pos_weight: Any = None, loss: str = "weighted_cross_entropy_with_logits",
         **kwargs: Any) -> Call:
    return {"labels": labels, "logits": logits, "pos_weight": pos_weight, "loss": loss, **kwargs}


def run(arguments: Call) -> list[Finding]:
    arguments = dict(arguments)
    return validate(arguments.pop("labels"), arguments.pop("logits"), arguments.pop("pos_weight"), **arguments)


def run_in_tf_function(tf, make: Callable[[Any], Call]) -> list[Finding]:
    """Build the tensors inside a traced tf.function (graph tensors) and validate them at trace time."""
    seen: list[Finding] = []

    @tf.function
    def traced() -> Any:
        arguments = make(tf)
        assert not tf.executing_eagerly()
        seen.extend(run(arguments))
        return tf.constant(0.0)

    traced()
    return seen


# One way to trigger each code with real tensors. Built by a function so that the same construction runs
# eagerly and inside tf.function, where the values are graph constants (tf.get_static_value folds them).
TRIGGERS: dict[str, Callable[[Any], Call]] = {
    "WCE101": lambda tf: call(tf.constant([[1.0, 0.0], [0.0, 1.0]]),
                              tf.sigmoid(tf.constant([[2.0, -1.0], [0.5, 3.0]])), 2.0),
    "WCE102": lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([3.2, -1.5]), loss="binary_crossentropy"),
    "WCE203": lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([0.3, -1.2]), tf.constant(-2.0)),
    "WCE204": lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([0.3, -1.2]), tf.constant([0.0, 2.0])),
    "WCE301": lambda tf: call(tf.ones([4]), tf.zeros([4, 1]), 2.0),
    "WCE302": lambda tf: call(tf.ones([4, 3]), tf.zeros([4, 3]), tf.ones([4])),
    "WCE303": lambda tf: call(tf.constant([1, 0, 1]), tf.constant([0.3, -1.2, 2.0]),
                              loss="sigmoid_cross_entropy_with_logits"),
    "WCE304": lambda tf: call(tf.constant([0.0, 2.0, 3.0]), tf.constant([0.3, -1.2, 2.0]), 2.0),
    "WCE503": lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([0.7, 0.2]), loss="binary_focal_crossentropy",
                              alpha=1.5),
    "WCE601": lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([np.nan, 1.0]), 2.0),
    # torch nll_loss(input=softmax output, target): probabilities where log-probabilities belong.
    "WCE104": lambda tf: call(tf.constant([1, 0]), tf.constant([[0.7, 0.3], [0.2, 0.8]]), loss="nll_loss"),
    "WCE305": lambda tf: call(tf.constant([1, 0, 2]), tf.constant([[0.5, -1.0, 2.0, 0.1]] * 3),
                              loss="softmax_cross_entropy_with_logits"),
    "WCE306": lambda tf: call(tf.constant([[1.0], [1.0]]), tf.constant([[0.3], [2.0]]),
                              loss="softmax_cross_entropy_with_logits"),
}


def test_every_runtime_code_has_a_trigger() -> None:
    assert set(TRIGGERS) == set(RULE_NAMES) - {"WCE602"}  # WCE602 comes from compare_to_reference


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_code_triggers_eagerly(tf, code: str) -> None:
    findings = run(TRIGGERS[code](tf))
    assert code in codes(findings), findings
    finding = next(f for f in findings if f.code == code)
    assert finding.name == RULE_NAMES[code]
    assert str(finding).startswith(f"{code} {RULE_NAMES[code]}: ")


@pytest.mark.parametrize("code", sorted(TRIGGERS))
def test_code_triggers_inside_tf_function(tf, code: str) -> None:
    findings = run_in_tf_function(tf, TRIGGERS[code])
    assert code in codes(findings), findings


def test_each_trigger_fires_only_its_own_code(tf) -> None:
    for code, make in TRIGGERS.items():
        assert codes(run(make(tf))) == {code}, code


# Static checks on graph tensors whose values are unknown: function inputs.
def test_shapes_dtypes_and_the_producing_op_are_checked_on_symbolic_inputs(tf) -> None:
    seen: dict[str, set[str]] = {}

    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None, 1], tf.float32),
                                  tf.TensorSpec([None, 3], tf.int32), tf.TensorSpec([None, 3], tf.float32)])
    def traced(labels, column, int_labels, scores):
        seen["shape"] = codes(validate(labels, column, 2.0))
        seen["dtype"] = codes(validate(int_labels, scores, loss="softmax_cross_entropy_with_logits"))
        probabilities = tf.reshape(tf.nn.softmax(scores), [-1, 3])
        seen["softmax"] = codes(validate(tf.one_hot(int_labels[:, 0], 3), probabilities,
                                         loss="softmax_cross_entropy_with_logits"))
        seen["pos_weight"] = codes(validate(tf.ones_like(scores), scores, tf.ones([5])))
        seen["clean"] = codes(validate(tf.ones_like(scores), scores, tf.ones([3])))
        seen["sparse"] = codes(validate(int_labels, scores, loss="sparse_softmax_cross_entropy_with_logits"))
        return tf.constant(0)

    traced.get_concrete_function()
    assert seen == {"shape": {"WCE301"}, "dtype": {"WCE303"}, "softmax": {"WCE101"}, "pos_weight": {"WCE302"},
                    "clean": set(), "sparse": {"WCE301"}}


def test_graph_wce101_is_an_error_and_names_the_op(tf) -> None:
    findings = run_in_tf_function(tf, TRIGGERS["WCE101"])
    (finding,) = findings
    assert finding.severity == "error"
    assert "Sigmoid op" in finding.message and "pass the raw scores" in finding.message


def test_eager_wce101_is_a_warning_unless_keras_marked_it(tf, keras) -> None:
    (heuristic,) = run(TRIGGERS["WCE101"](tf))
    assert heuristic.severity == "warning"
    assert "[0, 1]" in heuristic.message
    # Keras tags the outputs of its sigmoid/softmax (``_keras_logits``): certain even eagerly.
    (marked,) = validate(tf.constant([[0.0, 1.0]]), keras.activations.softmax(tf.constant([[1.0, 3.0]])),
                         loss="softmax_cross_entropy_with_logits")
    assert marked.severity == "error" and "Keras softmax activation" in marked.message
    (marked,) = validate([[1.0]], keras.activations.sigmoid(tf.constant([[1.0]])), loss="binary_crossentropy",
                         from_logits=True)
    assert marked.severity == "error" and "Keras sigmoid activation" in marked.message
    assert marked.argument == "y_pred" and "from_logits=True" in marked.message


def test_shape_messages_show_both_shapes(tf) -> None:
    (finding,) = validate(tf.ones([32]), tf.zeros([32, 1]), 1.0)
    assert "(32,)" in finding.message and "(32, 1)" in finding.message
    (finding,) = validate(tf.ones([32, 10]), tf.zeros([32, 10]), tf.ones([32]))
    assert finding.code == "WCE302"
    assert "(32,)" in finding.message and "(32, 10)" in finding.message and "batch size" in finding.message
    (finding,) = validate(tf.ones([8, 5], tf.int32), tf.zeros([8, 5]), loss="sparse_softmax_cross_entropy_with_logits")
    assert finding.code == "WCE301" and "(8, 5)" in finding.message and "(8,)" in finding.message


def test_sparse_and_keras_variants(tf) -> None:
    logits = tf.zeros([3, 4])
    sparse = "sparse_softmax_cross_entropy_with_logits"
    assert codes(validate(tf.constant([0, 4, -1]), logits, loss=sparse)) == {"WCE304"}
    assert codes(validate(tf.constant([0.0, 1.0, 2.0]), logits, loss=sparse)) == {"WCE303"}
    # Keras casts labels itself: float class ids are fine, [N, 1] labels are squeezed.
    keras_sparse = "sparse_categorical_crossentropy"
    assert validate(tf.constant([[0.0], [1.0], [3.0]]), logits, loss=keras_sparse, from_logits=True) == []
    assert codes(validate(tf.constant([0.5, 1.0, 2.0]), logits, loss=keras_sparse, from_logits=True)) == {"WCE304"}
    # ignore_class ids are skipped by Keras, so they are not out of range.
    assert validate(tf.constant([0, -1, 3]), logits, loss=keras_sparse, from_logits=True, ignore_class=-1) == []
    # Integer labels: an error for tf.nn, fine for Keras.
    assert codes(validate(tf.constant([[1, 0]]), tf.constant([[0.3, -2.0]]),
                          loss="softmax_cross_entropy_with_logits")) == {"WCE303"}
    assert validate(tf.constant([[1, 0]]), tf.constant([[0.3, -2.0]]), loss="categorical_crossentropy",
                    from_logits=True) == []
    # Focal parameters.
    assert codes(validate([1.0], [0.3], loss="binary_focal_crossentropy", gamma=-0.5)) == {"WCE503"}
    assert codes(validate([[1.0, 0.0]], [[0.3, 0.7]], loss="categorical_focal_crossentropy",
                          alpha=[0.25, 1.2])) == {"WCE503"}


@pytest.mark.parametrize(
    "make",
    [
        # TensorFlow's documented example.
        lambda tf: call(tf.constant([1.0, 0.5, 0.0]), tf.constant([1.5, -0.1, -10.0]), 1.5),
        lambda tf: call(tf.constant([[1.0, 0.0, 1.0]]), tf.constant([[2.0, -3.0, 0.4]]),
                        tf.constant([1.0, 4.0, 0.5])),
        lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([0.4, -8.0]), loss="sigmoid_cross_entropy_with_logits"),
        lambda tf: call(tf.constant([[0.0, 1.0]]), tf.constant([[2.0, -1.0]]),
                        loss="softmax_cross_entropy_with_logits"),
        lambda tf: call(tf.constant([1, 0]), tf.constant([[2.0, -1.0], [0.1, 0.2]]),
                        loss="sparse_softmax_cross_entropy_with_logits"),
        # Keras: probabilities with the default from_logits=False, logits with from_logits=True.
        lambda tf: call(tf.constant([1, 0]), tf.sigmoid(tf.constant([2.0, -1.0])), loss="binary_crossentropy"),
        lambda tf: call(tf.constant([1, 0]), tf.constant([2.0, -1.0]), loss="binary_crossentropy", from_logits=True),
        lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([2.0, -1.0]), loss="binary_focal_crossentropy",
                        from_logits=True, alpha=0.25, gamma=2.0, apply_class_balancing=True),
        # log_softmax into a softmax loss is fine; logits that happen to be exactly 0/1 are no evidence.
        lambda tf: call(tf.constant([[0.0, 1.0]]), tf.nn.log_softmax(tf.constant([[2.0, -1.0]])),
                        loss="softmax_cross_entropy_with_logits"),
        lambda tf: call(tf.constant([1.0, 0.0]), tf.constant([1.0, 0.0]), 2.0),
        lambda tf: call(tf.constant(1.0), tf.constant(0.5), 2.0),
    ],
)
def test_clean_inputs_give_no_findings(tf, make: Callable[[Any], Call]) -> None:
    assert run(make(tf)) == []
    assert run_in_tf_function(tf, make) == []


def test_accepts_variables_numpy_lists_and_scalars(tf) -> None:
    assert codes(validate(tf.Variable([1.0, 0.0]), tf.Variable([0.2, 0.7]), tf.Variable(-1.0))) == {"WCE101", "WCE203"}
    assert codes(validate(np.array([1.0, 0.0]), np.array([2.0, -1.0]), np.float32(0.0))) == {"WCE204"}
    # A Python list of ints becomes an int32 tensor in TensorFlow: the tf.nn op would fail on it.
    assert codes(validate([1, 0], [2.0, -1.0], 2)) == {"WCE303"}
    assert validate([1.0, 0.0], [2.0, -1.0], 2) == []
    assert codes(validate(1.0, float("inf"), 1.0)) == {"WCE601"}
    assert codes(validate([1.0, 0.0], [2.0, -1.0], float("nan"))) == {"WCE204"}


def test_check_raises_with_findings_and_warns_for_warnings(tf) -> None:
    with pytest.raises(WCELossError) as raised:
        check(tf.ones([4]), tf.zeros([4, 1]), -1.0)
    assert isinstance(raised.value, ValueError)
    assert {f.code for f in raised.value.findings} == {"WCE301", "WCE203"}
    assert "WCE301 labels-logits-shape-mismatch" in str(raised.value)
    with pytest.warns(WCELossWarning, match="WCE101"):
        check(tf.constant([1.0, 0.0]), tf.constant([0.2, 0.7]), 2.0)
    with pytest.raises(WCELossError):
        check(tf.constant([1.0, 0.0]), tf.constant([0.2, 0.7]), 2.0, strict=True)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        check(tf.constant([1.0, 0.0]), tf.constant([2.0, -1.0]), 2.0)  # clean: neither raises nor warns


def test_check_inside_tf_function_raises_at_trace_time(tf) -> None:
    @tf.function
    def step(x):
        check(tf.ones([2]), tf.sigmoid(x), 2.0)
        return tf.nn.weighted_cross_entropy_with_logits(tf.ones([2]), tf.sigmoid(x), 2.0)

    with pytest.raises(WCELossError) as raised:
        step(tf.zeros([2]))
    assert codes(raised.value.findings) == {"WCE101"}


def test_graph_asserts_check_values_when_the_graph_runs(tf) -> None:
    @tf.function(input_signature=[tf.TensorSpec([None], tf.float32), tf.TensorSpec([None], tf.float32)])
    def step(labels, logits):
        check(labels, logits, 2.0, graph_asserts=True)
        return tf.nn.weighted_cross_entropy_with_logits(labels, logits, 2.0)

    assert step(tf.constant([1.0, 0.0]), tf.constant([2.0, -1.0])).shape == (2,)
    with pytest.raises(tf.errors.InvalidArgumentError, match="WCE601"):
        step(tf.constant([1.0, 0.0]), tf.constant([np.nan, -1.0]))
    with pytest.raises(tf.errors.InvalidArgumentError, match="WCE304"):
        step(tf.constant([1.0, 3.0]), tf.constant([2.0, -1.0]))


def test_loss_names_and_argument_errors(tf) -> None:
    assert validate([1.0], [2.5], loss="tf.nn.sigmoid_cross_entropy_with_logits") == []
    assert codes(validate([1.0, 0.0], [3.0, -2.0], loss="BinaryCrossentropy")) == {"WCE102"}
    with pytest.raises(ValueError, match="unknown loss"):
        validate([1.0], [0.5], loss="mean_squared_error")
    with pytest.raises(TypeError, match="pos_weight"):
        validate([1.0], [0.5], 2.0, loss="sigmoid_cross_entropy_with_logits")
    with pytest.raises(TypeError, match="weights"):
        validate([1.0], [0.5], weights=[1.0])


def test_finding_is_frozen_and_prints_readably() -> None:
    finding = Finding("WCE301", "labels-logits-shape-mismatch", "labels shape (4,) ...", "error", "labels")
    assert str(finding) == "WCE301 labels-logits-shape-mismatch: labels shape (4,) ..."
    with pytest.raises(AttributeError):
        finding.code = "WCE302"  # type: ignore[misc]


def test_rule_names_match_the_static_registry() -> None:
    # One noqa vocabulary: every code the runtime shares with a registered static rule has the same name.
    from wce_lint.rules import REGISTRY

    shared = set(REGISTRY) & set(RULE_NAMES)
    assert shared, "the registry shares no code with the runtime"
    assert {code: REGISTRY[code].name for code in shared} == {code: RULE_NAMES[code] for code in shared}


def test_unusual_inputs_do_not_crash(tf) -> None:
    ragged = tf.ragged.constant([[1.0, 0.0], [1.0]])
    assert isinstance(validate(ragged, ragged, 2.0), list)
    assert isinstance(validate({"a": [1.0]}, [0.5], loss="binary_crossentropy"), list)
