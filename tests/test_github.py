"""``--output-format github`` (workflow commands, escaping) and the CI recipe in docs/ci.md.

The parser below follows GitHub's runner (``ActionCommand.TryParseV2`` in actions/runner): the command is
what lies between the leading ``::`` and the next ``::``; properties are split on ``,`` and then on the first
``=``; values are unescaped mapping by mapping, ``%25`` last. Round-tripping hostile names and messages
through it is what shows the escaping is right.
"""

from __future__ import annotations

import json
import re
import shlex
import subprocess
import sys
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import given
from hypothesis import strategies as st

from wce_lint.diagnostics import Diagnostic, Position, Severity
from wce_lint.report import FORMATS
from wce_lint.report.github import escape_data, workflow_command
from wce_lint.rule import Rule
from wce_lint.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
CI_DOC = ROOT / "docs" / "ci.md"

MISUSE = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
"""
COLUMN = MISUSE.splitlines()[4].index("-2.0") + 1  # 1-based, as GitHub counts

_DATA_UNESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%25", "%"))
_PROPERTY_UNESCAPES = (("%0D", "\r"), ("%0A", "\n"), ("%3A", ":"), ("%2C", ","), ("%25", "%"))


def unescape(text: str, mappings: tuple[tuple[str, str], ...]) -> str:
    for escaped, plain in mappings:
        text = text.replace(escaped, plain)
    return text


def parse_command(line: str) -> tuple[str, dict[str, str], str]:
    """(command, properties, message) as the runner reads one line of a step's output."""
    assert line.startswith("::"), line
    end = line.index("::", 2)
    command, _, properties_text = line[2:end].partition(" ")
    properties = {}
    for item in properties_text.split(","):
        if item:
            key, _, value = item.partition("=")
            properties[key] = unescape(value, _PROPERTY_UNESCAPES)
    return command, properties, unescape(line[end + 2 :], _DATA_UNESCAPES)


def diagnostic(path: str = "train.py", message: str = "`pos_weight` is negative", **changes: Any) -> Diagnostic:
    base = Diagnostic(
        code="WCE203",
        rule="negative-pos-weight",
        message=message,
        path=path,
        start=Position(5, COLUMN - 1),
        end=Position(5, COLUMN + 3),
    )
    return replace(base, **changes)


# -- one command -----------------------------------------------------------------------------------
def test_command_has_the_documented_shape() -> None:
    assert workflow_command(diagnostic()) == (
        f"::error file=train.py,line=5,col={COLUMN},endLine=5,endColumn={COLUMN + 4},"
        "title=WCE203 (negative-pos-weight)::`pos_weight` is negative"
    )


def test_multi_line_span_drops_the_columns() -> None:
    command, properties, _ = parse_command(workflow_command(diagnostic(end=Position(7, 4))))
    assert command == "error"
    assert properties == {"file": "train.py", "line": "5", "endLine": "7", "title": "WCE203 (negative-pos-weight)"}


def test_help_follows_the_message_on_a_second_line() -> None:
    _, _, message = parse_command(workflow_command(diagnostic(help="use a positive weight")))
    assert message == "`pos_weight` is negative\nhelp: use a positive weight"


def test_warning_severity_and_preview_rules_are_warnings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert workflow_command(diagnostic(severity=Severity.WARNING)).startswith("::warning ")
    preview = Rule(code="WCE999", name="preview-rule", summary="", doc="", check=lambda module: (), preview=True)
    monkeypatch.setitem(REGISTRY, "WCE999", preview)
    assert workflow_command(diagnostic(code="WCE999", rule="preview-rule")).startswith("::warning ")
    assert workflow_command(diagnostic()).startswith("::error ")


HOSTILE_PATHS = [
    "a,b.py",
    "c:d.py",
    "100%.py",
    "%2C.py",
    "%25.py",
    "new\nline.py",
    "carriage\rreturn.py",
    "dir,with=equals/title=x.py",
    "::error file=evil.py::.py",
    "ünïcødé ☃.py",
]
HOSTILE_MESSAGES = [
    "100% sure",
    "two\nlines",
    "crlf\r\nline",
    "%0A is not a newline",
    "::error file=evil.py::injected",
    "a, b: c",
    "%25%2C%3A",
]


