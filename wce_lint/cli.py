"""The ``wce-lint`` command: parse options, load the config, call the engine, hand findings to a reporter.

Commands share the program name, as in ruff: ``wce-lint rule CODE|NAME`` / ``wce-lint rule --all``
documents the rules, ``wce-lint server`` runs the language server (the ``lsp`` extra), and anything else
(``wce-lint [OPTIONS] [PATHS]...``) is a check run. A path literally named ``rule`` or ``server`` is checked
with ``wce-lint ./rule``.

Streams: findings (and, for ``full``/``concise``, the summary line and the ``--statistics`` table) go to
stdout, as in ruff; machine-readable formats (``json`` …) own stdout alone. Warnings about skipped paths and
errors go to stderr, each prefixed ``wce-lint: warning:`` / ``wce-lint: error:``.

Exit codes: 0 no findings, 1 findings (WCE000 included), 2 usage, configuration or internal error.

This module is imported for ``--version`` and ``--help``: it must not import LibCST, the engine or the
rules at module level (the engine and registry are imported inside the commands). Start-up is paid by every
run, pre-commit hooks and editors included, so the reporters (json, hashlib …), the config reader,
``traceback`` and ``pathlib`` are imported where they are used, too (``tests/test_startup.py``).
"""

from __future__ import annotations

import os
import sys
from typing import TYPE_CHECKING, Any, NamedTuple, Sequence, TextIO

import click

from wce_lint import __version__

if TYPE_CHECKING:
    from pathlib import Path

    from wce_lint.diagnostics import Diagnostic
    from wce_lint.report import OutputFormat, SourceLines
    from wce_lint.settings import Settings

PROG = "wce-lint"
EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2
# The check command's name inside the group; users never type it (see _CheckOrRule).
_CHECK = "check"
_STDIN = "-"
# The --output-format choices, in --help order. Spelled out rather than read from
# ``wce_lint.report.FORMATS``, which imports every reporter; a test keeps the two equal.
OUTPUT_FORMATS = ("full", "concise", "json", "github", "sarif")


class Failure(click.ClickException):
    """Stops the run with exit code 2 and a one-line message (a config error, an unknown code …)."""

    exit_code = EXIT_ERROR


def _error(message: str) -> None:
    click.echo(f"{PROG}: error: {message}", err=True)


def _warning(message: str) -> None:
    click.echo(f"{PROG}: warning: {message}", err=True)


_SUBCOMMANDS = ("rule", "server")


class _CheckOrRule(click.Group):
    """``rule`` or ``server`` as the first argument selects that command; anything else is a check run.

    Only those exact words dispatch, so every other first argument (a path, an option) keeps its
    meaning. Errors are reported on one line and mapped to exit code 2, never as a traceback.
    """

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or args[0] not in _SUBCOMMANDS:
            args = [_CHECK, *args]
        return super().parse_args(ctx, args)

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        **extra: Any,
    ) -> None:
        extra.pop("standalone_mode", None)
        try:
            code = super().main(args, prog_name=prog_name or PROG, standalone_mode=False, **extra)
        except click.ClickException as exception:
            # Usage errors included: one line, exit 2 (click's own exit code for them).
            _error(exception.format_message())
            code = exception.exit_code if isinstance(exception, Failure) else EXIT_ERROR
        except click.Abort:
            _error("interrupted")
            code = 130
        except BrokenPipeError:
            # `wce-lint | head`: the reader left; say nothing more and do not let Python complain at exit.
            devnull = os.open(os.devnull, os.O_WRONLY)
            os.dup2(devnull, sys.stdout.fileno())
            code = EXIT_FINDINGS
        sys.exit(code if isinstance(code, int) else EXIT_OK)


class _CheckCommand(click.Command):
    def format_usage(self, ctx: click.Context, formatter: click.HelpFormatter) -> None:
        # The hidden command name is an implementation detail: show the usage users type.
        formatter.write_usage(PROG, " ".join(self.collect_usage_pieces(ctx)))


def _selector_option(name: str, text: str) -> Any:
    return click.option(name, multiple=True, metavar="CODES", help=text)


def _to_path(_ctx: click.Context, _param: click.Parameter, value: str | None) -> Path | None:
    # click.Path(path_type=Path) would need pathlib at import time; convert once the option is given.
    from pathlib import Path

    return None if value is None else Path(value)


