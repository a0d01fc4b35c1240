"""The flake8 plugin, through real flake8 in a subprocess (the entry point comes from the installed
package's metadata: ``pip install -e .`` registers it)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from wce_lint.flake8_plugin import Plugin, _source_bytes

MISUSE = """\
import tensorflow as tf


def loss_fn(x, y):
    return tf.nn.weighted_cross_entropy_with_logits(labels=y, logits=x, pos_weight=-2.0)
"""
COLUMN = MISUSE.splitlines()[4].index("-2.0") + 1  # as flake8 prints it (1-based)
CLEAN = MISUSE.replace("pos_weight=-2.0", "pos_weight=2.0")


def flake8(cwd: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # --isolated: no flake8 configuration from outside the test folder.
        [sys.executable, "-m", "flake8", "--isolated", *args],
        cwd=cwd,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
    )


@pytest.fixture
def project(tmp_path: Path) -> Path:
    (tmp_path / ".git").mkdir()
    return tmp_path


def test_plugin_is_registered_with_flake8(project: Path) -> None:
    version = flake8(project, "--version")
    assert f"wce-lint: {Plugin.version}" in version.stdout, (
        "flake8 does not see the plugin: is wce-lint pip-installed (pip install -e .)?\n" + version.stdout
    )


@pytest.mark.slow
def test_flake8_reports_the_misuse(project: Path) -> None:
    (project / "train.py").write_text(MISUSE, encoding="utf-8")
    result = flake8(project, "--select", "WCE", "train.py")
    assert result.returncode == 1, result.stderr
    assert result.stdout.startswith(f"train.py:5:{COLUMN}: WCE203 `pos_weight` of "), result.stdout
    assert len(result.stdout.splitlines()) == 1


@pytest.mark.slow
def test_flake8_passes_clean_code(project: Path) -> None:
    (project / "train.py").write_text(CLEAN, encoding="utf-8")
    result = flake8(project, "--select", "WCE", "train.py")
    assert (result.returncode, result.stdout) == (0, ""), result.stderr


@pytest.mark.slow
def test_the_plugin_is_on_by_default_and_flake8_selection_applies(project: Path) -> None:
    (project / "train.py").write_text(MISUSE, encoding="utf-8")
    assert "WCE203" in flake8(project, "train.py").stdout
    ignored = flake8(project, "--extend-ignore", "WCE2", "train.py")
    assert "WCE203" not in ignored.stdout
    other = flake8(project, "--select", "E9", "train.py")
    assert (other.returncode, other.stdout) == (0, "")


@pytest.mark.slow
def test_flake8_noqa_is_honored(project: Path) -> None:
    suppressed = MISUSE.replace("pos_weight=-2.0)", "pos_weight=-2.0)  # noqa: WCE203")
    (project / "train.py").write_text(suppressed, encoding="utf-8")
    assert flake8(project, "--select", "WCE", "train.py").returncode == 0
    # A code prefix is flake8's noqa syntax (wce-lint's own noqa wants a full code or name): it is
    # flake8 that suppresses here, and wce-lint itself still reports the line.
    by_prefix = MISUSE.replace("pos_weight=-2.0)", "pos_weight=-2.0)  # noqa: WCE2")
    (project / "train.py").write_text(by_prefix, encoding="utf-8")
    assert flake8(project, "--select", "WCE", "train.py").returncode == 0
    direct = subprocess.run(
        [sys.executable, "-m", "wce_lint", "--no-cache", "train.py"], cwd=project, capture_output=True, timeout=120
    )
    assert direct.returncode == 1
    # The negative case: a noqa for another code suppresses nothing.
    other = MISUSE.replace("pos_weight=-2.0)", "pos_weight=-2.0)  # noqa: E501")
    (project / "train.py").write_text(other, encoding="utf-8")
    assert "WCE203" in flake8(project, "--select", "WCE", "train.py").stdout


@pytest.mark.slow
def test_flake8_reads_standard_input(project: Path) -> None:
    result = flake8(project, "--select", "WCE", "--stdin-display-name", "model.py", "-", stdin=MISUSE)
    assert result.returncode == 1
    assert result.stdout.startswith(f"model.py:5:{COLUMN}: WCE203 ")


@pytest.mark.slow
def test_preview_option_is_accepted_on_the_command_line_and_in_config(project: Path) -> None:
    (project / "train.py").write_text(MISUSE, encoding="utf-8")
    assert "WCE203" in flake8(project, "--select", "WCE", "--wce-preview", "train.py").stdout
    (project / "setup.cfg").write_text("[flake8]\nselect = WCE\nwce-preview = true\n", encoding="utf-8")
    configured = subprocess.run(
        [sys.executable, "-m", "flake8", "train.py"], cwd=project, capture_output=True, text=True, timeout=120
    )
    assert configured.returncode == 1 and "WCE203" in configured.stdout, configured.stderr
    unknown = flake8(project, "--wce-preveiw", "train.py")
    assert unknown.returncode != 0 and "unrecognized arguments" in unknown.stderr


def test_preview_option_reaches_the_engine_settings() -> None:
    from argparse import Namespace

    from wce_lint.flake8_plugin import _settings

    try:
        Plugin.parse_options(Namespace(wce_preview=True))
        assert _settings(Plugin.preview).preview is True
        Plugin.parse_options(Namespace(wce_preview=False))
        assert _settings(Plugin.preview).preview is False
    finally:
        Plugin.preview = False


def test_declared_encoding_is_kept() -> None:
    """flake8 hands over decoded lines; the engine gets them back in the encoding the file declares."""
    lines = ["# -*- coding: latin-1 -*-\n", "name = 'café'\n"]
    assert _source_bytes(lines) == "".join(lines).encode("latin-1")
    assert _source_bytes(["x = 'café'\n"]) == "x = 'café'\n".encode("utf-8")
