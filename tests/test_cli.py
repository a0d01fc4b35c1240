"""The real ``wce-lint`` command, run in a subprocess: exit codes, stdout and stderr.

Each project lives in a temporary folder holding a ``.git`` marker, so the upward config search stops there
and never picks up a configuration from outside the test.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from click.testing import CliRunner

from tests.cli_helpers import no_traceback, run_wce_lint
from wce_lint.cli import main
from wce_lint.rules import REGISTRY

NEGATIVE_POS_WEIGHT = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
"""
# Line 5; `-2.0` starts at 0-based column 83, i.e. column 84 for the user.
FINDING_PREFIX = "train.py:5:84: WCE203 "

CLEAN = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=2.0)
"""


def run(cwd: Path, *args: str, stdin: str | bytes | None = None) -> subprocess.CompletedProcess[str]:
    return run_wce_lint(cwd, *args, stdin=stdin.encode() if isinstance(stdin, str) else stdin)


def write(root: Path, relative: str, text: str | bytes) -> Path:
    path = root / relative
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


# -- exit codes and the two text formats -----------------------------------------------------------
def test_clean_tree_exits_0_and_says_so(project: Path) -> None:
    write(project, "train.py", CLEAN)
    result = run(project)
    assert result.returncode == 0, result.stderr
    assert result.stdout == "All checks passed!\n"
    assert result.stderr == ""


def test_finding_exits_1_in_concise_format_when_piped(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project)
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].startswith(FINDING_PREFIX)
    assert "-2.0" in lines[0]
    assert lines[-1] == "Found 1 error."
    assert len(lines) == 2  # concise: nothing but the finding and the summary


def test_full_format_quotes_the_line_with_a_caret_under_the_argument(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project, "--output-format", "full")
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert lines[0].startswith(FINDING_PREFIX)
    source_row = next(i for i, line in enumerate(lines) if line.startswith("5 | "))
    source, underline = lines[source_row], lines[source_row + 1]
    assert source == "5 |     return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)"
    assert underline.index("^") == source.index("-2.0")
    assert underline.endswith("^^^^ WCE203")
    assert any(line.startswith("  = help: ") for line in lines)
    assert lines[-1] == "Found 1 error."


def test_full_format_shows_where_a_named_weight_was_bound(project: Path) -> None:
    write(
        project,
        "train.py",
        """\
        import tensorflow as tf

        NEG = -3.0


        def loss_fn(x, y):
            return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=NEG)
        """,
    )
    result = run(project, "--output-format", "full")
    assert result.returncode == 1, result.stdout + result.stderr
    notes = [line for line in result.stdout.splitlines() if line.startswith("  = note: ")]
    assert notes and notes[0].startswith("  = note: train.py:3:")


@pytest.mark.skipif(not hasattr(os, "openpty"), reason="needs a pseudo-terminal")
def test_full_is_the_default_on_a_terminal(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    controller, terminal = os.openpty()
    try:
        completed = subprocess.run(
            [sys.executable, "-m", "wce_lint"], cwd=project, stdout=terminal, stderr=subprocess.PIPE, timeout=120
        )
        os.close(terminal)
        output = b""
        while True:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # EIO: the terminal's other end is closed and drained
                break
            if not chunk:
                break
            output += chunk
    finally:
        os.close(controller)
    assert completed.returncode == 1
    assert "5 |     return tf.nn.weighted_cross_entropy_with_logits" in output.decode()


def test_exit_zero_keeps_the_findings_but_exits_0(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project, "--exit-zero")
    assert result.returncode == 0
    assert result.stdout.startswith(FINDING_PREFIX)


def test_quiet_drops_the_summary_line(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project, "--quiet")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [result.stdout.splitlines()[0]]
    assert "Found" not in result.stdout
    clean = run(project, "-q", "--ignore", "WCE203")
    assert clean.returncode == 0 and clean.stdout == ""


def test_statistics_counts_findings_per_code(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    write(project, "other.py", NEGATIVE_POS_WEIGHT)
    write(project, "broken.py", "import tensorflow as tf\ntf.nn.weighted_cross_entropy_with_logits(\n")
    result = run(project, "--statistics")
    assert result.returncode == 1
    assert result.stdout.splitlines() == [
        "2\tWCE203\t[ ] negative-pos-weight",
        "1\tWCE000\t[ ] syntax-error",
        "Found 3 errors.",
    ]
    as_json = run(project, "--statistics", "--output-format", "json")
    assert json.loads(as_json.stdout) == [
        {"code": "WCE203", "name": "negative-pos-weight", "count": 2, "fixable": False},
        {"code": "WCE000", "name": "syntax-error", "count": 1, "fixable": False},
    ]


# -- files that cannot be read ---------------------------------------------------------------------
def test_unreadable_files_are_three_wce000_findings_without_traceback(project: Path) -> None:
    # The syntax error must sit in a file the pre-check lets through: it mentions a loss.
    write(project, "syntax.py", "import tensorflow as tf\nloss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=(x)\n")
    write(project, "latin.py", "# a comment\nname = 'caf\xe9'\n".encode("latin-1"))
    write(project, "binary.py", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR")
    write(project, "train.py", CLEAN)
    result = run(project)
    no_traceback(result)
    assert result.returncode == 1
    findings = result.stdout.splitlines()[:-1]
    assert [line.split(":")[0] for line in findings] == ["binary.py", "latin.py", "syntax.py"]
    assert all(" WCE000 " in line for line in findings)
    assert findings[2].startswith("syntax.py:2:")
    assert result.stdout.splitlines()[-1] == "Found 3 errors."


def test_missing_path_is_an_error_but_the_other_paths_are_checked(project: Path) -> None:
    # A typo in a CI command must not pass silently as "All checks passed!".
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project, "train.py", "nowhere.py")
    no_traceback(result)
    assert result.returncode == 2
    assert "wce-lint: error: nowhere.py: no such file or directory" in result.stderr
    assert FINDING_PREFIX in result.stdout


# -- configuration ---------------------------------------------------------------------------------
def test_bad_config_value_exits_2_naming_file_and_key(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\npreview = "yes"\n')
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    result = run(project)
    no_traceback(result)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr == (
        'wce-lint: error: pyproject.toml: [tool.wce-lint] preview: expected a boolean (true or false), got "yes"\n'
    )


def test_unknown_config_key_exits_2_with_a_suggestion(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nselct = ["WCE2"]\n')
    write(project, "train.py", CLEAN)
    result = run(project)
    assert result.returncode == 2
    assert 'unknown key "selct"' in result.stderr
    assert 'did you mean "select"?' in result.stderr
    assert len(result.stderr.splitlines()) == 1


def test_unknown_code_in_config_exits_2(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nignore = ["WCE999"]\n')
    write(project, "train.py", CLEAN)
    result = run(project)
    assert result.returncode == 2
    assert '[tool.wce-lint] ignore: unknown rule selector "WCE999"' in result.stderr


def test_config_is_found_from_a_subfolder_and_globs_are_relative_to_it(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nper-file-ignores = { "pkg/generated/*.py" = ["WCE203"] }\n')
    write(project, "pkg/generated/train.py", NEGATIVE_POS_WEIGHT)
    write(project, "pkg/train.py", NEGATIVE_POS_WEIGHT)
    result = run(project / "pkg", ".")
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["train.py"]


def test_explicit_config_file_holds_keys_at_top_level(project: Path) -> None:
    write(project, "ci/lint.toml", 'ignore = ["negative-pos-weight"]\n')
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    assert run(project).returncode == 1
    result = run(project, "--config", "ci/lint.toml")
    assert result.returncode == 0, result.stderr
    missing = run(project, "--config", "nope.toml")
    assert missing.returncode == 2 and "nope.toml" in missing.stderr


def test_output_format_comes_from_config_and_the_flag_overrides_it(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\noutput-format = "json"\n')
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    from_config = run(project)
    assert json.loads(from_config.stdout)[0]["code"] == "WCE203"
    overridden = run(project, "--output-format", "concise")
    assert overridden.stdout.startswith(FINDING_PREFIX)


def test_force_exclude_applies_config_excludes_to_named_files(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nextend-exclude = ["generated"]\n')
    write(project, "generated/train.py", NEGATIVE_POS_WEIGHT)
    assert run(project).returncode == 0  # the folder is skipped while walking
    assert run(project, "generated/train.py").returncode == 1  # named explicitly: checked
    # pre-commit passes files one by one: --force-exclude must see the excluded folder holding them.
    forced = run(project, "--force-exclude", "generated/train.py")
    assert forced.returncode == 0 and "WCE203" not in forced.stdout
    forced_stdin = run(
        project, "--force-exclude", "-", "--stdin-filename", "generated/train.py", stdin=NEGATIVE_POS_WEIGHT
    )
    assert forced_stdin.returncode == 0 and "WCE203" not in forced_stdin.stdout
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    assert run(project, "--force-exclude", "generated/train.py", "train.py").returncode == 1


# -- rule selection on the command line ------------------------------------------------------------
def test_ignore_select_and_extend_select(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nignore = ["WCE2"]\n')
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    assert run(project).returncode == 0
    # --select replaces the file's select and ignore (ruff's precedence) …
    assert run(project, "--select", "negative-pos-weight").returncode == 1
    # … and --extend-select takes a code back out of the file's ignore.
    assert run(project, "--extend-select", "WCE203").returncode == 1
    assert run(project, "--select", "WCE000,WCE203", "--ignore", "WCE2").returncode == 0


def test_unknown_selector_on_the_command_line_exits_2(project: Path) -> None:
    write(project, "train.py", CLEAN)
    result = run(project, "--select", "WCE203,WCE999")
    no_traceback(result)
    assert result.returncode == 2
    assert result.stderr.startswith('wce-lint: error: --select: unknown rule selector "WCE999"')


def test_usage_errors_are_one_line_and_exit_2(project: Path) -> None:
    result = run(project, "--output-format", "xml")
    assert result.returncode == 2
    assert result.stderr.startswith("wce-lint: error: ")
    assert len(result.stderr.splitlines()) == 1


# -- suppression -----------------------------------------------------------------------------------
def test_noqa_suppresses_and_its_absence_reports(project: Path) -> None:
    suppressed = NEGATIVE_POS_WEIGHT.replace("-2.0)", "-2.0)  # noqa: WCE203")
    by_name = NEGATIVE_POS_WEIGHT.replace("-2.0)", "-2.0)  # noqa: negative-pos-weight")
    other_code = NEGATIVE_POS_WEIGHT.replace("-2.0)", "-2.0)  # noqa: WCE101")
    write(project, "a.py", suppressed)
    write(project, "b.py", by_name)
    write(project, "c.py", other_code)
    write(project, "d.py", NEGATIVE_POS_WEIGHT)
    result = run(project)
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["c.py", "d.py"]


def test_per_file_ignores_suppress_only_matching_files(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nper-file-ignores = { "tests/*.py" = ["WCE203"] }\n')
    write(project, "tests/test_loss.py", NEGATIVE_POS_WEIGHT)
    write(project, "src/loss.py", NEGATIVE_POS_WEIGHT)
    result = run(project)
    assert result.returncode == 1
    assert [line.split(":")[0] for line in result.stdout.splitlines()[:-1]] == ["src/loss.py"]


# -- json ------------------------------------------------------------------------------------------
def test_json_output_parses_and_carries_ruffs_fields(project: Path) -> None:
    write(project, "train.py", NEGATIVE_POS_WEIGHT)
    write(project, "broken.py", b"\x00")
    result = run(project, "--output-format", "json")
    assert result.returncode == 1
    findings = json.loads(result.stdout)  # nothing but the document on stdout: no summary line
    assert [f["code"] for f in findings] == ["WCE000", "WCE203"]
    finding = findings[1]
    assert finding["filename"] == str(project / "train.py")
    assert finding["location"] == {"row": 5, "column": 84}
    assert finding["end_location"] == {"row": 5, "column": 88}
    assert finding["rule"] == "negative-pos-weight"
    assert finding["severity"] == "error"
    assert finding["fix"] is None
    assert finding["url"] == REGISTRY["WCE203"].url
    assert finding["noqa_row"] == 5
    assert "-2.0" in finding["message"] and finding["help"]
    assert isinstance(finding["related"], list)


# -- standard input --------------------------------------------------------------------------------
def test_stdin_is_reported_under_its_filename(project: Path) -> None:
    result = run(project, "-", "--stdin-filename", "train.py", stdin=NEGATIVE_POS_WEIGHT)
    assert result.returncode == 1
    assert result.stdout.startswith(FINDING_PREFIX)
    full = run(project, "--stdin-filename", "train.py", "--output-format", "full", stdin=NEGATIVE_POS_WEIGHT)
    assert "5 |     return tf.nn.weighted" in full.stdout  # the source line comes from stdin, not disk
    anonymous = run(project, "-", stdin=NEGATIVE_POS_WEIGHT)
    assert anonymous.stdout.startswith("-:5:84: WCE203 ")


def test_stdin_filename_gets_per_file_ignores(project: Path) -> None:
    write(project, "pyproject.toml", '[tool.wce-lint]\nper-file-ignores = { "tests/*.py" = ["WCE203"] }\n')
    ignored = run(project, "-", "--stdin-filename", "tests/test_x.py", stdin=NEGATIVE_POS_WEIGHT)
    assert ignored.returncode == 0, ignored.stdout
    reported = run(project, "-", "--stdin-filename", "src/x.py", stdin=NEGATIVE_POS_WEIGHT)
    assert reported.returncode == 1


def test_stdin_cannot_be_mixed_with_paths(project: Path) -> None:
    result = run(project, "-", "train.py", stdin="")
    assert result.returncode == 2 and result.stderr.startswith("wce-lint: error: ")


# -- the rule command ------------------------------------------------------------------------------
def test_rule_by_code_and_by_name_print_the_same_doc(project: Path) -> None:
    by_code = run(project, "rule", "WCE203")
    by_name = run(project, "rule", "negative-pos-weight")
    assert by_code.returncode == by_name.returncode == 0
    assert by_code.stdout == by_name.stdout
    rule = REGISTRY["WCE203"]
    assert by_code.stdout.startswith(f"# {rule.name} ({rule.code})\n\n{rule.summary}\n")
    assert rule.doc.strip() in by_code.stdout


def test_rule_all_lists_every_registered_rule(project: Path) -> None:
    text = run(project, "rule", "--all")
    assert text.returncode == 0
    assert [line.split()[0] for line in text.stdout.splitlines()] == list(REGISTRY)
    as_json = run(project, "rule", "--all", "--output-format", "json")
    rules = json.loads(as_json.stdout)
    assert [(r["code"], r["name"], r["preview"]) for r in rules] == [
        (rule.code, rule.name, rule.preview) for rule in REGISTRY.values()
    ]


def test_unknown_rule_exits_2(project: Path) -> None:
    result = run(project, "rule", "NOPE")
    no_traceback(result)
    assert result.returncode == 2
    assert result.stderr.startswith('wce-lint: error: unknown rule "NOPE"')
    typo = run(project, "rule", "negative-pos-weigth")
    assert 'did you mean "negative-pos-weight"?' in typo.stderr


def test_a_path_named_rule_is_checked_as_dot_slash_rule(project: Path) -> None:
    write(project, "rule/train.py", NEGATIVE_POS_WEIGHT)
    result = run(project, "./rule")
    assert result.returncode == 1
    assert result.stdout.startswith("rule/train.py:5:84: WCE203")


# -- startup cost ----------------------------------------------------------------------------------
HEAVY = ("libcst", "tensorflow", "torch", "jax")


def test_version_imports_nothing_heavy(tmp_path: Path) -> None:
    probe = textwrap.dedent(
        f"""
        import sys
        from click.testing import CliRunner
        from wce_lint.cli import main

        result = CliRunner().invoke(main, ["--version"])
        assert result.exit_code == 0, result.output
        assert result.output.startswith("wce-lint "), result.output
        heavy = sorted(m for m in sys.modules if m.split(".")[0] in {HEAVY!r})
        assert not heavy, heavy
        """
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr


def test_version_in_a_real_process_does_not_load_libcst(tmp_path: Path) -> None:
    completed = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "wce_lint", "--version"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
    )
    from wce_lint import __version__

    assert completed.returncode == 0
    assert completed.stdout == f"wce-lint {__version__}\n"
    imported = {line.rsplit("|", 1)[-1].strip().split(".")[0] for line in completed.stderr.splitlines()}
    assert "wce_lint" in imported  # the probe itself works
    assert not imported & set(HEAVY)


# -- quick in-process checks -----------------------------------------------------------------------
def test_help_lists_the_formats_from_the_registry_and_mentions_the_rule_command() -> None:
    from wce_lint.report import FORMATS

    result = CliRunner().invoke(main, ["--help"])
    assert result.exit_code == 0
    assert result.output.startswith("Usage: wce-lint [OPTIONS] [PATHS]...")
    assert f"[{'|'.join(FORMATS)}]" in result.output
    assert "wce-lint rule --all" in result.output


def test_rule_without_code_or_all_is_a_usage_error() -> None:
    result = CliRunner().invoke(main, ["rule"])
    assert result.exit_code == 2
    assert "give a rule code or name, or --all" in result.output


def test_rule_json_for_one_rule() -> None:
    result = CliRunner().invoke(main, ["rule", "WCE000", "--output-format", "json"])
    assert result.exit_code == 0
    data = json.loads(result.output)
    assert data["code"] == "WCE000" and data["name"] == "syntax-error"
    assert data["explanation"].startswith("## What it does")