@pytest.mark.parametrize("path", HOSTILE_PATHS)
@pytest.mark.parametrize("message", HOSTILE_MESSAGES)
def test_hostile_names_and_messages_round_trip(path: str, message: str) -> None:
    line = workflow_command(diagnostic(path=path, message=message))
    assert "\n" not in line and "\r" not in line  # one finding, one line of the step's log
    command, properties, parsed_message = parse_command(line)
    assert command == "error"
    assert properties["file"] == path
    assert properties["line"] == "5" and properties["col"] == str(COLUMN)
    assert properties["title"] == "WCE203 (negative-pos-weight)"
    assert parsed_message == message


@given(path=st.text(min_size=1), message=st.text())
def test_any_text_round_trips(path: str, message: str) -> None:
    _, properties, parsed_message = parse_command(workflow_command(diagnostic(path=path, message=message)))
    assert properties["file"] == path and parsed_message == message


def test_an_unescaped_comma_would_break_the_file_property() -> None:
    """The negative case: without property escaping the runner reads a different file and loses a line."""
    naive = "::error file=a,b.py,line=5,title=WCE203::message"
    _, properties, _ = parse_command(naive)
    assert properties["file"] == "a" and "b.py" in properties
    _, escaped, _ = parse_command(workflow_command(diagnostic(path="a,b.py")))
    assert escaped["file"] == "a,b.py"


def test_an_unescaped_newline_would_split_the_annotation() -> None:
    """The negative case for messages: a raw newline ends the command; the rest is a plain log line."""
    raw = "::error file=train.py,line=5::first\nsecond"
    assert parse_command(raw.splitlines()[0])[2] == "first"
    assert escape_data("first\nsecond") == "first%0Asecond"


# -- the real command ------------------------------------------------------------------------------
def run_cli(cwd: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "wce_lint", "--no-cache", *args], cwd=cwd, capture_output=True, text=True, timeout=120
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()  # the config search stops here
    return tmp_path


def test_cli_annotates_a_hostile_file_name(project: Path) -> None:
    name = "100%, weighted: loss.py"
    (project / name).write_text(MISUSE, encoding="utf-8")
    result = run_cli(project, "--output-format", "github", ".")
    assert result.returncode == 1, result.stderr
    lines = result.stdout.splitlines()
    assert len(lines) == 1, result.stdout  # machine-readable: no summary line
    command, properties, message = parse_command(lines[0])
    assert command == "error"
    assert properties == {
        "file": name,
        "line": "5",
        "col": str(COLUMN),
        "endLine": "5",
        "endColumn": str(COLUMN + 4),
        "title": "WCE203 (negative-pos-weight)",
    }
    assert message.startswith("`pos_weight` of `tf.nn.weighted_cross_entropy_with_logits` is negative (-2.0)")


def test_cli_prints_nothing_on_clean_code(project: Path) -> None:
    (project / "train.py").write_text(MISUSE.replace("-2.0", "2.0"), encoding="utf-8")
    result = run_cli(project, "--output-format", "github", ".")
    assert (result.returncode, result.stdout) == (0, "")


def test_format_is_registered() -> None:
    assert FORMATS["github"].machine_readable


