"""The composite GitHub Action (``action.yml``): its ``run`` steps executed in bash as the runner would.

The test plays the runner's part for what this action uses: it reads ``action.yml`` with PyYAML, fills each
step's ``env`` from the inputs (defaults from ``action.yml``) and from earlier steps' ``$GITHUB_OUTPUT``,
evaluates the steps' ``if:`` (only the forms the action uses; anything else fails the test, so a new
expression gets emulated rather than ignored) and runs each script with
``bash --noprofile --norc -eo pipefail FILE``, the runner's command for ``shell: bash``. The install step
really builds a virtualenv and pip-installs this checkout into it (dependencies from PyPI, about half a
minute, once per module).
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
ACTION = ROOT / "action.yml"
SCHEMA = json.loads((ROOT / "tests" / "data" / "sarif-schema-2.1.0.json").read_text(encoding="utf-8"))

MISUSE = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
"""
CLEAN = MISUSE.replace("pos_weight=-2.0", "pos_weight=2.0")
EXPRESSION = re.compile(r"\$\{\{\s*(.*?)\s*\}\}")
CONDITION = re.compile(r"^inputs\.([\w-]+)\s*(==|!=)\s*''$")


def action() -> dict[str, Any]:
    return yaml.safe_load(ACTION.read_text(encoding="utf-8"))


class Runner:
    """Runs the action's steps in ``workspace``; ``outputs`` holds what each step wrote to $GITHUB_OUTPUT."""

    def __init__(self, action_path: Path, temp: Path, workspace: Path) -> None:
        self.action_path, self.temp, self.workspace = action_path, temp, workspace
        self.outputs: dict[str, dict[str, str]] = {}

    def value(self, expression: str, inputs: dict[str, str]) -> str:
        kind, _, rest = expression.partition(".")
        if kind == "inputs":
            return inputs[rest]
        match = re.fullmatch(r"steps\.([\w-]+)\.outputs\.([\w-]+)", expression)
        if match:
            return self.outputs.get(match.group(1), {}).get(match.group(2), "")
        raise AssertionError(f"expression the test runner does not emulate: {expression!r}")

    def condition(self, text: str | None, inputs: dict[str, str]) -> bool:
        if text is None:
            return True
        match = CONDITION.match(text.strip())
        assert match, f"`if:` the test runner does not emulate: {text!r}"
        empty = inputs[match.group(1)] == ""
        return empty if match.group(2) == "==" else not empty

    def run(self, given: dict[str, str], steps: list[dict[str, Any]],
            environment: dict[str, str] | None = None) -> list[subprocess.CompletedProcess[str]]:
        spec = action()
        inputs = {name: str(item.get("default", "")) for name, item in spec["inputs"].items()}
        unknown = set(given) - set(inputs)
        assert not unknown, f"not inputs of the action: {unknown}"
        inputs.update(given)
        results = []
        for number, step in enumerate(steps):
            if not self.condition(step.get("if"), inputs):
                continue
            assert step["shell"] == "bash"
            env = {key: EXPRESSION.sub(lambda m: self.value(m.group(1), inputs), str(value))
                   for key, value in step.get("env", {}).items()}
            assert "${{" not in step["run"], "inputs must reach the script through env, not its text"
            script = self.temp / f"step{number}.sh"
            script.write_text(step["run"], encoding="utf-8")
            output = self.temp / f"output{number}"
            output.write_text("", encoding="utf-8")
            completed = subprocess.run(
                ["bash", "--noprofile", "--norc", "-eo", "pipefail", str(script)],
                cwd=self.workspace,
                env={
                    # not PYTHONPATH: the installed wce-lint must be the one that runs, not this checkout
                    **{key: value for key, value in os.environ.items() if key != "PYTHONPATH"},
                    # setup-python's interpreter first on PATH, as in a job that uses it
                    "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
                    "GITHUB_ACTION_PATH": str(self.action_path),
                    "GITHUB_WORKSPACE": str(self.workspace),
                    "GITHUB_OUTPUT": str(output),
                    "RUNNER_TEMP": str(self.temp),
                    **(environment or {}),
                    **env,
                },
                capture_output=True,
                text=True,
                timeout=600,
            )
            if "id" in step:
                lines = output.read_text(encoding="utf-8").splitlines()
                self.outputs[step["id"]] = dict(line.split("=", 1) for line in lines if "=" in line)
            results.append(completed)
            if completed.returncode != 0:
                break  # a failing step fails the job: later steps do not run
        return results


