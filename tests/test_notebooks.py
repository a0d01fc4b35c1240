"""Jupyter notebooks: fixtures with inline expectations per cell, the hostile cases, fix pairs compared byte for
byte, and every output format, the cache, discovery and suppression through the real CLI.

Expectations are read from the cells with ``json`` (never with ``wce_lint.notebook``): ``# expect: WCE101
col=12`` on a line of a code cell means a finding of that code at (that cell, that line, that column); cells
are numbered from 1 among all cells, markdown included. The comparison is exact, both ways.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import warnings
from pathlib import Path

import nbformat
import pytest

from tests.cli_helpers import no_traceback, run_wce_lint
from tests.fixture_expectations import text_expectations
from wce_lint.engine import lint_paths, lint_source, needs_parse
from wce_lint.fixes import fix_source, is_applicable
from wce_lint.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
NOTEBOOKS = FIXTURES / "notebooks"
SETTINGS = Settings(preview=True, root=FIXTURES)


def _json_error(name: str) -> tuple[int, int]:
    """Where the standard library's own parser says the JSON breaks (1-based line and column)."""
    with pytest.raises(json.JSONDecodeError) as error:
        json.loads((NOTEBOOKS / name).read_text(encoding="utf-8"))
    return error.value.lineno, error.value.colno


_INCOMPLETE_LINE = "loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x,"
_OPENED_BLOCK_LINE = "for step in range(3):  # the body was meant to follow in the next cell"
# Notebooks whose findings cannot be written in a cell: (code, cell, line, column) and a phrase of the message.
# Cell 0 is a position in the JSON text itself.
HOSTILE: dict[str, tuple[set[tuple[str, int, int, int]], str]] = {
    "empty.ipynb": (set(), ""),
    "invalid_json.ipynb": ({("WCE000", 0, *_json_error("invalid_json.ipynb"))}, "invalid notebook JSON"),
    "zero_bytes.ipynb": ({("WCE000", 0, 1, 1)}, "empty file: not a notebook"),
    "nbformat3.ipynb": ({("WCE000", 0, 1, 1)}, "nbformat 3 (only nbformat 4"),
    "bad_source.ipynb": ({("WCE000", 0, 1, 1)}, "cell 2: `source` is an object, not a string or a list"),
    # A bracket opened in cell 1 and closed in cell 2 would parse as one module, but Jupyter runs cells alone.
    "incomplete_cell.ipynb": ({("WCE000", 1, 2, len(_INCOMPLETE_LINE) + 1)}, "'(' was never closed"),
    # A block opened at the end of cell 1 and its (indented) body in cell 2: Jupyter fails on cell 1.
    "block_opened_in_one_cell.ipynb": (
        {("WCE000", 1, 2, len(_OPENED_BLOCK_LINE) + 1)}, "expected an indented block after 'for' statement on line 2"
    ),
}
WITH_EXPECTATIONS = sorted(
    p for p in NOTEBOOKS.glob("*.ipynb") if not p.name.endswith(".fixed.ipynb") and p.name not in HOSTILE
)
FIX_PAIRS = sorted(NOTEBOOKS.glob("*.fixed.ipynb"))


def _cell_expectations(path: Path) -> tuple[set[tuple[str, int, int, int]], bool]:
    document = json.loads(path.read_text(encoding="utf-8"))
    expected: set[tuple[str, int, int, int]] = set()
    nothing = False
    for index, cell in enumerate(document["cells"], 1):
        source = cell["source"] if isinstance(cell["source"], str) else "".join(cell["source"])
        found, _, says_nothing = text_expectations(source)
        nothing |= says_nothing
        for item in found:
            assert item.column is not None, f"cell {index} line {item.line}: give the column (col=N)"
            expected.add((item.code, index, item.line, item.column))
    return expected, nothing


def _found(path: Path, settings: Settings = SETTINGS) -> set[tuple[str, int, int, int]]:
    result = lint_source(path.read_bytes(), str(path.relative_to(FIXTURES)), settings)
    assert not result.internal_errors, result.internal_errors
    return {(d.code, d.start.cell, d.start.line, d.start.display_column) for d in result.diagnostics}


# -- the fixtures ----------------------------------------------------------------------------------
def test_the_notebook_fixtures_are_all_accounted_for() -> None:
    assert len(WITH_EXPECTATIONS) >= 6 and len(FIX_PAIRS) >= 2
    assert all((NOTEBOOKS / name).exists() for name in HOSTILE)


