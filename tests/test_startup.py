"""Start-up cost of the CLI: importing ``wce_lint.cli`` (all ``--version`` and ``--help`` need) stays light.

Every run pays the import of ``wce_lint.cli``, pre-commit hooks and editor integrations many times a day,
so the reporters, the config reader, the engine and ``traceback`` are imported where they are used. These
tests check ``sys.modules`` in a fresh interpreter, not timings (the machine's load would make those flaky).
"""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

from wce_lint.cli import OUTPUT_FORMATS
from wce_lint.report import FORMATS

# Imported by no path of `import wce_lint.cli`: what the check command loads once it runs.
NOT_AT_IMPORT = (
    "wce_lint.report",
    "wce_lint.report.sarif",
    "wce_lint.report.json",
    "wce_lint.report.summary",
    "wce_lint.config",
    "wce_lint.settings",
    "wce_lint.engine",
    "wce_lint.rules",
    "wce_lint.diagnostics",
    "libcst",
    "tomllib",
    "traceback",
    "json",
    "hashlib",
    "dataclasses",
    # the language server (`wce-lint server`, the optional `lsp` extra) loads these only when asked
    "wce_lint.lsp",
    "wce_lint.lsp.server",
    "pygls",
    "lsprotocol",
    "asyncio",
)
# Standard modules click itself imports today (click.types needs uuid, datetime): they may be in
# sys.modules, but not because of wce-lint.
NOT_ADDED_BY_WCE_LINT = ("uuid", "platform", "datetime", "pathlib")


def _modules_after(code: str, tmp_path: Path) -> dict[str, list[str]]:
    """Run ``code`` in a fresh interpreter after ``import click``; the modules loaded, and those added after click.

    The probe itself imports only ``sys`` (already loaded at start-up), so ``json`` & co. show up only if
    wce-lint loads them; it prints a repr, read back with ``ast.literal_eval``.
    """
    probe = "\n".join(
        [
            "import sys",
            "import click",
            "after_click = set(sys.modules)",
            code,
            "print(repr({'all': sorted(sys.modules), 'added': sorted(set(sys.modules) - after_click)}))",
        ]
    )
    completed = subprocess.run([sys.executable, "-c", probe], cwd=tmp_path, capture_output=True, text=True)
    assert completed.returncode == 0, completed.stderr
    modules: dict[str, list[str]] = ast.literal_eval(completed.stdout.splitlines()[-1])
    return modules


def test_importing_the_cli_loads_no_reporter_config_engine_or_traceback(tmp_path: Path) -> None:
    modules = _modules_after("import wce_lint.cli", tmp_path)
    assert "wce_lint.cli" in modules["all"]  # the probe itself works
    loaded = set(modules["all"])
    assert sorted(loaded.intersection(NOT_AT_IMPORT)) == []
    assert not any(name.startswith("libcst.") or name.startswith("wce_lint.analysis") for name in loaded)
    assert sorted(set(modules["added"]).intersection(NOT_ADDED_BY_WCE_LINT)) == []
    # The check above is only meaningful for modules click does not bring anyway.
    assert "uuid" not in modules["added"] and "wce_lint.report.sarif" not in loaded


def test_version_and_help_load_no_reporter(tmp_path: Path) -> None:
    for argv in (["--version"], ["--help"]):
        # The real entry point, not click.testing (which imports dataclasses and traceback itself).
        code = (
            "from wce_lint.cli import main\n"
            f"sys.argv = ['wce-lint', *{argv!r}]\n"
            "try:\n"
            "    main()\n"
            "except SystemExit as stop:\n"
            "    assert stop.code == 0, stop.code\n"
        )
        modules = _modules_after(code, tmp_path)
        loaded = set(modules["all"])
        assert sorted(loaded.intersection(NOT_AT_IMPORT)) == [], argv


def test_output_format_choices_equal_the_reporters_registry() -> None:
    # The CLI spells the names out so that --help does not import every reporter; same names, same order.
    assert OUTPUT_FORMATS == tuple(FORMATS)


def test_a_check_run_still_loads_the_reporters(tmp_path: Path) -> None:
    (tmp_path / "train.py").write_text("x = 1\n")
    code = (
        "from click.testing import CliRunner\n"
        "from wce_lint.cli import main\n"
        "result = CliRunner().invoke(main, ['--no-cache', '--output-format', 'sarif', 'train.py'])\n"
        "assert result.exit_code == 0, result.output\n"
        "assert '\"runs\"' in result.output, result.output\n"
    )
    modules = _modules_after(code, tmp_path)
    assert "wce_lint.report.sarif" in modules["all"]
