"""Producers as data: ``[tool.wce-lint.producers."qualified.name"]`` adds functions and layers whose output
is an activation's, as the built-in tables do; bad entries stop the run with exit 2 naming the key."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.cli_helpers import no_traceback, run_wce_lint

TRAIN = """\
import torch
import torch.nn.functional as F
from mylib.ops import hard_sigmoid
from mylib.layers import HardSoftmax


def step(scores, targets, classes):
    probs = hard_sigmoid(scores)
    a = F.binary_cross_entropy_with_logits(probs, targets)
    b = F.cross_entropy(HardSoftmax()(scores), classes)
    return a + b
"""


def _project(project: Path, table: str) -> Path:
    (project / "pyproject.toml").write_text(f"[tool.wce-lint]\n{table}\n", encoding="utf-8")
    (project / "train.py").write_text(TRAIN, encoding="utf-8")
    return project


def test_a_producer_from_the_config_counts_like_a_built_in_activation(project: Path) -> None:
    _project(project, '[tool.wce-lint.producers."mylib.ops.hard_sigmoid"]\nactivation = "sigmoid"\n'
                      '[tool.wce-lint.producers."mylib.layers.HardSoftmax"]\nactivation = "softmax"\nkind = "layer"\n')
    result = run_wce_lint(project, "--no-cache", "--output-format", "concise", ".")
    no_traceback(result)
    assert result.returncode == 1, result.stdout + result.stderr
    found = sorted(line.split(" ")[1] + "@" + line.split(":")[1] for line in result.stdout.splitlines()[:-1])
    assert found == ["WCE101@10", "WCE101@9"], result.stdout


def test_without_the_entries_nothing_is_known_about_them(project: Path) -> None:
    _project(project, 'preview = false\n')
    result = run_wce_lint(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 0, result.stdout


@pytest.mark.parametrize(("table", "named"), [
    ('[tool.wce-lint.producers."mylib.ops.hard_sigmoid"]\nactivation = "relu6"\n', '"mylib.ops.hard_sigmoid".activation'),
    ('[tool.wce-lint.producers."mylib.ops.hard_sigmoid"]\nactivation = "sigmoid"\nkind = "module"\n',
     '"mylib.ops.hard_sigmoid".kind'),
    ('[tool.wce-lint.producers."mylib.ops.hard_sigmoid"]\nactivation = "sigmoid"\noutput = 1\n',
     '"mylib.ops.hard_sigmoid".output'),
    ('[tool.wce-lint.producers."not a name"]\nactivation = "sigmoid"\n', '"not a name"'),
    ('producers = 3\n', 'producers'),
])
def test_a_bad_entry_is_exit_2_naming_the_key(project: Path, table: str, named: str) -> None:
    _project(project, table)
    result = run_wce_lint(project, "--no-cache", ".")
    no_traceback(result)
    assert result.returncode == 2, result.stdout + result.stderr
    assert named in result.stderr and "pyproject.toml" in result.stderr, result.stderr