@pytest.mark.parametrize("path", WITH_EXPECTATIONS, ids=lambda p: p.name)
def test_notebook_findings_equal_the_cells_expectations(path: Path) -> None:
    expected, nothing = _cell_expectations(path)
    assert expected or nothing, f"{path.name}: add `# expect: …` comments or `# expect: nothing` to a cell"
    found = _found(path)
    assert found == expected, f"\nmissing: {sorted(expected - found)}\nunexpected: {sorted(found - expected)}"


@pytest.mark.parametrize("name", sorted(HOSTILE))
def test_hostile_notebooks_give_a_clear_wce000_and_no_traceback(name: str) -> None:
    expected, phrase = HOSTILE[name]
    result = lint_source((NOTEBOOKS / name).read_bytes(), name, SETTINGS)
    assert not result.internal_errors
    assert {(d.code, d.start.cell, d.start.line, d.start.display_column) for d in result.diagnostics} == expected
    assert all(phrase in d.message for d in result.diagnostics)


def test_the_fixtures_are_real_notebooks_for_nbformat() -> None:
    """The fixtures that claim to be valid notebooks are valid for Jupyter's own reader and schema."""
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # e.g. nbformat's MissingIDFieldWarning
        for path in [*WITH_EXPECTATIONS, *FIX_PAIRS, NOTEBOOKS / "empty.ipynb"]:
            nbformat.validate(nbformat.reads(path.read_text(encoding="utf-8"), as_version=4))


def test_the_cell_magic_cell_and_the_noqa_line_are_silent() -> None:
    """training_across_cells.ipynb holds the same misuse in a %%time cell (6) and under a noqa (cell 9,
    line 2): the exact comparison above already rejects them; this says so by name."""
    found = _found(NOTEBOOKS / "training_across_cells.ipynb")
    assert not {f for f in found if f[1] == 6}
    assert ("WCE203", 9, 2) not in {f[:3] for f in found}
    assert ("WCE203", 9, 1) in {f[:3] for f in found}  # the same call without noqa is reported


# -- fixes -----------------------------------------------------------------------------------------
def _original(fixed: Path) -> Path:
    return fixed.with_name(fixed.name.replace(".fixed.ipynb", ".ipynb"))


@pytest.mark.parametrize("fixed", FIX_PAIRS, ids=lambda p: p.name)
def test_notebook_fix_pair_matches_byte_for_byte(fixed: Path) -> None:
    original = _original(fixed)
    result = fix_source(original.read_bytes(), str(original), SETTINGS, unsafe=True)
    assert not result.internal_errors
    assert result.changed
    assert result.fixed == fixed.read_bytes()
    again = fix_source(result.fixed, str(original), SETTINGS, unsafe=True)
    assert not again.changed, "a second --fix pass changed the notebook again"
    assert not [d for d in again.diagnostics if is_applicable(d.fix, True)]


def test_safe_only_fix_leaves_a_notebook_with_unsafe_fixes_unchanged() -> None:
    original = NOTEBOOKS / "fix_from_logits.ipynb"
    result = fix_source(original.read_bytes(), str(original), SETTINGS, unsafe=False)
    assert not result.changed and result.fixed == original.read_bytes()


def test_a_fix_line_count_change_keeps_the_list_layout(tmp_path: Path) -> None:
    """nbformat writes sources as lists of lines; a fixed cell is written back in the same layout, and the
    notebook still validates. (A source list with one element has no separator to copy: the opening
    whitespace is reused.)"""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from tensorflow import keras\nhead = keras.Sequential([keras.layers.Dense(3)])"),
        nbformat.v4.new_code_cell("head.compile(loss=keras.losses.BinaryCrossentropy())"),
    ]
    path = tmp_path / "one_line.ipynb"
    nbformat.write(notebook, path)
    before = path.read_text(encoding="utf-8")
    result = fix_source(before.encode(), str(path), Settings(root=tmp_path), unsafe=True)
    after = result.fixed.decode()
    assert after == before.replace("BinaryCrossentropy()", "BinaryCrossentropy(from_logits=True)")
    nbformat.validate(nbformat.reads(after, as_version=4))


