"""discover → pre-check → parse → analyse → run rules → suppress → sort.

The engine imports LibCST and the analysis layer only for files that pass the byte-level pre-check, so a
run over files that cannot contain a loss call (or a fully cached run) never pays for them.
"""

from __future__ import annotations

import os
import re
import sys
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Iterable, Iterator, Sequence

from wce_lint.diagnostics import Diagnostic, Position, RelatedLocation, Severity
from wce_lint.rule import Rule
from wce_lint.rules import REGISTRY
from wce_lint.settings import Settings
from wce_lint.source import UnreadableSource, decode, has_skip_file_comment, split_lines

PYTHON_SUFFIXES = (".py", ".pyi")
SYNTAX_ERROR = "WCE000"
# Deeper bracket nesting than this is refused before parsing: the native parser would exhaust the stack.
MAX_NESTING = 200


@dataclass
class FileResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    parsed: bool = False


@dataclass
class RunResult:
    diagnostics: list[Diagnostic] = field(default_factory=list)
    internal_errors: list[str] = field(default_factory=list)
    files_seen: int = 0
    files_parsed: int = 0
    messages: list[str] = field(default_factory=list)  # files skipped, with why
    missing: list[str] = field(default_factory=list)  # paths named on the command line that do not exist


# -- discovery -------------------------------------------------------------------------------------
def discover(paths: Sequence[Path], settings: Settings, *, force_exclude: bool = False) -> tuple[list[Path], list[str]]:
    """Python files under ``paths``. Files named explicitly are kept even when excluded, unless
    ``force_exclude`` (what the pre-commit hook uses). Returns the files and messages about skipped paths."""
    found: dict[str, Path] = {}
    messages: list[str] = []
    for path in paths:
        if not path.exists() and not path.is_symlink():
            continue  # reported by lint_paths as a usage error
        if path.is_dir():
            if force_exclude and settings.is_excluded(path):
                continue
            for file in _walk(path, settings, messages):
                found.setdefault(str(file), file)
        else:
            if force_exclude and settings.is_excluded(path):
                continue
            found.setdefault(str(path), path)
    return list(found.values()), messages


def _walk(root: Path, settings: Settings, messages: list[str]) -> Iterator[Path]:
    seen_dirs: set[tuple[int, int]] = set()

    def on_error(error: OSError) -> None:
        messages.append(f"{error.filename}: cannot list folder ({error.strerror})")

    for folder, dirnames, filenames in os.walk(root, onerror=on_error, followlinks=True):
        try:
            stat = os.stat(folder)
            key = (stat.st_dev, stat.st_ino)
        except OSError:
            dirnames[:] = []
            continue
        if key in seen_dirs:  # a symlink loop: each real folder is visited once
            dirnames[:] = []
            continue
        seen_dirs.add(key)
        base = Path(folder)
        dirnames[:] = sorted(d for d in dirnames if not settings.is_excluded(base / d))
        for name in sorted(filenames):
            if name.endswith(PYTHON_SUFFIXES):
                candidate = base / name
                if not settings.is_excluded(candidate):
                    yield candidate


# -- one file --------------------------------------------------------------------------------------
@lru_cache(maxsize=None)
def _triggers(codes: frozenset[str]) -> tuple[bytes, ...]:
    return tuple(sorted({t for code in codes for t in REGISTRY[code].triggers}))


def _rules_triggered(data: bytes, codes: frozenset[str]) -> list[Rule]:
    # `bytes in bytes` is a fast substring search; a regex alternation is many times slower on big files.
    if not any(trigger in data for trigger in _triggers(codes)):
        return []
    return [
        rule
        for rule in (REGISTRY[code] for code in sorted(codes))
        if rule.code != SYNTAX_ERROR
        and any(trigger in data for trigger in rule.triggers)
        and (not rule.requires or any(word in data for word in rule.requires))
    ]


def _file_error(path: str, message: str, line: int = 1, column: int = 0) -> Diagnostic:
    rule = REGISTRY[SYNTAX_ERROR]
    return Diagnostic(
        code=rule.code,
        rule=rule.name,
        message=message,
        path=path,
        start=Position(max(line, 1), max(column, 0)),
        end=Position(max(line, 1), max(column, 0)),
    )


_BRACKETS = re.compile(r"[^()\[\]{}]+")


def _max_nesting(text: str) -> int:
    """Deepest bracket nesting (brackets in strings and comments count too: a cheap upper bound)."""
    depth = deepest = 0
    for char in _BRACKETS.sub("", text):
        if char in "([{":
            depth += 1
            if depth > deepest:
                deepest = depth
        elif char in ")]}" and depth:
            depth -= 1
    return deepest