# -- docs/ci.md ------------------------------------------------------------------------------------
def yaml_blocks(markdown: str) -> list[Any]:
    return [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", markdown, re.MULTILINE | re.DOTALL)]


def github_workflow(blocks: list[Any]) -> dict[str, Any]:
    # PyYAML reads the key `on` as the boolean True (YAML 1.1).
    (workflow,) = [b for b in blocks if isinstance(b, dict) and "jobs" in b and ("on" in b or True in b)]
    return workflow


def workflow_problems(workflow: dict[str, Any]) -> list[str]:
    """What keeps the workflow from annotating PRs and feeding code scanning; empty when it does both."""
    problems = []
    steps = [step for job in workflow["jobs"].values() for step in job.get("steps", [])]
    runs = [step.get("run", "") for step in steps]
    if not any("wce-lint" in run and "--output-format github" in run for run in runs):
        problems.append("no wce-lint step with --output-format github")
    sarif_steps = [i for i, run in enumerate(runs) if "wce-lint" in run and "--output-format sarif" in run]
    uploads = [i for i, step in enumerate(steps) if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    if not sarif_steps:
        problems.append("no wce-lint step with --output-format sarif")
    if not uploads:
        problems.append("no github/codeql-action/upload-sarif step")
    if sarif_steps and uploads:
        written = runs[sarif_steps[0]].split(">")[-1].strip()
        if steps[uploads[0]].get("with", {}).get("sarif_file") != written:
            problems.append(f"upload-sarif does not upload {written!r}")
        if uploads[0] < sarif_steps[0]:
            problems.append("upload-sarif runs before the SARIF is written")
        if "--exit-zero" not in runs[sarif_steps[0]] and "if" not in steps[uploads[0]]:
            problems.append("findings would stop the job before the upload")
    if not any(job.get("permissions", {}).get("security-events") == "write" for job in workflow["jobs"].values()):
        problems.append("upload-sarif needs `security-events: write`")
    return problems


def test_ci_doc_workflow_annotates_and_uploads_sarif() -> None:
    assert workflow_problems(github_workflow(yaml_blocks(CI_DOC.read_text(encoding="utf-8")))) == []


@pytest.mark.parametrize(
    "remove, expected",
    [
        ("--output-format github", "no wce-lint step with --output-format github"),
        ("--output-format sarif", "no wce-lint step with --output-format sarif"),
        ("github/codeql-action/upload-sarif", "no github/codeql-action/upload-sarif step"),
    ],
)
def test_workflow_check_notices_a_missing_step(remove: str, expected: str) -> None:
    """The negative case: the same workflow with one of its steps removed is refused."""
    workflow = github_workflow(yaml_blocks(CI_DOC.read_text(encoding="utf-8")))
    for job in workflow["jobs"].values():
        job["steps"] = [step for step in job["steps"] if remove not in str(step.get("run", step.get("uses", "")))]
    assert expected in workflow_problems(workflow)


def wce_lint_commands(lines: list[str]) -> list[tuple[list[str], str | None]]:
    """The wce-lint invocations among shell lines, as (arguments, file stdout is redirected to)."""
    commands = []
    for line in lines:
        words = shlex.split(line)
        if not words or words[0] != "wce-lint":
            continue
        target = None
        if ">" in words:
            target = words[words.index(">") + 1]
            words = words[: words.index(">")]
        commands.append((words[1:], target))
    return commands


def test_ci_doc_commands_work_as_written(project: Path) -> None:
    """Each wce-lint line of both recipes, run in a project with one misuse, does what the doc says."""
    blocks = yaml_blocks(CI_DOC.read_text(encoding="utf-8"))
    workflow = github_workflow(blocks)
    (gitlab,) = [b for b in blocks if isinstance(b, dict) and "wce-lint" in b and "script" in b["wce-lint"]]
    github_lines = [step.get("run", "") for job in workflow["jobs"].values() for step in job["steps"]]
    commands = wce_lint_commands(github_lines) + wce_lint_commands(gitlab["wce-lint"]["script"])
    assert len(commands) == 4
    assert gitlab["wce-lint"]["artifacts"]["paths"] == ["wce-lint.sarif"]

    (project / "train.py").write_text(MISUSE, encoding="utf-8")
    for args, target in commands:
        result = run_cli(project, *args)
        assert "Traceback" not in result.stderr
        if target is not None:  # the SARIF step: --exit-zero so the upload still runs
            assert result.returncode == 0, result.stderr
            document = json.loads(result.stdout)
            assert document["version"] == "2.1.0" and len(document["runs"][0]["results"]) == 1
        else:
            assert result.returncode == 1, result.stderr
            if "github" in args:
                assert result.stdout.startswith("::error file=train.py,line=5,")
            else:
                assert result.stdout.startswith(f"train.py:5:{COLUMN}: WCE203 ")