def test_a_fix_in_an_indented_cell_lands_at_the_cells_own_columns(tmp_path: Path) -> None:
    """IPython runs a cell whose lines share an indentation dedented; the module holds it dedented, and
    positions and fix edits go back to the cell's columns (+4 here)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_code_cell("from tensorflow import keras\nhead = keras.Sequential([keras.layers.Dense(3)])"),
        nbformat.v4.new_code_cell("    head.compile(loss=keras.losses.BinaryCrossentropy())\n    head.summary()"),
    ]
    path = tmp_path / "indented.ipynb"
    nbformat.write(notebook, path)
    before = path.read_text(encoding="utf-8")
    linted = lint_source(before.encode(), str(path), Settings(root=tmp_path))
    column = "    head.compile(loss=keras.losses.BinaryCrossentropy())".index("keras.losses") + 1
    assert [(d.code, d.start.cell, d.start.line, d.start.display_column) for d in linted.diagnostics] == [
        ("WCE102", 2, 1, column)
    ]
    result = fix_source(before.encode(), str(path), Settings(root=tmp_path), unsafe=True)
    assert result.fixed.decode() == before.replace("BinaryCrossentropy()", "BinaryCrossentropy(from_logits=True)")


# -- the command line ------------------------------------------------------------------------------
@pytest.fixture
def notebook_project(project: Path) -> Path:
    (project / "notebooks").mkdir()
    shutil.copy(NOTEBOOKS / "training_across_cells.ipynb", project / "notebooks" / "train.ipynb")
    return project


def test_discovery_finds_notebooks_and_skips_jupyter_checkpoints(notebook_project: Path) -> None:
    checkpoints = notebook_project / "notebooks" / ".ipynb_checkpoints"
    checkpoints.mkdir()
    shutil.copy(NOTEBOOKS / "training_across_cells.ipynb", checkpoints / "train-checkpoint.ipynb")
    result = run_wce_lint(notebook_project, "--no-cache", "--output-format", "concise", ".")
    no_traceback(result)
    assert result.returncode == 1
    lines = [line for line in result.stdout.splitlines() if ": WCE" in line]
    assert [line.split(": ")[0] for line in lines] == [
        "notebooks/train.ipynb:cell 7:6:74", "notebooks/train.ipynb:cell 8:1:38", "notebooks/train.ipynb:cell 9:1:94",
    ]


def test_notebooks_are_excluded_by_the_same_globs_and_per_file_ignores_apply(notebook_project: Path) -> None:
    config = notebook_project / "pyproject.toml"
    config.write_text('[tool.wce-lint]\nextend-exclude = ["*.ipynb"]\n', encoding="utf-8")
    excluded = run_wce_lint(notebook_project, "--no-cache", ".")
    assert excluded.returncode == 0 and "WCE" not in excluded.stdout
    config.write_text('[tool.wce-lint]\nper-file-ignores = {"notebooks/*.ipynb" = ["WCE203"]}\n', encoding="utf-8")
    ignored = run_wce_lint(notebook_project, "--no-cache", "--output-format", "concise", ".")
    assert "WCE101" in ignored.stdout and "WCE203" not in ignored.stdout


def test_a_notebook_named_explicitly_is_read_even_when_excluded(notebook_project: Path) -> None:
    (notebook_project / "pyproject.toml").write_text('[tool.wce-lint]\nextend-exclude = ["*.ipynb"]\n', encoding="utf-8")
    named = run_wce_lint(notebook_project, "--no-cache", "--output-format", "concise", "notebooks/train.ipynb")
    assert named.returncode == 1 and "notebooks/train.ipynb:cell 9:1:94: WCE203" in named.stdout
    forced = run_wce_lint(notebook_project, "--no-cache", "--force-exclude", "notebooks/train.ipynb")
    assert forced.returncode == 0


def test_full_format_quotes_the_cells_line_and_names_the_trace_cells(notebook_project: Path) -> None:
    result = run_wce_lint(notebook_project, "--no-cache", "--output-format", "full", "notebooks/train.ipynb")
    no_traceback(result)
    out = result.stdout
    assert "notebooks/train.ipynb:cell 7:6:74: WCE101" in out
    assert "\n6 |     loss = tf.nn.sigmoid_cross_entropy_with_logits(labels=labels, logits=probs)" in out
    assert "= note: notebooks/train.ipynb:cell 7:3:9: " in out  # where the sigmoid was applied
    assert "(cell 7, line 3)" in out  # the message's own line reference, in cell terms
    assert "\"source\"" not in out  # never a line of the JSON


def test_json_format_has_cell_fields(notebook_project: Path) -> None:
    result = run_wce_lint(notebook_project, "--no-cache", "--output-format", "json", "notebooks/train.ipynb")
    findings = json.loads(result.stdout)
    assert [(f["code"], f["cell"], f["location"]["row"], f["location"]["column"]) for f in findings] == [
        ("WCE101", 7, 6, 74), ("WCE101", 8, 1, 38), ("WCE203", 9, 1, 94),
    ]
    assert {step["cell"] for step in findings[0]["related"]} == {7}
    assert findings[1]["noqa_row"] == 1


def _json_line_and_column(path: Path, fragment: str, text: str) -> tuple[int, int]:
    """The 1-based line of the .ipynb text holding ``fragment`` and the 1-based column of ``text`` in it."""
    lines = path.read_text(encoding="utf-8").splitlines()
    number = next(n for n, line in enumerate(lines, 1) if fragment in line)
    return number, lines[number - 1].index(text) + 1


def test_github_annotations_point_into_the_notebook_json(notebook_project: Path) -> None:
    notebook = notebook_project / "notebooks" / "train.ipynb"
    result = run_wce_lint(notebook_project, "--no-cache", "--output-format", "github", "notebooks/train.ipynb")
    first = result.stdout.splitlines()[0]
    line, column = _json_line_and_column(notebook, "logits=probs)  # expect", "probs")
    assert first.startswith(
        f"::error file=notebooks/train.ipynb,line={line},col={column},endLine={line},endColumn={column + 5},"
    ), first
    assert "::cell 7, line 6, column 74: `logits`" in first


def test_github_columns_count_json_escapes(tmp_path: Path) -> None:
    """In fix_from_logits.ipynb the flagged line has `\\"adam\\"` before the span: the JSON column is past
    the escapes, and `\\u00e9` escapes after it do not matter."""
    shutil.copy(NOTEBOOKS / "fix_from_logits.ipynb", tmp_path / "nb.ipynb")
    result = run_wce_lint(tmp_path, "--no-cache", "--output-format", "github", "nb.ipynb")
    line, column = _json_line_and_column(tmp_path / "nb.ipynb", "BinaryCrossentropy()", "keras.losses.Binary")
    assert f"line={line},col={column}," in result.stdout.splitlines()[0]


def test_sarif_regions_are_in_the_notebook_json_with_the_cell_beside(notebook_project: Path) -> None:
    import jsonschema

    schema = json.loads((Path(__file__).parent / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))
    notebook = notebook_project / "notebooks" / "train.ipynb"
    result = run_wce_lint(notebook_project, "--no-cache", "--output-format", "sarif", "notebooks/train.ipynb")
    log = json.loads(result.stdout)
    jsonschema.validators.validator_for(schema)(schema).validate(log)
    first = log["runs"][0]["results"][0]
    location = first["locations"][0]
    line, column = _json_line_and_column(notebook, "logits=probs)  # expect", "probs")
    assert location["physicalLocation"]["artifactLocation"]["uri"] == "notebooks/train.ipynb"
    assert location["physicalLocation"]["region"] == {
        "startLine": line, "startColumn": column, "endLine": line, "endColumn": column + 5,
    }
    assert location["properties"] == {"cell": 7, "cellLine": 6, "cellColumn": 74}
    assert location["message"]["text"] == "cell 7, line 6, column 74"
    assert first["message"]["text"].startswith("cell 7, line 6, column 74: ")


def test_fix_and_diff_through_the_cli(tmp_path: Path) -> None:
    original = NOTEBOOKS / "fix_from_logits.ipynb"
    target = tmp_path / "nb.ipynb"
    shutil.copy(original, target)
    diff = run_wce_lint(tmp_path, "--no-cache", "--diff", "--unsafe-fixes", "nb.ipynb")
    no_traceback(diff)
    assert diff.returncode == 1
    assert target.read_bytes() == original.read_bytes()  # --diff writes nothing
    assert "--- a/nb.ipynb:cell 3\n+++ b/nb.ipynb:cell 3\n" in diff.stdout
    assert "--- a/nb.ipynb:cell 4\n+++ b/nb.ipynb:cell 4\n" in diff.stdout
    assert '+model.compile(optimizer="adam", loss=keras.losses.BinaryCrossentropy(from_logits=True))' in diff.stdout
    fixed = run_wce_lint(tmp_path, "--no-cache", "--fix", "--unsafe-fixes", "nb.ipynb")
    assert fixed.returncode == 0, fixed.stdout + fixed.stderr
    assert "Fixed 2 errors." in fixed.stdout
    assert target.read_bytes() == (NOTEBOOKS / "fix_from_logits.fixed.ipynb").read_bytes()


def test_invalid_notebooks_are_reported_and_never_written(tmp_path: Path) -> None:
    for name in ("invalid_json.ipynb", "nbformat3.ipynb", "zero_bytes.ipynb"):
        shutil.copy(NOTEBOOKS / name, tmp_path / name)
    result = run_wce_lint(tmp_path, "--no-cache", "--fix", "--unsafe-fixes", "--output-format", "concise", ".")
    no_traceback(result)
    assert result.returncode == 1
    line, column = _json_error("invalid_json.ipynb")
    assert f"invalid_json.ipynb:{line}:{column}: WCE000 invalid notebook JSON: " in result.stdout
    assert "nbformat3.ipynb:1:1: WCE000 unsupported notebook format: nbformat 3" in result.stdout
    for name in ("invalid_json.ipynb", "nbformat3.ipynb", "zero_bytes.ipynb"):
        assert (tmp_path / name).read_bytes() == (NOTEBOOKS / name).read_bytes()


def test_stdin_with_a_notebook_name(tmp_path: Path) -> None:
    data = (NOTEBOOKS / "training_across_cells.ipynb").read_bytes()
    result = run_wce_lint(tmp_path, "--output-format", "full", "--stdin-filename", "nb.ipynb", "-", stdin=data)
    no_traceback(result)
    assert "nb.ipynb:cell 9:1:94: WCE203" in result.stdout
    assert "\n1 | weighted = tf.nn.weighted_cross_entropy_with_logits(" in result.stdout


def test_stdin_fix_prints_the_fixed_notebook_json(tmp_path: Path) -> None:
    data = (NOTEBOOKS / "fix_from_logits.ipynb").read_bytes()
    result = subprocess.run(
        [sys.executable, "-m", "wce_lint", "--fix", "--unsafe-fixes", "--stdin-filename", "nb.ipynb", "-"],
        cwd=tmp_path, input=data, capture_output=True, timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == (NOTEBOOKS / "fix_from_logits.fixed.ipynb").read_bytes()


def test_the_cache_returns_cell_positions(notebook_project: Path) -> None:
    cold = run_wce_lint(notebook_project, "--output-format", "json", "notebooks")
    cache_files = list((notebook_project / ".wce_lint_cache").rglob("*.json"))
    assert len(cache_files) == 1
    entries = json.loads(cache_files[0].read_text(encoding="utf-8"))["entries"]
    assert list(entries) == [os.path.join("notebooks", "train.ipynb")]
    warm = run_wce_lint(notebook_project, "--output-format", "json", "notebooks")
    assert warm.stdout == cold.stdout and json.loads(warm.stdout)[0]["cell"] == 7


# -- the pre-check ---------------------------------------------------------------------------------
def test_the_pre_check_reads_the_cells_not_the_json(tmp_path: Path) -> None:
    """`import\\ttensorflow` is `import\\\\ttensorflow` in the JSON text, where the import pattern the
    pre-check needs does not match; the notebook is still analysed (through the parallel runner, which
    pre-checks the raw bytes first)."""
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [nbformat.v4.new_code_cell(
        "import\ttensorflow as tf\n"
        "loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)"
    )]
    path = tmp_path / "tabs.ipynb"
    nbformat.write(notebook, path)
    settings = Settings(root=tmp_path)
    assert not needs_parse(path.read_bytes(), settings.codes_for(str(path)))  # the JSON alone would be skipped
    run = lint_paths([path], settings, use_cache=False)
    assert [(d.code, d.start.cell, d.start.line) for d in run.diagnostics] == [("WCE203", 1, 2)]


# -- the IPython extension -------------------------------------------------------------------------
IPYTHON_SESSION = r"""
import json, sys, warnings
import wce_lint
report = {"tensorflow_before_load": "tensorflow" in sys.modules}
from IPython.core.interactiveshell import InteractiveShell
shell = InteractiveShell.instance()
shell.run_cell("import tensorflow as tf")
report["tensorflow_before_load"] = report["tensorflow_before_load"] or "wce_lint.runtime.guarding" in sys.modules