def copy_of_this_tree(target: Path) -> Path:
    shutil.copytree(ROOT, target, ignore=shutil.ignore_patterns(
        ".git", ".venv", "__pycache__", "*.egg-info", "build", ".wce_lint_cache", ".pytest_cache", ".hypothesis"))
    return target


@pytest.fixture(scope="module")
def installed(tmp_path_factory: pytest.TempPathFactory) -> Runner:
    """The install step, run once: the action's checkout is a copy of this working tree."""
    base = tmp_path_factory.mktemp("action")
    action_path = copy_of_this_tree(base / "wce-lint")
    temp = base / "runner-temp"
    temp.mkdir()
    workspace = base / "workspace"
    workspace.mkdir()
    runner = Runner(action_path, temp, workspace)
    (install,) = [step for step in action()["runs"]["steps"] if step.get("id") == "install"]
    (result,) = runner.run({}, [install])
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("wce-lint 0.1.0"), result.stdout
    assert Path(runner.outputs["install"]["bin"]).is_file()
    return runner


def lint_steps() -> list[dict[str, Any]]:
    steps = action()["runs"]["steps"]
    assert action()["runs"]["using"] == "composite" and steps[0].get("id") == "install"
    return steps[1:]


def project(runner: Runner, name: str, files: dict[str, str]) -> Path:
    root = runner.workspace / name
    root.mkdir()
    (root / ".git").mkdir()  # bounds the config search, as a repository root does
    for path, text in files.items():
        (root / path).parent.mkdir(parents=True, exist_ok=True)
        (root / path).write_text(text, encoding="utf-8")
    runner.workspace = root
    return root


@pytest.mark.slow
def test_findings_fail_the_job_with_annotations(installed: Runner) -> None:
    project(installed, "misuse", {"train.py": MISUSE})
    (result,) = installed.run({}, lint_steps())  # no sarif-file: the SARIF step is skipped
    assert result.returncode == 1, result.stderr
    (annotation,) = result.stdout.splitlines()
    assert annotation.startswith("::error file=train.py,line=5,col=")
    assert "title=WCE203 (negative-pos-weight)::" in annotation


@pytest.mark.slow
def test_a_clean_folder_passes(installed: Runner) -> None:
    project(installed, "clean", {"train.py": CLEAN})
    (result,) = installed.run({}, lint_steps())
    assert result.returncode == 0, result.stdout + result.stderr
    assert "::error" not in result.stdout


@pytest.mark.slow
def test_sarif_file_is_written_and_valid_and_the_job_still_fails(installed: Runner) -> None:
    root = project(installed, "sarif", {"train.py": MISUSE})
    sarif, lint = installed.run({"sarif-file": "wce-lint.sarif"}, lint_steps())
    assert sarif.returncode == 0, sarif.stderr  # the log is written despite the finding
    assert lint.returncode == 1 and lint.stdout.startswith("::error file=train.py,line=5,")
    document = json.loads((root / "wce-lint.sarif").read_text(encoding="utf-8"))
    jsonschema.validators.validator_for(SCHEMA)(SCHEMA).validate(document)
    (finding,) = document["runs"][0]["results"]
    assert finding["ruleId"] == "WCE203"


