"""Fuzzing the engine: generated programs (hypothesmith) and mutated fixtures.

For every input, ``lint_source`` must
  * let no exception escape and report no internal error;
  * report exactly one WCE000 — and nothing else — when CPython refuses the file (its own decoding:
    ``importlib.util.decode_source``, so encoding declarations, BOMs and NUL bytes are judged by CPython
    too; then its parser) and the file gets that far: bytes that do not decode always do, a syntax error
    only when the byte pre-check lets the file through to the parser (otherwise nothing is parsed and
    nothing reported, by design);
  * report no WCE000 when CPython accepts the bytes and the file reaches the parser;
  * give the same result twice (determinism).

The oracle is CPython's *parser* (``PyCF_ONLY_AST``): errors that only the compiler's later passes find
(``return`` outside a function, ``nonlocal`` at module level …) are not syntax errors to a linter that
never compiles, and LibCST accepts them too.

The default run is small and reproducible (``derandomize=True``, no example database) so CI stays fast and
deterministic; ``pytest -m fuzz`` runs the large campaign (10,000+ examples per strategy).
"""

from __future__ import annotations

import ast
import importlib.util
import re
import warnings
from pathlib import Path

import hypothesmith
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

# The pre-check is a routing decision, not under test here: use the engine's own, so the oracle never drifts.
from wce_lint.engine import _rules_triggered, lint_source
from wce_lint.settings import Settings
from wce_lint.source import has_skip_file_comment

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
FIXTURE_FILES = sorted(FIXTURES.rglob("*.py"))
SOURCES = [path.read_bytes() for path in FIXTURE_FILES]
SETTINGS = Settings(preview=True)
CODES = SETTINGS.codes()

LOSS_IMPORT = "import tensorflow as tf\n"
LOSS_CALL = "loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)\n"

COMMON = dict(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much],
)
LARGE = settings(max_examples=10_000, **COMMON)


# -- the oracle ---------------------------------------------------------------------------------------
def python_text(data: bytes) -> str | None:
    """The text CPython reads from these bytes when it runs or imports them (PEP 263 declaration or UTF-8,
    BOM dropped, universal newlines), or None when they cannot be decoded."""
    if b"\x00" in data:
        return None
    try:
        return importlib.util.decode_source(data)
    except (SyntaxError, UnicodeDecodeError, LookupError):
        return None


