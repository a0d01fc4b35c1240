"""Docs are tests too: the README table and docs/rules.md match the registry; rule docs have the sections."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from wce_lint.docs import TABLE_END, TABLE_START, rule_table, rules_markdown
from wce_lint.rules import REGISTRY

ROOT = Path(__file__).resolve().parent.parent
SECTIONS = ["## What it does", "## Why is this bad?", "## Example", "## Use instead", "## Fix safety",
            "## References"]


def test_readme_rule_table_is_current() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index(TABLE_START) + len(TABLE_START): readme.index(TABLE_END)].strip()
    assert table == rule_table(), "run `python -m wce_lint.docs` to regenerate the README table"


def test_docs_rules_md_is_current() -> None:
    assert (ROOT / "docs" / "rules.md").read_text(encoding="utf-8") == rules_markdown(), (
        "run `python -m wce_lint.docs` to regenerate docs/rules.md"
    )


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_rule_doc_has_ruff_sections_in_order(code: str) -> None:
    doc = REGISTRY[code].doc
    positions = [doc.find(section + "\n") for section in SECTIONS]
    assert all(p >= 0 for p in positions), f"{code} doc lacks {[s for s, p in zip(SECTIONS, positions) if p < 0]}"
    assert positions == sorted(positions), f"{code} doc sections are out of order"


def test_codes_and_names_are_unique_and_well_formed() -> None:
    names = [rule.name for rule in REGISTRY.values()]
    assert len(set(names)) == len(names)
    for code, rule in REGISTRY.items():
        assert re.fullmatch(r"WCE\d{3}", code) and rule.code == code
        assert re.fullmatch(r"[a-z]+(-[a-z]+)*", rule.name)
        if code != "WCE000":
            assert rule.triggers, f"{code} declares no pre-check trigger: it would never run"


def test_quick_start_commands_are_what_ci_runs() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    quick_start = readme[readme.index("## Quick start"): readme.index("## Usage")]
    commands = re.findall(r"```bash\n(.+?)\n```", quick_start)
    assert len(commands) == 2, "the Quick start has exactly two commands"
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    for command in commands:
        assert command in ci, f".ci/run must run the README command verbatim: {command}"


def test_rule_modules_do_not_import_libcst_at_import_time() -> None:
    # Rules import the analysis layer inside check(): the registry stays cheap for --version, config checks
    # and fully cached runs (LibCST's import alone costs ~250 ms).
    import subprocess
    import sys

    code = "import sys, wce_lint.rules, wce_lint.engine, wce_lint.cli; print('libcst' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert result.stdout.strip() == "False", result.stderr
