"""The pre-commit hooks, run for real: ``pre-commit`` clones this checkout, builds the hook's virtualenv
(pip-installing wce-lint from the clone, its dependencies from PyPI) and runs it in a throwaway project.

pre-commit installs a hook repository at a commit, so the test first copies the current working tree
(tracked and untracked files, not ignored ones) into a fresh git repository and commits it there: the hook
under test is the code as it is now, not the last commit. The first run takes about a minute (the virtualenv
is built once per module, under a temporary ``PRE_COMMIT_HOME``).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parent.parent
MANIFEST = ROOT / ".pre-commit-hooks.yaml"

MISUSE = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
"""
CLEAN = MISUSE.replace("pos_weight=-2.0", "pos_weight=2.0")
# A notebook holding the same misuse in its second code cell (pre-commit tags `.ipynb` files `jupyter`).
NOTEBOOK = json.dumps(
    {
        "cells": [
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": ["%matplotlib inline\n", "import tensorflow as tf"]},
            {"cell_type": "code", "execution_count": None, "metadata": {}, "outputs": [],
             "source": ["loss = tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)"]},
        ],
        "metadata": {},
        "nbformat": 4,
        "nbformat_minor": 5,
    },
    indent=1,
) + "\n"
PROJECT_CONFIG = """\
[tool.wce-lint]
extend-exclude = ["vendor/**"]
"""

GIT_ENV = {
    "GIT_AUTHOR_NAME": "wce-lint tests",
    "GIT_AUTHOR_EMAIL": "tests@example.invalid",
    "GIT_COMMITTER_NAME": "wce-lint tests",
    "GIT_COMMITTER_EMAIL": "tests@example.invalid",
    "GIT_CONFIG_NOSYSTEM": "1",
}


def git(cwd: Path, *args: str) -> str:
    completed = subprocess.run(
        ["git", "-c", "commit.gpgsign=false", "-c", "init.defaultBranch=main", *args],
        cwd=cwd,
        env={**os.environ, **GIT_ENV},
        capture_output=True,
        text=True,
        check=True,
    )
    return completed.stdout.strip()


def pre_commit_command() -> list[str]:
    beside_python = Path(sys.executable).with_name("pre-commit")
    return [str(beside_python)] if beside_python.exists() else [sys.executable, "-m", "pre_commit"]


def run_pre_commit(project: Path, home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*pre_commit_command(), "run", "--all-files", "--color", "never", *args],
        cwd=project,
        env={**os.environ, **GIT_ENV, "PRE_COMMIT_HOME": str(home)},
        capture_output=True,
        text=True,
        timeout=900,
    )


def working_tree_files(root: Path) -> list[Path]:
    """The files of the checkout as they are now: tracked and untracked, minus what .gitignore ignores."""
    if (root / ".git").exists():
        listed = git(root, "ls-files", "-z", "--cached", "--others", "--exclude-standard")
        return [Path(name) for name in listed.split("\0") if name and (root / name).is_file()]
    ignored = {".git", ".venv", "venv", "__pycache__", ".pytest_cache", ".hypothesis", ".wce_lint_cache"}
    return [
        path.relative_to(root)
        for path in root.rglob("*")
        if path.is_file() and not ignored.intersection(path.relative_to(root).parts)
        and not any(part.endswith(".egg-info") for part in path.parts)
    ]


@pytest.fixture(scope="module")
def hook_repo(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str]:
    """A git repository holding a commit of the current working tree, and that commit's sha."""
    repo = tmp_path_factory.mktemp("hook-repo")
    for relative in working_tree_files(ROOT):
        if relative.parts[0] == "fixtures":  # not part of the package; nothing the hook needs
            continue
        target = repo / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / relative, target)
    git(repo, "init", "-q")
    git(repo, "add", "-A")
    git(repo, "commit", "-q", "-m", "snapshot of the working tree under test")
    return repo, git(repo, "rev-parse", "HEAD")