def python_refuses(data: bytes) -> bool:
    """Whether CPython's parser refuses the file. The text is compiled after newline translation, as
    ``python file.py`` does: ``compile()`` of raw bytes accepts a line continuation right before a final
    ``\\r\\n`` that the interpreter (and LibCST) refuse when running the file."""
    text = python_text(data)
    if text is None:
        return True
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            compile(text, "<fuzz>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except (SyntaxError, ValueError, RecursionError, MemoryError):
        return True
    return False


def check(data: bytes, path: str = "fuzz.py") -> None:
    first = lint_source(data, path, SETTINGS)
    assert first.internal_errors == [], first.internal_errors
    second = lint_source(data, path, SETTINGS)
    assert second.diagnostics == first.diagnostics and second.internal_errors == first.internal_errors
    codes = [d.code for d in first.diagnostics]
    if has_skip_file_comment(data):
        assert codes == []
        return
    reaches_parser = bool(_rules_triggered(data, CODES))  # the engine's own byte pre-check
    if python_refuses(data):
        if python_text(data) is None or reaches_parser:
            assert codes == ["WCE000"], (codes, [d.message for d in first.diagnostics])
        else:
            assert codes == []  # not even parsed: nothing in it is a loss
    else:
        assert "WCE000" not in codes, [d.message for d in first.diagnostics]
    for diagnostic in first.diagnostics:
        assert diagnostic.start.line >= 1 and diagnostic.start.column >= 0
        assert (diagnostic.start.line, diagnostic.start.column) <= (diagnostic.end.line, diagnostic.end.column)


# -- strategies ---------------------------------------------------------------------------------------
# hypothesmith's auto_target mode drives towards larger programs but stalls for a minute on some examples;
# without it, generation is fast and the programs are small (tens of characters) but syntactically wild.
GRAMMAR = hypothesmith.from_grammar(auto_target=False)


@st.composite
def programs_with_a_loss(draw: st.DrawFn) -> bytes:
    """A generated program, with a loss call before or after it so the pre-check lets it through."""
    program = draw(GRAMMAR)
    if draw(st.booleans()) and "__future__" not in program:
        text = LOSS_IMPORT + LOSS_CALL + program
    else:
        text = program + "\n" + LOSS_IMPORT + LOSS_CALL
    return text.encode("utf-8", "surrogatepass")


_TOKEN = re.compile(rb"[A-Za-z_][A-Za-z0-9_]*|\d+(?:\.\d+)?|\s+|.", re.DOTALL)


def _spans(data: bytes) -> list[tuple[int, int]]:
    return [match.span() for match in _TOKEN.finditer(data) if not match.group().isspace()]


@st.composite
def mutated_fixtures(draw: st.DrawFn) -> bytes:
    """A fixture with one to three mutations: delete a span, duplicate a span, swap two tokens, insert
    random bytes (or a character that is special to Python's tokenizer)."""
    data = draw(st.sampled_from(SOURCES))
    for _ in range(draw(st.integers(1, 3))):
        kind = draw(st.sampled_from(["delete", "duplicate", "swap", "insert", "insert-special"]))
        size = len(data)
        if kind in ("delete", "duplicate") and size:
            start = draw(st.integers(0, size - 1))
            end = draw(st.integers(start + 1, min(size, start + draw(st.sampled_from([1, 4, 40, 400])))))
            data = data[:start] + data[end:] if kind == "delete" else data[:end] + data[start:end] + data[end:]
        elif kind == "swap":
            spans = _spans(data)
            if len(spans) >= 2:
                i, j = sorted(draw(st.lists(st.integers(0, len(spans) - 1), min_size=2, max_size=2, unique=True)))
                (a, b), (c, d) = spans[i], spans[j]
                data = data[:a] + data[c:d] + data[b:c] + data[a:b] + data[d:]
        else:
            at = draw(st.integers(0, size))
            if kind == "insert":
                inserted = draw(st.binary(min_size=1, max_size=8))
            else:
                inserted = draw(st.sampled_from(
                    [b"(", b")", b"[", b"]", b"{", b"}", b":", b"\n", b"\r", b"\r\n", b"\t", b"\x0c", b"\\",
                     b"\\\n", b"'", b'"', b'"""', b"#", b"    ", b"\xef\xbb\xbf", b"\x00", b"\xff",
                     b"# -*- coding: latin-1 -*-\n", b"# noqa\n", b"lambda", b"await ", b"*", b"**", b"@",
                     b":=", b"f'{", b"}'", "é".encode(), "\u2028".encode()]))
            data = data[:at] + inserted + data[at:]
    return data


# Loss calls whose arguments are generated expressions: what the rules' value, shape and provenance analyses
# see in real code, pushed to the odd corners (huge powers, division by zero, nested literals, lambdas …).
CALLEES = [
    "tf.constant", "tf.ones", "tf.zeros", "tf.fill", "tf.reshape", "tf.expand_dims", "tf.squeeze", "tf.one_hot",
    "tf.cast", "tf.reduce_sum", "tf.reduce_mean", "tf.sigmoid", "tf.nn.softmax", "tf.nn.log_softmax",
    "tf.math.log", "tf.clip_by_value", "tf.random.uniform", "tf.keras.layers.Dense", "tf.keras.activations.sigmoid",
    "np.array", "np.ones", "np.full", "np.log", "np.clip", "torch.tensor", "torch.sigmoid", "torch.ones",
    "torch.clamp", "F.softmax", "jnp.array", "jax.nn.sigmoid", "len", "float", "int", "compute_class_weight", "sum",
]
KEYWORDS = ["dtype", "shape", "axis", "depth", "units", "activation", "from_logits", "value", "dim"]
ATOMS = st.one_of(
    st.integers(-(10**6), 10**6).map(str),
    st.floats(allow_nan=False, allow_infinity=False).map(repr),
    st.sampled_from([
        'float("inf")', 'float("-inf")', 'float("nan")', "np.nan", "np.inf", "math.inf", "True", "False",
        "None", "...", "1e309", "-0.0", "0", "1", "2", "0.5", "1/0", "0.0 / 0.0", "2**-1074", "10**100",
        "tf.float32", "tf.int64", "torch.long", '"sigmoid"', '"softmax"', '"linear"', "x", "y", "w", "a",
        "labels", "logits", "pos_weight", "n", "beta", "model", "model(x)", "-x", "x.sigmoid()", "y[:, 0]",
    ]),
    st.text(max_size=4).map(repr),
)


def _call(parts: tuple[str, list[str], list[tuple[str, str]]]) -> str:
    callee, arguments, keywords = parts
    return f"{callee}({', '.join([*arguments, *(f'{k}={v}' for k, v in keywords)])})"


def _extend(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    operators = ["+", "-", "*", "/", "//", "%", "**", "@", "<", "==", "and", "or", "if x else", "|", ">>"]
    return st.one_of(
        st.tuples(st.sampled_from(["-", "+", "~", "-(", "not ("]), children).map(
            lambda t: t[0] + t[1] + (")" if t[0].endswith("(") else "")),
        st.tuples(children, st.sampled_from(operators), children).map(lambda t: f"({t[0]} {t[1]} {t[2]})"),
        st.lists(children, max_size=4).map(lambda items: "[" + ", ".join(items) + "]"),
        st.lists(children, min_size=1, max_size=3).map(lambda items: "(" + ", ".join(items) + ",)"),
        st.lists(st.tuples(children, children), max_size=3).map(
            lambda pairs: "{" + ", ".join(f"{k}: {v}" for k, v in pairs) + "}"),
        st.tuples(st.sampled_from(CALLEES), st.lists(children, max_size=3),
                  st.lists(st.tuples(st.sampled_from(KEYWORDS), children), max_size=2, unique_by=lambda kv: kv[0]),
                  ).map(_call),
        st.tuples(children, st.sampled_from([".shape", ".T", "[0]", "[:, None]", "[..., 1:]", ".numpy()", "[-1]",
                                             ".sigmoid()", ".float()", ".sum(-1)"])).map(lambda t: f"({t[0]}){t[1]}"),
        children.map(lambda e: f"(lambda: {e})"),
        children.map(lambda e: f"[{e} for _ in range(3)]"),
        children.map(lambda e: f"(yield {e})"),
    )


EXPRESSIONS = st.recursive(ATOMS, _extend, max_leaves=10)
LOSS_STATEMENTS = [
    "return tf.nn.weighted_cross_entropy_with_logits(labels={0}, logits={1}, pos_weight={2})",
    "return tf.nn.weighted_cross_entropy_with_logits({0}, {1}, {2})",
    "return tf.nn.sigmoid_cross_entropy_with_logits(labels={0}, logits={1})",
    "return tf.nn.softmax_cross_entropy_with_logits(labels={0}, logits={1}, axis={2})",
    "return tf.nn.sparse_softmax_cross_entropy_with_logits(labels={0}, logits={1})",
    "return tf.keras.losses.BinaryCrossentropy(from_logits={2})({0}, {1}, sample_weight={2})",
    "return tf.keras.losses.BinaryFocalCrossentropy(gamma={2}, alpha={0})({0}, {1})",
    "return tf.keras.losses.CategoricalCrossentropy()({0}, {1})",
    "return tf.keras.losses.sparse_categorical_crossentropy({0}, {1}, from_logits=True)",
    "loss_fn = torch.nn.BCEWithLogitsLoss(pos_weight={2}, weight={0})\n    return loss_fn({1}, {0})",
    "return torch.nn.BCELoss(weight={2})(torch.sigmoid({1}), {0})",
    "return F.binary_cross_entropy_with_logits({1}, {0}, weight={2}, pos_weight={2})",
    "return F.cross_entropy({1}, {0}, weight={2})",
    "return optax.sigmoid_focal_loss({1}, {0}, alpha={2}, gamma={2})",
    "return optax.sigmoid_binary_cross_entropy({1}, {0})",
    "return optax.softmax_cross_entropy({1}, {0})",
    "return tf.math.log(tf.sigmoid({1})) + tf.math.log(1 - tf.sigmoid({0}))",
    "return tf.math.log(tf.nn.softmax({1}, axis={2}))",
    "return torch.log(torch.sigmoid({1}) + {2})",
    "return (1 - {2}) / (1 - {2} ** {0})",
    "model.compile(loss=tf.keras.losses.BinaryCrossentropy(from_logits={2}))\n"
    "    model.fit({0}, {1}, sample_weight={2}, class_weight={2})",
    "return tf.compat.v1.losses.sigmoid_cross_entropy({0}, {1}, weights={2})",
    "return tf.nn.weighted_cross_entropy_with_logits(targets={0}, logits={1}, pos_weight={2})",
]
HEADER = (
    "import math\nimport numpy as np\nimport tensorflow as tf\nimport torch\nimport torch.nn.functional as F\n"
    "import jax\nimport jax.numpy as jnp\nimport optax\nfrom sklearn.utils.class_weight import compute_class_weight\n"
)


@st.composite
def loss_programs(draw: st.DrawFn) -> bytes:
    names = ["a", "w", "labels", "logits", "pos_weight", "beta", "n"]
    lines = [HEADER, "", ""]
    if draw(st.booleans()):
        units = draw(EXPRESSIONS)
        activation = draw(st.sampled_from(['"sigmoid"', '"softmax"', "None", '"relu"', "tf.nn.sigmoid"]))
        lines.append(f"model = tf.keras.Sequential([tf.keras.layers.Dense({units}, activation={activation})])")
    lines.append("def step(x, y, model):")
    for name in draw(st.lists(st.sampled_from(names), max_size=5)):
        lines.append(f"    {name} = {draw(EXPRESSIONS)}")
        if draw(st.integers(0, 5)) == 0:
            lines.append(f"    if x:\n        {name} = {draw(EXPRESSIONS)}")
    arguments = [draw(st.one_of(st.sampled_from(names + ["x", "y", "model(x)"]), EXPRESSIONS)) for _ in range(3)]
    lines.append("    " + draw(st.sampled_from(LOSS_STATEMENTS)).format(*arguments))
    return ("\n".join(lines) + "\n").encode("utf-8", "surrogatepass")


# -- the default (small) run --------------------------------------------------------------------------
@settings(max_examples=100, **COMMON)
@given(programs_with_a_loss())
def test_generated_programs(data: bytes) -> None:
    check(data)


@settings(max_examples=300, **COMMON)
@given(loss_programs())
def test_loss_calls_with_generated_arguments(data: bytes) -> None:
    check(data)


@settings(max_examples=400, **COMMON)
@given(mutated_fixtures())
@example(b"import tensorflow as tf\nx = tf.nn.softmax_cross_entropy_with_logits(\n")
@example(b"import tensorflow as tf\r\nx = tf.nn.softmax_cross_entropy_with_logits(labels=y, logits=x\r")
@example(b"\xef\xbb\xbf# -*- coding: latin-1 -*-\nimport tensorflow as tf  # softmax_cross_entropy\n")
@example(b"# coding: latin-1\nimport tensorflow as tf\nx = tf.nn.sigmoid_cross_entropy_with_logits(y, '\xe9')\n")
@example(b"import tensorflow as tf\nloss = tf.nn.softmax_cross_entropy_with_logits\n\x0c\x0c\n  x = 1\n")
# Found by the large run: a line continuation before a final CRLF (CPython's compile() of the raw bytes
# accepts it, the interpreter running the file does not); and a bad byte after an earlier syntax error.
@example(b"import tensorflow as tf\nloss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x)\n#pass\n\\\r\n")
@example(b" expect: nothing\nimport tensorflow as tf\n\nloss = tf.nn.weighted_cr\x80oss_entropy_with_logits(labels=[1.0])\n")
@example(b"ef mean_log_likelihood(scores, labels):\n    log_probs = np.log(softmax(scores, axis=1))\n")  # no framework name
@example(b'""b"docstring"\nimport tensorflow as tf\nx = tf.nn.weighted_cross_entropy_with_logits(y, x, -1.0)\n')  # str + bytes
def test_mutated_fixtures(data: bytes) -> None:
    check(data)


def test_the_oracle_sees_both_outcomes() -> None:
    # Guard against a vacuous property: the mutations must produce both parseable and unparseable inputs.
    outcomes = set()
    for data in SOURCES:
        outcomes.add(python_refuses(data))
        outcomes.add(python_refuses(data[: len(data) // 2] + b"(\n"))
    assert outcomes == {True, False}


# -- the large, opt-in run (pytest -m fuzz) -----------------------------------------------------------
@pytest.mark.fuzz
@LARGE
@given(programs_with_a_loss())
def test_generated_programs_large(data: bytes) -> None:
    check(data)


@pytest.mark.fuzz
@LARGE
@given(loss_programs())
def test_loss_calls_with_generated_arguments_large(data: bytes) -> None:
    check(data)


@pytest.mark.fuzz
@LARGE
@given(mutated_fixtures())
def test_mutated_fixtures_large(data: bytes) -> None:
    check(data)