@click.group(cls=_CheckOrRule, name=PROG, add_help_option=False)
def main() -> None:
    """wce-lint: catch misused cross-entropy losses."""


@main.command(
    name=_CHECK,
    cls=_CheckCommand,
    hidden=True,
    epilog="Rules: `wce-lint rule --all` lists them, `wce-lint rule CODE` explains one. "
    "Editors: `wce-lint server` is a language server (the `lsp` extra).",
)
@click.argument("paths", nargs=-1, metavar="[PATHS]...")
@_selector_option(
    "--select", "Rules to run instead of the configured set: codes, kebab-case names or prefixes, comma-separated."
)
@_selector_option("--extend-select", "Rules to run in addition to the configured set.")
@_selector_option("--ignore", "Rules to skip.")
@click.option("--preview/--no-preview", default=None, help="Run preview rules too (default: from config, else off).")
@click.option(
    "--output-format",
    type=click.Choice(OUTPUT_FORMATS),
    default=None,
    help="How to print findings (default: from config, else full on a terminal and concise when piped).",
)
@click.option("--fix", is_flag=True, help="Apply safe fixes to the files (and print what remains).")
@click.option("--unsafe-fixes", is_flag=True, help="With --fix or --diff: apply unsafe fixes too.")
@click.option("--diff", is_flag=True, help="Print the fixes as a unified diff instead of writing them (exit 1 if any).")
@click.option("--exit-zero", is_flag=True, help="Exit with 0 even when there are findings.")
@click.option("--statistics", is_flag=True, help="Print the number of findings per rule instead of the findings.")
@click.option(
    "--config",
    "config_file",
    type=click.Path(dir_okay=False),
    callback=_to_path,
    default=None,
    help="Use this config file: a pyproject.toml ([tool.wce-lint]) or a TOML file holding the keys at its top.",
)
@click.option("--no-cache", is_flag=True, help="Do not read or write the cache.")
@click.option("--force-exclude", is_flag=True, help="Apply exclude globs even to files named on the command line.")
@click.option(
    "--stdin-filename",
    metavar="NAME",
    default=None,
    help="Read the source from stdin (path `-`), reporting and applying per-file ignores as NAME.",
)
@click.option("-q", "--quiet", is_flag=True, help="Print the findings only: no summary line.")
@click.option("-v", "--verbose", is_flag=True, help="Say which config is used; show tracebacks of internal errors.")
@click.version_option(__version__, "--version", prog_name=PROG, message="%(prog)s %(version)s")
@click.help_option("-h", "--help")
def check_command(**options: Any) -> int:
    """Check Python files for misused cross-entropy losses (default path: the current folder)."""
    check = CheckOptions(**options)
    try:
        return _check(check)
    except (click.ClickException, click.exceptions.Exit, click.Abort, BrokenPipeError, KeyboardInterrupt):
        raise
    except Exception as exception:  # a bug of ours: one line, the traceback only on request
        if check.verbose:
            import traceback

            traceback.print_exc(file=sys.stderr)
        hint = "" if check.verbose else " (run with --verbose for the traceback)"
        raise Failure(f"internal error: {type(exception).__name__}: {exception}{hint}") from None


class CheckOptions(NamedTuple):
    """The check command's options, one field per click parameter.

    A NamedTuple rather than a frozen dataclass: building a dataclass (and importing ``dataclasses``)
    costs a few milliseconds of every start-up.
    """

    paths: tuple[str, ...]
    select: tuple[str, ...]
    extend_select: tuple[str, ...]
    ignore: tuple[str, ...]
    preview: bool | None
    output_format: str | None
    fix: bool
    unsafe_fixes: bool
    diff: bool
    exit_zero: bool
    statistics: bool
    config_file: Path | None
    no_cache: bool
    force_exclude: bool
    stdin_filename: str | None
    quiet: bool
    verbose: bool

    @property
    def reads_stdin(self) -> bool:
        return self.paths == (_STDIN,) or (not self.paths and self.stdin_filename is not None)


class _Outcome:
    """What a run found, and what ``--fix``/``--diff`` did with it."""

    def __init__(self, diagnostics: list[Diagnostic], internal_errors: list[str], sources: SourceLines) -> None:
        self.diagnostics = diagnostics
        self.internal_errors = internal_errors
        self.sources = sources
        self.fixed = 0
        self.diffs = 0