def _python_refusal(text: str) -> tuple[str, int, int] | None:
    import ast

    try:
        compile(text, "<file>", "exec", flags=ast.PyCF_ONLY_AST, dont_inherit=True)
    except SyntaxError as error:
        return f"syntax error: {error.msg}", error.lineno or 1, max((error.offset or 1) - 1, 0)
    except (RecursionError, MemoryError):
        return "code nested too deeply to parse", 1, 0
    return None


def lint_source(data: bytes, path: str, settings: Settings) -> FileResult:
    """Check one file's bytes. ``path`` is used for display, per-file ignores and the cache."""
    result = FileResult()
    if has_skip_file_comment(data):
        return result
    codes = settings.codes_for(path)
    try:
        source = decode(data)
    except UnreadableSource as error:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, error.message, error.line, error.column))
        return result
    rules = _rules_triggered(data, codes)
    if not rules:
        return result
    if _max_nesting(source.text) > MAX_NESTING:
        # LibCST's native parser overflows its stack on very deep nesting (a crash, not an exception);
        # CPython's own parser refuses more than 200 levels cleanly, so ask it first.
        refusal = _python_refusal(source.text)
        if refusal is not None:
            if SYNTAX_ERROR in codes:
                result.diagnostics.append(_file_error(path, *refusal))
            return result
    from wce_lint.analysis.parse import ParseFailure, parse

    try:
        context = parse(path, source.text)
    except ParseFailure as error:
        if SYNTAX_ERROR in codes:
            result.diagnostics.append(_file_error(path, error.message, error.line, error.column))
        return result
    result.parsed = True
    lines = split_lines(source.text)
    from wce_lint.suppression import is_suppressed

    for rule in rules:
        try:
            findings = list(rule.check(context))
        except RecursionError:
            result.internal_errors.append(f"{path}: {rule.code} gave up: expression nested too deeply")
            continue
        except Exception as error:  # a bug in a rule must not stop the run over other files
            result.internal_errors.append(f"{path}: internal error in {rule.code}: {type(error).__name__}: {error}")
            continue
        for finding in findings:
            span = context.range(finding.node)
            first, last = context.logical_line_range(finding.node)
            if is_suppressed(rule.code, lines, first, last):
                continue
            result.diagnostics.append(
                Diagnostic(
                    code=rule.code,
                    rule=rule.name,
                    message=finding.message,
                    path=path,
                    start=Position(span.start.line, span.start.column),
                    end=Position(span.end.line, span.end.column),
                    severity=finding.severity or rule.severity,
                    help=finding.help,
                    fix=finding.fix,
                    related=tuple(
                        RelatedLocation(step.message, *_positions(context.range(step.node)))
                        for step in finding.trace
                    ),
                )
            )
    result.diagnostics.sort(key=Diagnostic.sort_key)
    return result


def _positions(span: object) -> tuple[Position, Position]:
    return Position(span.start.line, span.start.column), Position(span.end.line, span.end.column)  # type: ignore[attr-defined]


def lint_file(path: Path, settings: Settings) -> FileResult:
    display = str(path)
    try:
        if path.is_dir():
            return FileResult([_file_error(display, "is a directory, not a Python file")])
        if not path.is_file():
            return FileResult([_file_error(display, "not a regular file (FIFO, device or dangling symlink)")])
        data = path.read_bytes()
    except OSError as error:
        return FileResult([_file_error(display, f"cannot read file: {error.strerror or error}")])
    return lint_source(data, display, settings)


# -- many files ------------------------------------------------------------------------------------
def lint_paths(
    paths: Sequence[Path],
    settings: Settings,
    *,
    force_exclude: bool = False,
    jobs: int | None = None,
    use_cache: bool = True,
) -> RunResult:
    files, messages = discover(paths, settings, force_exclude=force_exclude)
    missing = [str(path) for path in paths if not path.exists() and not path.is_symlink()]
    run = RunResult(messages=messages, files_seen=len(files), missing=missing)
    for result in _lint_many(files, settings, jobs=jobs, use_cache=use_cache):
        run.diagnostics.extend(result.diagnostics)
        run.internal_errors.extend(result.internal_errors)
        run.files_parsed += result.parsed
    run.diagnostics.sort(key=Diagnostic.sort_key)
    return run


def _lint_many(files: list[Path], settings: Settings, *, jobs: int | None, use_cache: bool) -> Iterable[FileResult]:
    from wce_lint.parallel import lint_many  # imports the engine: import it only when used

    return lint_many(files, settings, jobs=jobs, use_cache=use_cache)


def severity_of(diagnostic: Diagnostic) -> Severity:
    return diagnostic.severity


if __name__ == "__main__":  # pragma: no cover - a debugging aid
    print(lint_paths([Path(p) for p in sys.argv[1:]], Settings()))