CALL = "tf.nn.weighted_cross_entropy_with_logits(labels=tf.ones([2, 1]), logits=tf.zeros([2, 1]), pos_weight=-2.0)"

def caught(cell):
    with warnings.catch_warnings(record=True) as records:
        warnings.simplefilter("always")
        outcome = shell.run_cell(cell)
    return {"ok": outcome.success, "warnings": [f"{w.category.__name__}: {w.message}" for w in records]}

report["before"] = caught(CALL)
report["load"] = shell.run_line_magic("load_ext", "wce_lint")
report["loaded"] = caught(CALL)
report["keras_loaded"] = caught(
    "tf.keras.losses.BinaryCrossentropy()(tf.constant([[1.0]]), tf.constant([[3.0]]))"
)
report["unload"] = shell.run_line_magic("unload_ext", "wce_lint")
report["unloaded"] = caught(CALL)
shell.run_line_magic("load_ext", "wce_lint")
report["reloaded"] = caught(CALL)
print(json.dumps(report))
"""


def test_load_ext_turns_the_warning_guard_on_for_the_session_and_unload_ext_off(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-c", IPYTHON_SESSION], cwd=tmp_path, capture_output=True, text=True, timeout=300,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", "IPYTHONDIR": str(tmp_path / "ipython")},
    )
    assert completed.returncode == 0, completed.stderr[-3000:]
    report = json.loads(completed.stdout.strip().splitlines()[-1])
    assert report["tensorflow_before_load"] is False  # `import wce_lint` loads neither TensorFlow nor the guard
    assert report["before"] == {"ok": True, "warnings": []}
    assert report["load"] is None  # IPython's `%load_ext` found and ran load_ipython_extension
    assert report["loaded"]["ok"] is True  # warn mode: the cell still runs
    assert any(w.startswith("WCELossWarning: ") and "WCE203" in w for w in report["loaded"]["warnings"])
    assert any(w.startswith("WCELossWarning: ") and "WCE102" in w for w in report["keras_loaded"]["warnings"])
    assert report["unloaded"] == {"ok": True, "warnings": []}
    assert any("WCE203" in w for w in report["reloaded"]["warnings"])


# -- malformed notebooks, in bulk -----------------------------------------------------------------
_MISUSE = "import tensorflow as tf\nloss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)"


def _notebook_bytes(cells: object, **top: object) -> bytes:
    return json.dumps({"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5, **top}).encode()


_NOT_UTF8 = b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "\xff"}]}'
MALFORMED: dict[str, tuple[bytes, str]] = {
    "a JSON list": (b"[]", "not a notebook: the JSON is a list"),
    "a JSON string": (b'"cells"', "not a notebook: the JSON is a string"),
    "nbformat true": (b'{"nbformat": true, "cells": []}', "nbformat true"),
    "nbformat as text": (b'{"nbformat": "4", "cells": []}', 'nbformat "4"'),
    "no nbformat": (b'{"cells": []}', "no `nbformat` version"),
    "no cells": (b'{"nbformat": 4, "metadata": {}}', "`cells` is null, not a list"),
    "cells an object": (b'{"nbformat": 4, "cells": {}}', "`cells` is an object, not a list"),
    "a cell that is a number": (_notebook_bytes([1]), "cell 1 is a number, not an object"),
    "a source line that is a number": (
        _notebook_bytes([{"cell_type": "code", "source": ["x = 1\n", 2]}]), "cell 1: `source` is a list"
    ),
    "a NUL in a cell": (_notebook_bytes([{"cell_type": "code", "source": "x = 1\x00"}]), "cell 1: the source contains a NUL"),
    "an unpaired surrogate": (b'{"nbformat": 4, "cells": [{"cell_type": "code", "source": "x = \\"\\ud800\\""}]}',
                              "unpaired surrogate"),
    "bytes that are not UTF-8": (_NOT_UTF8, f"not valid UTF-8 (byte 0xff at offset {_NOT_UTF8.index(bytes([0xFF]))})"),
    "nesting deeper than json can follow": (b"[" * 100_000 + b"]" * 100_000, "nested too deeply"),
    "a trailing comma": (b'{"nbformat": 4, "cells": [],}', "invalid notebook JSON: "),
}


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_malformed_notebooks_are_one_wce000_naming_the_problem(name: str) -> None:
    data, phrase = MALFORMED[name]
    result = lint_source(data, "nb.ipynb", SETTINGS)
    assert not result.internal_errors
    assert [d.code for d in result.diagnostics] == ["WCE000"]
    assert phrase in result.diagnostics[0].message, result.diagnostics[0].message
    fixed = fix_source(data, "nb.ipynb", SETTINGS, unsafe=True)
    assert not fixed.changed and not fixed.internal_errors


def test_a_notebook_with_a_byte_order_mark_is_read_and_keeps_it_when_fixed() -> None:
    original = (NOTEBOOKS / "fix_from_logits.ipynb").read_bytes()
    result = fix_source(b"\xef\xbb\xbf" + original, "nb.ipynb", SETTINGS, unsafe=True)
    assert result.fixed == b"\xef\xbb\xbf" + (NOTEBOOKS / "fix_from_logits.fixed.ipynb").read_bytes()


def test_repeated_keys_are_read_as_json_reads_them_the_last_one_wins() -> None:
    text = (
        '{"nbformat": 4, "metadata": {}, "cells": [{"cell_type": "code", "metadata": {}, "outputs": [],'
        ' "source": "x = 1", "source": ["from tensorflow import keras\\n",'
        ' "keras.Sequential([keras.layers.Dense(1)]).compile(loss=keras.losses.BinaryCrossentropy())"]}]}'
    )
    result = fix_source(text.encode(), "nb.ipynb", SETTINGS, unsafe=True)
    assert result.fixed.decode() == text.replace("BinaryCrossentropy()", "BinaryCrossentropy(from_logits=True)")


def test_non_code_cells_and_a_missing_source_are_fine() -> None:
    data = _notebook_bytes([
        {"cell_type": "raw", "metadata": {}, "source": _MISUSE},
        {"cell_type": "code", "metadata": {}, "outputs": []},
        {"cell_type": "markdown", "metadata": {}, "source": _MISUSE},
        {"cell_type": "code", "metadata": {}, "outputs": [], "source": _MISUSE},
    ])
    result = lint_source(data, "nb.ipynb", SETTINGS)
    assert [(d.code, d.start.cell, d.start.line) for d in result.diagnostics] == [("WCE203", 4, 2)]


# -- a notebook in a project -----------------------------------------------------------------------
def test_a_notebook_in_a_project_sees_its_modules_and_keeps_their_positions(tmp_path: Path) -> None:
    """A notebook importing the project's model: the finding is in the cell, the trace steps inside
    ganlab/models.py keep that file's own lines (they are not cell positions)."""
    project = tmp_path / "ganlab"
    shutil.copytree(FIXTURES / "projects" / "ganlab", project)
    (project / ".git").mkdir()
    notebook = nbformat.v4.new_notebook()
    notebook.cells = [
        nbformat.v4.new_markdown_cell("Exploring the discriminator"),
        nbformat.v4.new_code_cell("%load_ext autoreload\nimport torch\nfrom torch import nn\n"
                                  "from ganlab.models import Discriminator"),
        nbformat.v4.new_code_cell("discriminator = Discriminator()\nbatch = torch.randn(8, 784)\n"
                                  "loss = nn.BCEWithLogitsLoss()(discriminator(batch), torch.ones(8, 1))"),
    ]
    nbformat.write(notebook, project / "explore.ipynb")
    result = run_wce_lint(project, "--no-cache", "--output-format", "json", "explore.ipynb")
    no_traceback(result)
    (finding,) = json.loads(result.stdout)
    column = "loss = nn.BCEWithLogitsLoss()(discriminator(batch), torch.ones(8, 1))".index("discriminator(") + 1
    assert (finding["code"], finding["cell"], finding["location"]["row"], finding["location"]["column"]) == (
        "WCE101", 3, 3, column
    )
    in_models = [step for step in finding["related"] if step["filename"].endswith(os.path.join("ganlab", "models.py"))]
    assert in_models and all(step["cell"] is None for step in in_models)
    models = (project / "ganlab" / "models.py").read_text(encoding="utf-8").splitlines()
    sigmoid_step = next(step for step in in_models if "last layer" in step["message"])
    assert "nn.Sigmoid()" in models[sigmoid_step["location"]["row"] - 1]
