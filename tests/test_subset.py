"""LibCST is given only the statements that can matter (``analysis/subset.py``): the findings, their
positions, messages, related locations and fixes must be exactly those of a whole-file parse."""

from __future__ import annotations

import ast
import os
from pathlib import Path

import pytest

from tests.subset_identity import differences, whole_files
from wce_lint.analysis import project as project_index
from wce_lint.analysis.subset import relevant_subset
from wce_lint.engine import _triggers, lint_source
from wce_lint.fixes import fix_source
from wce_lint.rules import REGISTRY
from wce_lint.settings import Settings
from wce_lint.source import split_lines

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "fixtures"
PROJECTS = FIXTURES / "projects"
ALL_FIXTURES = sorted(FIXTURES.rglob("*.py"))
TRIGGERS = [word.decode() for word in _triggers(frozenset(REGISTRY))]


def _settings_for(path: Path) -> Settings:
    for project in PROJECTS.iterdir():
        if project in path.parents:
            return Settings(preview=True, root=project)
    return Settings(preview=True, root=FIXTURES)


@pytest.mark.parametrize("path", ALL_FIXTURES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_every_fixture_gives_the_same_results_as_a_whole_file_parse(path: Path) -> None:
    project_index.reset()
    assert differences(path, _settings_for(path)) == []


def test_the_fixtures_do_exercise_the_subset() -> None:
    """The comparison above means something only if statements are actually dropped in many fixtures."""
    dropping = 0
    for path in ALL_FIXTURES:
        text = path.read_text(encoding="utf-8")
        try:
            tree = ast.parse(text)
        except SyntaxError:  # the WCE000 fixtures
            continue
        subset = relevant_subset(text, tree, TRIGGERS)
        dropping += subset is not None and subset.kept_lines < subset.total_lines
    assert dropping >= 20, dropping


# -- the blanked text --------------------------------------------------------------------------------
LOSS = ("def tf_loss(labels, scores):\n"
        "    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=tf.sigmoid(scores))\n")
UNRELATED = ("def unrelated(a, b):\n"
             "    total = a + b\n"
             "    return total * 2\n")

LAYOUTS = {
    "plain": f"import tensorflow as tf\n\n\n{UNRELATED}\n\n{LOSS}",
    "crlf": f"import tensorflow as tf\n\n{UNRELATED}\n{LOSS}".replace("\n", "\r\n"),
    "lone_cr": f"import tensorflow as tf\n\n{UNRELATED}\n{LOSS}".replace("\n", "\r"),
    "no_final_newline": f"import tensorflow as tf\n\n{LOSS}\n{UNRELATED}".rstrip("\n"),
    "no_final_newline_kept_last": f"import tensorflow as tf\n\n{UNRELATED}\n{LOSS}".rstrip("\n"),
    "decorators": f"import functools\nimport tensorflow as tf\n\n@functools.lru_cache(maxsize=None)\n"
                  f"# between decorators\n@staticmethod\n{UNRELATED}\n@functools.wraps(print)\n{LOSS}",
    "semicolons": f"import tensorflow as tf\nx = 1; y = 2\nz = tf.sigmoid(x); w = 3\n{UNRELATED}\n"
                  "loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=z)\n",
    "form_feed": f"import tensorflow as tf\n\x0c\n{UNRELATED}\x0c\n\n{LOSS}",
    "backslash": f"import tensorflow as tf\nvalue = 1 + \\\n    2\n{UNRELATED}\n{LOSS}",
    "main_block": f"import tensorflow as tf\n\n{UNRELATED}\n{LOSS}\n\nif __name__ == \"__main__\":\n"
                  "    print(tf_loss(1.0, 2.0))\n",
    "comments_between": f"# header\nimport tensorflow as tf\n# about unrelated\n{UNRELATED}    # trailing, indented\n"
                        f"# about the loss\n{LOSS}",
    "docstring_and_tabs": f'"""Module doc: softmax."""\nimport tensorflow as tf\n\nclass Unrelated:\n\tdef f(self):\n'
                          f"\t\treturn 1\n\n{LOSS}",
    "class_methods": "import tensorflow as tf\n\n\nclass Model:\n    def __init__(self, units):\n"
                     "        self.units = units\n\n    def unrelated(self):\n        return self.units * 2\n\n"
                     "    def loss(self, labels, scores):\n"
                     "        return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=tf.sigmoid(scores))\n",
}


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_blanked_lines_keep_every_kept_byte_in_place(name: str) -> None:
    text = LAYOUTS[name]
    subset = relevant_subset(text, ast.parse(text), TRIGGERS)
    assert subset is not None and subset.kept_lines < subset.total_lines, "nothing was dropped"
    original, blanked = split_lines(text), split_lines(subset.text)
    assert len(original) == len(blanked)
    assert any(line == "" and before != "" for before, line in zip(original, blanked))
    for before, after in zip(original, blanked):
        assert after in (before, "")
    # the line breaks themselves are all kept, in order
    assert [c for c in text if c in "\r\n"] == [c for c in subset.text if c in "\r\n"]
    assert "def unrelated" not in subset.text and "class Unrelated" not in subset.text  # the helper is gone …
    assert "sigmoid_cross_entropy_with_logits" in subset.text  # … the loss is kept


@pytest.mark.parametrize("name", sorted(LAYOUTS))
def test_findings_and_fixes_in_every_layout_equal_the_whole_file_ones(name: str, tmp_path: Path) -> None:
    path = tmp_path / f"{name}.py"
    path.write_bytes(LAYOUTS[name].encode())
    settings = Settings(root=tmp_path)
    assert differences(path, settings) == []
    with whole_files(False):
        found = lint_source(path.read_bytes(), str(path), settings).diagnostics
    assert "WCE101" in {d.code for d in found}


def test_a_fix_keeps_the_bytes_of_the_dropped_statements(tmp_path: Path) -> None:
    data = LAYOUTS["crlf"].encode()
    with whole_files(False):
        result = fix_source(data, "crlf.py", Settings(), unsafe=True)
    assert result.fixed_count == 1
    assert result.fixed == data.replace(b"logits=tf.sigmoid(scores)", b"logits=scores")


def test_an_encoding_declared_on_line_one_stays(tmp_path: Path) -> None:
    text = f"# -*- coding: latin-1 -*-\nimport tensorflow as tf\nname = 'caf\xe9'\n{UNRELATED}\n{LOSS}"
    path = tmp_path / "latin.py"
    path.write_bytes(text.encode("latin-1"))
    subset = relevant_subset(text, ast.parse(text), TRIGGERS)
    assert subset is not None and subset.text.startswith("# -*- coding: latin-1 -*-\n")
    assert differences(path, Settings(root=tmp_path)) == []


def test_a_helper_reached_from_a_kept_statement_is_kept_and_its_callers_too() -> None:
    text = ("import tensorflow as tf\n\n"
            "def helper(scores, labels):\n    return tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=scores)\n\n"
            "def caller(x, y):\n    return helper(x, y)\n\n"
            "def make():\n    return 3\n\n"
            "value = make()\n"
            "probabilities = tf.sigmoid(value)\n"
            "caller(probabilities, 1.0)\n"
            "def other():\n    return 4\n")
    subset = relevant_subset(text, ast.parse(text), TRIGGERS)
    assert subset is not None
    for kept in ("def helper", "def caller", "def make", "value = make()", "caller(probabilities, 1.0)"):
        assert kept in subset.text
    assert "def other" not in subset.text


def test_another_default_indent_falls_back_to_the_whole_file(tmp_path: Path) -> None:
    """LibCST takes the first indented line as the default indent: when that line is dropped and the kept
    ones are indented otherwise, the whole file is parsed (new nodes would print with another indent)."""
    text = f"import tensorflow as tf\n\ndef unrelated():\n  return 1\n\n{LOSS}"
    subset = relevant_subset(text, ast.parse(text), TRIGGERS)
    assert subset is not None and subset.default_indent == "  "
    from wce_lint.analysis.parse import parse

    context = parse("x.py", text, ast.parse(text), subset)
    assert context.module.code == text  # the whole file was parsed
    path = tmp_path / "indent.py"
    path.write_text(text)
    assert differences(path, Settings(root=tmp_path)) == []


def test_the_switch_forces_whole_file_parsing() -> None:
    from wce_lint.analysis.parse import parse
    from wce_lint.engine import _subset

    text = LAYOUTS["plain"]
    rules = list(REGISTRY.values())
    with whole_files(True):
        assert _subset(text, ast.parse(text), "x.py", rules) is None
    with whole_files(False):
        subset = _subset(text, ast.parse(text), "x.py", rules)
        assert subset is not None
        assert parse("x.py", text, ast.parse(text), subset).module.code != text


# -- the real corpus (opt-in: `pytest -m corpus`, about two minutes on two cores) ---------------------
CORPUS = Path(os.environ.get("WCE_LINT_CORPUS", "/tmp/corpus/ml"))


@pytest.mark.corpus
def test_the_real_corpus_gives_the_same_results_as_a_whole_file_parse() -> None:
    from wce_lint.engine import _rules_triggered, discover

    assert CORPUS.is_dir(), (f"unpack ../shared/data/corpora/ml-4repos.tar.xz so that {CORPUS} exists "
                             "(or set WCE_LINT_CORPUS to the folder holding the four repositories)")
    settings = Settings(preview=True, root=CORPUS)
    files, _ = discover([CORPUS], settings)
    checked, problems = 0, []
    for path in files:
        if not _rules_triggered(path.read_bytes(), settings.codes_for(str(path))):
            continue
        checked += 1
        problems += differences(path, settings, fixes=False)
    assert checked > 300 and problems == [], problems
