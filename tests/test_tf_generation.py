"""The TensorFlow generation of a file: the setting, the file's own APIs, the project's pins, else TF2."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from tests.cli_helpers import no_traceback, run_wce_lint
from wce_lint.analysis.parse import parse
from wce_lint.analysis.tf_generation import SETTINGS_KEY, _major_of, generation, project_pin
from wce_lint.engine import lint_source
from wce_lint.settings import Settings

TARGETS = """\
import tensorflow as tf


def weighted(labels, logits):
    return tf.nn.weighted_cross_entropy_with_logits(targets=labels, logits=logits, pos_weight=2.0)
"""


def _generation(text: str, path: str = "m.py", settings: Settings | None = None):  # type: ignore[no-untyped-def]
    module = parse(path, textwrap.dedent(text))
    if settings is not None:
        module.cache[SETTINGS_KEY] = settings
    return generation(module)


@pytest.mark.parametrize(
    ("spec", "major"),
    [("==1.15", "1"), ("<2", "1"), ("<2.0", "1"), (">=1.13,<2", "1"), ("~=1.15.0", "1"), ("==1.*", "1"),
     ("^1.15", "1"), ("<=1.15.5", "1"), (">=2.4", "2"), ("==2.*", "2"), ("~=2.10", "2"),
     ("<2.1", None), (">1.15", None), (">=1.15", None), ("!=2.0", None)],
)
def test_version_specifiers(spec: str, major: str | None) -> None:
    assert _major_of(spec) == major


def test_tf1_only_apis_make_a_tf1_file() -> None:
    found = _generation("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n", path="/nonexistent/m.py")
    assert found.is_tf1
    assert found.reason == "the file uses `tf.placeholder`, line 2, a TF1-only API"


def test_tf2_only_apis_make_a_tf2_file() -> None:
    found = _generation("import tensorflow as tf\n\n@tf.function\ndef f(x):\n    return x\n", path="/nonexistent/m.py")
    assert found.is_tf2 and "`tf.function`, line 3" in found.reason


def test_both_make_a_mixed_file() -> None:
    found = _generation("import tensorflow as tf\nx = tf.placeholder(tf.float32)\nwith tf.GradientTape() as t:\n"
                        "    pass\n", path="/nonexistent/m.py")
    assert found.version is None and "TF1 APIs" in found.reason and "TF2 APIs" in found.reason


def test_keras_existed_in_tf1_so_it_does_not_outvote_tf1_evidence() -> None:
    found = _generation("import tensorflow as tf\nm = tf.keras.Sequential()\ns = tf.Session()\n", path="/x/m.py")
    assert found.is_tf1


def test_compat_v1_is_no_evidence() -> None:
    found = _generation("import tensorflow as tf\nx = tf.compat.v1.placeholder(tf.float32)\n", path="/x/m.py")
    assert found.is_tf2 and "assumed" in found.reason


def test_the_setting_comes_first() -> None:
    found = _generation("import tensorflow as tf\nx = tf.placeholder(tf.float32)\n",
                        settings=Settings(tensorflow_version="2"))
    assert found.is_tf2 and found.reason == '`tensorflow-version = "2"` in the configuration'


@pytest.mark.parametrize(
    ("name", "content", "expected"),
    [
        ("requirements.txt", "numpy\ntensorflow-gpu==1.15.5  # CUDA 10\n", ("1", "requirements.txt pins `tensorflow-gpu==1.15.5`")),
        ("pyproject.toml", '[project]\nname = "x"\ndependencies = ["tensorflow>=1.13,<2.0"]\n', ("1", None)),
        ("setup.py", "from setuptools import setup\nsetup(install_requires=['tensorflow < 2'])\n", ("1", None)),
        ("pyproject.toml", '[tool.poetry.dependencies]\ntensorflow = "^1.15"\n', ("1", None)),
        ("requirements.txt", "tensorflow>=2.8\n", ("2", None)),
        ("requirements.txt", "tensorflow\ntensorflow-addons>=0.9\n", None),
        ("requirements.txt", "# tensorflow==1.15\n", None),
    ],
)
def test_dependency_pins(tmp_path: Path, name: str, content: str, expected: tuple | None) -> None:
    (tmp_path / "setup.cfg").write_text("[metadata]\nname = x\n", encoding="utf-8")
    (tmp_path / name).write_text(content, encoding="utf-8")
    (tmp_path / "pkg").mkdir()
    (tmp_path / "pkg" / "train.py").write_text(TARGETS, encoding="utf-8")
    found = project_pin(str(tmp_path / "pkg" / "train.py"))
    if expected is None:
        assert found is None
    else:
        assert found is not None and found[0] == expected[0]
        if expected[1] is not None:
            assert found[1] == expected[1]


def test_pins_that_disagree_decide_nothing(tmp_path: Path) -> None:
    (tmp_path / "setup.py").write_text("setup(install_requires=['tensorflow==1.15'])\n", encoding="utf-8")
    (tmp_path / "requirements-tf2.txt").write_text("tensorflow>=2.4\n", encoding="utf-8")
    (tmp_path / "m.py").write_text(TARGETS, encoding="utf-8")
    assert project_pin(str(tmp_path / "m.py")) is None


def test_wce401_follows_the_generation(tmp_path: Path) -> None:
    source = TARGETS.encode()
    tf2 = lint_source(source, str(tmp_path / "m.py"), Settings(tensorflow_version="2")).diagnostics
    assert [d.code for d in tf2] == ["WCE401"]
    assert '(`tensorflow-version = "2"` in the configuration)' in tf2[0].message
    assert tf2[0].fix is not None  # targets= → labels=, safe under TF2
    assert lint_source(source, str(tmp_path / "m.py"), Settings(tensorflow_version="1")).diagnostics == []


def test_cli_pins_change_the_verdict_and_the_cache_notices(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "train.py").write_text(TARGETS, encoding="utf-8")
    requirements = tmp_path / "requirements.txt"
    requirements.write_text("tensorflow==1.15.5\n", encoding="utf-8")
    first = run_wce_lint(tmp_path, "train.py")
    no_traceback(first)
    assert first.returncode == 0, first.stdout
    requirements.write_text("tensorflow==2.15\n", encoding="utf-8")
    second = run_wce_lint(tmp_path, "train.py")  # same file bytes, cache on: the pins are in the key
    assert second.returncode == 1, second.stdout
    assert "under TF2 (requirements.txt pins `tensorflow==2.15`)" in second.stdout


def test_cli_rejects_a_bad_tensorflow_version(tmp_path: Path) -> None:
    (tmp_path / ".git").mkdir()
    (tmp_path / "pyproject.toml").write_text('[tool.wce-lint]\ntensorflow-version = 1\n', encoding="utf-8")
    (tmp_path / "train.py").write_text(TARGETS, encoding="utf-8")
    result = run_wce_lint(tmp_path, ".")
    no_traceback(result)
    assert result.returncode == 2
    assert 'tensorflow-version: expected one of "1", "2", "auto", got 1' in result.stderr