def _check(options: CheckOptions) -> int:
    from wce_lint.report import FORMATS

    if _STDIN in options.paths and not options.reads_stdin:
        raise click.UsageError("`-` (standard input) cannot be combined with other paths")
    if options.stdin_filename is not None and not options.reads_stdin:
        raise click.UsageError("--stdin-filename needs `-` as the only path")
    settings = _settings(options)
    chosen = FORMATS[settings.output_format or ("full" if sys.stdout.isatty() else "concise")]
    if options.statistics and chosen.machine_readable and chosen.name != "json":
        raise click.UsageError(f"--statistics prints full/concise text or json, not {chosen.name}")

    if options.fix and options.diff:
        raise click.UsageError("--fix writes the fixes and --diff only shows them: choose one")
    if options.reads_stdin and (options.fix or options.diff):
        return _fix_stdin(options, settings)
    outcome = _lint_stdin(options, settings) if options.reads_stdin else _lint_files(options, settings)
    if options.fix or options.diff:
        _apply_fixes(outcome, options, settings)
        if options.diff:
            for message in outcome.internal_errors:
                _error(message)
            return EXIT_ERROR if outcome.internal_errors else (EXIT_FINDINGS if outcome.diffs else EXIT_OK)
    _report(outcome, chosen, settings, options)

    for message in outcome.internal_errors:
        _error(message)
    if outcome.internal_errors:
        return EXIT_ERROR
    if outcome.diagnostics and not options.exit_zero:
        return EXIT_FINDINGS
    return EXIT_OK


def _settings(options: CheckOptions) -> Settings:
    from pathlib import Path

    from wce_lint.config import ConfigError, Overrides, build_settings, discover_config, split_selectors

    overrides = Overrides(
        select=_checked_selectors("--select", split_selectors(options.select)) if options.select else None,
        extend_select=_checked_selectors("--extend-select", split_selectors(options.extend_select)),
        ignore=_checked_selectors("--ignore", split_selectors(options.ignore)),
        preview=options.preview,
        output_format=options.output_format,
    )
    # The config is searched from the first path; for stdin, from where the named file would live.
    if options.reads_stdin:
        start = Path(options.stdin_filename or ".")
    else:
        start = Path(options.paths[0] if options.paths else ".")
    try:
        config = discover_config(start, options.config_file)
        settings = build_settings(config, overrides)
    except ConfigError as error:
        raise Failure(str(error)) from None
    if options.verbose:
        _info(f"configuration: {config.path}" if config.path else "configuration: none found, using defaults")
    return settings


def _lint_files(options: CheckOptions, settings: Settings) -> _Outcome:
    from pathlib import Path

    from wce_lint.engine import RunResult, lint_paths
    from wce_lint.report import SourceLines

    targets = [Path(p) for p in (options.paths or (".",))]
    if options.force_exclude:
        # pre-commit names files one by one: a file inside an excluded folder is excluded too.
        targets = [target for target in targets if not _excluded_with_parents(settings, target)]
    run = RunResult()
    if targets:
        run = lint_paths(targets, settings, force_exclude=options.force_exclude, use_cache=not options.no_cache)
    for message in run.messages:
        _warning(message)
    for path in run.missing:
        # a typo in a CI command must not pass as "All checks passed!"
        run.internal_errors.append(f"{path}: no such file or directory")
    if targets and run.files_seen == 0 and not run.messages:
        _warning("no Python files found under the given path(s)")
    if options.verbose:
        _info(f"checked {run.files_seen} file(s), parsed {run.files_parsed}")
    return _Outcome(run.diagnostics, run.internal_errors, SourceLines())


def _lint_stdin(options: CheckOptions, settings: Settings) -> _Outcome:
    from pathlib import Path

    from wce_lint.engine import lint_source
    from wce_lint.report import SourceLines
    from wce_lint.source import UnreadableSource, decode

    name = options.stdin_filename or _STDIN
    data = click.get_binary_stream("stdin").read()
    if options.force_exclude and name != _STDIN and _excluded_with_parents(settings, Path(name)):
        return _Outcome([], [], SourceLines())
    result = lint_source(data, name, settings)
    try:
        text = {name: decode(data).text}  # the full format quotes stdin, not a file of the same name
    except UnreadableSource:
        text = {}
    return _Outcome(result.diagnostics, result.internal_errors, SourceLines(text))