@pytest.fixture(scope="module")
def pre_commit_home(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("pre-commit-home")


def make_project(path: Path, hook_repo: tuple[Path, str], hook_id: str) -> Path:
    repo, sha = hook_repo
    path.mkdir()
    git(path, "init", "-q")
    config = {"repos": [{"repo": str(repo), "rev": sha, "hooks": [{"id": hook_id}]}]}
    (path / ".pre-commit-config.yaml").write_text(yaml.safe_dump(config), encoding="utf-8")
    (path / "pyproject.toml").write_text(PROJECT_CONFIG, encoding="utf-8")
    (path / "train.py").write_text(MISUSE, encoding="utf-8")
    (path / "explore.ipynb").write_text(NOTEBOOK, encoding="utf-8")
    # Excluded by the project's config: the hook passes it explicitly, --force-exclude must still skip it.
    (path / "vendor").mkdir()
    (path / "vendor" / "third_party.py").write_text(MISUSE, encoding="utf-8")
    # Not Python: types_or keeps it away from the hook (wce-lint checks any file it is given by name).
    (path / "snippet.txt").write_text(MISUSE, encoding="utf-8")
    git(path, "add", "-A")
    return path


# -- the manifest (fast) ---------------------------------------------------------------------------
def validate_manifest(path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [*pre_commit_command(), "validate-manifest", str(path)], capture_output=True, text=True, timeout=120
    )


def test_manifest_is_valid_for_pre_commit_and_declares_both_hooks() -> None:
    assert validate_manifest(MANIFEST).returncode == 0
    hooks = {hook["id"]: hook for hook in yaml.safe_load(MANIFEST.read_text(encoding="utf-8"))}
    assert set(hooks) == {"wce-lint", "wce-lint-fix"}
    for hook in hooks.values():
        assert hook["language"] == "python"
        assert hook["types_or"] == ["python", "pyi", "jupyter"]
        assert hook["require_serial"] is False
        assert hook["entry"].split()[:2] == ["wce-lint", "--force-exclude"]
    assert "--fix" in hooks["wce-lint-fix"]["entry"].split()
    assert "--fix" not in hooks["wce-lint"]["entry"].split()


def test_validate_manifest_rejects_a_broken_manifest(tmp_path: Path) -> None:
    """The check above can fail: pre-commit refuses a hook without an entry."""
    broken = tmp_path / ".pre-commit-hooks.yaml"
    broken.write_text("- id: wce-lint\n  name: wce-lint\n  language: python\n", encoding="utf-8")
    assert validate_manifest(broken).returncode != 0


# -- the hooks, for real (slow) --------------------------------------------------------------------
@pytest.mark.slow
def test_hook_fails_on_the_misuse_and_passes_once_it_is_fixed(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    project = make_project(tmp_path / "project", hook_repo, "wce-lint")

    failing = run_pre_commit(project, pre_commit_home)
    output = failing.stdout + failing.stderr
    assert failing.returncode == 1, output
    assert "wce-lint" in output and "Failed" in output, output
    assert "train.py:5:84: WCE203" in output, output
    assert "explore.ipynb:cell 2:1:80: WCE203" in output, output
    assert "vendor" not in output, "--force-exclude should keep the configured excludes"
    assert "snippet.txt" not in output, "types_or should keep non-Python files away from the hook"

    (project / "train.py").write_text(CLEAN, encoding="utf-8")
    (project / "explore.ipynb").write_text(NOTEBOOK.replace("pos_weight=-2.0", "pos_weight=2.0"), encoding="utf-8")
    git(project, "add", "-A")
    passing = run_pre_commit(project, pre_commit_home)
    assert passing.returncode == 0, passing.stdout + passing.stderr
    assert "Passed" in passing.stdout


@pytest.mark.slow
def test_the_excluded_file_would_be_reported_without_force_exclude(tmp_path: Path) -> None:
    """Why the hook's entry carries --force-exclude: a file named explicitly is otherwise checked."""
    project = tmp_path / "project"
    project.mkdir()
    (project / ".git").mkdir()
    (project / "pyproject.toml").write_text(PROJECT_CONFIG, encoding="utf-8")
    (project / "vendor").mkdir()
    (project / "vendor" / "third_party.py").write_text(MISUSE, encoding="utf-8")
    args = [sys.executable, "-m", "wce_lint", "--no-cache", "vendor/third_party.py"]
    assert subprocess.run(args, cwd=project, capture_output=True, timeout=120).returncode == 1
    forced = subprocess.run([*args, "--force-exclude"], cwd=project, capture_output=True, timeout=120)
    assert forced.returncode == 0


def cli_supports_fix() -> bool:
    completed = subprocess.run(
        [sys.executable, "-m", "wce_lint", "--help"], capture_output=True, text=True, timeout=120
    )
    return "--fix" in completed.stdout


# WCE401 with a safe fix: `targets=` is the TF1 spelling of `labels=`.
FIXABLE = CLEAN.replace("labels=y", "targets=y")


@pytest.mark.slow
def test_fix_hook_fixes_what_it_can_and_fails_on_the_rest(
    tmp_path: Path, hook_repo: tuple[Path, str], pre_commit_home: Path
) -> None:
    if not cli_supports_fix():
        pytest.skip("the CLI has no --fix option yet: the wce-lint-fix hook cannot run")
    project = make_project(tmp_path / "project", hook_repo, "wce-lint-fix")
    (project / "train.py").write_text(FIXABLE, encoding="utf-8")
    (project / "explore.ipynb").unlink()  # its WCE203 has no fix: the run below must be able to pass
    git(project, "add", "-A")

    fixing = run_pre_commit(project, pre_commit_home)
    # pre-commit fails a hook that modifies files, so the fix is reviewed and staged by the author.
    assert fixing.returncode == 1, fixing.stdout + fixing.stderr
    assert "files were modified by this hook" in fixing.stdout, fixing.stdout
    assert (project / "train.py").read_text(encoding="utf-8") == CLEAN
    assert (project / "vendor" / "third_party.py").read_text(encoding="utf-8") == MISUSE  # excluded: untouched

    git(project, "add", "-A")
    passing = run_pre_commit(project, pre_commit_home)
    assert passing.returncode == 0, passing.stdout + passing.stderr

    # WCE203 has no fix: the hook must still report it and leave the file as it was.
    (project / "train.py").write_text(MISUSE, encoding="utf-8")
    git(project, "add", "-A")
    failing = run_pre_commit(project, pre_commit_home)
    assert failing.returncode == 1, failing.stdout + failing.stderr
    assert "train.py:5:84: WCE203" in failing.stdout + failing.stderr
    assert (project / "train.py").read_text(encoding="utf-8") == MISUSE
