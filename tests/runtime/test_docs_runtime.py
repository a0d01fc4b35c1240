"""docs/runtime.md is runnable: every ```python block executes as written, each in a fresh namespace."""

from __future__ import annotations

import re
import warnings

import pytest

from tests.runtime.conftest import ROOT

DOC = ROOT / "docs" / "runtime.md"
BLOCKS = re.findall(r"```python\n(.*?)```", DOC.read_text(encoding="utf-8"), flags=re.S)


def test_the_doc_has_an_example_for_each_use() -> None:
    text = "\n".join(BLOCKS)
    for name in ("validate(", "check(", "compare_to_reference(", "guard(", "reference."):
        assert name in text, name
    assert "--wce-guard" in DOC.read_text(encoding="utf-8")
    # issue 17: a focal loss passing and failing (WCE601), class-balanced weights not renormalised (WCE602),
    # and losses written with NumPy and JAX.
    for name in ('reference="binary_focal_crossentropy"', "tf.math.log(p)", '"WCE601"',
                 'reference="class_balanced_softmax_cross_entropy"', '{"WCE602"}', 'framework == "numpy"',
                 'framework == "jax"'):
        assert name in text, name


@pytest.mark.parametrize("number", range(len(BLOCKS)))
def test_example_runs(number: int, tf, capsys: pytest.CaptureFixture[str]) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        exec(compile(BLOCKS[number], f"{DOC}:block{number}", "exec"), {"__name__": f"doc_block_{number}"})