def _report(outcome: _Outcome, chosen: OutputFormat, settings: Settings, options: CheckOptions) -> None:
    from wce_lint.report.summary import fixable_line, render_statistics, summary_line

    out = _stdout()
    if options.statistics:
        render_statistics(outcome.diagnostics, out, as_json=chosen.name == "json")
    else:
        chosen.render(outcome.diagnostics, out, sources=outcome.sources, settings=settings)
    if not chosen.machine_readable and not options.quiet:
        if outcome.fixed:
            out.write(f"Fixed {outcome.fixed} error{'s' if outcome.fixed != 1 else ''}.\n")
        out.write(summary_line(outcome.diagnostics) + "\n")
        fixable = fixable_line(outcome.diagnostics)
        if fixable and not options.fix:
            out.write(fixable + "\n")
    out.flush()


def _apply_fixes(outcome: _Outcome, options: CheckOptions, settings: Settings) -> None:
    """Fix every file with an applicable fix: write it (``--fix``) or print the diff (``--diff``)."""
    from pathlib import Path

    from wce_lint.fixes import fix_source, is_applicable, unified_diff, write_atomically

    fixable_paths = sorted({d.path for d in outcome.diagnostics if is_applicable(d.fix, options.unsafe_fixes)})
    remaining = [d for d in outcome.diagnostics if d.path not in fixable_paths]
    out = _stdout()
    for path in fixable_paths:
        try:
            data = Path(path).read_bytes()
        except OSError as error:
            _warning(f"{path}: cannot read the file to fix it ({error.strerror})")
            remaining.extend(d for d in outcome.diagnostics if d.path == path)
            continue
        result = fix_source(data, path, settings, unsafe=options.unsafe_fixes)
        outcome.internal_errors.extend(result.internal_errors)
        if not result.changed:
            # What the file holds now (another run may have fixed it since it was linted).
            remaining.extend(result.diagnostics)
            continue
        if options.diff:
            out.write(unified_diff(path, data, result.fixed))
            outcome.diffs += 1
            remaining.extend(d for d in outcome.diagnostics if d.path == path)
            continue
        try:
            write_atomically(Path(path), result.fixed)
        except OSError as error:
            _error(f"{path}: cannot write the fixes ({error.strerror}); the file is unchanged")
            outcome.internal_errors.append(f"{path}: not written")
            remaining.extend(d for d in outcome.diagnostics if d.path == path)
            continue
        outcome.fixed += result.fixed_count
        remaining.extend(result.diagnostics)
    outcome.diagnostics = sorted(remaining, key=lambda d: d.sort_key())
    out.flush()


def _fix_stdin(options: CheckOptions, settings: Settings) -> int:
    """Editors pipe a buffer in and read the fixed source back: source on stdout, findings on stderr."""
    from wce_lint.fixes import fix_source, unified_diff

    name = options.stdin_filename or _STDIN
    data = click.get_binary_stream("stdin").read()
    result = fix_source(data, name, settings, unsafe=options.unsafe_fixes)
    if options.diff:
        if result.changed:
            _stdout().write(unified_diff(name, data, result.fixed))
    else:
        stream = click.get_binary_stream("stdout")
        stream.write(result.fixed)
        stream.flush()
    from wce_lint.report.base import location

    for diagnostic in result.diagnostics:
        click.echo(f"{location(diagnostic.path, diagnostic.start)}: {diagnostic.code} {diagnostic.message}", err=True)
    for message in result.internal_errors:
        _error(message)
    if result.internal_errors:
        return EXIT_ERROR
    if options.diff:
        return EXIT_FINDINGS if result.changed else EXIT_OK
    return EXIT_FINDINGS if result.diagnostics and not options.exit_zero else EXIT_OK


def _excluded_with_parents(settings: Settings, path: Path) -> bool:
    """Whether ``path`` or a folder holding it (inside the project root) matches an exclude glob."""
    from pathlib import PurePosixPath

    if settings.is_excluded(path):
        return True
    relative = PurePosixPath(settings.relative(path))
    if relative.is_absolute():
        return False
    return any(
        settings.is_excluded(settings.root / parent) for parent in relative.parents if str(parent) != "."
    )