@pytest.mark.slow
def test_paths_and_args_reach_wce_lint(installed: Runner) -> None:
    project(installed, "paths", {"src/train.py": MISUSE, "tools/other.py": MISUSE, "vendor/lib.py": MISUSE})
    (result,) = installed.run({"paths": "src\ntools"}, lint_steps())
    assert result.returncode == 1
    assert sorted(line.split(",")[0] for line in result.stdout.splitlines()) == [
        "::error file=src/train.py", "::error file=tools/other.py"]
    (result,) = installed.run({"paths": "src", "args": "--ignore WCE203"}, lint_steps())
    assert (result.returncode, result.stdout) == (0, "")


@pytest.mark.slow
def test_hostile_inputs_are_data_not_code(installed: Runner) -> None:
    root = project(installed, "hostile", {"train.py": CLEAN})
    (result,) = installed.run({"args": "$(touch pwned) `touch pwned`", "paths": "*"}, lint_steps())
    assert not (root / "pwned").exists()
    # The words reach wce-lint as they are: neither is a path, and `*` is not expanded either.
    assert result.returncode == 2 and "no such file or directory" in result.stderr, result.stderr


def test_docs_show_the_action_with_its_real_inputs() -> None:
    """docs/ci.md's action snippet: `uses:` this repository, only inputs action.yml has, the upload of the
    file the action writes, and an upload that still runs when the action fails the job."""
    doc = (ROOT / "docs" / "ci.md").read_text(encoding="utf-8")
    blocks = [yaml.safe_load(block) for block in re.findall(r"^```yaml\n(.*?)^```", doc, re.MULTILINE | re.DOTALL)]
    (steps,) = [block["steps"] for block in blocks if isinstance(block, dict) and set(block) == {"steps"}]
    (uses,) = [step for step in steps if str(step.get("uses", "")).startswith("wce-lint/wce-lint@")]
    inputs = action()["inputs"]
    assert set(uses["with"]) <= set(inputs) and set(uses["with"]) == {"paths", "args", "sarif-file"}
    (upload,) = [step for step in steps if str(step.get("uses", "")).startswith("github/codeql-action/upload-sarif@")]
    assert upload["with"]["sarif_file"] == uses["with"]["sarif-file"]
    assert upload["if"] == "always()" and steps.index(upload) > steps.index(uses)
    # Every input is documented in the table, with its name as the first cell.
    table = {line.split("|")[1].strip().strip("`") for line in doc.splitlines() if line.startswith("| `")}
    assert set(inputs) <= table


@pytest.mark.slow
def test_version_installs_that_ref_of_the_actions_repository(tmp_path: Path) -> None:
    """`version: v9.9.9` installs the tag from the action's repository: here a local git repository served
    as the "server" (`git+file://`), whose tag carries a version number the working tree does not have."""
    from tests.test_precommit import git

    server = tmp_path / "server"
    repository = copy_of_this_tree(server / "someone" / "wce-lint")
    init = repository / "wce_lint" / "__init__.py"
    init.write_text(init.read_text(encoding="utf-8").replace('"0.1.0"', '"9.9.9"'), encoding="utf-8")
    git(repository, "init", "-q")
    git(repository, "add", "-A")
    git(repository, "commit", "-q", "-m", "release")
    git(repository, "tag", "v9.9.9")
    init.write_text(init.read_text(encoding="utf-8").replace('"9.9.9"', '"10.0.0.dev0"'), encoding="utf-8")
    git(repository, "commit", "-q", "-am", "after the release")
    temp, workspace = tmp_path / "runner-temp", tmp_path / "workspace"
    temp.mkdir()
    workspace.mkdir()
    runner = Runner(copy_of_this_tree(tmp_path / "action"), temp, workspace)
    (install,) = [step for step in action()["runs"]["steps"] if step.get("id") == "install"]
    (result,) = runner.run({"version": "v9.9.9"}, [install], {
        # a host part, as https://github.com has (older pip refuses `git+file:///…` in a `name @ url`)
        "GITHUB_SERVER_URL": f"file://localhost{server}", "GITHUB_ACTION_REPOSITORY": "someone/wce-lint"})
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.strip().endswith("wce-lint 9.9.9"), result.stdout
