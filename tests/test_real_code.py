"""Precision on real code: TensorFlow's and Keras's own documented examples, and the standard library."""

from __future__ import annotations

import doctest
import sysconfig
from pathlib import Path

import pytest

from wce_lint.engine import lint_paths, lint_source
from wce_lint.settings import Settings

# The APIs whose documented examples must lint clean, by the name users write.
DOCUMENTED_APIS = [
    "tf.nn.weighted_cross_entropy_with_logits",
    "tf.nn.sigmoid_cross_entropy_with_logits",
    "tf.nn.softmax_cross_entropy_with_logits",
    "tf.nn.sparse_softmax_cross_entropy_with_logits",
    "tf.keras.losses.BinaryCrossentropy",
    "tf.keras.losses.CategoricalCrossentropy",
    "tf.keras.losses.SparseCategoricalCrossentropy",
    "tf.keras.losses.BinaryFocalCrossentropy",
    "tf.keras.losses.CategoricalFocalCrossentropy",
    "tf.keras.losses.binary_crossentropy",
    "tf.keras.losses.categorical_crossentropy",
    "tf.keras.losses.sparse_categorical_crossentropy",
    "tf.keras.losses.binary_focal_crossentropy",
    "tf.compat.v1.losses.sigmoid_cross_entropy",
    "tf.compat.v1.losses.softmax_cross_entropy",
]


def _documented_example(api: str) -> str:
    """The `>>>` examples of the installed library's own docstring, as one module."""
    import tensorflow as tf

    target = tf
    for part in api.split(".")[1:]:
        target = getattr(target, part)
    examples = doctest.DocTestParser().get_examples(target.__doc__ or "")
    body = "".join(example.source for example in examples)
    return "import numpy as np\nimport tensorflow as tf\nimport keras\n" + body


@pytest.mark.parametrize("api", DOCUMENTED_APIS)
def test_tensorflow_documentation_examples_are_clean(api: str) -> None:
    source = _documented_example(api)
    result = lint_source(source.encode(), f"{api}.py", Settings(preview=True))
    assert not result.internal_errors
    assert result.diagnostics == [], "\n".join(f"{d.code} {d.start.line}: {d.message}" for d in result.diagnostics)


def test_documented_examples_were_found() -> None:
    # Guard against the test above passing vacuously on empty docstrings.
    with_examples = [api for api in DOCUMENTED_APIS if "(" in _documented_example(api).split("import keras\n", 1)[1]]
    assert len(with_examples) >= 8, with_examples


def test_standard_library_has_no_findings_and_no_internal_errors() -> None:
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    run = lint_paths([stdlib], Settings(preview=True), use_cache=False)
    assert run.files_seen > 500
    assert not run.internal_errors, run.internal_errors[:5]
    findings = [d for d in run.diagnostics if d.code != "WCE000"]
    assert findings == [], [(d.path, d.start.line, d.code) for d in findings[:10]]