def _checked_selectors(option: str, selectors: tuple[str, ...]) -> tuple[str, ...]:
    from wce_lint.config import selector_problem

    for selector in selectors:
        problem = selector_problem(selector)
        if problem:
            raise Failure(f"{option}: {problem}")
    return selectors


def _stdout() -> TextIO:
    out = sys.stdout
    # Source lines may hold characters the terminal's encoding lacks: escape them rather than crash.
    reconfigure = getattr(out, "reconfigure", None)
    if reconfigure is not None:
        try:
            reconfigure(errors="backslashreplace")
        except (ValueError, OSError):
            pass
    return out


def _info(message: str) -> None:
    click.echo(f"{PROG}: {message}", err=True)


# -- wce-lint rule ---------------------------------------------------------------------------------
@main.command(name="rule")
@click.argument("selector", required=False, metavar="[CODE|NAME]")
@click.option("--all", "all_rules", is_flag=True, help="List every rule: code, name, preview flag and summary.")
@click.option("--output-format", type=click.Choice(["text", "json"]), default="text", show_default=True)
@click.help_option("-h", "--help")
def rule_command(selector: str | None, all_rules: bool, output_format: str) -> int:
    """Explain a rule (by code or name), or list them all with --all."""
    import json

    from wce_lint.rules import REGISTRY
    from wce_lint.selection import rule_for

    if all_rules == (selector is not None):
        raise click.UsageError("give a rule code or name, or --all (not both)")
    out = _stdout()
    if all_rules:
        rules = list(REGISTRY.values())
        if output_format == "json":
            json.dump([_rule_json(rule) for rule in rules], out, indent=2)
            out.write("\n")
        else:
            width = max(len(rule.name) for rule in rules)
            for rule in rules:
                flag = "preview" if rule.preview else "       "
                out.write(f"{rule.code}  {rule.name:<{width}}  {flag}  {rule.summary}\n")
        return EXIT_OK

    assert selector is not None
    rule = rule_for(selector)
    if rule is None:
        raise Failure(_unknown_rule(selector))
    if output_format == "json":
        json.dump(_rule_json(rule), out, indent=2)
        out.write("\n")
    else:
        from wce_lint.docs import rule_text

        out.write(rule_text(rule))
    return EXIT_OK


def _unknown_rule(selector: str) -> str:
    import json

    from wce_lint.config import closest_rule
    from wce_lint.selection import UnknownSelector, expand

    try:
        codes = sorted(expand(selector))
    except UnknownSelector:
        guess = closest_rule(selector)
        hint = f"did you mean {json.dumps(guess)}?" if guess else "`wce-lint rule --all` lists the rules"
        return f"unknown rule {json.dumps(selector)} ({hint})"
    # A prefix or ALL designates a group; explaining is one rule at a time.
    return f"{json.dumps(selector)} selects {', '.join(codes)}: give one code or name, or use `wce-lint rule --all`"


def _rule_json(rule: Any) -> dict[str, Any]:
    fix = rule.fix_applicability
    return {
        "code": rule.code,
        "name": rule.name,
        "summary": rule.summary,
        "preview": rule.preview,
        "severity": getattr(rule.severity, "value", rule.severity),
        "fix": getattr(fix, "value", fix),
        "url": rule.url,
        "explanation": rule.doc.strip(),
    }


# -- wce-lint server -------------------------------------------------------------------------------
LSP_INSTALL_HINT = "pip install 'wce-lint[lsp]'"


@main.command(name="server")
@click.help_option("-h", "--help")
def server_command() -> int:
    """Run the language server on stdin/stdout, for editors (needs the `lsp` extra)."""
    import importlib.util

    # find_spec, not import: a missing extra must be a one-line answer, and the import of pygls is the
    # server's business (a broken pygls install still shows its own error there).
    missing = [name for name in ("pygls", "lsprotocol") if _find_spec(importlib.util, name) is None]
    if missing:
        what = " and ".join(missing) + (" (not installed); install it" if len(missing) == 1 else " (not installed); install them")
        raise Failure(f"`wce-lint server` needs {what} with: {LSP_INSTALL_HINT}")
    from wce_lint.lsp.server import serve

    serve()
    return EXIT_OK


def _find_spec(util: Any, name: str) -> Any:
    try:
        return util.find_spec(name)
    except (ImportError, ValueError):  # sys.modules[name] is None, or a half-removed package
        return None
