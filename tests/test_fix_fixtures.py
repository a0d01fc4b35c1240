"""Fixes: pairs compared byte for byte, idempotence over every fixture, and the never-write-broken rule."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import libcst as cst
import pytest

from tests.test_fixtures import FIXTURE_FILES, FIXTURES, SETTINGS
from wce_lint.diagnostics import Applicability, Fix
from wce_lint.fixes import apply_edits, edit, fix_source, is_applicable

PAIRS = sorted(p for p in FIXTURES.rglob("*.fixed.py"))


def _original(fixed: Path) -> Path:
    return fixed.with_name(fixed.name.replace(".fixed.py", ".py"))


@pytest.mark.parametrize("fixed", PAIRS, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fix_pair_matches_byte_for_byte(fixed: Path) -> None:
    original = _original(fixed)
    result = fix_source(original.read_bytes(), str(original), SETTINGS, unsafe=True)
    assert result.changed, "the fixture's fixes changed nothing"
    assert result.fixed == fixed.read_bytes()


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fix_is_idempotent_and_parses(path: Path) -> None:
    first = fix_source(path.read_bytes(), str(path), SETTINGS, unsafe=True)
    if first.changed:
        cst.parse_module(first.fixed)  # still parses
    second = fix_source(first.fixed, str(path), SETTINGS, unsafe=True)
    assert not second.changed, "a second --fix pass changed the file again"
    assert not [d for d in second.diagnostics if is_applicable(d.fix, True)], "fixes left behind"


def test_there_are_fix_pairs_for_every_fixable_rule() -> None:
    from wce_lint.rules import REGISTRY

    fixable = {code for code, rule in REGISTRY.items() if rule.fix_applicability is not None}
    with_pairs = {p.parent.name.split("_")[0].upper() for p in PAIRS}
    assert fixable <= with_pairs, f"no fix pair for {sorted(fixable - with_pairs)}"


def test_overlapping_fixes_wait_for_the_next_pass() -> None:
    text = "x = f(a)\n"
    first = Fix("a", (edit((1, 6), (1, 7), "b"),), Applicability.SAFE)
    overlapping = Fix("c", (edit((1, 4), (1, 8), "g(c)"),), Applicability.SAFE)
    assert apply_edits(text, [first, overlapping]) == ("x = f(b)\n", 1)


def test_edits_keep_crlf_line_endings_and_other_bytes() -> None:
    text = "a = 1\r\nb = f(x)\r\n# tail\r\n"
    fix = Fix("rename", (edit((2, 6), (2, 7), "y"),), Applicability.SAFE)
    assert apply_edits(text, [fix]) == ("a = 1\r\nb = f(y)\r\n# tail\r\n", 1)


def test_a_fix_that_would_not_parse_is_never_written(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A rule whose fix breaks the syntax: the file stays as it was and the finding is still reported."""
    from wce_lint import rules
    from wce_lint.rule import Finding, Rule

    def broken_fix_rule(module):  # type: ignore[no-untyped-def]
        from wce_lint.analysis.edits import replace_node

        for site in module.calls:
            yield Finding(site.node, "test finding", fix=Fix("break it", (replace_node(module, site.node, "f(("),),
                                                               Applicability.SAFE))

    test_rule = Rule("WCE999", "test-broken-fix", "a test rule", "", broken_fix_rule, triggers=(b"entropy",))
    monkeypatch.setitem(rules.REGISTRY, "WCE999", test_rule)
    source = b"import tensorflow as tf\nloss = tf.nn.sigmoid_cross_entropy_with_logits(labels=y, logits=x)\n"
    from wce_lint.settings import Settings

    settings = Settings(select=("WCE999",))
    result = fix_source(source, "broken.py", settings)
    assert not result.changed
    assert result.fixed == source
    assert [d.code for d in result.diagnostics] == ["WCE999"]


def test_cli_fix_writes_atomically_keeps_mode_and_second_run_is_clean(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    original = (FIXTURES / "wce401_unknown_loss_argument" / "fix_tf1_keywords.py").read_bytes()
    target.write_bytes(original)
    target.chmod(0o640)
    command = [sys.executable, "-m", "wce_lint", "--no-cache", "--select", "WCE401", "--fix", str(target)]
    first = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert first.returncode == 0, first.stdout + first.stderr
    assert "Fixed 2 errors." in first.stdout
    assert target.read_bytes() == (FIXTURES / "wce401_unknown_loss_argument" / "fix_tf1_keywords.fixed.py").read_bytes()
    assert target.stat().st_mode & 0o777 == 0o640
    assert not [p for p in tmp_path.iterdir() if p.name != "train.py"], "a temporary file was left behind"
    before = target.stat().st_mtime_ns
    second = subprocess.run(command, capture_output=True, text=True, cwd=tmp_path)
    assert second.returncode == 0 and target.stat().st_mtime_ns == before, "an unchanged file was rewritten"


def test_cli_diff_prints_and_writes_nothing(tmp_path: Path) -> None:
    target = tmp_path / "train.py"
    original = (FIXTURES / "wce402_swapped_labels_logits" / "fix_swap.py").read_bytes()
    target.write_bytes(original)
    run = subprocess.run([sys.executable, "-m", "wce_lint", "--no-cache", "--diff", "--unsafe-fixes", str(target)],
                         capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1
    assert "-    return bce(fake_output, tf.ones_like(fake_output))" in run.stdout
    assert "+    return bce(tf.ones_like(fake_output), fake_output)" in run.stdout
    assert target.read_bytes() == original
    safe_only = subprocess.run([sys.executable, "-m", "wce_lint", "--no-cache", "--diff", str(target)],
                               capture_output=True, text=True, cwd=tmp_path)
    assert safe_only.returncode == 0 and safe_only.stdout == "", "an unsafe fix was offered without --unsafe-fixes"


def test_stdin_fix_prints_the_fixed_source() -> None:
    source = (FIXTURES / "wce401_unknown_loss_argument" / "fix_tf1_keywords.py").read_bytes()
    run = subprocess.run([sys.executable, "-m", "wce_lint", "--fix", "--stdin-filename", "train.py", "-"],
                         input=source, capture_output=True)
    assert run.stdout == (FIXTURES / "wce401_unknown_loss_argument" / "fix_tf1_keywords.fixed.py").read_bytes()


def test_summary_counts_safe_and_hidden_unsafe_fixes(tmp_path: Path) -> None:
    safe = tmp_path / "safe.py"
    safe.write_bytes((FIXTURES / "wce401_unknown_loss_argument" / "fix_tf1_keywords.py").read_bytes())
    unsafe = tmp_path / "unsafe.py"
    unsafe.write_bytes((FIXTURES / "wce402_swapped_labels_logits" / "fix_swap.py").read_bytes())
    run = subprocess.run([sys.executable, "-m", "wce_lint", "--no-cache", "--output-format", "concise", "safe.py",
                          "unsafe.py"], capture_output=True, text=True, cwd=tmp_path)
    assert run.returncode == 1
    assert "safe.py:6:53: WCE401 [*] " in run.stdout
    assert run.stdout.rstrip().endswith(
        "[*] 2 fixable with the `--fix` option. (1 hidden fix can be enabled with the `--unsafe-fixes` option.)")
