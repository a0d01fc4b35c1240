"""Every fixture file is linted; its findings must equal its inline expectations, both ways."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.fixture_expectations import read_expectations
from wce_lint.engine import lint_source
from wce_lint.rules import REGISTRY
from wce_lint.settings import Settings

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures"
PROJECTS = FIXTURES / "projects"  # folders of modules that import each other: tests/test_projects.py
FIXTURE_FILES = sorted(p for p in FIXTURES.rglob("*.py")
                       if not p.name.endswith(".fixed.py") and PROJECTS not in p.parents)
# Every rule, preview included: a fixture lists every finding it produces.
SETTINGS = Settings(preview=True, root=FIXTURES)


def _findings(path: Path) -> list:
    result = lint_source(path.read_bytes(), str(path.relative_to(FIXTURES)), SETTINGS)
    assert not result.internal_errors, result.internal_errors
    return result.diagnostics


@pytest.mark.parametrize("path", FIXTURE_FILES, ids=lambda p: str(p.relative_to(FIXTURES)))
def test_fixture(path: Path) -> None:
    expected, xfails, nothing = read_expectations(path)
    assert expected or nothing, f"{path.name}: add `# expect: …` comments or `# expect: nothing`"
    assert not (expected and nothing), f"{path.name}: says it expects nothing but lists findings"
    found = {(d.code, d.start.line, d.start.display_column) for d in _findings(path)}
    found_lines = {(code, line) for code, line, _ in found}

    missing = sorted(
        (e.code, e.line, e.column) for e in expected
        if ((e.code, e.line) not in found_lines if e.column is None else (e.code, e.line, e.column) not in found)
    )
    expected_lines = {(e.code, e.line) for e in expected}
    extra = sorted(f for f in found if (f[0], f[1]) not in expected_lines)
    promoted = sorted((x.code, x.line) for x in xfails if (x.code, x.line) in found_lines)
    assert not missing and not extra and not promoted, (
        f"\nmissing (code, line, col): {missing}\nunexpected: {extra}\nxfail now fires (promote it): {promoted}"
        f"\nall found: {sorted(found)}"
    )


def test_every_rule_has_a_fixture_folder_and_every_folder_a_rule() -> None:
    folders = {p.name for p in FIXTURES.iterdir() if p.is_dir() and p.name.startswith("wce")}
    wanted = {f"{code.lower()}_{rule.name.replace('-', '_')}" for code, rule in REGISTRY.items()}
    assert folders == wanted


@pytest.mark.parametrize("code", sorted(REGISTRY))
def test_every_rule_has_positive_and_negative_fixtures(code: str) -> None:
    rule = REGISTRY[code]
    folder = FIXTURES / f"{code.lower()}_{rule.name.replace('-', '_')}"
    positives = negatives = 0
    for path in folder.glob("*.py"):
        expected, _, _ = read_expectations(path)
        if any(e.code == code for e in expected):
            positives += 1
        text = path.read_text(encoding="utf-8", errors="replace")
        # a negative case: a file (or a marked section) where the rule must stay silent
        negatives += ("# expect: nothing" in text) or ("# negative:" in text)
    assert positives, f"{code} has no positive fixture"
    assert negatives, f"{code} has no negative fixture (a file with `# expect: nothing` or `# negative:` cases)"
